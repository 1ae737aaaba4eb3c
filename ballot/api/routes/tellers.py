"""The tellers' routes: the key ceremony's messages and the decryption shares."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from ballot.api import models as m
from ballot.api.context import accepted, context, require_member_of
from ballot.api.routes.common import (
    ANYONE,
    TELLER,
    command,
    round_number,
    run_simple,
)
from ballot.api.routing import Call, Empty, Handler, Role, RouteTable
from ballot.domain import (
    AnswerKeyComplaint,
    Command,
    DealKeyShares,
    FileKeyComplaint,
    RoundTallied,
    SignedShareIn,
    SubmitDecryptionShare,
    SubmitKeyCommitment,
)
from ballot.domain.values import b64encode
from crypto import dkg

routes = RouteTable("tellers")


#: What a ceremony message may be refused for (a complaint or answer cannot be a duplicate:
#: the same one again is an idempotent re-send).
_DEALING = ["invalid_ceremony_message", "duplicate_ceremony_message", "ceremony_out_of_order"]
_DISPUTING = ["invalid_ceremony_message", "ceremony_out_of_order"]


def _ceremony(
    path: str, summary: str, request: type[BaseModel], problems: list[str]
) -> Callable[[Handler], Handler]:
    """Declare a teller's post of a key-ceremony message to ``…/key-ceremony/<path>``."""
    return routes.endpoint(
        "POST",
        f"/api/v1/sessions/{{sid}}/key-ceremony/{path}",
        summary=summary,
        roles=TELLER,
        request=request,
        response=m.Accepted,
        status=201,
        problems=problems,
    )


async def _signed(
    call: Call[m.SignedMessageRequest], kind: type[Command], field: str
) -> m.Accepted:
    """Run the calling teller's signed ceremony message as a ``kind`` command whose message
    is its ``field``."""
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    message = {field: call.body.message}
    return await run_simple(
        call, command(kind, teller_id=teller, signature=call.body.signature, **message)
    )


@_ceremony("commitments", "Post a key commitment", m.SignedMessageRequest, _DEALING)
async def post_commitment(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    return await _signed(call, SubmitKeyCommitment, "commitment")


@_ceremony("shares", "Deal encrypted key shares", m.DealRequest, _DEALING)
async def post_shares(call: Call[m.DealRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    shares = tuple(
        command(SignedShareIn, share=s.share, signature=s.signature) for s in call.body.shares
    )
    return await run_simple(call, command(DealKeyShares, teller_id=teller, shares=shares))


@_ceremony("complaints", "File a complaint", m.SignedMessageRequest, _DISPUTING)
async def post_complaint(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    return await _signed(call, FileKeyComplaint, "complaint")


@_ceremony("answers", "Answer a complaint", m.SignedMessageRequest, _DISPUTING)
async def post_answer(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    return await _signed(call, AnswerKeyComplaint, "answer")


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/shares",
    summary="Submit a decryption share",
    roles=TELLER,
    request=m.ShareRequest,
    response=m.Accepted,
    status=201,
    problems=["round_not_closed", "invalid_share", "malformed_share", "share_already_submitted"],
)
async def post_decryption_share(call: Call[m.ShareRequest]) -> m.Accepted:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    teller = require_member_of(call.principal, service.session_id, Role.TELLER)
    outcome = await ctx.run(
        service,
        command(
            SubmitDecryptionShare,
            teller_id=teller,
            round_number=round_number(call),
            share=call.body.share,
        ),
        call.principal,
    )
    if any(isinstance(e, RoundTallied) for e in outcome.events):
        await ctx.sign_checkpoint(service)
    return m.Accepted(**accepted(outcome))


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/key-ceremony",
    summary="Key-ceremony messages so far",
    roles=ANYONE,
    response=m.CeremonyMessages,
)
async def get_ceremony(call: Call[Empty]) -> m.CeremonyMessages:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    ceremony = service.state.ceremony
    mine: int | None = None
    if call.principal.role is Role.TELLER and call.principal.session_id == service.session_id:
        teller = service.state.tellers.get(call.principal.subject or "")
        mine = teller.index if teller is not None else None
    shares = [
        dkg.encrypted_share_to_json(share)
        for dealt in ceremony.dealt.values()
        for share in dealt
        if mine is None or share.recipient == mine
    ]
    return m.CeremonyMessages(
        tellers=service.state.settings.tellers,
        threshold=service.state.settings.threshold,
        commitments=[dkg.dealer_commitment_to_json(c) for c in ceremony.commitments.values()],
        shares_for_me=shares,
        complaints=[dkg.complaint_to_json(c) for c in ceremony.complaints],
        answers=[dkg.complaint_answer_to_json(a) for a in ceremony.answers],
        election_key=b64encode(ceremony.election_key.encode()) if ceremony.election_key else None,
    )

"""The tellers' routes: the key ceremony's messages and the decryption shares."""

from __future__ import annotations

from ballot.api import models as m
from ballot.api.context import accepted, context, require_member_of
from ballot.api.routes.common import (
    ANYONE,
    TELLER,
    command,
    round_number,
    run_simple,
)
from ballot.api.routing import Call, Empty, Role, RouteTable
from ballot.domain import (
    AnswerKeyComplaint,
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


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/commitments",
    summary="Post a key commitment",
    roles=TELLER,
    request=m.SignedMessageRequest,
    response=m.Accepted,
    status=201,
    problems=["invalid_ceremony_message", "duplicate_ceremony_message", "ceremony_out_of_order"],
)
async def post_commitment(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    return await run_simple(
        call,
        command(
            SubmitKeyCommitment,
            teller_id=teller,
            commitment=call.body.message,
            signature=call.body.signature,
        ),
    )


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/shares",
    summary="Deal encrypted key shares",
    roles=TELLER,
    request=m.DealRequest,
    response=m.Accepted,
    status=201,
    problems=["invalid_ceremony_message", "duplicate_ceremony_message", "ceremony_out_of_order"],
)
async def post_shares(call: Call[m.DealRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    shares = tuple(
        command(SignedShareIn, share=s.share, signature=s.signature) for s in call.body.shares
    )
    return await run_simple(call, command(DealKeyShares, teller_id=teller, shares=shares))


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/complaints",
    summary="File a complaint",
    roles=TELLER,
    request=m.SignedMessageRequest,
    response=m.Accepted,
    status=201,
    problems=["invalid_ceremony_message", "ceremony_out_of_order"],
)
async def post_complaint(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    return await run_simple(
        call,
        command(
            FileKeyComplaint,
            teller_id=teller,
            complaint=call.body.message,
            signature=call.body.signature,
        ),
    )


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/answers",
    summary="Answer a complaint",
    roles=TELLER,
    request=m.SignedMessageRequest,
    response=m.Accepted,
    status=201,
    problems=["invalid_ceremony_message", "ceremony_out_of_order"],
)
async def post_answer(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    return await run_simple(
        call,
        command(
            AnswerKeyComplaint,
            teller_id=teller,
            answer=call.body.message,
            signature=call.body.signature,
        ),
    )


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

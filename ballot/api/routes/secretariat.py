"""The secretariat's routes: convening, the roll, credentials, tellers, rounds, and the
session's end.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from ballot.api import models as m
from ballot.api.auth import digest, new_enrollment_code, normalize_code
from ballot.api.context import accepted, context
from ballot.api.problems import Problem
from ballot.api.routes.common import (
    SECRETARIAT,
    command,
    round_definition,
    round_number,
    round_of,
    run_simple,
    signed_checkpoints,
)
from ballot.api.routing import Call, Empty, Handler, RouteTable
from ballot.domain import (
    AcceptCredentials,
    AdjournSession,
    AdmitWitness,
    AppointTellers,
    ChangeVotingRights,
    CloseRound,
    ConveneSession,
    DeclareElectedByAcclamation,
    NominateCandidate,
    OpenRound,
    PublishElectionKey,
    RecordPresence,
    Refusal,
    RegisterMemberState,
    TellerAppointment,
    VoidRound,
    WithdrawCandidate,
    lots_commitment,
    next_round_plan,
)
from ballot.domain.values import b64decode, b64encode

routes = RouteTable("secretariat")


def _act(
    method: str,
    path: str,
    summary: str,
    *,
    request: type[BaseModel] | None = None,
    problems: Sequence[str] = (),
    status: int = 201,
) -> Callable[[Handler], Handler]:
    """Declare a secretariat act on ``/api/v1/sessions/{sid}/<path>``, answered with what
    it recorded (``Accepted``)."""
    return routes.endpoint(
        method,
        f"/api/v1/sessions/{{sid}}/{path}",
        summary=summary,
        roles=SECRETARIAT,
        request=request,
        response=m.Accepted,
        status=status,
        problems=problems,
    )


@routes.endpoint(
    "POST",
    "/api/v1/sessions",
    summary="Convene a session",
    roles=SECRETARIAT,
    request=m.ConveneRequest,
    response=m.SessionCreated,
    status=201,
    problems=["session_already_convened"],
)
async def convene_session(call: Call[m.ConveneRequest]) -> m.SessionCreated:
    ctx = context(call.request)
    session_id = call.body.session_id or f"s-{secrets.token_hex(5)}"
    key = ctx.signing_key  # this server's: the database keeps only its public half
    service = await ctx.hub.service(session_id, create=True)
    assert service is not None
    outcome = await ctx.run(
        service,
        command(
            ConveneSession,
            session_id=session_id,
            title=call.body.title,
            convened_at=ctx.clock(),
            settings=call.body.settings,
            checkpoint_key=key.public_key().encode(),
        ),
        call.principal,
    )
    return m.SessionCreated(
        session_id=session_id,
        position=accepted(outcome)["position"],
        checkpoint_key=b64encode(key.public_key().encode()),
    )


@_act(
    "POST",
    "members",
    "Register a member state",
    request=m.MemberRequest,
    problems=["duplicate_id", "session_not_convened"],
)
async def register_member(call: Call[m.MemberRequest]) -> m.Accepted:
    body = call.body
    return await run_simple(
        call,
        command(
            RegisterMemberState, member_id=body.member_id, name=body.name, observer=body.observer
        ),
    )


@_act(
    "POST",
    "witnesses",
    "Admit a witness of the record",
    request=m.WitnessRequest,
    problems=["duplicate_id", "invalid_public_key", "session_not_convened", "session_adjourned"],
)
async def admit_witness(call: Call[m.WitnessRequest]) -> m.Accepted:
    body = call.body
    try:
        key = b64decode(body.public_key)
    except ValueError:
        raise Problem("invalid_public_key", "the public key is not base64url") from None
    return await run_simple(
        call, command(AdmitWitness, witness_id=body.witness_id, name=body.name, public_key=key)
    )


@_act(
    "POST",
    "candidates",
    "Nominate a candidate",
    request=m.CandidateRequest,
    problems=["duplicate_id", "nominations_closed"],
)
async def nominate_candidate(call: Call[m.CandidateRequest]) -> m.Accepted:
    body = call.body
    return await run_simple(
        call,
        command(
            NominateCandidate,
            candidate_id=body.candidate_id,
            name=body.name,
            nominated_by=body.nominated_by,
        ),
    )


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/members/{mid}/credentials",
    summary="Accept credentials and issue an enrollment code",
    roles=SECRETARIAT,
    response=m.EnrollmentCode,
    status=201,
    problems=["unknown_member", "observer_has_no_vote"],
)
async def accept_credentials(call: Call[Empty]) -> m.EnrollmentCode:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    member_id = call.path("mid")
    code = new_enrollment_code()
    outcome = await ctx.run(
        service,
        command(
            AcceptCredentials,
            member_id=member_id,
            enrollment_code_digest=digest(normalize_code(code)),
            accepted_at=ctx.clock(),
        ),
        call.principal,
    )
    member = outcome.state.members[member_id]
    return m.EnrollmentCode(subject=member_id, code=code, expires_at=member.code_expires_at)


@_act(
    "PUT",
    "members/{mid}/presence",
    "Record presence",
    request=m.PresenceRequest,
    problems=["unknown_member"],
    status=200,
)
async def record_presence(call: Call[m.PresenceRequest]) -> m.Accepted:
    return await run_simple(
        call, command(RecordPresence, member_id=call.path("mid"), present=call.body.present)
    )


@_act(
    "PUT",
    "members/{mid}/voting-rights",
    "Change voting rights",
    request=m.VotingRightsRequest,
    problems=["unknown_member", "invalid_voting_rights", "observer_has_no_vote"],
    status=200,
)
async def change_voting_rights(call: Call[m.VotingRightsRequest]) -> m.Accepted:
    body = call.body
    return await run_simple(
        call,
        command(
            ChangeVotingRights,
            member_id=call.path("mid"),
            arrears=body.arrears,
            restored=body.restored,
            suspended=body.suspended,
            reason=body.reason,
        ),
    )


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/tellers",
    summary="Appoint tellers and issue their codes",
    roles=SECRETARIAT,
    request=m.AppointTellersRequest,
    response=m.EnrollmentCodes,
    status=201,
    problems=["tellers_already_appointed", "wrong_teller_count"],
)
async def appoint_tellers(call: Call[m.AppointTellersRequest]) -> m.EnrollmentCodes:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    codes = {t.teller_id: new_enrollment_code() for t in call.body.tellers}
    outcome = await ctx.run(
        service,
        command(
            AppointTellers,
            tellers=tuple(
                command(
                    TellerAppointment,
                    teller_id=t.teller_id,
                    name=t.name,
                    enrollment_code_digest=digest(normalize_code(codes[t.teller_id])),
                )
                for t in call.body.tellers
            ),
            appointed_at=ctx.clock(),
        ),
        call.principal,
    )
    return m.EnrollmentCodes(
        codes=[
            m.EnrollmentCode(
                subject=teller_id,
                code=code,
                expires_at=outcome.state.tellers[teller_id].code_expires_at,
            )
            for teller_id, code in codes.items()
        ]
    )


@_act(
    "POST",
    "key-ceremony/election-key",
    "Publish the election key once the ceremony is complete",
    problems=["ceremony_out_of_order", "not_enough_qualified_tellers", "ceremony_closed"],
    status=200,
)
async def publish_election_key(call: Call[Empty]) -> m.Accepted:
    return await run_simple(call, PublishElectionKey())


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/rounds",
    summary="Open the next round",
    roles=SECRETARIAT,
    response=m.RoundDefinition,
    status=201,
    problems=[
        "no_quorum",
        "no_candidates",
        "sole_candidate",
        "round_in_progress",
        "election_key_missing",
    ],
)
async def open_round(call: Call[Empty]) -> m.RoundDefinition:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    ctx.signer(service)  # its ballots' receipts and its close must be signable here
    try:
        plan = next_round_plan(service.state)
    except Refusal as refusal:
        raise Problem.from_refusal(refusal) from None
    commitment = None
    if plan.needs_lots_commitment:
        # The seed stays with the server until the close reveals it; the commitment in
        # RoundOpened lets anyone check afterwards that it was fixed in advance.
        seed = await ctx.keep_secret(
            service.session_id, f"lots-seed-{plan.round_number}", secrets.token_bytes(32)
        )
        commitment = lots_commitment(service.session_id, plan.round_number, seed)
    await ctx.run(
        service,
        command(
            OpenRound,
            round_number=plan.round_number,
            opened_at=ctx.clock(),
            lots_commitment=commitment,
        ),
        call.principal,
    )
    return round_definition(service.session_id, round_of(service, plan.round_number))


@_act(
    "POST",
    "rounds/{n}/close",
    "Close a round",
    problems=["round_not_open", "wrong_round_number"],
    status=200,
)
async def close_round(call: Call[Empty]) -> m.Accepted:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    ctx.signer(service)  # the close is checkpointed at once
    number = round_number(call)
    current = round_of(service, number)
    seed = (
        await ctx.secret(service.session_id, f"lots-seed-{number}")
        if current.lots_commitment
        else None
    )
    outcome = await ctx.run(
        service,
        command(CloseRound, round_number=number, closed_at=ctx.clock(), lots_seed=seed),
        call.principal,
    )
    await ctx.sign_checkpoint(service)
    return m.Accepted(**accepted(outcome))


@_act(
    "POST",
    "rounds/{n}/void",
    "Void a round",
    request=m.NoteRequest,
    problems=["round_not_voidable"],
    status=200,
)
async def void_round(call: Call[m.NoteRequest]) -> m.Accepted:
    return await run_simple(
        call, command(VoidRound, round_number=round_number(call), note=call.body.reason)
    )


@_act(
    "POST",
    "candidates/{cid}/withdrawal",
    "Record a withdrawal",
    request=m.NoteRequest,
    problems=["unknown_candidate", "candidate_not_standing", "round_in_progress"],
    status=200,
)
async def withdraw_candidate(call: Call[m.NoteRequest]) -> m.Accepted:
    return await run_simple(
        call, command(WithdrawCandidate, candidate_id=call.path("cid"), reason=call.body.reason)
    )


@_act(
    "POST",
    "acclamation",
    "Record election by acclamation",
    request=m.AcclamationRequest,
    problems=["not_sole_candidate", "confirmation_required"],
    status=200,
)
async def acclaim(call: Call[m.AcclamationRequest]) -> m.Accepted:
    reply = await run_simple(
        call, command(DeclareElectedByAcclamation, candidate_id=call.body.candidate_id)
    )
    ctx = context(call.request)
    await ctx.sign_checkpoint(await ctx.session(call.path("sid")))  # the session's result
    return reply


@_act(
    "POST",
    "adjournment",
    "Adjourn the session",
    request=m.NoteRequest,
    problems=["round_in_progress"],
    status=200,
)
async def adjourn(call: Call[m.NoteRequest]) -> m.Accepted:
    ctx = context(call.request)
    reply = await run_simple(
        call, command(AdjournSession, adjourned_at=ctx.clock(), reason=call.body.reason)
    )
    await ctx.sign_checkpoint(await ctx.session(call.path("sid")))  # the log's last words
    return reply


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/checkpoints",
    summary="Sign a checkpoint now",
    roles=SECRETARIAT,
    response=m.Checkpoints,
    status=201,
)
async def checkpoint_now(call: Call[Empty]) -> m.Checkpoints:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    await ctx.sign_checkpoint(service)
    return await signed_checkpoints(ctx, service)

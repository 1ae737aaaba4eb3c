"""Every endpoint of ``/api/v1``: parse, authorize, call the domain through the service, reply.

Grouped by who calls: the secretariat, delegations and tellers, and the public. Roles are
declared per route (SPEC §2); everything else is refused with 401/403 before any command
exists, so a refused call is recorded nowhere.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ballot import __version__
from ballot.api import models as m
from ballot.api.auth import digest, new_enrollment_code, normalize_code
from ballot.api.context import Context, accepted, context, require_member_of
from ballot.api.logindex import SignedCheckpoint
from ballot.api.problems import Problem, all_problem_types
from ballot.api.routing import Api, Call, Empty, Role
from ballot.checkpoints import Checkpoint
from ballot.domain import (
    AcceptCredentials,
    AdjournSession,
    AnswerKeyComplaint,
    AppointTellers,
    BallotCast,
    CastBallot,
    ChangeVotingRights,
    CheckpointSigned,
    CloseRound,
    Command,
    ConveneSession,
    DealKeyShares,
    DeclareElectedByAcclamation,
    EnrollDelegation,
    FileKeyComplaint,
    NominateCandidate,
    OpenRound,
    PublishElectionKey,
    RecordPresence,
    Refusal,
    RegisterMemberState,
    RoundTallied,
    SignedShareIn,
    SubmitDecryptionShare,
    SubmitKeyCommitment,
    TellerAppointment,
    VoidRound,
    WithdrawCandidate,
    enrollment_holder,
    event_from_payload,
    final_outcome,
    lots_commitment,
    next_round_plan,
    results_board,
    roll,
    session_view,
    turnout,
)
from ballot.domain.state import RoundState
from ballot.domain.values import b64decode, b64encode
from ballot.service import SessionService, ballot_stream, round_stream
from crypto import dkg
from events.exchange import record_to_line

api = Api(title="ballot", version=__version__)

SECRETARIAT = [Role.SECRETARIAT]
TELLER = [Role.TELLER]
DELEGATION = [Role.DELEGATION]
ANYONE = [Role.PUBLIC]

C = TypeVar("C", bound=BaseModel)


def command(kind: type[C], **fields: Any) -> C:
    """Build a domain command from request data; a field the domain refuses is a 422."""
    try:
        return kind(**fields)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise Problem(
            "validation_error", f"invalid {kind.__name__}", extra={"errors": errors}
        ) from None


def round_number(call: Call[Any]) -> int:
    """The ``{n}`` path parameter as a positive integer."""
    text = call.path("n")
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise Problem("not_found", f"no round {text!r}")
    return int(text)


def round_of(service: SessionService, number: int) -> RoundState:
    """A round of the session, or ``not_found``."""
    for r in service.state.rounds:
        if r.number == number:
            return r
    raise Problem("not_found", f"no round {number} in session {service.session_id}")


# -- secretariat ----------------------------------------------------------------------------
@api.route(
    "POST",
    "/api/v1/sessions",
    summary="Convene a session",
    roles=SECRETARIAT,
    request=m.ConveneRequest,
    response=m.SessionCreated,
    status=201,
    tag="secretariat",
    problems=["session_already_convened"],
)
async def convene_session(call: Call[m.ConveneRequest]) -> m.SessionCreated:
    ctx = context(call.request)
    session_id = call.body.session_id or f"s-{secrets.token_hex(5)}"
    key = await ctx.new_checkpoint_key(session_id)
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


async def _simple(call: Call[Any], build: Command) -> m.Accepted:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    return m.Accepted(**accepted(await ctx.run(service, build, call.principal)))


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/members",
    summary="Register a member state",
    roles=SECRETARIAT,
    request=m.MemberRequest,
    response=m.Accepted,
    status=201,
    tag="secretariat",
    problems=["duplicate_id", "session_not_convened"],
)
async def register_member(call: Call[m.MemberRequest]) -> m.Accepted:
    body = call.body
    return await _simple(
        call,
        command(
            RegisterMemberState, member_id=body.member_id, name=body.name, observer=body.observer
        ),
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/candidates",
    summary="Nominate a candidate",
    roles=SECRETARIAT,
    request=m.CandidateRequest,
    response=m.Accepted,
    status=201,
    tag="secretariat",
    problems=["duplicate_id", "nominations_closed"],
)
async def nominate_candidate(call: Call[m.CandidateRequest]) -> m.Accepted:
    body = call.body
    return await _simple(
        call,
        command(
            NominateCandidate,
            candidate_id=body.candidate_id,
            name=body.name,
            nominated_by=body.nominated_by,
        ),
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/members/{mid}/credentials",
    summary="Accept credentials and issue an enrollment code",
    roles=SECRETARIAT,
    response=m.EnrollmentCode,
    status=201,
    tag="secretariat",
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


@api.route(
    "PUT",
    "/api/v1/sessions/{sid}/members/{mid}/presence",
    summary="Record presence",
    roles=SECRETARIAT,
    request=m.PresenceRequest,
    response=m.Accepted,
    tag="secretariat",
    problems=["unknown_member"],
)
async def record_presence(call: Call[m.PresenceRequest]) -> m.Accepted:
    return await _simple(
        call, command(RecordPresence, member_id=call.path("mid"), present=call.body.present)
    )


@api.route(
    "PUT",
    "/api/v1/sessions/{sid}/members/{mid}/voting-rights",
    summary="Change voting rights",
    roles=SECRETARIAT,
    request=m.VotingRightsRequest,
    response=m.Accepted,
    tag="secretariat",
    problems=["unknown_member", "invalid_voting_rights", "observer_has_no_vote"],
)
async def change_voting_rights(call: Call[m.VotingRightsRequest]) -> m.Accepted:
    body = call.body
    return await _simple(
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


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/tellers",
    summary="Appoint tellers and issue their codes",
    roles=SECRETARIAT,
    request=m.AppointTellersRequest,
    response=m.EnrollmentCodes,
    status=201,
    tag="secretariat",
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
                TellerAppointment(
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


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/election-key",
    summary="Publish the election key once the ceremony is complete",
    roles=SECRETARIAT,
    response=m.Accepted,
    tag="secretariat",
    problems=["ceremony_out_of_order", "not_enough_qualified_tellers", "ceremony_closed"],
)
async def publish_election_key(call: Call[Empty]) -> m.Accepted:
    return await _simple(call, PublishElectionKey())


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/rounds",
    summary="Open the next round",
    roles=SECRETARIAT,
    response=m.RoundDefinition,
    status=201,
    tag="secretariat",
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
    return _definition(service.session_id, round_of(service, plan.round_number))


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/close",
    summary="Close a round",
    roles=SECRETARIAT,
    response=m.Accepted,
    tag="secretariat",
    problems=["round_not_open", "wrong_round_number"],
)
async def close_round(call: Call[Empty]) -> m.Accepted:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
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


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/void",
    summary="Void a round",
    roles=SECRETARIAT,
    request=m.NoteRequest,
    response=m.Accepted,
    tag="secretariat",
    problems=["round_not_voidable"],
)
async def void_round(call: Call[m.NoteRequest]) -> m.Accepted:
    return await _simple(
        call, command(VoidRound, round_number=round_number(call), note=call.body.reason)
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/candidates/{cid}/withdrawal",
    summary="Record a withdrawal",
    roles=SECRETARIAT,
    request=m.NoteRequest,
    response=m.Accepted,
    tag="secretariat",
    problems=["unknown_candidate", "candidate_not_standing", "round_in_progress"],
)
async def withdraw_candidate(call: Call[m.NoteRequest]) -> m.Accepted:
    return await _simple(
        call, command(WithdrawCandidate, candidate_id=call.path("cid"), reason=call.body.reason)
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/acclamation",
    summary="Record election by acclamation",
    roles=SECRETARIAT,
    request=m.AcclamationRequest,
    response=m.Accepted,
    tag="secretariat",
    problems=["not_sole_candidate", "confirmation_required"],
)
async def acclaim(call: Call[m.AcclamationRequest]) -> m.Accepted:
    reply = await _simple(
        call, command(DeclareElectedByAcclamation, candidate_id=call.body.candidate_id)
    )
    ctx = context(call.request)
    await ctx.sign_checkpoint(await ctx.session(call.path("sid")))  # the session's result
    return reply


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/adjournment",
    summary="Adjourn the session",
    roles=SECRETARIAT,
    request=m.NoteRequest,
    response=m.Accepted,
    tag="secretariat",
    problems=["round_in_progress"],
)
async def adjourn(call: Call[m.NoteRequest]) -> m.Accepted:
    ctx = context(call.request)
    reply = await _simple(
        call, command(AdjournSession, adjourned_at=ctx.clock(), reason=call.body.reason)
    )
    await ctx.sign_checkpoint(await ctx.session(call.path("sid")))  # the log's last words
    return reply


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/checkpoints",
    summary="Sign a checkpoint now",
    roles=SECRETARIAT,
    response=m.Checkpoints,
    status=201,
    tag="secretariat",
)
async def checkpoint_now(call: Call[Empty]) -> m.Checkpoints:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    await ctx.sign_checkpoint(service)
    return await _checkpoints(ctx, service)


# -- delegations and tellers ----------------------------------------------------------------
@api.route(
    "POST",
    "/api/v1/sessions/{sid}/enrollment",
    summary="Enroll with a one-time code and a public key",
    roles=ANYONE,
    request=m.EnrollRequest,
    response=m.Enrolled,
    status=201,
    tag="participants",
    problems=[
        "enrollment_code_unknown",
        "enrollment_role_mismatch",
        "enrollment_code_expired",
        "invalid_public_key",
    ],
)
async def enroll(call: Call[m.EnrollRequest]) -> m.Enrolled:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    code_digest = digest(normalize_code(call.body.code))
    holder = enrollment_holder(service.state, code_digest)
    if holder is None:
        raise Problem("enrollment_code_unknown", "no delegation or teller holds this code")
    is_teller = holder in service.state.tellers
    if call.body.role is not None and call.body.role != ("teller" if is_teller else "delegation"):
        # Refused before redeeming: a teller's code typed into the delegation page stays valid.
        raise Problem(
            "enrollment_role_mismatch",
            f"this code enrolls a {'teller' if is_teller else 'delegation'}, not a {call.body.role}",
        )
    try:
        public_key = b64decode(call.body.public_key)
    except ValueError:
        raise Problem("invalid_public_key", "the public key is not base64url") from None
    await ctx.run(
        service,
        command(
            EnrollDelegation,
            delegation_id=holder,
            enrollment_code_digest=code_digest,
            public_key=public_key,
            enrolled_at=ctx.clock(),
        ),
        call.principal,
    )
    teller = service.state.tellers.get(holder)
    role = Role.TELLER if teller is not None else Role.DELEGATION
    token = await ctx.tokens.issue(service.session_id, role, holder, public_key)
    return m.Enrolled(
        subject=holder,
        role="teller" if teller is not None else "delegation",
        token=token,
        teller_index=teller.index if teller is not None else None,
    )


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/me",
    summary="Who am I",
    roles=[Role.SECRETARIAT, Role.DELEGATION, Role.TELLER],
    response=m.Me,
    tag="participants",
)
async def whoami(call: Call[Empty]) -> m.Me:
    session_id = call.path("sid")
    if call.principal.role is not Role.SECRETARIAT and call.principal.session_id != session_id:
        raise Problem("forbidden", "this token belongs to another session")
    return m.Me(
        session_id=session_id, role=call.principal.role.value, subject=call.principal.subject
    )


async def _receipt(
    ctx: Context, service: SessionService, number: int, delegation_id: str
) -> m.Receipt:
    records = await ctx.store.read_stream(service.session_id, ballot_stream(number, delegation_id))
    if not records:
        raise Problem("not_found", f"no ballot of {delegation_id} in round {number}")
    cast = event_from_payload(
        records[0].event_type, records[0].payload(), records[0].schema_version
    )
    assert isinstance(cast, BallotCast)
    return m.Receipt(
        session_id=service.session_id,
        round_number=number,
        delegation_id=delegation_id,
        tracking_code=cast.tracking_code,
        position=records[0].position,
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/ballots",
    summary="Cast a ballot",
    roles=DELEGATION,
    request=m.BallotRequest,
    response=m.Receipt,
    status=201,
    tag="participants",
    hot=True,
    problems=[
        "round_not_open",
        "not_eligible",
        "already_voted",
        "malformed_ballot",
        "invalid_ballot",
        "invalid_signature",
    ],
)
async def cast_ballot(call: Call[m.BallotRequest]) -> m.Receipt:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    delegation_id = require_member_of(call.principal, service.session_id, Role.DELEGATION)
    number = round_number(call)
    cast = command(
        CastBallot,
        delegation_id=delegation_id,
        round_number=number,
        ballot=call.body.ballot,
        signature=call.body.signature,
    )
    outcome = await ctx.cast(service, cast, call.principal)
    for event in outcome.events:
        if isinstance(event, BallotCast) and outcome.result is not None:
            return m.Receipt(
                session_id=service.session_id,
                round_number=number,
                delegation_id=delegation_id,
                tracking_code=event.tracking_code,
                position=outcome.result.first_position,
            )
    return await _receipt(ctx, service, number, delegation_id)  # an identical re-send


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}/ballots/mine",
    summary="My receipt in a round",
    roles=DELEGATION,
    response=m.Receipt,
    tag="participants",
)
async def my_receipt(call: Call[Empty]) -> m.Receipt:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    delegation_id = require_member_of(call.principal, service.session_id, Role.DELEGATION)
    return await _receipt(ctx, service, round_number(call), delegation_id)


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/commitments",
    summary="Post a key commitment",
    roles=TELLER,
    request=m.SignedMessageRequest,
    response=m.Accepted,
    status=201,
    tag="tellers",
    problems=["invalid_ceremony_message", "duplicate_ceremony_message", "ceremony_out_of_order"],
)
async def post_commitment(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    return await _simple(
        call,
        command(
            SubmitKeyCommitment,
            teller_id=teller,
            commitment=call.body.message,
            signature=call.body.signature,
        ),
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/shares",
    summary="Deal encrypted key shares",
    roles=TELLER,
    request=m.DealRequest,
    response=m.Accepted,
    status=201,
    tag="tellers",
    problems=["invalid_ceremony_message", "duplicate_ceremony_message", "ceremony_out_of_order"],
)
async def post_shares(call: Call[m.DealRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    shares = tuple(
        command(SignedShareIn, share=s.share, signature=s.signature) for s in call.body.shares
    )
    return await _simple(call, command(DealKeyShares, teller_id=teller, shares=shares))


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/complaints",
    summary="File a complaint",
    roles=TELLER,
    request=m.SignedMessageRequest,
    response=m.Accepted,
    status=201,
    tag="tellers",
    problems=["invalid_ceremony_message", "ceremony_out_of_order"],
)
async def post_complaint(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    return await _simple(
        call,
        command(
            FileKeyComplaint,
            teller_id=teller,
            complaint=call.body.message,
            signature=call.body.signature,
        ),
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/key-ceremony/answers",
    summary="Answer a complaint",
    roles=TELLER,
    request=m.SignedMessageRequest,
    response=m.Accepted,
    status=201,
    tag="tellers",
    problems=["invalid_ceremony_message", "ceremony_out_of_order"],
)
async def post_answer(call: Call[m.SignedMessageRequest]) -> m.Accepted:
    teller = require_member_of(call.principal, call.path("sid"), Role.TELLER)
    return await _simple(
        call,
        command(
            AnswerKeyComplaint,
            teller_id=teller,
            answer=call.body.message,
            signature=call.body.signature,
        ),
    )


@api.route(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/shares",
    summary="Submit a decryption share",
    roles=TELLER,
    request=m.ShareRequest,
    response=m.Accepted,
    status=201,
    tag="tellers",
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


# -- public ---------------------------------------------------------------------------------
@api.route(
    "GET",
    "/api/v1/sessions",
    summary="List sessions",
    roles=ANYONE,
    response=m.SessionList,
    tag="public",
)
async def list_sessions(call: Call[Empty]) -> m.SessionList:
    ctx = context(call.request)
    summaries = []
    for session_id in await ctx.store.logs():
        service = await ctx.hub.service(session_id)
        if service is None or service.state.phase == "new":
            continue
        state = service.state
        summaries.append(
            m.SessionSummary(
                session_id=session_id,
                title=state.title,
                phase=state.phase,
                rounds=len(state.rounds),
            )
        )
    return m.SessionList(sessions=summaries)


@api.route(
    "GET",
    "/api/v1/sessions/{sid}",
    summary="A session: settings, candidates, tellers, rounds",
    roles=ANYONE,
    response=m.SessionInfo,
    tag="public",
)
async def get_session(call: Call[Empty]) -> m.SessionInfo:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    key = service.state.checkpoint_key
    return m.SessionInfo(
        session=session_view(service.state),
        position=service.position,
        checkpoint_key=b64encode(key) if key else None,
    )


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/roll",
    summary="The roll of member states",
    roles=ANYONE,
    response=m.Roll,
    tag="public",
)
async def get_roll(call: Call[Empty]) -> m.Roll:
    service = await context(call.request).session(call.path("sid"))
    return m.Roll(members=list(roll(service.state)))


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/board",
    summary="The results board",
    roles=ANYONE,
    response=m.Board,
    tag="public",
)
async def get_board(call: Call[Empty]) -> m.Board:
    service = await context(call.request).session(call.path("sid"))
    state = service.state
    return m.Board(
        session_id=state.session_id,
        title=state.title,
        rounds=list(results_board(state)),
        outcome=final_outcome(state),
    )


def _definition(session_id: str, r: RoundState) -> m.RoundDefinition:
    return m.RoundDefinition(
        session_id=session_id,
        round_number=r.number,
        kind=r.kind,
        status=r.status,
        options=list(r.options),
        candidate=r.candidate,
        election_key=b64encode(r.election_key.encode()),
        eligible=len(r.roll),
        deposited=r.ballot_count,
        opened_at=r.opened_at,
    )


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}",
    summary="A round's definition (options, key)",
    roles=ANYONE,
    response=m.RoundDefinition,
    tag="public",
)
async def get_round(call: Call[Empty]) -> m.RoundDefinition:
    service = await context(call.request).session(call.path("sid"))
    return _definition(service.session_id, round_of(service, round_number(call)))


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}/turnout",
    summary="Who deposited a ballot (never what)",
    roles=ANYONE,
    response=m.TurnoutReply,
    tag="public",
)
async def get_turnout(call: Call[Empty]) -> m.TurnoutReply:
    service = await context(call.request).session(call.path("sid"))
    number = round_number(call)
    round_of(service, number)
    return m.TurnoutReply(turnout=turnout(service.state, number))


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}/aggregate",
    summary="The committed ballot set and aggregate of a closed round",
    roles=ANYONE,
    response=m.Aggregate,
    tag="public",
    problems=["round_not_closed"],
)
async def get_aggregate(call: Call[Empty]) -> m.Aggregate:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    number = round_number(call)
    r = round_of(service, number)
    if r.status == "open" or r.ballots_root is None:
        raise Problem("round_not_closed", f"round {number} is not closed")
    # RoundClosed lives in the round's own stream: a few events, not the whole log.
    closed = [
        record
        for record in await ctx.store.read_stream(service.session_id, round_stream(number))
        if record.event_type == "RoundClosed"
    ]
    position = closed[0].position if closed else 0
    return m.Aggregate(
        round_number=number,
        ballot_count=r.ballot_count,
        ballots_root=b64encode(r.ballots_root),
        aggregate=[
            {"alpha": b64encode(c.alpha.encode()), "beta": b64encode(c.beta.encode())}
            for c in r.aggregate.value()
        ],
        position=position,
    )


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/events",
    summary="The event log as JSON Lines (resumable)",
    roles=ANYONE,
    tag="public",
    content_type="application/jsonl",
    query=[("after", "integer")],
)
async def export_events(call: Call[Empty]) -> web.StreamResponse:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    after_text = call.request.query.get("after", "0")
    if not after_text.isdigit():
        raise Problem("validation_error", "after must be a non-negative integer")
    response = web.StreamResponse(headers={"Content-Type": "application/jsonl; charset=utf-8"})
    await response.prepare(call.request)
    chunk: list[bytes] = []
    async for record in ctx.store.read_log(service.session_id, int(after_text)):
        chunk.append(record_to_line(record))
        if len(chunk) >= 500:
            await response.write(b"".join(chunk))
            chunk = []
    if chunk:
        await response.write(b"".join(chunk))
    await response.write_eof()
    return response


async def _checkpoints(ctx: Context, service: SessionService) -> m.Checkpoints:
    found: list[m.Checkpoint] = []
    for record in await ctx.store.read_stream(service.session_id, "checkpoints"):
        event = event_from_payload(record.event_type, record.payload(), record.schema_version)
        assert isinstance(event, CheckpointSigned)
        found.append(
            _checkpoint_reply(SignedCheckpoint(Checkpoint.from_event(event), record.position))
        )
    key = service.state.checkpoint_key
    return m.Checkpoints(checkpoint_key=b64encode(key) if key else None, checkpoints=found)


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/checkpoints",
    summary="Signed checkpoints of the log",
    roles=ANYONE,
    response=m.Checkpoints,
    tag="public",
)
async def get_checkpoints(call: Call[Empty]) -> m.Checkpoints:
    ctx = context(call.request)
    return await _checkpoints(ctx, await ctx.session(call.path("sid")))


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/receipts/{code}",
    summary="Find a tracking code on the bulletin board, with its inclusion proof",
    roles=ANYONE,
    response=m.ReceiptProof,
    tag="public",
)
async def get_receipt(call: Call[Empty]) -> m.ReceiptProof:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    # The session's log index answers from memory; it reads the log only past what it has
    # indexed (the first time, or when the code or its checkpoint may have just arrived).
    index = ctx.hub.log_index(service.session_id)
    found = await index.find(call.path("code"))
    if found is None:
        raise Problem("not_found", "no ballot with this tracking code in this session")
    cast = found.cast
    # The ballot's own stream holds just it: one short read for the exact stored record.
    record = next(
        stored
        for stored in await ctx.store.read_stream(
            service.session_id, ballot_stream(cast.round_number, cast.delegation_id)
        )
        if stored.position == cast.position
    )
    if service.position < index.position:
        await service.catch_up()  # the round's status may have moved with what was indexed
    r = round_of(service, cast.round_number)
    counted = (
        None if r.status == "open" else cast.delegation_id in r.voters and r.status != "voided"
    )
    ballot_set: m.BallotSetProof | None = None
    if counted:
        in_set = await index.ballot_set(cast, r.voters)
        if in_set is not None:
            ballot_set = m.BallotSetProof(
                record=record_to_line(in_set.closed).decode().removesuffix("\n"),
                position=in_set.closed.position,
                checkpoint=_checkpoint_reply(in_set.covering),
                inclusion_proof=[p.hex() for p in in_set.proof],
                leaf_index=in_set.leaf_index,
                ballot_proof=[p.hex() for p in in_set.ballot_proof],
            )
    covering = found.covering
    key = service.state.checkpoint_key
    return m.ReceiptProof(
        tracking_code=cast.tracking_code,
        round_number=cast.round_number,
        delegation_id=cast.delegation_id,
        position=cast.position,
        counted=counted,
        checkpoint=None if covering is None else _checkpoint_reply(covering),
        inclusion_proof=[p.hex() for p in found.proof],
        record=record_to_line(record).decode().removesuffix("\n"),
        checkpoint_key=b64encode(key) if key else None,
        ballot_set=ballot_set,
    )


def _checkpoint_reply(signed: SignedCheckpoint) -> m.Checkpoint:
    return m.Checkpoint(
        position=signed.checkpoint.position,
        head_hash=signed.checkpoint.head_hash.hex(),
        log_root=signed.checkpoint.log_root.hex(),
        signature=b64encode(signed.checkpoint.signature),
        recorded_at_position=signed.recorded_at_position,
    )


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/key-ceremony",
    summary="Key-ceremony messages so far",
    roles=ANYONE,
    response=m.CeremonyMessages,
    tag="tellers",
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


@api.route("GET", "/api/v1/problems", summary="Every problem type", roles=ANYONE, tag="public")
async def list_problems(call: Call[Empty]) -> web.StreamResponse:
    return web.json_response(all_problem_types())


@api.route("GET", "/api/v1/problems/{code}", summary="One problem type", roles=ANYONE, tag="public")
async def get_problem(call: Call[Empty]) -> web.StreamResponse:
    listing = all_problem_types()
    code = call.path("code")
    if code not in listing:
        raise Problem("not_found", f"no problem type {code!r}")
    return web.json_response({"type": f"/api/v1/problems/{code}", "code": code, **listing[code]})


@api.route(
    "GET",
    "/api/v1/sessions/{sid}/feed",
    summary="Live feed (Server-Sent Events, aggregate only)",
    roles=ANYONE,
    tag="public",
    content_type="text/event-stream",
)
async def feed(call: Call[Empty]) -> web.StreamResponse:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    last = call.request.headers.get("Last-Event-ID") or call.request.query.get("after") or "0"
    after = int(last) if last.isdigit() else 0
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(call.request)
    await response.write(b"retry: 2000\n\n")
    async for position, text in ctx.hub.feed(service.session_id, after):
        await response.write(f"id: {position}\nevent: update\ndata: {text}\n\n".encode())
    return response

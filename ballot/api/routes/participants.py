"""The delegations' routes: enrolling a key, casting a ballot, and its receipt."""

from __future__ import annotations

from ballot import queries
from ballot.api import models as m
from ballot.api.auth import digest, normalize_code
from ballot.api.context import Context, context, require_member_of
from ballot.api.metrics import METRICS
from ballot.api.problems import Problem
from ballot.api.routes.common import (
    ANYONE,
    DELEGATION,
    command,
    round_number,
)
from ballot.api.routing import Call, Empty, Role, RouteTable
from ballot.domain import (
    BallotCast,
    BallotChallenged,
    CastBallot,
    ChallengeBallot,
    EnrollDelegation,
    enrollment_holder,
)
from ballot.domain.values import b64decode
from ballot.ledger import SignedReceipt
from ballot.service import SessionService

routes = RouteTable("participants")


def signed_receipt(
    ctx: Context,
    service: SessionService,
    cast: BallotCast,
    position: int,
    head_hash: bytes,
) -> m.Receipt:
    """The receipt of a recorded ballot, signed with the session's checkpoint key."""
    receipt = SignedReceipt.sign(
        ctx.signer(service),
        session_id=service.session_id,
        round_number=cast.round_number,
        delegation_id=cast.delegation_id,
        tracking_code=cast.tracking_code,
        position=position,
        head_hash=head_hash,
    )
    return m.Receipt.model_validate(receipt.to_json())


async def _receipt(
    ctx: Context, service: SessionService, number: int, delegation_id: str
) -> m.Receipt:
    stored = await queries.ballot_of(ctx.store, service.session_id, number, delegation_id)
    if stored is None:
        raise Problem("not_found", f"no ballot of {delegation_id} in round {number}")
    return signed_receipt(ctx, service, stored.cast, stored.record.position, stored.record.hash)


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/enrollment",
    summary="Enroll with a one-time code and a public key",
    roles=ANYONE,
    request=m.EnrollRequest,
    response=m.Enrolled,
    status=201,
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


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/me",
    summary="Who am I",
    roles=[Role.SECRETARIAT, Role.DELEGATION, Role.TELLER],
    response=m.Me,
)
async def whoami(call: Call[Empty]) -> m.Me:
    session_id = call.path("sid")
    if call.principal.role is not Role.SECRETARIAT and call.principal.session_id != session_id:
        raise Problem("forbidden", "this token belongs to another session")
    return m.Me(
        session_id=session_id, role=call.principal.role.value, subject=call.principal.subject
    )


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/ballots",
    summary="Cast a ballot",
    roles=DELEGATION,
    request=m.BallotRequest,
    response=m.Receipt,
    status=201,
    hot=True,
    problems=[
        "round_not_open",
        "not_eligible",
        "already_voted",
        "ballot_spoiled",
        "malformed_ballot",
        "invalid_ballot",
        "invalid_signature",
        "signer_unavailable",
    ],
)
async def cast_ballot(call: Call[m.BallotRequest]) -> m.Receipt:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    delegation_id = require_member_of(call.principal, service.session_id, Role.DELEGATION)
    number = round_number(call)
    ctx.signer(service)  # a ballot is recorded only where its receipt can be signed
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
            call.request.app[METRICS].ballots_accepted.inc()
            return signed_receipt(
                ctx, service, event, outcome.result.first_position, outcome.result.hashes[0]
            )
    return await _receipt(ctx, service, number, delegation_id)  # an identical re-send


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}/ballots/mine",
    summary="My receipt in a round",
    roles=DELEGATION,
    response=m.Receipt,
    problems=["signer_unavailable"],
)
async def my_receipt(call: Call[Empty]) -> m.Receipt:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    delegation_id = require_member_of(call.principal, service.session_id, Role.DELEGATION)
    return await _receipt(ctx, service, round_number(call), delegation_id)


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/rounds/{n}/challenges",
    summary="Open an encrypted ballot instead of casting it (cast or challenge)",
    roles=DELEGATION,
    request=m.ChallengeRequest,
    response=m.Challenged,
    status=201,
    problems=[
        "round_not_open",
        "not_eligible",
        "already_voted",
        "malformed_ballot",
        "invalid_signature",
        "invalid_challenge",
    ],
)
async def challenge_ballot(call: Call[m.ChallengeRequest]) -> m.Challenged:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    delegation_id = require_member_of(call.principal, service.session_id, Role.DELEGATION)
    number = round_number(call)
    outcome = await ctx.run(
        service,
        command(
            ChallengeBallot,
            delegation_id=delegation_id,
            round_number=number,
            ballot=call.body.ballot,
            signature=call.body.signature,
            reveal=call.body.reveal,
        ),
        call.principal,
    )
    opened = next(e for e in outcome.events if isinstance(e, BallotChallenged))
    assert outcome.result is not None
    return m.Challenged(
        session_id=service.session_id,
        round_number=number,
        delegation_id=delegation_id,
        tracking_code=opened.tracking_code,
        option=opened.option,
        position=outcome.result.first_position,
    )

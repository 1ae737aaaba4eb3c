"""Rounds and casting: opening a round on its plan, and a delegation's verified ballot."""

from __future__ import annotations

import hmac

from ballot.domain import crypto_port
from ballot.domain.commands import (
    OpenRound,
)
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    BallotCast,
    Event,
    RoundOpened,
)
from ballot.domain.guards import (
    Handlers,
    require_active,
    require_between_rounds,
)
from ballot.domain.round_plan import next_round_plan
from ballot.domain.rules import (
    electoral_roll,
    has_quorum,
    quorum_figures,
)
from ballot.domain.state import SessionState
from ballot.domain.verification import (
    VerifiedCast,
    cast_preconditions,
    round_context,
    verify_cast,
)
from crypto.ballot import render_tracking_code

HANDLERS = Handlers()


@HANDLERS.on(OpenRound)
def _open_round(state: SessionState, cmd: OpenRound) -> list[Event]:
    require_active(state)
    election_key = state.ceremony.election_key
    if election_key is None:
        raise Refusal("election_key_missing", "the key ceremony has not published a key")
    require_between_rounds(state, "the next round")
    expected = len(state.rounds) + 1
    if cmd.round_number != expected:
        raise Refusal(
            "wrong_round_number",
            f"the next round is {expected}, not {cmd.round_number}",
            expected=expected,
        )
    plan = next_round_plan(state)
    statuses = {mid: m.status for mid, m in state.members.items()}
    present, base = quorum_figures(statuses, state.settings.quorum_base)
    if not has_quorum(present, base):
        raise Refusal(
            "no_quorum",
            f"{present} present of {base} ({state.settings.quorum_base}); "
            f"more than {base // 2} needed",
            present=present,
            base=base,
        )
    if plan.needs_lots_commitment and cmd.lots_commitment is None:
        raise Refusal(
            "lots_commitment_required",
            f"round {plan.round_number} may end in a drawing of lots: commit to a seed",
        )
    return [
        RoundOpened(
            round_number=plan.round_number,
            kind=plan.kind,
            options=plan.options,
            candidate=plan.candidate,
            roll=electoral_roll(statuses),
            present=present,
            quorum_base=base,
            election_key=election_key.encode(),
            lots_commitment=cmd.lots_commitment,
            opened_at=cmd.opened_at,
        )
    ]


@HANDLERS.on(VerifiedCast)
def _cast(state: SessionState, verified: VerifiedCast) -> list[Event]:
    cmd = verified.command
    current, public_key = cast_preconditions(state, cmd)
    ctx = round_context(state, current, cmd.delegation_id)
    if verified.context != ctx:
        # Verified for another round's context (a stale view): what holds is this one.
        verified = verify_cast(state, cmd)
    previous = current.voters.get(cmd.delegation_id)
    if previous is not None:
        if hmac.compare_digest(previous, verified.tracking_hash):
            return []  # the identical signed ballot re-sent: already deposited
        raise Refusal(
            "already_voted",
            f"{cmd.delegation_id} has already voted in round {current.number}",
            delegation=cmd.delegation_id,
        )
    if verified.public_key != public_key:
        # Re-issued credentials replaced the key since the check: verify under this one.
        crypto_port.check_ballot_signature(public_key, ctx, verified.ballot, cmd.signature)
    elif not verified.signature_valid:
        raise Refusal(
            "invalid_signature", "ballot signature does not verify", delegation=cmd.delegation_id
        )
    if current.spoiled and any(
        c.alpha.encode() in current.spoiled for c in verified.ballot.ciphertexts
    ):
        # A checked ballot's nonces are public: cast, it would show how the delegation voted.
        raise Refusal(
            "ballot_spoiled",
            "this ballot reuses the encryption of a ballot checked (spoiled) in this round: "
            "encrypt the choice afresh",
            delegation=cmd.delegation_id,
        )
    # Built unvalidated: every field is the validated command's, or the tracking code just
    # rendered (re-checking a ballot's JSON for every cast is measurable).
    return [
        BallotCast.model_construct(
            round_number=current.number,
            delegation_id=cmd.delegation_id,
            ballot=cmd.ballot,
            signature=cmd.signature,
            tracking_code=render_tracking_code(verified.tracking_hash),
        )
    ]

"""Closing and decisions: close, void, the tellers' shares and the tally's decision, the
candidates between rounds, checkpoints and adjournment.
"""

from __future__ import annotations

import hmac

from ballot.domain import crypto_port
from ballot.domain.commands import (
    AdjournSession,
    CloseRound,
    DeclareElectedByAcclamation,
    RecordCheckpoint,
    SubmitDecryptionShare,
    VoidRound,
    WithdrawCandidate,
)
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    CandidateElected,
    CandidateEliminated,
    CandidateWithdrawn,
    CheckpointSigned,
    CiphertextPair,
    ConfirmationFailed,
    DecryptionShareSubmitted,
    Event,
    LotsDrawn,
    RoundClosed,
    RoundTallied,
    RoundVoided,
    SessionAdjourned,
)
from ballot.domain.guards import (
    Handlers,
    require_active,
    require_between_rounds,
)
from ballot.domain.round_plan import inconclusive_election_rounds
from ballot.domain.rules import (
    RoundOutcome,
    lots_commitment,
    round_outcome,
)
from ballot.domain.state import RoundState, SessionState
from ballot.domain.values import NO, YES
from ballot.domain.verification import open_round_numbered

HANDLERS = Handlers()


@HANDLERS.on(CloseRound)
def _close(state: SessionState, cmd: CloseRound) -> list[Event]:
    require_active(state)
    current = open_round_numbered(state, cmd.round_number)
    if current.lots_commitment is not None:
        if cmd.lots_seed is None:
            raise Refusal("lots_seed_required", "reveal the seed committed at the opening")
        expected = lots_commitment(state.session_id, current.number, cmd.lots_seed)
        if not hmac.compare_digest(expected, current.lots_commitment):
            raise Refusal("lots_seed_mismatch", "the seed does not match the commitment")
    elif cmd.lots_seed is not None:
        raise Refusal("lots_seed_unexpected", f"round {current.number} committed to no seed")
    events: list[Event] = [
        RoundClosed(
            round_number=current.number,
            ballot_count=current.ballot_count,
            ballots_root=crypto_port.merkle_root(current.ballot_count, current.merkle_peaks),
            aggregate=tuple(
                CiphertextPair(alpha=a, beta=b)
                for a, b in crypto_port.aggregate_to_pairs(current.aggregate.value())
            ),
            lots_seed=cmd.lots_seed,
            closed_at=cmd.closed_at,
        )
    ]
    if current.ballot_count < state.settings.min_tally:
        # The tellers must not decrypt: so few ballots could expose how someone voted.
        events.append(
            RoundVoided(
                round_number=current.number,
                reason="below_min_tally",
                note=f"{current.ballot_count} ballots, fewer than {state.settings.min_tally}",
            )
        )
    return events


@HANDLERS.on(VoidRound)
def _void(state: SessionState, cmd: VoidRound) -> list[Event]:
    require_active(state)
    current = state.round_in_progress
    if current is None or current.number != cmd.round_number:
        raise Refusal(
            "round_not_voidable", f"round {cmd.round_number} is not open or awaiting its tally"
        )
    return [RoundVoided(round_number=current.number, reason="declared", note=cmd.note)]


def _decision_events(
    current: RoundState, outcome: RoundOutcome, counts: tuple[int, ...]
) -> list[Event]:
    """The events that follow a tallied round's decision (after ``RoundTallied``)."""
    votes = dict(zip(current.options, counts, strict=True))
    n = current.number
    if outcome.decision == "elected":
        assert outcome.elected is not None
        won = votes[YES] if current.kind == "confirmation" else votes[outcome.elected]
        return [
            CandidateElected(
                candidate_id=outcome.elected,
                by="confirmation" if current.kind == "confirmation" else "ballot",
                round_number=n,
                votes=won,
                valid=outcome.valid,
                required=outcome.required,
            )
        ]
    if outcome.decision == "eliminated":
        assert outcome.eliminated is not None and outcome.eliminated_by is not None
        events: list[Event] = []
        if outcome.eliminated_by == "lots":
            assert current.lots_seed is not None
            events.append(
                LotsDrawn(
                    round_number=n,
                    seed=current.lots_seed,
                    tied=outcome.tied,
                    loser=outcome.eliminated,
                )
            )
        events.append(
            CandidateEliminated(
                candidate_id=outcome.eliminated,
                round_number=n,
                by=outcome.eliminated_by,
                votes=votes[outcome.eliminated],
            )
        )
        return events
    if outcome.decision == "not_confirmed":
        assert current.candidate is not None and outcome.required is not None
        return [
            ConfirmationFailed(
                candidate_id=current.candidate,
                round_number=n,
                yes=votes[YES],
                no=votes[NO],
                required=outcome.required,
            )
        ]
    return []  # inconclusive, or another tie-break ballot is needed


def tally_outcome(
    state: SessionState, current: RoundState, counts: tuple[int, ...]
) -> RoundOutcome:
    """The decision of ``current`` (the round being tallied) given its counts."""
    return round_outcome(
        kind=current.kind,
        options=current.options,
        counts=counts,
        settings=state.settings,
        inconclusive_before=inconclusive_election_rounds(state),
        session_id=state.session_id,
        round_number=current.number,
        lots_seed=current.lots_seed,
        confirmation_candidate=current.candidate,
    )


@HANDLERS.on(SubmitDecryptionShare)
def _share(state: SessionState, cmd: SubmitDecryptionShare) -> list[Event]:
    require_active(state)
    current = state.current_round
    if current is None or current.number != cmd.round_number or current.status != "closed":
        raise Refusal(
            "round_not_closed",
            f"round {cmd.round_number} is not awaiting its tally",
            round=cmd.round_number,
        )
    teller = state.tellers.get(cmd.teller_id)
    if teller is None:
        raise Refusal("unknown_teller", f"no teller {cmd.teller_id!r}")
    # Every teller has a verification key once the key is published (rounds come later);
    # a disqualified dealer's shares are still checked against it, so they cannot cheat.
    vk = state.ceremony.verification_keys[teller.index]
    n = len(current.options)
    share = crypto_port.parse_share(cmd.share, teller.index, n, cmd.teller_id)
    previous = current.shares.get(teller.index)
    if previous is not None:
        if previous == share:
            return []  # the same share re-sent
        raise Refusal(
            "share_already_submitted",
            f"{cmd.teller_id} already submitted a share",
            teller=cmd.teller_id,
        )
    ctx = crypto_port.tally_context(state.session_id, current.number, current.options)
    crypto_port.check_share(ctx, current.aggregate.value(), share, vk, cmd.teller_id)
    events: list[Event] = [
        DecryptionShareSubmitted(
            round_number=current.number,
            teller_id=cmd.teller_id,
            index=teller.index,
            share=cmd.share,
        )
    ]
    if len(current.shares) + 1 < state.settings.threshold:
        return events
    counts = crypto_port.combine_shares(
        current.aggregate.value(), [*current.shares.values(), share], current.ballot_count
    )
    if sum(counts) != current.ballot_count:
        raise Refusal(
            "tally_inconsistent",
            f"the counts sum to {sum(counts)}, the round has {current.ballot_count} ballots",
        )
    outcome = tally_outcome(state, current, counts)
    events.append(
        RoundTallied(
            round_number=current.number,
            kind=current.kind,
            counts=dict(zip(current.options, counts, strict=True)),
            blank=outcome.blank,
            valid=outcome.valid,
            required=outcome.required,
            decision=outcome.decision,
            elected=outcome.elected,
            eliminated=outcome.eliminated,
            eliminated_by=outcome.eliminated_by,
            tied=outcome.tied,
        )
    )
    events.extend(_decision_events(current, outcome, counts))
    return events


@HANDLERS.on(WithdrawCandidate)
def _withdraw(state: SessionState, cmd: WithdrawCandidate) -> list[Event]:
    require_active(state)
    require_between_rounds(state, "a withdrawal")
    candidate = state.candidates.get(cmd.candidate_id)
    if candidate is None:
        raise Refusal("unknown_candidate", f"no candidate {cmd.candidate_id!r}")
    if candidate.status != "standing":
        raise Refusal(
            "candidate_not_standing",
            f"{cmd.candidate_id} is {candidate.status}",
            candidate=cmd.candidate_id,
        )
    return [CandidateWithdrawn(candidate_id=cmd.candidate_id, reason=cmd.reason)]


@HANDLERS.on(DeclareElectedByAcclamation)
def _acclaim(state: SessionState, cmd: DeclareElectedByAcclamation) -> list[Event]:
    require_active(state)
    require_between_rounds(state, "an acclamation")
    if state.settings.sole_candidate != "acclamation":
        raise Refusal("confirmation_required", "a sole candidate faces a confirmation ballot")
    candidate = state.candidates.get(cmd.candidate_id)
    if candidate is None:
        raise Refusal("unknown_candidate", f"no candidate {cmd.candidate_id!r}")
    if candidate.status != "standing":
        raise Refusal(
            "candidate_not_standing",
            f"{cmd.candidate_id} is {candidate.status}",
            candidate=cmd.candidate_id,
        )
    standing = state.standing()
    if standing != (cmd.candidate_id,) or state.pending_tiebreak:
        raise Refusal(
            "not_sole_candidate",
            f"{len(standing)} candidates are standing",
            standing=len(standing),
        )
    return [CandidateElected(candidate_id=cmd.candidate_id, by="acclamation")]


# -- bookkeeping and the end -------------------------------------------------------------------


@HANDLERS.on(RecordCheckpoint)
def _checkpoint(state: SessionState, cmd: RecordCheckpoint) -> list[Event]:
    if state.phase == "new":
        raise Refusal("session_not_convened", "convene the session first")
    if not 1 <= cmd.position <= state.event_count:
        raise Refusal(
            "invalid_checkpoint",
            f"position {cmd.position} is not in the log (1..{state.event_count})",
        )
    if state.last_checkpoint is not None and cmd.position <= state.last_checkpoint:
        raise Refusal(
            "invalid_checkpoint",
            f"position {cmd.position} is not after the last checkpoint ({state.last_checkpoint})",
        )
    if state.checkpoint_key is not None:
        crypto_port.check_checkpoint(
            state.checkpoint_key, cmd.position, cmd.head_hash, cmd.log_root, cmd.signature
        )
    return [
        CheckpointSigned(
            position=cmd.position,
            head_hash=cmd.head_hash,
            log_root=cmd.log_root,
            signature=cmd.signature,
        )
    ]


@HANDLERS.on(AdjournSession)
def _adjourn(state: SessionState, cmd: AdjournSession) -> list[Event]:
    require_active(state)
    require_between_rounds(state, "adjournment")
    return [SessionAdjourned(adjourned_at=cmd.adjourned_at, reason=cmd.reason)]


# -- the entry point ---------------------------------------------------------------------------

"""``evolve(state, event) -> state``: the one fold over the log, and ``replay``.

``evolve`` applies a recorded fact; it decides nothing (the decisions are in the events,
made by :func:`ballot.domain.decide`). It only re-derives what the facts imply — the running
aggregate of a round and the Merkle peaks of its ballots, so that closing a round is cheap
and a replay reproduces them — and raises :class:`InconsistentLog` if an event cannot follow
the state (a log that ``decide`` could not have produced).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import singledispatch
from typing import TypeVar

from ballot.domain import crypto_port
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    BallotCast,
    BallotChallenged,
    CandidateElected,
    CandidateEliminated,
    CandidateNominated,
    CandidateWithdrawn,
    CheckpointCosigned,
    CheckpointSigned,
    ConfirmationFailed,
    CredentialsAccepted,
    DecryptionShareSubmitted,
    DelegationEnrolled,
    ElectionKeyPublished,
    Event,
    KeyCeremonyCommitted,
    KeyCeremonyComplaintAnswered,
    KeyCeremonyComplaintFiled,
    KeyCeremonySharesDealt,
    LotsDrawn,
    MemberStateRegistered,
    PresenceRecorded,
    RoundClosed,
    RoundOpened,
    RoundTallied,
    RoundVoided,
    SessionAdjourned,
    SessionConvened,
    TellersAppointed,
    VotingRightsChanged,
    WitnessAdmitted,
)
from ballot.domain.rules import RoundOutcome
from ballot.domain.state import (
    CandidateState,
    CheckpointState,
    Elected,
    MemberState,
    RoundState,
    SessionState,
    TellerState,
    WitnessState,
    assoc,
    frozen_map,
    initial_state,
)
from ballot.domain.values import b64decode
from ballot.domain.verification import VerifiedCast
from crypto.ballot import BallotContext, EncryptedBallot
from crypto.group import GroupError, Point

T = TypeVar("T")


class InconsistentLog(ValueError):
    """An event that cannot follow the state it is applied to."""

    code = "inconsistent_log"


def _member(state: SessionState, member_id: str) -> MemberState:
    member = state.members.get(member_id)
    if member is None:
        raise InconsistentLog(f"unknown member {member_id!r}")
    return member


def _candidate(state: SessionState, candidate_id: str) -> CandidateState:
    candidate = state.candidates.get(candidate_id)
    if candidate is None:
        raise InconsistentLog(f"unknown candidate {candidate_id!r}")
    return candidate


def _round(state: SessionState, number: int) -> RoundState:
    current = state.current_round
    if current is None or current.number != number:
        raise InconsistentLog(f"round {number} is not the current round")
    return current


def _point(data: bytes, what: str) -> Point:
    try:
        return Point.decode(data)
    except GroupError as exc:
        raise InconsistentLog(f"{what}: {exc}") from None


@singledispatch
def _apply(event: Event, state: SessionState) -> SessionState:
    raise InconsistentLog(f"no evolution rule for {type(event).__name__}")


@_apply.register
def _(event: SessionConvened, state: SessionState) -> SessionState:
    if state.phase != "new":
        raise InconsistentLog("the session is already convened")
    return replace(
        state,
        phase="convened",
        session_id=event.session_id,
        title=event.title,
        convened_at=event.convened_at,
        settings=event.settings,
        checkpoint_key=event.checkpoint_key,
    )


@_apply.register
def _(event: MemberStateRegistered, state: SessionState) -> SessionState:
    member = MemberState(event.member_id, event.name, observer=event.observer)
    return replace(state, members=assoc(state.members, event.member_id, member))


@_apply.register
def _(event: CandidateNominated, state: SessionState) -> SessionState:
    candidate = CandidateState(event.candidate_id, event.name, event.nominated_by)
    return replace(state, candidates=assoc(state.candidates, event.candidate_id, candidate))


@_apply.register
def _(event: CredentialsAccepted, state: SessionState) -> SessionState:
    member = replace(
        _member(state, event.member_id),
        credentials_accepted=True,
        code_digest=event.enrollment_code_digest,
        code_expires_at=event.expires_at,
        code_used=False,
        # A new code is issued when a delegation lost its code or its key: whatever key was
        # enrolled before is revoked at once, so a lost device cannot vote.
        public_key=None,
    )
    return replace(state, members=assoc(state.members, event.member_id, member))


@_apply.register
def _(event: DelegationEnrolled, state: SessionState) -> SessionState:
    if event.role == "member":
        member = replace(
            _member(state, event.delegation_id), code_used=True, public_key=event.public_key
        )
        return replace(state, members=assoc(state.members, event.delegation_id, member))
    teller = state.tellers.get(event.delegation_id)
    if teller is None:
        raise InconsistentLog(f"unknown teller {event.delegation_id!r}")
    teller = replace(teller, code_used=True, public_key=event.public_key)
    return replace(state, tellers=assoc(state.tellers, event.delegation_id, teller))


@_apply.register
def _(event: PresenceRecorded, state: SessionState) -> SessionState:
    member = replace(_member(state, event.member_id), present=event.present)
    return replace(state, members=assoc(state.members, event.member_id, member))


@_apply.register
def _(event: VotingRightsChanged, state: SessionState) -> SessionState:
    member = replace(
        _member(state, event.member_id),
        arrears=event.arrears,
        restored=event.restored,
        suspended=event.suspended,
    )
    return replace(state, members=assoc(state.members, event.member_id, member))


@_apply.register
def _(event: TellersAppointed, state: SessionState) -> SessionState:
    tellers = {
        t.teller_id: TellerState(
            t.teller_id, t.index, t.name, t.enrollment_code_digest, t.expires_at
        )
        for t in event.tellers
    }
    return replace(state, tellers=frozen_map(tellers))


def _decoded(parse: Callable[[], T]) -> T:
    try:
        return parse()
    except Refusal as exc:
        raise InconsistentLog(f"recorded message does not decode: {exc.message}") from None


@_apply.register
def _(event: KeyCeremonyCommitted, state: SessionState) -> SessionState:
    commitment = _decoded(lambda: crypto_port.parse_commitment(event.commitment, event.teller_id))
    ceremony = replace(
        state.ceremony, commitments=assoc(state.ceremony.commitments, event.index, commitment)
    )
    return replace(state, ceremony=ceremony)


@_apply.register
def _(event: KeyCeremonySharesDealt, state: SessionState) -> SessionState:
    shares = _decoded(
        lambda: tuple(
            crypto_port.parse_encrypted_share(s.share, event.teller_id) for s in event.shares
        )
    )
    ceremony = replace(state.ceremony, dealt=assoc(state.ceremony.dealt, event.index, shares))
    return replace(state, ceremony=ceremony)


@_apply.register
def _(event: KeyCeremonyComplaintFiled, state: SessionState) -> SessionState:
    complaint = _decoded(lambda: crypto_port.parse_complaint(event.complaint, event.teller_id))
    ceremony = replace(state.ceremony, complaints=(*state.ceremony.complaints, complaint))
    return replace(state, ceremony=ceremony)


@_apply.register
def _(event: KeyCeremonyComplaintAnswered, state: SessionState) -> SessionState:
    answer = _decoded(lambda: crypto_port.parse_answer(event.answer, event.teller_id))
    ceremony = replace(state.ceremony, answers=(*state.ceremony.answers, answer))
    return replace(state, ceremony=ceremony)


@_apply.register
def _(event: ElectionKeyPublished, state: SessionState) -> SessionState:
    ceremony = replace(
        state.ceremony,
        election_key=_point(event.election_key, "election key"),
        qualified=event.qualified,
        verification_keys=frozen_map(
            {
                vk.index: _point(vk.key, f"verification key {vk.index}")
                for vk in event.verification_keys
            }
        ),
    )
    return replace(state, ceremony=ceremony)


@_apply.register
def _(event: RoundOpened, state: SessionState) -> SessionState:
    if state.round_in_progress is not None:
        raise InconsistentLog("a round opened while another is in progress")
    round_state = RoundState(
        number=event.round_number,
        kind=event.kind,
        options=tuple(event.options),
        candidate=event.candidate,
        roll=frozenset(event.roll),
        roll_order=tuple(event.roll),
        present=event.present,
        quorum_base=event.quorum_base,
        election_key=_point(event.election_key, "round election key"),
        lots_commitment=event.lots_commitment,
        opened_at=event.opened_at,
        series=state.series,
        aggregate=crypto_port.empty_aggregate(len(event.options)),
    )
    return replace(state, rounds=(*state.rounds, round_state), nominations_open=False)


@_apply.register
def _(event: BallotCast, state: SessionState) -> SessionState:
    current = _round(state, event.round_number)
    ctx = _ballot_context(state, current, event)
    try:
        ballot = crypto_port.parse_ballot(event.ballot, len(current.options))
    except Refusal as exc:
        raise InconsistentLog(f"recorded ballot is malformed: {exc.message}") from None
    return _with_ballot(
        state, current, event, ballot, crypto_port.tracking_digest(ctx, ballot, event.signature)
    )


def _ballot_context(state: SessionState, current: RoundState, event: BallotCast) -> BallotContext:
    if current.status != "open":
        raise InconsistentLog(f"ballot cast in round {current.number}, which is not open")
    return crypto_port.ballot_context(
        state.session_id, current.number, current.election_key, event.delegation_id, current.options
    )


def _with_ballot(
    state: SessionState,
    current: RoundState,
    event: BallotCast,
    ballot: EncryptedBallot,
    digest: bytes,
) -> SessionState:
    updated = replace(
        current,
        voters=assoc(current.voters, event.delegation_id, digest),
        aggregate=crypto_port.add_to_aggregate(current.aggregate, ballot),
        merkle_peaks=crypto_port.merkle_append(current.ballot_count, current.merkle_peaks, digest),
        ballot_count=current.ballot_count + 1,
    )
    return state.with_round(updated)


def _verified_fold(
    state: SessionState, event: BallotCast, cast: VerifiedCast
) -> SessionState | None:
    """The fold of the ``BallotCast`` that ``decide`` made of ``cast``, from the decoding its
    verification holds (None if ``event`` is not that ballot: then it is decoded)."""
    cmd = cast.command
    if event.signature != cmd.signature or not (
        event.ballot is cmd.ballot or event.ballot == cmd.ballot
    ):
        return None
    if (event.delegation_id, event.round_number) != (cmd.delegation_id, cmd.round_number):
        return None
    current = _round(state, event.round_number)
    if _ballot_context(state, current, event) != cast.context:
        return None
    return _with_ballot(state, current, event, cast.ballot, cast.tracking_hash)


@_apply.register
def _(event: RoundClosed, state: SessionState) -> SessionState:
    current = _round(state, event.round_number)
    updated = replace(
        current,
        status="closed",
        ballots_root=event.ballots_root,
        closed_at=event.closed_at,
        lots_seed=event.lots_seed,
    )
    return state.with_round(updated)


@_apply.register
def _(event: DecryptionShareSubmitted, state: SessionState) -> SessionState:
    current = _round(state, event.round_number)
    share = _decoded(
        lambda: crypto_port.parse_share(
            event.share, event.index, len(current.options), event.teller_id
        )
    )
    updated = replace(current, shares=assoc(current.shares, event.index, share))
    return state.with_round(updated)


@_apply.register
def _(event: RoundTallied, state: SessionState) -> SessionState:
    current = _round(state, event.round_number)
    outcome = RoundOutcome(
        blank=event.blank,
        valid=event.valid,
        required=event.required,
        decision=event.decision,
        elected=event.elected,
        eliminated=event.eliminated,
        eliminated_by=event.eliminated_by,
        tied=tuple(event.tied),
    )
    counts = tuple(event.counts[option] for option in current.options)
    updated = replace(current, status="tallied", counts=counts, outcome=outcome)
    if event.decision == "tiebreak_required":
        pending = tuple(event.tied)
    elif current.kind == "tiebreak":
        pending = ()
    else:
        pending = state.pending_tiebreak
    return replace(state.with_round(updated), pending_tiebreak=pending)


@_apply.register
def _(event: LotsDrawn, state: SessionState) -> SessionState:
    _round(state, event.round_number)  # the draw is recorded; the elimination follows
    return state


@_apply.register
def _(event: CandidateEliminated, state: SessionState) -> SessionState:
    candidate = replace(
        _candidate(state, event.candidate_id),
        status="eliminated",
        round_number=event.round_number,
    )
    return replace(state, candidates=assoc(state.candidates, event.candidate_id, candidate))


@_apply.register
def _(event: CandidateWithdrawn, state: SessionState) -> SessionState:
    candidate = replace(_candidate(state, event.candidate_id), status="withdrawn")
    state = replace(state, candidates=assoc(state.candidates, event.candidate_id, candidate))
    # A withdrawal from a tie for fewest does what the tie-break ballot was for: the field
    # shrinks by one. The pending tie-break is therefore cancelled.
    if event.candidate_id in state.pending_tiebreak:
        state = replace(state, pending_tiebreak=())
    # With nobody left standing the session can only go on with new nominations.
    if not state.standing():
        state = replace(state, nominations_open=True)
    return state


@_apply.register
def _(event: CandidateElected, state: SessionState) -> SessionState:
    if state.elected is not None:
        raise InconsistentLog("a second CandidateElected")
    candidate = replace(
        _candidate(state, event.candidate_id), status="elected", round_number=event.round_number
    )
    elected = Elected(
        event.candidate_id,
        event.by,
        event.round_number,
        event.votes,
        event.valid,
        event.required,
    )
    return replace(
        state,
        candidates=assoc(state.candidates, event.candidate_id, candidate),
        phase="elected",
        elected=elected,
    )


@_apply.register
def _(event: ConfirmationFailed, state: SessionState) -> SessionState:
    _round(state, event.round_number)
    return replace(state, nominations_open=True, series=state.series + 1)


@_apply.register
def _(event: RoundVoided, state: SessionState) -> SessionState:
    current = _round(state, event.round_number)
    return state.with_round(replace(current, status="voided", void_reason=event.reason))


@_apply.register
def _(event: CheckpointSigned, state: SessionState) -> SessionState:
    signed = CheckpointState(event.position, event.head_hash, event.log_root)
    return replace(
        state,
        last_checkpoint=event.position,
        checkpoints={**state.checkpoints, event.position: signed},
    )


@_apply.register
def _(event: BallotChallenged, state: SessionState) -> SessionState:
    # A spoiled ballot changes nothing that counts: the round's voters, set and aggregate
    # stay as they were (the log keeps it for anyone to re-check). Its nonces are public now:
    # the round remembers them, so that no cast ballot may reuse one.
    current = state.current_round
    if current is None or current.number != event.round_number:
        return state
    alphas: set[bytes] = set()
    with contextlib.suppress(KeyError, TypeError, ValueError):  # a refused, malformed one
        alphas = {b64decode(c["alpha"]) for c in event.ballot["ciphertexts"]}
    return state.with_round(replace(current, spoiled=current.spoiled | alphas))


@_apply.register
def _(event: WitnessAdmitted, state: SessionState) -> SessionState:
    witness = WitnessState(event.witness_id, event.name, event.public_key)
    return replace(state, witnesses={**state.witnesses, event.witness_id: witness})


@_apply.register
def _(event: CheckpointCosigned, state: SessionState) -> SessionState:
    checkpoint = state.checkpoints.get(event.position)
    if checkpoint is None:
        raise InconsistentLog(f"a cosignature of position {event.position}, never checkpointed")
    cosigned = replace(checkpoint, cosigners=(*checkpoint.cosigners, event.witness_id))
    return replace(state, checkpoints={**state.checkpoints, event.position: cosigned})


@_apply.register
def _(event: SessionAdjourned, state: SessionState) -> SessionState:
    return replace(state, phase="adjourned", adjourned_at=event.adjourned_at)


def evolve(state: SessionState, event: Event, *, cast: VerifiedCast | None = None) -> SessionState:
    """The state after ``event``. Pure; raises :class:`InconsistentLog` if the event cannot
    follow ``state``.

    ``cast``: the verification a ``BallotCast`` was decided from (the caller that just
    decided it), whose decoding then is not repeated (~0.4 ms a ballot)."""
    if state.phase == "new" and not isinstance(event, SessionConvened):
        raise InconsistentLog(f"{event.event_type} before SessionConvened")
    after = None
    if cast is not None and isinstance(event, BallotCast):
        after = _verified_fold(state, event, cast)
    if after is None:
        after = _apply(event, state)
    return replace(after, event_count=state.event_count + 1)


def replay(events: Iterable[Event]) -> SessionState:
    """Fold ``events`` from :func:`initial_state`."""
    state = initial_state()
    for event in events:
        state = evolve(state, event)
    return state

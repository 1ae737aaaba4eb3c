"""Read models: pure functions of the folded state (and so pure folds of the log).

Each returns frozen pydantic models that the API serializes as they are. None of them ever
exposes a ballot's content: turnout says who deposited, the results board says how many
voted for what in aggregate.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from ballot.domain.errors import Refusal
from ballot.domain.round_plan import next_round_plan
from ballot.domain.rules import (
    Decision,
    ElectedBy,
    EliminatedBy,
    RoundKind,
    has_voting_rights,
    is_eligible,
)
from ballot.domain.settings import SessionSettings
from ballot.domain.state import CandidateStatus, Phase, RoundState, RoundStatus, SessionState
from ballot.domain.values import BLANK, Bytes32, DomainModel


class RollEntry(DomainModel):
    """One member state on the roll: credentials, presence, voting rights, eligibility now."""

    member_id: str
    name: str
    observer: bool
    credentials_accepted: bool
    enrolled: bool
    present: bool
    arrears: bool
    restored: bool
    suspended: bool
    voting_rights: bool
    eligible: bool


def roll(state: SessionState) -> tuple[RollEntry, ...]:
    """Every member state and observer, in registration order."""
    return tuple(
        RollEntry(
            member_id=m.member_id,
            name=m.name,
            observer=m.observer,
            credentials_accepted=m.credentials_accepted,
            enrolled=m.public_key is not None,
            present=m.present,
            arrears=m.arrears,
            restored=m.restored,
            suspended=m.suspended,
            voting_rights=has_voting_rights(m.status),
            eligible=is_eligible(m.status),
        )
        for m in state.members.values()
    )


def enrollment_holder(state: SessionState, code_digest: bytes) -> str | None:
    """The member or teller whose unredeemed enrollment code has this SHA-256 digest, so the
    API can accept a code alone. Every candidate is compared (constant time each), so the
    answer's timing does not depend on which one matches."""
    found: str | None = None
    candidates = [
        *((m.member_id, m.code_digest, m.code_used) for m in state.members.values()),
        *((t.teller_id, t.code_digest, t.code_used) for t in state.tellers.values()),
    ]
    for principal, digest, used in candidates:
        if digest is not None and hmac.compare_digest(digest, code_digest) and not used:
            found = principal
    return found


class Turnout(DomainModel):
    """Who deposited a ballot in a round (never what): the public roll-call of the urn."""

    round_number: int
    status: RoundStatus
    eligible: int
    deposited: int
    deposited_by: tuple[str, ...]
    not_yet: tuple[str, ...]


def _round_numbered(state: SessionState, round_number: int) -> RoundState:
    if not 1 <= round_number <= len(state.rounds):
        raise KeyError(f"no round {round_number}")
    return state.rounds[round_number - 1]


def turnout(state: SessionState, round_number: int) -> Turnout:
    """Turnout of round ``round_number``: delegations in deposit order, and those on the roll
    that have not deposited (sorted). Raises ``KeyError`` for an unknown round."""
    r = _round_numbered(state, round_number)
    return Turnout(
        round_number=r.number,
        status=r.status,
        eligible=len(r.roll),
        deposited=r.ballot_count,
        deposited_by=tuple(r.voters),
        not_yet=tuple(m for m in r.roll_order if m not in r.voters),
    )


class RoundResult(DomainModel):
    """One round on the public results board.

    ``votes`` holds the count per option except blank (candidates, or yes/no); counts are
    ``None`` until the round is tallied. ``required`` is the majority needed (none for a
    tie-break ballot, which elects nobody).
    """

    round_number: int
    kind: RoundKind
    status: RoundStatus
    options: tuple[str, ...]
    candidate: str | None
    eligible: int
    present: int
    quorum_base: int
    deposited: int
    blank: int | None
    valid: int | None
    required: int | None
    votes: dict[str, int] | None
    decision: Decision | None
    elected: str | None
    eliminated: str | None
    eliminated_by: EliminatedBy | None
    tied: tuple[str, ...]
    void_reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    ballots_root: Bytes32 | None


def round_result(r: RoundState) -> RoundResult:
    """The results-board entry of one round."""
    outcome = r.outcome
    votes = (
        None
        if r.counts is None
        else {o: c for o, c in zip(r.options, r.counts, strict=True) if o != BLANK}
    )
    return RoundResult(
        round_number=r.number,
        kind=r.kind,
        status=r.status,
        options=r.options,
        candidate=r.candidate,
        eligible=len(r.roll),
        present=r.present,
        quorum_base=r.quorum_base,
        deposited=r.ballot_count,
        blank=None if outcome is None else outcome.blank,
        valid=None if outcome is None else outcome.valid,
        required=None if outcome is None else outcome.required,
        votes=votes,
        decision=None if outcome is None else outcome.decision,
        elected=None if outcome is None else outcome.elected,
        eliminated=None if outcome is None else outcome.eliminated,
        eliminated_by=None if outcome is None else outcome.eliminated_by,
        tied=() if outcome is None else outcome.tied,
        void_reason=r.void_reason,
        opened_at=r.opened_at,
        closed_at=r.closed_at,
        ballots_root=r.ballots_root,
    )


def results_board(state: SessionState) -> tuple[RoundResult, ...]:
    """Every round so far, in order."""
    return tuple(round_result(r) for r in state.rounds)


class Outcome(DomainModel):
    """The session's result."""

    candidate_id: str
    name: str
    by: ElectedBy
    round_number: int | None
    votes: int | None
    valid: int | None
    required: int | None


def final_outcome(state: SessionState) -> Outcome | None:
    """Who was elected and how, or ``None`` while nobody is."""
    e = state.elected
    if e is None:
        return None
    return Outcome(
        candidate_id=e.candidate_id,
        name=state.candidates[e.candidate_id].name,
        by=e.by,
        round_number=e.round_number,
        votes=e.votes,
        valid=e.valid,
        required=e.required,
    )


class CandidateRow(DomainModel):
    """A candidate and where it stands."""

    candidate_id: str
    name: str
    nominated_by: str | None
    status: CandidateStatus
    round_number: int | None


class TellerRow(DomainModel):
    """A teller: index, enrollment, and whether it has a verification key."""

    teller_id: str
    index: int
    name: str
    enrolled: bool
    committed: bool
    dealt: bool
    qualified: bool


class NextRound(DomainModel):
    """What opening the next round would do, or why it cannot happen now."""

    round_number: int
    kind: RoundKind | None
    options: tuple[str, ...]
    needs_lots_commitment: bool
    blocked_by: str | None


class SessionView(DomainModel):
    """The session at a glance (secretariat console, public header)."""

    session_id: str
    title: str
    phase: Phase
    convened_at: datetime | None
    settings: SessionSettings
    nominations_open: bool
    series: int
    candidates: tuple[CandidateRow, ...]
    tellers: tuple[TellerRow, ...]
    election_key: Bytes32 | None
    members: int
    present: int
    eligible_now: int
    rounds: int
    current_round: int | None
    current_round_status: RoundStatus | None
    pending_tiebreak: tuple[str, ...]
    next_round: NextRound | None
    outcome: Outcome | None


def _next_round(state: SessionState) -> NextRound | None:
    if state.phase != "convened" or state.round_in_progress is not None:
        return None
    number = len(state.rounds) + 1
    try:
        plan = next_round_plan(state)
    except Refusal as refusal:
        return NextRound(
            round_number=number,
            kind=None,
            options=(),
            needs_lots_commitment=False,
            blocked_by=refusal.code,
        )
    blocked = None if state.ceremony.published else "election_key_missing"
    return NextRound(
        round_number=number,
        kind=plan.kind,
        options=plan.options,
        needs_lots_commitment=plan.needs_lots_commitment,
        blocked_by=blocked,
    )


def session_view(state: SessionState) -> SessionView:
    """The session's phase, settings, candidates, tellers, counts and what comes next."""
    current = state.current_round
    members = [m for m in state.members.values() if not m.observer]
    return SessionView(
        session_id=state.session_id,
        title=state.title,
        phase=state.phase,
        convened_at=state.convened_at,
        settings=state.settings,
        nominations_open=state.nominations_open,
        series=state.series,
        candidates=tuple(
            CandidateRow(
                candidate_id=c.candidate_id,
                name=c.name,
                nominated_by=c.nominated_by,
                status=c.status,
                round_number=c.round_number,
            )
            for c in state.candidates.values()
        ),
        tellers=tuple(
            TellerRow(
                teller_id=t.teller_id,
                index=t.index,
                name=t.name,
                enrolled=t.public_key is not None,
                committed=t.index in state.ceremony.commitments,
                dealt=t.index in state.ceremony.dealt,
                qualified=t.index in state.ceremony.qualified,
            )
            for t in state.tellers.values()
        ),
        election_key=(
            None if state.ceremony.election_key is None else state.ceremony.election_key.encode()
        ),
        members=len(members),
        present=sum(1 for m in members if m.present),
        eligible_now=sum(1 for m in members if is_eligible(m.status)),
        rounds=len(state.rounds),
        current_round=None if current is None else current.number,
        current_round_status=None if current is None else current.status,
        pending_tiebreak=state.pending_tiebreak,
        next_round=_next_round(state),
        outcome=final_outcome(state),
    )

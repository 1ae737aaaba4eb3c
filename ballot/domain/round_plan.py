"""What the next round will be — its kind, options and whether it needs a lots commitment —
from the state alone. The rules open rounds on it and the read side shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballot.domain.errors import Refusal
from ballot.domain.rules import (
    RoundKind,
    elimination_due,
    options_for,
)
from ballot.domain.state import SessionState


@dataclass(frozen=True, slots=True)
class RoundPlan:
    """What the next round will be, from the state alone (see :func:`next_round_plan`)."""

    round_number: int
    kind: RoundKind
    options: tuple[str, ...]
    candidate: str | None
    inconclusive_before: int
    needs_lots_commitment: bool


def inconclusive_election_rounds(state: SessionState) -> int:
    """Tallied, inconclusive election rounds of the current series (what elimination counts;
    tie-break, confirmation and voided rounds do not count)."""
    return sum(
        1
        for r in state.rounds
        if r.series == state.series
        and r.kind == "election"
        and r.status == "tallied"
        and r.outcome is not None
        and r.outcome.decision != "elected"
    )


def next_round_plan(state: SessionState) -> RoundPlan:
    """The kind and options of the next round, or the refusal that explains why there is none.

    * a pending tie for fewest → a tie-break ballot among the tied (+ blank);
    * no candidate standing → ``no_candidates``;
    * one candidate standing → a confirmation ballot (yes / no / blank) if the settings say so,
      else ``sole_candidate`` (record acclamation instead);
    * otherwise an election round among the candidates standing (+ blank).

    A voided round is re-run simply by opening the next round: the state it leaves behind is
    the one it started from, so the plan — options included — is the same.
    """
    number = len(state.rounds) + 1
    before = inconclusive_election_rounds(state)
    standing = state.standing()
    kind: RoundKind
    candidate: str | None = None
    if state.pending_tiebreak:
        kind, pool = "tiebreak", state.pending_tiebreak
    elif not standing:
        raise Refusal("no_candidates", "no candidate is standing; nominate candidates first")
    elif len(standing) == 1:
        if state.settings.sole_candidate == "acclamation":
            raise Refusal(
                "sole_candidate",
                f"{standing[0]} is the only candidate standing: record election by acclamation",
            )
        kind, pool, candidate = "confirmation", standing, standing[0]
    else:
        kind, pool = "election", standing
    needs_lots = (
        kind == "election"
        and state.settings.tie_break == "lots"
        and elimination_due(before + 1, state.settings.eliminate_after)
    )
    return RoundPlan(number, kind, options_for(kind, pool), candidate, before, needs_lots)

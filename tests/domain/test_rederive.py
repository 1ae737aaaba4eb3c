"""The log re-derives: every recorded act passes the rules again and every decision is the
one the rules give. Tampering anywhere is caught at its position."""

from __future__ import annotations

import pytest

from ballot.domain import (
    DecisionMismatch,
    Event,
    SessionSettings,
    VoidRound,
    WithdrawCandidate,
    rederive,
)
from ballot.domain.values import BLANK
from tests.domain.domain_kit import Kit, spread

_LOG: dict[str, Kit] = {}


def session() -> Kit:
    """A lots session with a complaint in the ceremony, a void, an elimination by lots, a
    withdrawal and an election. Built once."""
    if "kit" not in _LOG:
        kit = Kit(settings=SessionSettings(eliminate_after=1, tie_break="lots"))
        kit.convene()
        ids = [f"M{i}" for i in range(1, 8)]
        kit.register(ids)
        kit.admit(ids)
        kit.arrears(ids[-1])
        kit.nominate("A", "B", "C", "D")
        kit.key_ceremony(complaint=True)
        kit.open_round()
        kit.vote(spread(ids[:6], {"A": 2}))
        kit.run(VoidRound(round_number=1, note="recount"))
        kit.full_round(spread(ids[:6], {"A": 3, "B": 1, "C": 1, "D": 1}))
        kit.run(WithdrawCandidate(candidate_id=kit.state.standing()[-1]))
        kit.full_round(spread(ids[:6], {"A": 5, BLANK: 1}))
        assert kit.state.phase == "elected"
        _LOG["kit"] = kit
    return _LOG["kit"].fork()


def test_honest_log_rederives_to_the_same_state() -> None:
    kit = session()
    assert rederive(kit.events) == kit.state
    assert "LotsDrawn" in {e.event_type for e in kit.events}


def _position(events: list[Event], event_type: str, nth: int = 0) -> int:
    return [i for i, e in enumerate(events) if e.event_type == event_type][nth]


def _tampered(events: list[Event], index: int, **update: object) -> list[Event]:
    out = list(events)
    out[index] = out[index].model_copy(update=update)
    return out


def test_altered_counts_are_caught() -> None:
    events = session().events
    i = _position(events, "RoundTallied")
    counts = dict(events[i].counts)  # type: ignore[attr-defined]
    counts["A"] += 1
    with pytest.raises(DecisionMismatch) as info:
        rederive(_tampered(events, i, counts=counts))
    assert info.value.position == i


def test_another_lots_loser_is_caught() -> None:
    events = session().events
    i = _position(events, "LotsDrawn")
    loser = events[i].loser  # type: ignore[attr-defined]
    other = next(c for c in events[i].tied if c != loser)  # type: ignore[attr-defined]
    with pytest.raises(DecisionMismatch):
        rederive(_tampered(events, i, loser=other))


def test_missing_or_extra_decisions_are_caught() -> None:
    events = session().events
    i = _position(events, "CandidateEliminated")
    with pytest.raises(DecisionMismatch):
        rederive(events[:i] + events[i + 1 :])
    with pytest.raises(DecisionMismatch, match="no recorded act"):
        rederive([*events[:i], events[i], *events[i:]])


def test_forged_ballot_and_roll_are_caught() -> None:
    events = session().events
    i = _position(events, "BallotCast", 3)
    with pytest.raises(DecisionMismatch, match="refused"):
        rederive(_tampered(events, i, signature=bytes(64)))
    j = _position(events, "RoundOpened", 1)
    roll = events[j].roll  # type: ignore[attr-defined]
    with pytest.raises(DecisionMismatch, match="differs"):
        rederive(_tampered(events, j, roll=(*roll, "M7")))


def test_altered_aggregate_or_close_is_caught() -> None:
    events = session().events
    i = _position(events, "RoundClosed", 1)
    with pytest.raises(DecisionMismatch):
        rederive(_tampered(events, i, ballot_count=5))
    with pytest.raises(DecisionMismatch):
        rederive(_tampered(events, i, ballots_root=bytes(32)))

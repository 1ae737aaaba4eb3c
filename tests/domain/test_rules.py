"""Table tests of the pure rule functions (no state, no crypto)."""

from __future__ import annotations

import pytest

from ballot.domain.rules import (
    RoundKind,
    RoundOutcome,
    VotingStatus,
    draw_lots,
    electoral_roll,
    elimination_due,
    fewest,
    has_quorum,
    has_voting_rights,
    is_elected,
    is_eligible,
    lots_commitment,
    options_for,
    quorum_figures,
    required,
    round_outcome,
)
from ballot.domain.settings import SessionSettings


@pytest.mark.parametrize(
    ("valid", "needed"),
    [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 2),
        (4, 3),
        (5, 4),
        (6, 4),
        (94, 63),
        (95, 64),
        (96, 64),
        (133, 89),
        (143, 96),
        (165, 110),
        (174, 116),
        (175, 117),
    ],
)
def test_required_two_thirds(valid: int, needed: int) -> None:
    assert required(valid) == needed
    # `required` is the smallest v with 3v >= 2*valid
    assert 3 * needed >= 2 * valid
    assert needed == 0 or 3 * (needed - 1) < 2 * valid


@pytest.mark.parametrize("valid", range(200))
def test_is_elected_agrees_with_required(valid: int) -> None:
    need = required(valid)
    for votes in range(valid + 1):
        assert is_elected(votes, valid) == (valid > 0 and votes >= need)


def test_valid_zero_elects_nobody() -> None:
    assert not is_elected(0, 0)
    assert required(0) == 0


def test_required_other_fraction() -> None:
    assert required(10, 1, 2) == 5
    assert is_elected(5, 10, 1, 2)
    assert required(10, 3, 4) == 8


def test_required_rejects_negative() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        required(-1)


def _s(
    *,
    observer: bool = False,
    creds: bool = True,
    present: bool = True,
    arrears: bool = False,
    restored: bool = False,
    suspended: bool = False,
) -> VotingStatus:
    return VotingStatus(observer, creds, present, arrears, restored, suspended)


@pytest.mark.parametrize(
    ("status", "eligible"),
    [
        (_s(), True),
        (_s(creds=False), False),
        (_s(present=False), False),
        (_s(arrears=True), False),
        (_s(arrears=True, restored=True), True),
        (_s(suspended=True), False),
        (_s(arrears=True, restored=True, suspended=True), False),
        (_s(observer=True), False),
        (_s(creds=False, present=False), False),
    ],
)
def test_eligibility_table(status: VotingStatus, eligible: bool) -> None:
    assert is_eligible(status) is eligible


def test_voting_rights_ignore_presence_and_credentials() -> None:
    assert has_voting_rights(_s(creds=False, present=False))
    assert not has_voting_rights(_s(observer=True))


def test_roll_is_sorted_eligible_ids() -> None:
    statuses = {"ZAF": _s(), "ARG": _s(), "BRA": _s(present=False), "OBS": _s(observer=True)}
    assert electoral_roll(statuses) == ("ARG", "ZAF")


@pytest.mark.parametrize(
    ("present", "base", "ok"),
    [(0, 0, False), (1, 1, True), (1, 2, False), (2, 3, True), (87, 175, False), (88, 175, True)],
)
def test_quorum_is_strict_majority(present: int, base: int, ok: bool) -> None:
    assert has_quorum(present, base) is ok


def test_quorum_figures_by_base() -> None:
    statuses = {
        "A": _s(),
        "B": _s(present=False),
        "C": _s(arrears=True),  # present, no vote
        "D": _s(arrears=True, present=False),
        "O": _s(observer=True),
    }
    assert quorum_figures(statuses, "members") == (2, 4)
    assert quorum_figures(statuses, "voting_members") == (1, 2)


def test_elimination_due() -> None:
    assert not elimination_due(2, 3)
    assert elimination_due(3, 3)
    assert elimination_due(7, 3)
    assert not elimination_due(100, 0)
    assert elimination_due(1, 1)


def test_fewest_and_options() -> None:
    assert fewest({"a": 3, "b": 1, "c": 1}) == ("b", "c")
    assert fewest({"a": 3, "b": 1}) == ("b",)
    assert fewest({}) == ()
    assert options_for("election", ["b", "a"]) == ("a", "b", "blank")
    assert options_for("confirmation", ["a"]) == ("yes", "no", "blank")


def test_lots_are_deterministic_and_order_free() -> None:
    seed = bytes(range(32))
    a = draw_lots(seed, "s", 4, ["c", "a", "b"])
    assert a == draw_lots(seed, "s", 4, ["a", "b", "c"])
    assert a in {"a", "b", "c"}
    losers = {draw_lots(bytes([i]) * 32, "s", 4, ["a", "b", "c"]) for i in range(40)}
    assert losers == {"a", "b", "c"}
    assert len(lots_commitment("s", 4, seed)) == 32
    assert lots_commitment("s", 4, seed) != lots_commitment("s", 5, seed)
    with pytest.raises(ValueError, match="no tied"):
        draw_lots(seed, "s", 1, [])


OPTS = ("a", "b", "c", "blank")


def _outcome(counts: tuple[int, ...], before: int = 0, **settings: object) -> RoundOutcome:
    return round_outcome(
        kind="election",
        options=OPTS,
        counts=counts,
        settings=SessionSettings.model_validate(settings),
        inconclusive_before=before,
        session_id="s",
        round_number=before + 1,
        lots_seed=bytes(32),
    )


def test_outcome_elected() -> None:
    o = _outcome((110, 30, 25, 10))
    assert (o.decision, o.elected, o.valid, o.blank, o.required) == ("elected", "a", 165, 10, 110)


def test_outcome_inconclusive_then_elimination() -> None:
    assert _outcome((100, 40, 25, 0), before=1).decision == "inconclusive"
    o = _outcome((100, 40, 25, 0), before=2)
    assert (o.decision, o.eliminated, o.eliminated_by) == ("eliminated", "c", "fewest_votes")
    assert _outcome((100, 40, 25, 0), before=9, eliminate_after=0).decision == "inconclusive"


def test_outcome_tie_for_fewest() -> None:
    o = _outcome((100, 30, 30, 5), before=2)
    assert (o.decision, o.tied) == ("tiebreak_required", ("b", "c"))
    o = _outcome((100, 30, 30, 5), before=2, tie_break="lots")
    assert o.decision == "eliminated"
    assert o.eliminated_by == "lots"
    assert o.eliminated == draw_lots(bytes(32), "s", 3, ["b", "c"])


def _special(kind: RoundKind, counts: tuple[int, ...]) -> RoundOutcome:
    options = ("b", "c", "blank") if kind == "tiebreak" else ("yes", "no", "blank")
    return round_outcome(
        kind=kind,
        options=options,
        counts=counts,
        settings=SessionSettings(),
        inconclusive_before=0,
        session_id="s",
        round_number=9,
        lots_seed=None,
        confirmation_candidate="a" if kind == "confirmation" else None,
    )


def test_outcome_tiebreak_and_confirmation() -> None:
    o = _special("tiebreak", (7, 6, 1))
    assert (o.decision, o.eliminated, o.eliminated_by, o.required) == (
        "eliminated",
        "c",
        "tiebreak",
        None,
    )
    o = _special("tiebreak", (6, 6, 1))
    assert (o.decision, o.tied) == ("tiebreak_required", ("b", "c"))
    o = _special("confirmation", (20, 10, 50))
    assert (o.decision, o.elected, o.valid, o.required) == ("elected", "a", 30, 20)
    assert _special("confirmation", (19, 11, 0)).decision == "not_confirmed"
    o = _special("confirmation", (0, 0, 9))
    assert (o.decision, o.valid) == ("not_confirmed", 0)


def test_settings_validation() -> None:
    with pytest.raises(ValueError, match="threshold"):
        SessionSettings(tellers=2, threshold=3)
    with pytest.raises(ValueError, match="one half"):
        SessionSettings(majority_numerator=1, majority_denominator=2)
    with pytest.raises(ValueError, match="extra"):
        SessionSettings.model_validate({"bogus": 1})

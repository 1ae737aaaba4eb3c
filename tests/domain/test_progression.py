"""Progression rules: ties for fewest (ballot and lots), confirmation, voided rounds,
withdrawals."""

from __future__ import annotations

from ballot.domain import (
    CloseRound,
    DeclareElectedByAcclamation,
    NominateCandidate,
    OpenRound,
    RecordPresence,
    SessionSettings,
    VoidRound,
    WithdrawCandidate,
    draw_lots,
    final_outcome,
    lots_commitment,
    next_round_plan,
    results_board,
    session_view,
)
from ballot.domain.events import CandidateEliminated, LotsDrawn, RoundTallied
from ballot.domain.values import BLANK
from tests.domain.domain_kit import Kit, spread, types


def _pending(kit: Kit) -> tuple[str, ...]:
    return kit.state.pending_tiebreak


def _kit(n: int = 9, **settings: object) -> tuple[Kit, list[str]]:
    kit = Kit(settings=SessionSettings.model_validate(settings))
    ids = kit.setup(n, ["A", "B", "C"])
    return kit, ids


def test_tie_for_fewest_settled_by_tiebreak_ballots() -> None:
    kit, ids = _kit(eliminate_after=1)
    events = kit.full_round(spread(ids, {"A": 5, "B": 2, "C": 2}))
    assert types(events)[-1] == "RoundTallied"
    tallied = events[-1]
    assert isinstance(tallied, RoundTallied)
    assert (tallied.decision, tallied.tied) == ("tiebreak_required", ("B", "C"))
    assert _pending(kit) == ("B", "C")

    plan = next_round_plan(kit.state)
    assert (plan.kind, plan.options) == ("tiebreak", ("B", "C", BLANK))
    # a tie again: another tie-break ballot among the same
    events = kit.full_round(spread(ids, {"B": 4, "C": 4, BLANK: 1}))
    assert events[-1].event_type == "RoundTallied"
    assert kit.state.rounds[-1].outcome is not None
    assert kit.state.rounds[-1].outcome.decision == "tiebreak_required"
    assert kit.state.rounds[-1].outcome.required is None
    # settled: C has fewest in the tie-break ballot
    events = kit.full_round(spread(ids, {"B": 5, "C": 3, BLANK: 1}))
    elim = events[-1]
    assert isinstance(elim, CandidateEliminated)
    assert (elim.candidate_id, elim.by, elim.votes) == ("C", "tiebreak", 3)
    assert _pending(kit) == ()
    # back to an election round among those standing; tie-break rounds did not count
    plan = next_round_plan(kit.state)
    assert (plan.kind, plan.options) == ("election", ("A", "B", BLANK))
    events = kit.full_round(spread(ids, {"A": 7, "B": 2}))
    assert types(events)[-2:] == ["RoundTallied", "CandidateElected"]
    outcome = final_outcome(kit.state)
    assert outcome is not None
    assert (outcome.candidate_id, outcome.by, outcome.votes, outcome.valid, outcome.required) == (
        "A",
        "ballot",
        7,
        9,
        6,
    )
    assert kit.replayed() == kit.state == kit.audited()


def test_tie_for_fewest_settled_by_lots() -> None:
    kit, ids = _kit(eliminate_after=1, tie_break="lots")
    kit.refuse(OpenRound(round_number=1, opened_at=kit.tick()), "lots_commitment_required")
    kit.open_round()
    opened = kit.state.rounds[0]
    seed = kit.seeds[1]
    assert opened.lots_commitment == lots_commitment(kit.session_id, 1, seed)
    kit.vote(spread(ids, {"A": 5, "B": 2, "C": 2}))
    # the seed must be the committed one
    kit.refuse(CloseRound(round_number=1, closed_at=kit.tick()), "lots_seed_required")
    kit.refuse(
        CloseRound(round_number=1, closed_at=kit.tick(), lots_seed=bytes(32)),
        "lots_seed_mismatch",
    )
    kit.close()
    events = kit.tally()
    assert types(events)[-3:] == ["RoundTallied", "LotsDrawn", "CandidateEliminated"]
    drawn = events[-2]
    assert isinstance(drawn, LotsDrawn)
    loser = draw_lots(seed, kit.session_id, 1, ["B", "C"])
    assert (drawn.seed, drawn.tied, drawn.loser) == (seed, ("B", "C"), loser)
    elim = events[-1]
    assert isinstance(elim, CandidateEliminated)
    assert (elim.candidate_id, elim.by) == (loser, "lots")
    board = results_board(kit.state)[0]
    assert (board.decision, board.eliminated_by, board.tied) == ("eliminated", "lots", ("B", "C"))
    assert kit.replayed() == kit.state == kit.audited()


def test_lots_seed_unexpected_when_nothing_committed() -> None:
    kit, ids = _kit(eliminate_after=3, tie_break="lots")
    assert not next_round_plan(kit.state).needs_lots_commitment  # round 1 cannot eliminate
    kit.open_round()
    kit.vote(spread(ids, {"A": 5, "B": 4}))
    kit.refuse(
        CloseRound(round_number=1, closed_at=kit.tick(), lots_seed=bytes(32)),
        "lots_seed_unexpected",
    )


def test_failed_confirmation_reopens_nominations() -> None:
    kit, ids = _kit(eliminate_after=1, sole_candidate="confirmation")
    kit.run(WithdrawCandidate(candidate_id="C"))
    events = kit.full_round(spread(ids, {"A": 5, "B": 4}))
    assert types(events)[-1] == "CandidateEliminated"
    # one candidate left: acclamation is not the rule here
    kit.refuse(DeclareElectedByAcclamation(candidate_id="A"), "confirmation_required")
    plan = next_round_plan(kit.state)
    assert (plan.kind, plan.options, plan.candidate) == ("confirmation", ("yes", "no", BLANK), "A")
    events = kit.full_round(spread(ids, {"yes": 4, "no": 4, BLANK: 1}))
    assert types(events)[-2:] == ["RoundTallied", "ConfirmationFailed"]
    assert kit.state.nominations_open and kit.state.series == 2
    board = results_board(kit.state)[-1]
    assert (board.kind, board.valid, board.required, board.decision) == (
        "confirmation",
        8,
        6,
        "not_confirmed",
    )
    # new nominations, then rounds resume; elimination counts restart in the new series
    kit.run(NominateCandidate(candidate_id="D", name="Candidate D"))
    plan = next_round_plan(kit.state)
    assert (plan.kind, plan.options, plan.inconclusive_before) == ("election", ("A", "D", BLANK), 0)
    events = kit.full_round(spread(ids, {"A": 5, "D": 4}))
    assert types(events)[-1] == "CandidateEliminated"
    kit.refuse(NominateCandidate(candidate_id="E", name="E"), "nominations_closed")
    events = kit.full_round(spread(ids, {"yes": 7, "no": 2}))
    assert types(events)[-2:] == ["RoundTallied", "CandidateElected"]
    outcome = final_outcome(kit.state)
    assert outcome is not None
    assert (outcome.candidate_id, outcome.by, outcome.votes, outcome.valid) == (
        "A",
        "confirmation",
        7,
        9,
    )
    assert kit.replayed() == kit.state == kit.audited()


def test_round_below_min_tally_is_voided_and_rerun() -> None:
    kit, ids = _kit(n=9)
    kit.open_round()
    kit.vote(spread(ids, {"A": 2, "B": 1, BLANK: 1}))
    events = kit.close()
    assert types(events) == ["RoundClosed", "RoundVoided"]
    assert kit.state.rounds[0].status == "voided"
    assert kit.state.rounds[0].void_reason == "below_min_tally"
    kit.refuse(kit.share(1), "round_not_closed")
    plan = next_round_plan(kit.state)
    assert (plan.round_number, plan.options) == (2, kit.state.rounds[0].options)
    # a ballot of the voided round cannot be replayed into the re-run
    stale = kit.ballot(ids[0], "A", round_number=1)
    kit.open_round()
    kit.refuse(stale.model_copy(update={"round_number": 2}), "invalid_ballot")
    kit.vote(spread(ids, {"A": 5, "B": 2, "C": 2}))
    kit.close()
    kit.tally()
    assert results_board(kit.state)[1].decision == "inconclusive"
    assert results_board(kit.state)[0].void_reason == "below_min_tally"


def test_declared_void_open_and_closed_rounds() -> None:
    kit, ids = _kit()
    kit.open_round()
    kit.vote(spread(ids, {"A": 3}))
    kit.run(VoidRound(round_number=1, note="disturbance in the hall"))
    assert kit.state.rounds[0].status == "voided"
    kit.open_round()
    kit.vote(spread(ids, {"A": 6}))
    kit.close()
    kit.run(VoidRound(round_number=2, note="tellers unavailable"))
    kit.refuse(VoidRound(round_number=2), "round_not_voidable")
    assert [r.status for r in kit.state.rounds] == ["voided", "voided"]
    assert kit.replayed() == kit.state == kit.audited()


def test_withdrawal_cancels_a_pending_tiebreak() -> None:
    kit, ids = _kit(eliminate_after=1)
    kit.full_round(spread(ids, {"A": 5, "B": 2, "C": 2}))
    assert _pending(kit) == ("B", "C")
    kit.run(WithdrawCandidate(candidate_id="C", reason="withdraws"))
    assert _pending(kit) == ()
    plan = next_round_plan(kit.state)
    assert (plan.kind, plan.options) == ("election", ("A", "B", BLANK))


def test_last_withdrawal_reopens_nominations() -> None:
    kit = Kit()
    kit.setup(6, ["A"])
    view = session_view(kit.state)
    assert view.next_round is not None and view.next_round.blocked_by == "sole_candidate"
    kit.run(WithdrawCandidate(candidate_id="A"))
    assert kit.state.nominations_open
    view = session_view(kit.state)
    assert view.next_round is not None and view.next_round.blocked_by == "no_candidates"
    kit.nominate("B", "C")
    assert next_round_plan(kit.state).options == ("B", "C", BLANK)


def test_presence_change_after_opening_does_not_change_the_round() -> None:
    kit, ids = _kit()
    kit.open_round()
    kit.run(RecordPresence(member_id=ids[0], present=False))
    assert ids[0] in kit.state.rounds[0].roll
    kit.run(kit.ballot(ids[0], "A"))  # still on the frozen roll
    assert kit.state.rounds[0].ballot_count == 1

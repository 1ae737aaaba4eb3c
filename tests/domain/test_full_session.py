"""A full scripted session of 175 member states, through pure commands and real crypto."""

from __future__ import annotations

from ballot.domain import (
    ChangeVotingRights,
    DeclareElectedByAcclamation,
    RecordPresence,
    WithdrawCandidate,
    final_outcome,
    results_board,
    roll,
    session_view,
    turnout,
)
from ballot.domain.values import BLANK
from tests.domain.domain_kit import Kit, spread, types


def test_iom_council_session_175_members() -> None:
    kit = Kit()
    absent = ["M171", "M172", "M173", "M174"]
    arrears = ["M161", "M162", "M163", "M164", "M165", "M166"]
    ids = kit.setup(175, ["A", "B", "C"], absent=absent, arrears=arrears, observers=["OBS1"])
    kit.arrears("M166", restored=True)  # the council restored one vote
    kit.run(ChangeVotingRights(member_id="M170", suspended=True, reason="by the council"))
    late = "M175"
    kit.run(RecordPresence(member_id=late, present=False))

    # Round 1: 175 - 5 absent (incl. the late one) - 5 arrears - 1 suspended = 164 eligible.
    kit.open_round()
    r1 = kit.state.rounds[0]
    assert r1.kind == "election"
    assert r1.options == ("A", "B", "C", BLANK)
    assert len(r1.roll) == 164
    assert r1.present == 170 and r1.quorum_base == 175
    assert "OBS1" not in r1.roll and "M161" not in r1.roll and "M166" in r1.roll
    # the late delegation arrives during round 1: not on this round's roll
    kit.run(RecordPresence(member_id=late, present=True))
    kit.refuse(kit.ballot(late, "A"), "not_eligible")
    eligible = sorted(r1.roll)
    choices = spread(eligible, {"A": 90, "B": 45, "C": 24, BLANK: 5})
    kit.vote(choices)
    assert kit.state.rounds[0].ballot_count == 164
    t = turnout(kit.state, 1)
    assert t.deposited == 164 and t.not_yet == ()
    events = kit.close()
    assert types(events) == ["RoundClosed"]
    events = kit.tally()
    assert types(events) == ["DecryptionShareSubmitted", "DecryptionShareSubmitted", "RoundTallied"]
    board = results_board(kit.state)[0]
    assert board.votes == {"A": 90, "B": 45, "C": 24}
    assert (board.blank, board.valid, board.required, board.decision) == (
        5,
        159,
        106,
        "inconclusive",
    )

    # Between rounds: B withdraws.
    kit.run(WithdrawCandidate(candidate_id="B", reason="in favour of A"))

    # Round 2: the late delegation is now on the roll (165 eligible).
    kit.open_round()
    r2 = kit.state.rounds[1]
    assert r2.options == ("A", "C", BLANK)
    assert len(r2.roll) == 165 and late in r2.roll
    kit.vote(spread(sorted(r2.roll), {"A": 100, "C": 60, BLANK: 5}))
    kit.close()
    kit.tally((2, 3))  # any two tellers
    b2 = results_board(kit.state)[1]
    assert (b2.valid, b2.required, b2.decision) == (160, 107, "inconclusive")

    # Round 3: still inconclusive, and it is the 3rd: C (fewest) is eliminated.
    kit.open_round()
    r3 = kit.state.rounds[2]
    kit.vote(spread(sorted(r3.roll), {"A": 105, "C": 57, BLANK: 3}))
    kit.close()
    events = kit.tally((3, 1))
    assert types(events)[-2:] == ["RoundTallied", "CandidateEliminated"]
    b3 = results_board(kit.state)[2]
    assert (b3.valid, b3.required, b3.decision, b3.eliminated, b3.eliminated_by) == (
        162,
        108,
        "eliminated",
        "C",
        "fewest_votes",
    )

    # One candidate left: acclamation (the default), not another round.
    view = session_view(kit.state)
    assert view.next_round is not None and view.next_round.blocked_by == "sole_candidate"
    kit.run(DeclareElectedByAcclamation(candidate_id="A"))
    outcome = final_outcome(kit.state)
    assert outcome is not None
    assert (outcome.candidate_id, outcome.by) == ("A", "acclamation")
    assert kit.state.phase == "elected"

    # Re-derivable: replaying the log gives the same state, and the roll is consistent.
    assert kit.replayed() == kit.state == kit.audited()
    entries = {e.member_id: e for e in roll(kit.state)}
    assert not entries["M161"].voting_rights and entries["M166"].eligible
    assert not entries["OBS1"].eligible and entries["OBS1"].observer
    assert not entries["M170"].eligible
    assert len(ids) == 175

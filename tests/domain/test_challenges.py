"""Cast or challenge (``decide/challenges.py``): a delegation opens as many encrypted ballots
as it likes before it casts; each is spoiled and never counts; a reveal that does not open
the ballot, or one after the cast, is refused — and the log replays and audits the same."""

from __future__ import annotations

from ballot.domain import BallotChallenged, CastBallot
from tests.domain.domain_kit import Kit, spread


def kit_with_open_round() -> tuple[Kit, list[str]]:
    kit = Kit()
    ids = kit.setup(6, ["A", "B"])
    kit.open_round()
    return kit, ids


def test_challenge_then_cast_in_one_round_counts_only_the_cast() -> None:
    kit, ids = kit_with_open_round()
    (opened,) = kit.run(kit.challenge(ids[0], "B"))
    assert isinstance(opened, BallotChallenged) and opened.option == "B"
    kit.run(kit.challenge(ids[0], "A"))  # any number of times
    kit.vote(spread(ids, {"A": 5, "B": 1}))
    kit.close()
    events = kit.tally()
    tallied = next(e for e in events if e.event_type == "RoundTallied")
    assert tallied.model_dump()["counts"] == {"A": 5, "B": 1, "blank": 0}
    assert kit.replayed() == kit.state and kit.audited() == kit.state


def test_a_page_that_encrypted_another_choice_cannot_claim_the_shown_one() -> None:
    kit, ids = kit_with_open_round()
    refusal = kit.refuse(kit.challenge(ids[1], "B", claim="A"), "invalid_challenge")
    assert refusal.detail["reason"] == "challenge_mismatch"
    # Its truthful reveal says B: the delegation that chose A sees its page lied.
    (opened,) = kit.run(kit.challenge(ids[1], "B"))
    assert isinstance(opened, BallotChallenged) and opened.option == "B"


def test_a_challenge_after_the_cast_is_refused() -> None:
    kit, ids = kit_with_open_round()
    kit.vote({ids[2]: "A"})
    kit.refuse(kit.challenge(ids[2], "A"), "already_voted")


def test_a_checked_ballot_can_never_be_cast() -> None:
    # Its nonces are public: cast, it would show the vote. A page that tries is refused (a
    # ballot sharing only some of its ciphertexts fails its proofs first); a fresh one counts.
    kit, ids = kit_with_open_round()
    opened = kit.challenge(ids[3], "B")
    kit.run(opened)
    as_cast = CastBallot(
        delegation_id=opened.delegation_id,
        round_number=opened.round_number,
        ballot=opened.ballot,
        signature=opened.signature,
    )
    refusal = kit.refuse(as_cast, "ballot_spoiled")
    assert refusal.detail["delegation"] == ids[3]
    kit.run(kit.ballot(ids[3], "B"))
    assert kit.replayed() == kit.state and kit.audited() == kit.state

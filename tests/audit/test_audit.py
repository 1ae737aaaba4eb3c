"""The auditor on a real session: an honest log verifies; every forgery is named.

Forgeries are made as an attacker with write access to the database would make them: the
log is re-hash-chained afterwards, so the chain verifies and only the rules (or the signed
checkpoints, which the attacker cannot re-sign) can tell.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ballot.audit import CHECKS, AuditReport, Failure
from ballot.audit.receipts import normalize_code
from ballot.domain import CiphertextPair, RoundClosed, event_from_payload
from ballot.domain.values import b64decode, b64encode
from ballot.ledger import Checkpoint
from crypto import ballot as cb
from crypto.elgamal import Ciphertext, add_vectors, zero_vector
from crypto.group import Point
from crypto.signing import SigningKey
from tests.audit.kit import (
    audit,
    ballot_body,
    checks,
    council,
    definition,
    drop,
    dump,
    edit,
    insert,
    like,
    payload,
    positions,
    rechain,
    resign,
    sign_as,
    swap,
)


def first(report: AuditReport) -> Failure:
    failure = report.first_failure
    assert failure is not None, "the forgery went unnoticed"
    assert failure.check in CHECKS
    return failure


def found(report: AuditReport) -> list[tuple[int | None, str]]:
    """Every failure as ``(position, check)``, in the report's order."""
    return [(f.position, f.check) for f in report.failures]


def recorded_by_the_server(records: list[Any]) -> list[Any]:
    """``records`` (edited, not yet re-chained) as a server would have recorded them: chained,
    each checkpoint signed by the session's own key over the log as it is, edits included."""
    return resign(records, council().checkpoint_key)


# -- an honest log ------------------------------------------------------------------------------


def test_an_honest_multi_round_session_verifies() -> None:
    session = council()
    report = audit(session.lines)
    assert report.verified, [f.describe() for f in report.failures]
    assert (report.events, report.ballots, len(report.rounds)) == (114, 27, 3)
    assert [r.decision for r in report.rounds] == ["inconclusive", "inconclusive", "elected"]
    assert report.rounds[2].votes == {"A": 7, "B": 1}
    assert report.outcome is not None and report.outcome.candidate_id == "A"
    assert [c.verified for c in report.checkpoints] == [True] * 4
    text = report.summary()
    assert text.startswith("VERIFIED") and "A (Candidate A) elected" in text
    assert report.to_json()["verified"] is True


def test_the_pool_verifies_the_same_and_catches_a_bad_proof() -> None:
    records = council().records()
    report = audit(records, workers=2, inline_first=0, chunk_size=4)
    assert report.verified
    victim = positions(records, "BallotCast", delegation_id="M004", round_number=3)[0]

    def flip_proof(body: dict[str, Any]) -> None:
        proofs = body["ballot"]["proofs"]
        proofs[0]["c0"], proofs[1]["c0"] = proofs[1]["c0"], proofs[0]["c0"]

    # A delegation's own malformed ballot, signed with its key (as if the server let it in).
    session = council()
    forged = edit(records, victim, flip_proof)
    forged = rechain(edit(forged, victim, lambda b: b.update(sign_as(session, records, b))))
    report = audit(forged, workers=2, inline_first=0, chunk_size=4)
    assert (first(report).position, first(report).check) == (victim, "ballot.proof")


def _lying_election_key(records: list[Any]) -> list[Any]:
    # Round 2 opens under another (valid) key: the read-ahead builds its ballots' checks
    # under that key, the rules hold the ceremony's.
    (opened,) = positions(records, "RoundOpened", round_number=2)
    other = b64encode((Point.generator() + Point.generator()).encode())
    return rechain(edit(records, opened, lambda b: b.update(election_key=other)))


def _closing_dropped(records: list[Any]) -> list[Any]:
    # Round 1 never closes in the log: the read-ahead still sees round 1 as open when
    # round 2's ballots come.
    (closed,) = positions(records, "RoundClosed", round_number=1)
    return rechain(drop(records, closed))


def _ballot_moved_to_next_round(records: list[Any]) -> list[Any]:
    first_round = positions(records, "BallotCast", round_number=1)[0]
    (opened,) = positions(records, "RoundOpened", round_number=2)
    moved = records[first_round - 1]
    out = [r for r in records if r.position != first_round]
    out.insert(opened, moved)  # right after round 2 opens
    return rechain(out)


@pytest.mark.parametrize(
    "tamper", [_lying_election_key, _closing_dropped, _ballot_moved_to_next_round]
)
def test_the_read_ahead_never_changes_a_verdict(tamper: Any) -> None:
    # The workers check each ballot as it is read, on a guess of its context from the events
    # before it; the rules decide later, on their own state. Where the guess is wrong the
    # rules check again: the report is the inline audit's, failure for failure.
    forged = tamper(council().records())
    inline = audit(forged)
    pooled = audit(forged, workers=2, inline_first=0, chunk_size=4)
    assert not inline.verified
    assert pooled.failures == inline.failures
    assert pooled.rounds == inline.rounds


def test_a_name_rewritten_to_deceive_is_caught_even_rechained() -> None:
    # The database owner turns a member's name into one that displays as another (a
    # right-to-left override) and re-chains the log: the event itself is refused by the text
    # rule, whatever its hashes say.
    records = council().records()
    (registered,) = positions(records, "MemberStateRegistered", member_id="M001")
    forged = rechain(edit(records, registered, lambda body: body.update(name="\u202eM001")))
    report = audit(forged)
    assert not report.verified
    assert (first(report).position, first(report).check) == (registered, "event.schema")
    assert "U+202E" in first(report).message


# -- the chain and the export ---------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_flipped_byte_anywhere_is_caught_at_its_event(data: st.DataObject) -> None:
    lines = list(council().lines)
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    offset = data.draw(st.integers(0, len(lines[index]) - 1), label="byte")
    old = lines[index][offset]
    new = data.draw(st.integers(0, 255).filter(lambda b: b != old), label="value")
    line = bytearray(lines[index])
    line[offset] = new
    lines[index] = bytes(line)
    report = audit(lines)
    assert not report.verified
    assert first(report).position == index + 1


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=70),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_value_in_any_field_is_a_finding_never_a_crash(data: st.DataObject) -> None:
    """Canonical lines with hostile content (types, lengths, nesting) anywhere."""
    lines = list(council().lines)
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    obj = json.loads(lines[index])
    if data.draw(st.booleans(), label="in payload") and obj["payload"]:
        target, key = obj["payload"], data.draw(st.sampled_from(sorted(obj["payload"])))
    else:
        target, key = obj, data.draw(st.sampled_from(sorted(obj)))
    value = data.draw(JSON_VALUES, label="value")
    assume(target[key] != value)
    target[key] = value
    lines[index] = (
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    )
    report = audit(lines)
    assert not report.verified
    assert first(report).position == index + 1


def test_a_dropped_event_is_caught() -> None:
    records = council().records()
    victim = positions(records, "BallotCast", delegation_id="M003", round_number=1)[0]
    naive = first(audit(drop(records, victim)))
    assert (naive.position, naive.check) == (victim, "chain.position")
    # Re-chained, the chain holds; the round's committed ballot set does not.
    report = audit(rechain(drop(records, victim)))
    (closed,) = positions(records, "RoundClosed", round_number=1)
    assert (first(report).position, first(report).check) == (closed - 1, "round.ballot_set")
    # The signed checkpoints no longer match (the attacker cannot re-sign them).
    assert "checkpoint.position" in checks(report)


def test_two_swapped_events_are_caught() -> None:
    records = council().records()
    a, b = positions(records, "BallotCast", round_number=2)[2:4]
    assert first(audit(swap(records, a, b))).check == "chain.position"
    report = audit(rechain(swap(records, a, b)))
    (closed,) = positions(records, "RoundClosed", round_number=2)
    # The committed root is over the tracking hashes in log order.
    assert (first(report).position, first(report).check) == (closed, "round.ballot_set")


def test_a_gap_in_a_stream_and_an_unknown_payload_are_caught() -> None:
    records = council().records()
    (position,) = positions(records, "RoundTallied", round_number=1)
    skipped = list(records)
    skipped[position - 1] = skipped[position - 1]._replace(stream_version=9)
    report = audit(rechain(skipped, restream=False))
    assert (first(report).position, first(report).check) == (position, "chain.stream_version")

    def extra_field(body: dict[str, Any]) -> None:
        body["note"] = "injected"

    report = audit(rechain(edit(records, position, extra_field)))
    assert (first(report).position, first(report).check) == (position, "event.schema")


# -- ballots ---------------------------------------------------------------------------------------


def test_a_ballot_re_signed_by_another_delegation_is_caught() -> None:
    """M011 copies M002's ballot (to vote as M002 did) and signs it with its own key."""
    session = council()
    records = session.records()
    (copied,) = positions(records, "BallotCast", delegation_id="M002", round_number=1)
    body = sign_as(session, records, payload(records[copied - 1]), "M011")
    (closed,) = positions(records, "RoundClosed", round_number=1)
    forged = like(records[copied - 1], body, stream_id="ballot-1-M011")
    report = audit(rechain(insert(records, closed, forged)))
    assert (first(report).position, first(report).check) == (closed, "ballot.proof")


def test_a_ballot_copied_into_another_round_is_caught() -> None:
    """M009's round-2 ballot replayed in round 3 (where M009 did not vote), even re-signed."""
    session = council()
    records = session.records()
    (old,) = positions(records, "BallotCast", delegation_id="M009", round_number=2)
    (closed,) = positions(records, "RoundClosed", round_number=3)
    replayed = payload(records[old - 1]) | {"round_number": 3}

    def replay(body: dict[str, Any]) -> list[bytes]:
        copy = like(records[old - 1], body, stream_id="ballot-3-M009")
        return dump(rechain(insert(records, closed, copy)))

    report = audit(replay(replayed))
    # The first cause: its proofs are bound to round 2 (checked before its signature).
    assert (first(report).position, first(report).check) == (closed, "ballot.proof")
    # Even signed again by M009 for round 3, its proofs are bound to round 2.
    report = audit(replay(sign_as(session, records, replayed)))
    assert (first(report).position, first(report).check) == (closed, "ballot.proof")


def _proofs_of(records: list[Any], donor: int) -> Any:
    """An edit giving a ballot the proofs of the ballot at ``donor`` (its own ciphertexts)."""

    def swap_in(body: dict[str, Any]) -> None:
        other = payload(records[donor - 1])["ballot"]
        body["ballot"]["proofs"] = other["proofs"]
        body["ballot"]["sum_proof"] = other["sum_proof"]

    return swap_in


def test_a_ballot_with_another_ballots_proofs_fails_its_proofs_first() -> None:
    """A recorded ballot given another ballot's proofs (not re-signed: its signature fails
    too). Its own failures are all named, the proofs first — the most specific cause — then
    the signature; what follows is only what it caused: its round's committed set and
    aggregate, which counted it. The server signed the log as it was, so every checkpoint
    verifies."""
    records = council().records()
    victim, donor = positions(records, "BallotCast", round_number=1)[:2]
    (closed,) = positions(records, "RoundClosed", round_number=1)
    forged = recorded_by_the_server(edit(records, victim, _proofs_of(records, donor)))
    for report in (audit(forged), audit(forged, workers=2, inline_first=0, chunk_size=4)):
        assert found(report) == [
            (victim, "ballot.proof"),
            (victim, "ballot.signature"),
            (closed, "round.ballot_set"),
            (closed, "round.aggregate"),
        ]
        proofs = first(report).message
        # every proof is named, each option's and the sum's
        assert all(f"option {i}:" in proofs for i in range(4)) and "sum of the options" in proofs
        assert all(c.verified for c in report.checkpoints)


def test_a_replayed_ballot_fails_its_proofs_then_its_signature_and_nothing_else() -> None:
    """M009's round-2 ballot replayed into round 3, recorded and signed by the server: two
    failures at the ballot, proofs first, and nothing after it (the refused ballot is not
    counted; the checkpoints after it sign the log with it, and verify)."""
    session = council()
    records = session.records()
    (old,) = positions(records, "BallotCast", delegation_id="M009", round_number=2)
    (closed,) = positions(records, "RoundClosed", round_number=3)
    replayed = payload(records[old - 1]) | {"round_number": 3}

    def replay(body: dict[str, Any]) -> list[Any]:
        copy = like(records[old - 1], body, stream_id="ballot-3-M009")
        return recorded_by_the_server(insert(records, closed, copy))

    report = audit(replay(replayed))
    assert found(report) == [(closed, "ballot.proof"), (closed, "ballot.signature")]
    # Signed again by M009 for round 3, only its proofs (bound to round 2) fail.
    report = audit(replay(sign_as(session, records, replayed)))
    assert found(report) == [(closed, "ballot.proof")]


def test_a_ballot_replayed_at_another_position_is_a_duplicate() -> None:
    """M001's round-1 ballot recorded a second time, later in the round: the rules give
    nothing for it (the very ballot already deposited), which is a duplicate ballot, not a
    decision nobody made."""
    records = council().records()
    (original,) = positions(records, "BallotCast", delegation_id="M001", round_number=1)
    (closed,) = positions(records, "RoundClosed", round_number=1)
    copy = like(records[original - 1], payload(records[original - 1]))
    report = audit(recorded_by_the_server(insert(records, closed, copy)))
    assert found(report) == [(closed, "ballot.duplicate")]


@pytest.mark.parametrize("refused", ["late", "replayed"])
def test_one_refused_ballot_does_not_cascade_into_the_checkpoints(refused: str) -> None:
    """A refused ballot the server recorded anyway, and every checkpoint signed over the log
    it recorded: the ballot is reported once; each later checkpoint covers a position that
    is in the log (the refused event counts: a checkpoint signs the log as it is) and
    verifies. (The rules' count of events used to skip a refused event, so every later
    checkpoint was refused as covering a position "not in the log".)"""
    session = council()
    records = session.records()
    (closed,) = positions(records, "RoundClosed", round_number=1)
    if refused == "late":
        ballot = session.delegations["M011"].cast(definition(session, records, 1), "A")
        extra = like(records[closed - 2], ballot_body(ballot), stream_id="ballot-1-M011")
        at, check = closed + 1, "ballot.round_open"
    else:
        (original,) = positions(records, "BallotCast", delegation_id="M001", round_number=1)
        extra = like(records[original - 1], payload(records[original - 1]))
        at, check = closed, "ballot.duplicate"
    report = audit(recorded_by_the_server(insert(records, at, extra)))
    assert found(report) == [(at, check)]
    assert [c.verified for c in report.checkpoints] == [True] * 4


def test_a_second_ballot_from_one_delegation_is_caught() -> None:
    session = council()
    records = session.records()
    (closed,) = positions(records, "RoundClosed", round_number=1)
    (template,) = positions(records, "BallotCast", delegation_id="M001", round_number=1)
    second = session.delegations["M001"].cast(definition(session, records, 1), "B")
    forged = like(records[template - 1], ballot_body(second))
    report = audit(rechain(insert(records, closed, forged)))
    assert (first(report).position, first(report).check) == (closed, "ballot.duplicate")


def test_a_ballot_after_the_round_closed_is_caught() -> None:
    session = council()
    records = session.records()
    (closed,) = positions(records, "RoundClosed", round_number=1)
    late = session.delegations["M011"].cast(definition(session, records, 1), "A")
    forged = like(records[closed - 2], ballot_body(late), stream_id="ballot-1-M011")
    report = audit(rechain(insert(records, closed + 1, forged)))
    assert (first(report).position, first(report).check) == (closed + 1, "ballot.round_open")


def test_an_altered_tracking_code_is_caught() -> None:
    records = council().records()
    victim = positions(records, "BallotCast", round_number=1)[0]

    def recode(body: dict[str, Any]) -> None:
        body["tracking_code"] = "0000-0000-0000-0000"

    report = audit(rechain(edit(records, victim, recode)))
    assert (first(report).position, first(report).check) == (victim, "ballot.tracking_code")


# -- the committed set, the shares, the tally -------------------------------------------------------


def test_an_aggregate_missing_one_ballot_is_caught() -> None:
    """The subset-tally attack: commit to (and decrypt) the sum of all ballots but one."""
    records = council().records()
    (closed,) = positions(records, "RoundClosed", round_number=1)
    ballots = [
        cb.ballot_from_json(payload(records[p - 1])["ballot"])
        for p in positions(records, "BallotCast", round_number=1)
    ]
    subset: tuple[Ciphertext, ...] = zero_vector(4)
    for ballot in ballots[1:]:
        subset = add_vectors(subset, ballot.ciphertexts)

    def commit_subset(body: dict[str, Any]) -> None:
        body["aggregate"] = [
            {"alpha": b64encode(c.alpha.encode()), "beta": b64encode(c.beta.encode())}
            for c in subset
        ]

    report = audit(rechain(edit(records, closed, commit_subset)))
    assert (first(report).position, first(report).check) == (closed, "round.aggregate")


def test_a_forged_decryption_share_is_caught() -> None:
    records = council().records()
    share = positions(records, "DecryptionShareSubmitted", round_number=2)[0]

    def forge(body: dict[str, Any]) -> None:
        body["share"]["partials"][0] = b64encode(Point.generator().encode())

    report = audit(rechain(edit(records, share, forge)))
    assert (first(report).position, first(report).check) == (share, "share.proof")


def test_shares_are_checked_against_the_committed_aggregate() -> None:
    """Round 1's RoundClosed commits to another aggregate than its ballots' sum, but the
    tellers' shares are of the true sum (the rules' own): the aggregate is reported where it
    is committed, and each share as a decryption of another aggregate than the committed
    one (``share.aggregate``) — the shares must decrypt what was committed."""
    records = council().records()
    (closed,) = positions(records, "RoundClosed", round_number=1)
    shares = positions(records, "DecryptionShareSubmitted", round_number=1)

    def commit_another(body: dict[str, Any]) -> None:
        first, second = body["aggregate"][:2]
        body["aggregate"][:2] = [second, first]  # options 0 and 1 exchanged

    report = audit(recorded_by_the_server(edit(records, closed, commit_another)))
    assert found(report) == [
        (closed, "round.aggregate"),
        *((share, "share.aggregate") for share in shares),
    ]
    assert "committed" in report.failures[1].message

    # A share of neither aggregate is a forgery, as when the commitment is right.
    def forge(body: dict[str, Any]) -> None:
        body["share"]["partials"][0] = b64encode(Point.generator().encode())

    forged = edit(edit(records, closed, commit_another), shares[0], forge)
    report = audit(recorded_by_the_server(forged))
    assert found(report) == [
        (closed, "round.aggregate"),
        (shares[0], "share.proof"),
        (shares[1], "share.aggregate"),
    ]


def test_shares_of_the_committed_aggregate_verify_when_it_is_not_the_rules() -> None:
    """A refused ballot counted in its round's commitment: the committed set and aggregate
    are reported, but the shares, which decrypt the committed aggregate as the tellers were
    given it, verify — and so does the tally combined from them (no share.proof or tally
    failure for what the commitment already explains)."""
    records = council().records()
    victim, donor = positions(records, "BallotCast", round_number=1)[:2]
    (closed,) = positions(records, "RoundClosed", round_number=1)
    report = audit(recorded_by_the_server(edit(records, victim, _proofs_of(records, donor))))
    assert [c for p, c in found(report) if p == closed] == ["round.ballot_set", "round.aggregate"]
    assert not [c for p, c in found(report) if p is not None and p > closed]


def test_a_count_off_by_one_is_caught() -> None:
    records = council().records()
    (tallied,) = positions(records, "RoundTallied", round_number=1)

    def one_more(body: dict[str, Any]) -> None:
        body["counts"]["B"] += 1
        body["valid"] += 1

    report = audit(rechain(edit(records, tallied, one_more)))
    assert (first(report).position, first(report).check) == (tallied, "tally.counts")


def test_a_wrong_two_thirds_decision_is_caught() -> None:
    """Round 2 (A 5 of 9 valid, 6 required) declared an election of A."""
    records = council().records()
    (tallied,) = positions(records, "RoundTallied", round_number=2)

    def elect(body: dict[str, Any]) -> None:
        body.update(decision="elected", elected="A")

    forged = edit(records, tallied, elect)
    (elected,) = positions(records, "CandidateElected")
    claim = payload(records[elected - 1]) | {
        "round_number": 2,
        "votes": 5,
        "valid": 9,
        "required": 6,
    }
    forged = insert(forged, tallied + 1, like(records[elected - 1], claim, stream_id="round-2"))
    report = audit(rechain(forged))
    assert (first(report).position, first(report).check) == (tallied, "decision.majority")
    assert "decision.unexpected" in checks(report)


def test_a_dropped_decision_is_caught() -> None:
    records = council().records()
    (elected,) = positions(records, "CandidateElected")
    report = audit(rechain(drop(records, elected)))
    assert (first(report).position, first(report).check) == (elected, "decision.missing")


# -- checkpoints -----------------------------------------------------------------------------------


def test_a_truncated_log_with_a_valid_earlier_checkpoint_is_caught() -> None:
    session = council()
    records = session.records()
    cut = positions(records, "CheckpointSigned")[1]  # right after round 2's checkpoint
    truncated = dump(records[:cut])
    report = audit(truncated)
    assert (first(report).position, first(report).check) == (cut + 1, "log.incomplete")
    # Its prefix is genuine: as a session still in progress it verifies, with a warning.
    partial = audit(truncated, allow_incomplete=True)
    assert partial.verified and [w.check for w in partial.warnings] == ["log.incomplete"]
    # Against a later checkpoint the auditor holds, it is a truncation.
    final = Checkpoint.from_json(payload(records[-1]))
    report = audit(truncated, allow_incomplete=True, checkpoints=(final,))
    assert (first(report).position, first(report).check) == (cut + 1, "log.truncated")
    # The complete log extends that checkpoint.
    assert audit(session.lines, checkpoints=(final,)).verified


def test_an_unsigned_tail_is_caught() -> None:
    records = council().records()
    report = audit(dump(records[:-1]))  # the election is in the log, no checkpoint covers it
    assert checks(report) == ["checkpoint.missing"]


def test_a_log_rewritten_after_a_held_checkpoint_is_caught() -> None:
    records = council().records()
    early = Checkpoint.from_json(payload(records[positions(records, "CheckpointSigned")[0] - 1]))
    victim = positions(records, "BallotCast", round_number=1)[0]

    def other_time(body: dict[str, Any]) -> None:
        del body  # the payload is kept; the recorded time changes below

    rewritten = edit(records, victim, other_time)
    rewritten[victim - 1] = rewritten[victim - 1]._replace(
        recorded_at="2026-11-23T09:00:00.000000Z"
    )
    report = audit(rechain(rewritten), checkpoints=(early,))
    assert "checkpoint.consistency" in checks(report)


def test_checkpoints_re_signed_with_another_key_are_caught() -> None:
    records = council().records()
    mallory = SigningKey.from_seed(bytes(range(32)))
    report = audit(resign(records, mallory))
    first_checkpoint = positions(records, "CheckpointSigned")[0]
    assert (first(report).position, first(report).check) == (
        first_checkpoint,
        "checkpoint.signature",
    )

    # The attacker also puts its own key in SessionConvened: the log is consistent with
    # itself, but not with the key the secretariat published, nor with a checkpoint a
    # delegation kept from the real log.
    def own_key(body: dict[str, Any]) -> None:
        body["checkpoint_key"] = b64encode(mallory.public_key().encode())

    forged = resign(edit(records, 1, own_key), mallory)
    assert audit(forged).verified  # nothing inside the log can tell
    published = council().checkpoint_key.public_key().encode()
    report = audit(forged, checkpoint_key=published)
    assert (first(report).position, first(report).check) == (1, "checkpoint.key")
    held = Checkpoint.from_json(payload(records[first_checkpoint - 1]))
    assert "checkpoint.key" in checks(audit(forged, checkpoints=(held,)))


def test_a_checkpoint_over_a_wrong_root_is_caught() -> None:
    records = council().records()
    checkpoint = positions(records, "CheckpointSigned")[0]

    def wrong_root(body: dict[str, Any]) -> None:
        body["log_root"] = b64encode(bytes(32))

    report = audit(rechain(edit(records, checkpoint, wrong_root)))
    assert (first(report).position, first(report).check) == (checkpoint, "checkpoint.root")
    assert "checkpoint.signature" in checks(report)


# -- receipts --------------------------------------------------------------------------------------


def test_a_real_receipt_verifies() -> None:
    session = council()
    code = session.result.receipts[(2, "M004")]
    report = audit(session.lines, receipts=(code.lower().replace("-", ""),))
    assert report.verified
    (receipt,) = report.receipts
    assert receipt.verified and receipt.counted
    assert (receipt.round_number, receipt.delegation_id) == (2, "M004")
    records = session.records()
    (closed,) = positions(records, "RoundClosed", round_number=2)
    assert receipt.checkpoint_position == closed  # the checkpoint signed at the close


def test_an_unknown_or_altered_receipt_fails() -> None:
    session = council()
    code = session.result.receipts[(1, "M001")]
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (altered, "ZZZZ-ZZZZ-ZZZZ-ZZZZ"):
        report = audit(session.lines, receipts=(bad,))
        assert checks(report) == ["receipt.unknown"]
        assert not report.receipts[0].found
    # A receipt whose ballot was dropped from the log (re-chained) is unknown too.
    records = session.records()
    (victim,) = positions(records, "BallotCast", delegation_id="M001", round_number=1)
    report = audit(rechain(drop(records, victim)), receipts=(code,))
    assert "receipt.unknown" in checks(report)


def test_receipt_codes_are_read_as_people_type_them() -> None:
    assert normalize_code("abcd efgh jkmn pqrs") == "ABCD-EFGH-JKMN-PQRS"
    assert normalize_code("IOL0-0000-0000-0000") == "1010-0000-0000-0000"


def test_the_aggregate_helpers_agree_with_the_log() -> None:
    """Sanity check of the subset attack's arithmetic: the honest aggregate is recomputed."""
    records = council().records()
    (closed,) = positions(records, "RoundClosed", round_number=1)
    event = event_from_payload("RoundClosed", payload(records[closed - 1]))
    assert isinstance(event, RoundClosed)
    total: tuple[Ciphertext, ...] = zero_vector(4)
    for p in positions(records, "BallotCast", round_number=1):
        total = add_vectors(
            total, cb.ballot_from_json(payload(records[p - 1])["ballot"]).ciphertexts
        )
    assert event.aggregate == tuple(
        CiphertextPair(alpha=c.alpha.encode(), beta=c.beta.encode()) for c in total
    )
    assert b64decode(b64encode(b"x")) == b"x"


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_check_is_documented(check: str) -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "audit.md").read_text("utf-8")
    assert f"`{check}`" in doc

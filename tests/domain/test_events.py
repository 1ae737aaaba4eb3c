"""The event registry: JSON-only payloads the event store accepts, exact round trips, strict
parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ballot.domain import (
    EVENT_TYPES,
    AdjournSession,
    AdmitWitness,
    CosignCheckpoint,
    Event,
    PresenceRecorded,
    RecordCheckpoint,
    SessionSettings,
    UnknownEvent,
    VoidRound,
    WithdrawCandidate,
    event_from_json,
    event_from_payload,
)
from ballot.domain.values import BLANK
from crypto.signing import SigningKey, cosignature_message
from events.canonical import canonical_json
from tests.domain.domain_kit import Kit, spread


def _all_kinds_of_events() -> list[Event]:
    kit = Kit(
        settings=SessionSettings(eliminate_after=1, tie_break="lots", sole_candidate="confirmation")
    )
    ids = kit.setup(6, [])
    kit.nominate("A", "B", "C")
    kit.arrears(ids[-1], restored=True)
    # the kit's ceremony had no complaint: run one with a complaint in a second session
    other = Kit()
    other.convene()
    other.key_ceremony(complaint=True)
    kit.open_round()
    kit.run(kit.challenge(ids[0], "A"))
    kit.vote(spread(ids, {"A": 2}))
    kit.run(VoidRound(round_number=1, note="void"))
    kit.full_round(spread(ids, {"A": 3, "B": 1, "C": 1, BLANK: 1}))  # lots between B and C
    kit.run(WithdrawCandidate(candidate_id=kit.state.standing()[-1]))
    kit.full_round(spread(ids, {"yes": 2, "no": 4}))  # confirmation fails
    kit.run(
        RecordCheckpoint(position=5, head_hash=bytes(32), log_root=bytes(32), signature=bytes(64))
    )
    witness = SigningKey.from_seed(b"w" * 32)
    kit.run(
        AdmitWitness(witness_id="W1", name="Observer", public_key=witness.public_key().encode())
    )
    message = cosignature_message(kit.state.session_id, 5, bytes(32), bytes(32))
    kit.run(CosignCheckpoint(witness_id="W1", position=5, signature=witness.sign(message)))
    kit.run(AdjournSession(adjourned_at=kit.tick(), reason="adjourned"))
    elected = Kit()
    elected_ids = elected.setup(5, ["A", "B"])
    elected.full_round(spread(elected_ids, {"A": 5}))
    return [*kit.events, *other.events, *elected.events]


EVENTS = _all_kinds_of_events()


def test_every_event_type_occurs() -> None:
    assert {e.event_type for e in EVENTS} == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_payloads_are_canonical_json_and_round_trip(event_type: str) -> None:
    for event in (e for e in EVENTS if e.event_type == event_type):
        payload = event.to_payload()
        text = canonical_json(payload)  # what the event store will accept and hash
        assert "." not in json.dumps([v for v in _leaves(payload) if isinstance(v, int | float)])
        back = event_from_payload(event.event_type, json.loads(text), event.schema_version)
        assert back == event
        assert canonical_json(back.to_payload()) == text
        assert event.schema_version == 1
        assert EVENT_TYPES[event.event_type] is type(event)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_strict_parsing() -> None:
    ok = {"member_id": "M1", "present": True}
    assert event_from_payload("PresenceRecorded", ok) == PresenceRecorded(
        member_id="M1", present=True
    )
    for bad in (
        {"member_id": "M1", "present": "true"},
        {"member_id": "M1", "present": 1},
        {"member_id": "M1"},
        {"member_id": "M1", "present": True, "extra": 1},
        {"member_id": "blank", "present": True},
        {"member_id": "with space", "present": True},
    ):
        with pytest.raises(ValueError, match="PresenceRecorded"):
            event_from_payload("PresenceRecorded", bad)
    with pytest.raises(UnknownEvent):
        event_from_payload("NoSuchEvent", ok)
    with pytest.raises(UnknownEvent):
        event_from_payload("PresenceRecorded", ok, schema_version=2)


def test_floats_and_non_json_values_are_refused() -> None:
    cast = next(e for e in EVENTS if e.event_type == "BallotCast")
    payload = cast.to_payload()
    payload["ballot"] = {**payload["ballot"], "x": 1.5}
    with pytest.raises(ValueError, match="float"):
        event_from_payload("BallotCast", payload)
    with pytest.raises(ValueError, match="not a JSON value"):
        type(cast).model_validate({**dict(cast), "ballot": {"x": b"bytes"}})
    tallied = next(e for e in EVENTS if e.event_type == "RoundTallied").to_payload()
    tallied["valid"] = 3.0
    with pytest.raises(ValueError, match="RoundTallied"):
        event_from_payload("RoundTallied", tallied)


def test_binary_and_time_encodings() -> None:
    opened = next(e for e in EVENTS if e.event_type == "RoundOpened").to_payload()
    assert isinstance(opened["election_key"], str) and "=" not in opened["election_key"]
    assert opened["opened_at"].endswith("Z") and len(opened["opened_at"]) == 27
    assert opened["options"][-1] == BLANK
    bad = {**opened, "election_key": opened["election_key"] + "="}
    with pytest.raises(ValueError, match="RoundOpened"):
        event_from_payload("RoundOpened", bad)


def test_an_event_is_read_from_its_stored_text_as_from_its_parsed_payload() -> None:
    # The log's readers validate the stored payload text itself; both ways agree, and refuse
    # alike.
    event = PresenceRecorded(member_id="FR", present=True)
    text = json.dumps(event.to_payload(), sort_keys=True, separators=(",", ":"))
    assert event_from_json("PresenceRecorded", text) == event
    assert event_from_json("PresenceRecorded", text) == event_from_payload(
        "PresenceRecorded", json.loads(text)
    )
    with pytest.raises(ValueError, match="does not fit"):
        event_from_json("PresenceRecorded", '{"member_id":"FR","present":"true"}')
    with pytest.raises(UnknownEvent):
        event_from_json("NoSuchEvent", text)

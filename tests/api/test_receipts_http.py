"""Public receipt look-ups (``GET …/receipts/{code}``), real PostgreSQL: found, proved against the
signed checkpoint and verifiable from the reply alone; tampering is caught; look-ups do not read
the log; a second server process on the same database answers the same."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ballot.client import ApiProblem
from ballot.domain.values import b64decode, b64encode
from ballot.ledger import (
    CheckpointError,
    verify_counted_reply,
    verify_receipt_reply,
)
from crypto import merkle
from crypto.signing import SigningKey
from events import RecordedEvent
from events.exchange import record_from_line, record_to_line
from events.postgres import PostgresEventStore
from tests.api.conftest import Api, serving
from tests.api.flows import HttpSession, client_of, setup_session


def verify(reply: dict[str, Any], code: str) -> RecordedEvent:
    """Everything a third party checks, from the reply and the session's checkpoint key."""
    return verify_receipt_reply(reply, code, b64decode(reply["checkpoint_key"]))


def flip(hex_text: str, at: int = 0) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[at] ^= 1
    return raw.hex()


def verify_counted(
    reply: dict[str, Any], code: str, round_info: dict[str, Any]
) -> tuple[RecordedEvent, RecordedEvent]:
    """The receipt, then its ``ballot_set``: (BallotCast record, RoundClosed record)."""
    ballot = verify(reply, code)
    closed = verify_counted_reply(
        reply,
        ballot,
        b64decode(reply["checkpoint_key"]),
        election_key=b64decode(round_info["election_key"]),
        options=round_info["options"],
    )
    return ballot, closed


async def exported(session: HttpSession) -> list[RecordedEvent]:
    lines = [line async for line in session.sec.event_lines()]
    return [record_from_line(line, i) for i, line in enumerate(lines, start=1)]


async def test_a_receipt_is_found_and_verifies_against_the_signed_checkpoint(api: Api) -> None:
    session = await setup_session(api, 7)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    code = receipts[2]["tracking_code"]

    # While the round is open: found, its record is there, but no checkpoint covers it yet.
    early = await session.sec.receipt(code)
    assert (early["delegation_id"], early["counted"], early["checkpoint"]) == ("M003", None, None)
    assert early["inclusion_proof"] == []
    record = record_from_line(early["record"].encode(), 0)
    assert record.computed_hash() == record.hash
    assert (record.position, record.payload()["tracking_code"]) == (early["position"], code)

    await session.sec.close_round(1)
    reply = await session.sec.receipt(code.lower())  # codes are case-insensitive
    assert (reply["tracking_code"], reply["counted"]) == (code, True)
    info = await session.sec.info()
    assert reply["checkpoint_key"] == info["checkpoint_key"]
    published = (await session.sec.checkpoints())["checkpoints"]
    assert reply["checkpoint"] == published[0]  # the first checkpoint after the ballot
    verified = verify(reply, code)

    # The record is the exported line, and the proof is the one computed from the whole log.
    records = await exported(session)
    assert record_to_line(records[reply["position"] - 1]) == reply["record"].encode() + b"\n"
    assert verified == records[reply["position"] - 1]
    size = reply["checkpoint"]["position"]
    leaves = [merkle.leaf_hash(r.hash) for r in records[:size]]
    assert reply["inclusion_proof"] == [
        p.hex() for p in merkle.inclusion_proof(leaves, reply["position"] - 1)
    ]
    # Every receipt of the round verifies.
    for receipt in receipts:
        verify(await session.sec.receipt(receipt["tracking_code"]), receipt["tracking_code"])

    with pytest.raises(ApiProblem) as missing:
        await session.sec.receipt("AAAA-BBBB-CCCC-DDDD")
    assert missing.value.code == "not_found"


async def test_a_tampered_receipt_does_not_verify(api: Api) -> None:
    session = await setup_session(api, 6)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "B" for i in range(1, 6)})
    await session.sec.close_round(1)
    code = receipts[1]["tracking_code"]
    reply = await session.sec.receipt(code)
    verify(reply, code)

    def fails(
        case: str, changed: dict[str, Any], expected: str | tuple[str, ...], what: str = code
    ) -> None:
        with pytest.raises(CheckpointError) as info:
            verify({**reply, **changed}, what)
        assert info.value.code in ((expected,) if isinstance(expected, str) else expected), case

    proof = reply["inclusion_proof"]
    assert proof, "a session's log has more than one event"
    for i in range(len(proof)):
        bad = [*proof[:i], flip(proof[i], 31), *proof[i + 1 :]]
        fails(f"proof[{i}]", {"inclusion_proof": bad}, "receipt_not_included")
    fails("short proof", {"inclusion_proof": proof[:-1]}, "receipt_not_included")
    fails("long proof", {"inclusion_proof": [*proof, proof[0]]}, "receipt_not_included")
    record = reply["record"]
    moved = f'"position":{reply["position"] + 1}'
    fails(
        "position",
        {"record": record.replace(f'"position":{reply["position"]}', moved)},
        "receipt_record_invalid",
    )
    # One changed byte of the payload: the record no longer hashes to its hash.
    assert '"round_number":1' in record
    fails(
        "payload",
        {"record": record.replace('"round_number":1', '"round_number":2')},
        "receipt_record_invalid",
    )
    fails("not canonical", {"record": record.replace(",", ", ", 1)}, "receipt_record_invalid")
    checkpoint = dict(reply["checkpoint"])
    fails(
        "root",
        {"checkpoint": {**checkpoint, "log_root": flip(checkpoint["log_root"])}},
        "receipt_not_included",
    )
    fails(
        "size",
        {"checkpoint": {**checkpoint, "position": checkpoint["position"] + 1}},
        # The path's shape may fit both sizes (spec §12.3.5); the signature, over the size, cannot.
        ("receipt_not_included", "checkpoint_signature_invalid"),
    )
    signature = bytearray(b64decode(checkpoint["signature"]))
    signature[0] ^= 1
    fails(
        "signature",
        {"checkpoint": {**checkpoint, "signature": b64encode(bytes(signature))}},
        "checkpoint_signature_invalid",
    )
    other_key = SigningKey.from_seed(bytes(32)).public_key().encode()
    fails("key", {"checkpoint_key": b64encode(other_key)}, "checkpoint_signature_invalid")
    fails("another code", {}, "receipt_code_mismatch", receipts[0]["tracking_code"])
    # Another ballot's record with this ballot's proof.
    other = await session.sec.receipt(receipts[0]["tracking_code"])
    fails(
        "another record",
        {"record": other["record"]},
        "receipt_not_included",
        receipts[0]["tracking_code"],
    )


class ReadCounter:
    """Counts the records ``store.read_log`` yields and the rows ``read_stream`` returns."""

    def __init__(self, store: PostgresEventStore) -> None:
        self.log_records = 0
        self.stream_records = 0
        self._read_log = store.read_log
        self._read_stream = store.read_stream

        async def read_log(
            log_id: str, after: int = 0, batch_size: int = 1000
        ) -> AsyncIterator[RecordedEvent]:
            async for record in self._read_log(log_id, after, batch_size):
                self.log_records += 1
                yield record

        async def read_stream(
            log_id: str, stream_id: str, from_version: int = 1
        ) -> list[RecordedEvent]:
            rows = await self._read_stream(log_id, stream_id, from_version)
            self.stream_records += len(rows)
            return rows

        # Instance attributes shadow the methods for every user of this store object: the
        # hub's followers, the services, the log index and the endpoints alike.
        store.read_log = read_log  # type: ignore[method-assign]
        store.read_stream = read_stream  # type: ignore[method-assign]

    def reset(self) -> None:
        self.log_records = self.stream_records = 0


@pytest.fixture
def counter(api: Api) -> ReadCounter:
    return ReadCounter(api.store)


async def test_lookups_do_not_read_the_log(api: Api, counter: ReadCounter) -> None:
    session = await setup_session(api, 9)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "A" for i in range(1, 10)})
    await session.sec.close_round(1)  # signs a checkpoint: the log index is in use
    size = int((await session.sec.info())["position"])
    assert size > 40
    for receipt in receipts:  # let every index settle (the follower may still be delivering)
        verify(await session.sec.receipt(receipt["tracking_code"]), receipt["tracking_code"])
    counter.reset()
    for receipt in receipts * 3:
        reply = await session.sec.receipt(receipt["tracking_code"])
        verify(reply, receipt["tracking_code"])
    # Not one event of the log was read again: only each ballot's own one-event stream.
    assert counter.log_records == 0
    assert counter.stream_records == len(receipts) * 3
    # A miss reads only what may have arrived since the index's last position: nothing here.
    with pytest.raises(ApiProblem):
        await session.sec.receipt("AAAA-BBBB-CCCC-DDDD")
    assert counter.log_records == 0


@pytest.fixture
async def second_server(api: Api, pg_dsn: str, pg_schema: str) -> AsyncIterator[Api]:
    """Another server on the same database and schema (its own hub, followers and indexes),
    closed before ``api`` drops the schema."""
    async with serving(pg_dsn, pg_schema) as served:
        yield served


async def test_a_second_server_answers_for_ballots_cast_through_the_first(
    api: Api, second_server: Api
) -> None:
    session = await setup_session(api, 7)
    other = client_of(second_server).for_session(session.session_id)
    await session.sec.open_round()
    first = await session.vote(1, {f"M00{i}": "A" for i in range(1, 5)})
    # The second server indexes the log on its first look-up ...
    assert (await other.receipt(first[0]["tracking_code"]))["checkpoint"] is None
    await asyncio.sleep(0.5)  # its follower's first read of the log, started meanwhile, ends
    counter = ReadCounter(second_server.store)
    # ... and finds a ballot cast through the first server a moment ago, reading only the tail
    # of the log (the look-up may come before its follower's notification does).
    late = (await session.vote(1, {"M005": "B"}))[0]
    found = await other.receipt(late["tracking_code"])
    assert (found["delegation_id"], found["position"]) == ("M005", late["position"])
    assert counter.log_records <= 2  # the ballot (and at most the follower's own read of it)
    # The first server closes the round and signs the checkpoint; the second server serves
    # the proof against it, identical to the first server's.
    await session.sec.close_round(1)
    for receipt in [*first, late]:
        code = receipt["tracking_code"]
        theirs, ours = await other.receipt(code), await session.sec.receipt(code)
        assert theirs == ours
        verify(theirs, code)


async def test_counted_is_proved_by_the_round_closing(api: Api) -> None:
    session = await setup_session(api, 8)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "AB"[i % 2] for i in range(1, 8)})
    early = await session.sec.receipt(receipts[0]["tracking_code"])
    assert early["ballot_set"] is None  # the round is open
    await session.sec.close_round(1)
    round_info = await session.sec.round(1)
    records = await exported(session)
    casts = [r.position for r in records if r.event_type == "BallotCast"]
    closing = next(r for r in records if r.event_type == "RoundClosed")
    for receipt in receipts:
        code = receipt["tracking_code"]
        reply = await session.sec.receipt(code)
        assert reply["counted"] is True
        ballot, closed = verify_counted(reply, code, round_info)
        assert closed == closing
        proof = reply["ballot_set"]
        assert record_to_line(closing) == proof["record"].encode() + b"\n"
        assert proof["position"] == closing.position
        assert proof["leaf_index"] == casts.index(ballot.position)  # log order
        assert proof["checkpoint"]["position"] >= closing.position

    code = receipts[3]["tracking_code"]
    reply = await session.sec.receipt(code)
    good = reply["ballot_set"]

    def fails(case: str, changed: dict[str, Any], expected: str | tuple[str, ...]) -> None:
        with pytest.raises(CheckpointError) as info:
            verify_counted({**reply, "ballot_set": {**good, **changed}}, code, round_info)
        assert info.value.code in ((expected,) if isinstance(expected, str) else expected), case

    count = len(receipts)
    for index in {0, good["leaf_index"] - 1, good["leaf_index"] + 1, count - 1, count} - {
        good["leaf_index"]
    }:
        if index >= 0:
            fails(f"leaf index {index}", {"leaf_index": index}, "ballot_set_mismatch")
    ballot_proof = good["ballot_proof"]
    assert ballot_proof
    for i in range(len(ballot_proof)):
        bad = [*ballot_proof[:i], flip(ballot_proof[i], 5), *ballot_proof[i + 1 :]]
        fails(f"ballot_proof[{i}]", {"ballot_proof": bad}, "ballot_set_mismatch")
    fails("short ballot proof", {"ballot_proof": ballot_proof[:-1]}, "ballot_set_mismatch")
    log_proof = good["inclusion_proof"]
    for i in range(len(log_proof)):
        bad = [*log_proof[:i], flip(log_proof[i], 7), *log_proof[i + 1 :]]
        fails(f"inclusion_proof[{i}]", {"inclusion_proof": bad}, "receipt_not_included")
    record = good["record"]
    assert f'"ballot_count":{count}' in record
    fails(
        "ballot count",
        {"record": record.replace(f'"ballot_count":{count}', f'"ballot_count":{count + 1}')},
        "round_closed_invalid",
    )
    fails("not canonical", {"record": record.replace(",", ", ", 1)}, "round_closed_invalid")
    fails("the ballot's record", {"record": reply["record"]}, "round_closed_invalid")
    checkpoint = good["checkpoint"]
    fails(
        "checkpoint root",
        {"checkpoint": {**checkpoint, "log_root": flip(checkpoint["log_root"])}},
        "receipt_not_included",
    )
    signature = bytearray(b64decode(checkpoint["signature"]))
    signature[0] ^= 1
    fails(
        "checkpoint signature",
        {"checkpoint": {**checkpoint, "signature": b64encode(bytes(signature))}},
        "checkpoint_signature_invalid",
    )
    # Another ballot's proofs do not prove this one.
    other = await session.sec.receipt(receipts[4]["tracking_code"])
    fails(
        "another ballot's leaf",
        {k: other["ballot_set"][k] for k in ("leaf_index", "ballot_proof")},
        "ballot_set_mismatch",
    )
    # Under another round context the recorded ballot does not hash to its code.
    with pytest.raises(CheckpointError) as info:
        verify_counted(reply, code, {**round_info, "options": [*round_info["options"], "X"]})
    assert info.value.code == "receipt_code_mismatch"


async def test_a_voided_round_has_no_ballot_set(api: Api) -> None:
    session = await setup_session(api, 6)
    await session.sec.open_round()
    receipts = await session.vote(1, {"M001": "A", "M002": "B"})
    await session.sec.void_round(1, "test")
    reply = await session.sec.receipt(receipts[0]["tracking_code"])
    assert (reply["counted"], reply["ballot_set"]) == (False, None)

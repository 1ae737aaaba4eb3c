"""The event-store contract, run against the memory store and real PostgreSQL alike."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from events import (
    ChainBroken,
    DuplicateEventConflict,
    EventStore,
    Expect,
    ImportRefused,
    InvalidPayload,
    LogHead,
    LogRewound,
    NewEvent,
    RecordedEvent,
    WrongExpectedPosition,
    WrongExpectedVersion,
)
from events.canonical import GENESIS_HASH
from events.exchange import export_jsonl, import_jsonl, verify_jsonl
from events.memory import MemoryEventStore
from events.store import MAX_APPEND_EVENTS


def ev(n: int, kind: str = "Thing") -> NewEvent:
    return NewEvent(kind, {"n": n, "text": f"event {n}", "nested": {"b": [1, 2], "a": None}})


async def collect(store: EventStore, log_id: str, after: int = 0) -> list[int]:
    return [e.position async for e in store.read_log(log_id, after)]


async def test_append_assigns_positions_and_stream_versions(store: EventStore) -> None:
    first = await store.append("log-a", "s1", [ev(1), ev(2)], Expect.NO_STREAM)
    second = await store.append("log-a", "s2", [ev(3)], Expect.NO_STREAM)
    third = await store.append("log-a", "s1", [ev(4)], 2)
    assert first.positions == (1, 2) and first.stream_version == 2
    assert second.positions == (3,) and second.stream_version == 1
    assert third.positions == (4,) and third.stream_version == 3
    stream = await store.read_stream("log-a", "s1")
    assert [e.stream_version for e in stream] == [1, 2, 3]
    assert [e.payload()["n"] for e in stream] == [1, 2, 4]
    assert await store.stream_version("log-a", "s1") == 3
    assert await store.stream_version("log-a", "nope") == 0
    head = await store.head("log-a")
    assert head.position == 4
    assert head == await store.verify_chain("log-a")


async def test_expected_versions(store: EventStore) -> None:
    with pytest.raises(WrongExpectedVersion):
        await store.append("log", "s", [ev(1)], Expect.EXISTS)
    with pytest.raises(WrongExpectedVersion):
        await store.append("log", "s", [ev(1)], 3)
    await store.append("log", "s", [ev(1)], Expect.NO_STREAM)
    with pytest.raises(WrongExpectedVersion) as info:
        await store.append("log", "s", [ev(2)], Expect.NO_STREAM)
    assert info.value.actual == 1 and info.value.code == "wrong_expected_version"
    await store.append("log", "s", [ev(2)], Expect.EXISTS)
    await store.append("log", "s", [ev(3)], Expect.ANY)
    await store.append("log", "s", [ev(4)], 3)
    assert await collect(store, "log") == [1, 2, 3, 4]


async def test_require_checks_other_streams_atomically(store: EventStore) -> None:
    await store.append("log", "round-1", [ev(1, "RoundOpened")], Expect.NO_STREAM)
    await store.append("log", "ballot-1-A", [ev(2)], Expect.NO_STREAM, require={"round-1": 1})
    await store.append("log", "round-1", [ev(3, "RoundClosed")], 1)
    with pytest.raises(WrongExpectedVersion) as info:
        await store.append("log", "ballot-1-B", [ev(4)], Expect.NO_STREAM, require={"round-1": 1})
    assert info.value.stream_id == "round-1"
    assert await store.stream_version("log", "ballot-1-B") == 0
    assert await collect(store, "log") == [1, 2, 3]


async def test_refused_append_changes_nothing(store: EventStore) -> None:
    await store.append("log", "s", [ev(1)])
    before = await store.head("log")
    with pytest.raises(WrongExpectedVersion):
        await store.append("log", "s", [ev(2), ev(3)], 5)
    with pytest.raises(InvalidPayload):
        await store.append("log", "s", [ev(2), NewEvent("Bad", {"x": 1.5})])
    assert await store.head("log") == before


async def test_idempotent_retry_returns_original_positions(store: EventStore) -> None:
    batch = [ev(1), ev(2)]
    original = await store.append("log", "s", batch, Expect.NO_STREAM)
    await store.append("log", "other", [ev(3)])
    retried = await store.append("log", "s", batch, Expect.NO_STREAM)
    assert retried == original
    assert await collect(store, "log") == [1, 2, 3]


async def test_concurrent_identical_retries_store_once(store: EventStore) -> None:
    batch = [ev(1)]
    results = await asyncio.gather(*(store.append("log", "s", batch) for _ in range(10)))
    assert {r.positions for r in results} == {(1,)}
    assert await collect(store, "log") == [1]


async def test_same_id_different_content_conflicts(store: EventStore) -> None:
    event_id = str(uuid.uuid4())
    await store.append("log", "s", [NewEvent("T", {"v": 1}, event_id=event_id)])
    with pytest.raises(DuplicateEventConflict) as info:
        await store.append("log", "s", [NewEvent("T", {"v": 2}, event_id=event_id)])
    assert info.value.code == "duplicate_event_conflict"
    with pytest.raises(DuplicateEventConflict):  # same content, other stream
        await store.append("log", "t", [NewEvent("T", {"v": 1}, event_id=event_id)])
    with pytest.raises(DuplicateEventConflict):  # partially stored batch
        await store.append(
            "log", "s", [NewEvent("T", {"v": 1}, event_id=event_id), NewEvent("T", {"v": 3})]
        )
    with pytest.raises(DuplicateEventConflict):  # one id twice in one append
        await store.append(
            "log", "u", [NewEvent("T", {}, event_id=event_id), NewEvent("T", {}, event_id=event_id)]
        )
    assert await collect(store, "log") == [1]


async def test_invalid_payloads_are_refused_before_anything(store: EventStore) -> None:
    for bad in ({"f": 0.5}, {"i": 2**60}, {1: "x"}, {"b": b"bytes"}, {"s": "\ud800"}):
        with pytest.raises(InvalidPayload):
            NewEvent("T", bad)  # type: ignore[arg-type]
    not_objects: tuple[object, ...] = (None, [], "", 0)
    for not_an_object in not_objects:  # metadata, even empty-looking, must be an object
        with pytest.raises(InvalidPayload):
            NewEvent("T", {}, metadata=not_an_object)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        await store.append("log", "s", [])
    assert await store.logs() == []


async def test_logs_are_independent(store: EventStore) -> None:
    await asyncio.gather(*(store.append(f"log-{i % 2}", f"s{i}", [ev(i)]) for i in range(40)))
    assert await store.logs() == ["log-0", "log-1"]
    for log_id in ("log-0", "log-1"):
        assert await collect(store, log_id) == list(range(1, 21))
        await store.verify_chain(log_id)
    assert (await store.head("log-0")).hash != (await store.head("log-1")).hash


async def test_read_log_from_position_in_batches(store: EventStore) -> None:
    for i in range(25):
        await store.append("log", f"s{i % 3}", [ev(i)])
    got = [e.position async for e in store.read_log("log", after=7, batch_size=4)]
    assert got == list(range(8, 26))
    assert await collect(store, "missing") == []
    assert (await store.head("missing")).hash == GENESIS_HASH


async def test_subscription_delivers_each_event_once_in_order(store: EventStore) -> None:
    await store.append("log", "s", [ev(1), ev(2)])
    seen: list[int] = []

    async def follow() -> None:
        async for event in store.subscribe("log", after=1):
            seen.append(event.position)
            if event.position == 12:
                return

    task = asyncio.create_task(follow())
    for i in range(3, 13):
        await store.append("log", f"s{i % 2}", [ev(i)])
        if i % 3 == 0:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(task, 10)
    assert seen == list(range(2, 13))


async def test_export_import_round_trip_and_verification(store: EventStore) -> None:
    for i in range(12):
        await store.append("log", f"s{i % 4}", [ev(i), ev(100 + i)])
    lines = [line async for line in export_jsonl(store, "log")]
    assert len(lines) == 24
    head = verify_jsonl(lines)
    assert head == await store.head("log")

    copy = MemoryEventStore()
    assert await import_jsonl(copy, lines[:10]) == (await copy.head("log"))
    await import_jsonl(copy, lines[10:])
    assert [line async for line in export_jsonl(copy, "log")] == lines
    with pytest.raises(ImportRefused):
        await import_jsonl(copy, lines[5:7])  # does not continue the log


async def test_import_refuses_a_tampered_log(store: EventStore) -> None:
    source = MemoryEventStore()
    for i in range(5):
        await source.append("log", "s", [ev(i)])
    lines = [line async for line in export_jsonl(source, "log")]
    lines[2] = lines[2].replace(b"event 2", b"event 9")
    with pytest.raises(ImportRefused) as info:
        await import_jsonl(store, lines)
    assert info.value.position == 3
    with pytest.raises(ChainBroken) as broken:
        verify_jsonl(lines)
    assert broken.value.position == 3
    assert await store.logs() == []


async def test_expected_position_guards_whole_log_decisions(store: EventStore) -> None:
    await store.append("log", "round-1", [ev(1, "RoundOpened")])
    await store.append("log", "ballot-1-A", [ev(2)], Expect.NO_STREAM, require={"round-1": 1})
    closing_at = (await store.head("log")).position
    # A ballot lands after the closer read the log: the close must not go through.
    await store.append("log", "ballot-1-B", [ev(3)], Expect.NO_STREAM, require={"round-1": 1})
    with pytest.raises(WrongExpectedPosition) as info:
        await store.append(
            "log", "round-1", [ev(4, "RoundClosed")], 1, expected_position=closing_at
        )
    assert (info.value.expected, info.value.actual) == (2, 3)
    await store.append("log", "round-1", [ev(4, "RoundClosed")], 1, expected_position=3)
    assert await collect(store, "log") == [1, 2, 3, 4]


async def test_an_append_refuses_a_log_behind_or_other_than_the_head_its_writer_saw(
    store: EventStore,
) -> None:
    first = await store.append("log", "s", [ev(1), ev(2)])
    assert len(first.hashes) == 2 and first.hashes[-1] == (await store.head("log")).hash
    seen = await store.head("log")
    # A writer that saw position 2 is told when the log is at 1 (cut), or at 2 with another
    # hash (rewritten): the database owner moved it back; nothing is appended.
    behind = LogHead("log", 3, seen.hash)
    with pytest.raises(LogRewound) as info:
        await store.append("log", "s", [ev(3)], seen=behind)
    assert (info.value.seen, info.value.actual) == (3, 2)
    with pytest.raises(LogRewound, match="another event"):
        await store.append("log", "s", [ev(3)], seen=LogHead("log", 2, b"\x01" * 32))
    assert await collect(store, "log") == [1, 2]
    # The head it saw, or one it has moved past, is fine.
    third = await store.append("log", "s", [ev(3)], seen=seen)
    await store.append("log", "s", [ev(4)], seen=LogHead("log", 1, first.hashes[0]))
    assert third.hashes == ((await store.read_stream("log", "s", 3))[0].hash,)
    assert await collect(store, "log") == [1, 2, 3, 4]


# -- what every store refuses before deciding (one validation, events.store) ---------------


async def test_an_append_over_the_size_limit_is_refused_by_every_store(store: EventStore) -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_APPEND_EVENTS} events"):
        await store.append("log", "s", [ev(i) for i in range(MAX_APPEND_EVENTS + 1)])
    assert await store.logs() == []
    result = await store.append("log", "s", [ev(i) for i in range(MAX_APPEND_EVENTS)])
    assert result.positions == tuple(range(1, MAX_APPEND_EVENTS + 1))


async def test_malformed_appends_are_refused_by_every_store(store: EventStore) -> None:
    await store.append("log", "round", [ev(1)])
    malformed: list[dict[str, Any]] = [
        {"log_id": ""},
        {"log_id": "x" * 201},
        {"stream_id": "tab\tin"},
        {"require": {"": 1}},  # a required stream is named like any other
        {"require": {"nul\x00": Expect.ANY}},
        {"expected_version": -1},
        {"expected_version": True},
        {"expected_version": "1"},
        {"require": {"round": -1}},
        {"expected_position": -1},
        {"expected_position": 1.0},
    ]
    for change in malformed:
        args: dict[str, Any] = {"log_id": "log", "stream_id": "s", "events": [ev(2)], **change}
        with pytest.raises(ValueError):  # noqa: PT011 - each names its own field
            await store.append(**args)
    assert await collect(store, "log") == [1]


def _rechained(records: list[RecordedEvent]) -> list[RecordedEvent]:
    """``records`` with prev_hash and hash recomputed in order (a forged but verifying log)."""
    out: list[RecordedEvent] = []
    prev = GENESIS_HASH
    for record in records:
        record = record._replace(prev_hash=prev)
        record = record._replace(hash=record.computed_hash())
        out.append(record)
        prev = record.hash
    return out


async def test_unimportable_records_are_refused_by_every_store(store: EventStore) -> None:
    source = MemoryEventStore()
    await source.append("log", "s", [ev(1), ev(2)])
    first, second = [r async for r in source.read_log("log")]
    forged = [
        [first, second._replace(event_id=first.event_id)],  # one event id twice
        [first, second._replace(event_id=second.event_id.upper())],  # not canonical
        [first, second._replace(event_id="not-a-uuid")],
        [first, second._replace(stream_id="")],
        [first, second._replace(schema_version=0)],
        [first, second._replace(recorded_at="2024-01-01 00:00:00")],
    ]
    for records in forged:
        with pytest.raises(ImportRefused) as info:
            await store.import_records(_rechained(records))
        assert info.value.position == 2
    assert await store.logs() == []
    with pytest.raises(ImportRefused, match="nothing"):
        await store.import_records([])
    assert await store.import_records([first, second]) == await source.head("log")


async def test_append_observers_hear_of_every_committed_group_once(store: EventStore) -> None:
    heard: list[tuple[float, int]] = []
    stop = store.observe_appends(lambda seconds, events: heard.append((seconds, events)))
    first = [ev(1), ev(2), ev(3)]
    await store.append("log", "s", first, Expect.NO_STREAM)
    assert len(heard) == 1 and heard[0][1] == 3 and heard[0][0] >= 0
    await store.append("log", "s", first, Expect.NO_STREAM)  # a retry: nothing written
    with pytest.raises(WrongExpectedVersion):
        await store.append("log", "s", [ev(4)], Expect.NO_STREAM)  # refused
    assert len(heard) == 1
    # Concurrent appends: however a store groups them, every event is counted exactly once,
    # in groups of at least one event, and no more groups than appends.
    await asyncio.gather(*(store.append("log", f"t{i}", [ev(i), ev(i)]) for i in range(20)))
    groups = heard[1:]
    assert sum(events for _, events in groups) == 40
    assert 1 <= len(groups) <= 20 and all(events >= 2 for _, events in groups)
    assert (await store.head("log")).position == 43
    stop()
    await store.append("log", "s", [ev(5)])
    assert len(heard) == 1 + len(groups)


async def test_a_failing_append_observer_does_not_fail_the_append(
    store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(seconds: float, events: int) -> None:
        raise RuntimeError("observer bug")

    heard: list[int] = []
    store.observe_appends(broken)
    store.observe_appends(lambda seconds, events: heard.append(events))
    result = await store.append("log", "s", [ev(1)])
    assert result.positions == (1,)
    assert heard == [1]  # the next observer is still told
    assert "an append observer failed" in caplog.text

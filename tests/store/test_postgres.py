"""PostgreSQL-specific guarantees of the event store, against a real server."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import ChainBroken, Expect, NewEvent, WrongExpectedVersion
from events.exchange import export_jsonl, verify_jsonl
from events.memory import MemoryEventStore
from events.migrate import available_migrations, migrate, schema_version
from events.model import AppendResult, RecordedEvent
from events.postgres import Connection, PostgresEventStore
from events.projections import ProjectionRunner
from events.roles import APP_ROLE, ensure_login_role, with_user

CHILD = Path(__file__).with_name("_child.py")


async def positions(store: PostgresEventStore, log_id: str) -> list[int]:
    return [e.position async for e in store.read_log(log_id)]


@pytest.fixture
async def other_store(
    pg_dsn: str, pg_store: PostgresEventStore
) -> AsyncIterator[PostgresEventStore]:
    """A second store on ``pg_store``'s schema, with its own pool and writer queue: what
    another server process on the same database has. Closed before the schema is dropped."""
    other = await PostgresEventStore.open(pg_dsn, schema=pg_store.schema, run_migrations=False)
    try:
        yield other
    finally:
        await other.close()


async def test_two_concurrent_writers_gap_free_and_chained(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    # A second store instance has its own pool and writer queue: two "processes".

    async def writer(store: PostgresEventStore, name: str) -> list[int]:
        got: list[int] = []
        for i in range(1000):
            result = await store.append("log", f"writer-{name}", [NewEvent("W", {"i": i})], i)
            got.extend(result.positions)
        return got

    a, b = await asyncio.gather(writer(pg_store, "a"), writer(other_store, "b"))
    assert sorted(a + b) == list(range(1, 2001))
    assert a == sorted(a) and b == sorted(b)
    head = await pg_store.verify_chain("log")
    assert head.position == 2000
    stream_a = await pg_store.read_stream("log", "writer-a")
    assert [e.payload()["i"] for e in stream_a] == list(range(1000))


async def test_group_committed_batches_stay_contiguous(pg_store: PostgresEventStore) -> None:
    async def append(i: int) -> tuple[int, ...]:
        batch = [NewEvent("B", {"writer": i, "k": k}) for k in range(4)]
        return (await pg_store.append("log", f"w{i}", batch, Expect.NO_STREAM)).positions

    results = await asyncio.gather(*(append(i) for i in range(100)))
    for got in results:
        assert list(got) == list(range(got[0], got[0] + 4))
    events = [e async for e in pg_store.read_log("log")]
    assert [e.position for e in events] == list(range(1, 401))
    for start in range(0, 400, 4):
        writers = {e.payload()["writer"] for e in events[start : start + 4]}
        assert len(writers) == 1  # a writer's events are never interleaved with another's
    await pg_store.verify_chain("log")


async def test_64_writers_on_one_stream_one_winner_per_version(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    for version in range(8):
        expected: Expect | int = Expect.NO_STREAM if version == 0 else version
        stores = [pg_store if i % 2 else other_store for i in range(64)]
        outcomes = await asyncio.gather(
            *(
                s.append("log", "contended", [NewEvent("C", {"writer": i})], expected)
                for i, s in enumerate(stores)
            ),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if not isinstance(o, BaseException)]
        losers = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(winners) == 1
        assert all(isinstance(o, WrongExpectedVersion) for o in losers)
        assert winners[0].stream_version == version + 1
    assert await pg_store.stream_version("log", "contended") == 8
    assert await positions(pg_store, "log") == list(range(1, 9))


async def test_database_refuses_update_delete_truncate(
    pg_dsn: str, pg_store: PostgresEventStore
) -> None:
    await pg_store.append("log", "s", [NewEvent("T", {"v": 1}), NewEvent("T", {"v": 2})])
    before = [line async for line in export_jsonl(pg_store, "log")]
    conn = await asyncpg.connect(pg_dsn, server_settings={"search_path": pg_store.schema})
    try:
        for statement in (
            "UPDATE events SET event_type = 'Forged' WHERE position = 1",
            "UPDATE events SET payload = '{}' WHERE false",
            "DELETE FROM events WHERE position = 2",
            "TRUNCATE events",
            "DELETE FROM log_heads",
            "TRUNCATE streams CASCADE",
        ):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(statement)
        # The application role may read and append, nothing more.
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE ballot_app")
            assert await conn.fetchval("SELECT count(*) FROM events") == 2
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("UPDATE events SET event_type = 'Forged'")
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE ballot_app")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM events")
    finally:
        await conn.close()
    assert [line async for line in export_jsonl(pg_store, "log")] == before


async def test_application_role_can_append(pg_dsn: str, pg_store: PostgresEventStore) -> None:
    """Least privilege is enough: the store works when connected as ballot_app."""
    if "postgres:@" not in pg_dsn:
        pytest.skip("not the embedded server: ballot_app may need a password here")
    conn = await asyncpg.connect(pg_dsn)
    try:
        await ensure_login_role(conn, APP_ROLE)
    finally:
        await conn.close()
    user_dsn = with_user(pg_dsn, APP_ROLE)
    app = await PostgresEventStore.open(user_dsn, schema=pg_store.schema, run_migrations=False)
    try:
        await app.append("log", "s", [NewEvent("T", {"by": "app"})], Expect.NO_STREAM)
        assert await positions(app, "log") == [1]
    finally:
        await app.close()


async def test_any_flipped_byte_of_an_export_is_detected_at_its_position(
    pg_store: PostgresEventStore,
) -> None:
    for i in range(30):
        await pg_store.append(
            "log", f"s{i % 4}", [NewEvent("T", {"i": i, "name": "Côte d'Ivoire"})]
        )
    export = b"".join([line async for line in export_jsonl(pg_store, "log")])
    assert verify_jsonl(export.splitlines(keepends=True)).position == 30

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(offset=st.integers(0, len(export) - 1), flip=st.integers(1, 255))
    def check(offset: int, flip: int) -> None:
        tampered = bytearray(export)
        tampered[offset] ^= flip
        expected_position = export.count(b"\n", 0, offset) + 1
        with pytest.raises(ChainBroken) as info:
            verify_jsonl(bytes(tampered).splitlines(keepends=True))
        assert info.value.position == expected_position

    check()


async def test_dropped_or_swapped_events_are_detected(pg_store: PostgresEventStore) -> None:
    for i in range(6):
        await pg_store.append("log", "s", [NewEvent("T", {"i": i})])
    lines = [line async for line in export_jsonl(pg_store, "log")]
    with pytest.raises(ChainBroken) as dropped:
        verify_jsonl(lines[:2] + lines[3:])
    assert dropped.value.position == 3
    with pytest.raises(ChainBroken) as swapped:
        verify_jsonl([lines[0], lines[2], lines[1], *lines[3:]])
    assert swapped.value.position == 2


async def test_subscriber_in_another_process_sees_every_event_once_in_order(
    pg_dsn: str, pg_store: PostgresEventStore
) -> None:
    total = 300
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        "subscribe",
        pg_dsn,
        pg_store.schema,
        "log",
        str(total),
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    assert (await asyncio.wait_for(child.stdout.readline(), 30)).strip() == b"ready"

    async def writer(w: int) -> None:
        for k in range(total // 4):
            await pg_store.append("log", f"w{w}", [NewEvent("T", {"n": w * 1000 + k})])
            if k % 10 == 0:
                await asyncio.sleep(0.005)

    await asyncio.gather(*(writer(w) for w in range(4)))
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0
    seen = [json.loads(line) for line in out.decode().splitlines()]
    stored = [e async for e in pg_store.read_log("log")]
    assert [s["position"] for s in seen] == list(range(1, total + 1))
    assert [s["n"] for s in seen] == [e.payload()["n"] for e in stored]


async def test_a_subscriber_takes_its_own_process_appends_from_memory(
    pg_store: PostgresEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Records this process just committed are handed to its own subscribers as they are —
    # byte for byte what the table holds — without reading them back.
    await pg_store.append("log", "s", [NewEvent("E", {"i": 0})])
    reads = 0
    read_log = pg_store.read_log

    def counting(log_id: str, after: int = 0, batch_size: int = 1000) -> AsyncIterator[Any]:
        nonlocal reads
        reads += 1
        return read_log(log_id, after, batch_size)

    monkeypatch.setattr(pg_store, "read_log", counting)
    seen: list[RecordedEvent] = []
    started = asyncio.Event()

    async def follow() -> None:
        async for record in pg_store.subscribe("log"):
            seen.append(record)
            started.set()  # the first read (from the table) is done
            if record.position == 21:
                return

    task = asyncio.create_task(follow())
    await asyncio.wait_for(started.wait(), 10)
    first_reads = reads
    for i in range(1, 21):
        await pg_store.append("log", f"s{i % 3}", [NewEvent("E", {"i": i, "é": "ü"})])
    await asyncio.wait_for(task, 10)
    assert reads == first_reads
    monkeypatch.setattr(pg_store, "read_log", read_log)
    assert seen == [record async for record in pg_store.read_log("log")]


async def test_own_records_are_kept_only_while_someone_here_subscribes(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    subscription = pg_store.subscribe("followed")
    await other_store.append("followed", "s", [NewEvent("E", {})])
    assert (await anext(subscription)).position == 1
    for log_id in ("followed", "other"):  # "other" is notified here, but nobody follows it
        await other_store.append(log_id, "s", [NewEvent("E", {})])
        await pg_store.append(log_id, "s", [NewEvent("E", {})])
    assert [(await anext(subscription)).position for _ in range(2)] == [2, 3]
    await asyncio.sleep(0.05)  # the notifications of "other" arrive
    assert set(pg_store._notifier._own) == {"followed"}
    assert isinstance(subscription, AsyncGenerator)
    await subscription.aclose()
    assert pg_store._notifier._own == {}


async def test_a_subscriber_reads_the_table_for_what_another_process_wrote_in_between(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    seen: list[int] = []

    async def follow() -> None:
        async for record in pg_store.subscribe("log"):
            seen.append(record.position)
            if record.position == 30:
                return

    task = asyncio.create_task(follow())
    for i in range(30):  # this process and another take turns: memory has gaps
        store = pg_store if i % 3 else other_store
        await store.append("log", f"s{i}", [NewEvent("E", {"i": i})])
        if i % 7 == 0:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(task, 10)
    assert seen == list(range(1, 31))


async def test_process_killed_mid_append_leaves_whole_batches_only(
    pg_dsn: str, pg_store: PostgresEventStore
) -> None:
    batch = 3000
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CHILD),
        "append-forever",
        pg_dsn,
        pg_store.schema,
        "log",
        str(batch),
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    monitor = await asyncpg.connect(pg_dsn)
    try:
        started = 0
        while started < 3:  # let a few batches commit first
            line = await asyncio.wait_for(child.stdout.readline(), 30)
            started = int(line.split()[1])
        # Kill it while its append transaction is open in the server.
        for _ in range(2000):
            in_transaction = await monitor.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ballot-crash-test'"
                " AND xact_start IS NOT NULL AND state <> 'idle'"
            )
            if in_transaction:
                break
            await asyncio.sleep(0.001)
        assert in_transaction, "never caught the child inside a transaction"
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
        # The server notices the dead client and rolls its transaction back.
        for _ in range(200):
            left = await monitor.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ballot-crash-test'"
            )
            if not left:
                break
            await asyncio.sleep(0.05)
    finally:
        await monitor.close()
    events = [e async for e in pg_store.read_log("log")]
    per_append = Counter(e.payload()["append"] for e in events)
    assert len(per_append) >= 2
    assert set(per_append.values()) == {batch}
    head = await pg_store.verify_chain("log")
    assert head.position == len(events) == (await pg_store.head("log")).position
    # The log goes on normally after the crash.
    await pg_store.append("log", "after", [NewEvent("T", {"ok": True})])
    await pg_store.verify_chain("log")


async def test_old_schema_is_upgraded_in_place(pg_dsn: str, pg_schema: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await migrate(conn, pg_schema, target=1) == [1]
        assert await schema_version(conn, pg_schema) == 1
        # Write a log the way a version-1 deployment held it: plain rows in its tables.
        memory = MemoryEventStore()
        await memory.append("log", "s", [NewEvent("T", {"v": 1})])
        (record,) = [e async for e in memory.read_log("log")]
        await conn.execute(
            f'INSERT INTO "{pg_schema}".log_heads VALUES ($1, $2, $3)',
            "log",
            1,
            record.hash,
        )
        await conn.execute(f'INSERT INTO "{pg_schema}".streams VALUES ($1, $2, 1)', "log", "s")
        await conn.execute(
            f'INSERT INTO "{pg_schema}".events VALUES'
            " ($1, $2, $3, $4, $5::text::uuid, $6, $7, $8, $9, $10::text::timestamptz, $11, $12)",
            *record,
        )
        store = await PostgresEventStore.open(pg_dsn, schema=pg_schema)  # migrates to latest
        try:
            latest = len(available_migrations())
            assert await schema_version(conn, pg_schema) == latest
            assert [e async for e in store.read_log("log")] == [record]
            await store.append("log", "s", [NewEvent("T", {"v": 2})], 1)
            assert (await store.verify_chain("log")).position == 2
            assert await migrate(conn, pg_schema) == []  # idempotent
        finally:
            await store.close()
    finally:
        await conn.execute(f'DROP SCHEMA "{pg_schema}" CASCADE')
        await conn.close()


class CountsProjection:
    """A small projection: events per type and the last payload of each stream."""

    name = "counts"

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at

    async def setup(self, conn: Connection) -> None:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS proj_counts (log_id text, event_type text, n bigint,"
            " PRIMARY KEY (log_id, event_type));"
            "CREATE TABLE IF NOT EXISTS proj_last (log_id text, stream_id text, payload text,"
            " PRIMARY KEY (log_id, stream_id))"
        )

    async def reset(self, conn: Connection, log_id: str) -> None:
        await conn.execute("DELETE FROM proj_counts WHERE log_id = $1", log_id)
        await conn.execute("DELETE FROM proj_last WHERE log_id = $1", log_id)

    async def apply(self, conn: Connection, log_id: str, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            if event.position == self.fail_at:
                raise RuntimeError("projection bug")
            await conn.execute(
                "INSERT INTO proj_counts VALUES ($1, $2, 1)"
                " ON CONFLICT (log_id, event_type) DO UPDATE SET n = proj_counts.n + 1",
                log_id,
                event.event_type,
            )
            await conn.execute(
                "INSERT INTO proj_last VALUES ($1, $2, $3)"
                " ON CONFLICT (log_id, stream_id) DO UPDATE SET payload = EXCLUDED.payload",
                log_id,
                event.stream_id,
                event.payload_json,
            )


async def _rows(store: PostgresEventStore) -> list[tuple[object, ...]]:
    counts = await store.pool.fetch("SELECT * FROM proj_counts ORDER BY 1, 2")
    last = await store.pool.fetch("SELECT * FROM proj_last ORDER BY 1, 2")
    return [tuple(r) for r in counts] + [tuple(r) for r in last]


async def test_projection_rebuild_gives_identical_rows(pg_store: PostgresEventStore) -> None:
    rng = random.Random(7)
    runner = ProjectionRunner(pg_store, CountsProjection(), "log")
    await runner.setup()
    for i in range(120):
        kind = rng.choice(["A", "B", "C"])
        await pg_store.append("log", f"s{rng.randrange(9)}", [NewEvent(kind, {"i": i})])
        if i % 37 == 0:
            await runner.catch_up(batch_size=16)  # incremental, in uneven steps
    assert await runner.catch_up(batch_size=16) == 120
    incremental = await _rows(pg_store)
    assert await runner.rebuild(batch_size=50) == 120
    assert await _rows(pg_store) == incremental


async def test_projection_rows_and_checkpoint_move_together(pg_store: PostgresEventStore) -> None:
    for i in range(10):
        await pg_store.append("log", "s", [NewEvent("A", {"i": i})])
    failing = ProjectionRunner(pg_store, CountsProjection(fail_at=7), "log")
    await failing.setup()
    with pytest.raises(RuntimeError, match="projection bug"):
        await failing.catch_up(batch_size=5)
    assert await failing.checkpoint() == 5  # first batch committed, second rolled back
    assert await _rows(pg_store) == [("log", "A", 5), ("log", "s", '{"i":4}')]
    fixed = ProjectionRunner(pg_store, CountsProjection(), "log")
    assert await fixed.catch_up() == 10
    assert (await _rows(pg_store))[0] == ("log", "A", 10)


async def test_optimistic_appends_take_one_round_trip_and_stay_exact(
    pg_store: PostgresEventStore,
) -> None:
    # The first group takes the lock; afterwards a process appending alone writes each group
    # with one self-checking statement, and the log is exactly what the locked way gives.
    for i in range(20):
        result = await pg_store.append("log", "s", [NewEvent("E", {"i": i})], i)
        assert result.positions == (i + 1,) and result.stream_version == i + 1
    assert pg_store.group_counts["locked"] == 1
    assert pg_store.group_counts["optimistic"] == 19
    assert pg_store.group_counts["stale"] == 0
    await pg_store.verify_chain("log")


async def test_a_group_that_overtakes_its_own_predecessor_is_written_after_it(
    pg_store: PostgresEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two pipelined optimistic groups go out on two connections, so the second can reach
    # PostgreSQL first and find the head not yet where its plan starts. That is no news of
    # another writer: it waits for its predecessor and is written after it, and the process
    # keeps what it knows (no fall back to the locked way, which forgets every stream).
    await pg_store.append("log", "warm", [NewEvent("W", {})])  # locked: learns the head
    write = pg_store._appender.write_if_head
    calls = 0
    second: asyncio.Task[AppendResult] | None = None

    async def first_one_slow(decided: Any, before: Any) -> bool:
        nonlocal calls, second
        calls += 1
        if calls == 1:
            # Queued while the first group is on its way: the next group, decided on top.
            second = asyncio.create_task(
                pg_store.append("log", "b", [NewEvent("B", {})], require={"warm": 1})
            )
            await asyncio.sleep(0.1)
        return await write(decided, before)

    monkeypatch.setattr(pg_store._appender, "write_if_head", first_one_slow)
    first = await pg_store.append("log", "a", [NewEvent("A", {})])
    assert second is not None
    assert first.positions == (2,) and (await second).positions == (3,)
    assert calls == 3  # the second group was sent again once the first was written
    assert pg_store.group_counts == {"locked": 1, "optimistic": 2}
    await pg_store.verify_chain("log")


async def test_a_group_found_stale_because_another_process_appended_is_not_sent_twice(
    pg_store: PostgresEventStore, other_store: PostgresEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await pg_store.append("log", "a", [NewEvent("A", {})])  # locked: learns the head
    await pg_store.append("log", "a", [NewEvent("A", {})])  # optimistic, written
    await other_store.append("log", "b", [NewEvent("B", {})])  # the head moves elsewhere
    write = pg_store._appender.write_if_head
    attempts = 0

    async def counting(decided: Any, before: Any) -> bool:
        nonlocal attempts
        attempts += 1
        return await write(decided, before)

    monkeypatch.setattr(pg_store._appender, "write_if_head", counting)
    heard: list[tuple[float, int]] = []
    pg_store.observe_appends(lambda seconds, events: heard.append((seconds, events)))
    started = time.perf_counter()
    result = await pg_store.append("log", "a", [NewEvent("A", {})])
    took = time.perf_counter() - started
    assert result.positions == (4,)
    # One optimistic attempt (its predecessor, long written, has nothing to do with it),
    # then the locked way.
    assert attempts == 1
    assert pg_store.group_counts == {"locked": 2, "optimistic": 1, "stale": 1}
    # One group for the observers, written once, timed across both ways.
    assert len(heard) == 1 and heard[0][1] == 1 and 0 < heard[0][0] <= took


async def test_optimistic_appends_notice_another_process(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    # Two stores on one log ("two processes") take turns: each turn finds the log moved by
    # the other_store, so the optimistic write must refuse itself and the locked way must decide —
    # expected versions included — on the real state. Nothing may be written twice or lost.
    await pg_store.append("log", "warm-a", [NewEvent("W", {})])
    await other_store.append("log", "warm-b", [NewEvent("W", {})])
    for i in range(10):
        store = pg_store if i % 2 == 0 else other_store
        result = await store.append(
            "log", "shared", [NewEvent("S", {"i": i})], i or Expect.NO_STREAM
        )
        assert result.stream_version == i + 1
        with pytest.raises(WrongExpectedVersion):  # a stale cache must not let this through
            await store.append("log", "shared", [NewEvent("S", {"late": i})], i or Expect.NO_STREAM)
    # A stream created by the other process is not "new" to this one.
    await other_store.append("log", "made-by-other", [NewEvent("M", {})])
    result = await pg_store.append("log", "made-by-other", [NewEvent("M", {})])
    assert result.stream_version == 2
    assert pg_store.group_counts["stale"] + other_store.group_counts["stale"] > 0
    head = await pg_store.verify_chain("log")
    assert head.position == 14  # 2 warm-ups, 10 turns, 2 on the other's stream
    assert await positions(pg_store, "log") == list(range(1, 15))


async def test_stream_unknown_to_this_process_is_checked_in_the_database(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    # A stream written before this process started is assumed new by the optimistic plan;
    # the database refuses that assumption and the append gets the stream's real version.
    await pg_store.append("log", "old", [NewEvent("O", {}), NewEvent("O", {})])
    await other_store.append("log", "fresh", [NewEvent("F", {})])  # locked: learns the head
    result = await other_store.append("log", "old", [NewEvent("O", {})])
    assert result.stream_version == 3 and result.positions == (4,)
    assert other_store.group_counts["stale"] == 1
    with pytest.raises(WrongExpectedVersion):
        await other_store.append("log", "old", [NewEvent("O", {})], Expect.NO_STREAM)
    await other_store.verify_chain("log")


async def test_optimistic_retry_is_idempotent(pg_store: PostgresEventStore) -> None:
    await pg_store.append("log", "warm", [NewEvent("W", {})])
    event = NewEvent("R", {"x": 1}, event_id="6f1c2e1e-8f5b-4a4e-9b43-2f7c1d9e0a11")
    first = await pg_store.append("log", "r", [event])
    again = await pg_store.append("log", "r", [event])
    assert again.positions == first.positions
    assert await positions(pg_store, "log") == [1, 2]


async def test_a_required_stream_unknown_to_this_process_is_read_not_assumed(
    pg_store: PostgresEventStore, other_store: PostgresEventStore
) -> None:
    # "round" exists (written by another process); this process never saw it. An append that
    # requires it to be absent must be refused: nothing it writes would collide with it.
    await pg_store.append("log", "round", [NewEvent("R", {})])
    await other_store.append("log", "warm", [NewEvent("W", {})])  # locked: learns the head
    with pytest.raises(WrongExpectedVersion):
        await other_store.append(
            "log", "ballot-x", [NewEvent("B", {})], require={"round": Expect.NO_STREAM}
        )
    ok = await other_store.append("log", "ballot-y", [NewEvent("B", {})], require={"round": 1})
    assert ok.positions == (3,)
    assert await positions(pg_store, "log") == [1, 2, 3]

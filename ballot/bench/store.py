"""``ballot bench store``: durable append throughput, its baseline, and replay speed.

* ``append_rate``: single-event appends into one log by 1, 16 and 64 concurrent writers
  (each on its own stream), through the store's group commit. Every append is durable
  (fsync'd commit) before it returns. Reports events/s and p50/p99 latency.
* ``baseline_rate``: the same machine's floor in the same run — single-event commits issued
  one after another (one ``INSERT`` + ``COMMIT`` per event, no batching).
* ``replay_rate``: reading the whole log back in batches and verifying every hash of the
  chain, events/s.

Runs on ``BALLOT_DATABASE_URL`` or the embedded PostgreSQL, in a throw-away schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass

import asyncpg

from events import NewEvent
from events.chain import ChainVerifier
from events.database import open_database
from events.postgres import PostgresEventStore

LOG = "bench-log"


@dataclass
class Rate:
    """Throughput and latency of one measurement."""

    events: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot bench store``."""
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per writer level")
    parser.add_argument(
        "--replay-events", type=int, default=100_000, help="log size for the replay measurement"
    )
    parser.add_argument("--database", help="PostgreSQL URL (default: BALLOT_DATABASE_URL/embedded)")


def _payload(i: int) -> dict[str, object]:
    # About the size of a small domain event (a presence record, a round opening).
    return {"member": f"M{i % 175:03d}", "present": True, "note": "x" * 120, "seq": i}


async def _append_rate(store: PostgresEventStore, writers: int, duration: float) -> Rate:
    latencies: list[float] = []
    deadline = time.perf_counter() + duration
    count = 0

    async def writer(w: int) -> None:
        nonlocal count
        stream = f"w{writers}-{w}"
        i = 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await store.append(LOG, stream, [NewEvent("Bench", _payload(i))], i)
            latencies.append((time.perf_counter() - t0) * 1000)
            i += 1
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return Rate(count, time.perf_counter() - start, latencies)


async def _baseline(dsn: str, schema: str, duration: float) -> Rate:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        await conn.execute("CREATE TABLE baseline (id uuid PRIMARY KEY, payload json NOT NULL)")
        text = json.dumps(_payload(0))
        latencies: list[float] = []
        deadline = time.perf_counter() + duration
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await conn.execute("INSERT INTO baseline VALUES ($1, $2)", uuid.uuid4(), text)
            latencies.append((time.perf_counter() - t0) * 1000)
        return Rate(len(latencies), time.perf_counter() - start, latencies)
    finally:
        await conn.close()


async def _fill(store: PostgresEventStore, target: int) -> None:
    head = await store.head(LOG)
    k = 0
    while head.position < target:
        size = min(5000, target - head.position)
        events = [NewEvent("Bulk", _payload(i)) for i in range(size)]
        await store.append(LOG, f"bulk-{k}", events)
        head = await store.head(LOG)
        k += 1


async def _replay_rate(store: PostgresEventStore) -> Rate:
    verifier = ChainVerifier(LOG)
    start = time.perf_counter()
    async for event in store.read_log(LOG, batch_size=5000):
        verifier.feed(event)
    return Rate(verifier.position, time.perf_counter() - start, [])


async def measure(args: argparse.Namespace) -> dict[str, object]:
    """Run every measurement; return the JSON report."""
    database = open_database(args.database)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    store = await PostgresEventStore.open(database.dsn, schema=schema, max_connections=4)
    try:
        rates = {}
        for writers in (1, 16, 64):
            rates[str(writers)] = await _append_rate(store, writers, args.duration)
        baseline = await _baseline(database.dsn, schema, args.duration)
        await _fill(store, args.replay_events)
        replay = await _replay_rate(store)
    finally:
        await store.close()
        conn = await asyncpg.connect(database.dsn)
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()
        database.close()
    return {
        "append_rate": {k: round(r.per_second, 1) for k, r in rates.items()},
        "append_p50_ms": {k: round(r.percentile(0.5), 2) for k, r in rates.items()},
        "append_p99_ms": {k: round(r.percentile(0.99), 2) for k, r in rates.items()},
        "baseline_rate": round(baseline.per_second, 1),
        "baseline_p50_ms": round(statistics.median(baseline.latencies_ms), 2),
        "replay_rate": round(replay.per_second, 1),
        "replay_events": replay.events,
        "speedup_64_vs_baseline": round(rates["64"].per_second / baseline.per_second, 2),
    }


def run(args: argparse.Namespace) -> int:
    """Entry point of ``ballot bench store``."""
    report = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(report))
        return 0
    rates = report["append_rate"]
    p50 = report["append_p50_ms"]
    p99 = report["append_p99_ms"]
    assert isinstance(rates, dict) and isinstance(p50, dict) and isinstance(p99, dict)
    print(f"{'measurement':<40}{'events/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
    for writers in ("1", "16", "64"):
        print(
            f"{'durable appends, ' + writers + ' writer(s)':<40}"
            f"{rates[writers]:>12,.0f}{p50[writers]:>10.2f}{p99[writers]:>10.2f}"
        )
    print(
        f"{'baseline: serialized single commits':<40}{report['baseline_rate']:>12,.0f}"
        f"{report['baseline_p50_ms']:>10.2f}{'':>10}"
    )
    print(f"{'replay + chain verification':<40}{report['replay_rate']:>12,.0f}")
    print(f"64 writers vs baseline: {report['speedup_64_vs_baseline']}x")
    return 0

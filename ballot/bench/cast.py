"""``ballot bench cast``: casting over HTTP against a real server, and close → tallied.

A ``ballot serve`` process (its own process, so the client's work is not counted) runs on the
configured PostgreSQL (embedded by default) in a throw-away schema. Measured:

* ``cast_rate``: N delegations, ballots encrypted beforehand (client cost excluded: each
  request is a ready-made HTTP request on an open connection), all cast at the same instant
  over HTTP, in each of ``--bursts`` rounds (5); the median of the bursts' accepted ballots per
  second (each burst's in ``cast_rates``), and the latency of each cast (``burst_p50_ms`` /
  ``burst_p99_ms``: in a burst every request queues behind the others' checks, so the last
  one waits for all of them — at ~1.3 ms of proof checking per ballot, 175 ballots on two
  cores take ≥ 115 ms whatever the server does);
* ``p50_ms``/``p99_ms``: the same 175 delegations casting in a second round as a council
  does, all within ``--spread`` seconds (default 1) — the latency one delegation sees;
* ``crypto_rate``: the same ballots' checks alone (decoding, proofs, signature: what the
  server's workers do) on the same cores, in two processes, run right after each burst's
  round is tallied (the server idle); the median of those runs (each in ``crypto_rates``);
  ``cast_to_crypto`` the median of each burst's ratio to the checks of its own ballots right
  after it (a shared machine's speed drifts by ±10 % over seconds; paired, a slow moment
  slows both sides of a ratio);
* ``close_to_tallied_s``: from the close request until ``RoundTallied`` is in the log, with
  automated tellers that followed the log while ballots arrived (each re-checks the committed
  aggregate, then sends its share): for N = 175 and, unless ``--quick``, for 100 000 ballots
  (that session is generated directly into the log — real encrypted ballots — because
  enrolling 100 000 delegations one request at a time would measure something else).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from ballot.client import Client
from ballot.domain import (
    BallotCast,
    CastCheck,
    CredentialsAccepted,
    DelegationEnrolled,
    MemberStateRegistered,
    PresenceRecorded,
    SessionSettings,
    check_casts,
    crypto_port,
)
from ballot.domain.values import b64decode
from ballot.rehearsal import Rehearsal, Rehearser
from ballot.remote import RemoteTeller, automated_tellers
from ballot.service import (
    SESSION_STREAM,
    ballot_stream,
    delegation_stream,
    to_new_events,
)
from ballot.simulation import (
    BallotJob,
    DelegationAgent,
    RoundDefinition,
    SignedBallot,
    make_ballot,
)
from crypto.signing import SigningKey
from events import Expect
from events.database import open_database
from events.postgres import PostgresEventStore

TOKEN = "bench-" + secrets.token_hex(8)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot bench cast``."""
    parser.add_argument(
        "--delegations", type=int, default=175, help="delegations casting over HTTP"
    )
    parser.add_argument(
        "--ballots", type=int, default=100_000, help="ballots for the large close → tallied"
    )
    parser.add_argument("--quick", action="store_true", help="175 ballots only (no large session)")
    parser.add_argument(
        "--spread", type=float, default=1.0, help="seconds over which the council's round arrives"
    )
    parser.add_argument(
        "--bursts",
        type=int,
        default=5,
        help="rounds cast all at once (rates are the median of the bursts)",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _server(dsn: str, schema: str) -> AsyncIterator[str]:
    port = _free_port()
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=dsn,
        BALLOT_SCHEMA=schema,
        BALLOT_SECRETARIAT_TOKEN=TOKEN,
        BALLOT_STATE_DIR=os.environ.get("BALLOT_STATE_DIR", ".ballot"),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ballot.cli",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(url + "/api/v1/health") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        await process.wait()


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def _encrypt(
    pool: ProcessPoolExecutor,
    agents: dict[str, DelegationAgent],
    definition: RoundDefinition,
    choice: str,
) -> dict[str, SignedBallot]:
    loop = asyncio.get_running_loop()
    jobs = {m: agents[m].job(definition, choice) for m in agents}
    done = await asyncio.gather(
        *(loop.run_in_executor(pool, make_ballot, j) for j in jobs.values())
    )
    return dict(zip(jobs, done, strict=True))


async def _tallied(sec: Client, number: int) -> None:
    async with asyncio.timeout(300):
        while True:
            board = await sec.board()
            if any(
                r["round_number"] == number and r["status"] == "tallied" for r in board["rounds"]
            ):
                return
            await asyncio.sleep(0.005)


async def _close_to_tallied(sec: Client, tellers: list[RemoteTeller], number: int) -> float:
    for teller in tellers:  # tellers follow the log while ballots arrive
        await teller.follower.sync()
    start = time.perf_counter()
    await sec.close_round(number)
    await asyncio.gather(*(t.decrypt(number) for t in tellers[:2]))
    await _tallied(sec, number)
    return time.perf_counter() - start


class _RawCast:
    """One delegation's cast as a ready-made HTTP/1.1 request on an open keep-alive connection.

    The benchmark measures the server: the simulated delegations' own work — encrypting,
    encoding the request, an HTTP client library's bookkeeping — is done before the clock
    starts, so that on a shared 2-core machine the client takes as little CPU as it can
    from the server it measures. Sending is one write; the answer is read just far enough
    to check its status.
    """

    def __init__(self, request: bytes) -> None:
        self.request = request
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    def build(cls, url: str, client: Client, number: int, ballot: SignedBallot) -> _RawCast:
        parsed = urlsplit(url)
        document = ballot.to_json()
        body = json.dumps(
            {"ballot": document["ballot"], "signature": document["signature"]},
            separators=(",", ":"),
        ).encode()
        head = (
            f"POST /api/v1/sessions/{client.session_id}/rounds/{number}/ballots HTTP/1.1\r\n"
            f"Host: {parsed.netloc}\r\nAuthorization: Bearer {client.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return cls(head.encode() + body)

    async def connect(self, url: str) -> None:
        parsed = urlsplit(url)
        self._reader, self._writer = await asyncio.open_connection(parsed.hostname, parsed.port)

    async def send(self) -> float:
        """Cast; return the latency in ms (raises unless the server answered 201)."""
        assert self._reader is not None and self._writer is not None
        t0 = time.perf_counter()
        self._writer.write(self.request)
        # The whole head in one read (one wake-up, not one per header line).
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, _, headers = head.partition(b"\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self._reader.readexactly(length)
        elapsed = (time.perf_counter() - t0) * 1000
        if b" 201 " not in status_line:
            raise RuntimeError(f"cast refused: {status_line!r} {body[:200]!r}")
        return elapsed

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()


async def _crypto_only(
    pool: ProcessPoolExecutor,
    agents: dict[str, DelegationAgent],
    definition: RoundDefinition,
    ballots: dict[str, SignedBallot],
) -> float:
    """Seconds to check ``ballots`` alone — decoding, proofs, signature: what the server's
    workers do — on both cores in even chunks. Each burst's ballots are checked once ."""
    loop = asyncio.get_running_loop()
    checks = [
        CastCheck(
            definition.context(m),
            crypto_port.ballot_text(b.ballot),
            agents[m].signing_key.public_key(),
            b.signature,
        )
        for m, b in ballots.items()
    ]
    size = -(-len(checks) // 8)
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            loop.run_in_executor(pool, check_casts, checks[i : i + size])
            for i in range(0, len(checks), size)
        )
    )
    return time.perf_counter() - t0


async def _http_part(
    url: str, n: int, spread: float, bursts: int, pool: ProcessPoolExecutor
) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        rehearsal = Rehearsal(
            title="bench",
            members=tuple(f"M{i:06d}" for i in range(1, n + 1)),
            lost_vote=0,
            absent=0,
            settings=SessionSettings(eliminate_after=0),
            candidates=(("a", "A"), ("b", "B")),
            steps=(),
        )
        rehearser = Rehearser(Client(url, http, TOKEN), rehearsal, "bench")
        await rehearser.setup()
        agents = {m: d.agent for m, d in rehearser.delegations.items()}
        sec = rehearser.sec
        latencies: list[list[float]] = [[], []]
        burst_seconds: list[float] = []
        crypto_seconds: list[float] = []
        close_seconds: list[float] = []
        for number in range(1, bursts + 2):  # the bursts, then the council's round
            opened = await sec.open_round()
            definition = RoundDefinition(
                "bench", number, b64decode(opened["election_key"]), tuple(opened["options"])
            )
            ballots = await _encrypt(pool, agents, definition, "blank")

            casts = {
                m: _RawCast.build(url, rehearser.delegations[m].client, number, b)
                for m, b in ballots.items()
            }
            await asyncio.gather(*(c.connect(url) for c in casts.values()))

            async def cast(raw: _RawCast, delay: float, slot: list[float]) -> None:
                await asyncio.sleep(delay)
                slot.append(await raw.send())

            try:
                start = time.perf_counter()
                if number <= bursts:
                    await asyncio.gather(*(cast(c, 0.0, latencies[0]) for c in casts.values()))
                    burst_seconds.append(time.perf_counter() - start)
                else:
                    step = spread / max(1, len(casts))
                    await asyncio.gather(
                        *(cast(c, i * step, latencies[1]) for i, c in enumerate(casts.values()))
                    )
            finally:
                await asyncio.gather(*(c.close() for c in casts.values()))
            if number <= bursts:
                close_seconds.append(await _close_to_tallied(sec, rehearser.tellers, number))
                # The same ballots' checks alone, right after (the server idle again): paired
                # with its burst, a shared machine's slow minute slows both alike.
                crypto_seconds.append(await _crypto_only(pool, agents, definition, ballots))
            else:
                await sec.close_round(number)
    # Medians: one burst lasts a fifth of a second, and a shared machine's noise is of that
    # order; the median of a few is what a delegation can expect.
    return {
        "cast_rate": round(n / statistics.median(burst_seconds), 1),
        "crypto_rate": round(n / statistics.median(crypto_seconds), 1),
        "cast_rates": [round(n / s, 1) for s in burst_seconds],
        "crypto_rates": [round(n / s, 1) for s in crypto_seconds],
        "cast_to_crypto": round(
            statistics.median(c / b for b, c in zip(burst_seconds, crypto_seconds, strict=True)),
            2,
        ),
        "burst_p50_ms": round(_percentile(latencies[0], 0.5), 1),
        "burst_p99_ms": round(_percentile(latencies[0], 0.99), 1),
        "p50_ms": round(_percentile(latencies[1], 0.5), 1),
        "p99_ms": round(_percentile(latencies[1], 0.99), 1),
        "close_to_tallied_small": round(statistics.median(close_seconds), 3),
    }


async def _generate_large(dsn: str, schema: str, n: int) -> None:
    """Write the roll of ``n`` enrolled, present delegations straight into the log."""
    store = await PostgresEventStore.open(dsn, schema=schema, max_connections=8)
    try:
        at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        members = [f"M{i:06d}" for i in range(1, n + 1)]
        keys = {
            m: SigningKey.from_seed(uuid.uuid5(uuid.NAMESPACE_OID, m).bytes * 2) for m in members
        }
        # Bulk roll: registration, credentials and presence, 5000 events per append.
        events: list[Any] = []
        for m in members:
            events.append(MemberStateRegistered(member_id=m, name=m))
            events.append(
                CredentialsAccepted(
                    member_id=m,
                    enrollment_code_digest=bytes(32),
                    accepted_at=at,
                    expires_at=at + timedelta(days=1),
                )
            )
            events.append(PresenceRecorded(member_id=m, present=True))
        for i in range(0, len(events), 4998):
            await store.append(
                "large", SESSION_STREAM, to_new_events(events[i : i + 4998], {}, None, "large")
            )
        del events
        await asyncio.gather(
            *(
                store.append(
                    "large",
                    delegation_stream(m),
                    to_new_events(
                        [
                            DelegationEnrolled(
                                delegation_id=m,
                                role="member",
                                public_key=keys[m].public_key().encode(),
                                enrolled_at=at,
                            )
                        ],
                        {},
                        None,
                        "large",
                    ),
                    Expect.NO_STREAM,
                )
                for m in members
            )
        )
    finally:
        await store.close()


async def _large_part(dsn: str, n: int, pool: ProcessPoolExecutor) -> float:
    """close → tallied for a session of ``n`` ballots (generated; see module docstring)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        # 1. A session convened over HTTP with tellers and candidates (few requests)...
        async with _server(dsn, schema) as url, aiohttp.ClientSession() as http:
            rehearsal = Rehearsal(
                title="bench large",
                members=(),
                lost_vote=0,
                absent=0,
                settings=SessionSettings(eliminate_after=0, min_tally=1),
                candidates=(("a", "A"), ("b", "B")),
                steps=(),
            )
            rehearser = Rehearser(Client(url, http, TOKEN), rehearsal, "large")
            # 2. ...whose roll of n delegations is written straight into the log.
            await rehearser.sec.convene(
                "bench large", rehearsal.settings.model_dump(mode="json"), "large"
            )
            await _generate_large(dsn, schema, n)
            await _finish_setup(rehearser)
            opened = await rehearser.sec.open_round()
            definition = RoundDefinition(
                "large", 1, b64decode(opened["election_key"]), tuple(opened["options"])
            )
            # 3. n real ballots, encrypted and signed in the pool, appended as the server would.
            await _cast_large(dsn, schema, n, definition, pool)
            return await _close_to_tallied(rehearser.sec, rehearser.tellers, 1)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()


async def _finish_setup(rehearser: Rehearser) -> None:

    sec = rehearser.sec
    for cid, name in rehearser.rehearsal.candidates:
        await sec.nominate(cid, name)
    rehearser.tellers.extend(await automated_tellers(sec, 3))


async def _cast_large(
    dsn: str, schema: str, n: int, definition: RoundDefinition, pool: ProcessPoolExecutor
) -> None:
    loop = asyncio.get_running_loop()
    store = await PostgresEventStore.open(
        dsn, schema=schema, max_connections=8, run_migrations=False
    )
    try:
        members = [f"M{i:06d}" for i in range(1, n + 1)]
        for start in range(0, n, 2000):
            chunk = members[start : start + 2000]
            jobs = [
                BallotJob(
                    uuid.uuid5(uuid.NAMESPACE_OID, m).bytes * 2,
                    m,
                    definition,
                    "a" if i % 3 else "b",
                )
                for i, m in enumerate(chunk, start=start)
            ]
            ballots = await asyncio.gather(
                *(loop.run_in_executor(pool, make_ballot, j) for j in jobs)
            )
            events = [
                BallotCast(
                    round_number=1,
                    delegation_id=b.delegation_id,
                    ballot=b.ballot,
                    signature=b.signature,
                    tracking_code=b.tracking_code,
                )
                for b in ballots
            ]
            await asyncio.gather(
                *(
                    store.append(
                        "large",
                        ballot_stream(1, e.delegation_id),
                        to_new_events([e], {}, None, "large"),
                        Expect.NO_STREAM,
                    )
                    for e in events
                )
            )
    finally:
        await store.close()


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the measurements; return the JSON report."""
    database = open_database()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    pool = ProcessPoolExecutor(max_workers=2)
    try:
        async with _server(database.dsn, schema) as url:
            report = await _http_part(url, args.delegations, args.spread, args.bursts, pool)
        report["close_to_tallied_s"] = {"175": report.pop("close_to_tallied_small")}
        if not args.quick:
            report["close_to_tallied_s"][str(args.ballots)] = round(
                await _large_part(database.dsn, args.ballots, pool), 3
            )
        report["delegations"] = args.delegations
        report["spread_s"] = args.spread
        return report
    finally:
        pool.shutdown()
        conn = await asyncpg.connect(database.dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
        database.close()


def run(args: argparse.Namespace) -> int:
    """Entry point of ``ballot bench cast``."""
    report = asyncio.run(measure(args))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{args.delegations} delegations over HTTP, ballots encrypted beforehand")
    print(f"  cast rate (burst)             {report['cast_rate']:>10,.1f} ballots/s")
    print(f"  crypto-only checks            {report['crypto_rate']:>10,.1f} ballots/s")
    print(f"  cast rate / crypto-only       {report['cast_to_crypto']:>10.2f}")
    print(
        f"  latency, all within {args.spread:g} s p50 / p99 {report['p50_ms']:>5} / {report['p99_ms']} ms"
    )
    print(
        f"  latency, burst  p50 / p99     {report['burst_p50_ms']:>7} / {report['burst_p99_ms']} ms"
    )
    for size, seconds in report["close_to_tallied_s"].items():
        print(f"  close -> tallied, {size:>7} ballots  {seconds:>8.3f} s")
    return 0

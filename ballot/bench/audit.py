"""``ballot bench audit``: how fast the independent auditor verifies a whole session.

Generates a session with the in-process driver on a memory store (``--ballots`` ballots over
3 options — two candidates and blank — in rounds of ``--members`` delegations, inconclusive
until the last), exports it as JSON Lines, then times ``ballot audit`` of the export with
``--workers`` proof-checking processes. Generation is not timed.

Reports ``ballots_per_s`` and ``events_per_s`` (the whole audit, every check included),
and, as ``bench cast`` does, ``crypto_rate``: the same ballots' cryptography alone — their
checks (decoding, proofs, signature: what the auditor's workers run) on the same number of
processes in the same run, and the homomorphic sum of each round's ciphertexts, which any
verifier of the tally must compute (six ristretto255 additions a ballot, ~0.12 ms here) —
and ``audit_to_crypto``, the share of that rate the whole audit keeps: what the log, the
chain and the rules cost on top. ``checks_rate``/``audit_to_checks``: the same without the
sum. Each of ``--runs`` audits is paired with crypto-only runs right after it; the figures are
the medians of the pairs (``ratios``: each pair's ``audit_to_crypto``). ``main_ms_per_ballot``:
the CPU time of the auditor's own process per ballot (reading, chain, schema, rules, the
homomorphic sums — everything but the workers' checks), where the rest of the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

from ballot.audit import AuditOptions, audit_file
from ballot.audit.casts import ReadAhead
from ballot.domain import (
    CastCheck,
    CheckedCast,
    Refusal,
    SessionSettings,
    check_casts,
    crypto_port,
    event_from_json,
)
from ballot.simulation import RoundScript, Scenario, Simulation, export_lines
from ballot.simulation.entropy import Entropy
from crypto.aggregate import RunningAggregate
from events import MemoryEventStore
from events.exchange import record_from_line

#: Ballots per chunk in the crypto-only run (the auditor's default chunk).
_CHUNK = 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot bench audit``."""
    parser.add_argument("--ballots", type=int, default=10_000, help="ballots in the session")
    parser.add_argument("--members", type=int, default=200, help="delegations (ballots per round)")
    parser.add_argument("--workers", type=int, default=2, help="proof-checking processes")
    parser.add_argument("--seed", default="bench-audit", help="seed of the generated session")
    parser.add_argument(
        "--runs", type=int, default=3, help="paired audit / crypto-only runs (medians reported)"
    )


def scenario(ballots: int, members: int) -> Scenario:
    """``ballots`` ballots in rounds of ``members``: inconclusive, then A elected."""
    members = max(5, min(members, ballots))
    rounds = max(1, math.ceil(ballots / members))
    scripts: list[RoundScript] = []
    for number in range(1, rounds + 1):
        n = members if number < rounds else ballots - members * (rounds - 1)
        n = max(n, 5)
        if number < rounds:
            a = n // 2
            votes = {"A": a, "B": n - a - 1, "blank": 1}
        else:
            a = math.ceil(2 * n / 3)
            votes = {"A": a, "B": n - a, "blank": 0}
        scripts.append(RoundScript(votes))
    return Scenario(
        members=members,
        candidates=("A", "B"),
        rounds=tuple(scripts),
        settings=SessionSettings(eliminate_after=0),
        session_id="bench-audit",
        title="Audit benchmark",
    )


async def _generate(ballots: int, members: int, workers: int, seed: str) -> list[bytes]:
    store = MemoryEventStore()
    plan = scenario(ballots, members)
    with ProcessPoolExecutor(max(1, workers)) as pool:
        simulation = Simulation(
            store,
            plan.session_id,
            settings=plan.settings,
            entropy=Entropy(seed.encode()),
            teller_verify_ballots=False,
            ballot_pool=pool,
        )
        await simulation.run(plan)
    return await export_lines(store, plan.session_id)


def generate_to(path: str, ballots: int, members: int, workers: int, seed: str) -> None:
    """Write the export of a generated session of ``ballots`` ballots to ``path``."""
    exported = asyncio.run(_generate(ballots, members, workers, seed))
    with open(path, "wb") as out:
        out.writelines(exported)


def cast_checks(lines: list[bytes]) -> list[CastCheck]:
    """The check of every ballot of an export, built from its own events as the auditor's
    read-ahead builds them — not timed."""
    ahead = ReadAhead()
    checks: list[CastCheck] = []
    for at, line in enumerate(lines, start=1):
        record = record_from_line(line, at)
        guess = ahead.read(
            event_from_json(record.event_type, record.payload_json, record.schema_version)
        )
        if guess is not None:
            checks.append(guess[0])
    return checks


def sum_rounds(checks: Sequence[CastCheck], outcomes: Iterable[CheckedCast | Refusal]) -> int:
    """Add each checked ballot's ciphertexts into its round's homomorphic aggregate, summing
    a round when the next one starts (as the audit sums a round at its close, while the
    workers go on); return how many outcomes were read."""
    running: RunningAggregate | None = None
    current = None
    read = 0
    for check, outcome in zip(checks, outcomes, strict=True):
        read += 1
        if check.context.round_number != current:
            if running is not None:
                running.value()
            current = check.context.round_number
            running = crypto_port.empty_aggregate(len(check.context.options))
        if isinstance(outcome, CheckedCast) and running is not None:
            running = crypto_port.add_to_aggregate(running, outcome.ballot)
    if running is not None:
        running.value()
    return read


def crypto_only_seconds(checks: list[CastCheck], workers: int, *, aggregate: bool = True) -> float:
    """Seconds for ``workers`` processes to run ``checks`` in chunks (pool started first)
    and, with ``aggregate``, for this process to sum each round's ciphertexts as the
    answers come in — the cryptography of the ballots, without the log or the rules."""
    if workers <= 0:
        started = time.perf_counter()
        outcomes = check_casts(checks)
        if aggregate:
            sum_rounds(checks, outcomes)
        return time.perf_counter() - started
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        list(pool.map(check_casts, [checks[:1]] * workers))  # started and warm
        started = time.perf_counter()
        chunks = [checks[i : i + _CHUNK] for i in range(0, len(checks), _CHUNK)]
        answers = (outcome for chunk in pool.map(check_casts, chunks) for outcome in chunk)
        read = sum_rounds(checks, answers) if aggregate else sum(1 for _ in answers)
        seconds = time.perf_counter() - started
    if read != len(checks):
        raise RuntimeError("the crypto-only run lost ballots")
    return seconds


def run(args: argparse.Namespace) -> int:
    """Generate (in a child process), export, audit (timed, here); print the rates."""
    with tempfile.TemporaryDirectory(prefix="ballot-bench-audit-") as folder:
        path = os.path.join(folder, "session.jsonl")
        started = time.perf_counter()
        # Generating in a child process leaves this one as lean as a fresh `ballot audit`.
        child = multiprocessing.get_context("fork").Process(
            target=generate_to,
            args=(path, args.ballots, args.members, args.workers, args.seed),
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            print("generating the session failed")
            return 1
        generation = time.perf_counter() - started
        size = os.path.getsize(path)
        with open(path, "rb") as exported:
            export = exported.readlines()
        lines = len(export)
        checks = cast_checks(export)
        del export
        # Paired runs: each audit is compared with the crypto-only runs right after it (the
        # machine's speed drifts between runs); the figures are the medians of the pairs.
        runs: list[tuple[float, float, float]] = []
        main_cpu: list[float] = []
        for _ in range(max(1, args.runs)):
            started, cpu = time.perf_counter(), time.process_time()
            report = audit_file(path, AuditOptions(workers=args.workers))
            seconds = time.perf_counter() - started
            main_cpu.append(time.process_time() - cpu)
            crypto_seconds = crypto_only_seconds(checks, args.workers)
            checks_seconds = crypto_only_seconds(checks, args.workers, aggregate=False)
            runs.append((seconds, crypto_seconds, checks_seconds))
    share = report.ballots / len(checks)
    seconds = statistics.median(r[0] for r in runs)
    figures = {
        "ballots_per_s": round(report.ballots / seconds, 1),
        "crypto_rate": round(len(checks) / statistics.median(r[1] for r in runs), 1),
        "audit_to_crypto": round(statistics.median(r[1] / r[0] * share for r in runs), 2),
        "checks_rate": round(len(checks) / statistics.median(r[2] for r in runs), 1),
        "audit_to_checks": round(statistics.median(r[2] / r[0] * share for r in runs), 2),
        "ratios": [round(r[1] / r[0] * share, 2) for r in runs],
        "main_ms_per_ballot": round(statistics.median(main_cpu) * 1e3 / max(1, report.ballots), 3),
        "events_per_s": round(report.events / seconds, 1),
        "ballots": report.ballots,
        "events": report.events,
        "rounds": len(report.rounds),
        "export_bytes": size,
        "audit_seconds": round(seconds, 3),
        "generation_seconds": round(generation, 3),
        "workers": args.workers,
        "runs": len(runs),
        "verified": report.verified,
    }
    if lines != report.events:
        figures["verified"] = False
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"audit of {report.events} events ({report.ballots} ballots, {len(report.rounds)} rounds, {size / 1e6:.1f} MB)"
        )
        print(f"  {figures['ballots_per_s']:>10,.1f} ballots/s")
        print(
            f"  {figures['crypto_rate']:>10,.1f} ballots/s of the ballots' cryptography alone "
            f"({figures['audit_to_crypto']:.2f} of it kept by the whole audit)"
        )
        print(
            f"  {figures['checks_rate']:>10,.1f} ballots/s of their checks alone, no aggregate "
            f"({figures['audit_to_checks']:.2f})"
        )
        print(
            f"  {figures['main_ms_per_ballot']:>10.3f} ms CPU a ballot in the auditor's own process "
            "(all but the workers' checks)"
        )
        print(f"  {figures['events_per_s']:>10,.1f} events/s")
        print(
            f"  {seconds:>10.2f} s audit (median of {len(runs)}), {generation:.1f} s generation "
            f"(not timed), {args.workers} workers"
        )
        print(f"  verified: {report.verified}")
    return 0 if figures["verified"] else 1

"""``ballot bench tamper``: does the audit catch every rewrite the database owner can make?

For each trial a fresh session is played in process (real cryptography, a seed per trial:
two rounds, the first inconclusive, the second electing) and each delegation keeps the receipt
the server signed for its ballot. Each tamper class of :mod:`ballot.simulation.owner` is then
applied to that session's log, and the log is audited as leniently as ``ballot audit`` allows
(a session in progress accepted, the log's own checkpoint key trusted) with the receipts. The
clean log is audited the same way: a refusal there is a false alarm.

Prints, with ``--json``, ``{"classes": {name: {"trials", "detected",
"detected_without_receipts"}}, "false_alarms", "trials", "seconds"}``. The goal: every trial
detected, no false alarm. ``detected_without_receipts`` shows what the receipts add.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import timedelta
from typing import Any

from ballot.audit import AuditOptions, audit_lines
from ballot.simulation import (
    Entropy,
    RoundScript,
    Scenario,
    SimulatedClock,
    Simulation,
    export_lines,
)
from ballot.simulation.owner import TAMPERS, signed_receipts
from crypto.signing import SigningKey
from events import MemoryEventStore, RecordedEvent
from events.exchange import record_from_line, record_to_line


def _scenario(members: int) -> Scenario:
    voters = members - 1
    first = voters // 3
    return Scenario(
        members=members,
        candidates=("A", "B", "C"),
        rounds=(
            RoundScript({"A": first, "B": first, "C": voters - 2 * first}),
            RoundScript({"A": voters - 1, "B": 1}),
        ),
        session_id="tamper-bench",
    )


async def _session(members: int, seed: bytes) -> tuple[list[RecordedEvent], SigningKey]:
    store = MemoryEventStore(clock=SimulatedClock(step=timedelta(milliseconds=1)))
    scenario = _scenario(members)
    simulation = Simulation(store, scenario.session_id, entropy=Entropy(seed))
    await simulation.run(scenario)
    assert simulation.checkpoint_key is not None
    lines = await export_lines(store, scenario.session_id)
    records = [record_from_line(line, i) for i, line in enumerate(lines, start=1)]
    return records, simulation.checkpoint_key


def _refused(records: list[RecordedEvent], options: AuditOptions) -> bool:
    return not audit_lines([record_to_line(r) for r in records], options).verified


def measure(trials: int, members: int) -> dict[str, Any]:
    """Run every tamper class ``trials`` times (see the module docstring)."""
    started = time.perf_counter()
    classes = {
        name: {"trials": 0, "detected": 0, "detected_without_receipts": 0} for name in TAMPERS
    }
    false_alarms = 0
    for trial in range(trials):
        records, key = asyncio.run(_session(members, f"bench-tamper/{trial}".encode()))
        held = tuple(signed_receipts(records, key, "tamper-bench"))
        with_receipts = AuditOptions(signed_receipts=held, allow_incomplete=True, workers=0)
        without = AuditOptions(allow_incomplete=True, workers=0)
        false_alarms += _refused(records, with_receipts)
        owner_key = SigningKey.from_seed(f"owner/{trial}".encode().ljust(32, b"."))
        for name, tamper in TAMPERS.items():
            # Which ballot each trial hits: reproducible, and no secret (S311 is about keys).
            rng = random.Random(f"{name}/{trial}")  # noqa: S311
            tampered = tamper(records, rng, owner_key)
            counts = classes[name]
            counts["trials"] += 1
            counts["detected"] += _refused(tampered, with_receipts)
            counts["detected_without_receipts"] += _refused(tampered, without)
    return {
        "classes": classes,
        "false_alarms": false_alarms,
        "trials": trials,
        "members": members,
        "seconds": round(time.perf_counter() - started, 2),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot bench tamper``."""
    parser.add_argument("--trials", type=int, default=3, help="fresh sessions per class")
    parser.add_argument("--members", type=int, default=12, help="members of each session")


def run(args: argparse.Namespace) -> int:
    """Measure and print; exit status 1 if a tamper went unnoticed or a clean log was refused."""
    result = measure(max(1, args.trials), max(4, args.members))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{'class':<24} {'trials':>6} {'detected':>9} {'without receipts':>17}")
        for name, counts in result["classes"].items():
            print(
                f"{name:<24} {counts['trials']:>6} {counts['detected']:>9} "
                f"{counts['detected_without_receipts']:>17}"
            )
        print(f"false alarms on clean logs: {result['false_alarms']} of {result['trials']}")
    missed = any(c["detected"] < c["trials"] for c in result["classes"].values())
    return 1 if missed or result["false_alarms"] else 0

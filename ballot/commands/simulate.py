"""``ballot simulate --scenario FILE.toml [--server URL] [--json] [--export FILE]``.

Plays a whole session through the real HTTP API (a fresh in-process server on the embedded
PostgreSQL when no ``--server`` is given), then audits the exported log. Exit 0: done and
audited; 1: a step was refused (its code is printed) or the audit failed; 2: bad scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import aiohttp

from ballot.audit import AuditOptions, audit_lines
from ballot.client import Client
from ballot.local import local_server
from ballot.rehearsal import Rehearser, ScenarioError, StepRefused, load_scenario
from ballot.simulation import Entropy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot simulate``."""
    parser.add_argument("--scenario", required=True, type=Path, help="scenario file (TOML)")
    parser.add_argument("--server", help="URL of a running server (default: a fresh local one)")
    parser.add_argument(
        "--token", help="secretariat token for --server (or BALLOT_SECRETARIAT_TOKEN)"
    )
    parser.add_argument("--session-id", help="session id to create (default: generated)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--export", type=Path, help="write the session's event log (JSON Lines)")
    parser.add_argument("--seed", help="reproducible keys and randomness (rehearsals only)")


async def _play(args: argparse.Namespace, url: str, token: str) -> tuple[dict[str, Any], int]:
    rehearsal = load_scenario(args.scenario)
    session_id = args.session_id or f"rehearsal-{secrets.token_hex(4)}"
    entropy = Entropy(args.seed.encode() if args.seed else None)
    async with aiohttp.ClientSession() as http:
        rehearser = Rehearser(Client(url, http, token), rehearsal, session_id, entropy)
        code = 0
        refusal: StepRefused | None = None
        try:
            await rehearser.setup()
            await rehearser.play()
        except StepRefused as exc:
            refusal, code = exc, 1
        report = await rehearser.report() if rehearser.sec.session_id else {}
        lines = [line async for line in rehearser.sec.event_lines()]
    if args.export:
        args.export.write_bytes(b"".join(lines))
    # A rehearsal may stop mid-session (e.g. nominations reopened): judge what is there.
    audit = audit_lines(lines, AuditOptions(allow_incomplete=True))
    report["audit"] = (
        "ok"
        if audit.verified
        else (audit.first_failure.describe() if audit.first_failure else "failed")
    )
    if refusal is not None:
        report["refused"] = {"step": refusal.step, "code": refusal.code, "detail": refusal.detail}
    if not audit.verified:
        code = 1
    return report, code


async def _main(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    if args.server:
        token = args.token or os.environ.get("BALLOT_SECRETARIAT_TOKEN", "")
        return await _play(args, args.server, token)
    async with local_server() as server:
        return await _play(args, server.url, server.secretariat_token)


def _print_table(report: dict[str, Any]) -> None:
    print(f"session {report['session_id']}")
    print(
        f"{'round':>5} {'kind':<13}{'eligible':>9}{'deposited':>10}{'valid':>7}{'required':>9}  votes  decision"
    )
    for r in report["rounds"]:
        votes = ", ".join(f"{k} {v}" for k, v in (r["votes"] or {}).items())
        print(
            f"{r['round']:>5} {r['kind']:<13}{r['eligible']:>9}{r['deposited']:>10}"
            f"{r['valid'] if r['valid'] is not None else '-':>7}{r['required'] if r['required'] is not None else '-':>9}"
            f"  {votes}  {r['decision']}{' (' + r['eliminated'] + ' eliminated)' if r['eliminated'] else ''}"
        )
    print(
        f"elected: {report['elected'] or 'nobody'}"
        + (f" by {report['elected_by']}" if report["elected_by"] else "")
    )
    print(f"audit: {report['audit']}")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``ballot simulate``."""
    try:
        report, code = asyncio.run(_main(args))
    except ScenarioError as exc:
        print(f"ballot simulate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        _print_table(report)
    if "refused" in report:
        refused = report["refused"]
        print(
            f"refused at step {refused['step']}: {refused['code']} ({refused['detail']})",
            file=sys.stderr,
        )
    return code

"""The command line: every command is reachable, and the store benchmark prints its keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ballot.cli import COMMANDS, build_parser


def test_every_command_has_help() -> None:
    parser = build_parser()
    for name in [*COMMANDS, "bench"]:
        with pytest.raises(SystemExit) as info:
            parser.parse_args([name, "--help"])
        assert info.value.code == 0


def test_bench_store_json(pg_dsn: str, tmp_path: object) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ballot.cli",
            "bench",
            "store",
            "--json",
            "--duration",
            "0.3",
            "--replay-events",
            "2000",
            "--database",
            pg_dsn,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["append_rate"]) == {"1", "16", "64"}
    assert report["baseline_rate"] > 0
    assert report["replay_events"] >= 2000
    assert report["replay_rate"] > 0


def test_the_container_command_is_a_valid_serve_with_json_logs() -> None:
    """deploy/Dockerfile's CMD parses as a ``ballot serve`` that logs JSON (SPEC §7)."""
    dockerfile = Path(__file__).parent.parent / "deploy" / "Dockerfile"
    (cmd_line,) = [line for line in dockerfile.read_text().splitlines() if line.startswith("CMD ")]
    args = build_parser().parse_args(json.loads(cmd_line[len("CMD ") :]))
    assert args.command == "serve"
    assert (args.host, args.port, args.log_format) == ("0.0.0.0", 8080, "json")

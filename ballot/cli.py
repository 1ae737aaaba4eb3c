"""The ``ballot`` command line: ``serve``, ``demo``, ``simulate``, ``teller``, ``audit``, ``bench``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from ballot.bench import TARGETS


class _BenchModule(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _bench_module(name: str) -> _BenchModule:
    return cast(_BenchModule, importlib.import_module(TARGETS[name]))


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and ``--help``)."""
    parser = argparse.ArgumentParser(prog="ballot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    bench = commands.add_parser("bench", help="measure and print performance figures")
    targets = bench.add_subparsers(dest="target", required=True)
    for name in TARGETS:
        sub = targets.add_parser(name, help=f"benchmark: {name}")
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        _bench_module(name).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ballot`` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        return _bench_module(args.target).run(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse restricts choices


if __name__ == "__main__":
    sys.exit(main())

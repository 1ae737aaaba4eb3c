"""The ``ballot`` command line: ``serve``, ``demo``, ``simulate``, ``teller``, ``audit``, ``bench``.

Each command is a module exposing ``add_arguments(parser)`` and ``run(args) -> int`` (the
exit code), listed in :data:`COMMANDS`; benchmarks are listed in :data:`ballot.bench.TARGETS`.
Modules are imported only when their command runs, so ``ballot --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from ballot.bench import TARGETS

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("ballot.commands.serve", "run the HTTP server (API, live feed, web client)"),
    "migrate": ("ballot.commands.migrate", "create or upgrade the database schema, then exit"),
    "simulate": ("ballot.commands.simulate", "rehearse a whole session from a TOML scenario"),
    "teller": ("ballot.commands.teller", "run a teller: key ceremony, then decryption shares"),
    "demo": ("ballot.commands.demo", "serve a ready demo session to try in a browser"),
    "witness": ("ballot.commands.witness", "witness a session: check and cosign its checkpoints"),
    "audit": ("ballot.audit.cli", "verify an exported log (or a live server's log) offline"),
}


class _CommandModule(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _module(name: str) -> _CommandModule:
    return cast(_CommandModule, importlib.import_module(name))


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and ``--help``)."""
    parser = argparse.ArgumentParser(prog="ballot", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module)
        _module(module).add_arguments(sub)

    bench = commands.add_parser("bench", help="measure and print performance figures")
    targets = bench.add_subparsers(dest="target", required=True)
    for name, module in TARGETS.items():
        sub = targets.add_parser(name, help=f"benchmark: {name}")
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        sub.set_defaults(module=module)
        _module(module).add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ballot`` console script."""
    args = build_parser().parse_args(argv)
    return _module(args.module).run(args)


if __name__ == "__main__":
    sys.exit(main())

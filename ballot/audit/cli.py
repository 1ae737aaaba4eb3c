"""``ballot audit LOG.jsonl`` / ``ballot audit --server URL --session ID``.

Exit status: 0 verified; 1 not verified (the first failure is printed; ``--json`` lists every
one); 2 unusable input (no such file, not JSON Lines at all, server unreachable, bad options).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from ballot.audit import AuditOptions, Auditor, UnusableInput, audit_file, audit_server
from ballot.audit.challenges import ChallengeClaim
from ballot.audit.receipts import normalize_code
from ballot.audit.report import AuditReport
from ballot.domain.values import b64decode
from ballot.ledger import Checkpoint, CheckpointError, SignedReceipt

EXIT_VERIFIED, EXIT_NOT_VERIFIED, EXIT_UNUSABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot audit``."""
    parser.add_argument("log", nargs="?", help="an exported log (JSON Lines); - for stdin")
    parser.add_argument("--server", metavar="URL", help="audit a live server's log instead")
    parser.add_argument("--session", metavar="ID", help="the session id on --server")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument(
        "--receipt",
        action="append",
        default=[],
        metavar="CODE|FILE",
        help="check a receipt: its tracking code, or a signed receipt file (repeatable)",
    )
    parser.add_argument(
        "--challenge",
        action="append",
        default=[],
        metavar="CODE|FILE",
        help="a checked (challenged) ballot: its tracking code, or the challenge file the "
        "delegation page offered (it must hold the option chosen) (repeatable)",
    )
    parser.add_argument(
        "--receipts",
        action="append",
        default=[],
        metavar="DIR",
        help="check every signed receipt file (*.json) in DIR (repeatable)",
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="JSON|@FILE",
        help="a signed checkpoint you already hold; the log must extend it (repeatable)",
    )
    parser.add_argument(
        "--checkpoint-key",
        metavar="KEY",
        help="the session's published checkpoint key (hex or base64url)",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="accept a session still in progress (its unsigned tail is a warning)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="processes verifying ballot proofs (0: inline)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


class Progress:
    """A one-line progress bar on a terminal's stderr (nothing when it is not a terminal)."""

    def __init__(self, total_bytes: int | None, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty()
        self.total = total_bytes
        self.started = time.perf_counter()
        self._last = 0.0

    def __call__(self, auditor: Auditor, read: int) -> None:
        """Redraw at most five times a second."""
        now = time.perf_counter()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        rate = auditor.ballots / max(now - self.started, 1e-9)
        share = f"{100 * read / self.total:5.1f}% " if self.total else ""
        self.stream.write(
            f"\r{share}{auditor.events:>10,} events {auditor.ballots:>9,} ballots "
            f"{rate:>7,.0f} ballots/s"
        )
        self.stream.flush()

    def done(self) -> None:
        """Clear the bar."""
        if self.enabled and self._last:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _key(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else b64decode(text)
    except ValueError as exc:
        raise UnusableInput(f"--checkpoint-key: {exc}") from None
    if len(raw) != 32:
        raise UnusableInput("--checkpoint-key: a key is 32 bytes")
    return raw


def _checkpoint(text: str) -> Checkpoint:
    try:
        source = Path(text[1:]).read_text("utf-8") if text.startswith("@") else text
        held = json.loads(source)
        if isinstance(held, dict) and "checkpoint" in held:  # a witness's state file
            held = held["checkpoint"]
        return Checkpoint.from_json(held)
    except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
        kind = "checkpoint" if isinstance(exc, CheckpointError) else "not JSON"
        raise UnusableInput(f"--checkpoint {text[:40]!r}: {kind}: {exc}") from None


def _signed_receipt(path: Path) -> SignedReceipt:
    try:
        return SignedReceipt.from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
        raise UnusableInput(f"receipt file {str(path)!r}: {exc}") from None


def _receipts(args: argparse.Namespace) -> tuple[list[str], list[SignedReceipt]]:
    """Tracking codes and signed receipt files: an argument naming an existing file, or
    ending in ``.json``, is a file; anything else a code."""
    codes: list[str] = []
    signed: list[SignedReceipt] = []
    for text in args.receipt:
        path = Path(text)
        if text.endswith(".json") or path.is_file():
            signed.append(_signed_receipt(path))
        else:
            codes.append(text)
    for folder in args.receipts:
        directory = Path(folder)
        if not directory.is_dir():
            raise UnusableInput(f"--receipts {folder!r}: not a folder")
        signed.extend(_signed_receipt(path) for path in sorted(directory.glob("*.json")))
    return codes, signed


def _challenges(args: argparse.Namespace) -> tuple[ChallengeClaim, ...]:
    """Tracking codes and challenge files (as for receipts: a file, or a name ending in .json)."""
    claims: list[ChallengeClaim] = []
    for text in args.challenge:
        path = Path(text)
        if not (text.endswith(".json") or path.is_file()):
            claims.append(ChallengeClaim(normalize_code(text)))
            continue
        try:
            claims.append(ChallengeClaim.from_json(json.loads(path.read_text("utf-8"))))
        except (OSError, ValueError) as exc:
            raise UnusableInput(f"challenge file {text!r}: {exc}") from None
    return tuple(claims)


def _options(args: argparse.Namespace) -> AuditOptions:
    codes, signed = _receipts(args)
    return AuditOptions(
        receipts=tuple(codes),
        signed_receipts=tuple(signed),
        challenges=_challenges(args),
        checkpoints=tuple(_checkpoint(text) for text in args.checkpoint),
        checkpoint_key=None if args.checkpoint_key is None else _key(args.checkpoint_key),
        allow_incomplete=args.allow_incomplete,
        workers=max(0, args.workers),
    )


def _audit(args: argparse.Namespace) -> AuditReport:
    has_server = args.server is not None or args.session is not None
    if (args.log is None) == (not has_server):
        raise UnusableInput("give either LOG or --server URL --session ID")
    if has_server and (args.server is None or args.session is None):
        raise UnusableInput("--server and --session go together")
    options = _options(args)
    total = None
    if args.log is not None and args.log != "-":
        try:
            total = os.path.getsize(args.log)
        except OSError:
            total = None
    progress = Progress(total)
    progress.enabled = progress.enabled and not args.no_progress
    try:
        if args.log is not None:
            return audit_file(args.log, options, progress)
        return asyncio.run(audit_server(args.server, args.session, options, progress))
    finally:
        progress.done()


def run(args: argparse.Namespace) -> int:
    """Run the audit; print the summary (or ``--json``); return the exit status."""
    try:
        report = _audit(args)
    except UnusableInput as exc:
        if args.json:
            print(json.dumps({"verified": False, "error": "unusable_input", "message": str(exc)}))
        print(f"ballot audit: unusable input: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.summary())
    return EXIT_VERIFIED if report.verified else EXIT_NOT_VERIFIED


def main(argv: list[str] | None = None) -> int:
    """``python -m ballot.audit.cli`` (the same as ``ballot audit``)."""
    parser = argparse.ArgumentParser(prog="ballot audit", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

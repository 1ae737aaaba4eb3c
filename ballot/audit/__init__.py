"""``ballot audit``: the independent auditor. Replay the log, verify everything, trust nothing.

From an exported log (or a live server's public endpoint) alone it establishes that the
published results are exactly those the rules give for the ballots cast, and that no ballot
was added, dropped, altered or decrypted: the hash chain and the signed checkpoints, the roll
and every eligibility decision, every ballot's signature and proofs, each round's committed
ballot set and aggregate, the key ceremony, every decryption share and every decision — in
one streaming pass with memory bounded by the session's size, not the log's. See
``docs/audit.md``.

* :func:`audit_lines`, :func:`audit_file`, :func:`audit_server` → :class:`AuditReport`;
* :class:`Auditor` for line-by-line use; :class:`AuditOptions` for receipts, checkpoints you
  hold, the published checkpoint key and the worker pool;
* :data:`CHECKS`: every check's stable name and meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ballot.audit.checks import CHECKS
from ballot.audit.engine import AuditOptions, Auditor, UnusableInput
from ballot.audit.receipts import normalize_code
from ballot.audit.report import AuditReport, CheckpointResult, Failure, ReceiptResult
from ballot.audit.sources import events_url, file_lines, server_lines

#: Called now and then during a pass with the auditor and the bytes read so far.
ProgressCallback = Callable[[Auditor, int], None]


def audit_lines(
    lines: Iterable[bytes],
    options: AuditOptions | None = None,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Audit an export given as lines (each with its ``\\n``)."""
    with Auditor(options) as auditor:
        read = 0
        for line in lines:
            auditor.feed_line(line)
            read += len(line)
            if progress is not None and auditor.lines % 256 == 0:
                progress(auditor, read)
        if progress is not None:
            progress(auditor, read)
        return auditor.finish()


def audit_file(
    path: str | Path,
    options: AuditOptions | None = None,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Audit an exported log file (``-`` for standard input)."""
    return audit_lines(file_lines(path), options, progress)


async def audit_server(
    server: str,
    session_id: str,
    options: AuditOptions | None = None,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Audit a live server's log, streamed from ``GET {server}/api/v1/sessions/{id}/events``."""
    with Auditor(options) as auditor:
        read = 0
        async for line in server_lines(server, session_id):
            auditor.feed_line(line)
            read += len(line)
            if progress is not None and auditor.lines % 256 == 0:
                progress(auditor, read)
        if progress is not None:
            progress(auditor, read)
        return auditor.finish()


__all__ = [
    "CHECKS",
    "AuditOptions",
    "AuditReport",
    "Auditor",
    "CheckpointResult",
    "Failure",
    "ProgressCallback",
    "ReceiptResult",
    "UnusableInput",
    "audit_file",
    "audit_lines",
    "audit_server",
    "events_url",
    "file_lines",
    "normalize_code",
    "server_lines",
]

"""The browser's auditor (``ballot/web/static/js/audit/``) reaches the verdict of ``ballot audit``.

The same exported log — clean, and rewritten by the database owner in each way of
``ballot bench tamper`` — is audited by the Python auditor and, through ``tests/js/audit-log.mjs``,
by the JavaScript one the board's "Verify this session" runs. Both must agree on the verdict, on
the failure codes in log order and on the warnings, with and without the delegations' signed
receipts. Any check one side gains and the other lacks shows up here as a difference.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ballot.audit import AuditReport
from ballot.simulation.owner import TAMPERS, signed_receipts
from crypto.signing import SigningKey
from events import RecordedEvent
from tests.audit.kit import audit, council, dump

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "js" / "audit-log.mjs"
NODE = shutil.which("node")
OWNER_KEY = SigningKey.from_seed(b"o" * 32)

pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "node_modules" / "@noble" / "curves").is_dir(),
    reason="node and node_modules/@noble are needed to run the browser's auditor",
)


def browser_audit(lines: list[bytes], receipts: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    """The JavaScript auditor's report on ``lines``, as lenient as :func:`python_audit`."""
    assert NODE is not None
    log = tmp / "events.jsonl"
    log.write_bytes(b"".join(line.rstrip(b"\n") + b"\n" for line in lines))
    args = [NODE, str(RUNNER), str(log), "--allow-incomplete"]
    for i, receipt in enumerate(receipts):
        path = tmp / f"receipt-{i}.json"
        path.write_text(json.dumps(receipt), encoding="utf-8")
        args += ["--receipt", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def python_audit(lines: list[bytes], with_receipts: bool) -> AuditReport:
    session = council()
    held = (
        tuple(signed_receipts(session.records(), session.checkpoint_key, "council-2026"))
        if with_receipts
        else ()
    )
    return audit(lines, signed_receipts=held, allow_incomplete=True)


def log(name: str) -> list[RecordedEvent]:
    """The clean log, or its rewrite by one tamper class (the one ``test_owner`` uses)."""
    records = council().records()
    return records if name == "clean" else TAMPERS[name](records, random.Random(name), OWNER_KEY)


@pytest.mark.parametrize("with_receipts", [True, False], ids=["receipts", "no-receipts"])
@pytest.mark.parametrize("name", ["clean", *sorted(TAMPERS)])
def test_the_browser_and_ballot_audit_agree(name: str, with_receipts: bool, tmp_path: Path) -> None:
    lines = dump(log(name))
    expected = python_audit(lines, with_receipts)
    session = council()
    receipts = (
        [
            r.to_json()
            for r in signed_receipts(session.records(), session.checkpoint_key, "council-2026")
        ]
        if with_receipts
        else []
    )
    got = browser_audit(lines, receipts, tmp_path)
    assert got["verified"] == expected.verified
    assert got["failed_checks"] == list(expected.failed_checks)
    assert [w["check"] for w in got["warnings"]] == [w.check for w in expected.warnings]
    assert got["ballots"] == expected.ballots and got["events"] == expected.events
    if name == "clean":
        assert got["verified"], got["failures"][:3]
    elif with_receipts:
        # Every rewrite is caught once the receipts are held: the board says so as the CLI does.
        assert not got["verified"]


def test_the_browser_names_the_receipt_that_exposes_a_truncation(tmp_path: Path) -> None:
    session = council()
    tampered = TAMPERS["truncate_tail"](
        session.records(), random.Random("truncate_tail"), OWNER_KEY
    )
    held = signed_receipts(session.records(), session.checkpoint_key, "council-2026")
    got = browser_audit(dump(tampered), [r.to_json() for r in held], tmp_path)
    expected = python_audit(dump(tampered), with_receipts=True)
    # The same sentences, naming the same receipts: a delegation reads the same thing on the
    # board as the secretariat's auditor reads in the terminal.
    assert [(f["check"], f["message"]) for f in got["failures"]] == [
        (f.check, f.message) for f in expected.failures
    ]
    assert any(f["check"] == "receipt.omitted" for f in got["failures"])

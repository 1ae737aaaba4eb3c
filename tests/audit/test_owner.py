"""The database owner against signed receipts: every rewrite of the record is caught by the
receipts the delegations kept, and the receipt that exposes it is named.

The owner rewrites the exported log as they could the database (re-chained, and re-signed with
a key of their own where checkpoints must stay valid: ``ballot.simulation.owner``). The audit is
as lenient as it can be (``allow_incomplete``, the log's own key trusted): only the receipts,
signed with the real key when each ballot was recorded, stand in the owner's way.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ballot.audit import CHECKS, AuditReport
from ballot.audit.cli import main as audit_main
from ballot.bench.tamper import measure
from ballot.ledger import CheckpointError, SignedReceipt
from ballot.simulation.owner import TAMPERS, signed_receipts
from crypto.signing import SigningKey
from tests.audit.kit import audit, checks, council, dump

OWNER_KEY = SigningKey.from_seed(b"o" * 32)


def receipts() -> list[SignedReceipt]:
    session = council()
    return signed_receipts(session.records(), session.checkpoint_key, session.result.session_id)


def held_audit(lines: list[bytes], held: list[SignedReceipt]) -> AuditReport:
    return audit(lines, signed_receipts=tuple(held), allow_incomplete=True)


def test_an_honest_log_agrees_with_every_receipt() -> None:
    report = held_audit(list(council().lines), receipts())
    assert report.verified, [f.describe() for f in report.failures]
    assert len(report.receipts) == 27 and all(r.verified for r in report.receipts)


def test_a_receipt_is_signed_over_exactly_its_fields() -> None:
    receipt = receipts()[0]
    receipt.verify(council().checkpoint_key.public_key().encode())
    assert SignedReceipt.from_json(json.loads(json.dumps(receipt.to_json()))) == receipt
    moved = SignedReceipt.from_json(receipt.to_json() | {"position": receipt.position + 1})
    with pytest.raises(CheckpointError) as info:
        moved.verify(council().checkpoint_key.public_key().encode())
    assert info.value.code == "receipt_signature_invalid"
    with pytest.raises(CheckpointError, match="exactly"):
        SignedReceipt.from_json(receipt.to_json() | {"extra": 1})


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_every_rewrite_by_the_owner_is_caught_by_the_receipts(name: str) -> None:
    session = council()
    tampered = TAMPERS[name](session.records(), random.Random(name), OWNER_KEY)
    report = held_audit(dump(tampered), receipts())
    assert not report.verified, f"{name} went unnoticed"
    found = [f for f in report.failures if f.check.startswith("receipt.")]
    assert found, checks(report)
    assert set(checks(report)) <= set(CHECKS)
    # The receipt that exposes it is named: its tracking code is in the message.
    codes = {r.tracking_code for r in receipts()}
    assert any(code in f.message for f in found for code in codes)
    expected = {
        "truncate_tail": "receipt.omitted",
        "delete_middle_resealed": "receipt.signature",  # the owner's key is not the real one
        "rewrite_field": "receipt.signature",
        "replace_key": "receipt.signature",
        "reorder": "receipt.signature",
    }[name]
    assert expected in checks(report)


@pytest.mark.parametrize("name", ["delete_middle_resealed", "rewrite_field", "reorder"])
def test_with_the_published_key_the_rewritten_position_is_named(name: str) -> None:
    """Given the key the secretariat published, the receipts verify and say where the record
    was rewritten (and the log's own key is reported replaced)."""
    session = council()
    tampered = TAMPERS[name](session.records(), random.Random(name), OWNER_KEY)
    published = session.checkpoint_key.public_key().encode()
    report = audit(
        dump(tampered),
        signed_receipts=tuple(receipts()),
        allow_incomplete=True,
        checkpoint_key=published,
    )
    assert "receipt.rewritten" in checks(report) and "checkpoint.key" in checks(report)


def test_a_forged_receipt_is_no_evidence_against_an_honest_log() -> None:
    real = receipts()[3]
    forged = SignedReceipt.sign(
        OWNER_KEY,
        session_id=real.session_id,
        round_number=real.round_number,
        delegation_id=real.delegation_id,
        tracking_code=real.tracking_code,
        position=real.position + 1,
        head_hash=real.head_hash,
    )
    report = held_audit(list(council().lines), [forged])
    assert checks(report) == ["receipt.signature"]


def test_ballot_audit_reads_receipt_files_and_names_the_one_omitted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = council()
    folder = tmp_path / "receipts"
    folder.mkdir()
    for receipt in receipts():
        (folder / f"{receipt.tracking_code}.json").write_text(json.dumps(receipt.to_json()))
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"".join(dump(session.records())))
    assert audit_main([str(log), "--receipts", str(folder), "--workers", "0"]) == 0
    cut = TAMPERS["truncate_tail"](session.records(), random.Random(0), OWNER_KEY)
    log.write_bytes(b"".join(dump(cut)))
    capsys.readouterr()
    status = audit_main(
        [str(log), "--receipts", str(folder), "--allow-incomplete", "--workers", "0", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    omitted = [f for f in report["failures"] if f["check"] == "receipt.omitted"]
    last = receipts()[-1]
    assert len(omitted) == 2 and any(last.tracking_code in f["message"] for f in omitted)
    # One receipt file given alone works too.
    single = folder / f"{last.tracking_code}.json"
    assert (
        audit_main([str(log), "--receipt", str(single), "--allow-incomplete", "--workers", "0"])
        == 1
    )


def test_the_tamper_bench_detects_every_class_and_raises_no_false_alarm() -> None:
    result = measure(1, 6)
    assert result["false_alarms"] == 0
    assert all(c["detected"] == c["trials"] == 1 for c in result["classes"].values())

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ballot.audit import AuditReport
from ballot.domain.values import b64encode
from ballot.simulation.owner import TAMPERS, signed_receipts
from crypto.group import Point, Scalar
from crypto.signing import SigningKey
from events import RecordedEvent
from tests.audit.kit import (
    Session,
    audit,
    build,
    council,
    drop,
    dump,
    edit,
    insert,
    payload,
    resign,
)
from tests.audit.test_simulation import CONFIRMATION, LOTS

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "js" / "audit-log.mjs"
NODE = shutil.which("node")
OWNER_KEY = SigningKey.from_seed(b"o" * 32)

pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "node_modules" / "@noble" / "curves").is_dir(),
    reason="node and node_modules/@noble are needed to run the browser's auditor",
)


class BrowserAudits:
    """The JavaScript auditor's reports on ``logs``, in one Node process started at once:
    the test audits the same logs in Python meanwhile (two cores, one each)."""

    def __init__(self, logs: list[list[bytes]], receipts: list[dict[str, Any]], tmp: Path) -> None:
        assert NODE is not None
        args = [NODE, str(RUNNER), "--allow-incomplete"]
        for i, lines in enumerate(logs):
            log = tmp / f"events-{i}.jsonl"
            log.write_bytes(b"".join(line.rstrip(b"\n") + b"\n" for line in lines))
            args.append(str(log))
        for i, receipt in enumerate(receipts):
            path = tmp / f"receipt-{i}.json"
            path.write_text(json.dumps(receipt), encoding="utf-8")
            args += ["--receipt", str(path)]
        self._process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )

    def __enter__(self) -> BrowserAudits:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.poll() is None:  # the Python side failed first: stop Node too
            self._process.kill()
            self._process.communicate()

    def reports(self) -> list[dict[str, Any]]:
        """Wait for the reports, one per log, in order (as lenient as :func:`python_audit`)."""
        try:
            out, err = self._process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            self._process.kill()
            raise
        assert self._process.returncode == 0, err
        return [json.loads(line) for line in out.splitlines()]


def browser_audits(
    logs: list[list[bytes]], receipts: list[dict[str, Any]], tmp: Path
) -> list[dict[str, Any]]:
    """The JavaScript auditor's reports on ``logs`` (one Node process for all)."""
    with BrowserAudits(logs, receipts, tmp) as running:
        return running.reports()


def browser_audit(lines: list[bytes], receipts: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    """The JavaScript auditor's report on one log."""
    return browser_audits([lines], receipts, tmp)[0]


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
    assert got["not_checked"] == []  # every check of ballot audit runs in the browser
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


# -- the decisions: the two-thirds rule, eliminations, lots, confirmations, void rounds ----------

DECISIONS = frozenset(
    {"RoundTallied", "CandidateElected", "CandidateEliminated", "LotsDrawn"}
    | {"ConfirmationFailed", "RoundVoided"}
)


def setter(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A payload edit setting ``field`` to ``value``."""

    def change(p: dict[str, Any]) -> None:
        p[field] = value

    return change


def decision_rewrites(session: Session) -> dict[str, list[RecordedEvent]]:
    """Every way of changing a decision of ``session``'s log that the rules must catch: each
    decision dropped or recorded twice, and each tally's figures and decision edited — the
    log then re-signed with the session's own key, as a server that wrote them would."""
    records = session.records()
    key = session.checkpoint_key
    out: dict[str, list[RecordedEvent]] = {}
    # Who each confirmation ballot is about: a flipped decision elects a real candidate.
    confirming = {
        payload(r)["round_number"]: payload(r)["candidate"]
        for r in records
        if r.event_type == "RoundOpened"
    }
    for record in records:
        at, kind = record.position, record.event_type
        if kind not in DECISIONS:
            continue
        body = payload(record)
        if body.get("by") == "acclamation" or body.get("reason") == "declared":
            continue  # recorded acts, not decisions
        out[f"{at}-{kind}-dropped"] = resign(drop(records, at), key)
        out[f"{at}-{kind}-twice"] = resign(insert(records, at + 1, record), key)
        if kind == "RoundTallied":

            def more_required(p: dict[str, Any]) -> None:
                p["required"] = (p["required"] or 0) + 1

            def flipped(p: dict[str, Any]) -> None:
                if p["decision"] == "elected":
                    p.update(decision="inconclusive", elected=None)
                else:
                    first = next(o for o in p["counts"] if o != "blank")
                    winner = confirming[p["round_number"]] or first
                    p.update(decision="elected", elected=winner, eliminated=None)
                    p.update(eliminated_by=None, tied=[])

            def counts_moved(p: dict[str, Any]) -> None:
                options = list(p["counts"])
                p["counts"][options[0]] += 1
                p["counts"][options[1]] -= 1

            for name, change in (
                ("required", more_required),
                ("decision", flipped),
                ("counts", counts_moved),
            ):
                out[f"{at}-{kind}-{name}"] = resign(edit(records, at, change), key)
        elif kind == "LotsDrawn":
            other = next(c for c in body["tied"] if c != body["loser"])
            out[f"{at}-{kind}-loser"] = resign(edit(records, at, setter("loser", other)), key)
        elif kind in ("CandidateElected", "ConfirmationFailed"):
            field = "votes" if kind == "CandidateElected" else "yes"
            out[f"{at}-{kind}-{field}"] = resign(
                edit(records, at, setter(field, (body[field] or 0) + 1)), key
            )
    return out


def opening_rewrites(session: Session) -> dict[str, list[RecordedEvent]]:
    """Every way of opening a round other than the rules would, and of changing the roll it is
    opened on: each opening's roll, quorum figures, options, kind and lots commitment edited,
    each presence and voting-rights change dropped, a delegation's key revoked (new
    credentials) before it votes, and each revealed lots seed changed — re-signed as above."""
    records = session.records()
    key = session.checkpoint_key
    out: dict[str, list[RecordedEvent]] = {}
    for record in records:
        at, kind = record.position, record.event_type
        body = payload(record)
        if kind == "RoundOpened":
            edits: dict[str, Any] = {
                "roll": body["roll"][1:],
                "present": body["present"] - 1,
                "options": [*list(reversed(body["options"][:-1])), "blank"],
                "kind": "tiebreak" if body["kind"] != "tiebreak" else "election",
                "lots_commitment": None if body["lots_commitment"] else "A" * 43,
            }
            for name, value in edits.items():
                out[f"{at}-{kind}-{name}"] = resign(edit(records, at, setter(name, value)), key)
        elif kind in ("PresenceRecorded", "VotingRightsChanged"):
            out[f"{at}-{kind}-dropped"] = resign(drop(records, at), key)
        elif kind == "RoundClosed" and body["lots_seed"]:
            seed = "A" * 43  # canonical, and not the seed committed to
            out[f"{at}-{kind}-lots_seed"] = resign(
                edit(records, at, setter("lots_seed", seed)), key
            )
    first = next(r for r in records if r.event_type == "BallotCast")
    accepted = next(
        r
        for r in records
        if r.event_type == "CredentialsAccepted"
        and payload(r)["member_id"] == payload(first)["delegation_id"]
    )
    out["credentials-reissued"] = resign(insert(records, first.position, accepted), key)
    return out


def ceremony_rewrites(session: Session) -> dict[str, list[RecordedEvent]]:
    """An election key the server knows the secret of, a qualified set or a verification key
    that the commitments do not give, each dealing, complaint and answer dropped (which
    changes who qualifies), and the first message of each kind sent twice, under another
    teller's index or signature, with a dealing short of a share or a commitment whose proofs
    do not verify — re-signed as above."""
    records = session.records()
    key = session.checkpoint_key
    owner = b64encode(Point.base_mul(Scalar.from_int(7)).encode())
    out: dict[str, list[RecordedEvent]] = {}
    seen: set[str] = set()
    for record in records:
        at, kind = record.position, record.event_type
        body = payload(record)
        if kind == "ElectionKeyPublished":
            vks = [dict(v) for v in body["verification_keys"]]
            vks[0]["key"] = owner
            for name, value in (
                ("election_key", owner),
                ("qualified", body["qualified"][1:]),
                ("verification_keys", vks),
            ):
                out[f"{at}-{kind}-{name}"] = resign(edit(records, at, setter(name, value)), key)
        elif kind in (
            "KeyCeremonySharesDealt",
            "KeyCeremonyComplaintFiled",
            "KeyCeremonyComplaintAnswered",
        ):
            out[f"{at}-{kind}-dropped"] = resign(drop(records, at), key)
        if kind.startswith("KeyCeremony") and kind not in seen:
            # The first message of each kind: sent twice, signed by someone else, or changed.
            seen.add(kind)
            out[f"{at}-{kind}-twice"] = resign(insert(records, at + 1, record), key)
            out[f"{at}-{kind}-index"] = resign(
                edit(records, at, setter("index", body["index"] % 3 + 1)), key
            )
            if "signature" in body:
                other = next(
                    payload(r)["signature"]
                    for r in records
                    if r.event_type == "KeyCeremonyCommitted"
                    and payload(r)["signature"] != body["signature"]
                )
                out[f"{at}-{kind}-signature"] = resign(
                    edit(records, at, setter("signature", other)), key
                )
            if kind == "KeyCeremonySharesDealt":
                out[f"{at}-{kind}-shares"] = resign(
                    edit(records, at, setter("shares", body["shares"][1:])), key
                )
            if kind == "KeyCeremonyCommitted":
                proofs = [dict(x) for x in body["commitment"]["proofs"]]
                proofs[0]["response"], proofs[1]["response"] = (
                    proofs[1]["response"],
                    proofs[0]["response"],
                )
                commitment = body["commitment"] | {"proofs": proofs}
                out[f"{at}-{kind}-proof"] = resign(
                    edit(records, at, setter("commitment", commitment)), key
                )
    return out


ACTS = (
    "SessionConvened",
    "MemberStateRegistered",
    "CredentialsAccepted",
    "DelegationEnrolled",
    "PresenceRecorded",
    "VotingRightsChanged",
    "CandidateNominated",
    "CandidateWithdrawn",
    "TellersAppointed",
    "CandidateElected",
    "SessionAdjourned",
)


def act_rewrites(session: Session) -> dict[str, list[RecordedEvent]]:
    """The session's, the roll's and the candidates' acts recorded twice (the first of each
    kind) or with fields the rules would not give — re-signed as above."""
    records = session.records()
    key = session.checkpoint_key
    out: dict[str, list[RecordedEvent]] = {}
    seen: set[str] = set()
    edits: dict[str, tuple[str, Any]] = {
        "CredentialsAccepted": ("expires_at", "2030-01-01T00:00:00.000000Z"),
        "DelegationEnrolled": ("role", "teller"),
        "VotingRightsChanged": ("arrears", False),
        "CandidateNominated": ("nominated_by", "ZZZ"),
        "PresenceRecorded": ("member_id", "ZZZ"),
        "MemberStateRegistered": ("member_id", "T1"),
    }
    for record in records:
        at, kind = record.position, record.event_type
        if kind not in ACTS or kind in seen:
            continue
        if kind == "CandidateElected" and payload(record)["by"] != "acclamation":
            continue
        seen.add(kind)
        out[f"{at}-{kind}-twice"] = resign(insert(records, at + 1, record), key)
        if kind in edits:
            field, value = edits[kind]
            out[f"{at}-{kind}-{field}"] = resign(edit(records, at, setter(field, value)), key)
    return out


def _proofs_swapped(p: dict[str, Any]) -> None:
    proofs = [dict(x) for x in p["share"]["proofs"]]
    proofs[0]["response"], proofs[1]["response"] = proofs[1]["response"], proofs[0]["response"]
    p["share"] = {**p["share"], "proofs": proofs}


def share_rewrites(session: Session) -> dict[str, list[RecordedEvent]]:
    """Each round's decryption shares with proofs that do not verify, sent twice, or from
    another teller's index — re-signed as above."""
    records = session.records()
    key = session.checkpoint_key
    out: dict[str, list[RecordedEvent]] = {}
    for record in records:
        if record.event_type != "DecryptionShareSubmitted":
            continue
        at, body = record.position, payload(record)
        out[f"{at}-share-proof"] = resign(edit(records, at, _proofs_swapped), key)
        out[f"{at}-share-twice"] = resign(insert(records, at + 1, record), key)
        out[f"{at}-share-index"] = resign(
            edit(records, at, setter("index", body["index"] % 3 + 1)), key
        )
    return out


@pytest.mark.parametrize("scenario", ["council", "lots", "confirmation"])
def test_every_decision_and_opening_rewritten_fails_in_the_browser_as_in_ballot_audit(
    scenario: str, tmp_path: Path
) -> None:
    sessions: dict[str, Callable[[], Session]] = {
        "council": council,
        "lots": lambda: build(LOTS, b"audit-tests/lots"),
        "confirmation": lambda: build(CONFIRMATION, b"audit-tests/confirmation"),
    }
    session = sessions[scenario]()
    rewrites = {
        "clean": session.records(),
        **decision_rewrites(session),
        **opening_rewrites(session),
        **ceremony_rewrites(session),
        **share_rewrites(session),
        **(acts := act_rewrites(session)),
    }
    # (A second CredentialsAccepted, say, is a new code: legitimate. The acts are compared only.)
    logs = [dump(records) for records in rewrites.values()]
    with BrowserAudits(logs, [], tmp_path) as running:
        expected_reports = [audit(lines, allow_incomplete=True) for lines in logs]
        got = running.reports()
    differ = {}
    for name, expected, report in zip(rewrites, expected_reports, got, strict=True):
        checked = list(expected.failed_checks)
        if (report["verified"], report["failed_checks"]) != (not checked, checked):
            differ[name] = (report["failed_checks"], list(expected.failed_checks))
        elif name != "clean" and name not in acts:
            assert not expected.verified, name  # every rewrite is caught, by both
    assert got[0]["verified"], got[0]["failures"][:3]
    assert not differ, differ


def _without(field: str) -> Callable[[dict[str, Any]], None]:
    def change(p: dict[str, Any]) -> None:
        del p[field]

    return change


def _short_alpha(p: dict[str, Any]) -> None:
    p["aggregate"][0]["alpha"] = "AAAA"


#: Payloads that do not fit their event's schema, one per keyword the schemas use.
SCHEMA_EDITS: dict[str, tuple[str, Callable[[dict[str, Any]], None]]] = {
    "extra-field": ("RoundTallied", setter("note", "x")),
    "reserved-id": ("BallotCast", setter("delegation_id", "No")),
    "short-signature": ("BallotCast", setter("signature", "AAAA")),
    "non-canonical-base64": ("RoundClosed", setter("ballots_root", "A" * 42 + "B")),
    "out-of-range": ("RoundOpened", setter("present", -1)),
    "missing-field": ("CandidateElected", _without("candidate_id")),
    "wrong-type": ("RoundClosed", setter("ballot_count", "10")),
    "not-in-enum": ("RoundTallied", setter("decision", "won")),
    "nested-ref": ("RoundClosed", _short_alpha),
    "deceptive-name": ("MemberStateRegistered", setter("name", "Kenya\u202e")),
}


def test_a_payload_that_does_not_fit_its_schema_fails_in_both_auditors(tmp_path: Path) -> None:
    session = council()
    records = session.records()
    rewrites = {}
    for name, (event_type, change) in SCHEMA_EDITS.items():
        at = next(r.position for r in records if r.event_type == event_type)
        rewrites[name] = resign(edit(records, at, change), session.checkpoint_key)
    logs = [dump(r) for r in rewrites.values()]
    with BrowserAudits(logs, [], tmp_path) as running:
        expected_reports = [audit(lines, allow_incomplete=True) for lines in logs]
        got = running.reports()
    for name, expected, report in zip(rewrites, expected_reports, got, strict=True):
        assert expected.failed_checks[0] == report["failed_checks"][0] == "event.schema", name
        assert not report["verified"]
        assert report["failed_checks"] == list(expected.failed_checks), name

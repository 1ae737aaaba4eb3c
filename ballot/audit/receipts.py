"""Receipts the auditor is asked about: each tracking code must be in the log, in its
round's committed ballot set, and included in a signed checkpoint that covers it; and each
signed receipt a delegation kept must agree with the log at the position it names.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from ballot.audit.report import ReceiptResult
from ballot.audit.rules import Fail
from ballot.domain import BallotCast, RoundClosed
from ballot.domain.state import SessionState
from ballot.ledger import (
    Checkpoint,
    CheckpointError,
    InclusionWitness,
    LogTree,
    SignedReceipt,
    ballot_set_proof,
    verify_ballot_set_membership,
    verify_receipt,
)
from crypto.ballot import render_tracking_code
from events import RecordedEvent

_CROCKFORD_ALIASES: Final[dict[str, str]] = {"I": "1", "L": "1", "O": "0"}


def normalize_code(code: str) -> str:
    """A tracking code as printed (``XXXX-XXXX-XXXX-XXXX``), from what a person typed:
    case, spaces and dashes are ignored and Crockford's look-alikes (I, L → 1; O → 0) read."""
    cleaned = "".join(_CROCKFORD_ALIASES.get(c, c) for c in code.upper() if c not in "- \t")
    if len(cleaned) == 16:
        return "-".join(cleaned[i : i + 4] for i in range(0, 16, 4))
    return cleaned


@dataclass
class _Receipt:
    code: str
    found: bool = False
    position: int | None = None
    round_number: int | None = None
    delegation_id: str | None = None
    tracking_hash: bytes | None = None
    event_hash: bytes | None = None
    witness: InclusionWitness | None = field(default=None, repr=False)
    set_checked: bool = False
    in_ballot_set: bool = False
    checkpoint_position: int | None = None
    included: bool = False


class ReceiptChecks:
    """The receipts asked about, followed through the log; failures go to ``fail``."""

    def __init__(self, codes: Iterable[str], fail: Fail, pending: Fail | None = None) -> None:
        self._receipts = {normalize_code(c): _Receipt(normalize_code(c)) for c in codes}
        self._fail = fail
        #: What is said of a receipt whose round is still open or not yet signed (a warning
        #: when auditing a session in progress).
        self._pending = fail if pending is None else pending

    def wanted(self, event: BallotCast) -> bool:
        """Whether ``event`` is the ballot of a receipt asked about."""
        return bool(self._receipts) and normalize_code(event.tracking_code) in self._receipts

    def witnessed(self, at: int, witness: InclusionWitness) -> None:
        """The log tree's inclusion witness of the ballot at ``at``."""
        for receipt in self._receipts.values():
            if receipt.position == at and receipt.witness is None:
                receipt.witness = witness

    def cast(self, event: BallotCast, record: RecordedEvent, at: int, state: SessionState) -> bool:
        """A ballot was read (and decided): whether its receipt is looked up, so that its
        inclusion witness must be watched."""
        if not self._receipts:
            return False
        receipt = self._receipts.get(normalize_code(event.tracking_code))
        if receipt is None or receipt.found:
            return False
        receipt.found = True
        receipt.position, receipt.round_number = at, event.round_number
        receipt.delegation_id, receipt.event_hash = event.delegation_id, record.hash
        current = state.current_round
        digest = None
        if current is not None and current.number == event.round_number:
            digest = current.voters.get(event.delegation_id)
        if digest is None or render_tracking_code(digest) != receipt.code:
            self._fail(
                at,
                event.event_type,
                "receipt.ballot_set",
                f"the ballot recorded under {receipt.code} was not accepted by the rules or "
                "is not the ballot this code was made from",
            )
            receipt.set_checked = True
        receipt.tracking_hash = digest
        return True

    def closed(self, event: RoundClosed, at: int, state: SessionState) -> None:
        """A round closed: each of its receipts must be in its committed ballot set."""
        current = state.current_round
        for receipt in self._receipts.values():
            if receipt.round_number != event.round_number or receipt.set_checked:
                continue
            receipt.set_checked = True
            if current is None or current.number != event.round_number:
                continue
            voters = list(current.voters)
            digest = receipt.tracking_hash
            if receipt.delegation_id not in voters or digest is None:
                continue
            index = voters.index(receipt.delegation_id)
            try:
                proof = ballot_set_proof(list(current.voters.values()), index)
                verify_ballot_set_membership(
                    digest, index, event.ballot_count, proof, event.ballots_root
                )
            except CheckpointError as exc:
                self._fail(at, event.event_type, "receipt.ballot_set", f"{receipt.code}: {exc}")
            else:
                receipt.in_ballot_set = True

    def checkpoint(self, checkpoint: Checkpoint, at: int, tree: LogTree) -> None:
        """A verified checkpoint: the receipts it covers must be included in it."""
        for receipt in self._receipts.values():
            witness, position = receipt.witness, receipt.position
            if witness is None or position is None or receipt.checkpoint_position is not None:
                continue
            if checkpoint.position < position:
                continue
            receipt.checkpoint_position = checkpoint.position
            tree.unwatch(witness)
            receipt.witness = None
            assert receipt.event_hash is not None
            try:
                verify_receipt(
                    receipt.event_hash, position, checkpoint, witness.proof(checkpoint.position)
                )
            except CheckpointError as exc:
                self._fail(at, "CheckpointSigned", "receipt.inclusion", f"{receipt.code}: {exc}")
            else:
                receipt.included = True

    def results(self, end: int, state: SessionState) -> tuple[ReceiptResult, ...]:
        """Every receipt's result, failing those never found, checked or covered."""
        results: list[ReceiptResult] = []
        for receipt in self._receipts.values():
            if not receipt.found:
                self._fail(None, None, "receipt.unknown", f"{receipt.code} is not in the log")
            elif not receipt.set_checked:
                self._pending(
                    end,
                    None,
                    "receipt.ballot_set",
                    f"{receipt.code}: round {receipt.round_number} was never closed",
                )
            elif receipt.checkpoint_position is None:
                self._pending(
                    end,
                    None,
                    "receipt.uncovered",
                    f"{receipt.code}: no signed checkpoint covers position {receipt.position}",
                )
            counted = any(
                r.number == receipt.round_number and r.status == "tallied" for r in state.rounds
            )
            results.append(
                ReceiptResult(
                    code=receipt.code,
                    found=receipt.found,
                    position=receipt.position,
                    round_number=receipt.round_number,
                    delegation_id=receipt.delegation_id,
                    in_ballot_set=receipt.in_ballot_set,
                    counted=counted and receipt.in_ballot_set,
                    checkpoint_position=receipt.checkpoint_position,
                    included=receipt.included,
                )
            )
        return tuple(results)


# -- signed receipts a delegation kept -----------------------------------------------------------


@dataclass
class _Held:
    receipt: SignedReceipt
    seen_hash: bytes | None = None
    seen_ballot: BallotCast | None = None


class HeldReceipts:
    """Signed receipts (``ballot-receipt/1`` files) checked against the log: the server
    signed that position ``p`` held this ballot with chain hash ``h``, so the log must reach
    ``p`` and hold exactly that there. A log cut before ``p`` omits a ballot the server
    recorded (``receipt.omitted``); any other event or hash at ``p`` means the log was
    rewritten at or before ``p`` (``receipt.rewritten``) — whatever was re-chained and
    re-signed afterwards. Only a receipt signed by the session's checkpoint key is evidence;
    one that is not is reported as such (``receipt.signature``): the log's key was replaced,
    or the receipt is not genuine — the key the secretariat published tells which.
    """

    def __init__(self, receipts: Iterable[SignedReceipt], fail: Fail) -> None:
        self._held = [_Held(r) for r in receipts]
        self._at: dict[int, list[_Held]] = {}
        for held in self._held:
            self._at.setdefault(held.receipt.position, []).append(held)
        self._fail = fail

    def __bool__(self) -> bool:
        return bool(self._held)

    def record(self, record: RecordedEvent, event: object, at: int) -> None:
        """The record at position ``at`` (``event``: its parsed event, if it parsed)."""
        for held in self._at.get(at, ()):
            held.seen_hash = record.hash
            held.seen_ballot = event if isinstance(event, BallotCast) else None

    def finish(self, end: int, session_id: str, key: bytes | None) -> None:
        """Judge every receipt once the log is read (``end``: its last position)."""
        for held in self._held:
            receipt = held.receipt
            name = f"receipt {receipt.tracking_code} (round {receipt.round_number}, "
            name += f"{receipt.delegation_id}, position {receipt.position})"
            if session_id and receipt.session_id != session_id:
                self._fail(
                    None,
                    None,
                    "receipt.session",
                    f"{name} is of session "
                    f"{receipt.session_id!r}, not of this log's {session_id!r}",
                )
                continue
            if key is None:
                self._fail(
                    None,
                    None,
                    "receipt.signature",
                    f"{name}: the log names no checkpoint key to check it with",
                )
                continue
            try:
                receipt.verify(key)
            except CheckpointError:
                self._fail(
                    None,
                    None,
                    "receipt.signature",
                    f"{name} is not signed by this log's checkpoint key: the log's key was "
                    "replaced, or the receipt is not genuine (check it against the key the "
                    "secretariat published, --checkpoint-key)",
                )
                continue
            if held.seen_hash is None:
                self._fail(
                    end,
                    None,
                    "receipt.omitted",
                    f"{name}: the log ends at position {end}, before the ballot the server "
                    "signed this receipt for — it was cut from the record",
                )
            elif not hmac.compare_digest(held.seen_hash, receipt.head_hash) or not _same(
                held.seen_ballot, receipt
            ):
                self._fail(
                    receipt.position,
                    None,
                    "receipt.rewritten",
                    f"{name}: the log holds another event or chain at this position than "
                    "the one the server signed — the record was rewritten at or before it",
                )


def _same(ballot: BallotCast | None, receipt: SignedReceipt) -> bool:
    return (
        ballot is not None
        and ballot.round_number == receipt.round_number
        and ballot.delegation_id == receipt.delegation_id
        and ballot.tracking_code == receipt.tracking_code
    )

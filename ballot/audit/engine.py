"""The auditor: one streaming pass over an exported log, trusting nothing in it.

Per line, in order: the strict canonical form of the line (``events.exchange``); the chain
(position, log id, previous hash, hash, stream version); the payload's schema; a checkpoint's
position, head, Merkle root and signature; then the rules — every recorded act re-run through
``decide`` and every decision compared, by the domain's own :class:`Rederiver`. Ballot proofs,
the expensive part, are checked in a process pool (:class:`ProofChecker`) while the stream
goes on. Memory: the session state (members, rounds, running aggregates), the log tree's
``O(log n)`` peaks and a bounded window of recent hashes — never the events.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final

from ballot.audit.checks import discrepancy_checks
from ballot.audit.proofs import CastChecker
from ballot.audit.report import AuditReport, CheckpointResult, Failure, ReceiptResult
from ballot.checkpoints import (
    Checkpoint,
    CheckpointError,
    InclusionWitness,
    LogTree,
    ballot_set_proof,
    verify_ballot_set_membership,
    verify_checkpoint_signature,
    verify_receipt,
)
from ballot.domain import (
    BallotCast,
    CastBallot,
    CastCheck,
    CheckedCast,
    CheckpointSigned,
    Command,
    Event,
    Refusal,
    RoundClosed,
    SessionConvened,
    VerifiedCast,
    cast_check,
    command_for,
    event_from_payload,
    final_outcome,
    results_board,
    verified_cast,
)
from ballot.domain.rederive import Rederiver
from crypto.ballot import render_tracking_code
from events import GENESIS_HASH, RecordedEvent
from events.exchange import record_from_line

#: Lines read before deciding that an input with no JSON at all is not an export.
_SNIFF_LINES: Final[int] = 16
#: Failures kept in a report; later ones are only counted.
MAX_FAILURES: Final[int] = 10_000
#: Recent positions whose hashes are kept to check a checkpoint that lags the head.
DEFAULT_WINDOW: Final[int] = 65_536
_CROCKFORD_ALIASES: Final[dict[str, str]] = {"I": "1", "L": "1", "O": "0"}


class UnusableInput(Exception):
    """The input is not an exported log at all (exit status 2), as opposed to a log that
    fails verification (exit status 1)."""

    code = "unusable_input"


def normalize_code(code: str) -> str:
    """A tracking code as printed (``XXXX-XXXX-XXXX-XXXX``), from what a person typed:
    case, spaces and dashes are ignored and Crockford's look-alikes (I, L → 1; O → 0) read."""
    cleaned = "".join(_CROCKFORD_ALIASES.get(c, c) for c in code.upper() if c not in "- \t")
    if len(cleaned) == 16:
        return "-".join(cleaned[i : i + 4] for i in range(0, 16, 4))
    return cleaned


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """What to check besides the log itself, and how.

    * ``receipts`` — tracking codes to look up (each must be in its round's committed set and
      included in the next signed checkpoint);
    * ``checkpoints`` — signed checkpoints obtained earlier (from a receipt, a board, an earlier
      export): the log must extend each of them;
    * ``checkpoint_key`` — the session's checkpoint key as published out of band; without it
      the key in ``SessionConvened`` is trusted;
    * ``allow_incomplete`` — a session still in progress (or a log whose tail no checkpoint
      covers yet) is a warning instead of a failure;
    * ``workers``/``chunk_size``/``inline_first`` — the ballot-proof process pool;
    * ``window`` — how far behind the head a checkpoint may be and still be checked.
    """

    receipts: tuple[str, ...] = ()
    checkpoints: tuple[Checkpoint, ...] = ()
    checkpoint_key: bytes | None = None
    allow_incomplete: bool = False
    workers: int = 2
    chunk_size: int = 64
    inline_first: int = 64
    window: int = DEFAULT_WINDOW


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


#: Ballots held, at most, before the rules decide them (memory stays bounded).
MAX_HELD: Final[int] = 2048


@dataclass(frozen=True, slots=True)
class _Held:
    event: BallotCast
    at: int
    command: Command | None
    check: CastCheck | None
    key: bytes


class Auditor:
    """Feed it an export line by line (:meth:`feed_line`), then :meth:`finish`.

    Never raises on a bad log: every problem is a :class:`Failure` in the report. Raises
    :class:`UnusableInput` only when the input is not an export at all.
    """

    def __init__(self, options: AuditOptions | None = None) -> None:
        self.options = options if options is not None else AuditOptions()
        self._started = time.perf_counter()
        self._rederiver = Rederiver()
        self._casts = CastChecker(
            self.options.workers, self.options.chunk_size, self.options.inline_first
        )
        #: A run of ballots read but not yet decided: their checks are in the workers.
        self._held: deque[_Held] = deque()
        self._tree = LogTree(self.options.window)
        self._failures: list[tuple[float, int, Failure]] = []
        self._warnings: list[Failure] = []
        self.suppressed = 0
        self._seq = 0
        # the chain
        self._expected = 1
        self._prev_hash: bytes | None = GENESIS_HASH
        self._log_id: str | None = None
        self._streams: dict[str, int] = {}
        self._ballot_streams: dict[int, list[str]] = {}
        self._streams_exact = True
        self._head_hash: bytes | None = None
        # counts
        self.lines = 0
        self.events = 0
        self.ballots = 0
        self._json_lines = 0
        self._last_fact = 0  # last position holding anything but a checkpoint
        # checkpoints
        self._checkpoints: list[CheckpointResult] = []
        self._last_checkpoint: Checkpoint | None = None
        self._key_checked = False
        self._convened_key: bytes | None = None
        self._known = sorted(self.options.checkpoints, key=lambda c: c.position)
        self._receipts = {
            normalize_code(c): _Receipt(normalize_code(c)) for c in self.options.receipts
        }

    # -- failures ------------------------------------------------------------------------------

    def _fail(
        self,
        position: int | None,
        event_type: str | None,
        check: str,
        message: str,
        *,
        primary: bool = False,
    ) -> None:
        """Record a failure. Failures are reported by position, then in the order found —
        except ``primary`` ones (a ballot's own decoding, proofs and signature, checked by
        the workers and so found late), which come first at their position: what the rules
        found wrong about a ballot follows from those."""
        if len(self._failures) >= MAX_FAILURES:
            self.suppressed += 1  # a log that is garbage throughout must not exhaust memory
            return
        self._seq += 1
        key = float("inf") if position is None else float(position)
        order = 0 if primary else self._seq
        self._failures.append((key, order, Failure(position, event_type, check, message)))

    def _fail_or_warn(self, position: int | None, check: str, message: str) -> None:
        if self.options.allow_incomplete:
            self._warnings.append(Failure(position, None, check, message))
        else:
            self._fail(position, None, check, message)

    # -- the stream ------------------------------------------------------------------------------

    def feed_line(self, line: bytes) -> None:
        """Check the next line of the export."""
        at = self._expected
        self.lines += 1
        try:
            record = record_from_line(line, at)
            if len(record.hash) != 32 or len(record.prev_hash) != 32:
                raise ValueError("hash and prev_hash must be 32 bytes (64 hex digits)")
        except Exception as exc:  # a hostile line must be a finding, never a traceback
            self._lost_line(line, at, exc)
            return
        self._json_lines += 1
        self.events += 1
        try:
            self._feed_record(record, at)
        except Exception as exc:  # last resort: an unforeseen input is a failure, not a crash
            self._fail(at, record.event_type, "rules.error", f"{type(exc).__name__}: {exc}")

    def _feed_record(self, record: RecordedEvent, at: int) -> None:
        self._check_chain(record, at)
        self._head_hash = record.hash
        try:
            event = event_from_payload(record.event_type, record.payload(), record.schema_version)
        except ValueError as exc:  # includes UnknownEvent
            self._fail(at, record.event_type, "event.schema", str(exc))
            self._tree.append(record.hash)
            self._after_append(record, at)
            return
        if not isinstance(event, CheckpointSigned):
            self._last_fact = at
        if isinstance(event, SessionConvened):
            self._check_key(event, at)
        if isinstance(event, CheckpointSigned):
            # The rules first (a decision missing here is the root cause), then the
            # checkpoint's own checks, which say more precisely what the rules refuse.
            own: list[Failure] = []
            self._check_checkpoint(event, at, own)
            self._rules(event, at, skip_checkpoint_refusal=bool(own))
            for failure in own:
                self._fail(failure.position, failure.event_type, failure.check, failure.message)
        else:
            self._rules(event, at, skip_checkpoint_refusal=False)
        watch = False
        if isinstance(event, BallotCast):
            self.ballots += 1
            watch = self._receipt_cast(event, record, at)
        elif isinstance(event, RoundClosed):
            self._receipt_closed(event, at)
            # Memory stays bounded by a round's ballots, not the log's: a later event in one
            # of these streams is still caught (as a stream not starting at 1, or by the rules
            # as a ballot for a closed round).
            for stream in self._ballot_streams.pop(event.round_number, ()):
                self._streams.pop(stream, None)
        witness = self._tree.append(record.hash, watch=watch)
        if witness is not None:
            for receipt in self._receipts.values():
                if receipt.position == at and receipt.witness is None:
                    receipt.witness = witness
        self._after_append(record, at)

    def _lost_line(self, line: bytes, at: int, exc: Exception) -> None:
        try:
            json.loads(line)
            self._json_lines += 1
        except ValueError:
            if self.lines >= _SNIFF_LINES and self._json_lines == 0:
                raise UnusableInput("the input is not JSON Lines") from None
        self._fail(at, None, "log.line", str(exc))
        self._expected += 1
        self._prev_hash = None  # unknown: the next line's prev_hash cannot be checked
        self._streams_exact = False

    def _check_chain(self, record: RecordedEvent, at: int) -> None:
        etype = record.event_type
        follows = self._prev_hash is not None and hmac.compare_digest(
            record.prev_hash, self._prev_hash
        )
        if record.position != at:
            self._fail(
                at, etype, "chain.position", f"found position {record.position} where {at} belongs"
            )
        if self._log_id is None:
            self._log_id = record.log_id
        elif record.log_id != self._log_id:
            self._fail(
                at, etype, "chain.log_id", f"event of log {record.log_id!r}, not {self._log_id!r}"
            )
        if self._prev_hash is not None and not follows:
            self._fail(at, etype, "chain.prev_hash", "prev_hash is not the previous event's hash")
        if not hmac.compare_digest(record.computed_hash(), record.hash):
            self._fail(at, etype, "chain.hash", "hash does not match the event's canonical bytes")
        last = self._streams.get(record.stream_id)
        if last is None:
            if record.stream_version != 1 and self._streams_exact:
                self._fail(
                    at,
                    etype,
                    "chain.stream_version",
                    f"stream {record.stream_id!r} starts at version {record.stream_version}",
                )
        elif record.stream_version != last + 1 and (
            self._streams_exact or record.stream_version <= last
        ):
            self._fail(
                at,
                etype,
                "chain.stream_version",
                f"stream {record.stream_id!r}: version {record.stream_version} after {last}",
            )
        self._streams[record.stream_id] = record.stream_version
        if last is None and record.stream_id.startswith("ballot-"):
            # One stream per ballot: forget them when their round closes (see below).
            round_part = record.stream_id.split("-", 2)[1]
            if round_part.isdigit():
                self._ballot_streams.setdefault(int(round_part), []).append(record.stream_id)
        # A wrong position on an event that does follow its predecessor is a wrong number
        # (count on); one that does not follow is a gap (re-synchronise on its number).
        self._expected = at + 1 if follows or record.position <= at else record.position + 1
        self._prev_hash = record.hash

    def _after_append(self, record: RecordedEvent, at: int) -> None:
        while self._known and self._known[0].position <= self._tree.size:
            known = self._known.pop(0)
            if known.position < self._tree.size:
                self._fail(
                    at,
                    record.event_type,
                    "checkpoint.consistency",
                    f"the checkpoint you hold at position {known.position} cannot be placed "
                    "in this log (unreadable lines before it)",
                )
                continue
            if not hmac.compare_digest(known.head_hash, record.hash) or not hmac.compare_digest(
                known.log_root, self._tree.root()
            ):
                self._fail(
                    at,
                    record.event_type,
                    "checkpoint.consistency",
                    f"the log up to position {known.position} is not the one the checkpoint "
                    "you hold signs: it was rewritten after that checkpoint",
                )

    # -- checkpoints -------------------------------------------------------------------------------

    def _check_key(self, event: SessionConvened, at: int) -> None:
        self._convened_key = event.checkpoint_key
        expected = self.options.checkpoint_key
        if event.checkpoint_key is None:
            self._fail(
                at,
                event.event_type,
                "checkpoint.key",
                "the session has no checkpoint key: nothing signs its log",
            )
        elif expected is not None and not hmac.compare_digest(event.checkpoint_key, expected):
            self._fail(
                at,
                event.event_type,
                "checkpoint.key",
                "the session's checkpoint key is not the one published for it",
            )
        self._check_known_signatures()

    def _check_known_signatures(self) -> None:
        self._key_checked = True
        key = self._key()
        if key is None:
            if self._known:
                self._fail(
                    None,
                    None,
                    "checkpoint.key",
                    "the checkpoints you hold cannot be checked: the log names no checkpoint key",
                )
            return
        for known in self._known:
            try:
                verify_checkpoint_signature(known, key)
            except CheckpointError as exc:
                self._fail(
                    None,
                    None,
                    "checkpoint.key",
                    f"a checkpoint you hold (position {known.position}) does not verify under "
                    f"this log's checkpoint key: {exc}",
                )

    def _key(self) -> bytes | None:
        return self.options.checkpoint_key or self._convened_key

    def _check_checkpoint(self, event: CheckpointSigned, at: int, own: list[Failure]) -> None:
        """Position, head, root and signature of a checkpoint; failures go to ``own``."""
        etype = event.event_type

        def fail(check: str, message: str) -> None:
            own.append(Failure(at, etype, check, message))

        try:
            checkpoint = Checkpoint.from_event(event)
        except CheckpointError as exc:
            fail("checkpoint.position", str(exc))
            return
        last = self._last_checkpoint
        if checkpoint.position >= at:
            fail(
                "checkpoint.position",
                f"covers position {checkpoint.position}, which is not before its own ({at})",
            )
        elif last is not None and checkpoint.position <= last.position:
            fail(
                "checkpoint.position",
                f"covers position {checkpoint.position}, not after the previous checkpoint "
                f"({last.position})",
            )
        elif self._tree.size != at - 1:
            fail(
                "checkpoint.root",
                "cannot be recomputed: lines before it could not be read",
            )
        else:
            try:
                head = self._tree.hash_at(checkpoint.position)
                root = self._tree.root_at(checkpoint.position)
            except CheckpointError as exc:
                fail("checkpoint.position", f"too far behind its head: {exc}")
            else:
                if not hmac.compare_digest(head, checkpoint.head_hash):
                    fail(
                        "checkpoint.head",
                        f"head_hash is not the hash of the event at position {checkpoint.position}",
                    )
                if not hmac.compare_digest(root, checkpoint.log_root):
                    fail(
                        "checkpoint.root",
                        f"log_root is not the Merkle root of positions 1..{checkpoint.position}",
                    )
        key = self._key()
        if key is None:
            fail("checkpoint.key", "no checkpoint key to verify it with")
        else:
            try:
                verify_checkpoint_signature(checkpoint, key)
            except CheckpointError as exc:
                fail("checkpoint.signature", str(exc))
        verified = not own
        self._checkpoints.append(
            CheckpointResult(at, checkpoint.position, checkpoint.log_root.hex(), verified)
        )
        if verified:
            self._last_checkpoint = checkpoint
            self._receipt_checkpoint(checkpoint, at)

    # -- the rules ---------------------------------------------------------------------------------

    def _rules(self, event: Event, at: int, *, skip_checkpoint_refusal: bool) -> None:
        if isinstance(event, BallotCast):
            self._hold(event, at)
            return
        self._release()
        self._decide(event, at, None, skip_checkpoint_refusal=skip_checkpoint_refusal)

    def _hold(self, event: BallotCast, at: int) -> None:
        """Start the checks of a ballot in the workers; the rules decide it later, in order.

        Its check is built from the state before the run of ballots it belongs to: only
        ballots follow, and a ballot changes neither a round's context nor an enrolled key.
        """
        state = self._rederiver.state
        command = command_for(state, event)
        check: CastCheck | None = None
        key = b""
        if isinstance(command, CastBallot):
            with contextlib.suppress(Refusal):  # the rules refuse it when they reach it
                check, key = cast_check(state, command)
        if check is not None:
            self._casts.submit(check)
        self._held.append(_Held(event, at, command, check, key))
        wanted = bool(self._receipts) and normalize_code(event.tracking_code) in self._receipts
        if len(self._held) >= MAX_HELD or wanted:  # a receipt looks at the rules' state
            self._release()
        else:
            self._advance(wait=False)  # the rules keep up while the workers check

    def _release(self) -> None:
        """Decide every held ballot, in order, on the answers of its checks."""
        self._advance(wait=True)

    def _advance(self, *, wait: bool) -> None:
        """Decide held ballots from the oldest, as far as their answers are in (every one,
        waiting for the workers, with ``wait``)."""
        while self._held:
            ballot = self._held[0]
            verified = None
            if ballot.check is not None:
                answer = self._casts.next_answer(wait=wait)
                if answer is None:
                    return
                if isinstance(answer, CheckedCast) and isinstance(ballot.command, CastBallot):
                    verified = verified_cast(ballot.command, ballot.check, ballot.key, answer)
            self._held.popleft()
            self._decide(ballot.event, ballot.at, verified, skip_checkpoint_refusal=False)

    def _decide(
        self,
        event: Event,
        at: int,
        verified: VerifiedCast | None,
        *,
        skip_checkpoint_refusal: bool,
    ) -> None:
        try:
            step = self._rederiver.feed(event, at, verified=verified)
        except Exception as exc:  # the rules must never crash the audit of a hostile log
            self._fail(at, event.event_type, "rules.error", f"{type(exc).__name__}: {exc}")
            return
        for discrepancy in step.discrepancies:
            refusal = discrepancy.refusal
            if (
                skip_checkpoint_refusal
                and refusal is not None
                and refusal.code == "invalid_checkpoint"
            ):
                continue  # already reported, more precisely, by the checkpoint checks
            for check in discrepancy_checks(discrepancy):
                self._fail(discrepancy.position, discrepancy.event_type, check, discrepancy.message)

    # -- receipts ----------------------------------------------------------------------------------

    def _receipt_cast(self, event: BallotCast, record: RecordedEvent, at: int) -> bool:
        if not self._receipts:
            return False
        receipt = self._receipts.get(normalize_code(event.tracking_code))
        if receipt is None or receipt.found:
            return False
        receipt.found = True
        receipt.position, receipt.round_number = at, event.round_number
        receipt.delegation_id, receipt.event_hash = event.delegation_id, record.hash
        current = self._rederiver.state.current_round
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

    def _receipt_closed(self, event: RoundClosed, at: int) -> None:
        current = self._rederiver.state.current_round
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

    def _receipt_checkpoint(self, checkpoint: Checkpoint, at: int) -> None:
        for receipt in self._receipts.values():
            witness, position = receipt.witness, receipt.position
            if witness is None or position is None or receipt.checkpoint_position is not None:
                continue
            if checkpoint.position < position:
                continue
            receipt.checkpoint_position = checkpoint.position
            self._tree.unwatch(witness)
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

    # -- the end -----------------------------------------------------------------------------------

    def finish(self) -> AuditReport:
        """Wait for the proof checks, check what only the end can tell, and report."""
        if self.lines == 0:
            self.close()
            raise UnusableInput("the input is empty")
        if self._json_lines == 0:
            self.close()
            raise UnusableInput("the input is not JSON Lines")
        try:
            self._release()
        finally:
            self.close()
        end = self._expected
        for discrepancy in self._rederiver.finish():
            for check in discrepancy_checks(discrepancy):
                self._fail(discrepancy.position, discrepancy.event_type, check, discrepancy.message)
        state = self._rederiver.state
        for known in self._known:
            self._fail(
                end,
                None,
                "log.truncated",
                f"the log ends at position {self._tree.size}, before the checkpoint you hold "
                f"at position {known.position}",
            )
        if state.phase not in ("elected", "adjourned"):
            self._fail_or_warn(
                end,
                "log.incomplete",
                f"the log ends while the session is {state.phase}: no result can be verified",
            )
        covered = 0 if self._last_checkpoint is None else self._last_checkpoint.position
        if self._last_fact > covered:
            self._fail_or_warn(
                end,
                "checkpoint.missing",
                f"no signed checkpoint covers positions {covered + 1}..{self._last_fact}",
            )
        if not self._key_checked:
            self._check_known_signatures()
        receipts = self._receipt_results(end)
        self._failures.sort(key=lambda item: (item[0], item[1]))
        failed: list[str] = []
        for _, _, failure in self._failures:
            if failure.check not in failed:
                failed.append(failure.check)
        return AuditReport(
            log_id=self._log_id,
            session_id=state.session_id or None,
            events=self.events,
            ballots=self.ballots,
            head_position=self._expected - 1,
            head_hash=None if self._head_hash is None else self._head_hash.hex(),
            rounds=results_board(state),
            outcome=final_outcome(state),
            phase=state.phase,
            checkpoints=tuple(self._checkpoints),
            receipts=receipts,
            failures=tuple(f for _, _, f in self._failures),
            warnings=tuple(self._warnings),
            seconds=time.perf_counter() - self._started,
            failed_checks=tuple(failed),
            suppressed=self.suppressed,
        )

    def _receipt_results(self, end: int) -> tuple[ReceiptResult, ...]:
        results: list[ReceiptResult] = []
        state = self._rederiver.state
        for receipt in self._receipts.values():
            if not receipt.found:
                self._fail(None, None, "receipt.unknown", f"{receipt.code} is not in the log")
            elif not receipt.set_checked:
                self._fail(
                    end,
                    None,
                    "receipt.ballot_set",
                    f"{receipt.code}: round {receipt.round_number} was never closed",
                )
            elif receipt.checkpoint_position is None:
                self._fail(
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

    def close(self) -> None:
        """Stop the ballot-check workers (idempotent)."""
        self._casts.close()

    def __enter__(self) -> Auditor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""The auditor: one streaming pass over an exported log, trusting nothing in it.

Per line, in order: the strict canonical form of the line (``events.exchange``); the chain
(position, log id, previous hash, hash, stream version); the payload's schema; a checkpoint's
position, head, Merkle root and signature; then the rules — every recorded act re-run through
``decide`` and every decision compared (:mod:`ballot.audit.rules`), each ballot on the
checks of its decoding, proofs and signature that worker processes made while the stream
went on (:mod:`ballot.audit.casts`); and the receipts asked about
(:mod:`ballot.audit.receipts`). Memory: the session state (members, rounds, running aggregates), the log tree's
``O(log n)`` peaks and a bounded window of recent hashes — never the events.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from ballot.audit.casts import CastChecker
from ballot.audit.challenges import ChallengeChecks, ChallengeClaim
from ballot.audit.receipts import HeldReceipts, ReceiptChecks
from ballot.audit.report import AuditReport, CheckpointResult, Failure
from ballot.audit.rules import RuleChecks
from ballot.domain import (
    BallotCast,
    BallotChallenged,
    CheckpointSigned,
    RoundClosed,
    SessionConvened,
    event_from_json,
    final_outcome,
    results_board,
)
from ballot.domain.state import SessionState
from ballot.ledger import (
    Checkpoint,
    CheckpointError,
    LogTree,
    SignedReceipt,
    verify_checkpoint_signature,
)
from events import GENESIS_HASH, RecordedEvent
from events.exchange import record_from_line

#: Lines read before deciding that an input with no JSON at all is not an export.
_SNIFF_LINES: Final[int] = 16
#: Failures kept in a report; later ones are only counted.
MAX_FAILURES: Final[int] = 10_000
#: Recent positions whose hashes are kept to check a checkpoint that lags the head.
DEFAULT_WINDOW: Final[int] = 65_536


class UnusableInput(Exception):
    """The input is not an exported log at all (exit status 2), as opposed to a log that
    fails verification (exit status 1)."""

    code = "unusable_input"


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """What to check besides the log itself, and how.

    * ``receipts`` — tracking codes to look up (each must be in its round's committed set and
      included in the next signed checkpoint);
    * ``signed_receipts`` — receipts the server signed (files a delegation kept): the log must
      hold, at each one's position, exactly the ballot and chain hash it signed;
    * ``challenges`` — checked (spoiled) ballots a delegation asks about: each must be in the
      log and hold the option the delegation chose (:mod:`ballot.audit.challenges`);
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
    signed_receipts: tuple[SignedReceipt, ...] = ()
    challenges: tuple[ChallengeClaim, ...] = ()
    checkpoints: tuple[Checkpoint, ...] = ()
    checkpoint_key: bytes | None = None
    allow_incomplete: bool = False
    workers: int = 2
    chunk_size: int = 64
    inline_first: int = 64
    window: int = DEFAULT_WINDOW


class Auditor:
    """Feed it an export line by line (:meth:`feed_line`), then :meth:`finish`.

    Never raises on a bad log: every problem is a :class:`Failure` in the report. Raises
    :class:`UnusableInput` only when the input is not an export at all.
    """

    def __init__(self, options: AuditOptions | None = None) -> None:
        self.options = options if options is not None else AuditOptions()
        self._started = time.perf_counter()
        self._casts = CastChecker(
            self.options.workers, self.options.chunk_size, self.options.inline_first
        )
        codes = (*self.options.receipts, *(r.tracking_code for r in self.options.signed_receipts))
        self._receipts = ReceiptChecks(codes, self._fail, self._pending)
        self._held = HeldReceipts(self.options.signed_receipts, self._fail)
        self._challenges = ChallengeChecks(self.options.challenges, self._fail)
        self._rules = RuleChecks(self._fail, self._casts, self._receipts.wanted)
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

    # -- failures ------------------------------------------------------------------------------

    def _fail(self, position: int | None, event_type: str | None, check: str, message: str) -> None:
        """Record a failure. Failures are reported by position, then in the order found: at
        a ballot's position its own failures come in the order its checks run (decoding,
        every failing proof, then its signature), all from the one step that decides it, so
        the first is the most specific cause."""
        if len(self._failures) >= MAX_FAILURES:
            self.suppressed += 1  # a log that is garbage throughout must not exhaust memory
            return
        self._seq += 1
        key = float("inf") if position is None else float(position)
        self._failures.append((key, self._seq, Failure(position, event_type, check, message)))

    def _pending(
        self, position: int | None, event_type: str | None, check: str, message: str
    ) -> None:
        """What a session still in progress has not done yet (see ``allow_incomplete``)."""
        del event_type
        self._fail_or_warn(position, check, message)

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
            event = event_from_json(record.event_type, record.payload_json, record.schema_version)
        except ValueError as exc:  # includes UnknownEvent
            self._fail(at, record.event_type, "event.schema", str(exc))
            self._rules.skip(at)
            if self._held:
                self._held.record(record, None, at)
            self._tree.append(record.hash)
            self._after_append(record, at)
            return
        if self._held:
            self._held.record(record, event, at)
        if not isinstance(event, CheckpointSigned):
            self._last_fact = at
        if isinstance(event, SessionConvened):
            self._check_key(event, at)
        if isinstance(event, CheckpointSigned):
            # The rules first (a decision missing here is the root cause), then the
            # checkpoint's own checks, which say more precisely what the rules refuse.
            own: list[Failure] = []
            self._check_checkpoint(event, at, own)
            self._rules.feed(
                event, at, skip_checkpoint_refusal=bool(own), then=lambda: self._report(own)
            )
        elif isinstance(event, RoundClosed):
            closed = event
            self._rules.feed(
                event, at, then=lambda: self._receipts.closed(closed, at, self._rules.state)
            )
        else:
            self._rules.feed(event, at)
        watch = False
        if isinstance(event, BallotCast):
            self.ballots += 1
            # A ballot whose receipt is looked up is decided as soon as it is read.
            watch = self._receipts.cast(event, record, at, self._rules.state)
        elif isinstance(event, BallotChallenged) and self._challenges:
            self._challenges.challenged(event, at)
        elif isinstance(event, RoundClosed):
            # Memory stays bounded by a round's ballots, not the log's: a later event in one
            # of these streams is still caught (as a stream not starting at 1, or by the rules
            # as a ballot for a closed round).
            for stream in self._ballot_streams.pop(event.round_number, ()):
                self._streams.pop(stream, None)
        witness = self._tree.append(record.hash, watch=watch)
        if witness is not None:
            self._receipts.witnessed(at, witness)
        self._after_append(record, at)

    def _report(self, failures: list[Failure]) -> None:
        for failure in failures:
            self._fail(failure.position, failure.event_type, failure.check, failure.message)

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
            self._receipts.checkpoint(checkpoint, at, self._tree)

    def _check_witnessed(self, end: int, state: SessionState) -> None:
        """Every checkpoint cosigned by as many witnesses as the session's settings require
        (the rules checked each cosignature as it was read). The last one may still be
        awaiting its witnesses in a session audited while in progress."""
        required = state.settings.witnesses_required
        if not required:
            return
        last = max(state.checkpoints, default=None)
        for position, checkpoint in sorted(state.checkpoints.items()):
            if len(checkpoint.cosigners) >= required:
                continue
            message = (
                f"the checkpoint at position {position} is cosigned by "
                f"{len(checkpoint.cosigners)} witness(es), {required} required"
            )
            if position == last:
                self._fail_or_warn(end, "checkpoint.unwitnessed", message)
            else:
                self._fail(end, None, "checkpoint.unwitnessed", message)

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
            self._rules.finish()
        finally:
            self.close()
        end = self._expected
        state = self._rules.state
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
        self._check_witnessed(end, state)
        self._held.finish(self._expected - 1, state.session_id, self._key())
        receipts = self._receipts.results(end, state)
        challenges = self._challenges.results(end, state.session_id)
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
            challenges=challenges,
            failures=tuple(f for _, _, f in self._failures),
            warnings=tuple(self._warnings),
            seconds=time.perf_counter() - self._started,
            failed_checks=tuple(failed),
            suppressed=self.suppressed,
        )

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

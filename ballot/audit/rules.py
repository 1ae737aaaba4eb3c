"""The auditor's rules: every recorded act re-run through ``decide`` by the domain's own
:class:`~ballot.domain.rederive.Rederiver`, each ballot on the verification its checks in the
worker processes made.

Each ballot's :class:`~ballot.domain.CastCheck` is built as it is read
(:class:`~ballot.audit.casts.ReadAhead`) and goes to the workers (:class:`CastChecker`); the
rules decide every event in order as soon as the answers of the ballots before it are in —
reading runs up to :data:`MAX_HELD` events ahead of them, across rounds, so the workers never
wait for a round's close, tally and checkpoints to be decided.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ballot.audit.casts import CastChecker, ReadAhead
from ballot.audit.checks import discrepancy_failures
from ballot.domain import (
    BallotCast,
    CastBallot,
    CastCheck,
    CheckedCast,
    Event,
    Refusal,
    VerifiedCast,
    verified_cast,
)
from ballot.domain.rederive import Rederiver
from ballot.domain.state import SessionState

#: Events held, at most, before the rules decide them (memory stays bounded).
MAX_HELD: Final[int] = 2048

#: Records a failure: ``(position, event type, check, message)``.
Fail = Callable[[int | None, str | None, str, str], None]


@dataclass(frozen=True, slots=True)
class _Held:
    #: ``None``: an event the log holds but that cannot be read (:meth:`RuleChecks.skip`).
    event: Event | None
    at: int
    #: A ballot's check, sent to the workers, and the key it verifies the signature under.
    check: CastCheck | None
    key: bytes
    skip_checkpoint_refusal: bool
    #: What to run once the rules have decided the event (in log order).
    then: Callable[[], None] | None


class RuleChecks:
    """Feed it every event in log order (:meth:`feed`); failures go to ``fail``.

    The rules decide an event once every ballot before it is answered by the workers, so
    they lag the reading; :meth:`feed`'s ``then`` runs what needs the state right after an
    event (in order), and :meth:`release` catches up. ``decide_now(ballot)``: whether the
    rules' state must include this ballot as soon as it is read (a receipt being looked up
    inspects it)."""

    def __init__(
        self,
        fail: Fail,
        casts: CastChecker,
        decide_now: Callable[[BallotCast], bool] = lambda _: False,
    ) -> None:
        self._fail = fail
        self._casts = casts
        self._decide_now = decide_now
        self._rederiver = Rederiver()
        self._ahead = ReadAhead()
        #: Events read but not yet decided: the ballots among them are in the workers.
        self._held: deque[_Held] = deque()

    @property
    def state(self) -> SessionState:
        """The state re-derived so far (every event fed, once :meth:`release` is called)."""
        return self._rederiver.state

    def feed(
        self,
        event: Event,
        at: int,
        *,
        skip_checkpoint_refusal: bool = False,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Check the next event (``skip_checkpoint_refusal``: its checkpoint refusal is
        already reported, more precisely, by the checkpoint checks; ``then``: run once the
        rules have decided it)."""
        guess = self._ahead.read(event)
        check, key = (None, b"") if guess is None else guess
        if check is not None:
            self._casts.submit(check)
        self._held.append(_Held(event, at, check, key, skip_checkpoint_refusal, then))
        if len(self._held) >= MAX_HELD or (
            isinstance(event, BallotCast) and self._decide_now(event)
        ):
            self.release()
        else:
            self._advance(wait=False)  # the rules keep up while the workers check

    def skip(self, at: int) -> None:
        """The event at ``at`` cannot be read (its failure is reported): the rules count it,
        in order, so that a checkpoint covering it is not refused as outside the log."""
        self._held.append(_Held(None, at, None, b"", False, None))

    def finish(self) -> None:
        """Decide what is held and report the decisions the log still owes."""
        self.release()
        for discrepancy in self._rederiver.finish():
            for check, message in discrepancy_failures(discrepancy):
                self._fail(discrepancy.position, discrepancy.event_type, check, message)

    def release(self) -> None:
        """Decide every held event, in order, on the answers of its ballots' checks."""
        self._advance(wait=True)

    def _advance(self, *, wait: bool) -> None:
        """Decide held events from the oldest, as far as their ballots' answers are in
        (every one, waiting for the workers, with ``wait``)."""
        while self._held:
            held = self._held[0]
            if held.event is None:
                self._held.popleft()
                self._rederiver.skip(held.at)
                continue
            verified = None
            if held.check is not None:
                answer = self._casts.next_answer(wait=wait)
                if answer is None:
                    return
                verified = self._verified(held, answer)
            self._held.popleft()
            self._decide(
                held.event, held.at, verified, skip_checkpoint_refusal=held.skip_checkpoint_refusal
            )
            if held.then is not None:
                held.then()

    def _verified(self, held: _Held, answer: CheckedCast | Refusal) -> VerifiedCast | None:
        """The verification the answer makes of the held ballot's command (``None``: the
        rules check it inline, and refuse it as they do)."""
        if not isinstance(answer, CheckedCast) or held.check is None or held.event is None:
            return None
        command = self._rederiver.command(held.event)
        if not isinstance(command, CastBallot):
            return None
        return verified_cast(command, held.check, held.key, answer)

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
            # In the order found: a ballot's own failures (its proofs, then its signature)
            # come together, from this one step, at its position.
            for check, message in discrepancy_failures(discrepancy):
                self._fail(discrepancy.position, discrepancy.event_type, check, message)

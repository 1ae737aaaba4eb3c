"""The auditor's rules: every recorded act re-run through ``decide`` by the domain's own
:class:`~ballot.domain.rederive.Rederiver`, each ballot on the verification its checks in the
worker processes made.

While the auditor reads a run of ballots, each one's :class:`~ballot.domain.CastCheck` is
built from the state before the run (only ballots follow, and a ballot changes neither a
round's context nor an enrolled key) and goes to the workers (:class:`CastChecker`); the
rules decide the held ballots in order as their answers come back, and every other event
after all the ballots before it.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ballot.audit.casts import CastChecker
from ballot.audit.checks import discrepancy_checks
from ballot.domain import (
    BallotCast,
    CastBallot,
    CastCheck,
    CheckedCast,
    Command,
    Event,
    Refusal,
    VerifiedCast,
    cast_check,
    command_for,
    verified_cast,
)
from ballot.domain.rederive import Rederiver
from ballot.domain.state import SessionState

#: Ballots held, at most, before the rules decide them (memory stays bounded).
MAX_HELD: Final[int] = 2048

#: Records a failure: ``(position, event type, check, message)``.
Fail = Callable[[int | None, str | None, str, str], None]


@dataclass(frozen=True, slots=True)
class _Held:
    event: BallotCast
    at: int
    command: Command | None
    check: CastCheck | None
    key: bytes


class RuleChecks:
    """Feed it every event in log order (:meth:`feed`); failures go to ``fail``.

    ``decide_now(ballot)``: whether the rules' state must include this ballot as soon as
    it is read (a receipt being looked up inspects it)."""

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
        #: A run of ballots read but not yet decided: their checks are in the workers.
        self._held: deque[_Held] = deque()

    @property
    def state(self) -> SessionState:
        """The state re-derived so far (every event fed, once :meth:`release` is called)."""
        return self._rederiver.state

    def feed(self, event: Event, at: int, *, skip_checkpoint_refusal: bool = False) -> None:
        """Check the next event (``skip_checkpoint_refusal``: its checkpoint refusal is
        already reported, more precisely, by the checkpoint checks)."""
        if isinstance(event, BallotCast):
            self._hold(event, at)
            return
        self.release()
        self._decide(event, at, None, skip_checkpoint_refusal=skip_checkpoint_refusal)

    def finish(self) -> None:
        """Decide what is held and report the decisions the log still owes."""
        self.release()
        for discrepancy in self._rederiver.finish():
            for check in discrepancy_checks(discrepancy):
                self._fail(discrepancy.position, discrepancy.event_type, check, discrepancy.message)

    def _hold(self, event: BallotCast, at: int) -> None:
        """Start the checks of a ballot in the workers; the rules decide it later, in order."""
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
        if len(self._held) >= MAX_HELD or self._decide_now(event):
            self.release()
        else:
            self._advance(wait=False)  # the rules keep up while the workers check

    def release(self) -> None:
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

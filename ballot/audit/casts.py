"""Cast-ballot checks for the auditor, inline or in a process pool, results in log order.

A cast ballot's checks — decoding every point, its zero-knowledge proofs, its signature —
depend only on its context (session, round, election key, delegation, options) and the
delegation's enrolled key, all of which the log states before the ballot. So as the auditor
*reads* each ballot, :class:`ReadAhead` builds its :class:`~ballot.domain.CastCheck` from the
events read so far, and :class:`CastChecker` hands the checks, in chunks, to worker processes
running the domain's own :func:`~ballot.domain.check_casts`; the rules decide each ballot
later, in order, on the :class:`~ballot.domain.VerifiedCast` its answer makes. Reading never
waits for the rules, so the workers stay busy across a round's close, tally and checkpoints;
the main process keeps only what depends on order.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from ballot.domain import (
    BallotCast,
    CastCheck,
    CheckedCast,
    DelegationEnrolled,
    Event,
    Refusal,
    RoundClosed,
    RoundOpened,
    RoundVoided,
    SessionConvened,
    check_casts,
    crypto_port,
)
from crypto.group import Point
from crypto.signing import VerifyKey

#: One ballot's answer: decoded and checked, or the refusal its checks lead to.
Outcome = CheckedCast | Refusal


def _context() -> multiprocessing.context.BaseContext:
    # A single-threaded parent (reading a file) forks: the workers start at once with every
    # module loaded. A parent with threads (an HTTP client's resolver) must not fork; its
    # workers come from a fork server that has loaded the crypto and the rules once.
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ballot.audit.casts"])
    return context


@dataclass(frozen=True, slots=True)
class _OpenRound:
    number: int
    election_key: Point
    options: tuple[str, ...]
    roll: frozenset[str]


class ReadAhead:
    """The checks of each ballot as it is *read*, from the log's own events — the session,
    the round opened last, each delegation's enrolled key — not from the rules' state, which
    may lag behind the reading by a few rounds while the workers check ballots.

    A guess, and safe as one: ``decide`` takes a verification only for the context and key
    it would have used itself, and checks a ballot again, inline, if either differs (a log
    whose rules refuse what this view takes for granted costs time, never a wrong verdict).
    """

    def __init__(self) -> None:
        self._session_id = ""
        self._round: _OpenRound | None = None
        self._keys: dict[str, tuple[bytes, VerifyKey]] = {}

    def read(self, event: Event) -> tuple[CastCheck, bytes] | None:
        """Follow ``event``; for a ballot this view can check, its check and the enrolled
        key it verifies the signature under."""
        if isinstance(event, BallotCast):
            return self._check(event)
        if isinstance(event, SessionConvened):
            self._session_id = event.session_id
        elif isinstance(event, RoundOpened):
            try:
                key = Point.decode(event.election_key)
            except ValueError:  # the rules refuse the round; its ballots are checked inline
                self._round = None
            else:
                self._round = _OpenRound(
                    event.round_number, key, tuple(event.options), frozenset(event.roll)
                )
        elif isinstance(event, RoundClosed | RoundVoided):
            self._round = None
        elif isinstance(event, DelegationEnrolled):
            try:
                self._keys[event.delegation_id] = (
                    event.public_key,
                    crypto_port.verify_key(event.public_key),
                )
            except Refusal:
                self._keys.pop(event.delegation_id, None)
        return None

    def _check(self, event: BallotCast) -> tuple[CastCheck, bytes] | None:
        current, enrolled = self._round, self._keys.get(event.delegation_id)
        if current is None or enrolled is None or current.number != event.round_number:
            return None
        if event.delegation_id not in current.roll:
            return None  # refused before its checks would run
        try:
            text = crypto_port.ballot_text(event.ballot)
        except Refusal:
            return None
        context = crypto_port.ballot_context(
            self._session_id,
            current.number,
            current.election_key,
            event.delegation_id,
            current.options,
        )
        return CastCheck(context, text, enrolled[1], event.signature), enrolled[0]


class CastChecker:
    """Checks cast ballots as they are submitted — with ``workers`` processes once more
    than ``inline_first`` ballots have been seen (small logs never pay for starting a pool)
    — and answers them in submission order (:meth:`next_answer`).

    A chunk goes to the workers when it is full, or sooner (at least :attr:`min_chunk`
    ballots) while a worker has nothing to do: after a round's end the workers would
    otherwise wait for the next round's first full chunk.
    """

    #: The smallest chunk sent to a worker that is idle.
    min_chunk = 8

    def __init__(self, workers: int = 2, chunk_size: int = 64, inline_first: int = 256) -> None:
        self.workers = workers
        self.chunk_size = max(1, chunk_size)
        self.inline_first = inline_first
        self.submitted = 0
        self._chunk: list[CastCheck] = []
        #: Answers in order: ready ones, and chunks still being checked.
        self._queue: deque[list[Outcome] | Future[list[Outcome]]] = deque()
        self._ready: deque[Outcome] = deque()
        #: Chunks not yet answered: a done-callback (the pool's thread) discards each, so
        #: counting the busy workers costs nothing per ballot (set operations are atomic).
        self._running: set[Future[list[Outcome]]] = set()
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, check: CastCheck) -> None:
        """Queue the checks of the next ballot."""
        self.submitted += 1
        if self.workers <= 0 or self.submitted <= self.inline_first:
            self._queue.append(check_casts([check]))
            return
        self._chunk.append(check)
        if len(self._chunk) >= self.chunk_size or (
            len(self._chunk) >= self.min_chunk and self._busy() < self.workers
        ):
            self._dispatch()

    def _busy(self) -> int:
        return len(self._running)

    def _dispatch(self) -> None:
        if not self._chunk:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())
        future = self._pool.submit(check_casts, self._chunk)
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        self._queue.append(future)
        self._chunk = []

    def next_answer(self, *, wait: bool) -> Outcome | None:
        """The answer of the oldest ballot not yet answered; without ``wait``, ``None`` if
        its chunk is still being checked."""
        while not self._ready:
            if not self._queue:
                if not wait or not self._chunk:
                    return None
                self._dispatch()
                continue
            head = self._queue[0]
            if isinstance(head, Future):
                if not wait and not head.done():
                    return None
                self._ready.extend(head.result())
            else:
                self._ready.extend(head)
            self._queue.popleft()
        return self._ready.popleft()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

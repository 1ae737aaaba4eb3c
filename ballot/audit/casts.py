"""Cast-ballot checks for the auditor, inline or in a process pool, results in log order.

A cast ballot's checks — decoding every point, its zero-knowledge proofs, its signature —
depend only on its context (session, round, election key, delegation, options) and the
delegation's enrolled key, which stay fixed while a round is open. So while the auditor
reads a run of ballots it builds each one's :class:`~ballot.domain.CastCheck` from the
state before the run and hands them, in chunks, to worker processes running the domain's
own :func:`~ballot.domain.check_casts`; the rules then decide each ballot, in order, on the
:class:`~ballot.domain.VerifiedCast` its answer makes. The main process keeps only what
depends on order.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor

from ballot.domain import CastCheck, CheckedCast, Refusal, check_casts

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
        return sum(1 for item in self._queue if isinstance(item, Future) and not item.done())

    def _dispatch(self) -> None:
        if not self._chunk:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())
        self._queue.append(self._pool.submit(check_casts, self._chunk))
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

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
from collections.abc import Iterator
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
    context.set_forkserver_preload(["ballot.audit.proofs"])
    return context


class CastChecker:
    """Checks cast ballots as they are submitted — with ``workers`` processes once more
    than ``inline_first`` ballots have been seen (small logs never pay for starting a pool)
    — and answers them in submission order (:meth:`results`)."""

    def __init__(self, workers: int = 2, chunk_size: int = 64, inline_first: int = 256) -> None:
        self.workers = workers
        self.chunk_size = max(1, chunk_size)
        self.inline_first = inline_first
        self.submitted = 0
        self._chunk: list[CastCheck] = []
        #: Answers in order: ready ones, and chunks still being checked.
        self._queue: deque[list[Outcome] | Future[list[Outcome]]] = deque()
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, check: CastCheck) -> None:
        """Queue the checks of the next ballot."""
        self.submitted += 1
        if self.workers <= 0 or self.submitted <= self.inline_first:
            self._queue.append(check_casts([check]))
            return
        self._chunk.append(check)
        if len(self._chunk) >= self.chunk_size:
            self._dispatch()

    def _dispatch(self) -> None:
        if not self._chunk:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())
        self._queue.append(self._pool.submit(check_casts, self._chunk))
        self._chunk = []

    def results(self) -> Iterator[Outcome]:
        """The answers of every ballot submitted so far, in order, each as soon as its chunk
        is checked (the caller decides the first ballots while later chunks are checked)."""
        self._dispatch()
        while self._queue:
            answers = self._queue.popleft()
            yield from answers if isinstance(answers, list) else answers.result()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

"""Ballot-proof verification, inline or in a process pool, in order-independent chunks.

The proofs of a cast ballot depend only on its context (session, round, election key,
delegation, options), which the main process takes from the state the ballot was cast in. So
the main process streams the log and keeps every order-dependent check, and hands the
expensive, independent proof checks to worker processes in chunks; results (failures only)
come back tagged with the ballot's position.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor

from ballot.domain import CastProofJob, Refusal, check_cast_proof_job

#: ``(position, refusal code, message)`` of a ballot whose proofs fail.
ProofFailure = tuple[int, str, str]


def check_chunk(jobs: list[tuple[int, CastProofJob]]) -> list[ProofFailure]:
    """Verify a chunk of ballots; return the failures (runs in a worker process)."""
    failures: list[ProofFailure] = []
    for position, job in jobs:
        try:
            check_cast_proof_job(job)
        except Refusal as refusal:
            failures.append((position, refusal.code, refusal.message))
    return failures


def _context() -> multiprocessing.context.BaseContext:
    # A single-threaded parent (reading a file) forks: the workers start at once with every
    # module loaded. A parent with threads (an HTTP client's resolver) must not fork; its
    # workers come from a fork server that has loaded the crypto and the rules once.
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ballot.audit.proofs"])
    return context


class ProofChecker:
    """Checks ballot proofs as they are submitted, with ``workers`` processes once more than
    ``inline_first`` ballots have been seen (small logs never pay for starting a pool).

    At most ``2 * workers + 2`` chunks are in flight, so memory stays bounded whatever the
    length of the log.
    """

    def __init__(self, workers: int = 2, chunk_size: int = 64, inline_first: int = 256) -> None:
        self.workers = workers
        self.chunk_size = max(1, chunk_size)
        self.inline_first = inline_first
        self.submitted = 0
        self._chunk: list[tuple[int, CastProofJob]] = []
        self._inflight: deque[Future[list[ProofFailure]]] = deque()
        self._failures: list[ProofFailure] = []
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, position: int, job: CastProofJob) -> None:
        """Queue the proof check of the ballot at ``position``."""
        self.submitted += 1
        if self.workers <= 0 or self.submitted <= self.inline_first:
            self._failures.extend(check_chunk([(position, job)]))
            return
        self._chunk.append((position, job))
        if len(self._chunk) >= self.chunk_size:
            self._dispatch()

    def _dispatch(self) -> None:
        if not self._chunk:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_context())
        self._inflight.append(self._pool.submit(check_chunk, self._chunk))
        self._chunk = []
        while len(self._inflight) > 2 * self.workers + 2:
            self._failures.extend(self._inflight.popleft().result())

    def collect(self) -> list[ProofFailure]:
        """The failures known so far (without waiting)."""
        while self._inflight and self._inflight[0].done():
            self._failures.extend(self._inflight.popleft().result())
        out, self._failures = self._failures, []
        return out

    def finish(self) -> list[ProofFailure]:
        """Wait for every check; return the remaining failures."""
        self._dispatch()
        while self._inflight:
            self._failures.extend(self._inflight.popleft().result())
        return self.collect()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

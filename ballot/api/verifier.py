"""Cast-ballot checks in worker processes, batched the way the store batches commits.

Verifying a cast ballot — decoding every point, its zero-knowledge proofs, and its Ed25519
signature — costs about 1.5 ms of CPU, so it runs in worker processes and the event loop
stays responsive. Handing each ballot to a :class:`~concurrent.futures.ProcessPoolExecutor`
on its own costs the server process about 0.2 ms per ballot (a pickle, a pipe write, a
result): under a burst that is a sizeable part of a core taken from the workers. (The pool
is :class:`~ballot.api.workers.WorkerPool`, which has no helper threads either.)

So :class:`CastVerifier` sends a ballot at once, alone, while the workers have less than
:attr:`CastVerifier.queue_per_worker` ballots each to check (~30 ms of work), and otherwise
holds it for the next chunk (up to :attr:`CastVerifier.max_chunk` ballots, fewer as the
queue drains), sent as soon as checks finish. At the start of a burst the server process is
busy reading and parsing every request at once — milliseconds — so the first ballots go
singly and the workers have enough to do meanwhile; then the rest goes in chunks, each to the
worker expected to finish it first (so that both finish a burst together).

A worker runs :func:`ballot.domain.check_casts` — the domain's own checks — and the answer
becomes the :class:`~ballot.domain.VerifiedCast` the rules decide on
(:func:`ballot.domain.verified_cast`).
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from typing import Protocol

from ballot.domain import CastCheck, CheckedCast, Refusal, check_casts


class Submitter(Protocol):
    """Runs a picklable call in another process (:class:`~ballot.api.workers.WorkerPool`)."""

    @property
    def size(self) -> int:
        """How many calls run at once."""

    def submit(
        self,
        function: Callable[[list[CastCheck]], list[CheckedCast | Refusal]],
        argument: list[CastCheck],
        *,
        weight: int = 1,
    ) -> asyncio.Future[list[CheckedCast | Refusal]]:
        """Start ``function(argument)`` (``weight``: its share of work, to balance workers);
        the future has its outcome."""


class CastVerifier:
    """Batches cast-ballot checks into chunks for a pool of worker processes."""

    def __init__(self, pool: Submitter, *, max_chunk: int = 12, queue_per_worker: int = 24) -> None:
        self._pool = pool
        self.max_chunk = max(1, max_chunk)
        self.queue_per_worker = max(1, queue_per_worker)
        self._waiting: deque[tuple[CastCheck, asyncio.Future[CheckedCast]]] = deque()
        #: Ballots sent to the workers and not answered yet.
        self._in_flight = 0
        #: Chunks sent so far and ballots in them (for benchmarks and tests).
        self.chunks = 0
        self.ballots = 0

    async def check(self, check: CastCheck) -> CheckedCast:
        """Check one ballot (raises the proof check's :class:`Refusal`)."""
        future: asyncio.Future[CheckedCast] = asyncio.get_running_loop().create_future()
        self._waiting.append((check, future))
        self._dispatch()
        return await future

    @property
    def depth(self) -> int:
        """Ballots waiting for a worker or being checked by one."""
        return len(self._waiting) + self._in_flight

    def _dispatch(self) -> None:
        waiting = self._waiting
        while waiting and self._in_flight < self.queue_per_worker * self._pool.size:
            # Full chunks while many wait; smaller ones as the queue drains, so that the last
            # verdicts of a burst come back a few at a time, each handled while the workers
            # still check the rest, not a dozen at once after they have all gone idle.
            size = min(self.max_chunk, -(-len(waiting) // (2 * self._pool.size)))
            chunk: list[tuple[CastCheck, asyncio.Future[CheckedCast]]] = []
            while waiting and len(chunk) < size:
                item = waiting.popleft()
                if not item[1].done():  # a caller that went away (dropped connection) needs none
                    chunk.append(item)
            if not chunk:
                return
            try:
                sent = self._pool.submit(
                    check_casts, [check for check, _ in chunk], weight=len(chunk)
                )
            except Exception as exc:  # no worker to run it (closed pool, no process)
                _fail(chunk, exc)
                continue
            self._in_flight += len(chunk)
            self.chunks += 1
            self.ballots += len(chunk)
            sent.add_done_callback(functools.partial(self._finished, chunk))

    def _finished(
        self,
        chunk: list[tuple[CastCheck, asyncio.Future[CheckedCast]]],
        done: asyncio.Future[list[CheckedCast | Refusal]],
    ) -> None:
        self._in_flight -= len(chunk)
        try:
            outcomes = done.result()
        except Exception as exc:  # a worker died: every ballot of the chunk fails with it
            _fail(chunk, exc)
        else:
            for (_, future), outcome in zip(chunk, outcomes, strict=True):
                if future.done():  # the request went away
                    continue
                if isinstance(outcome, Refusal):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        self._dispatch()


def _fail(chunk: list[tuple[CastCheck, asyncio.Future[CheckedCast]]], error: Exception) -> None:
    for _, future in chunk:
        if not future.done():
            future.set_exception(error)

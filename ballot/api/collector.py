"""The cyclic garbage collector, run between casts instead of in the middle of a burst.

Every cast allocates a few thousand objects (a request, a decoded ballot, events). At
CPython's default threshold the collector ran several times per ballot and, every so often,
over the whole heap: a fifth of the event loop's time during a burst. At a high threshold it
runs rarely, but each young-generation pass then walks tens of thousands of objects, about
20 ms measured — a pause that, landing in a burst, made that burst 10 % slower than the others.

So the server collects when it has nothing else to do: :class:`IdleCollector` looks every
:data:`CHECK_INTERVAL_S` and collects once :data:`IDLE_THRESHOLD` container allocations are
pending and no cast is being handled — the middle generation, as CPython would, once the young
one has been collected more than :data:`OLDER_EVERY` times since; the whole heap, whose pass
grows with the session, at most every :data:`FULL_INTERVAL_S`. CPython's automatic collection
stays on behind it, at :data:`BUSY_THRESHOLD`: a safety valve for a server that is never idle.
Objects alive at start-up (modules, the application) are frozen out of every collection.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable

#: Young container allocations after which an idle server collects: small passes (~2 ms), so
#: that a cast arriving during one hardly waits.
IDLE_THRESHOLD = 5_000
#: Young container allocations after which CPython collects by itself, busy or not: a
#: server casting without pause (100 000 ballots in a row) still collects every few thousand
#: ballots (a young pass walks at most this many objects: ~20 ms per 50 000 measured).
BUSY_THRESHOLD = 200_000
#: Its middle generation then every few young passes, so that none walks millions.
BUSY_OLDER_EVERY = 4
#: Young collections after which an idle collection takes the middle generation (CPython's).
OLDER_EVERY = 20
#: Least time between two collections of the whole heap.
FULL_INTERVAL_S = 60.0
#: How often the collector looks.
CHECK_INTERVAL_S = 0.05


class IdleCollector:
    """Runs the cyclic garbage collector when ``busy()`` says nothing urgent is going on."""

    def __init__(
        self, busy: Callable[[], bool], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.busy = busy
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._last_full = clock()
        #: Collections made here, per generation (for tests and curiosity).
        self.collections = [0, 0, 0]

    def start(self) -> None:
        """Take over the collection schedule (in the running event loop)."""
        if self._task is not None:
            return
        gc.collect()  # no garbage of the start-up frozen with what is alive
        gc.freeze()
        gc.set_threshold(BUSY_THRESHOLD, BUSY_OLDER_EVERY, OLDER_EVERY)
        self._last_full = self._clock()
        self._task = asyncio.create_task(self._run(), name="idle-gc")

    def collect_if_idle(self) -> int | None:
        """Collect now if enough is pending and nothing is busy; the generation collected."""
        young, middle, old = gc.get_count()
        if young < IDLE_THRESHOLD or self.busy():
            return None
        generation = 0
        if middle > OLDER_EVERY:
            generation = 1
            if old > OLDER_EVERY and self._clock() - self._last_full >= FULL_INTERVAL_S:
                generation = 2
                self._last_full = self._clock()
        gc.collect(generation)
        self.collections[generation] += 1
        return generation

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_INTERVAL_S)
            self.collect_if_idle()

    async def stop(self) -> None:
        """Stop collecting (CPython's own schedule, at its high threshold, goes on)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

"""The cyclic garbage collector, run between casts instead of in the middle of a burst.

Every cast allocates a few thousand objects (a request, a decoded ballot, events). At
CPython's default threshold the collector ran several times per ballot and, every so often,
over the whole heap: a fifth of the event loop's time during a burst. At a high threshold it
runs rarely, but each young-generation pass then walks tens of thousands of objects, about
20 ms measured — a pause that, landing in a burst, made that burst 10 % slower than the others.

So the server collects when it has nothing else to do: :class:`IdleCollector` looks every
:data:`CHECK_INTERVAL_S` and collects once :data:`IDLE_THRESHOLD` container allocations are
pending and no cast is being handled, choosing the generation as CPython's own schedule would
(an older one after every 20 collections of the younger). CPython's automatic collection stays
on behind it, at :data:`BUSY_THRESHOLD`: a safety valve for a server that is never idle.
Objects alive at start-up (modules, the application) are frozen out of every collection.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable

#: Young container allocations after which an idle server collects.
IDLE_THRESHOLD = 20_000
#: Young container allocations after which CPython collects by itself, busy or not: a
#: server casting without pause (100 000 ballots in a row) still collects every few
#: thousand ballots, each pass well under 100 ms.
BUSY_THRESHOLD = 200_000
#: Collections of a generation after which the next older one is collected too (CPython's).
OLDER_EVERY = 20
#: How often the collector looks.
CHECK_INTERVAL_S = 0.05


class IdleCollector:
    """Runs the cyclic garbage collector when ``busy()`` says nothing urgent is going on."""

    def __init__(self, busy: Callable[[], bool]) -> None:
        self.busy = busy
        self._task: asyncio.Task[None] | None = None
        #: Collections made here, per generation (for tests and curiosity).
        self.collections = [0, 0, 0]

    def start(self) -> None:
        """Take over the collection schedule (in the running event loop)."""
        gc.freeze()
        gc.set_threshold(BUSY_THRESHOLD, OLDER_EVERY, OLDER_EVERY)
        self._task = asyncio.create_task(self._run(), name="idle-gc")

    def collect_if_idle(self) -> int | None:
        """Collect now if enough is pending and nothing is busy; the generation collected."""
        young, middle, old = gc.get_count()
        if young < IDLE_THRESHOLD or self.busy():
            return None
        generation = 2 if old >= OLDER_EVERY else 1 if middle >= OLDER_EVERY else 0
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

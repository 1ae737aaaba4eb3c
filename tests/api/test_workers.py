"""The thread-free worker pool: results in order, errors carried, dead workers replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from typing import Any

import pytest

from ballot.api import workers as workers_module
from ballot.api.workers import WorkerDied, WorkerPool, _Worker, first_to_finish


def _square(x: int) -> int:
    return x * x


def _fail(message: str) -> None:
    raise ValueError(message)


def _pid(_: None) -> int:
    return os.getpid()


def _echo(data: bytes) -> bytes:
    return data


def _sleep_then_pid(seconds: float) -> int:
    import time

    time.sleep(seconds)
    return os.getpid()


async def test_calls_return_their_own_results_without_helper_threads() -> None:
    pool = WorkerPool(2)
    try:
        threads = threading.active_count()
        results = await asyncio.gather(*(pool.submit(_square, i) for i in range(200)))
        assert results == [i * i for i in range(200)]
        assert threading.active_count() == threads  # nothing but the event loop
        pids = set(await asyncio.gather(*(pool.submit(_pid, None) for _ in range(4))))
        assert len(pids) == 2 and os.getpid() not in pids
    finally:
        pool.close()


async def test_a_call_goes_to_the_worker_with_the_least_work_pending() -> None:
    pool = WorkerPool(2)
    try:
        await asyncio.gather(*(pool.submit(_pid, None) for _ in range(2)))  # both started
        heavy = pool.submit(_sleep_then_pid, 0.3, weight=10)
        light = [pool.submit(_sleep_then_pid, 0.01) for _ in range(5)]
        # Five light calls weigh less than the heavy one: none queues behind it.
        assert await heavy not in set(await asyncio.gather(*light))
    finally:
        pool.close()


async def test_an_exception_reaches_its_caller_and_the_worker_lives_on() -> None:
    pool = WorkerPool(1)
    try:
        with pytest.raises(ValueError, match="refused"):
            await pool.submit(_fail, "refused")
        assert await pool.submit(_square, 7) == 49
    finally:
        pool.close()


async def test_large_messages_cross_a_full_pipe_both_ways() -> None:
    # Several megabytes in flight: writes wait for the worker (add_writer), reads reassemble.
    pool = WorkerPool(1)
    try:
        blobs = [os.urandom(3 << 20) for _ in range(3)]
        assert await asyncio.gather(*(pool.submit(_echo, b) for b in blobs)) == blobs
    finally:
        pool.close()


async def test_a_dead_worker_fails_its_calls_and_is_replaced() -> None:
    pool = WorkerPool(1)
    try:
        pid = await pool.submit(_pid, None)
        pending = pool.submit(_sleep_then_pid, 5.0)
        await asyncio.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerDied):
            await asyncio.wait_for(pending, 10)
        assert await pool.submit(_pid, None) != pid  # a new worker took its place
    finally:
        pool.close()


class _TwoArgumentError(Exception):
    """Pickles, but does not unpickle (its constructor wants two arguments)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a}/{b}")


def _raise_unreadable(_: None) -> None:
    raise _TwoArgumentError("a", "b")


async def test_an_unreadable_answer_fails_its_own_call_only() -> None:
    # Answers name their call: one that cannot be unpickled must never shift the others
    # onto the wrong callers (a ballot's verdict given to another ballot).
    pool = WorkerPool(1)
    try:
        futures: list[asyncio.Future[Any]] = [pool.submit(_square, 3)]
        futures.append(pool.submit(_raise_unreadable, None))
        futures += [pool.submit(_square, i) for i in range(4, 8)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        assert outcomes[0] == 9
        assert isinstance(outcomes[1], RuntimeError) and "unreadable" in str(outcomes[1])
        assert outcomes[2:] == [16, 25, 36, 49]
    finally:
        pool.close()


async def test_a_closed_pool_refuses_calls() -> None:
    pool = WorkerPool(1)
    assert await pool.submit(_square, 2) == 4
    pool.close()
    with pytest.raises(WorkerDied):
        pool.submit(_square, 2)


def worker(load: int, pace: float) -> _Worker:
    """A worker (no process) with ``load`` pending and its ``pace``, for choosing among."""
    made = _Worker(None, None, None, pace=pace)  # type: ignore[arg-type]
    if load:
        made.pending[0] = (asyncio.get_running_loop().create_future(), load)
    return made


async def test_work_goes_where_it_will_be_done_first() -> None:
    slow, fast, new = worker(10, 0.002), worker(10, 0.001), worker(0, 0.0)
    assert first_to_finish([slow, fast], 12) is fast
    idle_but_slow = worker(0, 0.002)
    assert first_to_finish([idle_but_slow, worker(20, 0.001)], 12) is idle_but_slow
    assert first_to_finish([slow, fast, new], 1) is new  # untried: as fast as the fastest
    assert first_to_finish([worker(3, 0.0), worker(1, 0.0)], 1).load == 1  # by weight alone


async def test_one_slow_answer_neither_starves_a_worker_nor_swings_its_pace() -> None:
    fast, unlucky = worker(24, 0.0014), worker(0, 0.0014)
    workers_module._learn_pace(unlucky, 0.2)  # one answer 150× late (descheduled)
    assert unlucky.pace < 0.0014 * 2  # moved, not swung
    unlucky.pace = 1.0  # even a pace gone wild...
    assert first_to_finish([fast, unlucky], 12) is unlucky  # ...leaves an idle worker fed
    # Calls of no weight (warm-ups) spread over the workers, and leave their pace alone.
    a, b = worker(0, 0.0), worker(0, 0.0)
    a.pending[1] = (asyncio.get_running_loop().create_future(), 0)
    assert first_to_finish([a, b], 0) is b

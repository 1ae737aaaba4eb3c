"""Worker processes fed straight from the event loop, with no helper thread.

:class:`concurrent.futures.ProcessPoolExecutor` runs two helper threads in the calling process:
one pickles calls into a queue, the other reads and unpickles results. Both take the GIL from
the event loop. When every core is busy — a burst of casts, with the workers verifying proofs
on all of them — the operating system regularly deschedules a helper thread *while it holds
the GIL*, and the event loop stalls with it: measured here, the server's loop spent a third of
its time waiting for the pool's own threads.

:class:`WorkerPool` has no thread. The event loop writes each call, framed, to a worker's pipe
(non-blocking; what does not fit waits for ``add_writer``) and reads results when the pipe is
readable (``add_reader``). Every call carries an id that its answer repeats, so an answer is
only ever paired with its own call. A worker that dies fails its pending calls with
:class:`WorkerDied` and is replaced on the next call.

Workers come from a fork server, not a fork of the server process: a forked worker would keep
copies of every open descriptor (listening socket, client sockets, database connections) and
outlive the server holding them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Final, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_HEADER: Final = struct.Struct("!Q")
_READ_SIZE: Final = 1 << 20


class WorkerDied(RuntimeError):
    """The worker process running a call exited before answering it."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        data = os.read(fd, size - len(chunks))
        if not data:
            return None
        chunks += data
    return bytes(chunks)


def _serve(calls: Connection, results: Connection) -> None:
    """A worker's life: read a framed call, run it, write the framed answer, until EOF.

    A call is ``(call id, pickled (function, argument))``; an answer is ``(call id, ok,
    pickled value, seconds it ran)``. The payloads are pickled on their own, so that one that
    cannot be unpickled (an exception class with an unusual constructor, say) still names its
    call and fails only that call: an answer can never be paired with another call.
    """
    # Ctrl-C reaches the whole process group: the server stops its workers itself (by
    # closing their pipes), so a worker does not die mid-call of an interrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    calls_fd, results_fd = calls.fileno(), results.fileno()
    while True:
        header = _read_exactly(calls_fd, _HEADER.size)
        if header is None:
            return
        message = _read_exactly(calls_fd, _HEADER.unpack(header)[0])
        if message is None:
            return
        # Only the server process that started this worker writes to this pipe.
        call_id, pickled_call = pickle.loads(message)  # noqa: S301
        started = time.perf_counter()
        try:
            function, argument = pickle.loads(pickled_call)  # noqa: S301
            ok, value = True, function(argument)
        except Exception as exc:  # the caller gets it; the worker lives on
            ok, value = False, exc
        ran = time.perf_counter() - started
        try:
            pickled = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception
            ok, pickled = False, pickle.dumps(RuntimeError(f"unpicklable answer: {exc!r}"))
        payload = pickle.dumps((call_id, ok, pickled, ran), protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(results_fd, _HEADER.pack(len(payload)) + payload)


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    calls: Connection  # written by the event loop
    results: Connection  # read by the event loop
    #: Calls sent and not answered: their futures and weights, by call id.
    pending: dict[int, tuple[asyncio.Future[Any], int]] = field(default_factory=dict)
    #: Seconds per unit of weight lately (a moving average of its answers): a worker that
    #: shares its core with the server process runs slower than one that has its core alone.
    pace: float = 0.0
    outgoing: bytearray = field(default_factory=bytearray)
    incoming: bytearray = field(default_factory=bytearray)
    writing: bool = False
    alive: bool = True

    @property
    def load(self) -> int:
        """The weight of the calls pending (how much work the worker has queued)."""
        return sum(weight for _, weight in self.pending.values())


class WorkerPool:
    """``workers`` processes running picklable calls for one event loop."""

    def __init__(self, workers: int, *, preload: Sequence[str] = ()) -> None:
        self.size = max(1, workers)
        self._context = multiprocessing.get_context("forkserver")
        if preload:
            self._context.set_forkserver_preload(list(preload))
        self._workers: list[_Worker] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls = itertools.count(1)
        self.closed = False

    def submit(
        self, function: Callable[[T], R], argument: T, *, weight: int = 1
    ) -> asyncio.Future[R]:
        """Run ``function(argument)`` in a worker; the future has its result.

        ``weight`` is the call's share of work (e.g. the ballots in a chunk): a call goes to
        the worker expected to finish it first — its pending weight and this call's, at the
        pace its recent answers took — so that workers running at different speeds finish
        a burst together.

        Raises :class:`WorkerDied` once the pool is closed, and whatever pickling the call or
        starting a worker raises (nothing is then pending).
        """
        if self.closed:
            raise WorkerDied("the worker pool is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        self._workers = [w for w in self._workers if w.alive]
        while len(self._workers) < self.size:
            self._workers.append(self._spawn(loop))
        worker = first_to_finish(self._workers, weight)
        call_id = next(self._calls)
        call = pickle.dumps((function, argument), protocol=pickle.HIGHEST_PROTOCOL)
        message = pickle.dumps((call_id, call), protocol=pickle.HIGHEST_PROTOCOL)
        future: asyncio.Future[R] = loop.create_future()
        worker.pending[call_id] = (future, weight)
        worker.outgoing += _HEADER.pack(len(message)) + message
        self._flush(worker)
        return future

    def _spawn(self, loop: asyncio.AbstractEventLoop) -> _Worker:
        calls_in, calls_out = self._context.Pipe(duplex=False)
        results_in, results_out = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_serve, args=(calls_in, results_out), name="ballot-worker", daemon=True
        )
        try:
            process.start()
        except BaseException:
            for end in (calls_in, calls_out, results_in, results_out):
                end.close()
            raise
        calls_in.close()  # the worker's ends live in the worker
        results_out.close()
        worker = _Worker(process, calls_out, results_in)
        os.set_blocking(calls_out.fileno(), False)
        os.set_blocking(results_in.fileno(), False)
        loop.add_reader(results_in.fileno(), self._readable, worker)
        return worker

    def _flush(self, worker: _Worker) -> None:
        fd = worker.calls.fileno()
        while worker.outgoing:
            try:
                sent = os.write(fd, worker.outgoing)
            except BlockingIOError:
                break
            except OSError:  # the worker is gone; its reader sees EOF and fails the calls
                worker.outgoing.clear()
                break
            del worker.outgoing[:sent]
        assert self._loop is not None
        if worker.outgoing and not worker.writing:
            self._loop.add_writer(fd, self._flush, worker)
            worker.writing = True
        elif not worker.outgoing and worker.writing:
            self._loop.remove_writer(fd)
            worker.writing = False

    def _readable(self, worker: _Worker) -> None:
        try:
            data = os.read(worker.results.fileno(), _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._died(worker)
            return
        buffer = worker.incoming
        buffer += data
        while len(buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer)
            if len(buffer) < _HEADER.size + size:
                break
            message = bytes(buffer[_HEADER.size : _HEADER.size + size])
            del buffer[: _HEADER.size + size]
            # Our own worker's answer: the frame is (int, bool, bytes, float), always readable.
            call_id, ok, pickled, ran = pickle.loads(message)  # noqa: S301
            future, weight = worker.pending.pop(call_id)
            if weight > 0:  # a call of no weight (a warm-up) says nothing of the pace
                _learn_pace(worker, ran / weight)
            if future.done():  # the caller went away
                continue
            try:
                value = pickle.loads(pickled)  # noqa: S301
            except Exception as exc:
                future.set_exception(RuntimeError(f"the worker's answer is unreadable: {exc!r}"))
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _died(self, worker: _Worker) -> None:
        self._release(worker)
        code = worker.process.exitcode
        _fail_all(worker, WorkerDied(f"worker process exited (code {code})"))

    def _release(self, worker: _Worker) -> None:
        if not worker.alive:
            return
        worker.alive = False
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(worker.results.fileno())
            if worker.writing:
                self._loop.remove_writer(worker.calls.fileno())
        worker.calls.close()  # EOF: the worker returns from its loop
        worker.results.close()

    def close(self, timeout: float = 2.0) -> None:
        """Stop every worker; pending calls fail, later :meth:`submit` calls raise.

        Closing the pipes ends each worker's loop; one still busy after ``timeout`` seconds
        is killed. (Called at shutdown, when blocking the event loop that briefly is fine.)
        """
        self.closed = True
        workers, self._workers = self._workers, []
        for worker in workers:
            self._release(worker)
            _fail_all(worker, WorkerDied("the worker pool was closed"))
        for worker in workers:
            worker.process.join(timeout)
            if worker.process.is_alive():
                with contextlib.suppress(Exception):
                    worker.process.kill()
                worker.process.join(timeout)


#: A worker is taken to be at most this many times slower than the fastest: its pace only
#: changes when it answers, and one answer delayed by a pause must not starve it of work.
MAX_PACE_RATIO = 2.0


def _learn_pace(worker: _Worker, pace: float) -> None:
    # A moving average, each answer bounded to 4× the current pace either way (one outlier
    # moves it a little).
    if not worker.pace:
        worker.pace = pace
        return
    bounded = min(max(pace, worker.pace / 4), worker.pace * 4)
    worker.pace = 0.8 * worker.pace + 0.2 * bounded


def first_to_finish(workers: Sequence[_Worker], weight: int) -> _Worker:
    """The worker expected to finish a call of ``weight`` first: its pending weight and the
    call's, at its recent pace — one that has not answered yet as fast as the fastest, none
    slower than :data:`MAX_PACE_RATIO` times the fastest."""
    fastest = min((w.pace for w in workers if w.pace), default=1.0)
    slowest = fastest * MAX_PACE_RATIO
    return min(
        workers,
        # Ties (calls of no weight, workers with nothing pending) to the one with fewer calls.
        key=lambda w: ((w.load + weight) * min(w.pace or fastest, slowest), len(w.pending)),
    )


def _fail_all(worker: _Worker, error: Exception) -> None:
    pending, worker.pending = worker.pending, {}
    for future, _ in pending.values():
        if not future.done():
            future.set_exception(error)

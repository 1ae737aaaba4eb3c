"""Group commit of the PostgreSQL store: one writer task per log drains its queue of appends.

Every append to a log takes the row lock of that log's ``log_heads`` row first (or, the
optimistic way, checks under it that the head is the one it was decided on). Positions and
the previous hash are read under that lock and written back before commit, so a log's
positions are gap-free and in commit order, across any number of server processes, and
appends to different logs never wait for each other.

Inside one process, appends to one log go through a queue drained by a single writer task:
all requests waiting when a transaction starts are decided together by
:func:`events.batch.plan` (each in arrival order, exactly as if it ran alone, so every
caller's expected-version check still holds) and written by one statement in one
transaction — one fsync for the whole group. Every caller's future resolves only after the
commit, so an append is durable before it returns. If the group's transaction fails for a
reason no single request explains, its requests are retried one by one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeAlias

import asyncpg

from events.batch import AppendRequest, Plan, plan
from events.canonical import format_timestamp
from events.errors import StoreError
from events.model import AppendResult, LogHead
from events.postgres import sql
from events.postgres.notify import Notifier
from events.store import MAX_APPEND_EVENTS, AppendObserver

log = logging.getLogger(__name__)

#: Upper bounds of one group-commit transaction (a group holds at least one whole append).
MAX_GROUP_REQUESTS = 512
MAX_GROUP_EVENTS = MAX_APPEND_EVENTS
#: Group transactions of one log in flight at once in one process (see ``_LogWriter``).
PIPELINE_DEPTH = 2
#: Stream versions remembered per log for optimistic appends; past this many the memory is
#: dropped (a forgotten stream is assumed new, which the database's unique index checks).
MAX_KNOWN_STREAMS = 100_000


@dataclass(slots=True)
class _Pending:
    request: AppendRequest
    future: asyncio.Future[AppendResult]


@dataclass(slots=True)
class _Known:
    """What this process knows of a log since its own last append: the head it left, and the
    versions of the streams it read or wrote. Valid exactly as long as nobody else appended,
    which the optimistic write checks in the database."""

    head: LogHead
    versions: dict[str, int]

    def learn(self, head: LogHead, versions: Mapping[str, int]) -> None:
        self.head = head
        if len(self.versions) + len(versions) > MAX_KNOWN_STREAMS:
            self.versions.clear()
        self.versions.update(versions)


#: Called once a group's records are decided: (head before, stream versions before, plan).
OnPlanned: TypeAlias = Callable[[LogHead, Mapping[str, int], Plan], None]


@dataclass(slots=True)
class _LogWriter:
    """The group-commit queue of one log in this process.

    A group is written in one of two ways:

    * **optimistic** (the steady state of a process that appends alone): decided in Python
      against :class:`_Known` — the head this process left and the stream versions it knows,
      a stream it never saw and now writes assumed new — and written by one self-committing
      statement that checks the head under its row lock (a stream wrongly assumed new is
      refused by the unique stream-version index). One round trip, and the lock is held
      only while PostgreSQL inserts and syncs.
    * **locked** (the first group, after another process appended, or when the optimistic
      decision refuses a request — a retry, a wrong version): ``BEGIN``, take the head row
      lock and read the versions, decide, write, ``COMMIT``.

    An optimistic write that reports failure goes the locked way. Usually it changed nothing;
    if the connection broke after its commit, the locked way finds its event ids stored and
    answers as for any retried append (the original positions).

    Up to :data:`PIPELINE_DEPTH` groups are in flight: the next group is decided as soon as
    the previous one is (on top of its predicted head), so Python prepares one group while
    PostgreSQL writes and syncs the other. Groups normally commit in the order they were
    taken; when one falls back to the locked way, a later group may commit first — each
    append still gets exactly the outcome the log's state at its commit gives it. (A group
    that reaches PostgreSQL before its optimistic predecessor does waits for it and is sent
    once more, rather than falling back: see :meth:`_write_optimistic`.)
    """

    appender: Appender
    log_id: str
    queue: deque[_Pending] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    in_flight: set[asyncio.Task[None]] = field(default_factory=set)
    known: _Known | None = None
    #: The latest optimistic group still in the pipeline: the head it leaves, and whether
    #: it was written (resolved when its write returns). See :meth:`_write_optimistic`.
    previous: tuple[LogHead, asyncio.Future[bool]] | None = None

    def submit(self, request: AppendRequest) -> asyncio.Future[AppendResult]:
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self.queue.append(_Pending(request, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain(), name=f"group-commit:{self.log_id}")
        return future

    def _take_group(self) -> list[_Pending]:
        group: list[_Pending] = []
        events = 0
        while self.queue and len(group) < MAX_GROUP_REQUESTS:
            size = len(self.queue[0].request.events)
            if group and events + size > MAX_GROUP_EVENTS:
                break
            group.append(self.queue.popleft())
            events += size
        return group

    async def _drain(self) -> None:
        while self.queue or self.in_flight:
            if not self.queue or len(self.in_flight) >= PIPELINE_DEPTH:
                await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
                continue
            planned = asyncio.Event()
            task = asyncio.create_task(self._run_group(self._take_group(), planned))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
            # Take the next group only once this one is decided: it is decided on top of
            # this one's outcome, and commits after it.
            planned_wait = asyncio.create_task(planned.wait())
            await asyncio.wait({task, planned_wait}, return_when=asyncio.FIRST_COMPLETED)
            planned_wait.cancel()

    def _plan_optimistic(self, requests: Sequence[AppendRequest]) -> tuple[Plan, LogHead] | None:
        """Decide against what this process knows; ``None`` if that cannot settle it."""
        known = self.known
        if known is None:
            return None
        if any(stream not in known.versions for r in requests for stream, _ in r.require):
            # A stream only read (``require``) but never seen here cannot be assumed new:
            # nothing written would collide if it exists. Read it, under the lock, once.
            return None
        stream_ids = set().union(*(r.stream_ids() for r in requests))
        versions = {s: known.versions.get(s, 0) for s in stream_ids}
        decided = plan(requests, known.head, versions, {}, format_timestamp(datetime.now(UTC)))
        if not decided.records or any(isinstance(o, StoreError) for o in decided.outcomes):
            return None  # a refusal may be a retry of a stored append: look ids up, locked
        before = known.head
        assert decided.head is not None
        known.learn(decided.head, decided.versions)
        return decided, before

    def _planned_locked(self, before: LogHead, versions: Mapping[str, int], decided: Plan) -> None:
        known = self.known
        if known is None or known.head != before:
            # Someone else appended since this process last did: forget all it knew.
            known = self.known = _Known(before, {})
        known.learn(before, versions)
        known.learn(decided.head or before, decided.versions)

    async def _run_group(self, group: list[_Pending], planned: asyncio.Event) -> None:
        started = time.perf_counter()  # what the append observers are told: from here on
        requests = [p.request for p in group]
        try:
            optimistic = self._plan_optimistic(requests)
        except Exception:
            self.known = None
            optimistic = None
        if optimistic is not None:
            decided, before = optimistic
            assert decided.head is not None
            # Our predecessor, if this group was decided on top of the head it leaves and its
            # write has not returned yet (this one may then overtake it).
            predecessor = None
            if self.previous is not None:
                its_head, its_write = self.previous
                if its_head == before and not its_write.done():
                    predecessor = its_write
            this_written: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self.previous = (decided.head, this_written)
            planned.set()
            written = False
            try:
                written = await self._write_optimistic(decided, before, predecessor)
            finally:
                this_written.set_result(written)
            self.appender.group_counts["optimistic" if written else "stale"] += 1
            if written:
                self.appender.appended(started, len(decided.records))
                for pending, outcome in zip(group, decided.outcomes, strict=True):
                    _resolve(pending, outcome)
                return
            # Not written (or its answer lost: the locked way sorts that out). Later groups
            # decided on top of this one fail the same way.
            self.known = None
        self.previous = None  # the groups after this one follow the locked way's head
        self.appender.group_counts["locked"] += 1
        try:
            outcomes = await self.appender.commit_group(
                self.log_id, requests, on_planned=self._on_planned(planned), started=started
            )
        except Exception as exc:
            self.known = None
            self.appender.notifier.doubt(self.log_id)
            planned.set()
            if len(group) == 1:
                _resolve(group[0], exc)
                return
            # One request may have poisoned the group (e.g. an event id stored under
            # another log by another process): give each its own transaction.
            log.warning("group commit of %d appends failed (%s); retrying singly", len(group), exc)
            for pending in group:
                try:
                    (outcome,) = await self.appender.commit_group(self.log_id, [pending.request])
                except Exception as single_exc:
                    _resolve(pending, single_exc)
                else:
                    _resolve(pending, outcome)
            return
        for pending, outcome in zip(group, outcomes, strict=True):
            _resolve(pending, outcome)

    async def _write_optimistic(
        self, decided: Plan, before: LogHead, predecessor: asyncio.Future[bool] | None
    ) -> bool:
        """Write an optimistically decided group; ``False`` if it was not written.

        ``predecessor`` is the unfinished write of our own group whose head this one was
        decided on. It went out on another connection and may reach PostgreSQL after this
        one, which then finds the head short of ``before``: once it is written, the head is exactly
        ``before`` unless somebody else appended — which a second attempt checks just the
        same. (Falling back instead would make this process forget every stream version it
        knows, and send every later append the locked way.)
        """
        try:
            if await self.appender.write_if_head(decided, before):
                return True
            if predecessor is None or not await asyncio.shield(predecessor):
                return False
            return await self.appender.write_if_head(decided, before)
        except Exception as exc:  # e.g. a unique index: a retry of a stored append
            log.debug("optimistic append to %s not written (%s)", self.log_id, exc)
            self.appender.notifier.doubt(self.log_id)  # or a lost answer to a commit
            return False

    def _on_planned(self, planned: asyncio.Event) -> OnPlanned:
        def on_planned(before: LogHead, versions: Mapping[str, int], decided: Plan) -> None:
            self._planned_locked(before, versions, decided)
            planned.set()

        return on_planned


def _resolve(pending: _Pending, outcome: AppendResult | BaseException) -> None:
    if pending.future.done():  # the caller went away; its append stands (or not) regardless
        return
    if isinstance(outcome, BaseException):
        pending.future.set_exception(outcome)
    else:
        pending.future.set_result(outcome)


class Appender:
    """The appending side of one store: a group-commit queue (:class:`_LogWriter`) per log,
    and the two ways they write a group (:meth:`write_if_head`, :meth:`commit_group`)."""

    def __init__(
        self, pool: asyncpg.Pool, notifier: Notifier, on_appended: AppendObserver | None = None
    ) -> None:
        self.pool = pool
        self.notifier = notifier
        #: Told of each committed group that wrote events: (seconds, events).
        self.on_appended = on_appended
        #: How groups were written: ``optimistic`` (one round trip), ``locked`` (the head row
        #: lock taken first), ``stale`` (optimistic attempts that found the log moved on).
        self.group_counts: Counter[str] = Counter()
        self._writers: dict[str, _LogWriter] = {}

    def appended(self, started: float, events: int) -> None:
        """A group that wrote ``events`` events, taken up at ``started`` (``perf_counter``),
        has committed."""
        if self.on_appended is not None:
            self.on_appended(time.perf_counter() - started, events)

    def submit(self, request: AppendRequest) -> asyncio.Future[AppendResult]:
        """Queue a validated append on its log's writer; the future resolves after commit."""
        writer = self._writers.get(request.log_id)
        if writer is None:
            writer = self._writers[request.log_id] = _LogWriter(self, request.log_id)
        return writer.submit(request)

    async def write_if_head(self, decided: Plan, before: LogHead) -> bool:
        """The optimistic write of a group decided without the lock (see ``_LogWriter``):
        ``True`` if it committed, ``False`` if the log had moved on (nothing written)."""
        assert decided.head is not None
        async with self.pool.acquire() as conn:
            written = await sql.write(conn, decided.records, before, decided.head, self.notifier)
        if written:  # self-committing: committed
            self.notifier.committed(before.log_id, decided.records)
        return written

    async def commit_group(
        self,
        log_id: str,
        requests: Sequence[AppendRequest],
        *,
        lookup: bool = False,
        on_planned: OnPlanned | None = None,
        started: float | None = None,
    ) -> list[AppendResult | StoreError]:
        """Decide and write one group in one transaction.

        Optimistic about idempotency: it first decides as if no event id were stored yet,
        and only looks the ids up when that decision refuses a request (a retry usually
        fails its expected version) or when the unique index objects to the insert.
        ``started``: when the group was taken up (default: now), for :meth:`appended`.
        """
        if started is None:
            started = time.perf_counter()
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                stream_ids = sorted(set().union(*(r.stream_ids() for r in requests)))
                head, versions = await sql.lock(conn, log_id, stream_ids)
                # Timestamp taken under the lock, so recorded_at never decreases along a log.
                now = format_timestamp(datetime.now(UTC))
                decided = plan(requests, head, versions, {}, now)
                if lookup or any(isinstance(o, StoreError) for o in decided.outcomes):
                    # A refusal may really be a retry of an append already stored: decide
                    # again knowing the stored events that carry these ids.
                    ids = [e.event_id for r in requests for e in r.events]
                    rows = await conn.fetch(
                        f"{sql.SELECT} WHERE event_id = ANY($1::text[]::uuid[])", ids
                    )
                    existing = {record.event_id: record for record in map(sql.to_record, rows)}
                    decided = plan(requests, head, versions, existing, now)
                if on_planned is not None:
                    # Streams read and found absent are at version 0: known, not assumed.
                    on_planned(head, {s: versions.get(s, 0) for s in stream_ids}, decided)
                if decided.records:
                    assert decided.head is not None
                    await sql.write(
                        conn, decided.records, head, decided.head, self.notifier, locked=True
                    )
        except asyncpg.UniqueViolationError:
            if lookup:
                raise
            return await self.commit_group(
                log_id, requests, lookup=True, on_planned=on_planned, started=started
            )
        self.notifier.committed(log_id, decided.records)
        if decided.records:
            self.appended(started, len(decided.records))
        return decided.outcomes

    async def close(self) -> None:
        """Wait for every queued append to be decided and written."""
        for writer in list(self._writers.values()):
            if writer.task is not None and not writer.task.done():
                await writer.task

"""The PostgreSQL event store (asyncpg), with group commit and LISTEN/NOTIFY subscriptions.

Concurrency design
------------------
* Every append to a log takes the row lock of that log's ``log_heads`` row first. Positions
  and the previous hash are read under that lock and written back before commit, so a log's
  positions are gap-free and in commit order, across any number of server processes, and
  appends to different logs never wait for each other.
* **Group commit.** Inside one process, appends to one log go through a queue drained by a
  single writer task: all requests waiting when a transaction starts are decided together by
  :func:`events.batch.plan` (each in arrival order, exactly as if it ran alone, so every
  caller's expected-version check still holds) and written by one ``COPY`` in one
  transaction — one fsync for the whole group. Every caller's future resolves only after the
  commit, so an append is durable before it returns. If the group's transaction fails for a
  reason no single request explains, its requests are retried one by one.
* **Subscriptions.** A commit sends ``NOTIFY`` with the log and its new head; a subscriber only
  uses it as a wake-up and then reads ``position > last seen`` from the table, so it can
  never skip an event nor see one twice, even with notifications lost (a slow poll covers that).
  While a process subscribes to a log, the records it commits to it are kept for a while
  (:class:`_OwnRecords`): its subscribers take the next positions from there when they are
  all there (up to the highest head another process announced), instead of reading back
  what was just written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from events.batch import AppendRequest, Plan, plan
from events.canonical import GENESIS_HASH, format_timestamp, parse_timestamp
from events.chain import ChainVerifier
from events.errors import ImportRefused, StoreError
from events.migrate import migrate
from events.model import (
    AppendResult,
    Expect,
    ExpectedVersion,
    LogHead,
    NewEvent,
    RecordedEvent,
    validate_log_id,
    validate_stream_id,
)
from events.store import EventStore

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    #: A connection, pooled or not.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:  # asyncpg's classes are not generic at run time
    Connection = asyncpg.Connection | PoolConnectionProxy

#: Upper bounds of one group-commit transaction.
MAX_GROUP_REQUESTS = 512
MAX_GROUP_EVENTS = 5000
#: Group transactions of one log in flight at once in one process (see ``_LogWriter``).
PIPELINE_DEPTH = 2
#: Subscribers re-read at least this often even if no notification arrives.
POLL_INTERVAL_S = 1.0

#: Columns in the order of :class:`RecordedEvent`'s fields, with the timestamp already in its
#: canonical text form (formatting it server-side keeps replay fast).
_SELECT = (
    "SELECT log_id, position, stream_id, stream_version, event_id::text, event_type,"
    " schema_version, payload, metadata,"
    " to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " prev_hash, hash FROM events"
)

#: Positions are gap-free, so a batch is an exact position range: the plan stays an index
#: range scan whatever the planner's statistics say (a bare "LIMIT n" once chose a full sort).
_RANGE = f"{_SELECT} WHERE log_id = $1 AND position > $2 AND position <= $3 ORDER BY position"

#: Every write of a group of events: one statement. It moves the log's head from ``before``
#: ($19, $20) to the group's last event ($15, $16) — and writes anything at all only if the
#: head is still exactly ``before``, returning no row otherwise. The inserts read ``moved``,
#: so they run after the head row's lock is taken, and only if it moved.
#:
#: Under the lock (``lock_log`` first, the locked way) the condition always holds. Without it
#: (the optimistic way, self-committing) it is the whole check: in READ COMMITTED the UPDATE
#: waits for a concurrent appender's row lock, then re-checks against the row as that
#: appender committed it, so a plan made on a stale head can never be written. A stream
#: assumed new that exists already is refused by the unique index on ``(log_id, stream_id,
#: stream_version)``: its version 1 is taken, and the whole statement rolls back.
_WRITE = """
WITH moved AS (
    UPDATE log_heads SET position = $15, head_hash = $16
     WHERE log_id = $1 AND position = $19 AND head_hash = $20
    RETURNING log_id
), appended AS (
    INSERT INTO events (log_id, position, stream_id, stream_version, event_id, event_type,
                        schema_version, payload, metadata, recorded_at, prev_hash, hash)
    SELECT $1, u.* FROM moved,
           unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[]::uuid[],
                  $6::text[], $7::integer[], $8::json[], $9::json[],
                  $10::timestamptz[], $11::bytea[], $12::bytea[]) AS u
), versions AS (
    INSERT INTO streams (log_id, stream_id, version)
    SELECT $1, t.s, t.v FROM moved, unnest($13::text[], $14::bigint[]) AS t(s, v)
    ON CONFLICT (log_id, stream_id) DO UPDATE SET version = EXCLUDED.version
)
SELECT pg_notify($17, $18) FROM moved
"""

#: Stream versions remembered per log for optimistic appends; past this many the memory is
#: dropped (a forgotten stream is assumed new, which the database's unique index checks).
MAX_KNOWN_STREAMS = 100_000
#: Records of its own appends a process keeps per log for its subscribers (the oldest go).
OWN_RECORDS = 1024


async def _keep_session(_conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """Release a pooled connection without asyncpg's reset query (one round trip saved per
    use). The store never changes session state on a pooled connection — no SET, no LISTEN,
    no session advisory lock — and asyncpg still rolls back an open transaction first."""


def _to_record(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent._make(row)


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


class _OwnRecords:
    """For the subscribers of one log in this process: the latest records this process
    committed to it, the highest head position known committed (its own commits, and other
    processes' notifications), and whether the table must be read whatever they say."""

    def __init__(self) -> None:
        # Ordered by when added: the oldest leaves in O(1) (a plain dict's first key is found
        # by skipping every slot deleted before it).
        self._by_position: OrderedDict[int, RecordedEvent] = OrderedDict()
        self.head = 0
        #: Set when an append of ours may have committed without our knowing its records.
        self.recheck = False

    def add(self, records: Sequence[RecordedEvent]) -> None:
        """Keep records just committed (groups may commit out of order: kept by position)."""
        kept = self._by_position
        for record in records:
            kept[record.position] = record
            self.head = max(self.head, record.position)
        while len(kept) > OWN_RECORDS:
            kept.popitem(last=False)

    def after(self, position: int) -> list[RecordedEvent]:
        """The records at ``position + 1``, ``+ 2``, … for as long as they are all kept."""
        run: list[RecordedEvent] = []
        kept = self._by_position
        while (record := kept.get(position + 1)) is not None:
            run.append(record)
            position += 1
        return run

    def drop_through(self, position: int) -> None:
        """Forget the records up to ``position`` (every subscriber has them)."""
        kept = self._by_position
        while kept and next(iter(kept)) <= position:
            kept.popitem(last=False)


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

    store: PostgresEventStore
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
            self.store.group_counts["optimistic" if written else "stale"] += 1
            if written:
                for pending, outcome in zip(group, decided.outcomes, strict=True):
                    _resolve(pending, outcome)
                return
            # Not written (or its answer lost: the locked way sorts that out). Later groups
            # decided on top of this one fail the same way.
            self.known = None
        self.previous = None  # the groups after this one follow the locked way's head
        self.store.group_counts["locked"] += 1
        try:
            outcomes = await self.store._commit_group(
                self.log_id, requests, on_planned=self._on_planned(planned)
            )
        except Exception as exc:
            self.known = None
            self.store._notifier.doubt(self.log_id)
            planned.set()
            if len(group) == 1:
                _resolve(group[0], exc)
                return
            # One request may have poisoned the group (e.g. an event id stored under
            # another log by another process): give each its own transaction.
            log.warning("group commit of %d appends failed (%s); retrying singly", len(group), exc)
            for pending in group:
                try:
                    (outcome,) = await self.store._commit_group(self.log_id, [pending.request])
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
            if await self.store._write_if_head(decided, before):
                return True
            if predecessor is None or not await asyncio.shield(predecessor):
                return False
            return await self.store._write_if_head(decided, before)
        except Exception as exc:  # e.g. a unique index: a retry of a stored append
            log.debug("optimistic append to %s not written (%s)", self.log_id, exc)
            self.store._notifier.doubt(self.log_id)  # or a lost answer to a commit
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


class _Notifier:
    """One LISTEN connection per store; wakes subscribers of a log when it moves."""

    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._own: dict[str, _OwnRecords] = {}  # for the logs with subscribers here
        self._lock = asyncio.Lock()
        #: Sent with every commit's notification, so that ours are told from others'.
        self.writer = secrets.token_hex(8)

    async def ensure_listening(self) -> None:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            self._conn = await self._store._connect()
            await self._conn.add_listener(self._store.channel, self._on_notify)

    def _on_notify(self, _conn: Connection, _pid: int, _channel: str, payload: object) -> None:
        log_id, position, writer = [*str(payload).split("\n"), "", ""][:3]
        own = self._own.get(log_id)
        if own is not None and writer != self.writer and position.isdigit():
            # Another process moved the head: what is beyond ours is in the table. (Our own
            # commits raise it with their records, in committed(): the notification often
            # arrives before the write's reply, and must not send a subscriber to the table
            # for records about to be handed to it.)
            own.head = max(own.head, int(position))
        self._wake(log_id)

    def _wake(self, log_id: str) -> None:
        for waiter in self._waiters.get(log_id, ()):
            waiter.set()

    def committed(self, log_id: str, records: Sequence[RecordedEvent]) -> None:
        """Records this process just committed: kept for its subscribers of the log."""
        own = self._own.get(log_id)
        if own is not None and records:
            own.add(records)
            self._wake(log_id)

    def doubt(self, log_id: str) -> None:
        """An append of ours failed in a way that may hide a commit: subscribers look in the
        table once (they would anyway within :data:`POLL_INTERVAL_S`)."""
        own = self._own.get(log_id)
        if own is not None:
            own.recheck = True
            self._wake(log_id)

    def register(self, log_id: str) -> tuple[asyncio.Event, _OwnRecords]:
        """A new subscriber's wake-up event, and the log's own records (shared)."""
        waiter = asyncio.Event()
        self._waiters.setdefault(log_id, set()).add(waiter)
        return waiter, self._own.setdefault(log_id, _OwnRecords())

    def sole_subscriber(self, log_id: str) -> bool:
        """Whether exactly one subscriber of ``log_id`` is in this process."""
        return len(self._waiters.get(log_id, ())) == 1

    def unregister(self, log_id: str, waiter: asyncio.Event) -> None:
        waiters = self._waiters.get(log_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiters[log_id]
                self._own.pop(log_id, None)

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None


class PostgresEventStore(EventStore):
    """The production store. Create with :meth:`open`; the schema is migrated on open."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, schema: str) -> None:
        self._pool = pool
        self._dsn = dsn
        self.schema = schema
        self.channel = f"ballot_events_{schema}"
        self._writers: dict[str, _LogWriter] = {}
        self._notifier = _Notifier(self)
        #: How groups were written: ``optimistic`` (one round trip), ``locked`` (the head row
        #: lock taken first), ``stale`` (optimistic attempts that found the log moved on).
        self.group_counts: Counter[str] = Counter()

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        schema: str = "ballot",
        min_connections: int = 2,
        max_connections: int = 10,
        run_migrations: bool = True,
        application_name: str = "ballot",
    ) -> PostgresEventStore:
        """Connect to ``dsn``, migrate ``schema`` to the latest version, return the store."""
        if run_migrations:
            conn = await asyncpg.connect(dsn)
            try:
                await migrate(conn, schema)
            finally:
                await conn.close()
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_connections,
            max_size=max_connections,
            reset=_keep_session,
            server_settings={"search_path": schema, "application_name": application_name},
        )
        return cls(pool, dsn, schema)

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (projections write their rows through it)."""
        return self._pool

    async def _connect(self) -> asyncpg.Connection[asyncpg.Record]:
        return await asyncpg.connect(
            self._dsn, server_settings={"search_path": self.schema, "application_name": "ballot"}
        )

    # -- appending -----------------------------------------------------------------------
    async def append(
        self,
        log_id: str,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: ExpectedVersion = Expect.ANY,
        *,
        require: Mapping[str, ExpectedVersion] | None = None,
        expected_position: int | None = None,
    ) -> AppendResult:
        if not events:
            raise ValueError("an append needs at least one event")
        if len(events) > MAX_GROUP_EVENTS:
            raise ValueError(f"an append holds at most {MAX_GROUP_EVENTS} events")
        request = AppendRequest(
            log_id=validate_log_id(log_id),
            stream_id=validate_stream_id(stream_id),
            events=tuple(events),
            expected=expected_version,
            require=tuple((require or {}).items()),
            expected_position=expected_position,
        )
        writer = self._writers.get(log_id)
        if writer is None:
            writer = self._writers[log_id] = _LogWriter(self, log_id)
        return await writer.submit(request)

    async def _lock(
        self, conn: Connection, log_id: str, stream_ids: Sequence[str]
    ) -> tuple[LogHead, dict[str, int]]:
        """Take the log's head row lock and read the streams' versions (one round trip)."""
        row = await conn.fetchrow("SELECT * FROM lock_log($1, $2)", log_id, list(stream_ids))
        assert row is not None
        head = LogHead(log_id, row[0], bytes(row[1]))
        return head, dict(zip(row[2], row[3], strict=True))

    async def _write(
        self,
        conn: Connection,
        records: Sequence[RecordedEvent],
        before: LogHead,
        after: LogHead,
    ) -> bool:
        """Insert the records, move stream versions and the head from ``before`` to ``after``,
        and notify: one statement (:data:`_WRITE`). ``False`` if the head was not ``before``
        (nothing written)."""
        rows = await conn.fetch(
            _WRITE, *self._write_arguments(records, after), before.position, before.hash
        )
        return bool(rows)

    async def _write_locked(
        self,
        conn: Connection,
        records: Sequence[RecordedEvent],
        before: LogHead,
        after: LogHead,
    ) -> None:
        """:meth:`_write` under the head row lock, where the head cannot have moved."""
        if not await self._write(conn, records, before, after):
            raise StoreError(f"the head of log {before.log_id!r} moved under its lock")

    async def _write_if_head(self, decided: Plan, before: LogHead) -> bool:
        """The optimistic write of a group decided without the lock (see ``_LogWriter``):
        ``True`` if it committed, ``False`` if the log had moved on (nothing written)."""
        assert decided.head is not None
        async with self._pool.acquire() as conn:
            written = await self._write(conn, decided.records, before, decided.head)
        if written:  # self-committing: committed
            self._notifier.committed(before.log_id, decided.records)
        return written

    def _write_arguments(
        self, records: Sequence[RecordedEvent], head: LogHead
    ) -> tuple[object, ...]:
        versions: dict[str, int] = {}
        moments: dict[str, datetime] = {}
        for record in records:
            versions[record.stream_id] = record.stream_version
            if record.recorded_at not in moments:
                moments[record.recorded_at] = parse_timestamp(record.recorded_at)
        return (
            head.log_id,
            [r.position for r in records],
            [r.stream_id for r in records],
            [r.stream_version for r in records],
            [r.event_id for r in records],
            [r.event_type for r in records],
            [r.schema_version for r in records],
            [r.payload_json for r in records],
            [r.metadata_json for r in records],
            [moments[r.recorded_at] for r in records],
            [r.prev_hash for r in records],
            [r.hash for r in records],
            list(versions.keys()),
            list(versions.values()),
            head.position,
            head.hash,
            self.channel,
            # Delivered at commit only; subscribers treat it as a hint and read the table.
            f"{head.log_id}\n{head.position}\n{self._notifier.writer}",
        )

    async def _commit_group(
        self,
        log_id: str,
        requests: Sequence[AppendRequest],
        *,
        lookup: bool = False,
        on_planned: OnPlanned | None = None,
    ) -> list[AppendResult | StoreError]:
        """Decide and write one group in one transaction.

        Optimistic about idempotency: it first decides as if no event id were stored yet,
        and only looks the ids up when that decision refuses a request (a retry usually
        fails its expected version) or when the unique index objects to the insert.
        """
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                stream_ids = sorted(set().union(*(r.stream_ids() for r in requests)))
                head, versions = await self._lock(conn, log_id, stream_ids)
                # Timestamp taken under the lock, so recorded_at never decreases along a log.
                now = format_timestamp(datetime.now(UTC))
                decided = plan(requests, head, versions, {}, now)
                if lookup or any(isinstance(o, StoreError) for o in decided.outcomes):
                    # A refusal may really be a retry of an append already stored: decide
                    # again knowing the stored events that carry these ids.
                    ids = [e.event_id for r in requests for e in r.events]
                    rows = await conn.fetch(
                        f"{_SELECT} WHERE event_id = ANY($1::text[]::uuid[])", ids
                    )
                    existing = {record.event_id: record for record in map(_to_record, rows)}
                    decided = plan(requests, head, versions, existing, now)
                if on_planned is not None:
                    # Streams read and found absent are at version 0: known, not assumed.
                    on_planned(head, {s: versions.get(s, 0) for s in stream_ids}, decided)
                if decided.records:
                    assert decided.head is not None
                    await self._write_locked(conn, decided.records, head, decided.head)
        except asyncpg.UniqueViolationError:
            if lookup:
                raise
            return await self._commit_group(log_id, requests, lookup=True, on_planned=on_planned)
        self._notifier.committed(log_id, decided.records)
        return decided.outcomes

    # -- reading -------------------------------------------------------------------------
    async def read_stream(
        self, log_id: str, stream_id: str, from_version: int = 1
    ) -> list[RecordedEvent]:
        rows = await self._pool.fetch(
            f"{_SELECT} WHERE log_id = $1 AND stream_id = $2 AND stream_version >= $3"
            " ORDER BY stream_version",
            log_id,
            stream_id,
            from_version,
        )
        return [_to_record(row) for row in rows]

    async def read_log(
        self, log_id: str, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        async def fetch(position: int) -> list[asyncpg.Record]:
            return await self._pool.fetch(_RANGE, log_id, position, position + batch_size)

        # Keyset pagination with one batch prefetched: the server reads batch n+1 while the
        # caller consumes batch n, so a replay uses both the database and the Python side.
        pending: asyncio.Task[list[asyncpg.Record]] | None = asyncio.create_task(fetch(after))
        try:
            while pending is not None:
                rows = await pending
                pending = None
                if len(rows) == batch_size:
                    pending = asyncio.create_task(fetch(rows[-1][1]))
                for row in rows:
                    yield RecordedEvent._make(row)
        finally:
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending

    async def head(self, log_id: str) -> LogHead:
        row = await self._pool.fetchrow(
            "SELECT position, head_hash FROM log_heads WHERE log_id = $1", log_id
        )
        if row is None:
            return LogHead(log_id, 0, GENESIS_HASH)
        return LogHead(log_id, row[0], bytes(row[1]))

    async def stream_version(self, log_id: str, stream_id: str) -> int:
        value = await self._pool.fetchval(
            "SELECT version FROM streams WHERE log_id = $1 AND stream_id = $2", log_id, stream_id
        )
        return int(value or 0)

    async def logs(self) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT log_id FROM log_heads WHERE position > 0 ORDER BY log_id"
        )
        return [row[0] for row in rows]

    async def subscribe(self, log_id: str, after: int = 0) -> AsyncIterator[RecordedEvent]:
        await self._notifier.ensure_listening()
        waiter, own = self._notifier.register(log_id)
        position = after
        look = True  # in the table: at first, and whenever no notification came for a while
        try:
            while True:
                # Clear before reading: a commit that lands during the read sets it again,
                # so no wake-up is lost between the read and the wait.
                waiter.clear()
                # This process's own latest commits, as long as they are the next positions;
                # the table only if something else is (or may be) there.
                for record in own.after(position):
                    yield record
                    position = record.position
                if look or own.recheck or own.head > position:
                    own.recheck = False
                    async for record in self.read_log(log_id, position):
                        yield record
                        position = record.position
                if self._notifier.sole_subscriber(log_id):
                    own.drop_through(position)  # handed over: kept for nobody else
                try:
                    await asyncio.wait_for(waiter.wait(), POLL_INTERVAL_S)
                    look = False
                except TimeoutError:
                    look = True  # a notification may have been lost: read the table
                await self._notifier.ensure_listening()
        finally:
            self._notifier.unregister(log_id, waiter)

    # -- import --------------------------------------------------------------------------
    async def import_records(self, records: Sequence[RecordedEvent]) -> LogHead:
        if not records:
            raise ImportRefused("nothing to import")
        log_id = validate_log_id(records[0].log_id)
        async with self._pool.acquire() as conn, conn.transaction():
            head, versions = await self._lock(conn, log_id, sorted({r.stream_id for r in records}))
            verifier = ChainVerifier(log_id, head=head, stream_versions=versions)
            try:
                for record in records:
                    verifier.feed(record)
            except StoreError as exc:
                raise ImportRefused(
                    f"import does not continue the log: {exc}", getattr(exc, "position", None)
                ) from exc
            try:
                await self._write_locked(conn, records, head, verifier.head())
            except asyncpg.UniqueViolationError as exc:
                raise ImportRefused(f"an imported event id is already stored: {exc}") from exc
        return verifier.head()

    async def close(self) -> None:
        for writer in list(self._writers.values()):
            if writer.task is not None and not writer.task.done():
                await writer.task
        await self._notifier.close()
        await self._pool.close()

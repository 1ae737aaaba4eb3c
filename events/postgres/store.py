"""The PostgreSQL event store: opening (and migrating), appending through group commit
(``events.postgres.writer``), reading, subscribing (``events.postgres.notify``), importing."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Sequence

import asyncpg

from events.batch import AppendRequest
from events.canonical import GENESIS_HASH
from events.chain import ChainVerifier
from events.errors import ImportRefused, StoreError
from events.migrate import migrate
from events.model import AppendResult, LogHead, RecordedEvent
from events.postgres import sql
from events.postgres.notify import POLL_INTERVAL_S, Notifier
from events.postgres.writer import Appender
from events.store import EventStore


class PostgresEventStore(EventStore):
    """The production store. Create with :meth:`open`; the schema is migrated on open."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, schema: str) -> None:
        self._pool = pool
        self._dsn = dsn
        self.schema = schema
        self.channel = f"ballot_events_{schema}"
        self._notifier = Notifier(self._connect, self.channel)
        self._appender = Appender(pool, self._notifier, self._appended)

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
            reset=sql.keep_session,
            server_settings={"search_path": schema, "application_name": application_name},
        )
        return cls(pool, dsn, schema)

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (projections write their rows through it)."""
        return self._pool

    @property
    def group_counts(self) -> Counter[str]:
        """How groups were written: ``optimistic`` (one round trip), ``locked`` (the head row
        lock taken first), ``stale`` (optimistic attempts that found the log moved on)."""
        return self._appender.group_counts

    async def _connect(self) -> asyncpg.Connection[asyncpg.Record]:
        return await asyncpg.connect(
            self._dsn, server_settings={"search_path": self.schema, "application_name": "ballot"}
        )

    # -- appending -----------------------------------------------------------------------
    async def _append(self, request: AppendRequest) -> AppendResult:
        return await self._appender.submit(request)

    # -- reading -------------------------------------------------------------------------
    async def read_stream(
        self, log_id: str, stream_id: str, from_version: int = 1
    ) -> list[RecordedEvent]:
        rows = await self._pool.fetch(
            f"{sql.SELECT} WHERE log_id = $1 AND stream_id = $2 AND stream_version >= $3"
            " ORDER BY stream_version",
            log_id,
            stream_id,
            from_version,
        )
        return [sql.to_record(row) for row in rows]

    async def read_log(
        self, log_id: str, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        async def fetch(position: int) -> list[asyncpg.Record]:
            return await self._pool.fetch(sql.RANGE, log_id, position, position + batch_size)

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
    async def _import_records(self, log_id: str, records: Sequence[RecordedEvent]) -> LogHead:
        async with self._pool.acquire() as conn, conn.transaction():
            head, versions = await sql.lock(conn, log_id, sorted({r.stream_id for r in records}))
            verifier = ChainVerifier(log_id, head=head, stream_versions=versions)
            try:
                for record in records:
                    verifier.feed(record)
            except StoreError as exc:
                raise ImportRefused(
                    f"import does not continue the log: {exc}", getattr(exc, "position", None)
                ) from exc
            try:
                await sql.write(conn, records, head, verifier.head(), self._notifier, locked=True)
            except asyncpg.UniqueViolationError as exc:
                raise ImportRefused(f"an imported event id is already stored: {exc}") from exc
        return verifier.head()

    async def close(self) -> None:
        await self._appender.close()
        await self._notifier.close()
        await self._pool.close()

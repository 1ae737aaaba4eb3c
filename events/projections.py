"""Projections: caches of a log, rebuilt by replay, checkpointed with their rows.

A projection owns some tables. Its runner reads the events after the projection's checkpoint
and, in **one transaction per batch**, applies them and moves the checkpoint; so after a
crash the rows and the checkpoint always agree, and no event is applied twice or skipped.
``rebuild`` empties the projection's rows and replays from position 0: the result must be
identical to the incrementally maintained one (tests check it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from events.model import RecordedEvent
from events.postgres import Connection, PostgresEventStore
from events.postgres.sql import RANGE, to_record


class Projection(Protocol):
    """What a PostgreSQL projection implements. All methods run inside the runner's transaction."""

    name: str

    async def setup(self, conn: Connection) -> None:
        """Create the projection's tables if they do not exist."""

    async def reset(self, conn: Connection, log_id: str) -> None:
        """Delete the projection's rows for ``log_id``."""

    async def apply(self, conn: Connection, log_id: str, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch of consecutive events of ``log_id`` to the projection's rows."""


class ProjectionRunner:
    """Keeps one projection of one log up to date."""

    def __init__(self, store: PostgresEventStore, projection: Projection, log_id: str) -> None:
        self.store = store
        self.projection = projection
        self.log_id = log_id

    async def setup(self) -> None:
        """Create the projection's tables."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await self.projection.setup(conn)

    async def checkpoint(self) -> int:
        """The last position applied (0 if none)."""
        value = await self.store.pool.fetchval(
            "SELECT position FROM projection_checkpoints WHERE projection = $1 AND log_id = $2",
            self.projection.name,
            self.log_id,
        )
        return int(value or 0)

    async def _step(self, batch_size: int) -> int:
        """Apply one batch in one transaction; return how many events it applied."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO projection_checkpoints (projection, log_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                self.projection.name,
                self.log_id,
            )
            # The row lock makes two runners of one projection take turns instead of
            # applying the same events twice.
            position = await conn.fetchval(
                "SELECT position FROM projection_checkpoints"
                " WHERE projection = $1 AND log_id = $2 FOR UPDATE",
                self.projection.name,
                self.log_id,
            )
            rows = await conn.fetch(RANGE, self.log_id, position, position + batch_size)
            if not rows:
                return 0
            events = [to_record(row) for row in rows]
            await self.projection.apply(conn, self.log_id, events)
            await conn.execute(
                "UPDATE projection_checkpoints SET position = $3"
                " WHERE projection = $1 AND log_id = $2",
                self.projection.name,
                self.log_id,
                events[-1].position,
            )
            return len(events)

    async def catch_up(self, batch_size: int = 500) -> int:
        """Apply every event after the checkpoint; return the new checkpoint."""
        while await self._step(batch_size) == batch_size:
            pass
        return await self.checkpoint()

    async def rebuild(self, batch_size: int = 500) -> int:
        """Forget the projection's rows and replay the whole log."""
        async with self.store.pool.acquire() as conn, conn.transaction():
            await self.projection.reset(conn, self.log_id)
            await conn.execute(
                "INSERT INTO projection_checkpoints (projection, log_id, position)"
                " VALUES ($1, $2, 0) ON CONFLICT (projection, log_id) DO UPDATE SET position = 0",
                self.projection.name,
                self.log_id,
            )
        return await self.catch_up(batch_size)

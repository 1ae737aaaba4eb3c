"""The abstract store suite runs on both implementations through the ``store`` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from events.memory import MemoryEventStore
from events.postgres import PostgresEventStore
from events.store import EventStore


@pytest.fixture(params=["memory", "postgres"])
async def store(
    request: pytest.FixtureRequest, pg_dsn: str, pg_schema: str
) -> AsyncIterator[EventStore]:
    """Each contract test runs once on the memory store and once on PostgreSQL."""
    if request.param == "memory":
        memory = MemoryEventStore()
        yield memory
        await memory.close()
        return
    postgres = await PostgresEventStore.open(pg_dsn, schema=pg_schema)
    try:
        yield postgres
    finally:
        await postgres.close()
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP SCHEMA "{pg_schema}" CASCADE')
        finally:
            await conn.close()

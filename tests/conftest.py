"""Shared fixtures: one real PostgreSQL per test run, a fresh schema per test.

The server is the embedded one (pgserver) unless ``BALLOT_TEST_DATABASE_URL`` names another.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from events.database import start_embedded
from events.postgres import PostgresEventStore


@pytest.fixture(scope="session")
def pg_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of the PostgreSQL server used by the whole test run."""
    url = os.environ.get("BALLOT_TEST_DATABASE_URL")
    if url:
        yield url
        return
    database = start_embedded(Path(tmp_path_factory.mktemp("postgres")) / "pgdata")
    try:
        yield database.dsn
    finally:
        database.close()


@pytest.fixture
def pg_schema() -> str:
    """A fresh, unique schema name for one test."""
    return f"t_{uuid.uuid4().hex[:16]}"


@pytest.fixture
async def pg_store(pg_dsn: str, pg_schema: str) -> AsyncIterator[PostgresEventStore]:
    """A PostgreSQL event store on a freshly migrated schema, dropped after the test."""
    store = await PostgresEventStore.open(pg_dsn, schema=pg_schema)
    try:
        yield store
    finally:
        await store.close()
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP SCHEMA "{pg_schema}" CASCADE')
        finally:
            await conn.close()

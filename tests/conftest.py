"""Shared fixtures: one real PostgreSQL per test run, a fresh schema per test.

The server is the embedded one (pgserver) unless ``BALLOT_TEST_DATABASE_URL`` names another.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from crypto.signing import SigningKey
from events.database import Database, start_embedded
from events.memory import MemoryEventStore
from events.postgres import PostgresEventStore
from events.store import EventStore

#: The checkpoint key of every test server (two servers of one test share it, as two servers
#: of a deployment share the key file).
TEST_SIGNING_KEY = SigningKey.from_seed(bytes(range(32)))


@pytest.fixture(scope="session", autouse=True)
def checkpoint_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Servers the tests start in this process (``ballot.local``, the demo) keep their
    checkpoint key in a temporary folder, never in the working tree."""
    path = Path(tmp_path_factory.mktemp("keys")) / "checkpoint.key"
    saved = os.environ.get("BALLOT_CHECKPOINT_KEY_FILE")
    os.environ["BALLOT_CHECKPOINT_KEY_FILE"] = str(path)
    try:
        yield path
    finally:
        if saved is None:
            os.environ.pop("BALLOT_CHECKPOINT_KEY_FILE", None)
        else:
            os.environ["BALLOT_CHECKPOINT_KEY_FILE"] = saved


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The PostgreSQL server used by the whole test run: embedded (as ``ballot serve`` opens
    it when nothing is configured, application role included), or the configured one."""
    url = os.environ.get("BALLOT_TEST_DATABASE_URL")
    if url:
        yield Database(dsn=url)
        return
    database = start_embedded(Path(tmp_path_factory.mktemp("postgres")) / "pgdata")
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="session")
def pg_dsn(pg_database: Database) -> str:
    """DSN (the owner's) of the PostgreSQL server used by the whole test run."""
    return pg_database.dsn


@pytest.fixture
def pg_schema() -> str:
    """A fresh, unique schema name for one test."""
    return f"t_{uuid.uuid4().hex[:16]}"


@asynccontextmanager
async def migrated_store(dsn: str, schema: str) -> AsyncIterator[PostgresEventStore]:
    """A PostgreSQL event store on a freshly migrated ``schema``, dropped afterwards."""
    store = await PostgresEventStore.open(dsn, schema=schema)
    try:
        yield store
    finally:
        await store.close()
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()


@pytest.fixture
async def pg_store(pg_dsn: str, pg_schema: str) -> AsyncIterator[PostgresEventStore]:
    """A PostgreSQL event store on a freshly migrated schema, dropped after the test."""
    async with migrated_store(pg_dsn, pg_schema) as store:
        yield store


@pytest.fixture(params=["memory", "postgres"])
async def store(
    request: pytest.FixtureRequest, pg_dsn: str, pg_schema: str
) -> AsyncIterator[EventStore]:
    """Each test using it runs once on the memory store and once on PostgreSQL (the memory
    store passes the same suite as the real one)."""
    if request.param == "memory":
        memory = MemoryEventStore()
        yield memory
        await memory.close()
        return
    async with migrated_store(pg_dsn, pg_schema) as postgres:
        yield postgres

"""An API server on real PostgreSQL (fresh schema per test), driven through aiohttp's client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ballot.api.app import create_app
from ballot.api.auth import SecretariatToken, digest
from crypto.signing import SigningKey
from events.migrate import migrate
from events.postgres import PostgresEventStore
from tests.conftest import TEST_SIGNING_KEY

SECRETARIAT_TOKEN = "test-secretariat-token"


@dataclass
class Api:
    """A client with helpers: ``call`` returns (status, json) and can act as a role."""

    client: TestClient[Any, Any]
    store: PostgresEventStore

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.request(method, path, json=body, headers=headers)
        if response.content_type in ("application/json", "application/problem+json"):
            return response.status, await response.json(content_type=None)
        return response.status, await response.text()

    async def sec(self, method: str, path: str, body: Any = None) -> Any:
        """A secretariat call that must succeed."""
        status, data = await self.call(method, path, body, token=SECRETARIAT_TOKEN)
        assert status < 300, (status, data)
        return data


async def open_api(
    dsn: str,
    schema: str,
    *,
    store_dsn: str | None = None,
    migrate_api: bool = True,
    log_requests: bool = False,
    signing_key: SigningKey | None = None,
) -> tuple[PostgresEventStore, TestClient[Any, Any]]:
    """A store on ``schema`` (reached through ``store_dsn`` if given: a relay) and a started
    test server of the app on it; ``migrate_api=False`` leaves out the API's own tables."""
    store = await PostgresEventStore.open(store_dsn or dsn, schema=schema)
    if migrate_api:
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn, schema, package="ballot.api.migrations", table="api_migrations")
        finally:
            await conn.close()
    return store, await start_client(store, log_requests=log_requests, signing_key=signing_key)


async def start_client(
    store: PostgresEventStore,
    *,
    log_requests: bool = False,
    signing_key: SigningKey | None = None,
) -> TestClient[Any, Any]:
    """A started test server of the app on ``store`` (secretariat: :data:`SECRETARIAT_TOKEN`;
    checkpoint key: ``signing_key``, default :data:`TEST_SIGNING_KEY`)."""
    app = create_app(
        store,
        SecretariatToken(digest(SECRETARIAT_TOKEN)),
        signing_key=signing_key or TEST_SIGNING_KEY,
        log_requests=log_requests,
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@asynccontextmanager
async def serving(dsn: str, schema: str, **options: Any) -> AsyncIterator[Api]:
    """A server (app, store) on ``schema``, closed on exit; the schema is left as it is
    (``options``: those of :func:`open_api`)."""
    store, client = await open_api(dsn, schema, **options)
    try:
        yield Api(client, store)
    finally:
        await client.close()
        await store.close()


async def drop_schema(dsn: str, schema: str) -> None:
    """Remove a test's schema and everything in it."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
async def api(pg_dsn: str, pg_schema: str) -> AsyncIterator[Api]:
    try:
        async with serving(pg_dsn, pg_schema) as served:
            yield served
    finally:
        await drop_schema(pg_dsn, pg_schema)

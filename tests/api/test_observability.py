"""Request ids and JSON log lines: every response names its request, no line a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ballot.api.app import create_app
from ballot.api.auth import SecretariatToken, digest
from ballot.api.observability import JsonFormatter
from events.migrate import migrate
from events.postgres import PostgresEventStore
from tests.api.conftest import SECRETARIAT_TOKEN, Api


async def test_every_response_names_its_request(api: Api) -> None:
    mine = await api.client.get("/api/v1/health", headers={"X-Request-Id": "desk-ticket-42"})
    assert mine.headers["X-Request-Id"] == "desk-ticket-42"
    made = await api.client.get("/api/v1/sessions/nope")
    assert made.status == 404 and len(made.headers["X-Request-Id"]) == 16
    odd = await api.client.get("/api/v1/health", headers={"X-Request-Id": "x" * 65})
    assert odd.headers["X-Request-Id"] != "x" * 65  # not echoed: a fresh one


@pytest.fixture
async def logging_api(pg_dsn: str, pg_schema: str) -> AsyncIterator[TestClient[Any, Any]]:
    store = await PostgresEventStore.open(pg_dsn, schema=pg_schema)
    conn = await asyncpg.connect(pg_dsn)
    try:
        await migrate(conn, pg_schema, package="ballot.api.migrations", table="api_migrations")
    finally:
        await conn.close()
    app = create_app(store, SecretariatToken(digest(SECRETARIAT_TOKEN)), log_requests=True)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await store.close()
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{pg_schema}" CASCADE')
        finally:
            await conn.close()


async def test_a_request_logs_one_json_line_without_secrets(
    logging_api: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ballot.access")
    created = await logging_api.post(
        "/api/v1/sessions",
        json={"title": "Council", "session_id": "c"},
        headers={"Authorization": f"Bearer {SECRETARIAT_TOKEN}", "X-Request-Id": "r-1"},
    )
    assert created.status == 201
    await logging_api.get("/api/v1/sessions/c/receipts/ABCD-EFGH-JKMN-PQRS")
    records = [r for r in caplog.records if r.name == "ballot.access"]
    lines = [json.loads(JsonFormatter().format(record)) for record in records]
    assert lines[0]["request_id"] == "r-1"
    assert (lines[0]["route"], lines[0]["method"], lines[0]["status"]) == (
        "/api/v1/sessions",
        "POST",
        201,
    )
    assert lines[1]["route"] == "/api/v1/sessions/{sid}/receipts/{code}"
    text = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert SECRETARIAT_TOKEN not in text
    assert "ABCD-EFGH" not in text  # a path's tracking code is logged as its template

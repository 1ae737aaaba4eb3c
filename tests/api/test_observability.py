"""Request ids and JSON log lines: every response names its request, no line a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from ballot.api.observability import JsonFormatter
from tests.api.conftest import SECRETARIAT_TOKEN, Api, drop_schema, serving


async def test_every_response_names_its_request(api: Api) -> None:
    mine = await api.client.get("/api/v1/health", headers={"X-Request-Id": "desk-ticket-42"})
    assert mine.headers["X-Request-Id"] == "desk-ticket-42"
    made = await api.client.get("/api/v1/sessions/nope")
    assert made.status == 404 and len(made.headers["X-Request-Id"]) == 16
    odd = await api.client.get("/api/v1/health", headers={"X-Request-Id": "x" * 65})
    assert odd.headers["X-Request-Id"] != "x" * 65  # not echoed: a fresh one


@pytest.fixture
async def logging_api(pg_dsn: str, pg_schema: str) -> AsyncIterator[TestClient[Any, Any]]:
    try:
        async with serving(pg_dsn, pg_schema, log_requests=True) as api:
            yield api.client
    finally:
        await drop_schema(pg_dsn, pg_schema)


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

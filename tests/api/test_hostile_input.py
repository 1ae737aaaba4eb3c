"""Hostile input and a database that goes away (issue 14): a clear problem, never a 500,
and nothing changed.

Each reproduction of the issue is one test: 5 000 levels of JSON on the public enrollment
endpoint, a NUL in a path, a position past PostgreSQL's bigint, ``false`` for an integer
setting, a 405 without ``Allow``; and the database stopping under a session in progress
(503 with ``Retry-After``; once it is back every ballot is cast, none lost or doubled).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ballot.api.routing import MAX_JSON_DEPTH
from ballot.api.transport import ProblemAppRunner
from ballot.client import ApiProblem
from events.postgres import database_unavailable
from tests.api.conftest import SECRETARIAT_TOKEN, Api, drop_schema, serving
from tests.api.flows import client_of, setup_session


def _nested(levels: int) -> bytes:
    return b'{"code":' + b'{"a":' * levels + b"1" + b"}" * levels + b"}"


async def _raw(api: Api, method: str, path: str, data: bytes, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await api.client.request(method, path, data=data, headers=headers)
    assert response.content_type == "application/problem+json", await response.text()
    return response.status, await response.json(content_type=None)


async def test_deeply_nested_json_is_a_bad_request_and_changes_nothing(api: Api) -> None:
    await api.sec("POST", "/api/v1/sessions", {"title": "Council", "session_id": "c"})
    head = (await api.store.head("c")).position
    for levels in (5_000, MAX_JSON_DEPTH + 1):
        status, problem = await _raw(api, "POST", "/api/v1/sessions/c/enrollment", _nested(levels))
        assert (status, problem["code"]) == (400, "bad_request")
        assert "nested deeper" in problem["detail"]
        status, problem = await _raw(
            api, "POST", "/api/v1/sessions", _nested(levels), token=SECRETARIAT_TOKEN
        )
        assert (status, problem["code"]) == (400, "bad_request")
    assert (await api.store.head("c")).position == head


@pytest.mark.parametrize(
    "path", ["/api/v1/sessions/%00", "/api/v1/sessions/a%00b/roll", "/api/v1/sessions/%E2%80%AE"]
)
async def test_a_path_no_resource_can_have_is_not_found(api: Api, path: str) -> None:
    status, problem = await api.call("GET", path)
    assert (status, problem["code"]) == (404, "not_found")


@pytest.mark.parametrize(
    "after", ["9223372036854775808", "9223372036854775807", "9007199254740992", "²", "-1", "1e3"]
)
async def test_an_impossible_position_is_refused_before_the_stream_starts(
    api: Api, after: str
) -> None:
    await api.sec("POST", "/api/v1/sessions", {"title": "Council", "session_id": "c"})
    response = await api.client.get("/api/v1/sessions/c/events", params={"after": after})
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert (await response.json(content_type=None))["code"] == "validation_error"
    response = await api.client.get(
        "/api/v1/sessions/c/events", params={"after": "9007199254740991"}
    )
    assert response.status == 200 and await response.read() == b""  # the largest is fine


async def test_a_setting_takes_exactly_its_declared_type(api: Api) -> None:
    for bad in (False, True, "3", 3.5):
        status, problem = await api.call(
            "POST",
            "/api/v1/sessions",
            {"title": "Council", "settings": {"eliminate_after": bad}},
            token=SECRETARIAT_TOKEN,
        )
        assert (status, problem["code"]) == (422, "validation_error"), bad
    assert await api.store.logs() == []


async def test_a_method_not_allowed_names_those_allowed(api: Api) -> None:
    response = await api.client.request("DELETE", "/api/v1/sessions")
    assert response.status == 405
    assert response.content_type == "application/problem+json"
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert "POST" in allowed and "DELETE" not in allowed


async def test_the_problem_listing_is_the_object_the_document_declares(api: Api) -> None:
    status, doc = await api.call("GET", "/api/v1/openapi.json")
    declared = doc["paths"]["/api/v1/problems"]["get"]["responses"]["200"]["content"]
    schema = declared["application/json"]["schema"]
    assert schema != {"type": "string"}
    status, listing = await api.call("GET", "/api/v1/problems")
    assert status == 200 and listing["database_unavailable"]["status"] == 503
    status, one = await api.call("GET", "/api/v1/problems/not_found")
    assert (status, one["status"], one["type"]) == (200, 404, "/api/v1/problems/not_found")


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("name", "Fra\x00nce", "U+0000"),
        ("name", "\u202eecnarF", "U+202E"),
        ("name", "Fra\u200bnce", "U+200B"),
        ("title", "Council\nsession", "U+000A"),
    ],
)
async def test_text_that_can_deceive_never_reaches_the_log(
    api: Api, field: str, text: str, reason: str
) -> None:
    title = text if field == "title" else "Council"
    status, problem = await api.call(
        "POST", "/api/v1/sessions", {"title": title, "session_id": "c"}, token=SECRETARIAT_TOKEN
    )
    if field == "title":
        assert (status, problem["code"]) == (422, "validation_error")
        assert reason in problem["errors"][0]["msg"] and problem["errors"][0]["loc"] == ["title"]
        assert await api.store.logs() == []
        return
    assert status == 201
    head = (await api.store.head("c")).position
    status, problem = await api.call(
        "POST",
        "/api/v1/sessions/c/members",
        {"member_id": "FR", "name": text},
        token=SECRETARIAT_TOKEN,
    )
    assert (status, problem["code"]) == (422, "validation_error")
    assert problem["errors"][0]["loc"] == ["name"] and reason in problem["errors"][0]["msg"]
    assert (await api.store.head("c")).position == head  # nothing appended


async def test_a_name_typed_decomposed_is_kept_composed(api: Api) -> None:
    await api.sec("POST", "/api/v1/sessions", {"title": "Council", "session_id": "c"})
    await api.sec(
        "POST", "/api/v1/sessions/c/members", {"member_id": "CI", "name": "Co\u0302te d'Ivoire"}
    )
    status, roll = await api.call("GET", "/api/v1/sessions/c/roll")
    assert status == 200
    assert "C\u00f4te d'Ivoire" in json.dumps(roll, ensure_ascii=False)


# -- the database goes away -----------------------------------------------------------------


class _Switch:
    """A TCP relay between the server and PostgreSQL that can be cut (every connection
    dropped, new ones refused) and restored on the same port: the database stopping and
    starting again, as the server sees it."""

    def __init__(self, dsn: str) -> None:
        parts = urlsplit(dsn)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        #: Where PostgreSQL listens: a Unix socket (the embedded server) or TCP.
        self.socket = f"{socket_dir}/.s.PGSQL.{parts.port or 5432}" if socket_dir else None
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.dsn = dsn
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()
        await self._server.wait_closed()
        self._server = None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.socket is not None:
                up_reader, up_writer = await asyncio.open_unix_connection(self.socket)
            else:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def relayed_dsn(self) -> str:
        """The DSN that reaches PostgreSQL through this relay (TCP on localhost)."""
        parts = urlsplit(self.dsn)
        user = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
        netloc = f"{user}@127.0.0.1:{self.port}" if user else f"127.0.0.1:{self.port}"
        query = "&".join(
            f"{k}={v}" for k, vs in parse_qs(parts.query).items() if k != "host" for v in vs
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


@contextlib.asynccontextmanager
async def _through(dsn: str, schema: str) -> AsyncIterator[tuple[Api, _Switch]]:
    switch = _Switch(dsn)
    await switch.start()
    try:
        async with serving(dsn, schema, store_dsn=switch.relayed_dsn()) as api:
            yield api, switch
    finally:
        await drop_schema(dsn, schema)


async def test_a_database_that_stops_mid_round_is_a_503_and_nothing_is_lost(
    pg_dsn: str, pg_schema: str
) -> None:
    async with _through(pg_dsn, pg_schema) as (api, switch):
        session = await setup_session(api, 6, ("A", "B"), settings={"min_tally": 1})
        await session.sec.open_round()
        members = sorted(session.delegations)
        cast = await session.vote(1, dict.fromkeys(members[:2], "A"))
        assert len(cast) == 2
        ready = await api.client.get("/readyz")
        assert ready.status == 200 and (await ready.json())["status"] == "ready"
        await switch.cut()
        ready = await api.client.get("/readyz")
        assert ready.status == 503 and ready.headers["Retry-After"].isdigit()
        assert (await ready.json(content_type=None))["checks"]["database"].startswith("unreachable")
        assert (await api.client.get("/healthz")).status == 200  # alive all the same
        # Every kind of call: an anonymous read, a delegation's cast, the secretariat's act.
        late = members[2]
        delegation = session.delegations[late]
        ballot = await asyncio.wait_for(delegation.ballot_for(1, "B"), 10)
        with pytest.raises(ApiProblem) as refused:
            await delegation.cast(ballot)
        assert (refused.value.status, refused.value.code) == (503, "database_unavailable")
        response = await api.client.post(
            f"/api/v1/sessions/{session.session_id}/members",
            json={"member_id": "X01", "name": "Late member"},
            headers={"Authorization": f"Bearer {SECRETARIAT_TOKEN}"},
        )
        assert response.status == 503
        assert response.headers["Retry-After"].isdigit()
        assert response.content_type == "application/problem+json"
        await switch.start()  # the database is back, on the same address
        for attempt in range(50):
            try:
                await delegation.cast(ballot)  # the same signed ballot, re-sent
                break
            except ApiProblem as problem:
                if problem.status != 503:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
        await session.vote(1, dict.fromkeys(members[3:], "B"))
        sec = client_of(api, SECRETARIAT_TOKEN).for_session(session.session_id)
        turnout = (await sec.turnout(1))["turnout"]
        assert sorted(turnout["deposited_by"]) == members  # each once: none lost, none doubled
        lines = [line async for line in sec.event_lines()]
        assert sum(b'"event_type":"BallotCast"' in line for line in lines) == len(members)


async def test_a_schema_missing_a_migration_is_not_ready(pg_dsn: str, pg_schema: str) -> None:
    try:
        async with serving(pg_dsn, pg_schema, migrate_api=False) as api:
            ready = await api.client.get("/readyz")
            assert ready.status == 503
            problem = await ready.json(content_type=None)
            assert (
                problem["code"] == "not_ready" and "api_migrations" in problem["checks"]["schema"]
            )
    finally:
        await drop_schema(pg_dsn, pg_schema)


def test_unreachable_is_recognised_through_the_writers_wrapping() -> None:
    wrapped = RuntimeError("the group commit failed")
    wrapped.__cause__ = ConnectionRefusedError("refused")
    assert database_unavailable(wrapped)
    assert not database_unavailable(ValueError("a bug, not an outage"))


async def test_a_request_the_parser_refuses_is_a_problem_document(
    pg_dsn: str, pg_schema: str
) -> None:
    # A header over aiohttp's 8 KB limit never reaches the application: the transport itself
    # answers, and ``ballot serve`` (ProblemAppRunner) makes that answer a problem document.
    async with serving(pg_dsn, pg_schema) as api:
        assert isinstance(api.client.server, TestServer)
        runner = ProblemAppRunner(api.client.server.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n"
            )
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 10)
            writer.close()
        finally:
            await runner.cleanup()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == b"400"
    assert b"application/problem+json" in head
    assert json.loads(body)["code"] == "bad_request"

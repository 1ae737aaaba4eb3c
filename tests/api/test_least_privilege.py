"""Least privilege in the embedded default: the superuser only migrates; the server serves as
``ballot_app``, which can read and append but never rewrite, remove or hide a record."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from ballot.server import Running, open_backend
from events import NewEvent
from events.database import Database
from events.migrate import migrate
from events.roles import APP_ROLE, ensure_login_role, quote_ident, with_user
from tests.api.conftest import Api, drop_schema, start_client
from tests.api.flows import setup_session


@pytest.fixture
def embedded(pg_database: Database) -> Database:
    """The test run's database as ``ballot serve`` opens the embedded one (this process
    keeps its handle: ``open_backend`` must not close it)."""
    if pg_database.app_role is None:
        pytest.skip("BALLOT_TEST_DATABASE_URL is set: not the embedded server")
    return pg_database


@asynccontextmanager
async def backend(
    database: Database, schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[Running]:
    """``open_backend`` as ``ballot serve`` runs it, on ``schema``, dropped afterwards."""
    monkeypatch.delenv("BALLOT_MIGRATE", raising=False)
    monkeypatch.setenv("BALLOT_STATE_DIR", str(tmp_path))  # the secretariat token's digest
    try:
        async with open_backend(schema=schema, database=database) as running:
            yield running
    finally:
        await drop_schema(database.dsn, schema)


async def test_the_embedded_default_serves_as_ballot_app_and_a_whole_session_works(
    embedded: Database, pg_schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with backend(embedded, pg_schema, monkeypatch, tmp_path) as running:
        store = running.store
        assert await store.pool.fetchval("SELECT session_user") == APP_ROLE
        assert await store.pool.fetchval("SELECT current_user") == APP_ROLE
        client = await start_client(store)
        try:
            api = Api(client, store)
            response = await client.get("/readyz")  # it may read the migration ledgers
            assert response.status == 200, await response.text()
            # Tokens, session secrets (checkpoint key, lots seeds), appends, checkpoints,
            # a close and a tally: everything the server writes, as ballot_app.
            session = await setup_session(api, 4, ("A", "B"), settings={"min_tally": 1})
            await session.sec.open_round()
            receipts = await session.vote(1, {"M001": "A", "M002": "A", "M003": "B"})
            assert len(receipts) == 3
            board = await session.close_and_tally(1)
            assert board["rounds"][0]["votes"] == {"A": 2, "B": 1}
            lines = [line async for line in session.sec.event_lines()]
            assert sum(b'"event_type":"BallotCast"' in line for line in lines) == 3
        finally:
            await client.close()


async def test_the_serving_role_cannot_rewrite_remove_or_hide_a_record(
    embedded: Database, pg_schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with backend(embedded, pg_schema, monkeypatch, tmp_path) as running:
        store = running.store
        await store.append("log", "s", [NewEvent("T", {"v": 1})])
        for statement in (
            "UPDATE events SET event_type = 'Forged'",
            "DELETE FROM events",
            "TRUNCATE events",
            "ALTER TABLE events DISABLE TRIGGER events_append_only",
            "ALTER TABLE events DISABLE TRIGGER ALL",
            "DROP TRIGGER events_append_only ON events",
            "SET session_replication_role = replica",  # would skip the triggers
            "DELETE FROM log_heads",
            "TRUNCATE streams",
            "UPDATE api_tokens SET subject = 'x'",
            "DELETE FROM session_secrets",
            "CREATE TABLE events_copy (x int)",
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'forged')",
        ):
            async with store.pool.acquire() as conn:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
        assert [e.position async for e in store.read_log("log")] == [1]
        # What it holds on the log is exactly what grants.sql says.
        privileges = {
            privilege
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
            if await store.pool.fetchval(
                "SELECT has_table_privilege($1, $2, $3)", APP_ROLE, f"{pg_schema}.events", privilege
            )
        }
        assert privileges == {"SELECT", "INSERT"}


async def test_a_schema_migrated_before_the_role_had_grants_gets_them_on_start(
    embedded: Database, pg_schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Migrated as if no ballot_app had existed: the migrations' grants did not happen.
    conn = await asyncpg.connect(embedded.dsn)
    try:
        await migrate(conn, pg_schema)
        await migrate(conn, pg_schema, package="ballot.api.migrations", table="api_migrations")
        await conn.execute(
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {quote_ident(pg_schema)} FROM {APP_ROLE};"
            f"REVOKE ALL ON SCHEMA {quote_ident(pg_schema)} FROM {APP_ROLE}"
        )
    finally:
        await conn.close()
    async with backend(embedded, pg_schema, monkeypatch, tmp_path) as running:
        result = await running.store.append("log", "s", [NewEvent("T", {"v": 1})])
        assert result.positions == (1,)
        client = await start_client(running.store)
        try:
            assert (await client.get("/readyz")).status == 200
        finally:
            await client.close()


async def test_a_configured_url_serves_as_its_own_role(
    pg_dsn: str, pg_schema: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configured = Database(dsn=pg_dsn)  # what BALLOT_DATABASE_URL gives: used as it is
    async with backend(configured, pg_schema, monkeypatch, tmp_path) as running:
        owner = await running.store.pool.fetchval("SELECT current_user")
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert owner == await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()


async def test_a_role_with_more_than_it_needs_is_refused(embedded: Database) -> None:
    role = f"t_role_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(embedded.dsn)
    try:
        await ensure_login_role(conn, role)  # created, able to log in, nothing more
        row = await conn.fetchrow(
            "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = $1", role
        )
        assert row is not None and row["rolcanlogin"] and not row["rolsuper"]
        await ensure_login_role(conn, role)  # idempotent
        await conn.execute(f"ALTER ROLE {role} NOLOGIN")  # as migration 0002 creates it
        await ensure_login_role(conn, role)
        assert await conn.fetchval("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", role)
        await conn.execute(f"ALTER ROLE {role} CREATEDB")
        with pytest.raises(RuntimeError, match="CREATEDB"):
            await ensure_login_role(conn, role)
        await conn.execute(f"ALTER ROLE {role} NOCREATEDB")
        await conn.execute(f"GRANT pg_write_all_data TO {role}")
        with pytest.raises(RuntimeError, match="member of pg_write_all_data"):
            await ensure_login_role(conn, role)
    finally:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await conn.close()


def test_with_user_keeps_the_database_and_the_socket_folder() -> None:
    assert (
        with_user("postgresql://postgres:@/postgres?host=/tmp/pg", "ballot_app")
        == "postgresql://ballot_app@/postgres?host=/tmp/pg"
    )
    assert (
        with_user("postgresql://owner:secret@db:5433/ballot?sslmode=require", "ballot_app")
        == "postgresql://ballot_app@db:5433/ballot?sslmode=require"
    )
    # No database named: it stays the old user's, not one named after the new user.
    assert with_user("postgresql://owner@db", "ballot_app") == "postgresql://ballot_app@db/owner"
    assert with_user("postgresql://db/x", "ballot_app") == "postgresql://ballot_app@db/x"

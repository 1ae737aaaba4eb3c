"""Versioned schema migrations: applied in order, once, under an advisory lock; never dropped.

Migrations are the files ``events/migrations/NNNN_name.sql``. Each schema (a deployment, or
one test) records what it has applied in ``schema_migrations``; starting a server applies
what is missing, so an old schema is upgraded in place and its log is kept.

**Grants.** A component's ``grants.sql`` (beside its migrations) says everything the
application role :data:`~events.roles.APP_ROLE` may do on the component's tables, as they are
at its latest migration. :func:`migrate` applies it after every migration to the latest
version, even when nothing was pending: the migrations grant only to a role that exists when
they run, so a schema migrated before the role existed (or whose role was re-created) gets
its grants at the next start. It revokes first, so the role holds exactly what the file says.
A migration that adds a table adds its grants there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from events.roles import APP_ROLE

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
#: A component's grants to the application role (see the module's docstring).
GRANTS = "grants.sql"


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema migration file."""

    version: int
    name: str
    sql: str


def available_migrations(package: str = "events.migrations") -> list[Migration]:
    """Every migration shipped in ``package``, in version order."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migration versions must be 1..n without gaps")
    return found


def _quote_ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"schema name {name!r} must be a plain lower-case identifier")
    return f'"{name}"'


async def migrate(
    conn: asyncpg.Connection[asyncpg.Record],
    schema: str,
    target: int | None = None,
    *,
    package: str = "events.migrations",
    table: str = "schema_migrations",
) -> list[int]:
    """Bring ``schema`` up to ``target`` (default: latest). Returns the versions applied.

    All pending migrations run in one transaction, so a failure leaves the schema as it was;
    at the latest version, the component's grants are re-applied in it (see the module).
    Another component may keep its own migrations in the same schema under its own
    ``package`` and ``table`` (the HTTP layer does, for its credentials).
    """
    encoding = await conn.fetchval("SHOW server_encoding")
    if encoding != "UTF8":
        raise RuntimeError(f"the database must use UTF8 encoding, not {encoding}")
    quoted = _quote_ident(schema)
    applied: list[int] = []
    async with conn.transaction():
        # Serialize concurrent starters (several `ballot serve` processes on one database).
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"ballot-migrate:{schema}:{table}"
        )
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        await conn.execute(f"SET LOCAL search_path TO {quoted}")
        ledger = _quote_ident(table)
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {ledger} ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["version"] for row in await conn.fetch(f"SELECT version FROM {ledger}")}
        migrations = available_migrations(package)
        for migration in migrations:
            if migration.version in done or (target is not None and migration.version > target):
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {ledger} (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied.append(migration.version)
        if target is None or target >= len(migrations):  # grants.sql names the latest tables
            await _grant(conn, package, ledger)
    return applied


async def _grant(conn: asyncpg.Connection[asyncpg.Record], package: str, ledger: str) -> None:
    """Re-apply ``package``'s grants to the application role, if the role exists; inside
    :func:`migrate`'s transaction and advisory lock (concurrent GRANTs on one object fail)."""
    if not await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", APP_ROLE):
        return
    # The ledger: read by the readiness probe, which must see the schema is current.
    await conn.execute(f"REVOKE ALL ON {ledger} FROM {APP_ROLE}")
    await conn.execute(f"GRANT SELECT ON {ledger} TO {APP_ROLE}")
    grants = resources.files(package) / GRANTS
    if grants.is_file():
        await conn.execute(grants.read_text(encoding="utf-8"))


async def schema_version(
    conn: asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record],
    schema: str,
    table: str = "schema_migrations",
) -> int:
    """The highest migration recorded in ``schema``'s ledger ``table`` (0 if none)."""
    ledger = f"{_quote_ident(schema)}.{_quote_ident(table)}"
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", ledger)
    if not exists:
        return 0
    value = await conn.fetchval(f"SELECT max(version) FROM {ledger}")
    return int(value or 0)

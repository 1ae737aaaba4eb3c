"""Versioned schema migrations: applied in order, once, under an advisory lock; never dropped.

Migrations are the files ``events/migrations/NNNN_name.sql``. Each schema (a deployment, or
one test) records what it has applied in ``schema_migrations``; starting a server applies
what is missing, so an old schema is upgraded in place and its log is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg
from asyncpg.pool import PoolConnectionProxy

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


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

    All pending migrations run in one transaction, so a failure leaves the schema as it was.
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
        for migration in available_migrations(package):
            if migration.version in done or (target is not None and migration.version > target):
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {ledger} (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied.append(migration.version)
    return applied


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

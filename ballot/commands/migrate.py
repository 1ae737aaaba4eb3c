"""``ballot migrate``: create or upgrade the database schema (as its owner), then exit.

``ballot serve`` migrates on start by default; a least-privilege deployment runs this once as
the schema owner and starts the servers with ``BALLOT_MIGRATE=0`` as ``ballot_app``. On the
embedded PostgreSQL it also makes ``ballot_app`` able to log in, which the servers serve as.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from ballot.api.migrations import COMPONENTS
from ballot.checkpoint_key import announce, load_checkpoint_key
from events.database import open_database, schema_name
from events.migrate import migrate
from events.roles import ensure_login_role

#: (package, ledger table) of every component's migrations, in order.
MIGRATIONS = COMPONENTS


async def migrate_all(
    dsn: str, schema: str, *, login_role: str | None = None
) -> dict[str, list[int]]:
    """Apply every component's pending migrations and re-apply its grants; return what was
    applied. ``login_role`` (the embedded server's application role) is first made to exist
    and log in, so that the grants reach it however old the schema is."""
    conn = await asyncpg.connect(dsn)
    try:
        if login_role is not None:
            await ensure_login_role(conn, login_role)
        return {
            package: await migrate(conn, schema, package=package, table=table)
            for package, table in MIGRATIONS
        }
    finally:
        await conn.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot migrate``."""
    parser.add_argument(
        "--schema", default=None, help="schema name (default BALLOT_SCHEMA or ballot)"
    )


def run(args: argparse.Namespace) -> int:
    """Make the checkpoint key if there is none, migrate, and report."""
    announce(load_checkpoint_key(create=True))
    database = open_database()
    try:
        applied = asyncio.run(
            migrate_all(database.dsn, args.schema or schema_name(), login_role=database.app_role)
        )
    finally:
        database.close()
    for package, versions in applied.items():
        print(
            f"{package}: {'applied ' + ', '.join(map(str, versions)) if versions else 'up to date'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace(schema=None)))

"""``ballot serve``: open the database (embedded unless configured), migrate, serve HTTP."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from ballot.api.app import create_app
from ballot.api.auth import SecretariatToken
from ballot.api.collector import IdleCollector
from ballot.api.context import CONTEXT
from ballot.api.transport import ProblemAppRunner
from ballot.checkpoint_key import announce, load_checkpoint_key
from ballot.commands.migrate import migrate_all
from crypto.signing import SigningKey
from events.database import Database, open_database, schema_name, state_dir
from events.postgres import PostgresEventStore

log = logging.getLogger(__name__)


@dataclass
class Running:
    """An open database and store, ready for :func:`create_app`."""

    database: Database
    store: PostgresEventStore
    secretariat: SecretariatToken
    #: This deployment's checkpoint key (:mod:`ballot.checkpoint_key`), not the database's.
    signing_key: SigningKey


@asynccontextmanager
async def open_backend(
    database_url: str | None = None,
    schema: str | None = None,
    *,
    database: Database | None = None,
) -> AsyncIterator[Running]:
    """Open (and migrate) the database and the store, and load the checkpoint key (made if
    there is none yet: it is then announced); close both on exit.

    The store serves as ``database.serving_dsn``: on the embedded PostgreSQL the
    least-privilege ``ballot_app`` role, the superuser only migrating; on a configured URL,
    that URL's role. ``database`` (already open, left open): instead of opening the
    configured one.
    """
    loaded = load_checkpoint_key(create=True)
    announce(loaded)
    owned = database is None
    database = database or open_database(database_url)
    schema = schema or schema_name()
    try:
        # BALLOT_MIGRATE=0: the schema is managed by its owner (`ballot migrate`); this
        # process may run as the least-privilege ballot_app role.
        migrating = os.environ.get("BALLOT_MIGRATE", "1") != "0"
        if migrating:
            await migrate_all(database.dsn, schema, login_role=database.app_role)
        store = await PostgresEventStore.open(
            database.serving_dsn, schema=schema, run_migrations=False
        )
        try:
            yield Running(database, store, SecretariatToken.load(state_dir()), loaded.key)
        finally:
            await store.close()
    finally:
        if owned:
            database.close()


async def serve(host: str, port: int, *, announce: bool = True, access_log: bool = False) -> None:
    """Run the server until cancelled; ``access_log`` logs a line per HTTP request."""
    async with open_backend() as backend:
        app = create_app(
            backend.store,
            backend.secretariat,
            signing_key=backend.signing_key,
            log_requests=access_log,
        )
        # Requests are logged by the application (ballot.api.observability: route template,
        # request id), never by aiohttp, whose line holds the raw path.
        runner = ProblemAppRunner(app, access_log=None)
        # The garbage collector runs between casts (see ballot.api.collector).
        collector = IdleCollector(app[CONTEXT].casting)
        try:
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            await site.start()
            collector.start()
            if announce:
                print(
                    f"ballot serving on http://{host}:{port}/  (API: /api/v1, OpenAPI: /api/v1/openapi.json)"
                )
                if backend.secretariat.announce:
                    # Printed once, never logged: only its digest is kept in the state folder.
                    print(f"secretariat token (shown once): {backend.secretariat.announce}")
                sys.stdout.flush()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                # A clean stop on Ctrl-C and on a service manager's SIGTERM: connections close,
                # the embedded PostgreSQL is released.
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        finally:
            try:
                await collector.stop()
            finally:
                await runner.cleanup()

"""A server started inside this process on a free port (``ballot simulate``, ``demo``, benches).

It uses the configured database (embedded by default) in a schema of its own, so a rehearsal
never touches the sessions of a real deployment in the same database.
"""

from __future__ import annotations

import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from ballot.api.app import create_app
from ballot.api.auth import SecretariatToken, digest
from ballot.api.transport import ProblemAppRunner
from ballot.server import open_backend


@dataclass(frozen=True, slots=True)
class LocalServer:
    """Where the in-process server listens, and its secretariat token."""

    url: str
    secretariat_token: str
    schema: str


@asynccontextmanager
async def local_server(
    *, host: str = "127.0.0.1", port: int = 0, schema: str | None = None, keep: bool = False
) -> AsyncIterator[LocalServer]:
    """Run the API on ``host:port`` (0: any free port) until the context exits.

    With no ``schema``, a fresh one is made and dropped afterwards unless ``keep``.
    """
    fresh = schema is None
    schema = schema or f"rehearsal_{uuid.uuid4().hex[:10]}"
    token = secrets.token_urlsafe(24)
    async with open_backend(schema=schema) as backend:
        app = create_app(
            backend.store, SecretariatToken(digest(token)), signing_key=backend.signing_key
        )
        runner = ProblemAppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound = sock.getsockname()[1]
        site = web.SockSite(runner, sock)
        await site.start()
        try:
            yield LocalServer(f"http://{host}:{bound}", token, schema)
        finally:
            await runner.cleanup()
            if fresh and not keep:
                conn = await asyncpg.connect(backend.database.dsn)
                try:
                    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                finally:
                    await conn.close()

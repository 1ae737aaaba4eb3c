"""Liveness and readiness, for a load balancer or an orchestrator.

* ``GET /healthz`` — the process is alive and its event loop answers (always 200);
* ``GET /readyz`` — it can serve: the database answers within a second and its schema carries
  every migration this version ships (events and the API's own). Otherwise 503, the problem
  ``not_ready`` with ``Retry-After`` and which check failed. The ``signer`` check names the
  checkpoint key this process signs with (its public half): it is held by the process, never
  the database (:mod:`ballot.checkpoint_key`), so it is ready as soon as the process started;
  a session convened under another key is refused per request (``signer_unavailable``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from ballot.api.migrations import COMPONENTS
from ballot.api.problems import Problem
from ballot.domain.values import b64encode
from crypto.signing import VerifyKey
from events.migrate import available_migrations, schema_version
from events.postgres import PostgresEventStore, database_unavailable

#: How long the database may take to answer a readiness probe.
PROBE_SECONDS: Final = 1.0


async def healthz(request: web.Request) -> web.Response:
    """Liveness."""
    return web.json_response({"status": "alive"})


async def readiness(store: PostgresEventStore) -> dict[str, str]:
    """Each check's verdict (``"ok"`` or what is wrong)."""
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            async with store.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                checks["database"] = "ok"
                behind: list[str] = []
                for package, table in COMPONENTS:
                    latest = len(available_migrations(package))
                    have = await schema_version(conn, store.schema, table)
                    if have < latest:
                        behind.append(f"{table} at {have} of {latest}")
                checks["schema"] = "ok" if not behind else "behind: " + ", ".join(behind)
    except Exception as exc:  # a probe reports; it never fails the process
        reason = "unreachable" if database_unavailable(exc) else "error"
        checks.setdefault("database", f"{reason}: {type(exc).__name__}")
        checks.setdefault("schema", "unknown")
    return checks


def readyz(
    store: PostgresEventStore, signer: VerifyKey
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The readiness handler of ``store``, signing with the key whose public half is
    ``signer``."""

    async def handle(request: web.Request) -> web.Response:
        checks = await readiness(store)
        checks["signer"] = "ok"
        signer_key = b64encode(signer.encode())
        if all(verdict == "ok" for verdict in checks.values()):
            return web.json_response(
                {"status": "ready", "checks": checks, "checkpoint_key": signer_key}
            )
        failing = ", ".join(
            f"{name} {verdict}" for name, verdict in checks.items() if verdict != "ok"
        )
        raise Problem("not_ready", f"not ready: {failing}", extra={"checks": checks})

    return handle

"""The aiohttp application: middlewares, the declared API, OpenAPI, static web client.

``create_app`` wires an open :class:`~events.postgres.PostgresEventStore`; ``ballot serve``
(``ballot/server.py``) opens the database and runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from ballot.api.auth import Authenticator, SecretariatToken, TokenStore
from ballot.api.context import CONTEXT, Context
from ballot.api.health import healthz, readyz
from ballot.api.hub import SessionHub
from ballot.api.metrics import (
    METRICS,
    PROBLEM_CODE,
    Metrics,
    metrics_handler,
    metrics_middleware,
)
from ballot.api.observability import request_id_middleware
from ballot.api.problems import CONTENT_TYPE, RETRY_AFTER_SECONDS, Problem
from ballot.api.routes import api
from crypto.signing import SigningKey
from events import LogRewound
from events.postgres import PostgresEventStore, database_unavailable

log = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

#: Strict CSP: only our own scripts and styles; the pages' one inline import map is allowed
#: by its hash (added per page by the web module), nothing else inline.
BASE_CSP = (
    "default-src 'self'; script-src 'self'{script_hashes}; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: The policy of every response without page scripts (all of the API), formatted once.
DEFAULT_CSP = BASE_CSP.format(script_hashes="")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem_response(problem: Problem, request: web.Request) -> web.Response:
    """Render a problem document (a 503 says when to retry: ``Retry-After``)."""
    response = web.json_response(
        problem.document(instance=request.path), status=problem.status, content_type=CONTENT_TYPE
    )
    if problem.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response[PROBLEM_CODE] = problem.code  # for the metrics (refusals by code)
    return response


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every refusal — ours or aiohttp's — leaves as an RFC 9457 problem document."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem, request)
    except web.HTTPException as exc:
        if exc.status == 404:
            return problem_response(Problem("not_found", f"no resource at {request.path}"), request)
        if exc.status == 405:
            response = problem_response(
                Problem("method_not_allowed", f"{request.method} {request.path}"), request
            )
            allowed = getattr(exc, "allowed_methods", None)
            if allowed:  # RFC 9110 §15.5.6: a 405 names the methods that are allowed
                response.headers["Allow"] = ", ".join(sorted(allowed))
            return response
        if exc.status == 413:
            return problem_response(Problem("payload_too_large", exc.reason), request)
        raise
    except LogRewound as exc:
        # Someone with the database in hand removed or rewrote events this process had
        # seen: it writes nothing more for that session and serves nothing stale.
        log.error("session log moved back on %s %s: %s", request.method, request.path, exc)
        return problem_response(
            Problem(
                "log_rewound",
                f"{exc}. This server stopped serving the session; the log must be audited "
                "against the receipts and witnessed checkpoints before anything goes on",
            ),
            request,
        )
    except Exception as exc:
        if database_unavailable(exc):
            # Nothing was written (a command's append is one transaction): retry later.
            log.warning("database unreachable on %s %s: %s", request.method, request.path, exc)
            return problem_response(
                Problem("database_unavailable", "the database cannot be reached; nothing changed"),
                request,
            )
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            Problem("internal_error", "the server failed; nothing was changed"), request
        )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers every response carries (CSP, no sniffing, no framing, no referrer)."""
    response = await handler(request)
    hashes = response.headers.pop("X-Script-Hashes", "")
    response.headers.setdefault(
        "Content-Security-Policy",
        BASE_CSP.format(script_hashes="".join(f" 'sha256-{h}'" for h in hashes.split() if h))
        if hashes
        else DEFAULT_CSP,
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    else:
        # Pages and their modules are revalidated on every load (a cheap 304 when unchanged):
        # after an upgrade no browser may run cached modules against the new API.
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(api.openapi())


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(
    store: PostgresEventStore,
    secretariat: SecretariatToken,
    *,
    signing_key: SigningKey,
    log_requests: bool = False,
) -> web.Application:
    """The application serving ``/api/v1`` and the web client on ``store``; ``signing_key``
    signs checkpoints and receipts (:mod:`ballot.checkpoint_key`: never the database's);
    ``log_requests``: a log line per request, see :mod:`ballot.api.observability`."""
    app = web.Application(
        middlewares=[
            request_id_middleware(log_requests=log_requests),
            metrics_middleware,
            security_headers,
            problems_middleware,
        ],
        client_max_size=512 * 1024,
    )
    tokens = TokenStore(store)
    hub = SessionHub(store)
    ctx = Context(
        store=store, hub=hub, tokens=tokens, secretariat=secretariat, signing_key=signing_key
    )
    hub.busy = ctx.casting  # a burst's casts come before summing its ballots
    app[CONTEXT] = ctx
    metrics = Metrics()
    metrics.watch(ctx)
    unwatch_store = metrics.watch_store(store)
    app[METRICS] = metrics

    async def enrolled_key(session_id: str, subject: str) -> bytes | None:
        service = await hub.service(session_id)
        if service is None:
            return None
        member = service.state.members.get(subject)
        if member is not None:
            return member.public_key
        teller = service.state.tellers.get(subject)
        return teller.public_key if teller is not None else None

    app.router.add_get("/api/v1/openapi.json", _openapi)
    app.router.add_get("/api/v1/health", _health)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz(store, signing_key.public_key()))
    app.router.add_get("/metrics", metrics_handler(ctx))
    api.install(app, Authenticator(secretariat, tokens, enrolled_key))
    try:
        from ballot.web import install as install_web
    except ImportError:  # the web client is optional for API-only deployments
        pass
    else:
        install_web(app)

    async def end_feeds(_: web.Application) -> None:
        # Live-feed handlers wait for their next message; end them first so that shutdown
        # does not wait out their timeout.
        await hub.close()

    async def shutdown(_: web.Application) -> None:
        await ctx.close()
        # The store may outlive the app (tests serve several apps on one): stop counting.
        unwatch_store()

    async def warm(_: web.Application) -> None:
        await ctx.warm_pool()

    app.on_startup.append(warm)
    app.on_shutdown.append(end_feeds)
    app.on_cleanup.append(shutdown)
    return app

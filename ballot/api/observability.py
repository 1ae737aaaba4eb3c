"""Request ids and structured logs.

Every response carries ``X-Request-Id``: the caller's own if it sent a sane one (1–64
characters of ``A–Z a–z 0–9 . _ -``), otherwise one made here, so a delegation's support
request can be matched with the server's log line. With ``ballot serve --log-format json``
every log record is one JSON object per line; a request's line (``--access-log``) holds its
id, route template, method, status and duration — never a header, a token, a code or a body,
and the raw path only as its route template (a path can carry a receipt's tracking code).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

#: The request id of a request, as the handlers and the logs see it.
REQUEST_ID: Final = web.RequestKey("request_id", str)
_SANE_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: The fields of a record that a JSON log line carries besides its message.
_FIELDS: Final = ("request_id", "route", "method", "status", "duration_ms")

access_log = logging.getLogger("ballot.access")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def route_template(request: web.Request) -> str:
    """The route template a request matched (``/api/v1/sessions/{sid}``), never its raw path:
    a path can carry a tracking code, and labels and log lines must stay few and public."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def request_id_middleware(*, log_requests: bool = False) -> Any:
    """A middleware giving every request an id (echoed in ``X-Request-Id``) and, with
    ``log_requests``, one log line per request."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        offered = request.headers.get("X-Request-Id", "")
        request_id = offered if _SANE_ID.fullmatch(offered) else secrets.token_hex(8)
        request[REQUEST_ID] = request_id
        started = time.perf_counter()
        response = await handler(request)
        response.headers["X-Request-Id"] = request_id
        if log_requests:
            route = route_template(request)
            access_log.info(
                "%s %s %s",
                request.method,
                route,
                response.status,
                extra={
                    "request_id": request_id,
                    "route": route,
                    "method": request.method,
                    "status": response.status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                },
            )
        return response

    return middleware


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Logging of a server process: ``"text"`` (a readable line) or ``"json"``."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)

"""The HTTP transport's own refusals as problem documents.

A request aiohttp cannot even parse — a header line over its 8 KB limit, a malformed request
line — never reaches the application or its middlewares: aiohttp answers it with a plain-text
400 of its own. :class:`ProblemAppRunner` serves the application with a request handler that
answers those too with an RFC 9457 problem document, like every other refusal.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from ballot.api.problems import CONTENT_TYPE, Problem

#: The problem code of each status aiohttp's parser answers with.
_CODES = {400: "bad_request", 413: "payload_too_large", 431: "bad_request"}


class _ProblemRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering unparseable requests with a problem."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs; closes the link
        code = _CODES.get(status, "internal_error")
        detail = (
            "the request could not be parsed (a header over 8 KB, a malformed line, …)"
            if code == "bad_request"
            else "the server failed; nothing was changed"
        )
        problem = Problem(code, detail, status=status)
        response = web.Response(
            body=json.dumps(problem.document()).encode(), status=status, content_type=CONTENT_TYPE
        )
        response.headers.update({k: v for k, v in plain.headers.items() if k == "Connection"})
        response.force_close()
        return response


class _ProblemServer(web.Server):
    """A low-level server whose connections use :class:`_ProblemRequestHandler`."""

    def __call__(self) -> RequestHandler:
        kwargs: dict[str, Any] = self._kwargs
        return _ProblemRequestHandler(self, loop=self._loop, **kwargs)


class ProblemAppRunner(web.AppRunner):
    """:class:`aiohttp.web.AppRunner` whose transport-level refusals are problem documents."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The application's server, built by aiohttp with all its settings; only the class
        # of the handler it makes for each connection changes.
        server.__class__ = _ProblemServer
        return server

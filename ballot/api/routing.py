"""Declared endpoints: one place that knows each route's models, roles and OpenAPI entry.

A handler is declared in its caller's :class:`RouteTable` (:meth:`RouteTable.endpoint`); the adapter around it authenticates and
authorizes the caller, parses and validates the JSON body into the request model (a
``validation_error`` problem otherwise), calls the handler, and serializes its response model.
The OpenAPI 3.1 document is generated from the same declarations and pydantic models, so it
cannot drift from what the server does.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ballot.api.problems import API_CODES, PROBLEM_BASE, Problem

MAX_BODY_BYTES = 256 * 1024


class Role(enum.StrEnum):
    """Who may call an endpoint (SPEC §2)."""

    SECRETARIAT = "secretariat"
    DELEGATION = "delegation"
    TELLER = "teller"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a role, and for delegations/tellers their id in a session."""

    role: Role
    session_id: str | None = None
    subject: str | None = None


PUBLIC = Principal(Role.PUBLIC)

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Call(Generic[B]):
    """What a handler receives: the request, the caller and the validated body."""

    request: web.Request
    principal: Principal
    body: B

    def path(self, name: str) -> str:
        """A path parameter."""
        return self.request.match_info[name]


class Empty(BaseModel):
    """No request body."""


Handler = Callable[[Call[Any]], Awaitable[BaseModel | web.StreamResponse]]
Authenticator = Callable[[web.Request], Awaitable[Principal]]


@dataclass
class Endpoint:
    """One declared route."""

    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role]
    request_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    status: int
    tag: str
    content_type: str = "application/json"
    query: Sequence[tuple[str, str]] = ()
    problems: Sequence[str] = ()
    hot: bool = False

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


#: The application's authenticator, which every adapted handler asks for its caller.
AUTHENTICATE: web.AppKey[Authenticator] = web.AppKey("ballot.authenticate")


class RouteTable(web.RouteTableDef):
    """One caller's routes: an aiohttp :class:`~aiohttp.web.RouteTableDef` whose every route
    is declared with :meth:`endpoint` — its models, roles and OpenAPI entry beside it."""

    def __init__(self, caller: str) -> None:
        super().__init__()
        #: The OpenAPI tag of these routes (who calls them).
        self.caller = caller
        self.endpoints: list[Endpoint] = []

    def endpoint(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        roles: Sequence[Role],
        request: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        content_type: str = "application/json",
        query: Sequence[tuple[str, str]] = (),
        problems: Sequence[str] = (),
        hot: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare ``handler`` for ``method path``; ``hot`` for the route a live session
        calls most (casting), which is then matched first (see :meth:`Api.install`)."""

        def register(handler: Handler) -> Handler:
            endpoint = Endpoint(
                method=method.upper(),
                path=path,
                handler=handler,
                summary=summary,
                roles=frozenset(roles),
                request_model=request,
                response_model=response,
                status=status,
                tag=self.caller,
                content_type=content_type,
                query=query,
                problems=problems,
                hot=hot,
            )
            self.endpoints.append(endpoint)
            self.route(endpoint.method, path)(_adapt(endpoint))
            return handler

        return register

    def declared(self) -> list[tuple[Endpoint, web.AbstractRouteDef]]:
        """Each endpoint with the aiohttp route that serves it."""
        return list(zip(self.endpoints, self, strict=True))


@dataclass
class Api:
    """The route tables of every caller, their adapter to aiohttp and their OpenAPI."""

    title: str
    version: str
    tables: Sequence[RouteTable] = ()

    @property
    def endpoints(self) -> list[Endpoint]:
        """Every declared endpoint, table by table."""
        return [endpoint for table in self.tables for endpoint in table.endpoints]

    def install(self, app: web.Application, authenticate: Authenticator) -> None:
        """Add every table's routes to ``app``; callers are authenticated by ``authenticate``.

        Hot endpoints first: aiohttp tries the routes under one static prefix (here every
        ``/api/v1/sessions/…`` route) in the order they were added, and each miss is a
        coroutine call and a regular-expression match — during a burst of casts, ~8 µs of
        the server process's time per ballot when casting was one of the last of 36 tried.
        """
        app[AUTHENTICATE] = authenticate
        declared = [pair for table in self.tables for pair in table.declared()]
        app.router.add_routes([route for e, route in sorted(declared, key=lambda p: not p[0].hot)])

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every declared endpoint."""
        models: dict[str, type[BaseModel]] = {}
        for endpoint in self.endpoints:
            for model in (endpoint.request_model, endpoint.response_model):
                if model is not None:
                    models[model.__name__] = model
        mode: Literal["validation"] = "validation"
        keyed = [(m, mode) for m in models.values()]
        refs, schema = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
        schemas: dict[str, Any] = dict(schema.get("$defs", {}))
        schemas["Problem"] = _PROBLEM_SCHEMA
        schemas["JsonValue"] = _JSON_VALUE_SCHEMA
        paths: dict[str, dict[str, Any]] = {}
        for endpoint in self.endpoints:
            operation: dict[str, Any] = {
                "operationId": endpoint.operation_id,
                "summary": endpoint.summary,
                "tags": [endpoint.tag],
                "x-roles": sorted(role.value for role in endpoint.roles),
                "responses": _responses(endpoint, refs),
            }
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _path_params(endpoint.path)
            ] + [
                {
                    "name": name,
                    "in": "query",
                    "required": kind.endswith("!"),  # "position!": a position that must be given
                    "schema": _QUERY_KINDS[kind.removesuffix("!")],
                }
                for name, kind in endpoint.query
            ]
            if parameters:
                operation["parameters"] = parameters
            if Role.PUBLIC not in endpoint.roles:
                operation["security"] = [{"bearer": []}]
            if endpoint.request_model is not None and endpoint.request_model is not Empty:
                ref = refs[(endpoint.request_model, "validation")]
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                }
            paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


#: The schema of each kind of query parameter an endpoint declares.
_QUERY_KINDS: Final[dict[str, dict[str, Any]]] = {
    "integer": {"type": "integer"},
    # A log position: what ``position_parameter`` accepts (JSON's exact-integer range).
    "position": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
}

#: One Server-Sent Event as a live feed sends it (the ``data`` is a JSON text).
_SSE_EVENT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}

#: A JSON value the log can hold (``events.canonical``): no floats, integers within
#: ±(2^53 - 1), strings and keys within the Basic Multilingual Plane (no surrogates).
#: Request bodies that carry free JSON (a ballot, a key-ceremony message) refer to it.
_BMP_TEXT: Final = "^[\\u0000-\\ud7ff\\ue000-\\uffff]*$"
_JSON_VALUE_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [
        {"type": "string", "pattern": _BMP_TEXT},
        {"type": "integer", "minimum": -(2**53 - 1), "maximum": 2**53 - 1},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
        {
            "type": "object",
            "propertyNames": {"pattern": _BMP_TEXT},
            "additionalProperties": {"$ref": "#/components/schemas/JsonValue"},
        },
    ]
}

_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem document; `type` is stable per `code`.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _responses(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses: dict[str, Any] = {}
    if endpoint.response_model is not None:
        ref = refs[(endpoint.response_model, "validation")]
        responses[str(endpoint.status)] = {
            "description": endpoint.summary,
            "content": {endpoint.content_type: {"schema": ref}},
        }
    else:
        body = (
            _SSE_EVENT_SCHEMA
            if endpoint.content_type == "text/event-stream"
            else {"type": "string"}
        )
        responses[str(endpoint.status)] = {
            "description": endpoint.summary,
            "content": {endpoint.content_type: {"schema": body}},
        }
    # Every operation can meet input it refuses and a database that is down; one with path
    # parameters can name no resource, and one of a session meet a log moved back.
    codes = {"validation_error", "database_unavailable", *endpoint.problems}
    if _path_params(endpoint.path):
        codes.add("not_found")
    if "{sid}" in endpoint.path:
        codes.add("log_rewound")  # a session whose log was moved back is served no more
    if endpoint.request_model is not None and endpoint.request_model is not Empty:
        codes |= {"bad_request", "unsupported_media_type", "payload_too_large"}
    if Role.PUBLIC not in endpoint.roles:
        codes |= {"unauthorized", "forbidden"}
    statuses: dict[int, list[str]] = {}
    for code in sorted(codes):
        status = API_CODES[code][0] if code in API_CODES else Problem(code, "").status
        statuses.setdefault(status, []).append(code)
    for status, group in sorted(statuses.items()):
        responses[str(status)] = {
            "description": "Problem: " + ", ".join(f"`{PROBLEM_BASE}{c}`" for c in group),
            "content": problem,
        }
    return responses


#: The deepest JSON a request body may nest (a ballot, the deepest body, nests 4 levels).
MAX_JSON_DEPTH: Final = 32
#: What a path parameter may hold: identifiers, numbers, tracking codes, problem codes. Any
#: other text (a NUL, a control, a 1 MB string) names no resource and never reaches the store.
_PATH_PARAMETER: Final = re.compile(r"[A-Za-z0-9._:~-]{1,128}")


def json_depth(value: object) -> int:
    """How deeply ``value`` (parsed JSON) nests arrays and objects (iteratively)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:  # no need to walk further down than the limit
                stack.extend((child, depth + 1) for child in item)
    return deepest


def _adapt(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        for value in request.match_info.values():
            if not _PATH_PARAMETER.fullmatch(value):
                raise Problem("not_found", "no resource at this path")
        principal = await request.app[AUTHENTICATE](request)
        if principal.role not in endpoint.roles and Role.PUBLIC not in endpoint.roles:
            if principal.role is Role.PUBLIC:
                raise Problem("unauthorized", "send the bearer token of a role allowed here")
            raise Problem(
                "forbidden", f"a {principal.role.value} may not {endpoint.summary.lower()}"
            )
        session_id = request.match_info.get("sid")
        if (
            principal.role in (Role.DELEGATION, Role.TELLER)
            and Role.PUBLIC not in endpoint.roles
            and session_id is not None
            and principal.session_id != session_id
        ):
            # A participant's token is good in its own session only.
            raise Problem("forbidden", "this token belongs to another session")
        body: BaseModel = Empty()
        if endpoint.request_model is not None and endpoint.request_model is not Empty:
            body = await _parse_body(request, endpoint.request_model)
        result = await endpoint.handler(Call(request, principal, body))
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(
            result.model_dump(mode="json", by_alias=True), status=endpoint.status
        )

    handle.__name__ = endpoint.operation_id
    return handle


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise Problem("payload_too_large", f"at most {MAX_BODY_BYTES} bytes")
    if request.content_type != "application/json":
        raise Problem("unsupported_media_type", f"got {request.content_type or 'no type'}")
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise Problem("payload_too_large", f"at most {MAX_BODY_BYTES} bytes")
    integral: list[bool] = []

    def number(text: str) -> int | float:
        # JSON Schema counts 3.0 as an integer: read it as one (strict validation would
        # refuse it for an integer field), and every other number as the float it is.
        value = float(text)
        if value.is_integer() and abs(value) <= 2**53:
            integral.append(True)
            return int(value)
        return value

    try:
        data = json.loads(raw, parse_float=number)
    except RecursionError:
        raise Problem("bad_request", f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise Problem("bad_request", f"invalid JSON: {exc}") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        # Refused before any (recursive) validator sees it: no request may exhaust the stack.
        raise Problem("bad_request", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        # Strict, in JSON mode: no ``true`` for an integer, no ``"3"`` for 3 — what the
        # OpenAPI document declares is exactly what is accepted.
        return model.model_validate_json(json.dumps(data) if integral else raw, strict=True)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise Problem(
            "validation_error", f"{len(errors)} invalid field(s)", extra={"errors": errors}
        ) from None

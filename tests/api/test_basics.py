"""Basic behaviour of the HTTP API: OpenAPI, problems, auth, the secretariat's first steps."""

from __future__ import annotations

import base64

from aiohttp import web

from ballot.api.auth import Authenticator, SecretariatToken
from ballot.api.routes import api as api_routes
from crypto.signing import SigningKey
from tests.api.conftest import SECRETARIAT_TOKEN, Api


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_openapi_is_generated_from_the_models(api: Api) -> None:
    status, doc = await api.call("GET", "/api/v1/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.1")
    cast = doc["paths"]["/api/v1/sessions/{sid}/rounds/{n}/ballots"]["post"]
    assert cast["x-roles"] == ["delegation"]
    assert "BallotRequest" in doc["components"]["schemas"]
    assert "422" in cast["responses"]


async def test_errors_are_problem_documents(api: Api) -> None:
    status, problem = await api.call("GET", "/api/v1/sessions/nope")
    assert status == 404
    assert problem["type"] == "/api/v1/problems/not_found"
    response = await api.client.post(
        "/api/v1/sessions",
        data=b"{",
        headers={
            "Authorization": f"Bearer {SECRETARIAT_TOKEN}",
            "Content-Type": "application/json",
        },
    )
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    assert (await response.json(content_type=None))["code"] == "bad_request"
    status, problem = await api.call(
        "POST", "/api/v1/sessions", {"title": ""}, token=SECRETARIAT_TOKEN
    )
    assert status == 422
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["loc"] == ["title"]


async def test_roles_are_enforced_and_refusals_change_nothing(api: Api) -> None:
    status, problem = await api.call("POST", "/api/v1/sessions", {"title": "Council"})
    assert (status, problem["code"]) == (401, "unauthorized")
    status, problem = await api.call(
        "POST", "/api/v1/sessions", {"title": "Council"}, token="wrong"
    )
    assert (status, problem["code"]) == (401, "unauthorized")
    assert await api.store.logs() == []


async def test_convene_register_credentials_enroll(api: Api) -> None:
    created = await api.sec(
        "POST", "/api/v1/sessions", {"title": "IOM Council", "session_id": "iom"}
    )
    assert created["session_id"] == "iom"
    await api.sec("POST", "/api/v1/sessions/iom/members", {"member_id": "PRT", "name": "Portugal"})
    status, problem = await api.call(
        "POST",
        "/api/v1/sessions/iom/members",
        {"member_id": "PRT", "name": "Portugal"},
        token=SECRETARIAT_TOKEN,
    )
    assert (status, problem["code"]) == (409, "duplicate_id")
    code = await api.sec("POST", "/api/v1/sessions/iom/members/PRT/credentials")
    assert code["subject"] == "PRT"
    key = SigningKey.generate()
    status, enrolled = await api.call(
        "POST",
        "/api/v1/sessions/iom/enrollment",
        {
            "code": code["code"].lower().replace("-", " "),
            "public_key": b64(key.public_key().encode()),
        },
    )
    assert status == 201, enrolled
    assert enrolled["subject"] == "PRT"
    token = enrolled["token"]
    status, me = await api.call("GET", "/api/v1/sessions/iom/me", token=token)
    assert (status, me["subject"], me["role"]) == (200, "PRT", "delegation")
    # A delegation may not act as the secretariat.
    status, problem = await api.call(
        "PUT", "/api/v1/sessions/iom/members/PRT/presence", {"present": True}, token=token
    )
    assert (status, problem["code"]) == (403, "forbidden")
    # Re-issued credentials revoke the enrolled key, and with it the token.
    await api.sec("POST", "/api/v1/sessions/iom/members/PRT/credentials")
    status, problem = await api.call("GET", "/api/v1/sessions/iom/me", token=token)
    assert (status, problem["code"]) == (401, "unauthorized")
    # The log holds no token or code.
    export = (await api.client.get("/api/v1/sessions/iom/events")).content
    text = (await export.read()).decode()
    assert token not in text
    assert code["code"] not in text
    assert len(text.splitlines()) == 5


async def test_security_headers(api: Api) -> None:
    response = await api.client.get("/api/v1/sessions")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_api_answers_are_never_cached_and_pages_always_revalidated(api: Api) -> None:
    # After an upgrade no browser may run cached modules against the new API.
    assert (await api.client.get("/api/v1/sessions")).headers["Cache-Control"] == "no-store"
    for path in ("/", "/delegation", "/static/js/board.js", "/static/css/ballot.css"):
        response = await api.client.get(path)
        assert response.status == 200, path
        assert response.headers["Cache-Control"] == "no-cache", path


async def test_a_code_of_the_other_kind_is_refused_unused(api: Api) -> None:
    await api.sec("POST", "/api/v1/sessions", {"title": "Council", "session_id": "c2"})
    await api.sec("POST", "/api/v1/sessions/c2/members", {"member_id": "PRT", "name": "Portugal"})
    code = (await api.sec("POST", "/api/v1/sessions/c2/members/PRT/credentials"))["code"]
    key = b64(SigningKey.generate().public_key().encode())
    status, problem = await api.call(
        "POST",
        "/api/v1/sessions/c2/enrollment",
        {"code": code, "public_key": key, "role": "teller"},
    )
    assert (status, problem["code"]) == (409, "enrollment_role_mismatch")
    status, enrolled = await api.call(
        "POST",
        "/api/v1/sessions/c2/enrollment",
        {"code": code, "public_key": key, "role": "delegation"},
    )
    assert (status, enrolled["subject"]) == (201, "PRT")


def test_casting_is_the_first_route_tried_under_its_prefix() -> None:
    # Every session route shares aiohttp's "/api/v1/sessions" bucket, tried in the order
    # the routes were added.
    app = web.Application()
    api_routes.install(app, Authenticator(SecretariatToken(b""), None, None))  # type: ignore[arg-type]
    first = next(iter(app.router.resources()))
    assert first.canonical == "/api/v1/sessions/{sid}/rounds/{n}/ballots"
    assert [route.method for route in first] == ["POST"]

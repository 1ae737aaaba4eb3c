"""Every endpoint × every role: allowed roles get through, others get 401/403 and change nothing."""

from __future__ import annotations

from ballot.api.routes import api as declared
from ballot.api.routing import Role
from tests.api.conftest import SECRETARIAT_TOKEN, Api
from tests.api.flows import setup_session

PARAMS = {"sid": "council", "n": "1", "mid": "M005", "cid": "A", "code": "ABCD-EFGH"}


def concrete(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace("{" + name + "}", value)
    return path


async def test_every_endpoint_and_role(api: Api) -> None:
    session = await setup_session(api, 5)
    other = await setup_session(api, 3, session_id="other", seed=b"other")
    await session.sec.open_round()
    tokens: dict[str, tuple[Role, str | None]] = {
        "public": (Role.PUBLIC, None),
        "secretariat": (Role.SECRETARIAT, SECRETARIAT_TOKEN),
        "delegation": (Role.DELEGATION, session.delegations["M001"].client.token),
        "teller": (Role.TELLER, session.tellers[0].client.token),
        "foreign delegation": (Role.DELEGATION, other.delegations["M001"].client.token),
        "foreign teller": (Role.TELLER, other.tellers[0].client.token),
    }
    checked = 0
    for endpoint in declared.endpoints:
        if endpoint.path.endswith("/feed"):
            continue  # a stream: covered by the feed tests
        path = concrete(endpoint.path)
        for name, (role, token) in tokens.items():
            before = [(await session.sec.info())["position"], (await other.sec.info())["position"]]
            status, body = await api.call(
                endpoint.method, path, {} if endpoint.method != "GET" else None, token=token
            )
            allowed = Role.PUBLIC in endpoint.roles or role in endpoint.roles
            foreign = (
                name.startswith("foreign")
                and "{sid}" in endpoint.path
                and Role.PUBLIC not in endpoint.roles
            )
            if not allowed or foreign:
                expected = 401 if role is Role.PUBLIC else 403
                assert status == expected, (endpoint.method, endpoint.path, name, status, body)
                assert body["type"].endswith("unauthorized" if expected == 401 else "forbidden")
                after = [
                    (await session.sec.info())["position"],
                    (await other.sec.info())["position"],
                ]
                assert after == before, (endpoint.method, endpoint.path, name)
            else:
                assert status not in (401, 403), (
                    endpoint.method,
                    endpoint.path,
                    name,
                    status,
                    body,
                )
            checked += 1
    assert checked >= 6 * 30

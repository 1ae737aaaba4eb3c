"""The API contract, checked by schemathesis against the OpenAPI document the server serves,
as every caller: no token, the secretariat, a delegation and a teller (issue 14).

The server runs on the embedded PostgreSQL in a thread of its own, with a session in
progress (round 1 open), so that generated requests reach real resources. Examples are
bounded and derandomized: the same requests every run.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis.errors import Unsatisfiable
from pydantic import ValidationError
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.result import Err

from ballot.domain import SessionSettings
from ballot.domain.values import b64decode
from crypto.signing import InvalidKey, VerifyKey
from tests.api.conftest import SECRETARIAT_TOKEN, drop_schema, serving
from tests.api.flows import setup_session


@dataclass
class Served:
    url: str
    tokens: dict[str, str | None]
    session_id: str


def _serve(dsn: str, schema: str, ready: list[Served], stop: threading.Event) -> None:
    async def main() -> None:
        async with serving(dsn, schema) as api:
            session = await setup_session(api, 5, ("A", "B"), session_id="council")
            await session.sec.open_round()
            delegation = next(iter(session.delegations.values()))
            ready.append(
                Served(
                    str(api.client.make_url("")).rstrip("/"),
                    {
                        "public": None,
                        "secretariat": SECRETARIAT_TOKEN,
                        "delegation": delegation.client.token,
                        "teller": session.tellers[0].client.token,
                    },
                    session.session_id,
                )
            )
            await asyncio.get_running_loop().run_in_executor(None, stop.wait)

    asyncio.run(main())


@pytest.fixture(scope="module")
def served(pg_dsn: str) -> Iterator[Served]:
    ready: list[Served] = []
    stop = threading.Event()
    schema = f"contract_{uuid.uuid4().hex[:12]}"
    thread = threading.Thread(target=_serve, args=(pg_dsn, schema, ready, stop), daemon=True)
    thread.start()
    for _ in range(600):
        if ready or not thread.is_alive():
            break
        threading.Event().wait(0.1)
    assert ready, "the contract server did not start"
    yield ready[0]
    stop.set()
    thread.join(timeout=30)
    asyncio.run(drop_schema(pg_dsn, schema))


def _expressible(case: Any) -> bool:
    """Whether a generated request keeps the rules that JSON Schema cannot state: a session's
    settings relate fields to one another (``SessionSettings``'s own cross-field check, which
    the document says in words)."""
    body = case.body if isinstance(case.body, dict) else {}
    if case.operation.path.endswith("/witnesses") and isinstance(body.get("public_key"), str):
        # The document says it in words: a key is a point of Ed25519's prime-order subgroup,
        # which no pattern can state.
        try:
            VerifyKey.decode(b64decode(body["public_key"]))
        except (InvalidKey, ValueError):
            return False
    settings_ = body.get("settings")
    if case.operation.path != "/api/v1/sessions" or not isinstance(settings_, dict):
        return True
    try:
        SessionSettings.model_validate(settings_)
    except ValidationError as exc:
        # Refused by the fields' own constraints (stated in the document): expressible. Only
        # a refusal of the whole model (loc ()) is one that no schema could have foreseen.
        return any(error["loc"] for error in exc.errors())
    return True


load_all_checks()
#: Every check schemathesis has: documented status codes, response schemas and headers,
#: content types, negative data rejected, valid data accepted, ``Allow`` on 405, no 5xx, …
EVERY_CHECK: list[Any] = list(CHECKS.get_all())

#: Generated requests per operation and mode (positive, negative), per caller.
EXAMPLES = 6


def _examples(strategy: Any, check: Callable[[Any], None]) -> Callable[[], None]:
    """``check`` of ``EXAMPLES`` requests drawn from ``strategy``, the same ones every run."""

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        check(case)

    return run


def _run_contract(served: Served, role: str) -> tuple[int, list[str]]:
    """Every operation, with valid and invalid data, as ``role``: (requests, failures)."""
    schema = schemathesis.openapi.from_url(f"{served.url}/api/v1/openapi.json")
    token = served.tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    sent = 0
    failures: list[str] = []

    def send(case: Any, positive: bool) -> None:
        nonlocal sent
        if positive and not _expressible(case):
            reject()
        sent += 1
        case.call_and_validate(base_url=served.url, headers=headers, checks=EVERY_CHECK)

    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation of the document cannot be tested: {result.err()}")
            continue
        operation = result.ok()
        if operation.path.endswith("/feed"):
            continue  # a stream that never ends: its events are checked by the feed's tests
        fixed = {"sid": served.session_id} if "{sid}" in operation.path else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
            positive = mode is GenerationMode.POSITIVE
            try:
                _examples(strategy, functools.partial(send, positive=positive))()
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, or all fixed)
            except (Exception, BaseExceptionGroup) as failure:  # one report for them all
                failures.append(f"{operation.label} [{mode.value}]: {failure}"[:2000])
    return sent, failures


@pytest.mark.parametrize("role", ["public", "secretariat", "delegation", "teller"])
def test_the_server_keeps_its_contract(served: Served, role: str) -> None:
    sent, failures = _run_contract(served, role)
    print(f"schemathesis as {role}: {sent} requests, {len(failures)} failures")
    assert sent > 0
    assert not failures, "\n\n".join(failures)

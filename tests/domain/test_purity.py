"""The domain is pure: no I/O, no clock, no randomness; its values pickle (process pools)."""

from __future__ import annotations

import ast
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import ballot.domain as domain
from ballot.domain import (
    Refusal,
    cast_proof_job,
    check_cast_proof_job,
    crypto_port,
    decide,
    replay,
    verify_cast_proofs,
)
from tests.domain.domain_kit import Kit

DOMAIN_DIR = Path(domain.__file__).parent
FORBIDDEN_MODULES = {
    "asyncio", "asyncpg", "os", "random", "secrets", "socket", "subprocess", "threading",
    "time", "uuid", "aiohttp", "events", "logging", "pathlib", "io",
}  # fmt: skip
FORBIDDEN_CALLS = {"now", "utcnow", "today", "random", "token_bytes", "urandom"}


@pytest.mark.parametrize("path", sorted(DOMAIN_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_io_clock_or_randomness(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(node.module or "").split(".")[0]]
        else:
            names = []
        assert not set(names) & FORBIDDEN_MODULES, (path.name, names)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in FORBIDDEN_CALLS, (path.name, node.func.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"open", "print", "input"}, (path.name, node.func.id)


def test_state_pickles_and_decide_is_deterministic() -> None:
    kit = Kit()
    ids = kit.setup(6, ["A", "B"])
    kit.open_round()
    kit.vote({ids[0]: "A", ids[1]: "B"})
    state = kit.state
    copy = pickle.loads(pickle.dumps(state))
    assert copy == state
    command = kit.ballot(ids[2], "A")
    assert decide(state, command) == decide(copy, command) == decide(state, command)
    assert replay(kit.events) == state


def test_proof_check_runs_in_a_process_pool() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    good = kit.ballot(ids[0], "A")
    stolen = good.model_copy(update={"delegation_id": ids[1]})
    jobs = [cast_proof_job(kit.state, good), cast_proof_job(kit.state, stolen)]
    with ProcessPoolExecutor(max_workers=1) as pool:
        futures = [pool.submit(check_cast_proof_job, job) for job in jobs]
        # The worker hands back the ballot it decoded and verified (it crosses processes).
        decoded = futures[0].result()
        assert decoded == crypto_port.parse_ballot(good.ballot, len(jobs[0].context.options))
        with pytest.raises(Refusal) as info:
            futures[1].result()
    assert info.value.code == "invalid_ballot"
    verify_cast_proofs(kit.state, good)

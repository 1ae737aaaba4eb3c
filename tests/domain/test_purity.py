"""The domain is pure: no I/O, no clock, no randomness; its values pickle (process pools)."""

from __future__ import annotations

import ast
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import ballot.domain as domain
from ballot.domain import (
    CheckedCast,
    Refusal,
    VerifiedCast,
    cast_check,
    check_casts,
    crypto_port,
    decide,
    replay,
    verified_cast,
    verify_cast,
)
from tests.domain.domain_kit import Kit

DOMAIN_DIR = Path(domain.__file__).parent
FORBIDDEN_MODULES = {
    "asyncio", "asyncpg", "os", "random", "secrets", "socket", "subprocess", "threading",
    "time", "uuid", "aiohttp", "events", "logging", "pathlib", "io",
}  # fmt: skip
FORBIDDEN_CALLS = {"now", "utcnow", "today", "random", "token_bytes", "urandom"}


@pytest.mark.parametrize(
    "path", sorted(DOMAIN_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN_DIR))
)
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
    command = verify_cast(state, kit.ballot(ids[2], "A"))
    assert decide(state, command) == decide(copy, command) == decide(state, command)
    assert replay(kit.events) == state


def test_cast_checks_run_in_a_process_pool() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    good = kit.ballot(ids[0], "A")
    stolen = good.model_copy(update={"delegation_id": ids[1]})
    (check, key), (stolen_check, _) = cast_check(kit.state, good), cast_check(kit.state, stolen)
    with ProcessPoolExecutor(max_workers=1) as pool:
        answers = pool.submit(check_casts, [check, stolen_check]).result()
    # The worker hands back the ballot it decoded and verified (it crosses processes).
    checked, refused = answers
    assert isinstance(checked, CheckedCast) and checked.signature_valid
    assert checked.ballot == crypto_port.parse_ballot(good.ballot, len(check.context.options))
    assert isinstance(refused, Refusal) and refused.code == "invalid_ballot"
    assert decide(kit.state, verified_cast(good, check, key, checked)) == decide(
        kit.state, verify_cast(kit.state, good)
    )


def test_a_cast_is_decided_only_as_its_verification() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    command = kit.ballot(ids[0], "A")
    with pytest.raises(TypeError, match="verify"):
        decide(kit.state, command)
    verified = verify_cast(kit.state, command)
    check, key = cast_check(kit.state, command)
    with pytest.raises(TypeError):  # only the verification module makes one
        VerifiedCast(object(), command, check.context, verified_checked(verified), key)
    with pytest.raises(AttributeError):  # and it cannot be changed afterwards
        verified.signature_valid = False
    with pytest.raises(TypeError):  # nor does it travel: a receiver checks again
        pickle.dumps(verified)


def test_a_verification_for_another_context_is_not_taken_on_trust() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    mine = kit.ballot(ids[0], "A")
    theirs = kit.ballot(ids[1], "A")
    # The worker's answer for another delegation's ballot, sealed for mine: decide checks
    # the context it was verified in and, as it differs, verifies my ballot itself.
    check, key = cast_check(kit.state, theirs)
    answer = check_casts([check])[0]
    assert isinstance(answer, CheckedCast)
    sealed = verified_cast(mine, check, key, answer)
    (event,) = decide(kit.state, sealed)
    assert event == decide(kit.state, verify_cast(kit.state, mine))[0]


def verified_checked(verified: VerifiedCast) -> CheckedCast:
    """The worker answer a verification was sealed from."""
    return CheckedCast(verified.ballot, verified.tracking_hash, verified.signature_valid)

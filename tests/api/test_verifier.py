"""The server's batched cast-ballot checks: right verdict per ballot, whatever the batching."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable

import pytest

from ballot.api.verifier import CastVerifier
from ballot.api.workers import WorkerDied, WorkerPool
from ballot.domain import (
    CastBallot,
    CastCheck,
    CheckedCast,
    Refusal,
    cast_check,
    crypto_port,
    decide,
    verified_cast,
)
from tests.domain.domain_kit import Kit


def _cast_check(kit: Kit, command: CastBallot) -> CastCheck:
    """What the API hands the verifier for ``command``."""
    return cast_check(kit.state, command)[0]


async def test_a_burst_goes_in_few_chunks_and_each_ballot_gets_its_own_verdict() -> None:
    kit = Kit()
    ids = kit.setup(40, ["A", "B"])
    kit.open_round()
    good = [kit.ballot(m, "A") for m in ids[:36]]
    stolen = good[0].model_copy(update={"delegation_id": ids[36]})  # proofs bound to ids[0]
    bad_signature = kit.ballot(ids[37], "B").model_copy(update={"signature": bytes(64)})
    commands: list[CastBallot] = [*good, stolen, bad_signature]
    pool = WorkerPool(2, preload=["ballot.api.verifier"])
    try:
        verifier = CastVerifier(pool, max_chunk=8, queue_per_worker=2)
        outcomes = await asyncio.gather(
            *(verifier.check(_cast_check(kit, c)) for c in commands),
            return_exceptions=True,
        )
    finally:
        pool.close()
    assert verifier.ballots == len(commands)
    assert verifier.chunks < len(commands) / 2  # batched: 4 went alone (2 per worker), then 8s
    for outcome in outcomes[:36]:
        assert isinstance(outcome, CheckedCast) and outcome.signature_valid
    refused = outcomes[36]
    assert isinstance(refused, Refusal) and refused.code == "invalid_ballot"
    unsigned = outcomes[37]
    assert isinstance(unsigned, CheckedCast) and not unsigned.signature_valid
    # The worker's verdict is the rules' to act on: a ballot whose signature failed in the
    # worker is refused by decide, with the rules' own code, after the rules' own checks.
    check, key = cast_check(kit.state, bad_signature)
    with pytest.raises(Refusal) as info:
        decide(kit.state, verified_cast(bad_signature, check, key, unsigned))
    assert info.value.code == "invalid_signature"


def test_a_verdict_holds_only_for_the_key_it_was_made_under() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    command = kit.ballot(ids[0], "A")
    check, key = cast_check(kit.state, command)
    checked = CheckedCast(
        crypto_port.parse_ballot(command.ballot, 3), b"\x00" * 32, signature_valid=True
    )
    # A verdict under another key (the delegation re-enrolled since) is not taken: the rules
    # verify the signature under the key enrolled now, and this forged one fails.
    forged = command.model_copy(update={"signature": bytes(32) + command.signature[32:]})
    other_key = bytes(a ^ b for a, b in zip(key, b"\x01" * 32, strict=True))
    with pytest.raises(Refusal) as info:
        decide(kit.state, verified_cast(forged, check, other_key, checked))
    assert info.value.code == "invalid_signature"


def test_decoded_ballots_pickle_to_equal_values() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    command = kit.ballot(ids[0], "B")
    ballot = crypto_port.parse_ballot(command.ballot, 3)
    assert pickle.loads(pickle.dumps(ballot)) == ballot


class _NoWorkers:
    """A pool that cannot run anything (closed, or out of processes)."""

    size = 1

    def submit(
        self,
        function: Callable[[list[CastCheck]], list[CheckedCast | Refusal]],
        argument: list[CastCheck],
        *,
        weight: int = 1,
    ) -> asyncio.Future[list[CheckedCast | Refusal]]:
        raise WorkerDied("no worker")


async def test_a_chunk_that_cannot_be_sent_fails_its_ballots_and_frees_its_slot() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    commands = [kit.ballot(m, "A") for m in ids[:3]]
    verifier = CastVerifier(_NoWorkers())
    for _ in range(2):  # a second round of calls must not hang on leaked slots
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(verifier.check(_cast_check(kit, c)) for c in commands),
                return_exceptions=True,
            ),
            10,
        )
        assert all(isinstance(o, WorkerDied) for o in outcomes)


class _HeldWorkers:
    """A pool whose calls finish only when the test says so (in the order they were sent)."""

    size = 2

    def __init__(self) -> None:
        self.sent: list[tuple[list[CastCheck], asyncio.Future[list[CheckedCast | Refusal]]]] = []

    def submit(
        self,
        function: Callable[[list[CastCheck]], list[CheckedCast | Refusal]],
        argument: list[CastCheck],
        *,
        weight: int = 1,
    ) -> asyncio.Future[list[CheckedCast | Refusal]]:
        assert weight == len(argument) > 0
        future: asyncio.Future[list[CheckedCast | Refusal]] = (
            asyncio.get_running_loop().create_future()
        )
        self.sent.append((argument, future))
        return future


async def test_full_chunks_while_many_wait_and_smaller_ones_as_the_queue_drains() -> None:
    kit = Kit()
    ids = kit.setup(40, ["A", "B"])
    kit.open_round()
    check = _cast_check(kit, kit.ballot(ids[0], "A"))
    pool = _HeldWorkers()
    verifier = CastVerifier(pool, max_chunk=8, queue_per_worker=4)
    casts = [asyncio.create_task(verifier.check(check)) for _ in range(40)]
    await asyncio.sleep(0)
    answered = 0
    async with asyncio.timeout(10):
        while any(not cast.done() for cast in casts):
            if answered < len(pool.sent):  # each chunk's verdict, in the order sent
                pool.sent[answered][1].set_exception(WorkerDied("held"))
                answered += 1
            await asyncio.sleep(0)
    assert all(isinstance(cast.exception(), WorkerDied) for cast in casts)
    sizes = [len(chunk) for chunk, _ in pool.sent]
    assert sum(sizes) == 40
    # Alone while the workers have little to do, then full, then shrinking to the last.
    assert sizes[:4] == [1, 1, 1, 1]
    assert max(sizes) == 8
    assert sizes[-1] == 1 and sizes[-2] <= 2
    assert sizes.index(8) < len(sizes) - 3

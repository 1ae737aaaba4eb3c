"""The server's batched cast-ballot checks: right verdict per ballot, whatever the batching."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable

import pytest

from ballot.api.verifier import CastCheck, CastVerifier, Checked
from ballot.api.workers import WorkerDied, WorkerPool
from ballot.domain import CastBallot, Refusal, cast_proof_job, crypto_port, decide
from crypto.signing import VerifyKey
from tests.domain.domain_kit import Kit


def _key(kit: Kit, member: str) -> VerifyKey:
    public_key = kit.state.members[member].public_key
    assert public_key is not None
    return crypto_port.verify_key(public_key)


def _cast_check(kit: Kit, command: CastBallot) -> CastCheck:
    """What the API hands the verifier for ``command``."""
    return CastCheck(
        cast_proof_job(kit.state, command).context,
        crypto_port.ballot_text(command.ballot),
        _key(kit, command.delegation_id),
        command.signature,
    )


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
        assert isinstance(outcome, Checked) and outcome.signature_valid
    refused = outcomes[36]
    assert isinstance(refused, Refusal) and refused.code == "invalid_ballot"
    unsigned = outcomes[37]
    assert isinstance(unsigned, Checked) and not unsigned.signature_valid
    # The worker's verdicts change nothing the rules decide: a ballot whose signature failed
    # in the worker is still refused by decide itself, with the rules' own code.
    with pytest.raises(Refusal) as info:
        decide(kit.state, bad_signature)
    assert info.value.code == "invalid_signature"


def test_remembered_signature_is_exactly_the_one_verified() -> None:
    kit = Kit()
    ids = kit.setup(5, ["A", "B"])
    kit.open_round()
    command = kit.ballot(ids[0], "A")
    job = cast_proof_job(kit.state, command)
    ballot = crypto_port.parse_ballot(command.ballot, len(job.context.options))
    public_key = kit.state.members[ids[0]].public_key
    assert public_key is not None
    crypto_port.remember_valid_signature(public_key, job.context, ballot, command.signature)
    assert decide(kit.state, command)  # accepted
    # Another signature over the same ballot is not covered by what was remembered.
    forged = command.model_copy(update={"signature": bytes(32) + command.signature[32:]})
    with pytest.raises(Refusal) as info:
        decide(kit.state, forged)
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
        function: Callable[[list[CastCheck]], list[Checked | Refusal]],
        argument: list[CastCheck],
        *,
        weight: int = 1,
    ) -> asyncio.Future[list[Checked | Refusal]]:
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
        self.sent: list[tuple[list[CastCheck], asyncio.Future[list[Checked | Refusal]]]] = []

    def submit(
        self,
        function: Callable[[list[CastCheck]], list[Checked | Refusal]],
        argument: list[CastCheck],
        *,
        weight: int = 1,
    ) -> asyncio.Future[list[Checked | Refusal]]:
        assert weight == len(argument) > 0
        future: asyncio.Future[list[Checked | Refusal]] = asyncio.get_running_loop().create_future()
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

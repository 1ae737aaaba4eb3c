"""Casting and tallying over HTTP: refusals, races, idempotency, tellers (real PostgreSQL)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from ballot.client import ApiProblem
from ballot.domain.values import b64decode, b64encode
from ballot.ledger import Checkpoint, CheckpointError, verify_receipt
from ballot.simulation import DelegationAgent, Entropy
from events.exchange import record_from_line
from tests.api.conftest import Api
from tests.api.flows import HttpSession, setup_session


async def log_size(session: HttpSession) -> int:
    return int((await session.sec.info())["position"])


async def refused(session: HttpSession, member: str, number: int, body: dict[str, Any]) -> str:
    client = session.delegations[member].client
    with pytest.raises(ApiProblem) as info:
        await client.cast(number, body["ballot"], body["signature"])
    return info.value.code


async def test_175_delegations_to_an_election(api: Api) -> None:
    session = await setup_session(api, 175, absent=6, arrears=4)
    present_voting = [f"M{i:03d}" for i in range(5, 170)]  # 165 eligible
    results = []
    plans = [
        {"A": 90, "B": 50, "C": 25},
        {"A": 95, "B": 48, "C": 22},
        {"A": 100, "B": 45, "C": 20},  # third inconclusive round: C is eliminated
        {"A": 110, "B": 55},  # 110 of 165 valid: exactly two thirds
    ]
    for number, plan in enumerate(plans, start=1):
        opened = await session.sec.open_round()
        assert opened["eligible"] == 165
        voters = iter(present_voting)
        choices = {next(voters): option for option, n in plan.items() for _ in range(n)}
        await session.vote(number, choices)
        board = await session.close_and_tally(number)
        results.append(board["rounds"][-1])
    assert [r["decision"] for r in results] == [
        "inconclusive",
        "inconclusive",
        "eliminated",
        "elected",
    ]
    assert results[2]["eliminated"] == "C"
    assert (results[3]["valid"], results[3]["required"]) == (165, 110)
    assert board["outcome"]["candidate_id"] == "A"
    turnout = await session.sec.turnout(4)
    assert turnout["turnout"]["deposited"] == 165
    # A delegation that lost its vote for arrears is not on the roll.
    ballot = await session.delegations["M005"].ballot_for(4, "A")
    assert ballot  # the round is tallied now: any cast is refused
    with pytest.raises(ApiProblem) as info:
        await session.delegations["M001"].cast(ballot)
    assert info.value.code in {"round_not_open", "already_elected"}


async def test_bad_ballots_are_refused_with_their_problem_types(api: Api) -> None:
    session = await setup_session(api, 9)
    await session.sec.open_round()
    good = (await session.delegations["M001"].ballot_for(1, "A")).to_json()
    before = await log_size(session)

    malformed = copy.deepcopy(good)
    malformed["ballot"]["ciphertexts"] = malformed["ballot"]["ciphertexts"][:-1]
    assert await refused(session, "M001", 1, malformed) == "malformed_ballot"

    tampered = copy.deepcopy(good)
    first = tampered["ballot"]["ciphertexts"][0]
    first["beta"], second_beta = tampered["ballot"]["ciphertexts"][1]["beta"], first["beta"]
    tampered["ballot"]["ciphertexts"][1]["beta"] = second_beta
    assert await refused(session, "M001", 1, tampered) in {"invalid_ballot", "malformed_ballot"}

    # Another delegation replaying M001's ballot (its proofs are bound to M001).
    assert await refused(session, "M002", 1, good) == "invalid_ballot"
    # M001's ballot re-signed is still bound to M001's context.
    forged = dict(good, signature=b64encode(bytes(64)))
    assert await refused(session, "M001", 1, forged) == "invalid_signature"
    # A ballot for a round that is not open.
    with pytest.raises(ApiProblem) as info:
        await session.delegations["M001"].client.cast(2, good["ballot"], good["signature"])
    assert info.value.code == "round_not_open"
    assert await log_size(session) == before  # nothing was appended by any refusal

    receipt = await session.delegations["M001"].client.cast(1, good["ballot"], good["signature"])
    assert receipt["round_number"] == 1
    await session.vote(1, {"M002": "A", "M003": "B", "M004": "B", "M005": "C"})
    board = await session.close_and_tally(1)
    assert board["rounds"][0]["decision"] == "inconclusive"
    # Cross-round replay: M001's round-1 ballot sent again in round 2 is bound to round 1.
    await session.sec.open_round()
    before = await log_size(session)
    assert await refused(session, "M001", 2, good) == "invalid_ballot"
    assert await log_size(session) == before


async def test_retry_is_idempotent_and_a_second_ballot_is_refused(api: Api) -> None:
    session = await setup_session(api, 7)
    await session.sec.open_round()
    delegation = session.delegations["M001"]
    ballot = await delegation.ballot_for(1, "A")
    first = await delegation.cast(ballot)
    again = await delegation.cast(ballot)
    assert again == first
    other = await delegation.ballot_for(1, "B")
    with pytest.raises(ApiProblem) as info:
        await delegation.cast(other)
    assert info.value.code == "already_voted"
    assert (await delegation.client.my_receipt(1))["tracking_code"] == first["tracking_code"]


async def test_two_concurrent_different_ballots_store_exactly_one(api: Api) -> None:
    session = await setup_session(api, 7)
    await session.sec.open_round()
    delegation = session.delegations["M003"]
    ballots = [await delegation.ballot_for(1, option) for option in ("A", "B", "C", "blank")]
    outcomes = await asyncio.gather(*(delegation.cast(b) for b in ballots), return_exceptions=True)
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    refusals = [o for o in outcomes if isinstance(o, ApiProblem)]
    assert len(accepted) == 1
    assert {r.code for r in refusals} == {"already_voted"}
    turnout = await session.sec.turnout(1)
    assert turnout["turnout"]["deposited_by"] == ["M003"]


async def test_a_wrong_share_is_named_and_k_of_n_tellers_suffice(api: Api) -> None:
    session = await setup_session(api, 9)
    await session.sec.open_round()
    await session.vote(1, {f"M00{i}": ("A" if i < 7 else "blank") for i in range(1, 9)})
    await session.sec.close_round(1)
    t1, t2, t3 = session.tellers
    await t1.follower.sync()
    share = t1.agent.decrypt(t1.view, 1).share
    wrong = copy.deepcopy(share)
    wrong["partials"][0], wrong["partials"][1] = wrong["partials"][1], wrong["partials"][0]
    with pytest.raises(ApiProblem) as info:
        await t1.client.post_decryption_share(1, wrong)
    assert info.value.code == "invalid_share"
    assert (info.value.document["teller"], info.value.document["teller_index"]) == ("T1", 1)
    # Teller 2 is absent: tellers 1 and 3 (two of three) are enough.
    assert await t1.decrypt(1)
    assert await t3.decrypt(1)
    board = await session.sec.board()
    assert board["rounds"][0]["votes"] == {"A": 6, "B": 0, "C": 0}
    assert board["rounds"][0]["blank"] == 2
    assert not await t2.decrypt(1)  # a late teller: the round is tallied, nothing to decrypt


async def test_tellers_refuse_a_round_with_too_few_ballots(api: Api) -> None:
    session = await setup_session(api, 9)
    await session.sec.open_round()
    await session.vote(1, {"M001": "A", "M002": "B"})
    await session.sec.close_round(1)
    # Decrypting two ballots would expose how both voted: the close itself voids the round,
    # and every teller refuses to decrypt it.
    assert [await t.decrypt(1) for t in session.tellers] == [False, False, False]
    info = await session.sec.info()
    assert info["session"]["current_round_status"] == "voided"
    reopened = await session.sec.open_round()
    assert (reopened["round_number"], reopened["options"]) == (2, ["A", "B", "C", "blank"])


async def test_enrolling_twice_and_unknown_codes(api: Api) -> None:
    session = await setup_session(api, 5, settings={"tellers": 3, "threshold": 2})
    agent = DelegationAgent.create("M999", Entropy(b"x"))
    with pytest.raises(ApiProblem) as info:
        await session.sec.enroll("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-F", b64encode(agent.public_key))
    assert (info.value.status, info.value.code) == (404, "enrollment_code_unknown")


async def test_aggregate_and_receipt_proofs_are_published(api: Api) -> None:
    session = await setup_session(api, 7)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    with pytest.raises(ApiProblem) as info:
        await session.sec.aggregate(1)
    assert info.value.code == "round_not_closed"
    await session.sec.close_round(1)
    aggregate = await session.sec.aggregate(1)
    lines = [line async for line in session.sec.event_lines()]
    records = [record_from_line(line, i) for i, line in enumerate(lines, start=1)]
    closed = next(r for r in records if r.event_type == "RoundClosed")
    assert aggregate["position"] == closed.position
    assert aggregate["ballot_count"] == 6
    assert aggregate["aggregate"] == closed.payload()["aggregate"]
    # A receipt is found on the board, counted, and provably in a signed checkpoint.
    found = await session.sec.receipt(receipts[2]["tracking_code"])
    assert (found["delegation_id"], found["counted"]) == ("M003", True)
    checkpoint = Checkpoint(
        found["checkpoint"]["position"],
        bytes.fromhex(found["checkpoint"]["head_hash"]),
        bytes.fromhex(found["checkpoint"]["log_root"]),
        b64decode(found["checkpoint"]["signature"]),
    )
    cast = records[found["position"] - 1]
    verify_receipt(
        cast.hash,
        found["position"],
        checkpoint,
        [bytes.fromhex(p) for p in found["inclusion_proof"]],
    )
    with pytest.raises(CheckpointError):
        verify_receipt(
            records[0].hash,
            found["position"],
            checkpoint,
            [bytes.fromhex(p) for p in found["inclusion_proof"]],
        )
    with pytest.raises(ApiProblem) as missing:
        await session.sec.receipt("AAAA-BBBB-CCCC-DDDD")
    assert missing.value.code == "not_found"

"""ballot.ledger: the log tree, signed checkpoints, receipts and their proofs."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.domain import ConveneSession, Refusal, SessionSettings
from ballot.ledger import (
    Checkpoint,
    CheckpointError,
    InclusionWitness,
    LogTree,
    ballot_set_proof,
    consistency_proof,
    log_root,
    make_checkpoint,
    receipt_proof,
    verify_ballot_set_membership,
    verify_checkpoint,
    verify_consistency,
    verify_receipt,
)
from ballot.service import SessionService
from ballot.signer import sign_checkpoint
from crypto import merkle
from crypto.signing import SigningKey
from events import MemoryEventStore
from tests.audit.kit import council, payload, positions

KEY = SigningKey.from_seed(hashlib.sha256(b"checkpoint key").digest())
OTHER = SigningKey.from_seed(hashlib.sha256(b"another key").digest())
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def hashes(n: int) -> list[bytes]:
    """``n`` distinct 32-byte stand-ins for event hashes."""
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def test_a_checkpoint_signs_the_head_and_root_of_a_prefix() -> None:
    log = hashes(9)
    command = make_checkpoint(log, 6, KEY)
    checkpoint = Checkpoint.from_event(command)
    assert (checkpoint.position, checkpoint.head_hash) == (6, log[5])
    assert checkpoint.log_root == merkle.root([merkle.leaf_hash(h) for h in log[:6]])
    verify_checkpoint(checkpoint, KEY.public_key().encode(), log)
    verify_checkpoint(checkpoint, KEY.public_key().encode())  # signature only
    with pytest.raises(CheckpointError) as info:
        verify_checkpoint(checkpoint, OTHER.public_key().encode(), log)
    assert info.value.code == "checkpoint_signature_invalid"
    rewritten = [*log[:3], bytes(32), *log[4:]]
    with pytest.raises(CheckpointError) as info:
        verify_checkpoint(checkpoint, KEY.public_key().encode(), rewritten)
    assert info.value.code == "checkpoint_root_mismatch"
    with pytest.raises(CheckpointError) as info:
        verify_checkpoint(checkpoint, KEY.public_key().encode(), [*log[:5], bytes(32)])
    assert info.value.code == "checkpoint_head_mismatch"
    with pytest.raises(CheckpointError) as info:
        make_checkpoint(log, 10, KEY)
    assert info.value.code == "checkpoint_position_invalid"


def test_the_json_form_round_trips_strictly() -> None:
    checkpoint = Checkpoint.from_event(make_checkpoint(hashes(3), 3, KEY))
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    broken: object
    for broken in (
        {**checkpoint.to_json(), "extra": 1},
        {**checkpoint.to_json(), "position": True},
        {**checkpoint.to_json(), "head_hash": checkpoint.to_json()["head_hash"] + "="},
        {**checkpoint.to_json(), "position": 0},
        [],
    ):
        with pytest.raises(CheckpointError) as info:
            Checkpoint.from_json(broken)
        assert info.value.code == "checkpoint_malformed"


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.data())
def test_receipts_and_consistency_proofs(n: int, data: st.DataObject) -> None:
    log = hashes(n)
    position = data.draw(st.integers(1, n))
    size = data.draw(st.integers(position, n))
    checkpoint = Checkpoint.from_event(make_checkpoint(log, size, KEY))
    proof = receipt_proof(log, position, size)
    verify_receipt(log[position - 1], position, checkpoint, proof)
    with pytest.raises(CheckpointError) as info:
        verify_receipt(bytes(32), position, checkpoint, proof)
    assert info.value.code == "receipt_not_included"
    old = Checkpoint.from_event(make_checkpoint(log, position, KEY))
    verify_consistency(old, checkpoint, consistency_proof(log, position, size))
    if position < size:
        forked = [*log[: position - 1], bytes(32), *log[position:]]
        forged_old = Checkpoint.from_event(make_checkpoint(forked, position, KEY))
        with pytest.raises(CheckpointError) as info:
            verify_consistency(forged_old, checkpoint, consistency_proof(log, position, size))
        assert info.value.code == "checkpoint_inconsistent"


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 70), st.data())
def test_the_streaming_tree_agrees_with_the_whole_tree(n: int, data: st.DataObject) -> None:
    log = hashes(n)
    watched = data.draw(st.integers(0, n - 1))
    window = data.draw(st.integers(0, 8))
    tree = LogTree(window)
    witness: InclusionWitness | None = None
    for i, h in enumerate(log):
        got = tree.append(h, watch=i == watched)
        witness = got if got is not None else witness
    assert witness is not None and witness.covers == n
    leaves = [merkle.leaf_hash(h) for h in log]
    assert tree.root() == merkle.root(leaves) == log_root(log)
    assert tree.head_hash == log[-1]
    for size in range(watched + 1, n + 1):
        assert witness.proof(size) == merkle.inclusion_proof(leaves[:size], watched)
    for position in range(max(1, n - window), n + 1):
        assert tree.root_at(position) == merkle.root(leaves[:position])
        assert tree.hash_at(position) == log[position - 1]
    if n - window - 1 >= 1:
        with pytest.raises(CheckpointError) as info:
            tree.root_at(n - window - 1)
        assert info.value.code == "position_out_of_window"


def test_ballot_set_membership() -> None:
    tracking = hashes(7)
    root = merkle.root([merkle.leaf_hash(h) for h in tracking])
    for index, digest in enumerate(tracking):
        proof = ballot_set_proof(tracking, index)
        verify_ballot_set_membership(digest, index, 7, proof, root)
    with pytest.raises(CheckpointError) as info:
        verify_ballot_set_membership(tracking[1], 0, 7, ballot_set_proof(tracking, 0), root)
    assert info.value.code == "ballot_set_mismatch"


def test_the_sessions_checkpoints_cover_each_close_and_the_end() -> None:
    records = council().records()
    key = council().checkpoint_key.public_key().encode()
    hashes_ = [r.hash for r in records]
    for at in positions(records, "CheckpointSigned"):
        checkpoint = Checkpoint.from_json(payload(records[at - 1]))
        assert checkpoint.position == at - 1
        verify_checkpoint(checkpoint, key, hashes_)
        for ballot in positions(records, "BallotCast"):
            if ballot <= checkpoint.position:
                proof = receipt_proof(records, ballot, checkpoint.position)
                verify_receipt(records[ballot - 1].hash, ballot, checkpoint, proof)


async def test_sign_checkpoint_records_the_head_once() -> None:
    store = MemoryEventStore()
    service = SessionService(store, "s-checkpoints")
    with pytest.raises(CheckpointError):
        await sign_checkpoint(service, KEY)  # an empty log
    await service.execute(
        ConveneSession(
            session_id="s-checkpoints",
            title="t",
            convened_at=T0,
            settings=SessionSettings(),
            checkpoint_key=KEY.public_key().encode(),
        )
    )
    with pytest.raises(CheckpointError) as info:
        await sign_checkpoint(service, OTHER)
    assert info.value.code == "checkpoint_key_invalid"
    tree = LogTree()
    outcome = await sign_checkpoint(service, KEY, tree=tree)
    assert [e.event_type for e in outcome.events] == ["CheckpointSigned"]
    again = await sign_checkpoint(service, KEY, tree=tree)
    assert again.events == ()  # nothing new but the checkpoint itself
    records = [r async for r in store.read_log("s-checkpoints")]
    checkpoint = Checkpoint.from_json(records[-1].payload())
    verify_checkpoint(checkpoint, KEY.public_key().encode(), records)
    assert checkpoint.position == 1


async def test_concurrent_signers_both_succeed_or_stand_down() -> None:
    store = MemoryEventStore()
    first_service = SessionService(store, "s-race")
    await first_service.execute(
        ConveneSession(
            session_id="s-race",
            title="t",
            convened_at=T0,
            checkpoint_key=KEY.public_key().encode(),
        )
    )
    second_service = SessionService(store, "s-race")
    results = await asyncio.gather(
        sign_checkpoint(first_service, KEY),
        sign_checkpoint(second_service, KEY),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, Refusal)]
    records = [r async for r in store.read_log("s-race")]
    assert [r.event_type for r in records].count("CheckpointSigned") >= 1

"""``LogTree(proofs=True)``: the root of any prefix and the inclusion proof of any position in
any prefix, equal to what ``crypto.merkle`` computes from the whole list of leaves."""

from __future__ import annotations

import hashlib

import pytest

from ballot.ledger import CheckpointError, LogTree, log_root, receipt_proof
from crypto import merkle


def hashes(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def test_every_proof_and_root_of_every_prefix_matches_the_reference() -> None:
    events = hashes(40)
    tree = LogTree(proofs=True)
    for count, h in enumerate(events, start=1):
        tree.append(h)
        assert tree.root() == log_root(events[:count])
    for size in range(1, len(events) + 1):
        assert tree.root_at(size) == log_root(events[:size])
        for position in range(1, size + 1):
            proof = tree.inclusion_proof(position, size)
            assert proof == receipt_proof(events, position, size), (position, size)
            merkle.verify_inclusion(
                merkle.leaf_hash(events[position - 1]),
                position - 1,
                size,
                proof,
                log_root(events[:size]),
            )


def test_out_of_range_and_a_tree_without_proofs_are_refused() -> None:
    tree = LogTree(proofs=True)
    for h in hashes(5):
        tree.append(h)
    for position, size in [(0, 3), (4, 3), (1, 6), (1, 0)]:
        with pytest.raises(CheckpointError) as info:
            tree.inclusion_proof(position, size)
        assert info.value.code == "checkpoint_position_invalid"
    plain = LogTree()
    plain.append(hashes(1)[0])
    assert not plain.proves
    with pytest.raises(CheckpointError) as refused:
        plain.inclusion_proof(1, 1)
    assert refused.value.code == "position_out_of_window"

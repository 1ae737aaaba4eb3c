"""A round's committed ballot set: the RFC 9162 tree whose leaves are ``leaf_hash`` of each
counted ballot's tracking hash in log order (``RoundClosed.ballots_root``), and membership
proofs in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ballot.ledger.checkpoint import (
    CheckpointError,
)
from crypto import merkle


def ballot_set_proof(tracking_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Inclusion proof of the ``index``-th ballot (0-based, log order) of a round in the round's
    ballot tree, whose root ``RoundClosed.ballots_root`` commits to the counted set."""
    return merkle.inclusion_proof([merkle.leaf_hash(h) for h in tracking_hashes], index)


def verify_ballot_set_membership(
    tracking_hash: bytes,
    index: int,
    ballot_count: int,
    proof: Sequence[bytes],
    ballots_root: bytes,
) -> None:
    """Check that a ballot's tracking hash is the ``index``-th of the ``ballot_count`` ballots
    committed to by ``ballots_root``."""
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(tracking_hash), index, ballot_count, list(proof), ballots_root
        )
    except merkle.MerkleError as exc:
        raise CheckpointError(
            "ballot_set_mismatch", f"the ballot is not in the round's committed set: {exc}"
        ) from None

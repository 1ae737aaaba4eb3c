"""Incremental log trees: ``O(log n)`` state (plus an optional window of recent hashes), so a
server and a streaming auditor follow the log's tree, answer roots and inclusion proofs, and
watch a ballot's inclusion until a checkpoint covers it — never holding the whole log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from ballot.ledger.checkpoint import (
    DEFAULT_WINDOW,
    HASH_BYTES,
    CheckpointError,
    event_hash,
)
from crypto import merkle

# -- incremental trees ----------------------------------------------------------------------------


class InclusionWitness:
    """Builds the inclusion proof of one leaf for any later tree size, in one pass.

    The left siblings on a leaf's audit path tile the leaves before it exactly as the perfect
    subtrees of the tree of that prefix do, so they are the accumulator's peaks at the time the
    leaf is appended; only the leaves *after* it need keeping, until the proof is taken.
    """

    __slots__ = ("_index", "_leaves", "_left")

    def __init__(self, index: int, left_peaks: Sequence[bytes], leaf: bytes) -> None:
        self._index = index
        self._left = tuple(left_peaks)
        self._leaves: list[bytes] = [leaf]

    @property
    def index(self) -> int:
        """The leaf's index (0-based)."""
        return self._index

    @property
    def covers(self) -> int:
        """The largest tree size a proof can be built for so far."""
        return self._index + len(self._leaves)

    def append(self, leaf: bytes) -> None:
        """The next leaf hash of the tree."""
        self._leaves.append(leaf)

    def proof(self, tree_size: int) -> list[bytes]:
        """``PATH(index, D[tree_size])`` of RFC 9162, leaf side first."""
        if not self._index < tree_size <= self.covers:
            raise CheckpointError(
                "position_out_of_window",
                f"cannot prove leaf {self._index} in a tree of size {tree_size}",
            )
        path: list[bytes] = []
        peaks = iter(self._left)
        lo, hi, m = 0, tree_size, self._index
        while hi - lo > 1:
            k = merkle.split_point(hi - lo)
            if m < lo + k:
                path.append(merkle.subtree_root(self._leaves, lo + k - m, hi - m))
                hi = lo + k
            else:
                path.append(next(peaks))
                lo += k
        path.reverse()
        return path


class LogTree:
    """The log tree, built one event hash at a time: ``O(log n)`` state for the current root,
    plus the last ``window`` hashes so that the root and head of a recent earlier position can
    be recomputed (a checkpoint may cover a head a few events old), plus any active
    :class:`InclusionWitness`.

    With ``proofs=True`` it also keeps every node of every perfect subtree (``2n`` hashes of 32
    bytes, in flat byte arrays), so that the root of *any* prefix and the inclusion proof of
    *any* position in *any* prefix take ``O(log² n)`` hashes instead of a pass over the log:
    what a server answering receipt look-ups needs.
    """

    __slots__ = ("_acc", "_base", "_levels", "_recent", "_watching", "_window")

    def __init__(self, window: int = DEFAULT_WINDOW, *, proofs: bool = False) -> None:
        self._acc = merkle.MerkleAccumulator()
        self._base = merkle.MerkleAccumulator()
        self._recent: deque[bytes] = deque()
        self._window = window
        self._watching: list[InclusionWitness] = []
        # _levels[h] holds, back to back, the roots of the aligned perfect subtrees of 2**h
        # leaves completed so far (level 0: the leaf hashes themselves).
        self._levels: list[bytearray] | None = [bytearray()] if proofs else None

    @property
    def size(self) -> int:
        """Positions appended so far (the position of the head)."""
        return self._acc.size

    @property
    def proves(self) -> bool:
        """Whether this tree keeps what it needs to prove any position (``proofs=True``)."""
        return self._levels is not None

    @property
    def head_hash(self) -> bytes:
        """The hash of the last event appended."""
        if not self._recent:
            raise CheckpointError("checkpoint_position_invalid", "the tree is empty")
        return self._recent[-1]

    def root(self) -> bytes:
        """The root of the tree of every position appended so far."""
        return self._acc.root()

    def append(self, event_hash_: bytes, *, watch: bool = False) -> InclusionWitness | None:
        """Append the next event's hash; with ``watch``, return a witness for its inclusion
        proofs (fed with every later leaf until :meth:`unwatch`)."""
        leaf = merkle.leaf_hash(event_hash(event_hash_))
        witness: InclusionWitness | None = None
        for active in self._watching:
            active.append(leaf)
        if watch:
            witness = InclusionWitness(self._acc.size, self._acc.peaks, leaf)
            self._watching.append(witness)
        if self._levels is not None:
            self._keep(leaf, self._acc.size)
        self._acc.append(leaf)
        self._recent.append(event_hash_)
        # One hash is kept beyond the window: the head, which ``head_hash`` needs.
        while len(self._recent) > self._window + 1:
            self._base.append(merkle.leaf_hash(self._recent.popleft()))
        return witness

    def _keep(self, leaf: bytes, index: int) -> None:
        levels = self._levels
        assert levels is not None
        levels[0] += leaf
        node, height = leaf, 0
        # A node with an odd index is a right child: it completes its parent.
        while index & 1:
            start = HASH_BYTES * (index - 1)
            node = merkle.node_hash(bytes(levels[height][start : start + HASH_BYTES]), node)
            height, index = height + 1, index >> 1
            if len(levels) == height:
                levels.append(bytearray())
            levels[height] += node

    def _subtree(self, lo: int, hi: int) -> bytes:
        """``MTH`` of leaves ``lo..hi-1`` where ``lo`` is a multiple of the largest power of
        two below ``hi - lo`` (true of every subtree of an RFC 9162 tree rooted at 0)."""
        levels = self._levels
        assert levels is not None
        n = hi - lo
        if n & (n - 1) == 0:  # a perfect subtree, aligned: stored
            height = n.bit_length() - 1
            start = HASH_BYTES * (lo >> height)
            return bytes(levels[height][start : start + HASH_BYTES])
        k = merkle.split_point(n)
        return merkle.node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def _check_proving(self, tree_size: int) -> None:
        if self._levels is None:
            raise CheckpointError(
                "position_out_of_window", "this tree keeps no proofs (made without proofs=True)"
            )
        if isinstance(tree_size, bool) or not isinstance(tree_size, int):
            raise CheckpointError("checkpoint_position_invalid", "a position is an integer")
        if not 1 <= tree_size <= self.size:
            raise CheckpointError(
                "checkpoint_position_invalid",
                f"position {tree_size} is not in a log of {self.size} events",
            )

    def inclusion_proof(self, position: int, tree_size: int) -> list[bytes]:
        """RFC 9162 ``PATH(position - 1, D[tree_size])``, leaf side first: the proof that the
        event at ``position`` is in the log a checkpoint at ``tree_size`` signs (equal to
        :func:`receipt_proof` over the whole log; needs ``proofs=True``)."""
        self._check_proving(tree_size)
        if isinstance(position, bool) or not isinstance(position, int):
            raise CheckpointError("checkpoint_position_invalid", "a position is an integer")
        if not 1 <= position <= tree_size:
            raise CheckpointError(
                "checkpoint_position_invalid",
                f"position {position} is not covered by a checkpoint at {tree_size}",
            )
        path: list[bytes] = []
        lo, hi, m = 0, tree_size, position - 1
        while hi - lo > 1:
            k = merkle.split_point(hi - lo)
            if m < lo + k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def unwatch(self, witness: InclusionWitness) -> None:
        """Stop feeding ``witness``."""
        self._watching = [w for w in self._watching if w is not witness]

    def _check_recent(self, position: int) -> None:
        if not self._base.size < position <= self.size:
            raise CheckpointError(
                "position_out_of_window",
                f"position {position} is not among the last {self._window + 1} positions "
                f"(1..{self.size} appended)",
            )

    def hash_at(self, position: int) -> bytes:
        """The hash of the event at a recent ``position``."""
        self._check_recent(position)
        return self._recent[position - self._base.size - 1]

    def root_at(self, position: int) -> bytes:
        """The root of positions ``1..position``: a recent ``position``, or any one if the tree
        keeps proofs."""
        if position == self.size:
            return self.root()
        if self._levels is not None:
            self._check_proving(position)
            return self._subtree(0, position)
        self._check_recent(position)
        acc = self._base.copy()
        for i in range(position - self._base.size):
            acc.append(merkle.leaf_hash(self._recent[i]))
        return acc.root()

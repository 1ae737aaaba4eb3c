"""RFC 9162 (Certificate Transparency v2) Merkle trees over SHA-256.

* ``leaf_hash(d)   = SHA-256(0x00 ‖ d)``
* ``node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r)``
* ``MTH([])        = SHA-256("")``; ``MTH([d]) = leaf_hash(d)``; for ``n > 1`` with ``k`` the
  largest power of two strictly below ``n``: ``MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``.

Every function here works on **leaf hashes** (32-byte outputs of :func:`leaf_hash`), never on
leaf data, so that a log of events can be summarised by the hashes it already stores. Proof
generation follows RFC 9162 §2.1.3.1 (``PATH``) and §2.1.4.1 (``PROOF``/``SUBPROOF``);
verification follows the iterative algorithms of §2.1.3.2 and §2.1.4.2 literally, so that an
independent verifier written from the RFC gets the same answers.

:class:`MerkleAccumulator` keeps only the roots of the perfect subtrees along the right edge
(one per set bit of the size), so the root of a log of ``n`` entries is computed in one pass
with ``O(log n)`` memory.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Final

from crypto.errors import CryptoError

HASH_BYTES: Final[int] = 32
_LEAF_PREFIX: Final[bytes] = b"\x00"
_NODE_PREFIX: Final[bytes] = b"\x01"

#: ``MTH({})``: the root of the empty tree, ``SHA-256("")``.
EMPTY_ROOT: Final[bytes] = hashlib.sha256(b"").digest()


class MerkleError(CryptoError):
    """A Merkle proof does not verify, or the arguments do not describe a valid proof query."""

    code = "merkle_proof_invalid"


class MerkleArgumentError(MerkleError):
    """Sizes, indices or hashes passed to a proof function are out of range or malformed."""

    code = "merkle_argument_invalid"


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 ‖ leaf)``: the hash of a leaf's data."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(leaf)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``: the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _check_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_BYTES:
        raise MerkleArgumentError(f"{what} must be {HASH_BYTES} bytes")
    return bytes(value)


def _check_size(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MerkleArgumentError(f"{what} must be a non-negative integer")
    return value


def split_point(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``): the number of leaves in the
    left subtree of a tree of ``n`` leaves (RFC 9162's ``k``)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """``MTH(D[lo:hi])`` of the leaf hashes ``hashes[lo:hi]`` (``hi > lo``), one pass with
    the accumulator."""
    acc = MerkleAccumulator()
    for i in range(lo, hi):
        acc.append(hashes[i])
    return acc.root()


def _checked(leaf_hashes: Sequence[bytes]) -> Sequence[bytes]:
    for i, h in enumerate(leaf_hashes):
        _check_hash(h, f"leaf hash {i}")
    return leaf_hashes


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The RFC 9162 tree head ``MTH`` of the leaves whose hashes are given, in order."""
    acc = MerkleAccumulator()
    for h in leaf_hashes:
        acc.append(h)
    return acc.root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path ``PATH(index, D[n])`` (RFC 9162 §2.1.3.1), leaf-side hash first."""
    n = len(_checked(leaf_hashes))
    if _check_size(index, "index") >= n:
        raise MerkleArgumentError(f"index {index} is outside a tree of size {n}")
    path: list[bytes] = []
    lo, hi = 0, n
    # Walk down from the root; the recursion's sibling hashes come out root-side first.
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            path.append(subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree_root(leaf_hashes, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """``PROOF(old_size, D[n])`` (RFC 9162 §2.1.4.1): the first ``old_size`` leaves are a prefix.

    Empty when ``old_size`` is 0 or equals ``n`` (nothing to prove; see
    :func:`verify_consistency`).
    """
    n = len(_checked(leaf_hashes))
    m = _check_size(old_size, "old size")
    if m > n:
        raise MerkleArgumentError(f"old size {m} exceeds the tree size {n}")
    if m in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, m_rel, complete = 0, n, m, True
    # SUBPROOF(m, D[lo:hi], complete), unrolled: each step records one sibling, and the
    # recursion's output order (deepest first) is restored by reversing at the end.
    while True:
        size = hi - lo
        if m_rel == size:
            if not complete:
                proof.append(subtree_root(leaf_hashes, lo, hi))
            break
        k = split_point(size)
        if m_rel <= k:
            proof.append(subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree_root(leaf_hashes, lo, lo + k))
            lo, m_rel, complete = lo + k, m_rel - k, False
    proof.reverse()
    return proof


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof by RFC 9162 §2.1.3.2; raise :class:`MerkleError` if it fails."""
    current = _check_hash(leaf_hash, "leaf hash")
    expected = _check_hash(root, "root")
    fn = _check_size(index, "index")
    size = _check_size(tree_size, "tree size")
    path = [_check_hash(p, "proof element") for p in proof]
    if fn >= size:
        raise MerkleError(f"index {fn} is outside a tree of size {size}")
    sn = size - 1
    for p in path:
        if sn == 0:
            raise MerkleError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            current = node_hash(p, current)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError("inclusion proof is too short")
    if not hmac.compare_digest(current, expected):
        raise MerkleError("inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof by RFC 9162 §2.1.4.2; raise :class:`MerkleError` if it fails.

    Edge cases the RFC leaves to the caller, decided here: ``old_size > new_size`` fails;
    ``old_size == new_size`` holds iff the proof is empty and the roots are equal;
    ``old_size == 0`` holds iff the proof is empty and ``old_root`` is :data:`EMPTY_ROOT`.
    """
    first = _check_size(old_size, "old size")
    second = _check_size(new_size, "new size")
    first_hash = _check_hash(old_root, "old root")
    second_hash = _check_hash(new_root, "new root")
    path = [_check_hash(p, "proof element") for p in proof]
    if first > second:
        raise MerkleError(f"old size {first} exceeds new size {second}")
    if first == 0 or first == second:
        if path:
            raise MerkleError("a consistency proof between these sizes must be empty")
        if first == 0 and not hmac.compare_digest(first_hash, EMPTY_ROOT):
            raise MerkleError("old root is not the root of the empty tree")
        if first == second and not hmac.compare_digest(first_hash, second_hash):
            raise MerkleError("trees of equal size have different roots")
        return
    if not path:
        raise MerkleError("consistency proof is empty")
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MerkleError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError("consistency proof is too short")
    if not hmac.compare_digest(fr, first_hash):
        raise MerkleError("consistency proof does not lead to the old root")
    if not hmac.compare_digest(sr, second_hash):
        raise MerkleError("consistency proof does not lead to the new root")


class MerkleAccumulator:
    """Incremental RFC 9162 root: the roots of the perfect subtrees on the right edge.

    After ``n`` appends it holds one 32-byte hash per set bit of ``n`` (largest subtree
    first), so memory is ``O(log n)``; :meth:`append` is amortised ``O(1)`` hashes and
    :meth:`root` folds the stack right to left in ``O(log n)``.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[bytes] = []

    @classmethod
    def restore(cls, size: int, peaks: Sequence[bytes]) -> MerkleAccumulator:
        """Rebuild an accumulator from a saved :attr:`size` and :attr:`peaks`."""
        n = _check_size(size, "size")
        if len(peaks) != n.bit_count():
            raise MerkleArgumentError(f"a tree of size {n} has {n.bit_count()} peaks")
        acc = cls()
        acc._size = n
        acc._peaks = [_check_hash(p, "peak") for p in peaks]
        return acc

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        """The perfect-subtree roots, largest (leftmost) subtree first."""
        return tuple(self._peaks)

    def append(self, leaf_hash: bytes) -> None:
        """Append the next leaf, given as its leaf hash."""
        current = _check_hash(leaf_hash, "leaf hash")
        self._size += 1
        # Each trailing one bit of the old size is a perfect subtree that the new leaf
        # completes into one twice its size.
        carries = (self._size & -self._size).bit_length() - 1
        for _ in range(carries):
            current = node_hash(self._peaks.pop(), current)
        self._peaks.append(current)

    def root(self) -> bytes:
        """``MTH`` of the leaves appended so far (:data:`EMPTY_ROOT` if none)."""
        if not self._peaks:
            return EMPTY_ROOT
        current = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            current = node_hash(peak, current)
        return current

    def copy(self) -> MerkleAccumulator:
        """An independent accumulator in the same state."""
        return MerkleAccumulator.restore(self._size, self._peaks)

    def __repr__(self) -> str:
        return f"MerkleAccumulator(size={self._size})"

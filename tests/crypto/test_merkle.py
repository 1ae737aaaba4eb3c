"""Tests for crypto/merkle.py against a reference written straight from RFC 9162's recursions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.merkle import (
    EMPTY_ROOT,
    MerkleAccumulator,
    MerkleArgumentError,
    MerkleError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# -- reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 over leaf *data*, recursion as written ---


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + d[0])
    k = _k(n)
    return _sha(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def _leaves(count: int, salt: int = 0) -> list[bytes]:
    return [f"leaf {salt} {i}".encode() for i in range(count)]


# -- known answers --------------------------------------------------------------------------

# The certificate-transparency reference test leaves and their tree heads for sizes 1..8
# (as published with the RFC 6962 implementations; RFC 9162 keeps the same hashing).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        *("", "00", "10", "2021", "3031", "40414243", "5051525354555657"),
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_empty_tree_and_hash_prefixes() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT
    assert MerkleAccumulator().root() == EMPTY_ROOT
    assert leaf_hash(b"x") == _sha(b"\x00x")
    assert node_hash(b"a" * 32, b"b" * 32) == _sha(b"\x01" + b"a" * 32 + b"b" * 32)


@pytest.mark.parametrize("size", range(1, 9))
def test_certificate_transparency_known_answers(size: int) -> None:
    data = CT_LEAVES[:size]
    assert ref_mth(data).hex() == CT_ROOTS[size - 1]
    assert root([leaf_hash(d) for d in data]).hex() == CT_ROOTS[size - 1]


def test_known_answers_for_small_trees() -> None:
    # Computed by hand from the definitions, independently of both implementations.
    a, b, c = (_sha(b"\x00" + x) for x in (b"a", b"b", b"c"))
    ab = _sha(b"\x01" + a + b)
    abc = _sha(b"\x01" + ab + c)
    hashes = [leaf_hash(x) for x in (b"a", b"b", b"c")]
    assert root(hashes) == abc
    assert inclusion_proof(hashes, 2) == [ab]
    assert inclusion_proof(hashes, 0) == [b, c]
    assert consistency_proof(hashes, 2) == [c]
    assert consistency_proof(hashes, 1) == [b, c]
    verify_consistency(2, 3, ab, abc, [c])
    verify_consistency(1, 3, a, abc, [b, c])


def test_generation_matches_reference_for_all_small_sizes() -> None:
    data = _leaves(33)
    hashes = [leaf_hash(d) for d in data]
    for n in range(1, 34):
        tree_root = root(hashes[:n])
        assert tree_root == ref_mth(data[:n])
        for i in range(n):
            proof = inclusion_proof(hashes[:n], i)
            assert proof == ref_path(i, data[:n])
            verify_inclusion(hashes[i], i, n, proof, tree_root)
        for m in range(1, n):
            proof = consistency_proof(hashes[:n], m)
            assert proof == ref_proof(m, data[:n])
            verify_consistency(m, n, root(hashes[:m]), tree_root, proof)


# -- properties ---------------------------------------------------------------------------


@st.composite
def _tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], int]:
    n = draw(st.integers(1, 300))
    salt = draw(st.integers(0, 2**32))
    return [leaf_hash(d) for d in _leaves(n, salt)], draw(st.integers(0, n - 1))


def _flip(value: bytes, data: st.DataObject) -> bytes:
    i = data.draw(st.integers(0, len(value) - 1))
    out = bytearray(value)
    out[i] ^= 1 << data.draw(st.integers(0, 7))
    return bytes(out)


def _fails_inclusion(*args: object) -> bool:
    try:
        verify_inclusion(*args)  # type: ignore[arg-type]
    except MerkleError:
        return True
    return False


def _fails_consistency(*args: object) -> bool:
    try:
        verify_consistency(*args)  # type: ignore[arg-type]
    except MerkleError:
        return True
    return False


@settings(max_examples=120, deadline=None)
@given(tree=_tree_and_index(), data=st.data())
def test_inclusion_proofs_verify_and_alterations_fail(
    tree: tuple[list[bytes], int], data: st.DataObject
) -> None:
    hashes, i = tree
    n = len(hashes)
    tree_root = root(hashes)
    proof = inclusion_proof(hashes, i)
    verify_inclusion(hashes[i], i, n, proof, tree_root)

    assert _fails_inclusion(_flip(hashes[i], data), i, n, proof, tree_root)
    assert _fails_inclusion(hashes[i], i, n, proof, _flip(tree_root, data))
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        altered = [*proof[:j], _flip(proof[j], data), *proof[j + 1 :]]
        assert _fails_inclusion(hashes[i], i, n, altered, tree_root)
        assert _fails_inclusion(hashes[i], i, n, proof[:-1], tree_root)
    assert _fails_inclusion(hashes[i], i, n, [*proof, proof[0] if proof else hashes[0]], tree_root)
    other = data.draw(st.integers(0, n).filter(lambda x: x != i))
    assert _fails_inclusion(hashes[i], other, n, proof, tree_root)
    # The proof does not commit to the tree size by itself (the root does, which is why a
    # checkpoint signs size and root together): for another size, checked against that
    # size's own root, it verifies only if it *is* the proof for that size.
    extended = hashes + [leaf_hash(d) for d in _leaves(40, salt=n + 7)]
    other_size = data.draw(st.integers(i + 1, len(extended)).filter(lambda x: x != n))
    other_root = root(extended[:other_size])
    if not _fails_inclusion(hashes[i], i, other_size, proof, other_root):
        assert inclusion_proof(extended[:other_size], i) == proof


@st.composite
def _tree_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int]:
    n = draw(st.integers(2, 300))
    salt = draw(st.integers(0, 2**32))
    return [leaf_hash(d) for d in _leaves(n, salt)], draw(st.integers(1, n - 1))


@settings(max_examples=120, deadline=None)
@given(tree=_tree_and_sizes(), data=st.data())
def test_consistency_proofs_verify_and_alterations_fail(
    tree: tuple[list[bytes], int], data: st.DataObject
) -> None:
    hashes, m = tree
    n = len(hashes)
    old_root, new_root = root(hashes[:m]), root(hashes)
    proof = consistency_proof(hashes, m)
    verify_consistency(m, n, old_root, new_root, proof)

    assert _fails_consistency(m, n, _flip(old_root, data), new_root, proof)
    assert _fails_consistency(m, n, old_root, _flip(new_root, data), proof)
    j = data.draw(st.integers(0, len(proof) - 1))
    altered = [*proof[:j], _flip(proof[j], data), *proof[j + 1 :]]
    assert _fails_consistency(m, n, old_root, new_root, altered)
    assert _fails_consistency(m, n, old_root, new_root, proof[:-1])
    assert _fails_consistency(m, n, old_root, new_root, [*proof, proof[0]])
    assert _fails_consistency(n, m, new_root, old_root, proof)
    # Altered sizes, each checked against the true roots for those sizes: the proof passes
    # only if it is exactly the proof for those sizes. (Against the *original* roots an
    # altered size can pass when the path shapes coincide: a root means something only
    # together with its size, which is why a checkpoint signs both.)
    m2 = data.draw(st.integers(1, n))
    n2 = data.draw(st.integers(m2, n))
    if (m2, n2) != (m, n):
        roots = (root(hashes[:m2]), root(hashes[:n2]))
        if not _fails_consistency(m2, n2, *roots, proof):
            assert consistency_proof(hashes[:n2], m2) == proof


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 600), salt=st.integers(0, 2**32))
def test_accumulator_matches_root(n: int, salt: int) -> None:
    hashes = [leaf_hash(d) for d in _leaves(n, salt)]
    acc = MerkleAccumulator()
    for i, h in enumerate(hashes):
        acc.append(h)
        if i % 37 == 0:
            assert acc.root() == root(hashes[: i + 1])
    assert acc.size == n
    assert len(acc.peaks) == bin(n).count("1")
    assert acc.root() == root(hashes)
    resumed = MerkleAccumulator.restore(acc.size, acc.peaks)
    copy = acc.copy()
    extra = leaf_hash(b"one more")
    resumed.append(extra)
    assert resumed.root() == root([*hashes, extra])
    assert copy.root() == root(hashes)  # independent of the resumed one


def test_edge_cases_and_argument_errors() -> None:
    hashes = [leaf_hash(d) for d in _leaves(5)]
    r5 = root(hashes)
    # Equal sizes: empty proof, equal roots. Size 0: empty proof, empty root.
    assert consistency_proof(hashes, 5) == []
    assert consistency_proof(hashes, 0) == []
    verify_consistency(5, 5, r5, r5, [])
    verify_consistency(0, 5, EMPTY_ROOT, r5, [])
    with pytest.raises(MerkleError):
        verify_consistency(5, 5, r5, root(hashes[:4]), [])
    with pytest.raises(MerkleError):
        verify_consistency(5, 5, r5, r5, [r5])
    with pytest.raises(MerkleError):
        verify_consistency(0, 5, r5, r5, [])
    with pytest.raises(MerkleError):
        verify_consistency(3, 5, root(hashes[:3]), r5, [])
    # A single-leaf tree: the root is the leaf hash and the proof is empty.
    verify_inclusion(hashes[0], 0, 1, [], hashes[0])
    with pytest.raises(MerkleError):
        verify_inclusion(hashes[0], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(MerkleError):
        verify_inclusion(hashes[0], 5, 5, inclusion_proof(hashes, 4), r5)

    for bad in (
        lambda: inclusion_proof(hashes, 5),
        lambda: inclusion_proof(hashes, -1),
        lambda: inclusion_proof([*hashes, b"short"], 0),
        lambda: consistency_proof(hashes, 6),
        lambda: verify_inclusion(hashes[0][:31], 0, 5, [], r5),
        lambda: verify_inclusion(hashes[0], 0, 5, [b""], r5),
        lambda: verify_inclusion(hashes[0], True, 5, [], r5),
        lambda: verify_consistency(-1, 5, r5, r5, []),
        lambda: MerkleAccumulator().append(b"\x00" * 31),
        lambda: MerkleAccumulator.restore(3, [r5]),
    ):
        with pytest.raises(MerkleArgumentError) as excinfo:
            bad()
        assert excinfo.value.code == "merkle_argument_invalid"
    with pytest.raises(MerkleError) as excinfo2:
        verify_inclusion(hashes[0], 0, 5, [], r5)
    assert excinfo2.value.code == "merkle_proof_invalid"

"""Tests of crypto.proofs: Schnorr, Chaum–Pedersen, disjunctive 0/1 proofs."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.elgamal import Ciphertext, encrypt, sum_ciphertexts
from crypto.group import Point, Scalar, seeded_scalars
from crypto.proofs import (
    ChaumPedersenProof,
    DisjunctiveProof,
    ProofError,
    SchnorrProof,
    StatementFalseError,
    _prove_zero_or_one_unchecked,
    prove_decryption,
    prove_equal_logs,
    prove_schnorr,
    prove_sum_one,
    prove_zero_or_one,
    verify_decryption,
    verify_equal_logs,
    verify_schnorr,
    verify_sum_one,
    verify_zero_or_one,
)

seeds = st.binary(min_size=1, max_size=16)
contexts = st.binary(max_size=64)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, context=contexts)
def test_schnorr_honest_proof_verifies(seed: bytes, context: bytes) -> None:
    rng = seeded_scalars(seed)
    x = rng()
    public = Point.base_mul(x)
    proof = prove_schnorr(x, public, context, rng)
    verify_schnorr(public, proof, context)
    assert SchnorrProof.decode(proof.encode()) == proof
    assert pickle.loads(pickle.dumps(proof)) == proof


@settings(max_examples=25, deadline=None)
@given(seed=seeds, context=contexts, other=contexts)
def test_schnorr_fails_in_another_context(seed: bytes, context: bytes, other: bytes) -> None:
    rng = seeded_scalars(seed)
    x = rng()
    public = Point.base_mul(x)
    proof = prove_schnorr(x, public, context, rng)
    if other != context:
        with pytest.raises(ProofError):
            verify_schnorr(public, proof, other)


def test_schnorr_tampering_fails() -> None:
    rng = seeded_scalars(b"schnorr-tamper")
    x = rng()
    public = Point.base_mul(x)
    proof = prove_schnorr(x, public, b"ctx", rng)
    one = Scalar.one()
    for bad in (
        SchnorrProof(proof.challenge + one, proof.response),
        SchnorrProof(proof.challenge, proof.response + one),
    ):
        with pytest.raises(ProofError) as info:
            verify_schnorr(public, bad, b"ctx")
        assert info.value.code == "proof_invalid"
    with pytest.raises(ProofError):
        verify_schnorr(Point.base_mul(x + one), proof, b"ctx")
    with pytest.raises(ProofError):
        verify_schnorr(Point.identity(), proof, b"ctx")


def test_schnorr_prover_refuses_wrong_secret() -> None:
    rng = seeded_scalars(b"schnorr-refuse")
    x = rng()
    with pytest.raises(StatementFalseError):
        prove_schnorr(x + Scalar.one(), Point.base_mul(x), b"", rng)
    with pytest.raises(StatementFalseError):
        prove_schnorr(Scalar.zero(), Point.identity(), b"", rng)


def test_schnorr_decode_rejects_malformed() -> None:
    with pytest.raises(ProofError):
        SchnorrProof.decode(bytes(63))
    with pytest.raises(ProofError):
        SchnorrProof.decode(b"\xff" * 64)  # not below L


# -- disjunctive 0/1 ------------------------------------------------------------------------


def _keypair(rng: Callable[[], Scalar]) -> tuple[Scalar, Point]:
    k = rng()
    return k, Point.base_mul(k)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, bit=st.integers(min_value=0, max_value=1), context=contexts)
def test_zero_or_one_honest_proofs_verify(seed: bytes, bit: int, context: bytes) -> None:
    rng = seeded_scalars(seed)
    _, key = _keypair(rng)
    r = rng()
    ct = encrypt(key, bit, r)
    proof = prove_zero_or_one(key, ct, bit, r, context, rng)
    verify_zero_or_one(key, ct, proof, context)
    assert DisjunctiveProof.decode(proof.encode()) == proof
    with pytest.raises(ProofError):
        verify_zero_or_one(key, ct, proof, context + b"x")


def test_zero_or_one_tampering_fails() -> None:
    rng = seeded_scalars(b"dcp-tamper")
    _, key = _keypair(rng)
    r = rng()
    ct = encrypt(key, 1, r)
    proof = prove_zero_or_one(key, ct, 1, r, b"c", rng)
    one = Scalar.one()
    bad_proofs = [
        DisjunctiveProof(proof.c0 + one, proof.c1, proof.v0, proof.v1),
        DisjunctiveProof(proof.c0, proof.c1 + one, proof.v0, proof.v1),
        DisjunctiveProof(proof.c0, proof.c1, proof.v0 + one, proof.v1),
        DisjunctiveProof(proof.c0, proof.c1, proof.v0, proof.v1 + one),
        DisjunctiveProof(proof.c1, proof.c0, proof.v1, proof.v0),
        # shifting challenge mass between branches keeps the sum but breaks the commitments
        DisjunctiveProof(proof.c0 + one, proof.c1 - one, proof.v0, proof.v1),
    ]
    for bad in bad_proofs:
        with pytest.raises(ProofError):
            verify_zero_or_one(key, ct, bad, b"c")
    g = Point.generator()
    for bad_ct in (
        Ciphertext(ct.alpha + g, ct.beta),
        Ciphertext(ct.alpha, ct.beta + g),
        Ciphertext(ct.alpha, ct.beta - g),
        encrypt(key, 1, rng()),
    ):
        with pytest.raises(ProofError):
            verify_zero_or_one(key, bad_ct, proof, b"c")
    with pytest.raises(ProofError):
        verify_zero_or_one(key + g, ct, proof, b"c")
    with pytest.raises(ProofError):
        verify_zero_or_one(Point.identity(), ct, proof, b"c")


@pytest.mark.parametrize("message", [-1, 2, 3])
def test_zero_or_one_prover_refuses_other_messages(message: int) -> None:
    rng = seeded_scalars(b"dcp-refuse")
    _, key = _keypair(rng)
    r = rng()
    g = Point.generator()
    # an encryption of `message` (also negative ones: beta = message·G + r·K)
    ct = Ciphertext(Point.base_mul(r), g * Scalar.from_int(message) + key * r)
    with pytest.raises(StatementFalseError) as info:
        prove_zero_or_one(key, ct, message, r, b"c", rng)
    assert info.value.code == "proof_statement_false"
    # claiming it is a 0 or a 1 is refused too
    for claimed in (0, 1):
        with pytest.raises(StatementFalseError):
            prove_zero_or_one(key, ct, claimed, r, b"c", rng)
    # running the prover's algorithm regardless produces a proof that does not verify
    for claimed in (0, 1):
        forged = _prove_zero_or_one_unchecked(key, ct, claimed, r, b"c", rng)
        with pytest.raises(ProofError):
            verify_zero_or_one(key, ct, forged, b"c")


def test_zero_or_one_simulated_both_branches_fails() -> None:
    # A forger who simulates both branches cannot make c0 + c1 equal the hash.
    rng = seeded_scalars(b"dcp-forge")
    _, key = _keypair(rng)
    r = rng()
    ct = encrypt(key, 2, r)
    forged = DisjunctiveProof(rng(), rng(), rng(), rng())
    with pytest.raises(ProofError):
        verify_zero_or_one(key, ct, forged, b"c")


def test_disjunctive_decode_rejects_malformed() -> None:
    with pytest.raises(ProofError):
        DisjunctiveProof.decode(bytes(127))
    with pytest.raises(ProofError):
        DisjunctiveProof.decode(bytes(96) + b"\xff" * 32)


# -- Chaum–Pedersen: sum-to-one and decryption ------------------------------------------------


def test_sum_one_proof() -> None:
    rng = seeded_scalars(b"sum-one")
    _, key = _keypair(rng)
    nonces = [rng() for _ in range(3)]
    cts = [encrypt(key, m, r) for m, r in zip((0, 1, 0), nonces, strict=True)]
    total = sum_ciphertexts(cts)
    r_sum = nonces[0] + nonces[1] + nonces[2]
    proof = prove_sum_one(key, total, r_sum, b"ctx", rng)
    verify_sum_one(key, total, proof, b"ctx")
    assert ChaumPedersenProof.decode(proof.encode()) == proof
    with pytest.raises(ProofError):
        verify_sum_one(key, total, proof, b"ctx2")
    with pytest.raises(ProofError):
        verify_sum_one(key, total + encrypt(key, 0, rng()), proof, b"ctx")
    # two ones: the prover refuses, and a proof for a different total does not transfer
    two = total + encrypt(key, 1, nonces[0])
    with pytest.raises(StatementFalseError):
        prove_sum_one(key, two, r_sum + nonces[0], b"ctx", rng)
    with pytest.raises(ProofError):
        verify_sum_one(key, two, proof, b"ctx")
    zero = sum_ciphertexts([cts[0], cts[2]])
    with pytest.raises(StatementFalseError):
        prove_sum_one(key, zero, nonces[0] + nonces[2], b"ctx", rng)


def test_decryption_proof() -> None:
    rng = seeded_scalars(b"decryption")
    s, vk = _keypair(rng)
    alpha = Point.base_mul(rng())
    partial = alpha * s
    proof = prove_decryption(s, vk, alpha, partial, b"ctx", rng)
    verify_decryption(vk, alpha, partial, proof, b"ctx")
    g = Point.generator()
    with pytest.raises(ProofError):
        verify_decryption(vk, alpha, partial + g, proof, b"ctx")
    with pytest.raises(ProofError):
        verify_decryption(vk + g, alpha, partial, proof, b"ctx")
    with pytest.raises(ProofError):
        verify_decryption(vk, alpha + g, partial, proof, b"ctx")
    with pytest.raises(ProofError):
        verify_decryption(vk, alpha, partial, proof, b"other")
    with pytest.raises(StatementFalseError):
        prove_decryption(s, vk, alpha, partial + g, b"ctx", rng)
    # the identity partial of the identity alpha is a valid (degenerate) statement
    ident = Point.identity()
    degenerate = prove_decryption(s, vk, ident, ident, b"ctx", rng)
    verify_decryption(vk, ident, ident, degenerate, b"ctx")
    with pytest.raises(ProofError):
        verify_decryption(vk, alpha, ident, degenerate, b"ctx")


def test_generic_equal_logs_with_non_generator_bases() -> None:
    rng = seeded_scalars(b"dleq")
    x = rng()
    g1, g2 = Point.base_mul(rng()), Point.base_mul(rng())
    proof = prove_equal_logs("test/dleq", x, g1, g1 * x, g2, g2 * x, b"", rng)
    verify_equal_logs("test/dleq", g1, g1 * x, g2, g2 * x, proof, b"")
    with pytest.raises(ProofError):
        verify_equal_logs("test/other", g1, g1 * x, g2, g2 * x, proof, b"")

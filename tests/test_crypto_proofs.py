"""Tests of crypto.proofs: Schnorr, Chaum–Pedersen, disjunctive 0/1 proofs."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.group import Point, Scalar, seeded_scalars
from crypto.proofs import (
    ProofError,
    SchnorrProof,
    StatementFalseError,
    prove_schnorr,
    verify_schnorr,
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

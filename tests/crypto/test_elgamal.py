"""Tests of crypto.elgamal: exponential ElGamal and its homomorphism."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.elgamal import (
    Ciphertext,
    CiphertextShapeError,
    ElGamalError,
    add_vectors,
    encrypt,
    message_point,
    sum_ciphertexts,
    zero_vector,
)
from crypto.group import GroupError, IdentityNotAllowed, Point, Scalar, seeded_scalars


def _decrypt_point(ct: Ciphertext, secret: Scalar) -> Point:
    return ct.beta - ct.alpha * secret


@settings(max_examples=20, deadline=None)
@given(messages=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=6))
def test_sum_of_encryptions_encrypts_the_sum(messages: list[int]) -> None:
    rng = seeded_scalars(repr(messages).encode())
    k = rng()
    key = Point.base_mul(k)
    cts = [encrypt(key, m, rng()) for m in messages]
    total = sum_ciphertexts(cts)
    assert _decrypt_point(total, k) == message_point(sum(messages))
    running = Ciphertext.zero()
    for ct in cts:
        running = running + ct
    assert running == total


def test_encryption_structure() -> None:
    rng = seeded_scalars(b"elgamal")
    k, r = rng(), rng()
    key = Point.base_mul(k)
    ct = encrypt(key, 1, r)
    assert ct.alpha == Point.base_mul(r)
    assert ct.beta == Point.generator() + key * r
    assert encrypt(key, 0, r).beta == key * r
    assert message_point(0).is_identity()
    assert message_point(3) == Point.base_mul(Scalar.from_int(3))


def test_encrypt_refuses_bad_inputs() -> None:
    key = Point.base_mul(Scalar.from_int(7))
    with pytest.raises(IdentityNotAllowed):
        encrypt(Point.identity(), 1, Scalar.one())
    with pytest.raises(ElGamalError) as info:
        encrypt(key, 1, Scalar.zero())
    assert info.value.code == "elgamal_invalid_input"
    with pytest.raises(ElGamalError):
        encrypt(key, -1, Scalar.one())


def test_zero_is_neutral_and_vectors_add() -> None:
    rng = seeded_scalars(b"vectors")
    key = Point.base_mul(rng())
    a = tuple(encrypt(key, i % 2, rng()) for i in range(3))
    b = tuple(encrypt(key, 1, rng()) for _ in range(3))
    assert a[0] + Ciphertext.zero() == a[0]
    assert sum_ciphertexts([]) == Ciphertext.zero()
    assert add_vectors(zero_vector(3), a) == a
    assert add_vectors(a, b) == tuple(x + y for x, y in zip(a, b, strict=True))
    with pytest.raises(CiphertextShapeError) as info:
        add_vectors(a, b[:2])
    assert info.value.code == "ciphertext_shape_mismatch"


def test_ciphertext_encoding() -> None:
    rng = seeded_scalars(b"encoding")
    ct = encrypt(Point.base_mul(rng()), 1, rng())
    assert Ciphertext.decode(ct.encode()) == ct
    with pytest.raises(IdentityNotAllowed):
        Ciphertext.decode(Ciphertext.zero().encode())
    assert Ciphertext.decode(Ciphertext.zero().encode(), allow_identity_alpha=True).alpha == (
        Point.identity()
    )
    # beta may be the identity
    assert Ciphertext.decode(ct.alpha.encode() + bytes(32)).beta.is_identity()
    for bad in (ct.encode()[:63], ct.encode() + b"\x00", b"\xff" * 64):
        with pytest.raises(GroupError):
            Ciphertext.decode(bad)

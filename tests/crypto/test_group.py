"""Tests of crypto.group: scalar and point encodings, arithmetic, framing and hashing."""

from __future__ import annotations

import hashlib
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.group import (
    DOMAIN_PREFIX,
    GroupError,
    IdentityNotAllowed,
    InvalidEncoding,
    L,
    Point,
    Scalar,
    domain_tag,
    frame,
    hash_to_point,
    hash_to_scalar,
    seeded_scalars,
)

ints = st.integers(min_value=0, max_value=L - 1)

# RFC 9496 appendix A.1: encodings of 0·B .. 3·B.
RFC_MULTIPLES = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
    "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
    "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
]

# RFC 9496 appendix A.2: a selection of invalid encodings.
RFC_BAD = [
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


def test_rfc9496_multiples_of_the_generator() -> None:
    for i, hexed in enumerate(RFC_MULTIPLES):
        assert Point.base_mul(Scalar.from_int(i)).encode().hex() == hexed
        if i:
            assert Point.decode(bytes.fromhex(hexed)) == Point.generator() * Scalar.from_int(i)


@pytest.mark.parametrize("hexed", RFC_BAD)
def test_rfc9496_invalid_encodings_are_refused(hexed: str) -> None:
    with pytest.raises(InvalidEncoding) as info:
        Point.decode(bytes.fromhex(hexed))
    assert info.value.code == "invalid_encoding"


def test_identity_is_refused_unless_allowed() -> None:
    with pytest.raises(IdentityNotAllowed) as info:
        Point.decode(bytes(32))
    assert info.value.code == "identity_not_allowed"
    assert Point.decode(bytes(32), allow_identity=True).is_identity()
    with pytest.raises(IdentityNotAllowed):
        Point.identity().require_not_identity("key")


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_lengths_are_refused(length: int) -> None:
    with pytest.raises(GroupError):
        Point.decode(bytes(length))
    with pytest.raises(GroupError):
        Scalar.decode(bytes(length))


def test_scalar_canonicity() -> None:
    assert Scalar.decode((L - 1).to_bytes(32, "little")).to_int() == L - 1
    for bad in (L, L + 1, 2**256 - 1):
        with pytest.raises(InvalidEncoding):
            Scalar.decode(bad.to_bytes(32, "little"))


@settings(max_examples=50, deadline=None)
@given(a=ints, b=ints)
def test_scalar_arithmetic_matches_integers(a: int, b: int) -> None:
    x, y = Scalar.from_int(a), Scalar.from_int(b)
    assert (x + y).to_int() == (a + b) % L
    assert (x - y).to_int() == (a - b) % L
    assert (x * y).to_int() == (a * b) % L
    assert (-x).to_int() == (-a) % L
    if a:
        assert (x * x.invert()) == Scalar.one()
    assert Scalar.decode(x.encode()) == x


@settings(max_examples=20, deadline=None)
@given(a=ints, b=ints)
def test_point_arithmetic_is_a_group_homomorphism(a: int, b: int) -> None:
    x, y = Scalar.from_int(a), Scalar.from_int(b)
    assert Point.base_mul(x) + Point.base_mul(y) == Point.base_mul(x + y)
    assert Point.base_mul(x) - Point.base_mul(y) == Point.base_mul(x - y)
    assert Point.generator() * x == Point.base_mul(x)
    assert -Point.base_mul(x) == Point.base_mul(-x)
    assert Point.base_mul(x) * y == Point.base_mul(x * y)


def test_zero_and_identity_edge_cases() -> None:
    assert Point.base_mul(Scalar.zero()).is_identity()
    assert (Point.generator() * Scalar.zero()).is_identity()
    assert (Point.identity() * Scalar.random()).is_identity()
    assert Point.generator() + Point.identity() == Point.generator()
    with pytest.raises(ZeroDivisionError):
        Scalar.zero().invert()


def test_secrets_do_not_reach_repr() -> None:
    s = Scalar.from_int(123456789)
    assert "123456789" not in repr(s)
    assert s.encode().hex() not in repr(s)
    assert repr(s) == str(s) == "Scalar(<redacted>)"


def test_values_pickle() -> None:
    s, p = Scalar.random(), Point.base_mul(Scalar.random())
    assert pickle.loads(pickle.dumps(s)) == s
    assert pickle.loads(pickle.dumps(p)) == p


def test_frame_is_length_prefixed() -> None:
    assert frame() == b""
    assert frame(b"") == b"\x00\x00\x00\x00"
    assert frame(b"ab", b"c") == b"\x00\x00\x00\x02ab\x00\x00\x00\x01c"
    assert frame(b"ab", b"c") != frame(b"a", b"bc")


def test_hash_to_scalar_definition() -> None:
    digest = hashlib.sha512(frame(DOMAIN_PREFIX + b"x/y", b"part")).digest()
    assert hash_to_scalar("x/y", b"part").to_int() == int.from_bytes(digest, "little") % L
    assert domain_tag("x/y") == b"ballot/v1/x/y"
    assert hash_to_scalar("x/y", b"part") != hash_to_scalar("x/z", b"part")
    assert not hash_to_point("x/y", b"part").is_identity()
    assert hash_to_point("x/y", b"a") != hash_to_point("x/y", b"b")


def test_seeded_scalars_are_deterministic() -> None:
    a, b = seeded_scalars(b"seed"), seeded_scalars(b"seed")
    first = [a() for _ in range(3)]
    assert first == [b() for _ in range(3)]
    assert first[0] == hash_to_scalar("test/rng", b"seed", (1).to_bytes(8, "big"))
    assert len({s.encode() for s in first}) == 3


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=32, max_size=32))
def test_random_bytes_decode_or_raise_a_typed_error(data: bytes) -> None:
    point_error: GroupError | None = None
    try:
        assert Point.decode(data).encode() == data
    except GroupError as exc:
        point_error = exc
    if point_error is not None:
        assert point_error.code in ("invalid_encoding", "identity_not_allowed")
    value = int.from_bytes(data, "little")
    if value < L:
        assert Scalar.decode(data).to_int() == value
    else:
        with pytest.raises(InvalidEncoding):
            Scalar.decode(data)

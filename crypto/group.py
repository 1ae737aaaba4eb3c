"""The ristretto255 prime-order group: scalars, points, and hashing into both.

This is the only module in the code base that talks to the group backend (libsodium through
``rbcl``), so the backend can be swapped without touching any protocol code. Everything above
this module works with two frozen value types:

* :class:`Scalar` — an integer modulo the group order ``L``, held as its canonical 32-byte
  little-endian encoding. Arithmetic goes through libsodium's constant-time scalar routines,
  because scalars are very often secrets (ElGamal nonces, key shares, proof witnesses).
* :class:`Point` — a group element, held as its canonical 32-byte ristretto255 encoding.
  A :class:`Point` can only be built from bytes through :meth:`Point.decode`, which validates
  the encoding; so every ``Point`` in memory is a valid group element. Whether the identity is
  acceptable depends on the role the element plays, and each call site says so explicitly.

Encodings (see ``docs/verification-spec.md``): a scalar is 32 bytes little-endian and must be
``< L``; a point is the 32-byte ristretto255 encoding of RFC 9496 and must be canonical.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import rbcl

from crypto.errors import CryptoError

#: The order of the ristretto255 group (a 253-bit prime).
L: Final[int] = 2**252 + 27742317777372353535851937790883648493

SCALAR_BYTES: Final[int] = 32
POINT_BYTES: Final[int] = 32

#: Prefix of every domain-separation tag used by this project's hashes.
DOMAIN_PREFIX: Final[bytes] = b"ballot/v1/"


class GroupError(CryptoError):
    """A byte string that should encode a scalar or a group element does not."""

    code = "invalid_encoding"


class InvalidEncoding(GroupError):
    """Wrong length, not canonical, or not a ristretto255 element."""


class IdentityNotAllowed(GroupError):
    """The identity element appeared where the protocol forbids it."""

    code = "identity_not_allowed"


def _check_length(data: bytes, expected: int, what: str) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidEncoding(f"{what} must be bytes, not {type(data).__name__}")
    if len(data) != expected:
        raise InvalidEncoding(f"{what} must be {expected} bytes, got {len(data)}")


@dataclass(frozen=True, slots=True, eq=False)
class Scalar:
    """An integer modulo ``L``; arithmetic is constant time (libsodium).

    ``repr`` never shows the value: scalars are routinely secret and must not reach a log line.
    Equality is a constant-time comparison of the canonical encodings.
    """

    _bytes: bytes

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def decode(cls, data: bytes) -> Scalar:
        """Decode a canonical 32-byte little-endian scalar; refuse values ``>= L``."""
        _check_length(data, SCALAR_BYTES, "scalar")
        raw = bytes(data)
        # Reducing the 64-byte zero-extension is the identity exactly when raw < L. Done with
        # libsodium's constant-time reduction so decoding a secret scalar leaks nothing.
        reduced = rbcl.crypto_core_ristretto255_scalar_reduce(raw + bytes(32))
        if not hmac.compare_digest(reduced, raw):
            raise InvalidEncoding("scalar is not canonical (not below the group order)")
        return cls(raw)

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """The scalar ``value mod L``. For public integers only (counts, indices, coefficients)."""
        return cls((value % L).to_bytes(SCALAR_BYTES, "little"))

    @classmethod
    def from_wide(cls, data: bytes) -> Scalar:
        """Reduce 64 uniformly random bytes modulo ``L`` (bias below 2^-250)."""
        _check_length(data, 64, "wide scalar input")
        return cls(rbcl.crypto_core_ristretto255_scalar_reduce(bytes(data)))

    @classmethod
    def random(cls) -> Scalar:
        """A uniformly random non-zero scalar from the operating system's CSPRNG."""
        while True:
            s = cls.from_wide(secrets.token_bytes(64))
            if not s.is_zero():
                return s

    @classmethod
    def zero(cls) -> Scalar:
        """The additive identity."""
        return cls(bytes(SCALAR_BYTES))

    @classmethod
    def one(cls) -> Scalar:
        """The multiplicative identity."""
        return cls.from_int(1)

    # -- encoding -------------------------------------------------------------------------
    def encode(self) -> bytes:
        """The canonical 32-byte little-endian encoding."""
        return self._bytes

    def to_int(self) -> int:
        """The value as a Python integer. Not constant time: never call it on a secret."""
        return int.from_bytes(self._bytes, "little")

    def is_zero(self) -> bool:
        """Constant-time test for zero."""
        return hmac.compare_digest(self._bytes, bytes(SCALAR_BYTES))

    # -- arithmetic (all constant time in libsodium) ---------------------------------------
    def __add__(self, other: Scalar) -> Scalar:
        return Scalar(rbcl.crypto_core_ristretto255_scalar_add(self._bytes, other._bytes))

    def __sub__(self, other: Scalar) -> Scalar:
        return Scalar(rbcl.crypto_core_ristretto255_scalar_sub(self._bytes, other._bytes))

    def __mul__(self, other: Scalar) -> Scalar:
        return Scalar(rbcl.crypto_core_ristretto255_scalar_mul(self._bytes, other._bytes))

    def __neg__(self) -> Scalar:
        return Scalar(rbcl.crypto_core_ristretto255_scalar_negate(self._bytes))

    def invert(self) -> Scalar:
        """The multiplicative inverse; refuses zero."""
        if self.is_zero():
            raise ZeroDivisionError("zero has no inverse modulo L")
        return Scalar(rbcl.crypto_core_ristretto255_scalar_invert(self._bytes))

    # -- comparison -----------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scalar):
            return NotImplemented
        return hmac.compare_digest(self._bytes, other._bytes)

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __repr__(self) -> str:
        return "Scalar(<redacted>)"

    def __reduce__(self) -> tuple[type[Scalar], tuple[bytes]]:
        # Pickled by value through the plain constructor (no re-validation: pickles only
        # travel between this program's own processes), ~10x faster than dataclass state.
        return (Scalar, (self._bytes,))


_IDENTITY_BYTES: Final[bytes] = bytes(POINT_BYTES)


@dataclass(frozen=True, slots=True)
class Point:
    """A validated ristretto255 group element (its canonical 32-byte encoding).

    Build one from untrusted bytes only with :meth:`decode`. Multiplication by a scalar is
    constant time (libsodium); addition and subtraction decode and re-encode both operands.
    """

    _bytes: bytes

    @classmethod
    def decode(cls, data: bytes, *, allow_identity: bool = False) -> Point:
        """Decode and validate a 32-byte encoding.

        Raises :class:`InvalidEncoding` for a wrong length or a non-canonical / invalid
        encoding, and :class:`IdentityNotAllowed` for the identity unless ``allow_identity``.
        """
        _check_length(data, POINT_BYTES, "point")
        raw = bytes(data)
        if not rbcl.crypto_core_ristretto255_is_valid_point(raw):
            raise InvalidEncoding("not a canonical ristretto255 encoding")
        if not allow_identity and raw == _IDENTITY_BYTES:
            raise IdentityNotAllowed("the identity element is not allowed here")
        return cls(raw)

    @classmethod
    def identity(cls) -> Point:
        """The neutral element (encodes as 32 zero bytes)."""
        return cls(_IDENTITY_BYTES)

    @classmethod
    def generator(cls) -> Point:
        """The standard ristretto255 generator ``G``."""
        return _GENERATOR

    @classmethod
    def base_mul(cls, scalar: Scalar) -> Point:
        """``scalar * G``, constant time."""
        try:
            return cls(rbcl.crypto_scalarmult_ristretto255_base(scalar.encode()))
        except RuntimeError:  # libsodium refuses to return the identity; the scalar was 0
            return cls(_IDENTITY_BYTES)

    def encode(self) -> bytes:
        """The canonical 32-byte encoding."""
        return self._bytes

    def is_identity(self) -> bool:
        """Whether this is the neutral element."""
        return self._bytes == _IDENTITY_BYTES

    def require_not_identity(self, what: str = "element") -> Point:
        """Return ``self``, or raise :class:`IdentityNotAllowed` naming ``what``."""
        if self.is_identity():
            raise IdentityNotAllowed(f"{what} must not be the identity element")
        return self

    def __add__(self, other: Point) -> Point:
        return Point(rbcl.crypto_core_ristretto255_add(self._bytes, other._bytes))

    def __sub__(self, other: Point) -> Point:
        return Point(rbcl.crypto_core_ristretto255_sub(self._bytes, other._bytes))

    def __neg__(self) -> Point:
        return Point(rbcl.crypto_core_ristretto255_sub(_IDENTITY_BYTES, self._bytes))

    def __mul__(self, scalar: Scalar) -> Point:
        """``scalar * self``, constant time."""
        if self._bytes == _IDENTITY_BYTES:
            return self
        try:
            return Point(rbcl.crypto_scalarmult_ristretto255(scalar.encode(), self._bytes))
        except RuntimeError:  # the product is the identity (scalar 0); libsodium refuses it
            return Point(_IDENTITY_BYTES)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"Point({self._bytes.hex()})"

    def __reduce__(self) -> tuple[type[Point], tuple[bytes]]:
        # Pickled by value through the plain constructor (no re-validation: pickles only
        # travel between this program's own processes), ~10x faster than dataclass state.
        return (Point, (self._bytes,))


_GENERATOR: Final[Point] = Point(rbcl.crypto_scalarmult_ristretto255_base(Scalar.one().encode()))


_U32BE: Final = struct.Struct(">I").pack


def frame(*parts: bytes) -> bytes:
    """Unambiguous concatenation: each part is prefixed with its length as a u32 big-endian.

    Every hash input in the project is built with this function, so no two different
    sequences of parts can hash the same.
    """
    out: list[bytes] = []
    for part in parts:
        out.append(_U32BE(len(part)))
        out.append(part)
    return b"".join(out)


def domain_tag(domain: str) -> bytes:
    """The full domain-separation tag for ``domain`` (e.g. ``"proof/dcp"``)."""
    return DOMAIN_PREFIX + domain.encode("ascii")


def hash_to_scalar(domain: str, *parts: bytes) -> Scalar:
    """``SHA-512(frame(tag, *parts)) mod L`` with ``tag = "ballot/v1/" + domain``."""
    digest = hashlib.sha512(frame(domain_tag(domain), *parts)).digest()
    return Scalar.from_wide(digest)


def hash_to_point(domain: str, *parts: bytes) -> Point:
    """RFC 9496 element derivation from ``SHA-512(frame(tag, *parts))``."""
    digest = hashlib.sha512(frame(domain_tag(domain), *parts)).digest()
    return Point(rbcl.crypto_core_ristretto255_from_hash(digest))


#: A source of secret random scalars. Production code uses :meth:`Scalar.random`; test
#: vectors pass a deterministic source so that outputs are reproducible.
RandomScalars = Callable[[], Scalar]


def seeded_scalars(seed: bytes) -> RandomScalars:
    """A deterministic scalar source for test vectors and benchmarks only (never for votes).

    The i-th scalar is ``hash_to_scalar("test/rng", seed, i as u64 big-endian)``.
    """
    counter = 0

    def next_scalar() -> Scalar:
        nonlocal counter
        counter += 1
        return hash_to_scalar("test/rng", seed, counter.to_bytes(8, "big"))

    return next_scalar

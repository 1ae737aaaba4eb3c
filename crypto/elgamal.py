"""Exponential ElGamal over ristretto255, additively homomorphic.

A message ``m`` (a small non-negative integer: a 0/1 vote, or a count) is encrypted under the
public key ``K = k·G`` with nonce ``r`` as ``(alpha, beta) = (r·G, m·G + r·K)``. Adding two
ciphertexts componentwise encrypts the sum of their messages under the sum of their nonces,
which is how ballots are tallied without decrypting any one of them. Decryption recovers
``m·G = beta - k·alpha`` and then ``m`` by a small discrete logarithm (see ``crypto.tally``).

Identity rules (see ``docs/verification-spec.md`` §"Point validation"): the type itself allows
the identity in both components, because sums and :meth:`Ciphertext.zero` legitimately
contain it; a *ballot* ciphertext must have ``alpha != identity`` (``alpha = 0·G`` would mean
``r = 0`` and ``beta = m·G`` in the clear) and that rule is enforced where ballots are decoded
and verified.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crypto.errors import CryptoError
from crypto.group import POINT_BYTES, InvalidEncoding, Point, Scalar


class ElGamalError(CryptoError):
    """An encryption request that cannot be honoured (negative message, zero nonce)."""

    code = "elgamal_invalid_input"


class CiphertextShapeError(ElGamalError):
    """Two ciphertext vectors that should be added elementwise differ in length."""

    code = "ciphertext_shape_mismatch"


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An exponential-ElGamal ciphertext ``(alpha, beta) = (r·G, m·G + r·K)``."""

    alpha: Point
    beta: Point

    def __reduce__(self) -> tuple[type[Ciphertext], tuple[Point, Point]]:
        # Plain constructor: several times faster to unpickle than dataclass state.
        return (Ciphertext, (self.alpha, self.beta))

    @classmethod
    def zero(cls) -> Ciphertext:
        """The identity pair: the neutral element of ciphertext addition (encrypts 0, r = 0)."""
        return cls(Point.identity(), Point.identity())

    def __add__(self, other: Ciphertext) -> Ciphertext:
        """Componentwise sum: encrypts ``m1 + m2`` with nonce ``r1 + r2``."""
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)

    def encode(self) -> bytes:
        """64 bytes: alpha ‖ beta (canonical ristretto255 encodings)."""
        return self.alpha.encode() + self.beta.encode()

    @classmethod
    def decode(cls, data: bytes, *, allow_identity_alpha: bool = False) -> Ciphertext:
        """Decode 64 bytes; ``alpha`` must not be the identity unless allowed.

        ``beta`` may be the identity: for a 0/1 plaintext that happens exactly when
        ``m = 1`` and ``r = -1/k``, a nonce nobody can aim for without the secret key, and
        refusing it would add nothing to soundness (the proofs carry that).
        Raises :class:`~crypto.group.GroupError` (``invalid_encoding`` /
        ``identity_not_allowed``).
        """
        if not isinstance(data, bytes | bytearray | memoryview) or len(data) != 2 * POINT_BYTES:
            raise InvalidEncoding(f"a ciphertext must be {2 * POINT_BYTES} bytes")
        raw = bytes(data)
        alpha = Point.decode(raw[:POINT_BYTES], allow_identity=allow_identity_alpha)
        beta = Point.decode(raw[POINT_BYTES:], allow_identity=True)
        return cls(alpha, beta)


def message_point(message: int) -> Point:
    """``message·G`` for a small non-negative integer.

    Computed as ``(message + 1)·G - G`` so that the multiplication never takes libsodium's
    "result is the identity" error path for ``message = 0``: the vote bit must not change the
    code path (and hence the timing) of encryption.
    """
    if message < 0:
        raise ElGamalError("an exponential-ElGamal message must be non-negative")
    return Point.base_mul(Scalar.from_int(message) + Scalar.one()) - Point.generator()


def encrypt(key: Point, message: int, nonce: Scalar) -> Ciphertext:
    """Encrypt ``message`` under ``key`` with the secret ``nonce``: ``(r·G, m·G + r·K)``.

    The key must not be the identity (everything would be in the clear); the nonce must not
    be zero (``alpha`` would be the identity). Both are refused with
    :class:`~crypto.group.IdentityNotAllowed` / :class:`ElGamalError`.
    """
    key.require_not_identity("the election key")
    if nonce.is_zero():
        raise ElGamalError("the encryption nonce must not be zero")
    return Ciphertext(Point.base_mul(nonce), message_point(message) + key * nonce)


def sum_ciphertexts(cts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic sum of ``cts`` (``Ciphertext.zero()`` for none).

    Starts from the first ciphertext, not from the identity: a ristretto255 addition costs
    ~13 µs (both operands decoded, the sum encoded), and a ballot's sum proof sums its
    options for every verification. Ciphertexts are public, so skipping the first addition
    (which depends only on how many there are) leaks nothing."""
    items = iter(cts)
    first = next(items, None)
    if first is None:
        return Ciphertext.zero()
    alpha, beta = first.alpha, first.beta
    for ct in items:
        alpha = alpha + ct.alpha
        beta = beta + ct.beta
    return Ciphertext(alpha, beta)


def add_vectors(a: Sequence[Ciphertext], b: Sequence[Ciphertext]) -> tuple[Ciphertext, ...]:
    """Elementwise sum of two equally long ciphertext vectors (a running per-option tally)."""
    if len(a) != len(b):
        raise CiphertextShapeError(f"cannot add ciphertext vectors of lengths {len(a)}, {len(b)}")
    return tuple(x + y for x, y in zip(a, b, strict=True))


def zero_vector(n: int) -> tuple[Ciphertext, ...]:
    """``n`` copies of :meth:`Ciphertext.zero` (the aggregate of no ballots)."""
    return (Ciphertext.zero(),) * n


__all__ = [
    "Ciphertext",
    "CiphertextShapeError",
    "ElGamalError",
    "add_vectors",
    "encrypt",
    "message_point",
    "sum_ciphertexts",
    "zero_vector",
]

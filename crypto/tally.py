"""Threshold decryption of an aggregate: partial decryptions, Lagrange combination, small DL.

The election secret ``k`` is Shamir-shared among the tellers (by the key ceremony in
``crypto.dkg``): teller ``i`` (1-based) holds ``s_i = f(i)`` for a polynomial ``f`` of degree
``t - 1`` with ``f(0) = k``, and publishes its verification key ``K_i = s_i·G``. For each
option's aggregate ciphertext ``(A, B)`` a teller publishes the partial decryption
``M_i = s_i·A`` with a Chaum–Pedersen proof that ``log_G K_i = log_A M_i``. Any ``t``
distinct partials combine to ``k·A = Σ λ_i·M_i`` (Lagrange coefficients at 0), and
``B - k·A = count·G``; the count is recovered by baby-step giant-step.

No individual ballot is ever decrypted here: the inputs are aggregates.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from crypto.elgamal import Ciphertext
from crypto.encoding import (
    EncodingError,
    chaum_pedersen_from_json,
    chaum_pedersen_to_json,
    expect_int,
    expect_object,
    list_from_json,
    point_from_json,
    point_to_json,
)
from crypto.errors import CryptoError
from crypto.group import L, Point, RandomScalars, Scalar, frame
from crypto.proofs import DecryptionProof, ProofError, prove_decryption, verify_decryption

_U32_MAX: Final[int] = 2**32 - 1


class TallyError(CryptoError):
    """The tally cannot be computed; ``code`` says why.

    Codes: ``tally_no_shares``, ``tally_duplicate_share``, ``tally_bad_index``,
    ``tally_shape_mismatch``, ``tally_count_out_of_range`` (the combined plaintext is not a
    count in ``[0, max_count]``: too few or inconsistent shares), ``tally_context_invalid``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[TallyError], tuple[str, str]]:
        return (type(self), (self.code, str(self)))


class InvalidShare(CryptoError):
    """A teller's decryption share is refused; ``teller_index`` names the teller."""

    code = "share_invalid"

    def __init__(self, teller_index: int, message: str) -> None:
        super().__init__(f"teller {teller_index}: {message}")
        self.teller_index = teller_index
        self.reason = message

    def __reduce__(self) -> tuple[type[InvalidShare], tuple[int, str]]:
        return (type(self), (self.teller_index, self.reason))


def _u32(value: int) -> bytes:
    return struct.pack(">I", value)


@dataclass(frozen=True, slots=True)
class TallyContext:
    """What a decryption proof is bound to: the session, the round and its option list."""

    session_id: str
    round_number: int
    options: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.session_id, str) or not self.session_id:
            raise TallyError("tally_context_invalid", "session_id must be a non-empty string")
        if (
            not isinstance(self.round_number, int)
            or isinstance(self.round_number, bool)
            or not 0 <= self.round_number <= _U32_MAX
        ):
            raise TallyError("tally_context_invalid", "round_number must be a u32")
        if (
            not isinstance(self.options, tuple)
            or not self.options
            or not all(isinstance(o, str) and o for o in self.options)
            or len(set(self.options)) != len(self.options)
        ):
            raise TallyError("tally_context_invalid", "options must be distinct non-empty names")

    def encode(self) -> bytes:
        """``frame(session_id, u32be(round_number), frame(option_0, …))`` (UTF-8 strings)."""
        return frame(
            self.session_id.encode("utf-8"),
            _u32(self.round_number),
            frame(*(o.encode("utf-8") for o in self.options)),
        )


def decryption_context(
    ctx: TallyContext, teller_index: int, option_index: int, ct: Ciphertext
) -> bytes:
    """Context of one decryption proof.

    ``frame(ctx.encode(), u32be(teller_index), u32be(option_index), A, B)``.
    """
    return frame(
        ctx.encode(),
        _u32(teller_index),
        _u32(option_index),
        ct.alpha.encode(),
        ct.beta.encode(),
    )


@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """Teller ``teller_index``'s partial decryptions ``s_i·A_j`` of each option, with proofs."""

    teller_index: int
    partials: tuple[Point, ...]
    proofs: tuple[DecryptionProof, ...]


def _check_index(index: object) -> int:
    if not isinstance(index, int) or isinstance(index, bool) or not 1 <= index <= _U32_MAX:
        raise TallyError("tally_bad_index", f"teller indices are integers in [1, 2^32), {index!r}")
    return index


def compute_share(
    ctx: TallyContext,
    aggregate: Sequence[Ciphertext],
    teller_index: int,
    key_share: Scalar,
    verification_key: Point,
    rng: RandomScalars = Scalar.random,
) -> DecryptionShare:
    """Teller ``teller_index``'s decryption share of ``aggregate`` (one per option).

    Draws one scalar per option (the proof witness), in option order.
    """
    _check_index(teller_index)
    if len(aggregate) != len(ctx.options):
        raise TallyError("tally_shape_mismatch", "one aggregate ciphertext per option")
    partials = tuple(ct.alpha * key_share for ct in aggregate)
    proofs = tuple(
        prove_decryption(
            key_share,
            verification_key,
            ct.alpha,
            partial,
            decryption_context(ctx, teller_index, j, ct),
            rng,
        )
        for j, (ct, partial) in enumerate(zip(aggregate, partials, strict=True))
    )
    return DecryptionShare(teller_index, partials, proofs)


def verify_share(
    ctx: TallyContext,
    aggregate: Sequence[Ciphertext],
    share: DecryptionShare,
    verification_key: Point,
) -> None:
    """Check every partial decryption of ``share``; raise :class:`InvalidShare` naming the teller.

    The caller looks ``verification_key`` up by ``share.teller_index`` (from the key
    ceremony). Cost: 4 scalar multiplications per option.
    """
    index = share.teller_index
    n = len(ctx.options)
    if len(aggregate) != n or len(share.partials) != n or len(share.proofs) != n:
        raise InvalidShare(index, f"expected {n} partial decryptions with proofs")
    if verification_key.is_identity():
        raise InvalidShare(index, "the verification key is the identity")
    for j, (ct, partial, proof) in enumerate(
        zip(aggregate, share.partials, share.proofs, strict=True)
    ):
        try:
            verify_decryption(
                verification_key,
                ct.alpha,
                partial,
                proof,
                decryption_context(ctx, index, j, ct),
            )
        except ProofError as exc:
            raise InvalidShare(index, f"option {j}: {exc}") from exc


def lagrange_coefficient(index: int, indices: Sequence[int]) -> Scalar:
    """``λ_index = Π_{j ≠ index} j / (j - index) mod L`` over the distinct ``indices``.

    Public values only, so Python integers are fine here.
    """
    _check_index(index)
    for j in indices:
        _check_index(j)
    if len(set(indices)) != len(indices):
        raise TallyError("tally_duplicate_share", "teller indices must be distinct")
    if index not in indices:
        raise TallyError("tally_bad_index", f"teller {index} is not among {list(indices)}")
    numerator, denominator = 1, 1
    for j in indices:
        if j != index:
            numerator = numerator * j % L
            denominator = denominator * (j - index) % L
    return Scalar.from_int(numerator * pow(denominator, -1, L))


# -- small discrete logarithm --------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _baby_steps(m: int) -> dict[bytes, int]:
    # {encode(j·G): j for 0 <= j < m}, built with m - 1 additions and cached: a server
    # decrypts every round with the same m, so the table is built once.
    table: dict[bytes, int] = {}
    point = Point.identity()
    generator = Point.generator()
    for j in range(m):
        table[point.encode()] = j
        point = point + generator
    return table


def small_discrete_log(point: Point, max_value: int) -> int:
    """The ``x`` in ``[0, max_value]`` with ``x·G = point`` (baby-step giant-step).

    ``m = isqrt(max_value) + 1`` baby steps (cached per ``m``) and at most ``m`` giant steps
    of ``-m·G``: about 2·sqrt(max_value) point additions on a cold cache, at most
    sqrt(max_value) on a warm one. Raises :class:`TallyError`
    (``tally_count_out_of_range``) if there is none.
    """
    if max_value < 0:
        raise TallyError("tally_count_out_of_range", "max_value must be non-negative")
    m = math.isqrt(max_value) + 1
    table = _baby_steps(m)
    stride = -Point.base_mul(Scalar.from_int(m))
    y = point
    for i in range(m):
        j = table.get(y.encode())
        if j is not None:
            value = i * m + j
            if value <= max_value:
                return value
            break
        y = y + stride
    raise TallyError(
        "tally_count_out_of_range", f"the decrypted value is not a count in [0, {max_value}]"
    )


def combine(
    aggregate: Sequence[Ciphertext], shares: Sequence[DecryptionShare], max_count: int
) -> tuple[int, ...]:
    """Lagrange-combine the shares (any ``t`` at distinct indices) and decrypt the counts.

    The shares must already have passed :func:`verify_share` (this function does not check
    proofs). With fewer than the threshold, or inconsistent shares, the combined value is
    (overwhelmingly likely) not a small count and :class:`TallyError`
    ``tally_count_out_of_range`` is raised.
    """
    if not shares:
        raise TallyError("tally_no_shares", "at least one decryption share is needed")
    indices = [s.teller_index for s in shares]
    for index in indices:
        _check_index(index)
    if len(set(indices)) != len(indices):
        raise TallyError("tally_duplicate_share", "two shares from the same teller")
    n = len(aggregate)
    if any(len(s.partials) != n for s in shares):
        raise TallyError("tally_shape_mismatch", f"each share must have {n} partials")
    lambdas = [lagrange_coefficient(i, indices) for i in indices]
    counts: list[int] = []
    for j, ct in enumerate(aggregate):
        key_times_alpha = Point.identity()
        for lam, share in zip(lambdas, shares, strict=True):
            key_times_alpha = key_times_alpha + share.partials[j] * lam
        counts.append(small_discrete_log(ct.beta - key_times_alpha, max_count))
    return tuple(counts)


# -- JSON ----------------------------------------------------------------------------------

_SHARE_KEYS: Final = ("teller_index", "partials", "proofs")


def share_to_json(share: DecryptionShare) -> dict[str, object]:
    """``{"teller_index": int, "partials": [point…], "proofs": [{challenge, response}…]}``."""
    return {
        "teller_index": share.teller_index,
        "partials": [point_to_json(p) for p in share.partials],
        "proofs": [chaum_pedersen_to_json(p) for p in share.proofs],
    }


def share_from_json(obj: object) -> DecryptionShare:
    """Strict inverse of :func:`share_to_json`; raises :class:`~crypto.group.GroupError`.

    A partial may be the identity: it is exactly when the aggregate's alpha is (the proof
    enforces that), e.g. an aggregate whose nonces cancel.
    """
    fields = expect_object(obj, _SHARE_KEYS, "decryption share")
    index = expect_int(fields["teller_index"], "teller_index", minimum=1)
    partials = list_from_json(
        fields["partials"], lambda x, w: point_from_json(x, w, allow_identity=True), "partials"
    )
    proofs = list_from_json(fields["proofs"], chaum_pedersen_from_json, "proofs")
    if len(partials) != len(proofs):
        raise EncodingError("decryption share: one proof per partial decryption is required")
    return DecryptionShare(index, partials, proofs)


__all__ = [
    "DecryptionShare",
    "InvalidShare",
    "TallyContext",
    "TallyError",
    "combine",
    "compute_share",
    "decryption_context",
    "lagrange_coefficient",
    "share_from_json",
    "share_to_json",
    "small_discrete_log",
    "verify_share",
]

"""Canonical JSON forms of the crypto values, defined once.

Every scalar and point travels in JSON as **base64url without padding** (RFC 4648 §5) of its
canonical 32-byte encoding; decoding is strict: only the URL-safe alphabet, no padding, no
whitespace, no non-zero trailing bits (so each byte string has exactly one text form), and the
exact expected length. Objects must have exactly the documented keys.

Errors: :class:`EncodingError` (``invalid_encoding``) for anything structurally wrong, and
the group's :class:`~crypto.group.InvalidEncoding` / :class:`~crypto.group.IdentityNotAllowed`
for bad scalars and points. All are :class:`~crypto.group.GroupError` subclasses, so a caller
can catch one type.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final, TypeVar

from crypto.elgamal import Ciphertext
from crypto.group import POINT_BYTES, SCALAR_BYTES, InvalidEncoding, Point, Scalar
from crypto.proofs import ChaumPedersenProof, DisjunctiveProof, SchnorrProof

_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_T = TypeVar("_T")


class EncodingError(InvalidEncoding):
    """A JSON value does not have the documented shape (keys, types, base64url, lengths)."""


# -- base64url -------------------------------------------------------------------------------


def b64e(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def b64d(text: object, length: int | None = None, what: str = "value") -> bytes:
    """Strictly decode base64url without padding; optionally require ``length`` bytes.

    Refuses non-strings, padding, characters outside ``A-Z a-z 0-9 - _``, impossible lengths
    and non-canonical text (non-zero unused trailing bits), so that decoding is injective.
    """
    if not isinstance(text, str):
        raise EncodingError(f"{what} must be a base64url string")
    if _B64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise EncodingError(f"{what} is not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - excluded by the regex
        raise EncodingError(f"{what} is not unpadded base64url") from exc
    if b64e(data) != text:
        raise EncodingError(f"{what} is not canonical base64url (non-zero trailing bits)")
    if length is not None and len(data) != length:
        raise EncodingError(f"{what} must encode {length} bytes, got {len(data)}")
    return data


# -- structural helpers ----------------------------------------------------------------------


def expect_object(obj: object, keys: Sequence[str], what: str) -> Mapping[str, object]:
    """``obj`` as a mapping with exactly ``keys`` (no missing, no unknown keys)."""
    if not isinstance(obj, dict):
        raise EncodingError(f"{what} must be a JSON object")
    present = set(obj)
    if present != set(keys):
        missing = sorted(set(keys) - present)
        unknown = sorted(str(k) for k in present - set(keys))
        raise EncodingError(f"{what}: missing keys {missing}, unknown keys {unknown}")
    return obj


def expect_list(obj: object, what: str) -> list[object]:
    """``obj`` as a JSON array."""
    if not isinstance(obj, list):
        raise EncodingError(f"{what} must be a JSON array")
    return obj


def expect_int(obj: object, what: str, minimum: int = 0, maximum: int = 2**32 - 1) -> int:
    """``obj`` as an integer in ``[minimum, maximum]`` (booleans are not integers here)."""
    if not isinstance(obj, int) or isinstance(obj, bool) or not minimum <= obj <= maximum:
        raise EncodingError(f"{what} must be an integer in [{minimum}, {maximum}]")
    return obj


def list_from_json(obj: object, item: Callable[[object, str], _T], what: str) -> tuple[_T, ...]:
    """Decode a JSON array with ``item(element, name)`` for each element."""
    return tuple(item(x, f"{what}[{i}]") for i, x in enumerate(expect_list(obj, what)))


# -- scalars and points ----------------------------------------------------------------------


def scalar_to_json(s: Scalar) -> str:
    """A scalar as base64url of its 32-byte little-endian encoding."""
    return b64e(s.encode())


def scalar_from_json(obj: object, what: str = "scalar") -> Scalar:
    """Inverse of :func:`scalar_to_json`; refuses values ``>= L``."""
    raw = b64d(obj, SCALAR_BYTES, what)
    try:
        return Scalar.decode(raw)
    except InvalidEncoding as exc:
        raise type(exc)(f"{what}: {exc}") from exc


def point_to_json(p: Point) -> str:
    """A point as base64url of its 32-byte ristretto255 encoding."""
    return b64e(p.encode())


def point_from_json(obj: object, what: str = "point", *, allow_identity: bool = False) -> Point:
    """Inverse of :func:`point_to_json`; validates the point, refuses the identity by default."""
    raw = b64d(obj, POINT_BYTES, what)
    try:
        return Point.decode(raw, allow_identity=allow_identity)
    except InvalidEncoding as exc:
        raise type(exc)(f"{what}: {exc}") from exc


# -- ciphertexts -----------------------------------------------------------------------------

_CT_KEYS: Final = ("alpha", "beta")


def ciphertext_to_json(ct: Ciphertext) -> dict[str, object]:
    """``{"alpha": point, "beta": point}``."""
    return {"alpha": point_to_json(ct.alpha), "beta": point_to_json(ct.beta)}


def ciphertext_from_json(
    obj: object, what: str = "ciphertext", *, allow_identity_alpha: bool = False
) -> Ciphertext:
    """Inverse of :func:`ciphertext_to_json`. ``beta`` may always be the identity."""
    fields = expect_object(obj, _CT_KEYS, what)
    return Ciphertext(
        point_from_json(fields["alpha"], f"{what}.alpha", allow_identity=allow_identity_alpha),
        point_from_json(fields["beta"], f"{what}.beta", allow_identity=True),
    )


def ciphertexts_to_json(cts: Sequence[Ciphertext]) -> list[object]:
    """A ciphertext vector (e.g. a per-option aggregate) as a JSON array."""
    return [ciphertext_to_json(ct) for ct in cts]


def aggregate_from_json(obj: object, what: str = "aggregate") -> tuple[Ciphertext, ...]:
    """An aggregate ciphertext vector: identity allowed in both components (sum of nothing)."""
    return list_from_json(
        obj, lambda x, name: ciphertext_from_json(x, name, allow_identity_alpha=True), what
    )


# -- proofs ----------------------------------------------------------------------------------

_CR_KEYS: Final = ("challenge", "response")
_DCP_KEYS: Final = ("c0", "c1", "v0", "v1")


def schnorr_to_json(proof: SchnorrProof) -> dict[str, object]:
    """``{"challenge": scalar, "response": scalar}``."""
    return {
        "challenge": scalar_to_json(proof.challenge),
        "response": scalar_to_json(proof.response),
    }


def schnorr_from_json(obj: object, what: str = "Schnorr proof") -> SchnorrProof:
    """Inverse of :func:`schnorr_to_json`."""
    fields = expect_object(obj, _CR_KEYS, what)
    return SchnorrProof(
        scalar_from_json(fields["challenge"], f"{what}.challenge"),
        scalar_from_json(fields["response"], f"{what}.response"),
    )


def chaum_pedersen_to_json(proof: ChaumPedersenProof) -> dict[str, object]:
    """``{"challenge": scalar, "response": scalar}`` (sum-to-one and decryption proofs)."""
    return {
        "challenge": scalar_to_json(proof.challenge),
        "response": scalar_to_json(proof.response),
    }


def chaum_pedersen_from_json(obj: object, what: str = "Chaum–Pedersen proof") -> ChaumPedersenProof:
    """Inverse of :func:`chaum_pedersen_to_json`."""
    fields = expect_object(obj, _CR_KEYS, what)
    return ChaumPedersenProof(
        scalar_from_json(fields["challenge"], f"{what}.challenge"),
        scalar_from_json(fields["response"], f"{what}.response"),
    )


def disjunctive_to_json(proof: DisjunctiveProof) -> dict[str, object]:
    """``{"c0", "c1", "v0", "v1"}``, each a scalar."""
    return {
        "c0": scalar_to_json(proof.c0),
        "c1": scalar_to_json(proof.c1),
        "v0": scalar_to_json(proof.v0),
        "v1": scalar_to_json(proof.v1),
    }


def disjunctive_from_json(obj: object, what: str = "0-or-1 proof") -> DisjunctiveProof:
    """Inverse of :func:`disjunctive_to_json`."""
    fields = expect_object(obj, _DCP_KEYS, what)
    c0, c1, v0, v1 = (scalar_from_json(fields[k], f"{what}.{k}") for k in _DCP_KEYS)
    return DisjunctiveProof(c0, c1, v0, v1)


__all__ = [
    "EncodingError",
    "aggregate_from_json",
    "b64d",
    "b64e",
    "chaum_pedersen_from_json",
    "chaum_pedersen_to_json",
    "ciphertext_from_json",
    "ciphertext_to_json",
    "ciphertexts_to_json",
    "disjunctive_from_json",
    "disjunctive_to_json",
    "expect_int",
    "expect_list",
    "expect_object",
    "list_from_json",
    "point_from_json",
    "point_to_json",
    "scalar_from_json",
    "scalar_to_json",
    "schnorr_from_json",
    "schnorr_to_json",
]

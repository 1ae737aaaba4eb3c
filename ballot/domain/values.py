"""Value types shared by commands, events and state.

Payloads are JSON-only (the log's canonical JSON has no floats), so every field type here has
a JSON form that is a string, an integer, a boolean, ``null``, a list or an object:

* binary values are unpadded base64url strings (:data:`B64`, and fixed-length variants);
* instants are RFC 3339 UTC strings with six fractional digits (:data:`Timestamp`), the same
  form the event store uses for ``recorded_at``;
* crypto objects (ballots, shares, ceremony messages) are JSON objects produced by the
  ``crypto`` package's own ``*_to_json`` functions (:data:`JsonObject`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from ballot.domain.text import TEXT_PATTERN, check_text

#: Reserved option identifiers; no member, candidate or teller may use them.
BLANK: Final[str] = "blank"
YES: Final[str] = "yes"
NO: Final[str] = "no"
RESERVED_IDS: Final[frozenset[str]] = frozenset({BLANK, YES, NO})

_ID_PATTERN: Final[str] = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_B64_ALPHABET: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9_-]*$")


def b64encode(data: bytes) -> str:
    """Unpadded base64url (RFC 4648 §5) text of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Inverse of :func:`b64encode`; refuses padding, other alphabets and non-canonical text."""
    if not _B64_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url text")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(f"not base64url: {exc}") from None
    if b64encode(data) != text:  # unused trailing bits set: a second spelling of the bytes
        raise ValueError("base64url text is not canonical")
    return data


def _to_bytes(value: object) -> object:
    # JSON gives text, Python callers give bytes; both end up as bytes.
    if isinstance(value, str):
        return b64decode(value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def _b64_serialize(value: bytes) -> str:
    return b64encode(value)


_B64_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "contentEncoding": "base64url",
    "pattern": "^[A-Za-z0-9_-]*$",
}

#: Bytes, written as unpadded base64url in JSON.
B64 = Annotated[
    bytes,
    BeforeValidator(_to_bytes),
    PlainSerializer(_b64_serialize, return_type=str, when_used="json"),
    WithJsonSchema(_B64_SCHEMA),
]


def _exact_b64(n: int) -> WithJsonSchema:
    """The schema of exactly ``n`` bytes in canonical unpadded base64url: the length, and a
    last character whose unused low bits are zero (what the strict decoder accepts)."""
    chars, bits = divmod(8 * n, 6)
    if bits == 0:
        pattern = f"^[A-Za-z0-9_-]{{{chars}}}$"
    else:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = "".join(c for i, c in enumerate(alphabet) if i % (1 << (6 - bits)) == 0)
        pattern = f"^[A-Za-z0-9_-]{{{chars}}}[{last}]$"  # never "-" or "_" (62, 63)
    return WithJsonSchema({**_B64_SCHEMA, "pattern": pattern})


#: 32 bytes (a SHA-256 digest, an Ed25519 or X25519 public key, a seed).
Bytes32 = Annotated[B64, Field(min_length=32, max_length=32), _exact_b64(32)]
#: 64 bytes (an Ed25519 signature).
Bytes64 = Annotated[B64, Field(min_length=64, max_length=64), _exact_b64(64)]


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with six fractional digits, e.g. ``2026-11-23T17:50:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC)


#: A timezone-aware instant, normalized to UTC; JSON form as :func:`format_timestamp`.
Timestamp = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]


def _is_json(value: object) -> bool:
    """Fast structural test of :func:`_check_json`'s rule: no path strings on the common path
    (every ballot is checked two or three times, and its JSON has dozens of nodes)."""
    if value is None or type(value) is str or type(value) is bool:
        return True
    if type(value) is int:
        return -(2**53 - 1) <= value <= 2**53 - 1
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) is not str and not _is_json(item)):
                return False
        return True
    if type(value) is list or type(value) is tuple:
        # Explicit loops: about twice as fast as all() over a generator, on every ballot.
        for item in value:  # noqa: SIM110
            if type(item) is not str and not _is_json(item):
                return False
        return True
    return False


def _check_json(value: object, path: str = "$") -> None:
    """Raise ``ValueError`` naming the first value that is not canonical-log JSON."""
    if _is_json(value):
        return
    _explain_json(value, path)


def _explain_json(value: object, path: str = "$") -> None:
    # The log's canonical JSON: objects with string keys, arrays, strings, booleans, null and
    # integers. No floats (their text is not portable), nothing that is not JSON at all.
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not -(2**53 - 1) <= value <= 2**53 - 1:
            raise ValueError(f"{path}: integer outside ±(2^53-1)")
        return
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not allowed in the log")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _explain_json(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: object key {key!r} is not a string")
            _explain_json(item, f"{path}.{key}")
        return
    raise ValueError(f"{path}: {type(value).__name__} is not a JSON value")


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    _check_json(value)
    return value


#: A JSON object (a crypto object's JSON form, e.g. from ``crypto.ballot.ballot_to_json``):
#: string keys; values strings, integers, booleans, null, arrays, objects; no floats.
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]


#: The reserved option names in any case, as a pattern (for the published schemas).
_RESERVED_PATTERN: Final[str] = (
    "^("
    + "|".join("".join(f"[{c.upper()}{c}]" for c in word) for word in sorted(RESERVED_IDS))
    + ")$"
)


def _not_reserved(value: str) -> str:
    if value.lower() in RESERVED_IDS:
        raise ValueError(f"{value!r} is reserved for ballot options")
    return value


#: An identifier of a session, member state, candidate or teller (1–64 characters of
#: ``A–Z a–z 0–9 . _ : -``, not one of the reserved option names ``blank``/``yes``/``no``).
Identifier = Annotated[
    str,
    StringConstraints(pattern=_ID_PATTERN),
    AfterValidator(_not_reserved),
    Field(json_schema_extra={"not": {"pattern": _RESERVED_PATTERN}}),
]
#: A human-readable name or title: 1–200 characters under the text rule (``ballot.domain.text``).
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(check_text),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),
]
#: A free-text reason or note recorded in the log: up to 500 characters under the text rule.
Note = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(check_text),
    Field(json_schema_extra={"pattern": f"^({TEXT_PATTERN[1:-1]})?$"}),
]
#: A non-negative integer.
NonNegative = Annotated[int, Field(ge=0, le=2**53 - 1)]
#: A round number (rounds are numbered 1, 2, … across the whole session).
RoundNumber = Annotated[int, Field(ge=1, le=1_000_000)]


class DomainModel(BaseModel):
    """Base of commands, events and settings: frozen, no unknown fields, JSON-only values."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


def check_json_only(value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is canonical-log JSON (no floats anywhere)."""
    _check_json(value)

"""Canonical bytes of events, and the hash chain over them. Defined once, here.

Specified in ``docs/event-log.md``. In short:

* **Canonical JSON** is RFC 8785 (JCS) restricted to the values a log may hold: objects with
  string keys, arrays, strings, booleans, ``null`` and integers in ``[-(2^53-1), 2^53-1]``.
  Floats are refused (their text form is not portable), and so are object keys outside the
  Basic Multilingual Plane, so that sorting keys by code point is exactly JCS's UTF-16 order.
  With that restriction Python's ``json.dumps(sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` produces JCS output, and the C encoder keeps appends fast.
* The **canonical bytes of an event** are the canonical JSON of the object with the keys
  ``event_id, event_type, log_id, metadata, payload, position, recorded_at, schema_version,
  stream_id, stream_version``.
* ``hash = SHA-256("ballot/v1/event" ‖ prev_hash ‖ canonical bytes)``; the first event of a
  log has ``prev_hash`` = 32 zero bytes.

Payload and metadata are stored as their canonical JSON text, exactly as hashed, so an event
read back can be re-hashed without re-serializing anything.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from events.errors import InvalidPayload

CHAIN_TAG: Final[bytes] = b"ballot/v1/event"
GENESIS_HASH: Final[bytes] = bytes(32)
MAX_SAFE_INTEGER: Final[int] = 2**53 - 1

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]

_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _acceptable(value: object) -> bool:
    """Fast structural check; the common path of every append, so it builds no messages."""
    if value is None or type(value) is str or type(value) is bool:
        return True
    if type(value) is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (not key.isascii() and any(ord(c) > 0xFFFF for c in key)):
                return False
            # Leaves inline: most payload values are strings or small integers, and a call
            # per leaf is most of the cost of this check.
            if type(item) is str or item is None or type(item) is bool:
                continue
            if type(item) is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if not _acceptable(item):
                return False
        return True
    if type(value) is list or type(value) is tuple:
        return all(_acceptable(item) for item in value)
    return False


def _explain(value: object, path: str) -> None:
    """Slow path: find the offending value and raise :class:`InvalidPayload` naming it."""
    if value is None or type(value) is str or type(value) is bool:
        return
    if type(value) is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise InvalidPayload(f"{path}: integer outside the interoperable range ±(2^53-1)")
        return
    if type(value) is list or type(value) is tuple:
        for i, item in enumerate(value):
            _explain(item, f"{path}[{i}]")
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidPayload(f"{path}: object key {key!r} is not a string")
            if any(ord(ch) > 0xFFFF for ch in key):
                raise InvalidPayload(f"{path}: object key {key!r} is outside the BMP")
            _explain(item, f"{path}.{key}")
        return
    raise InvalidPayload(f"{path}: {type(value).__name__} is not a canonical JSON value")


def _check(value: object) -> None:
    if not _acceptable(value):
        _explain(value, "$")
        raise InvalidPayload("$: not a canonical JSON value")  # pragma: no cover


def canonical_json(value: object) -> str:
    """The canonical JSON text of ``value``; raises :class:`InvalidPayload` if it has none."""
    _check(value)
    try:
        text = _ENCODER.encode(value)
        if not text.isascii():
            text.encode("utf-8")  # lone surrogates cannot be encoded: refuse them here
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidPayload(f"$: not encodable as canonical JSON: {exc}") from exc
    return text


def canonical_object_json(value: Mapping[str, object], what: str) -> str:
    """Like :func:`canonical_json` but the value must be a JSON object."""
    if type(value) is dict:  # the common case: skip the (slow) abstract-class check and copy
        return canonical_json(value) if value else "{}"
    if not isinstance(value, Mapping):
        raise InvalidPayload(f"{what} must be a JSON object")
    return canonical_json(dict(value))


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with exactly six fractional digits, e.g. ``2026-11-23T17:50:00.000000Z``."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def parse_timestamp(text: str) -> datetime:
    """Inverse of :func:`format_timestamp`; refuses any other form.

    The exact shape is matched first, then the C ISO parser reads it (every event of a
    replayed log has a timestamp: ``strptime`` was a measurable part of an audit)."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"timestamp {text!r} is not in canonical form")
    moment = datetime.fromisoformat(text)  # range checks (month 13, day 31 in June…) here
    if format_timestamp(moment) != text:
        raise ValueError(f"timestamp {text!r} is not in canonical form")
    return moment


def json_string(value: str) -> str:
    """The canonical JSON text of one string."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'  # nothing to escape: the common case, kept cheap
    return _ENCODER.encode(value)


# Log ids, event types, stream ids and batch timestamps repeat from one event to the next;
# caching their JSON form is a measurable part of replay speed.
_repeated_string = functools.lru_cache(maxsize=4096)(json_string)


def event_canonical_bytes(
    event_id: str,
    event_type: str,
    log_id: str,
    metadata_json: str,
    payload_json: str,
    position: int,
    recorded_at: str,
    schema_version: int,
    stream_id: str,
    stream_version: int,
) -> bytes:
    """Canonical bytes of one event, from already-canonical payload and metadata texts.

    Assembled by concatenation in JCS key order, which is byte-identical to canonicalizing
    the whole object but does not re-serialize the payload — replay speed depends on it.
    (Parameters are in key order.) This is unambiguous because every string is escaped and
    payload and metadata are each a complete JSON object.
    """
    return (
        f'{{"event_id":{json_string(event_id)},"event_type":{_repeated_string(event_type)},'
        f'"log_id":{_repeated_string(log_id)},"metadata":{metadata_json},'
        f'"payload":{payload_json},"position":{position},'
        f'"recorded_at":{_repeated_string(recorded_at)},"schema_version":{schema_version},'
        f'"stream_id":{_repeated_string(stream_id)},"stream_version":{stream_version}}}'
    ).encode()


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    """``SHA-256("ballot/v1/event" ‖ prev_hash ‖ canonical)``."""
    return hashlib.sha256(CHAIN_TAG + prev_hash + canonical).digest()

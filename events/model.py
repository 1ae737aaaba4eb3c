"""Value types of the event store: events to append, recorded events, expected versions."""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from events.canonical import (
    canonical_object_json,
    chain_hash,
    event_canonical_bytes,
)


class Expect(enum.Enum):
    """Symbolic expected versions; an ``int`` means "exactly this version"."""

    ANY = "any"
    """Append whatever the stream's version."""
    NO_STREAM = "no_stream"
    """The stream must not exist yet (version 0)."""
    EXISTS = "exists"
    """The stream must already hold at least one event."""


ExpectedVersion = Expect | int


def expectation_met(expected: ExpectedVersion, actual: int) -> bool:
    """Whether a stream at version ``actual`` (0 = no stream) satisfies ``expected``."""
    if expected is Expect.ANY:
        return True
    if expected is Expect.NO_STREAM:
        return actual == 0
    if expected is Expect.EXISTS:
        return actual > 0
    return actual == expected


def describe_expected(expected: ExpectedVersion) -> str:
    """Human form of an expectation, for error messages."""
    return expected.value if isinstance(expected, Expect) else f"exactly {expected}"


def _validate_id(value: str, what: str) -> str:
    if not value or len(value) > 200 or not value.isprintable():
        raise ValueError(f"{what} must be 1..200 printable characters")
    return value


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append. ``payload`` and ``metadata`` are canonicalized (and validated) now.

    Give an ``event_id`` (a UUID) whenever a retry must be idempotent (the id is what makes a
    retried append return the original positions); otherwise a random UUID is assigned.
    """

    event_type: str
    payload: Mapping[str, Any]
    schema_version: int = 1
    event_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    payload_json: str = field(init=False, repr=False)
    metadata_json: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        validate_event_type(self.event_type)
        if not 1 <= self.schema_version <= 2**31 - 1:
            raise ValueError("schema version must be a positive 32-bit integer")
        # Normalize a caller's id (any UUID spelling) to the canonical lower-case form.
        event_id = str(uuid.UUID(self.event_id)) if self.event_id else str(uuid.uuid4())
        object.__setattr__(self, "event_id", event_id)
        object.__setattr__(self, "payload_json", canonical_object_json(self.payload, "payload"))
        object.__setattr__(self, "metadata_json", canonical_object_json(self.metadata, "metadata"))


class RecordedEvent(NamedTuple):
    """An event as stored: every field the hash covers, exactly as hashed.

    ``payload_json``/``metadata_json`` are the canonical texts; :meth:`payload` parses them.
    Upcasting to newer schema versions happens above the store (``events.upcasting``), so
    a recorded event always re-hashes to its stored ``hash``. (A named tuple, not a frozen
    dataclass: replaying a log builds hundreds of thousands of these per second.)
    """

    log_id: str
    position: int
    stream_id: str
    stream_version: int
    event_id: str
    event_type: str
    schema_version: int
    payload_json: str
    metadata_json: str
    recorded_at: str
    prev_hash: bytes
    hash: bytes

    def payload(self) -> dict[str, Any]:
        """The stored payload, parsed."""
        value: dict[str, Any] = json.loads(self.payload_json)
        return value

    def metadata(self) -> dict[str, Any]:
        """The stored metadata, parsed."""
        value: dict[str, Any] = json.loads(self.metadata_json)
        return value

    def canonical_bytes(self) -> bytes:
        """The bytes the chain hash covers (see ``events.canonical``)."""
        return event_canonical_bytes(
            self.event_id,
            self.event_type,
            self.log_id,
            self.metadata_json,
            self.payload_json,
            self.position,
            self.recorded_at,
            self.schema_version,
            self.stream_id,
            self.stream_version,
        )

    def computed_hash(self) -> bytes:
        """Recompute the chain hash from ``prev_hash`` and the canonical bytes."""
        return chain_hash(self.prev_hash, self.canonical_bytes())

    def same_content(self, new: NewEvent) -> bool:
        """Whether appending ``new`` would store exactly this event (idempotent retry)."""
        return (
            self.event_id == new.event_id
            and self.event_type == new.event_type
            and self.schema_version == new.schema_version
            and self.payload_json == new.payload_json
            and self.metadata_json == new.metadata_json
        )


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed: its positions in the log and the stream's new version."""

    log_id: str
    stream_id: str
    positions: tuple[int, ...]
    stream_version: int
    #: The chain hash of each appended event (a receipt signs the one of its ballot).
    hashes: tuple[bytes, ...] = ()

    @property
    def first_position(self) -> int:
        """Position of the batch's first event."""
        return self.positions[0]

    @property
    def last_position(self) -> int:
        """Position of the batch's last event."""
        return self.positions[-1]


@dataclass(frozen=True, slots=True)
class LogHead:
    """The last position of a log and the hash at that position (genesis: 0 and zeros)."""

    log_id: str
    position: int
    hash: bytes


def validate_log_id(log_id: str) -> str:
    """Log ids (one per session) are short printable strings."""
    return _validate_id(log_id, "log id")


def validate_stream_id(stream_id: str) -> str:
    """Stream ids are short printable strings; the domain decides their shape."""
    return _validate_id(stream_id, "stream id")


def validate_event_type(event_type: str) -> str:
    """Event types are short printable strings."""
    return _validate_id(event_type, "event type")

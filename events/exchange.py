"""Export and import of a whole log as JSON Lines — the format auditors download.

One event per line, UTF-8, ``\\n``-terminated. Each line is the canonical JSON (see
``events.canonical``) of the object with the keys ``event_id, event_type, hash, log_id,
metadata, payload, position, prev_hash, recorded_at, schema_version, stream_id,
stream_version`` (hashes in lower-case hex). A reader accepts a line only if it is *exactly*
that canonical text, so any altered byte is detected either as a non-canonical line or as a
hash mismatch — and is reported with the position of the event it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from events.canonical import canonical_json, json_string, parse_timestamp
from events.chain import ChainVerifier
from events.errors import ChainBroken, InvalidPayload
from events.model import LogHead, RecordedEvent
from events.store import EventStore

_KEYS = frozenset(
    {
        "event_id",
        "event_type",
        "hash",
        "log_id",
        "metadata",
        "payload",
        "position",
        "prev_hash",
        "recorded_at",
        "schema_version",
        "stream_id",
        "stream_version",
    }
)


def record_to_line(record: RecordedEvent) -> bytes:
    """The canonical JSON line (with trailing newline) of one recorded event.

    Assembled in sorted key order from already-canonical parts, like
    :func:`events.canonical.event_canonical_bytes`, so exporting does not re-serialize payloads.
    """
    return (
        f'{{"event_id":{json_string(record.event_id)},'
        f'"event_type":{json_string(record.event_type)},"hash":"{record.hash.hex()}",'
        f'"log_id":{json_string(record.log_id)},"metadata":{record.metadata_json},'
        f'"payload":{record.payload_json},"position":{record.position},'
        f'"prev_hash":"{record.prev_hash.hex()}",'
        f'"recorded_at":{json_string(record.recorded_at)},'
        f'"schema_version":{record.schema_version},"stream_id":{json_string(record.stream_id)},'
        f'"stream_version":{record.stream_version}}}\n'
    ).encode()


class LineError(ChainBroken):
    """A line of an exported log is unusable; ``position`` is the event it should hold."""

    code = "export_line_invalid"


def _field(obj: dict[str, Any], key: str, kind: type, position: int) -> Any:
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LineError(position, f"field {key!r} has the wrong type")
    return value


def record_from_line(line: bytes, position_hint: int) -> RecordedEvent:
    """Parse one exported line strictly; ``position_hint`` names it in errors."""
    text = line[:-1] if line.endswith(b"\n") else line
    try:
        obj = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LineError(position_hint, f"not a JSON line: {exc}") from None
    if not isinstance(obj, dict) or set(obj) != _KEYS:
        raise LineError(position_hint, "not an exported event (wrong set of keys)")
    position = _field(obj, "position", int, position_hint)
    try:
        record = RecordedEvent(
            log_id=_field(obj, "log_id", str, position),
            position=position,
            stream_id=_field(obj, "stream_id", str, position),
            stream_version=_field(obj, "stream_version", int, position),
            event_id=_field(obj, "event_id", str, position),
            event_type=_field(obj, "event_type", str, position),
            schema_version=_field(obj, "schema_version", int, position),
            payload_json=canonical_json(_field(obj, "payload", dict, position)),
            metadata_json=canonical_json(_field(obj, "metadata", dict, position)),
            recorded_at=_field(obj, "recorded_at", str, position),
            prev_hash=bytes.fromhex(_field(obj, "prev_hash", str, position)),
            hash=bytes.fromhex(_field(obj, "hash", str, position)),
        )
        parse_timestamp(record.recorded_at)
    except (ValueError, InvalidPayload) as exc:
        raise LineError(position, f"malformed field: {exc}") from None
    if record_to_line(record) != text + b"\n":
        raise LineError(position, "line is not in canonical form")
    return record


def read_jsonl(lines: Iterable[bytes], after: int = 0) -> Iterator[RecordedEvent]:
    """Parse an export (an iterable of lines) lazily; blank trailing lines are not allowed."""
    for offset, line in enumerate(lines, start=1):
        yield record_from_line(line, after + offset)


def verify_jsonl(lines: Iterable[bytes]) -> LogHead:
    """Verify an exported log from position 1: strict lines and the whole hash chain.

    Raises :class:`ChainBroken` (or its subclass :class:`LineError`) naming the first
    position that fails. Memory use is bounded by the number of streams.
    """
    verifier = ChainVerifier()
    for record in read_jsonl(lines):
        verifier.feed(record)
    return verifier.head()


async def export_jsonl(store: EventStore, log_id: str, after: int = 0) -> AsyncIterator[bytes]:
    """The export of a log from ``position > after``, one line at a time (streamed)."""
    async for record in store.read_log(log_id, after):
        yield record_to_line(record)


async def import_jsonl(store: EventStore, lines: Iterable[bytes], batch: int = 1000) -> LogHead:
    """Import an export into ``store`` (verified; must continue the stored log exactly)."""
    pending: list[RecordedEvent] = []
    head: LogHead | None = None
    for record in read_jsonl(lines):
        pending.append(record)
        if len(pending) >= batch:
            head = await store.import_records(pending)
            pending = []
    if pending:
        head = await store.import_records(pending)
    if head is None:
        raise InvalidPayload("the export holds no event")
    return head

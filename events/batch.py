"""The append decision, shared by every store implementation.

Given a log's head, the current versions of the streams involved, the already-stored events
with the ids being appended, and a batch of append requests in arrival order, :func:`plan`
decides for each request — in order, as if each ran alone — whether it is an idempotent
retry, a conflict, a wrong expected version, or new events; and assigns positions and chain
hashes to the new events. Both stores call it, so the semantics cannot drift apart; the
PostgreSQL store calls it inside the transaction that holds the log-head row lock.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from events.canonical import chain_hash, event_canonical_bytes
from events.errors import (
    DuplicateEventConflict,
    LogRewound,
    StoreError,
    WrongExpectedPosition,
    WrongExpectedVersion,
)
from events.model import (
    AppendResult,
    Expect,
    ExpectedVersion,
    LogHead,
    NewEvent,
    RecordedEvent,
    describe_expected,
    expectation_met,
)


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """One caller's append: a batch of events to one stream, with its preconditions.

    ``require`` adds expected versions of *other* streams of the same log, checked atomically
    with the append (e.g. a ballot may only be appended while its round's stream is still at
    the version it had when the round opened). ``expected_position`` requires the whole log
    to be exactly at that position: for decisions that read every stream (closing a round
    commits to all of its ballots). ``seen`` is the head the caller has already read: a log
    now behind it, or at its position with another hash, was rewound by someone with the
    database in hand, and the append is refused (:class:`~events.errors.LogRewound`).
    """

    log_id: str
    stream_id: str
    events: tuple[NewEvent, ...]
    expected: ExpectedVersion = Expect.ANY
    require: tuple[tuple[str, ExpectedVersion], ...] = ()
    expected_position: int | None = None
    seen: LogHead | None = None

    def stream_ids(self) -> set[str]:
        """Every stream whose version this request reads."""
        return {self.stream_id, *(stream for stream, _ in self.require)}


@dataclass(slots=True)
class Plan:
    """The outcome of :func:`plan`: records to insert and one outcome per request."""

    records: list[RecordedEvent] = field(default_factory=list)
    outcomes: list[AppendResult | StoreError] = field(default_factory=list)
    #: Final version of every stream written (for the streams table).
    versions: dict[str, int] = field(default_factory=dict)
    head: LogHead | None = None


def _retry_outcome(
    request: AppendRequest, found: Sequence[RecordedEvent | None]
) -> AppendResult | StoreError | None:
    """Idempotency: all ids stored with equal content → the original result; some → conflict."""
    if all(record is None for record in found):
        return None
    for new, record in zip(request.events, found, strict=True):
        if record is None:
            return DuplicateEventConflict(new.event_id, "only part of the batch is stored")
        if record.log_id != request.log_id or record.stream_id != request.stream_id:
            return DuplicateEventConflict(new.event_id, "stored in another log or stream")
        if not record.same_content(new):
            return DuplicateEventConflict(new.event_id, "type, version, payload or metadata differ")
    stored = [record for record in found if record is not None]
    return AppendResult(
        log_id=request.log_id,
        stream_id=request.stream_id,
        positions=tuple(record.position for record in stored),
        stream_version=stored[-1].stream_version,
        hashes=tuple(record.hash for record in stored),
    )


def _rewound(seen: LogHead | None, position: int, head_hash: bytes) -> LogRewound | None:
    """A head seen earlier that the log no longer reaches, or holds otherwise. (A log that
    has moved on past ``seen`` is checked by whoever reads the events in between: each one's
    ``prev_hash`` must follow the last hash it saw.)"""
    if seen is None or seen.position < position:
        return None
    if seen.position > position:
        return LogRewound(seen.log_id, seen.position, position)
    if not hmac.compare_digest(seen.hash, head_hash):
        return LogRewound(seen.log_id, seen.position, position, rewritten=True)
    return None


def plan(
    requests: Sequence[AppendRequest],
    head: LogHead,
    versions: Mapping[str, int],
    existing: Mapping[str, RecordedEvent],
    recorded_at: str,
) -> Plan:
    """Decide a batch of appends to one log (see module docstring). Pure."""
    result = Plan(versions={})
    current = dict(versions)
    position, prev_hash = head.position, head.hash
    planned: dict[str, RecordedEvent] = {}

    for request in requests:
        ids = [event.event_id for event in request.events]
        if len(set(ids)) != len(ids):
            result.outcomes.append(
                DuplicateEventConflict(ids[0], "the same event id appears twice in one append")
            )
            continue
        found = [planned.get(event_id) or existing.get(event_id) for event_id in ids]
        retry = _retry_outcome(request, found)
        if retry is not None:
            result.outcomes.append(retry)
            continue

        failure: StoreError | None = _rewound(request.seen, position, prev_hash)
        if (
            failure is None
            and request.expected_position is not None
            and request.expected_position != position
        ):
            failure = WrongExpectedPosition(request.log_id, request.expected_position, position)
        for stream_id, expected in ((request.stream_id, request.expected), *request.require):
            actual = current.get(stream_id, 0)
            if failure is None and not expectation_met(expected, actual):
                failure = WrongExpectedVersion(
                    request.log_id, stream_id, describe_expected(expected), actual
                )
                break
        if failure is not None:
            result.outcomes.append(failure)
            continue

        stream_version = current.get(request.stream_id, 0)
        positions: list[int] = []
        hashes: list[bytes] = []
        for event in request.events:
            position += 1
            stream_version += 1
            canonical = event_canonical_bytes(
                event_id=event.event_id,
                event_type=event.event_type,
                log_id=request.log_id,
                metadata_json=event.metadata_json,
                payload_json=event.payload_json,
                position=position,
                recorded_at=recorded_at,
                schema_version=event.schema_version,
                stream_id=request.stream_id,
                stream_version=stream_version,
            )
            digest = chain_hash(prev_hash, canonical)
            record = RecordedEvent(
                log_id=request.log_id,
                position=position,
                stream_id=request.stream_id,
                stream_version=stream_version,
                event_id=event.event_id,
                event_type=event.event_type,
                schema_version=event.schema_version,
                payload_json=event.payload_json,
                metadata_json=event.metadata_json,
                recorded_at=recorded_at,
                prev_hash=prev_hash,
                hash=digest,
            )
            prev_hash = digest
            planned[event.event_id] = record
            result.records.append(record)
            positions.append(position)
            hashes.append(digest)
        current[request.stream_id] = stream_version
        result.versions[request.stream_id] = stream_version
        result.outcomes.append(
            AppendResult(
                log_id=request.log_id,
                stream_id=request.stream_id,
                positions=tuple(positions),
                stream_version=stream_version,
                hashes=tuple(hashes),
            )
        )

    result.head = LogHead(head.log_id, position, prev_hash)
    return result

"""Reads of the stored log the read side answers from, each one short stream, never the
whole log: a delegation's ballot in a round, the position of a round's close, the signed
checkpoints, and whether a ballot is counted.

Streams are named by the service's own helpers and events are recognised by their types
(never by literal names), so a renamed stream or event cannot leave a read behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballot.domain import (
    BallotCast,
    BallotChallenged,
    CheckpointSigned,
    Event,
    RoundClosed,
    event_from_json,
)
from ballot.domain.state import RoundState
from ballot.service import CHECKPOINT_STREAM, ballot_stream, round_stream
from events import EventStore, RecordedEvent


@dataclass(frozen=True, slots=True)
class StoredBallot:
    """A delegation's recorded ballot in a round: the event and the record holding it."""

    cast: BallotCast
    record: RecordedEvent


def _event(record: RecordedEvent) -> Event:
    return event_from_json(record.event_type, record.payload_json, record.schema_version)


async def ballot_of(
    store: EventStore, session_id: str, round_number: int, delegation_id: str
) -> StoredBallot | None:
    """The ballot ``delegation_id`` cast in round ``round_number``, if any (its own stream
    holds just it)."""
    records = await store.read_stream(session_id, ballot_stream(round_number, delegation_id))
    if not records:
        return None
    cast = _event(records[0])
    if not isinstance(cast, BallotCast):
        raise ValueError(f"{records[0].stream_id} holds a {records[0].event_type}")
    return StoredBallot(cast, records[0])


async def closed_at_position(store: EventStore, session_id: str, round_number: int) -> int:
    """The log position of round ``round_number``'s ``RoundClosed`` (0 while it is open):
    the round's own stream, a few events."""
    for record in await store.read_stream(session_id, round_stream(round_number)):
        if record.event_type == RoundClosed.event_type:
            return record.position
    return 0


async def signed_checkpoints(
    store: EventStore, session_id: str
) -> list[tuple[CheckpointSigned, RecordedEvent]]:
    """Every ``CheckpointSigned`` of the session, in log order, with its record."""
    found: list[tuple[CheckpointSigned, RecordedEvent]] = []
    for record in await store.read_stream(session_id, CHECKPOINT_STREAM):
        event = _event(record)
        if isinstance(event, CheckpointSigned):
            found.append((event, record))
    return found


def counted(round_state: RoundState, delegation_id: str) -> bool | None:
    """Whether the delegation's ballot counts in its round: unknown (``None``) while the
    round is open; afterwards, counted if the rules accepted it and the round was not
    voided."""
    if round_state.status == "open":
        return None
    return delegation_id in round_state.voters and round_state.status != "voided"


async def challenge_by_code(
    store: EventStore, session_id: str, tracking_code: str
) -> RecordedEvent | None:
    """The ``BallotChallenged`` record of a spoiled ballot's tracking code, if any (a scan of
    the log: looked up rarely, by whoever checks a challenge on another device)."""
    async for record in store.read_log(session_id, 0):
        if record.event_type == BallotChallenged.event_type:
            event = _event(record)
            if isinstance(event, BallotChallenged) and event.tracking_code == tracking_code:
                return record
    return None

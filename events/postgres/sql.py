"""The SQL of the PostgreSQL store: its statements, row mapping, and the two primitives every
write goes through — the head row lock (:func:`lock`) and the one write statement
(:func:`write`), shared by group commit (``events.postgres.writer``) and import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from events.canonical import parse_timestamp
from events.errors import StoreError
from events.model import LogHead, RecordedEvent

if TYPE_CHECKING:
    #: A connection, pooled or not.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:  # asyncpg's classes are not generic at run time
    Connection = asyncpg.Connection | PoolConnectionProxy

#: Columns in the order of :class:`RecordedEvent`'s fields, with the timestamp already in its
#: canonical text form (formatting it server-side keeps replay fast).
SELECT = (
    "SELECT log_id, position, stream_id, stream_version, event_id::text, event_type,"
    " schema_version, payload, metadata,"
    " to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " prev_hash, hash FROM events"
)

#: Positions are gap-free, so a batch is an exact position range: the plan stays an index
#: range scan whatever the planner's statistics say (a bare "LIMIT n" once chose a full sort).
RANGE = f"{SELECT} WHERE log_id = $1 AND position > $2 AND position <= $3 ORDER BY position"

#: Every write of a group of events: one statement. It moves the log's head from ``before``
#: ($19, $20) to the group's last event ($15, $16) — and writes anything at all only if the
#: head is still exactly ``before``, returning no row otherwise. The inserts read ``moved``,
#: so they run after the head row's lock is taken, and only if it moved.
#:
#: Under the lock (``lock_log`` first, the locked way) the condition always holds. Without it
#: (the optimistic way, self-committing) it is the whole check: in READ COMMITTED the UPDATE
#: waits for a concurrent appender's row lock, then re-checks against the row as that
#: appender committed it, so a plan made on a stale head can never be written. A stream
#: assumed new that exists already is refused by the unique index on ``(log_id, stream_id,
#: stream_version)``: its version 1 is taken, and the whole statement rolls back.
WRITE = """
WITH moved AS (
    UPDATE log_heads SET position = $15, head_hash = $16
     WHERE log_id = $1 AND position = $19 AND head_hash = $20
    RETURNING log_id
), appended AS (
    INSERT INTO events (log_id, position, stream_id, stream_version, event_id, event_type,
                        schema_version, payload, metadata, recorded_at, prev_hash, hash)
    SELECT $1, u.* FROM moved,
           unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[]::uuid[],
                  $6::text[], $7::integer[], $8::json[], $9::json[],
                  $10::timestamptz[], $11::bytea[], $12::bytea[]) AS u
), versions AS (
    INSERT INTO streams (log_id, stream_id, version)
    SELECT $1, t.s, t.v FROM moved, unnest($13::text[], $14::bigint[]) AS t(s, v)
    ON CONFLICT (log_id, stream_id) DO UPDATE SET version = EXCLUDED.version
)
SELECT pg_notify($17, $18) FROM moved
"""


async def keep_session(_conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """Release a pooled connection without asyncpg's reset query (one round trip saved per
    use). The store never changes session state on a pooled connection — no SET, no LISTEN,
    no session advisory lock — and asyncpg still rolls back an open transaction first."""


def to_record(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent._make(row)


async def lock(
    conn: Connection, log_id: str, stream_ids: Sequence[str]
) -> tuple[LogHead, dict[str, int]]:
    """Take the log's head row lock and read the streams' versions (one round trip)."""
    row = await conn.fetchrow("SELECT * FROM lock_log($1, $2)", log_id, list(stream_ids))
    assert row is not None
    head = LogHead(log_id, row[0], bytes(row[1]))
    return head, dict(zip(row[2], row[3], strict=True))


class Announcer(Protocol):
    """Who commits (:class:`~events.postgres.notify.Notifier`): the channel its commits are
    announced on, and the token that tells its own announcements from other processes'."""

    channel: str
    writer: str


async def write(
    conn: Connection,
    records: Sequence[RecordedEvent],
    before: LogHead,
    after: LogHead,
    announcer: Announcer,
    *,
    locked: bool = False,
) -> bool:
    """Insert the records, move stream versions and the head from ``before`` to ``after``,
    and announce it: one statement (:data:`WRITE`). ``False`` if the head was not ``before``
    (nothing written) — which under the head row lock (``locked``) cannot be, and raises."""
    rows = await conn.fetch(
        WRITE, *_write_arguments(records, after, announcer), before.position, before.hash
    )
    if locked and not rows:
        raise StoreError(f"the head of log {before.log_id!r} moved under its lock")
    return bool(rows)


def _write_arguments(
    records: Sequence[RecordedEvent], head: LogHead, announcer: Announcer
) -> tuple[object, ...]:
    versions: dict[str, int] = {}
    moments: dict[str, datetime] = {}
    for record in records:
        versions[record.stream_id] = record.stream_version
        if record.recorded_at not in moments:
            moments[record.recorded_at] = parse_timestamp(record.recorded_at)
    return (
        head.log_id,
        [r.position for r in records],
        [r.stream_id for r in records],
        [r.stream_version for r in records],
        [r.event_id for r in records],
        [r.event_type for r in records],
        [r.schema_version for r in records],
        [r.payload_json for r in records],
        [r.metadata_json for r in records],
        [moments[r.recorded_at] for r in records],
        [r.prev_hash for r in records],
        [r.hash for r in records],
        list(versions.keys()),
        list(versions.values()),
        head.position,
        head.hash,
        announcer.channel,
        # Delivered at commit only; subscribers treat it as a hint and read the table.
        f"{head.log_id}\n{head.position}\n{announcer.writer}",
    )

"""LISTEN/NOTIFY for the PostgreSQL store's subscribers.

A commit sends ``NOTIFY`` with the log and its new head; a subscriber only uses it as a
wake-up and then reads ``position > last seen`` from the table, so it can never skip an event
nor see one twice, even with notifications lost (a slow poll, :data:`POLL_INTERVAL_S`, covers
that). While a process subscribes to a log, the records it commits to it are kept for a while
(:class:`OwnRecords`): its subscribers take the next positions from there when they are all
there (up to the highest head another process announced), instead of reading back what was
just written.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from events.model import RecordedEvent
from events.postgres.sql import Connection

#: Subscribers re-read at least this often even if no notification arrives.
POLL_INTERVAL_S = 1.0
#: Records of its own appends a process keeps per log for its subscribers (the oldest go).
OWN_RECORDS = 1024


class OwnRecords:
    """For the subscribers of one log in this process: the latest records this process
    committed to it, the highest head position known committed (its own commits, and other
    processes' notifications), and whether the table must be read whatever they say."""

    def __init__(self) -> None:
        # Ordered by when added: the oldest leaves in O(1) (a plain dict's first key is found
        # by skipping every slot deleted before it).
        self._by_position: OrderedDict[int, RecordedEvent] = OrderedDict()
        self.head = 0
        #: Set when an append of ours may have committed without our knowing its records.
        self.recheck = False

    def add(self, records: Sequence[RecordedEvent]) -> None:
        """Keep records just committed (groups may commit out of order: kept by position)."""
        kept = self._by_position
        for record in records:
            kept[record.position] = record
            self.head = max(self.head, record.position)
        while len(kept) > OWN_RECORDS:
            kept.popitem(last=False)

    def after(self, position: int) -> list[RecordedEvent]:
        """The records at ``position + 1``, ``+ 2``, … for as long as they are all kept."""
        run: list[RecordedEvent] = []
        kept = self._by_position
        while (record := kept.get(position + 1)) is not None:
            run.append(record)
            position += 1
        return run

    def drop_through(self, position: int) -> None:
        """Forget the records up to ``position`` (every subscriber has them)."""
        kept = self._by_position
        while kept and next(iter(kept)) <= position:
            kept.popitem(last=False)


class Notifier:
    """One LISTEN connection per store; wakes subscribers of a log when it moves."""

    def __init__(
        self, connect: Callable[[], Awaitable[asyncpg.Connection[asyncpg.Record]]], channel: str
    ) -> None:
        self._connect = connect
        self.channel = channel
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._own: dict[str, OwnRecords] = {}  # for the logs with subscribers here
        self._lock = asyncio.Lock()
        #: Sent with every commit's notification, so that ours are told from others'.
        self.writer = secrets.token_hex(8)

    async def ensure_listening(self) -> None:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return
            self._conn = await self._connect()
            await self._conn.add_listener(self.channel, self._on_notify)

    def _on_notify(self, _conn: Connection, _pid: int, _channel: str, payload: object) -> None:
        log_id, position, writer = [*str(payload).split("\n"), "", ""][:3]
        own = self._own.get(log_id)
        if own is not None and writer != self.writer and position.isdigit():
            # Another process moved the head: what is beyond ours is in the table. (Our own
            # commits raise it with their records, in committed(): the notification often
            # arrives before the write's reply, and must not send a subscriber to the table
            # for records about to be handed to it.)
            own.head = max(own.head, int(position))
        self._wake(log_id)

    def _wake(self, log_id: str) -> None:
        for waiter in self._waiters.get(log_id, ()):
            waiter.set()

    def committed(self, log_id: str, records: Sequence[RecordedEvent]) -> None:
        """Records this process just committed: kept for its subscribers of the log."""
        own = self._own.get(log_id)
        if own is not None and records:
            own.add(records)
            self._wake(log_id)

    def doubt(self, log_id: str) -> None:
        """An append of ours failed in a way that may hide a commit: subscribers look in the
        table once (they would anyway within :data:`POLL_INTERVAL_S`)."""
        own = self._own.get(log_id)
        if own is not None:
            own.recheck = True
            self._wake(log_id)

    def register(self, log_id: str) -> tuple[asyncio.Event, OwnRecords]:
        """A new subscriber's wake-up event, and the log's own records (shared)."""
        waiter = asyncio.Event()
        self._waiters.setdefault(log_id, set()).add(waiter)
        return waiter, self._own.setdefault(log_id, OwnRecords())

    def sole_subscriber(self, log_id: str) -> bool:
        """Whether exactly one subscriber of ``log_id`` is in this process."""
        return len(self._waiters.get(log_id, ())) == 1

    def unregister(self, log_id: str, waiter: asyncio.Event) -> None:
        waiters = self._waiters.get(log_id)
        if waiters is not None:
            waiters.discard(waiter)
            if not waiters:
                del self._waiters[log_id]
                self._own.pop(log_id, None)

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

"""An in-memory event store for fast unit tests; same contract as the PostgreSQL store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

from events.batch import AppendRequest, plan
from events.canonical import GENESIS_HASH, format_timestamp
from events.chain import ChainVerifier
from events.errors import ImportRefused, StoreError
from events.model import AppendResult, LogHead, RecordedEvent, validate_log_id
from events.store import EventStore


class _Log:
    def __init__(self, log_id: str) -> None:
        self.log_id = log_id
        self.events: list[RecordedEvent] = []
        self.streams: dict[str, list[RecordedEvent]] = {}
        self.changed = asyncio.Condition()

    def head(self) -> LogHead:
        if not self.events:
            return LogHead(self.log_id, 0, GENESIS_HASH)
        last = self.events[-1]
        return LogHead(self.log_id, last.position, last.hash)

    def add(self, record: RecordedEvent) -> None:
        self.events.append(record)
        self.streams.setdefault(record.stream_id, []).append(record)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryEventStore(EventStore):
    """Logs held in process memory. Appends are serialized per log by an asyncio lock.

    ``clock`` gives each append's ``recorded_at`` (default: the system clock); a simulated
    clock makes a seeded, single-task run produce a byte-identical log every time. It must
    not go backwards.
    """

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._logs: dict[str, _Log] = {}
        self._by_id: dict[str, RecordedEvent] = {}
        self._lock = asyncio.Lock()

    def _log(self, log_id: str) -> _Log:
        log = self._logs.get(log_id)
        if log is None:
            log = self._logs[validate_log_id(log_id)] = _Log(log_id)
        return log

    async def _append(self, request: AppendRequest) -> AppendResult:
        async with self._lock:
            started = time.perf_counter()  # as the PostgreSQL store: once it is taken up
            log = self._log(request.log_id)
            versions = {s: len(log.streams.get(s, ())) for s in request.stream_ids()}
            existing = {
                e.event_id: self._by_id[e.event_id]
                for e in request.events
                if e.event_id in self._by_id
            }
            outcome = plan(
                [request], log.head(), versions, existing, format_timestamp(self._clock())
            )
            result = outcome.outcomes[0]
            if isinstance(result, StoreError):
                raise result
            for record in outcome.records:
                log.add(record)
                self._by_id[record.event_id] = record
        if outcome.records:
            self._appended(time.perf_counter() - started, len(outcome.records))
            async with log.changed:
                log.changed.notify_all()
        return result

    async def read_stream(
        self, log_id: str, stream_id: str, from_version: int = 1
    ) -> list[RecordedEvent]:
        log = self._logs.get(log_id)
        if log is None:
            return []
        return list(log.streams.get(stream_id, [])[max(from_version, 1) - 1 :])

    async def read_log(
        self, log_id: str, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        log = self._logs.get(log_id)
        if log is None:
            return
        position = after
        while position < len(log.events):
            batch = log.events[position : position + batch_size]
            for record in batch:
                yield record
            position += len(batch)
            await asyncio.sleep(0)

    async def head(self, log_id: str) -> LogHead:
        log = self._logs.get(log_id)
        return log.head() if log else LogHead(log_id, 0, GENESIS_HASH)

    async def stream_version(self, log_id: str, stream_id: str) -> int:
        log = self._logs.get(log_id)
        return len(log.streams.get(stream_id, ())) if log else 0

    async def logs(self) -> list[str]:
        return sorted(log_id for log_id, log in self._logs.items() if log.events)

    async def subscribe(self, log_id: str, after: int = 0) -> AsyncIterator[RecordedEvent]:
        log = self._log(log_id)
        position = after
        while True:
            async with log.changed:
                while len(log.events) <= position:
                    await log.changed.wait()
                batch = log.events[position:]
            for record in batch:
                yield record
            position += len(batch)

    async def _import_records(self, log_id: str, records: Sequence[RecordedEvent]) -> LogHead:
        async with self._lock:
            log = self._log(log_id)
            verifier = ChainVerifier(
                log_id,
                head=log.head(),
                stream_versions={stream: len(evs) for stream, evs in log.streams.items()},
            )
            try:
                for record in records:
                    verifier.feed(record)
                    if record.event_id in self._by_id:
                        raise ImportRefused(f"event id {record.event_id} is already stored")
            except StoreError as exc:
                raise ImportRefused(
                    f"import does not continue the log: {exc}", getattr(exc, "position", None)
                ) from exc
            for record in records:
                log.add(record)
                self._by_id[record.event_id] = record
        async with log.changed:
            log.changed.notify_all()
        return log.head()

    async def close(self) -> None:
        return None

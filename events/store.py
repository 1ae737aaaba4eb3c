"""The abstract event store: what every implementation (PostgreSQL, memory) provides."""

from __future__ import annotations

import abc
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TypeAlias

from events.batch import AppendRequest
from events.canonical import parse_timestamp
from events.chain import verify_chain_async
from events.errors import ImportRefused
from events.model import (
    AppendResult,
    Expect,
    ExpectedVersion,
    LogHead,
    NewEvent,
    RecordedEvent,
    validate_event_type,
    validate_log_id,
    validate_stream_id,
)

log = logging.getLogger(__name__)

#: Told of every group of appends a store committed, after the commit: how long the group
#: took, in seconds, and how many events it wrote (see :meth:`EventStore.observe_appends`).
AppendObserver: TypeAlias = Callable[[float, int], None]

#: The most events one append may hold (the PostgreSQL store writes a whole group of appends
#: in one statement, and a group holds at least one whole append).
MAX_APPEND_EVENTS = 5000


def _check_expected(expected: object, what: str) -> None:
    if isinstance(expected, Expect):
        return
    if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
        raise ValueError(f"{what} must be an Expect or a version >= 0, not {expected!r}")


def check_import(records: Sequence[RecordedEvent]) -> str:
    """Refuse (:class:`~events.errors.ImportRefused`) records no store may import whatever it
    holds: none at all, or one an append could not have recorded — an id of a log, stream
    or event type that is not 1..200 printable characters, an event id that is not a UUID in
    canonical form or repeats one of the import, a schema version out of range, a timestamp
    not in canonical form. Returns the log id. (That the records continue the stored log is
    each store's check, under its lock.)"""
    if not records:
        raise ImportRefused("nothing to import")
    log_id = records[0].log_id
    seen: set[str] = set()
    for record in records:
        try:
            validate_log_id(record.log_id)
            validate_stream_id(record.stream_id)
            validate_event_type(record.event_type)
            if str(uuid.UUID(record.event_id)) != record.event_id:
                raise ValueError(f"event id {record.event_id!r} is not a canonical UUID")
            if not 1 <= record.schema_version <= 2**31 - 1:
                raise ValueError("schema version must be a positive 32-bit integer")
            parse_timestamp(record.recorded_at)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ImportRefused(f"not an importable event: {exc}", record.position) from exc
        if record.event_id in seen:
            raise ImportRefused(
                f"event id {record.event_id} appears twice in the import", record.position
            )
        seen.add(record.event_id)
    return log_id


class EventStore(abc.ABC):
    """Append-only, hash-chained logs (one per session) made of streams.

    Positions in a log are gap-free and in commit order: a reader that has seen position ``p``
    can never later discover an event at a position ``<= p``.
    """

    #: Who is told of each committed group (replaced, never mutated: see observe_appends).
    _append_observers: tuple[AppendObserver, ...] = ()

    def observe_appends(self, observer: AppendObserver) -> Callable[[], None]:
        """Call ``observer(seconds, events)`` after each group of appends is committed;
        return the function that stops it.

        A *group* is what one commit wrote: one append for the memory store, every append
        the PostgreSQL store gathered into one transaction. ``seconds`` is the time from the
        moment the store took the group up to decide it until it was committed (the wait in
        the store's queue not included); ``events`` is how many events it wrote, at least 1
        (an idempotent retry or a refusal writes nothing and is not reported). The observer
        runs on the event loop, inside the append's path: it must be quick and must not
        block. If it raises, the error is logged and the append stands.
        """
        self._append_observers = (*self._append_observers, observer)

        def stop() -> None:
            observers = list(self._append_observers)
            if observer in observers:
                observers.remove(observer)
            self._append_observers = tuple(observers)

        return stop

    def _appended(self, seconds: float, events: int) -> None:
        """Tell the observers of a committed group (see :meth:`observe_appends`)."""
        for observer in self._append_observers:
            try:
                observer(seconds, events)
            except Exception:
                # Committed already: an observer's fault must not turn it into a failure.
                log.exception("an append observer failed")

    async def append(
        self,
        log_id: str,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: ExpectedVersion = Expect.ANY,
        *,
        require: Mapping[str, ExpectedVersion] | None = None,
        expected_position: int | None = None,
        seen: LogHead | None = None,
    ) -> AppendResult:
        """Append ``events`` (in order) to one stream, durably, all or nothing.

        Raises :class:`~events.errors.WrongExpectedVersion` if the stream (or a stream in
        ``require``) is not at the expected version,
        :class:`~events.errors.WrongExpectedPosition` if ``expected_position`` is given and the
        log's last position differs, :class:`~events.errors.LogRewound` if ``seen`` (a head the
        caller read earlier) is ahead of the log or at its head with another hash, and
        :class:`~events.errors.DuplicateEventConflict` if an event id is stored with other
        content. If every event id is already stored with the same content, nothing is
        written and the original result is returned (idempotent retry).

        Raises ``ValueError``, before anything is decided, for an append that no store may
        take whatever the log holds: no events, more than :data:`MAX_APPEND_EVENTS`, a log
        or stream id (appended to or required) that is not 1..200 printable characters, an
        expected version that is neither an :class:`Expect` nor an integer ``>= 0``, an
        expected position that is not such an integer.
        """
        if not events:
            raise ValueError("an append needs at least one event")
        if len(events) > MAX_APPEND_EVENTS:
            raise ValueError(f"an append holds at most {MAX_APPEND_EVENTS} events")
        _check_expected(expected_version, "an expected version")
        required = tuple((require or {}).items())
        for required_id, expected in required:
            validate_stream_id(required_id)
            _check_expected(expected, f"the expected version of {required_id!r}")
        if expected_position is not None:
            _check_expected(expected_position, "an expected position")
        request = AppendRequest(
            log_id=validate_log_id(log_id),
            stream_id=validate_stream_id(stream_id),
            events=tuple(events),
            expected=expected_version,
            require=required,
            expected_position=expected_position,
            seen=seen,
        )
        return await self._append(request)

    @abc.abstractmethod
    async def _append(self, request: AppendRequest) -> AppendResult:
        """Decide and store one append that :meth:`append` validated."""

    @abc.abstractmethod
    async def read_stream(
        self, log_id: str, stream_id: str, from_version: int = 1
    ) -> list[RecordedEvent]:
        """Events of one stream from ``from_version`` on, in order."""

    @abc.abstractmethod
    def read_log(
        self, log_id: str, after: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """Every event of a log with ``position > after``, in order, fetched in batches."""

    @abc.abstractmethod
    async def head(self, log_id: str) -> LogHead:
        """The last position and hash of a log (0 and zeros if it is empty)."""

    @abc.abstractmethod
    async def stream_version(self, log_id: str, stream_id: str) -> int:
        """Current version of a stream (0 if it does not exist)."""

    @abc.abstractmethod
    async def logs(self) -> list[str]:
        """Ids of every non-empty log, sorted."""

    @abc.abstractmethod
    def subscribe(self, log_id: str, after: int = 0) -> AsyncIterator[RecordedEvent]:
        """Every event with ``position > after``, then every later one as it commits; endless.

        Each event is delivered exactly once and in order.
        """

    async def import_records(self, records: Sequence[RecordedEvent]) -> LogHead:
        """Store already-recorded events verbatim (positions, hashes, timestamps kept).

        The records must be importable (see :func:`check_import`), continue the stored log
        exactly (next position, matching ``prev_hash``) and verify; otherwise
        :class:`~events.errors.ImportRefused`.
        """
        return await self._import_records(check_import(records), records)

    @abc.abstractmethod
    async def _import_records(self, log_id: str, records: Sequence[RecordedEvent]) -> LogHead:
        """Import records of ``log_id`` already checked by :func:`check_import`."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and background tasks."""

    async def verify_chain(self, log_id: str) -> LogHead:
        """Re-verify a stored log; raises :class:`~events.errors.ChainBroken` at the first fault."""
        return await verify_chain_async(self.read_log(log_id))

    async def __aenter__(self) -> EventStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

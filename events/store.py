"""The abstract event store: what every implementation (PostgreSQL, memory) provides."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence

from events.chain import verify_chain_async
from events.model import (
    AppendResult,
    Expect,
    ExpectedVersion,
    LogHead,
    NewEvent,
    RecordedEvent,
)


class EventStore(abc.ABC):
    """Append-only, hash-chained logs (one per session) made of streams.

    Positions in a log are gap-free and in commit order: a reader that has seen position ``p``
    can never later discover an event at a position ``<= p``.
    """

    @abc.abstractmethod
    async def append(
        self,
        log_id: str,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: ExpectedVersion = Expect.ANY,
        *,
        require: Mapping[str, ExpectedVersion] | None = None,
        expected_position: int | None = None,
    ) -> AppendResult:
        """Append ``events`` (in order) to one stream, durably, all or nothing.

        Raises :class:`~events.errors.WrongExpectedVersion` if the stream (or a stream in
        ``require``) is not at the expected version,
        :class:`~events.errors.WrongExpectedPosition` if ``expected_position`` is given and the
        log's last position differs, and
        :class:`~events.errors.DuplicateEventConflict` if an event id is stored with other
        content. If every event id is already stored with the same content, nothing is
        written and the original result is returned (idempotent retry).
        """

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

    @abc.abstractmethod
    async def import_records(self, records: Sequence[RecordedEvent]) -> LogHead:
        """Store already-recorded events verbatim (positions, hashes, timestamps kept).

        The records must continue the stored log exactly (next position, matching
        ``prev_hash``) and verify; otherwise :class:`~events.errors.ImportRefused`.
        """

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

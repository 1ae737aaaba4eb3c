"""Verification of a log's hash chain, over any (async) sequence of recorded events."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping

from events.canonical import GENESIS_HASH
from events.errors import ChainBroken
from events.model import LogHead, RecordedEvent


class ChainVerifier:
    """Feeds on events in log order and raises :class:`ChainBroken` at the first bad one.

    Checks: one log id; positions gap-free from 1; each ``prev_hash`` equal to the previous
    event's hash; each stored hash equal to the hash recomputed from the canonical bytes;
    stream versions contiguous from 1 in every stream. Memory: one integer per stream.
    """

    def __init__(
        self,
        log_id: str | None = None,
        head: LogHead | None = None,
        stream_versions: Mapping[str, int] | None = None,
    ) -> None:
        self.log_id = log_id if head is None else head.log_id
        self.position = 0 if head is None else head.position
        self.hash = GENESIS_HASH if head is None else head.hash
        self._streams: dict[str, int] = dict(stream_versions or {})
        # Resuming mid-log without the streams' versions: a stream's first event seen here
        # may legitimately continue an earlier version, so only later steps are checked.
        self._streams_known = head is None or head.position == 0 or stream_versions is not None

    def feed(self, event: RecordedEvent) -> None:
        """Check one event; raise :class:`ChainBroken` naming its position if it fails."""
        expected_position = self.position + 1
        if event.position != expected_position:
            raise ChainBroken(
                expected_position,
                f"found position {event.position} where {expected_position} belongs",
            )
        if self.log_id is None:
            self.log_id = event.log_id
        elif event.log_id != self.log_id:
            raise ChainBroken(event.position, f"event belongs to log {event.log_id!r}")
        if event.prev_hash != self.hash:
            raise ChainBroken(event.position, "prev_hash does not match the previous event's hash")
        if event.computed_hash() != event.hash:
            raise ChainBroken(event.position, "hash does not match the event's canonical bytes")
        last = self._streams.get(event.stream_id)
        if last is None:
            if self._streams_known and event.stream_version != 1:
                raise ChainBroken(event.position, "stream does not start at version 1")
        elif event.stream_version != last + 1:
            raise ChainBroken(
                event.position, f"stream version {event.stream_version} does not follow {last}"
            )
        self._streams[event.stream_id] = event.stream_version
        self.position = event.position
        self.hash = event.hash

    def head(self) -> LogHead:
        """The head reached so far."""
        return LogHead(self.log_id or "", self.position, self.hash)


def verify_chain(events: Iterable[RecordedEvent]) -> LogHead:
    """Verify a whole log given in order; return its head or raise :class:`ChainBroken`."""
    verifier = ChainVerifier()
    for event in events:
        verifier.feed(event)
    return verifier.head()


async def verify_chain_async(events: AsyncIterable[RecordedEvent]) -> LogHead:
    """:func:`verify_chain` over an async stream (e.g. a store's ``read_log``)."""
    verifier = ChainVerifier()
    async for event in events:
        verifier.feed(event)
    return verifier.head()

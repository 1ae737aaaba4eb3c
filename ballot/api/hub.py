"""The sessions this server process serves, kept current by following their logs.

Each session has one :class:`~ballot.service.SessionService` per process. A follower task
subscribes to the session's log (LISTEN/NOTIFY wake-ups, then reads by position), so the state
— and the live feed built from it — includes events appended by *any* process sharing the
database. Feed messages are public and aggregate-only: counts and results, never a ballot.
The follower also feeds the session's :class:`~ballot.api.logindex.LogIndex` (log tree,
receipts, checkpoints), which answers receipt look-ups without reading the log.

The rounds' homomorphic aggregates are summed here too, in the background: a recorded
ballot only joins its aggregate's list (:mod:`crypto.aggregate`), and the sum is computed a
slice at a time when no cast is being handled, so that during a burst of casts the cores
check and record ballots, and a close still finds the sum (nearly) ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from ballot.api.logindex import LogIndex
from ballot.domain import (
    BallotCast,
    CandidateElected,
    CandidateEliminated,
    CandidateWithdrawn,
    CheckpointSigned,
    ConfirmationFailed,
    Event,
    LotsDrawn,
    PresenceRecorded,
    RoundClosed,
    RoundOpened,
    RoundTallied,
    RoundVoided,
    SessionAdjourned,
    SessionState,
    event_from_json,
    round_result,
)
from ballot.service import SessionService
from events import EventStore, LogRewound

log = logging.getLogger(__name__)

#: A feed client this far behind is disconnected (it can reconnect with Last-Event-ID).
FEED_QUEUE_LIMIT = 1000

#: The rounds' aggregates are summed in the background (see :mod:`crypto.aggregate`), in
#: slices of this many ballots (~1 ms each), so the event loop never stalls on it...
SUM_SLICE = 16
#: ...and, while casts are being handled, only once this many wait to be summed (a close
#: then has at most this many left to add: ~20 ms).
SUM_BACKLOG = 256
#: How long the background sum waits before looking again while casts are being handled.
SUM_PAUSE_S = 0.005


def feed_message(event: Event, state: SessionState) -> dict[str, Any] | None:
    """The public live-feed message for one event, or ``None`` if it has none.

    Pure: the feed is a projection of the log.
    """
    if isinstance(event, RoundOpened):
        return {
            "kind": "round_opened",
            "round": event.round_number,
            "round_kind": event.kind,
            "options": list(event.options),
            "eligible": len(event.roll),
        }
    if isinstance(event, BallotCast):
        current = state.current_round
        assert current is not None
        return {
            "kind": "turnout",
            "round": event.round_number,
            "deposited": current.ballot_count,
            "eligible": len(current.roll),
        }
    if isinstance(event, RoundClosed):
        return {
            "kind": "round_closed",
            "round": event.round_number,
            "deposited": event.ballot_count,
        }
    if isinstance(event, RoundTallied):
        tallied = next(r for r in state.rounds if r.number == event.round_number)
        result = round_result(tallied).model_dump(mode="json")
        # The round's own "kind" (election, tiebreak, confirmation) becomes "round_kind", as in
        # "round_opened"; "kind" is the message's.
        return {
            **result,
            "round": event.round_number,
            "round_kind": result["kind"],
            "kind": "result",
        }
    if isinstance(event, CandidateElected):
        return {"kind": "elected", **event.to_payload()}
    if isinstance(event, CandidateEliminated):
        return {"kind": "eliminated", **event.to_payload()}
    if isinstance(event, CandidateWithdrawn):
        return {"kind": "withdrawn", "candidate_id": event.candidate_id}
    if isinstance(event, LotsDrawn):
        return {"kind": "lots", **event.to_payload()}
    if isinstance(event, ConfirmationFailed):
        return {"kind": "confirmation_failed", **event.to_payload()}
    if isinstance(event, RoundVoided):
        return {"kind": "round_voided", **event.to_payload()}
    if isinstance(event, SessionAdjourned):
        return {"kind": "adjourned"}
    if isinstance(event, PresenceRecorded):
        present = sum(1 for m in state.members.values() if m.present and not m.observer)
        return {"kind": "presence", "present": present, "members": len(state.members)}
    if isinstance(event, CheckpointSigned):
        return {"kind": "checkpoint", "position": event.position}
    return None


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())


@dataclass
class _Session:
    service: SessionService
    log: LogIndex
    follower: asyncio.Task[None] | None = None
    summing: asyncio.Task[None] | None = None
    clients: set[asyncio.Queue[tuple[int, str] | None]] = field(default_factory=set)


class SessionHub:
    """Loads sessions on first use and keeps them current for this process."""

    def __init__(self, store: EventStore, *, busy: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        #: Whether casts are being handled (the aggregate's sum then waits).
        self.busy = busy
        self._sessions: dict[str, _Session] = {}
        self._loading = asyncio.Lock()
        self._closed = False

    def heads(self) -> dict[str, int]:
        """Each loaded session's log head position, as this process has folded it."""
        return {sid: entry.service.position for sid, entry in self._sessions.items()}

    def subscribers(self) -> int:
        """Live-feed clients connected to this process."""
        return sum(len(entry.clients) for entry in self._sessions.values())

    async def service(self, session_id: str, *, create: bool = False) -> SessionService | None:
        """The session's service (caught up), or ``None`` if no such session exists."""
        entry = self._sessions.get(session_id)
        if entry is not None:
            # Kept current by its follower; commands re-check with the log themselves.
            entry.service.check_log()
            return entry.service
        async with self._loading:
            entry = self._sessions.get(session_id)
            if entry is None:
                if not create and (await self.store.head(session_id)).position == 0:
                    return None
                entry = self._start(session_id)
        await entry.service.catch_up()
        return entry.service

    def log_index(self, session_id: str) -> LogIndex:
        """The log index of a session this process serves (after :meth:`service` found it)."""
        return self._sessions[session_id].log

    def _start(self, session_id: str) -> _Session:
        service = SessionService(self.store, session_id)
        entry = _Session(service, LogIndex(self.store, session_id))
        service.listeners.append(
            lambda position, event, state: self._broadcast(entry, position, event, state)
        )
        service.listeners.append(lambda _position, event, _state: self._sum_soon(entry, event))
        entry.follower = asyncio.create_task(self._follow(entry), name=f"follow:{session_id}")
        self._sessions[session_id] = entry
        return entry

    async def _follow(self, entry: _Session) -> None:
        service = entry.service
        while True:
            try:
                async for record in self.store.subscribe(service.session_id, service.position):
                    await service.offer(record)
                    # The record itself, not the folded event: the index needs its hash.
                    await entry.log.offer(record)
            except asyncio.CancelledError:
                raise
            except LogRewound as exc:
                # Not a fault to retry: the log moved back. The service refuses from now on.
                log.error("session %s: %s; no longer followed", service.session_id, exc)
                return
            except Exception:  # a dropped connection must not end the session's feed
                log.exception("following session %s failed; retrying", service.session_id)
                await asyncio.sleep(1)

    def _sum_soon(self, entry: _Session, event: Event) -> None:
        if self._closed or not isinstance(event, BallotCast):
            return
        if entry.summing is None or entry.summing.done():
            entry.summing = asyncio.create_task(
                self._sum_aggregates(entry), name=f"sum:{entry.service.session_id}"
            )
            entry.summing.add_done_callback(_log_failure)

    async def _sum_aggregates(self, entry: _Session) -> None:
        """Sum the rounds' aggregates, a slice at a time, while nothing is more urgent (any
        round: one may close — in another process — before its ballots are summed here)."""
        while True:
            waiting = [
                (r.aggregate, n)
                for r in entry.service.state.rounds
                if (n := r.aggregate.unsummed()) > 0
            ]
            if not waiting:
                return
            aggregate, unsummed = waiting[-1]
            if unsummed < SUM_BACKLOG and self.busy():
                await asyncio.sleep(SUM_PAUSE_S)
                continue
            aggregate.sum_up(SUM_SLICE)
            await asyncio.sleep(0)  # let requests in between slices

    def _broadcast(self, entry: _Session, position: int, event: Event, state: SessionState) -> None:
        if not entry.clients:
            return
        message = feed_message(event, state)
        if message is None:
            return
        text = json.dumps(message, separators=(",", ":"))
        for queue in list(entry.clients):
            if queue.qsize() >= FEED_QUEUE_LIMIT:
                entry.clients.discard(queue)
                queue.put_nowait(None)  # too slow: end its stream; it may reconnect
            else:
                queue.put_nowait((position, text))

    async def feed(self, session_id: str, after: int) -> AsyncIterator[tuple[int, str]]:
        """Feed messages after log position ``after``: the backlog first, then live ones."""
        service = await self.service(session_id)
        if service is None:
            return
        entry = self._sessions[session_id]
        queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()
        entry.clients.add(queue)
        try:
            # Backlog by replaying the log up to where live delivery starts; the state of each
            # message is re-folded, so messages read exactly as they did live.
            live_from = service.position
            if after < live_from:
                async for position, text in self._backlog(session_id, after, live_from):
                    yield position, text
            while True:
                item = await queue.get()
                if item is None:
                    return
                if item[0] > after:
                    yield item
        finally:
            entry.clients.discard(queue)

    async def _backlog(
        self, session_id: str, after: int, until: int
    ) -> AsyncIterator[tuple[int, str]]:
        replayer = SessionService(self.store, session_id)
        async for record in self.store.read_log(session_id):
            if record.position > until:
                return
            replayer.apply(record)
            if record.position <= after:
                continue
            event = event_from_json(record.event_type, record.payload_json, record.schema_version)
            message = feed_message(event, replayer.state)
            if message is not None:
                yield record.position, json.dumps(message, separators=(",", ":"))

    async def close(self) -> None:
        """Stop every follower and end every live feed (idempotent)."""
        self._closed = True
        for entry in self._sessions.values():
            for task in (entry.follower, entry.summing):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            entry.follower = entry.summing = None
            for queue in list(entry.clients):
                queue.put_nowait(None)
            entry.clients.clear()

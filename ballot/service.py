"""The application service: run a command against a session's log, safely under concurrency.

``decide`` is pure and knows nothing about streams; this module is where a decision meets the
store. For every command it knows

* the **home stream** the resulting events are appended to, and
* the **streams its decision read** (their versions are required unchanged at append time),

so two decisions that could contradict each other cannot both be appended: the second one
fails its expected version, the service catches up with the log and decides again. Ballots of
different delegations never contend (each lands in its own ``ballot-<round>-<delegation>``
stream), while closing a round additionally pins the whole log position, because it commits
to every ballot of the round.

Stream layout of a session's log:

=========================  ================================================================
``session``                convening, roll, credentials, presence, rights, candidates,
                           tellers, key ceremony, withdrawal, acclamation, adjournment
``delegation-<id>``        a delegation's (or teller's) enrolled key
``round-<n>``              opening, closing, decryption shares, tally and its decisions
``ballot-<n>-<id>``        the one ballot a delegation casts in round ``n``
``challenges-<n>-<id>``    the ballots a delegation opened (spoiled) in round ``n``
``checkpoints``            signed checkpoints
=========================  ================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ballot.domain import (
    AcceptCredentials,
    CastBallot,
    ChallengeBallot,
    CloseRound,
    Command,
    ConveneSession,
    CosignCheckpoint,
    EnrollDelegation,
    Event,
    OpenRound,
    RecordCheckpoint,
    Refusal,
    SessionState,
    SubmitDecryptionShare,
    VerifiedCast,
    VoidRound,
    decide,
    event_from_json,
    evolve,
    initial_state,
)
from events import (
    GENESIS_HASH,
    AppendResult,
    EventStore,
    Expect,
    ExpectedVersion,
    LogHead,
    LogRewound,
    NewEvent,
    RecordedEvent,
    WrongExpectedPosition,
    WrongExpectedVersion,
)

SESSION_STREAM = "session"
CHECKPOINT_STREAM = "checkpoints"
#: How many times a command is re-decided after losing a race before giving up.
MAX_ATTEMPTS = 50
#: How long a command waits for the log's follower to fold its events before reading itself.
FOLLOWER_GRACE_S = 0.25

_EVENT_ID_NAMESPACE = uuid.UUID("6f1c2f43-8a53-4b0c-9a8e-3d8f52c1b8a1")


def round_stream(number: int) -> str:
    """The stream of round ``number``."""
    return f"round-{number}"


def delegation_stream(delegation_id: str) -> str:
    """The stream of a delegation's (or teller's) enrollment."""
    return f"delegation-{delegation_id}"


def ballot_stream(number: int, delegation_id: str) -> str:
    """The stream holding the one ballot of a delegation in a round."""
    return f"ballot-{number}-{delegation_id}"


@dataclass(frozen=True, slots=True)
class Route:
    """Where a command's events go and what must not have changed since the decision."""

    stream: str
    expected: ExpectedVersion
    require: Mapping[str, ExpectedVersion]
    expected_position: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What executing a command did: the events appended (none for an idempotent re-send)."""

    events: tuple[Event, ...]
    result: AppendResult | None
    state: SessionState


class CommandConflict(Exception):
    """A command kept losing races (the log kept moving); the client may retry."""

    code = "conflict_retry"


def _version(versions: Mapping[str, int], stream: str) -> ExpectedVersion:
    return versions.get(stream, 0) or Expect.NO_STREAM


def route(
    command: Command, state: SessionState, versions: Mapping[str, int], position: int
) -> Route:
    """The stream and preconditions of ``command`` decided at ``state``/``position``."""
    session: dict[str, ExpectedVersion] = {SESSION_STREAM: _version(versions, SESSION_STREAM)}
    current = state.current_round
    rounds: dict[str, ExpectedVersion] = (
        {round_stream(current.number): _version(versions, round_stream(current.number))}
        if current is not None
        else {}
    )
    if isinstance(command, ConveneSession):
        return Route(SESSION_STREAM, Expect.NO_STREAM, {})
    if isinstance(command, EnrollDelegation):
        stream = delegation_stream(command.delegation_id)
        return Route(stream, _version(versions, stream), session)
    if isinstance(command, OpenRound):
        stream = round_stream(command.round_number)
        return Route(stream, Expect.NO_STREAM, {**session, **rounds})
    if isinstance(command, CastBallot):
        home = round_stream(command.round_number)
        enrolled = delegation_stream(command.delegation_id)
        return Route(
            ballot_stream(command.round_number, command.delegation_id),
            Expect.NO_STREAM,
            {**session, home: _version(versions, home), enrolled: _version(versions, enrolled)},
        )
    if isinstance(command, ChallengeBallot):
        # Spoiled ballots of a delegation share one stream; the delegation must not have cast
        # (its ballot stream still absent) and the round not have moved.
        home = round_stream(command.round_number)
        enrolled = delegation_stream(command.delegation_id)
        return Route(
            f"challenges-{command.round_number}-{command.delegation_id}",
            Expect.ANY,
            {
                **session,
                home: _version(versions, home),
                enrolled: _version(versions, enrolled),
                ballot_stream(command.round_number, command.delegation_id): Expect.NO_STREAM,
            },
        )
    if isinstance(command, CloseRound):
        stream = round_stream(command.round_number)
        # Closing commits to every ballot of the round: nothing may land in between.
        return Route(stream, _version(versions, stream), session, expected_position=position)
    if isinstance(command, SubmitDecryptionShare | VoidRound):
        stream = round_stream(command.round_number)
        return Route(stream, _version(versions, stream), session)
    if isinstance(command, RecordCheckpoint | CosignCheckpoint):
        return Route(CHECKPOINT_STREAM, _version(versions, CHECKPOINT_STREAM), {})
    if isinstance(command, AcceptCredentials):
        # Re-issued credentials revoke the enrolled key: pin the delegation's stream too.
        enrolled = delegation_stream(command.member_id)
        return Route(
            SESSION_STREAM,
            session[SESSION_STREAM],
            {**rounds, enrolled: _version(versions, enrolled)},
        )
    # Every other command is the secretariat's or the ceremony's: session stream, and the
    # current round must not have moved (e.g. a withdrawal only between rounds).
    return Route(SESSION_STREAM, session[SESSION_STREAM], rounds)


def to_new_events(
    events: Sequence[Event],
    metadata: Mapping[str, Any],
    idempotency_key: str | None,
    session_id: str,
) -> list[NewEvent]:
    """Store form of domain events; a client's idempotency key fixes their event ids."""
    new: list[NewEvent] = []
    for index, event in enumerate(events):
        event_id = ""
        if idempotency_key is not None:
            event_id = str(
                uuid.uuid5(_EVENT_ID_NAMESPACE, f"{session_id}/{idempotency_key}/{index}")
            )
        new.append(
            NewEvent(
                event.event_type,
                event.to_payload(),
                schema_version=event.schema_version,
                event_id=event_id,
                metadata=dict(metadata),
            )
        )
    return new


@dataclass
class SessionService:
    """One session's state, folded from its log and kept current, and command execution.

    Safe to share between coroutines; several processes may each have their own on one
    database (the store's expected versions arbitrate).

    It never builds on a log that moved back: each event it folds must follow the hash of
    the last one (``prev_hash``), and each append requires the log to still reach the head
    it has seen. A log cut or rewritten behind its back (by whoever owns the database) makes
    it stop for good — every later command and read raises :class:`~events.LogRewound` —
    instead of writing on top of the shortened log or serving what it held before.
    """

    store: EventStore
    session_id: str
    state: SessionState = field(default_factory=initial_state)
    position: int = 0
    #: The chain hash at ``position``.
    head_hash: bytes = GENESIS_HASH
    #: Set once the log was seen moved back; then nothing more is done.
    rewound: LogRewound | None = None
    versions: dict[str, int] = field(default_factory=dict)
    #: Called with (position, event, state after it) for every event folded.
    listeners: list[Callable[[int, Event, SessionState], None]] = field(default_factory=list)
    _catching_up: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Set (and replaced) every time an event is folded: lets a command wait for the
    #: follower to fold up to its own events instead of reading the log itself.
    _moved: asyncio.Event = field(default_factory=asyncio.Event)
    #: The events of this process's appends in flight, by event id, with their stored
    #: payload: whoever folds their records first — the command, or the log's follower —
    #: folds the event as built, instead of parsing and validating its payload again.
    #: A cast's entry holds its verification too (its decoding is not repeated to fold it).
    _appending: dict[str, tuple[str, Event, VerifiedCast | None]] = field(default_factory=dict)

    def check_log(self) -> None:
        """Raise :class:`~events.LogRewound` if the log was ever seen moved back."""
        if self.rewound is not None:
            raise self.rewound

    async def catch_up(self) -> SessionState:
        """Fold every event after the last one seen; return the current state."""
        self.check_log()
        async with self._catching_up:
            async for record in self.store.read_log(self.session_id, self.position):
                self.apply(record)
        return self.state

    async def offer(self, record: RecordedEvent) -> None:
        """Fold ``record`` if it is the next event (a follower of the log calls this)."""
        async with self._catching_up:
            if record.position <= self.position:
                return  # already folded by a command's own catch-up
            if record.position == self.position + 1:
                self.apply(record)
                return
            async for missing in self.store.read_log(self.session_id, self.position):
                self.apply(missing)

    def apply(self, record: RecordedEvent) -> None:
        """Fold one recorded event (must be the next position)."""
        self.check_log()
        if record.position != self.position + 1:
            raise RuntimeError(f"expected position {self.position + 1}, got {record.position}")
        if record.prev_hash != self.head_hash:
            # The event at our head was replaced: the log was rewritten behind us.
            self.rewound = LogRewound(self.session_id, self.position, self.position, rewritten=True)
            raise self.rewound
        built = self._appending.get(record.event_id)
        if (
            built is not None
            and built[0] == record.payload_json
            and built[1].event_type == record.event_type
        ):
            # exactly what was stored (the payload text is canonical)
            self._fold(
                record.position, record.hash, record.stream_id, record.stream_version, *built[1:]
            )
            return
        event = event_from_json(record.event_type, record.payload_json, record.schema_version)
        self._fold(record.position, record.hash, record.stream_id, record.stream_version, event)

    def _fold(
        self,
        position: int,
        hash_: bytes,
        stream_id: str,
        stream_version: int,
        event: Event,
        cast: VerifiedCast | None = None,
    ) -> None:
        self.state = evolve(self.state, event, cast=cast)
        self.position = position
        self.head_hash = hash_
        self.versions[stream_id] = stream_version
        for listener in self.listeners:
            listener(position, event, self.state)
        self._moved.set()
        self._moved = asyncio.Event()

    async def _fold_own(
        self, events: Sequence[Event], result: AppendResult, cast: VerifiedCast | None
    ) -> None:
        """Fold events this process just appended, without reading them back when possible.

        If they are next, they are folded at once; if other events landed before them, the
        log's follower (woken by the commit's notification) folds them all — we wait for it
        briefly, and read the log ourselves only if it is slow.
        """
        async with self._catching_up:
            if self.position >= result.last_position:
                return
            if (
                self.position == result.first_position - 1
                and result.positions
                == tuple(range(result.first_position, result.last_position + 1))
                and len(result.hashes) == len(events)
            ):
                first_version = result.stream_version - len(events) + 1
                for offset, event in enumerate(events):
                    self._fold(
                        result.first_position + offset,
                        result.hashes[offset],
                        result.stream_id,
                        first_version + offset,
                        event,
                        cast,
                    )
                return
        deadline = asyncio.get_running_loop().time() + FOLLOWER_GRACE_S
        while self.position < result.last_position:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                await self.catch_up()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), remaining)

    async def execute(
        self,
        command: Command | VerifiedCast,
        *,
        actor: str = "system",
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Decide ``command`` and append its events.

        Optimistic: it first decides on the state this process already holds (kept current
        by the log's follower) without reading the log — the append's expected versions
        reject a decision made on stale state. Only a failed append, or a refusal, makes it
        catch up and decide again: nothing is ever refused on a stale view.

        A cast is executed as its :class:`~ballot.domain.VerifiedCast`.

        Raises :class:`~ballot.domain.Refusal` (nothing appended) or :class:`CommandConflict`.
        """
        self.check_log()
        request = command.command if isinstance(command, VerifiedCast) else command
        cast = command if isinstance(command, VerifiedCast) else None
        fresh = False
        for _ in range(MAX_ATTEMPTS):
            if fresh:
                await self.catch_up()
            # state, position and versions change together, and nothing awaits between here
            # and route() reading them: one snapshot, without copying the versions of every
            # stream of the session (one per ballot: a copy per cast grew with the session).
            state, position, versions = self.state, self.position, self.versions
            seen = LogHead(self.session_id, position, self.head_hash) if position else None
            try:
                events = decide(state, command)
            except Refusal:
                if fresh:
                    raise
                fresh = True
                continue
            if not events:
                return Outcome((), None, state)
            path = route(request, state, versions, position)
            new = to_new_events(
                events,
                {"command": type(request).__name__, "actor": actor},
                idempotency_key,
                self.session_id,
            )
            appending = {
                n.event_id: (n.payload_json, e, cast) for n, e in zip(new, events, strict=True)
            }
            self._appending.update(appending)
            try:
                result = await self.store.append(
                    self.session_id,
                    path.stream,
                    new,
                    path.expected,
                    require=path.require,
                    expected_position=path.expected_position,
                    seen=seen,
                )
                await self._fold_own(events, result, cast)
            except (WrongExpectedVersion, WrongExpectedPosition):
                fresh = True  # the log moved: decide again on the state it now holds
                continue
            except LogRewound as rewound:
                self.rewound = rewound
                raise
            finally:
                for event_id, entry in appending.items():
                    if self._appending.get(event_id) is entry:  # not another command's since
                        del self._appending[event_id]
            return Outcome(tuple(events), result, self.state)
        raise CommandConflict(f"{type(request).__name__} lost {MAX_ATTEMPTS} races in a row")

"""A server process's index of one session's log: its Merkle tree, receipts and checkpoints.

Answering a receipt look-up (``GET …/receipts/{code}``) needs three things: where the ballot
with that tracking code is, the signed checkpoint that first covers it, and the RFC 9162
inclusion proof of its position in that checkpoint's tree. Reading the whole log for each of
them would make every look-up ``O(log size)`` in I/O and hashing. A :class:`LogIndex` keeps
them instead, per session and per process, fed one record at a time:

* the log tree (a :class:`~ballot.ledger.LogTree` with ``proofs=True``) — the same tree the
  server signs its checkpoints with, so there is one per session, not two;
* tracking code → (position, round, delegation) of every ``BallotCast``;
* every ``CheckpointSigned``, in log order;
* every ``RoundClosed`` record, by round, and — once asked for — the closed round's ballot tree
  (leaves ``leaf_hash(tracking_hash)`` in log order, whose root is ``RoundClosed.ballots_root``),
  built once from the round's ``voters`` (delegation → tracking hash, in deposit order) and kept:
  a closed round's ballot set never changes.

It is fed by the session's follower in :class:`~ballot.api.hub.SessionHub` (which sees every
event of the log, whichever process appended it, through LISTEN/NOTIFY) and catches up by
itself — reading only the positions it has not seen — whenever it is asked something it may
not know yet: a code it has not seen (perhaps cast a moment ago through another process), or a
ballot that no checkpoint it has seen covers yet. So every process answers as one that had
read the whole log just now would.

An index starts dormant and reads nothing until it is first used (a look-up or a checkpoint):
a process that never serves receipts or signs checkpoints for a session keeps no tree for it.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Mapping
from dataclasses import dataclass

from ballot.domain import BallotCast, CheckpointSigned, RoundClosed, event_from_json
from ballot.ledger import Checkpoint, LogTree
from events import EventStore, RecordedEvent


@dataclass(frozen=True, slots=True)
class CastEntry:
    """Where one ballot is in the log."""

    position: int
    round_number: int
    delegation_id: str
    tracking_code: str


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint as recorded: the signed value and the position of its own event."""

    checkpoint: Checkpoint
    recorded_at_position: int


@dataclass(frozen=True, slots=True)
class ReceiptLookup:
    """A ballot found by its tracking code, with its proof in the first checkpoint after it
    (``covering`` is ``None`` and ``proof`` empty while no checkpoint covers it yet)."""

    cast: CastEntry
    covering: SignedCheckpoint | None
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class BallotSetLookup:
    """A ballot in its closed round's committed set: the ``RoundClosed`` record, its proof in
    the first checkpoint after it, and the ballot's leaf and proof in ``ballots_root``."""

    closed: RecordedEvent
    covering: SignedCheckpoint
    proof: tuple[bytes, ...]
    leaf_index: int
    ballot_proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _BallotTree:
    leaves: dict[str, int]  # delegation → leaf index
    tree: LogTree


class LogIndex:
    """One session's log tree, receipts and checkpoints, kept current incrementally."""

    def __init__(self, store: EventStore, session_id: str) -> None:
        self.store = store
        self.session_id = session_id
        self.tree = LogTree(proofs=True)
        #: Held by whoever signs a checkpoint of this session in this process, so that two
        #: signings do not both sign the same head.
        self.signing = asyncio.Lock()
        self._lock = asyncio.Lock()
        self._active = False
        self._casts: dict[str, CastEntry] = {}
        self._checkpoints: list[SignedCheckpoint] = []
        self._covered: list[int] = []  # the checkpoints' positions, ascending (for bisect)
        self._closings: dict[int, RecordedEvent] = {}  # round number → its RoundClosed record
        self._ballot_trees: dict[int, _BallotTree] = {}

    @property
    def position(self) -> int:
        """The last position indexed."""
        return self.tree.size

    def _add(self, record: RecordedEvent) -> None:
        self.tree.append(record.hash)
        if record.event_type == BallotCast.event_type:
            # Three fields of a payload this server validated when it appended it: read them
            # as they are (validating the whole ballot again would cost each cast ~50 µs).
            payload = record.payload()
            code = str(payload["tracking_code"])
            # The first ballot with a code is the one found, as a reader of the log would.
            self._casts.setdefault(
                code.upper(),
                CastEntry(
                    record.position,
                    int(payload["round_number"]),
                    str(payload["delegation_id"]),
                    code,
                ),
            )
        elif record.event_type == CheckpointSigned.event_type:
            signed = event_from_json(record.event_type, record.payload_json, record.schema_version)
            assert isinstance(signed, CheckpointSigned)
            self._checkpoints.append(
                SignedCheckpoint(Checkpoint.from_event(signed), record.position)
            )
            self._covered.append(signed.position)
        elif record.event_type == RoundClosed.event_type:
            self._closings.setdefault(int(record.payload()["round_number"]), record)

    async def _read_from_store(self) -> None:
        # Only the positions not indexed yet: after the first use, a handful at most.
        async for record in self.store.read_log(self.session_id, self.position):
            self._add(record)

    async def catch_up(self) -> LogTree:
        """Index every event up to the log's head (activating the index); return the tree."""
        async with self._lock:
            self._active = True
            await self._read_from_store()
        return self.tree

    async def offer(self, record: RecordedEvent) -> None:
        """Index ``record`` if it is the next one (the session's follower calls this for every
        event); ignored while the index is dormant, or if it was indexed already."""
        if not self._active or record.position <= self.position:
            return
        async with self._lock:
            if record.position <= self.position:
                return  # indexed meanwhile by a catch-up
            if record.position == self.position + 1:
                self._add(record)
            else:  # a gap (the follower restarted): read what is missing, this one included
                await self._read_from_store()

    def _covering(self, position: int) -> tuple[SignedCheckpoint | None, tuple[bytes, ...]]:
        # Checkpoints cover ever later positions, so the first one at or after the event's
        # position is the earliest that commits to it.
        i = bisect.bisect_left(self._covered, position)
        if i == len(self._checkpoints):
            return None, ()
        covering = self._checkpoints[i]
        return covering, tuple(self.tree.inclusion_proof(position, covering.checkpoint.position))

    def _find(self, code: str) -> ReceiptLookup | None:
        cast = self._casts.get(code)
        if cast is None:
            return None
        covering, proof = self._covering(cast.position)
        return ReceiptLookup(cast, covering, proof)

    def _ballot_set(self, cast: CastEntry, voters: Mapping[str, bytes]) -> BallotSetLookup | None:
        closed = self._closings.get(cast.round_number)
        if closed is None:
            return None
        covering, proof = self._covering(closed.position)
        if covering is None:
            return None
        built = self._ballot_trees.get(cast.round_number)
        if built is None:
            if len(voters) != int(closed.payload()["ballot_count"]):
                return None  # not the state of this closed round: build nothing from it
            tree = LogTree(proofs=True)
            for digest in voters.values():
                tree.append(digest)
            built = _BallotTree({d: i for i, d in enumerate(voters)}, tree)
            self._ballot_trees[cast.round_number] = built
        index = built.leaves.get(cast.delegation_id)
        if index is None:
            return None
        ballot_proof = built.tree.inclusion_proof(index + 1, built.tree.size)
        return BallotSetLookup(closed, covering, proof, index, tuple(ballot_proof))

    async def ballot_set(
        self, cast: CastEntry, voters: Mapping[str, bytes]
    ) -> BallotSetLookup | None:
        """The proof that ``cast`` is in its closed round's committed set, or ``None`` while the
        round's ``RoundClosed`` or a checkpoint covering it is not in the log (or the ballot is
        not in the set). ``voters`` is the closed round's delegation → tracking hash map, in log
        order (``RoundState.voters``); it is read only the first time a round is asked for.
        Catches up with the log first if the closing or its checkpoint is not indexed yet."""
        found = self._ballot_set(cast, voters) if self._active else None
        if found is None:
            await self.catch_up()
            found = self._ballot_set(cast, voters)
        return found

    async def find(self, tracking_code: str) -> ReceiptLookup | None:
        """The ballot with ``tracking_code`` (any case) and its inclusion proof, or ``None``.

        Answers from the index when it can; catches up with the log first when the code is
        unknown or not yet covered by a checkpoint it has seen — what another process may
        have appended since — so a miss is never an artefact of a lagging follower.
        """
        code = tracking_code.strip().upper()
        if self._active:
            found = self._find(code)
            if found is not None and found.covering is not None:
                return found
        await self.catch_up()
        return self._find(code)

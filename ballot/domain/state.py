"""The session state: frozen values folded from the log by :func:`ballot.domain.evolve`.

Nothing here is ever mutated. Mappings are immutable, picklable :class:`FrozenMap` values
that are rebuilt, never changed, when an event updates them; their insertion order is the log
order, which the read models rely on (members in registration order, voters in deposit order).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

import immutables

from ballot.domain.rules import ElectedBy, RoundKind, RoundOutcome, VotingStatus
from ballot.domain.settings import SessionSettings
from crypto.aggregate import RunningAggregate
from crypto.dkg import Complaint, ComplaintAnswer, DealerCommitment, EncryptedShare
from crypto.group import Point
from crypto.tally import DecryptionShare

K = TypeVar("K")
V = TypeVar("V")

Phase = Literal["new", "convened", "elected", "adjourned"]
CandidateStatus = Literal["standing", "eliminated", "withdrawn", "elected"]
RoundStatus = Literal["open", "closed", "tallied", "voided"]


class FrozenMap(Mapping[K, V]):
    """An immutable, picklable mapping that keeps insertion order, updated in O(log n).

    Backed by a persistent hash array mapped trie (``immutables.Map``) of
    ``key -> (insertion number, value)``, so :func:`assoc` shares structure with the old map
    instead of copying it: folding a round of 100 000 ballots stays linear. Iteration follows
    insertion order (sorted once per map, lazily). ``types.MappingProxyType`` would not do:
    it cannot be pickled, and the state travels to a process pool.
    """

    __slots__ = ("_entries", "_next", "_order")
    _entries: immutables.Map[K, tuple[int, V]]
    _next: int
    _order: tuple[K, ...] | None

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        entries: immutables.Map[K, tuple[int, V]] = immutables.Map()
        with entries.mutate() as building:
            for number, (key, value) in enumerate((items or {}).items()):
                building[key] = (number, value)
            entries = building.finish()
        object.__setattr__(self, "_entries", entries)
        object.__setattr__(self, "_next", len(entries))
        object.__setattr__(self, "_order", None)

    def set(self, key: K, value: V) -> FrozenMap[K, V]:
        """A new map with ``key`` set; an existing key keeps its place in the order."""
        previous = self._entries.get(key)
        number = previous[0] if previous is not None else self._next
        updated: FrozenMap[K, V] = FrozenMap.__new__(FrozenMap)
        object.__setattr__(updated, "_entries", self._entries.set(key, (number, value)))
        object.__setattr__(updated, "_next", self._next + (previous is None))
        object.__setattr__(updated, "_order", None)
        return updated

    def __getitem__(self, key: K) -> V:
        return self._entries[key][1]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        if self._order is None:
            ordered = sorted(self._entries.items(), key=lambda item: item[1][0])
            object.__setattr__(self, "_order", tuple(key for key, _ in ordered))
        assert self._order is not None
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._entries)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenMap is immutable")

    def __reduce__(self) -> tuple[type[FrozenMap[K, V]], tuple[dict[K, V]]]:
        return (type(self), (dict(self.items()),))

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self.items())!r})"


def frozen_map(items: Mapping[K, V] | None = None) -> Mapping[K, V]:
    """A read-only mapping holding a private copy of ``items``."""
    return FrozenMap(items)


def assoc(mapping: Mapping[K, V], key: K, value: V) -> Mapping[K, V]:
    """A new read-only mapping: ``mapping`` with ``key`` set to ``value`` (O(log n))."""
    if isinstance(mapping, FrozenMap):
        return mapping.set(key, value)
    copy = dict(mapping)
    copy[key] = value
    return FrozenMap(copy)


def _empty() -> Mapping[Any, Any]:
    return FrozenMap()


@dataclass(frozen=True, slots=True)
class MemberState:
    """One member state (or observer) on the council's list, with its delegation."""

    member_id: str
    name: str
    observer: bool = False
    credentials_accepted: bool = False
    code_digest: bytes | None = field(default=None, repr=False)
    code_expires_at: datetime | None = None
    code_used: bool = False
    public_key: bytes | None = None
    present: bool = False
    arrears: bool = False
    restored: bool = False
    suspended: bool = False

    @property
    def status(self) -> VotingStatus:
        """The facts eligibility depends on."""
        return VotingStatus(
            observer=self.observer,
            credentials_accepted=self.credentials_accepted,
            present=self.present,
            arrears=self.arrears,
            restored=self.restored,
            suspended=self.suspended,
        )


@dataclass(frozen=True, slots=True)
class CandidateState:
    """A candidate and where it stands; ``round_number`` is when it left the race (if so)."""

    candidate_id: str
    name: str
    nominated_by: str | None
    status: CandidateStatus = "standing"
    round_number: int | None = None


@dataclass(frozen=True, slots=True)
class WitnessState:
    """A witness admitted by the secretariat: a process, not the server, that cosigns each
    checkpoint it has found consistent with every earlier one it saw."""

    witness_id: str
    name: str
    public_key: bytes


@dataclass(frozen=True, slots=True)
class CheckpointState:
    """A signed checkpoint of the log, and who has cosigned it (in log order)."""

    position: int
    head_hash: bytes
    log_root: bytes
    cosigners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TellerState:
    """An appointed teller: its index in the key ceremony and its enrolled keys."""

    teller_id: str
    index: int
    name: str
    code_digest: bytes = field(repr=False)
    code_expires_at: datetime
    code_used: bool = False
    public_key: bytes | None = None


@dataclass(frozen=True, slots=True)
class CeremonyState:
    """The key ceremony's public messages (decoded) and its result.

    ``dealt`` maps each dealer that has dealt to its encrypted shares; ``complaints`` and
    ``answers`` are in log order.
    """

    commitments: Mapping[int, DealerCommitment] = field(default_factory=_empty)
    dealt: Mapping[int, tuple[EncryptedShare, ...]] = field(default_factory=_empty)
    complaints: tuple[Complaint, ...] = ()
    answers: tuple[ComplaintAnswer, ...] = ()
    election_key: Point | None = None
    qualified: tuple[int, ...] = ()
    verification_keys: Mapping[int, Point] = field(default_factory=_empty)

    @property
    def published(self) -> bool:
        """Whether the election key has been published (the ceremony is over)."""
        return self.election_key is not None


@dataclass(frozen=True, slots=True)
class RoundState:
    """One round, from opening to its decision or voiding.

    ``voters`` maps each depositing delegation to its ballot's tracking hash, in deposit
    order. ``aggregate`` is the running homomorphic sum per option (summed lazily: see
    :mod:`crypto.aggregate`) and ``merkle_peaks`` the
    right-edge subtree roots of the RFC 9162 tree of tracking hashes, so closing is O(log n).
    """

    number: int
    kind: RoundKind
    options: tuple[str, ...]
    candidate: str | None
    roll: frozenset[str]
    roll_order: tuple[str, ...]
    present: int
    quorum_base: int
    election_key: Point
    lots_commitment: bytes | None
    opened_at: datetime
    series: int
    status: RoundStatus = "open"
    voters: Mapping[str, bytes] = field(default_factory=_empty)
    aggregate: RunningAggregate = field(default_factory=lambda: RunningAggregate.empty(0))
    merkle_peaks: tuple[bytes, ...] = ()
    ballot_count: int = 0
    ballots_root: bytes | None = None
    closed_at: datetime | None = None
    lots_seed: bytes | None = None
    shares: Mapping[int, DecryptionShare] = field(default_factory=_empty)
    counts: tuple[int, ...] | None = None
    outcome: RoundOutcome | None = None
    void_reason: str | None = None
    #: The ciphertexts' ``alpha`` (``r·G``) of every ballot checked (spoiled) in this round:
    #: their nonces are public, so a cast ballot that reuses one would show its vote.
    spoiled: frozenset[bytes] = frozenset()


@dataclass(frozen=True, slots=True)
class Elected:
    """The session's result."""

    candidate_id: str
    by: ElectedBy
    round_number: int | None
    votes: int | None
    valid: int | None
    required: int | None


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything the rules need, folded from the log. Build it with
    :func:`ballot.domain.replay`; compare two with ``==``.

    ``series`` counts ballot series: it starts at 1 and grows when a failed confirmation
    reopens nominations (elimination counts inconclusive election rounds per series).
    ``pending_tiebreak`` holds the candidates of a tie for fewest that a tie-break ballot
    must settle before the next election round.
    """

    phase: Phase = "new"
    session_id: str = ""
    title: str = ""
    convened_at: datetime | None = None
    settings: SessionSettings = field(default_factory=SessionSettings)
    checkpoint_key: bytes | None = None
    members: Mapping[str, MemberState] = field(default_factory=_empty)
    candidates: Mapping[str, CandidateState] = field(default_factory=_empty)
    tellers: Mapping[str, TellerState] = field(default_factory=_empty)
    ceremony: CeremonyState = field(default_factory=CeremonyState)
    rounds: tuple[RoundState, ...] = ()
    nominations_open: bool = True
    series: int = 1
    pending_tiebreak: tuple[str, ...] = ()
    elected: Elected | None = None
    adjourned_at: datetime | None = None
    last_checkpoint: int | None = None
    #: Every signed checkpoint, by the position it covers.
    checkpoints: Mapping[int, CheckpointState] = field(default_factory=_empty)
    witnesses: Mapping[str, WitnessState] = field(default_factory=_empty)
    #: events folded so far: the log position of the last one (positions start at 1).
    event_count: int = 0

    @property
    def current_round(self) -> RoundState | None:
        """The latest round, whatever its status (``None`` before the first)."""
        return self.rounds[-1] if self.rounds else None

    @property
    def round_in_progress(self) -> RoundState | None:
        """The round that is open or closed awaiting its tally, if any."""
        last = self.current_round
        return last if last is not None and last.status in ("open", "closed") else None

    def standing(self) -> tuple[str, ...]:
        """Ids of the candidates still standing, sorted."""
        return tuple(
            sorted(c.candidate_id for c in self.candidates.values() if c.status == "standing")
        )

    def ids_in_use(self) -> frozenset[str]:
        """Every member, candidate, teller and witness id (they share one namespace)."""
        return (
            frozenset(self.members)
            | frozenset(self.candidates)
            | frozenset(self.tellers)
            | frozenset(self.witnesses)
        )

    def witness_key(self, witness_id: str) -> bytes | None:
        """The key a cosigner signs with: an admitted witness's, or an enrolled teller's."""
        witness = self.witnesses.get(witness_id)
        if witness is not None:
            return witness.public_key
        teller = self.tellers.get(witness_id)
        return teller.public_key if teller is not None else None

    def teller_by_index(self, index: int) -> TellerState | None:
        """The teller with ceremony index ``index``."""
        for teller in self.tellers.values():
            if teller.index == index:
                return teller
        return None

    def with_round(self, updated: RoundState) -> SessionState:
        """This state with its last round replaced by ``updated``."""
        return replace(self, rounds=(*self.rounds[:-1], updated))


def initial_state() -> SessionState:
    """The state before any event: not convened."""
    return SessionState()

"""Domain events (names fixed by SPEC §4) and the registry that converts them to payloads.

The event store keeps ``(event_type, schema_version, payload)``; :meth:`Event.to_payload`
gives the payload (JSON-only: no floats, binary as unpadded base64url, instants as RFC 3339
UTC strings) and :func:`event_from_payload` turns a stored triple back into the event.
``event_from_payload(e.event_type, e.to_payload()) == e`` for every event.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import ValidationError

from ballot.domain.rules import Decision, ElectedBy, EliminatedBy, RoundKind
from ballot.domain.settings import SessionSettings
from ballot.domain.values import (
    Bytes32,
    Bytes64,
    DomainModel,
    Identifier,
    JsonObject,
    Name,
    NonNegative,
    Note,
    RoundNumber,
    Timestamp,
    check_json_only,
)

Role = Literal["member", "teller"]
VoidReason = Literal["below_min_tally", "declared"]


class Event(DomainModel):
    """Base of every domain event: a class-level ``event_type`` and ``schema_version``."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def to_payload(self) -> dict[str, Any]:
        """The JSON-only payload stored in the log (no floats anywhere)."""
        payload = self.model_dump(mode="json")
        check_json_only(payload)
        return payload


# -- session and roll ----------------------------------------------------------------------


class SessionConvened(Event):
    """The session exists, with its settings (fixed for the whole log) and, if any, the
    Ed25519 key that signs its checkpoints."""

    event_type: ClassVar[str] = "SessionConvened"
    session_id: Identifier
    title: Name
    convened_at: Timestamp
    settings: SessionSettings
    checkpoint_key: Bytes32 | None = None


class MemberStateRegistered(Event):
    """A member state (or an observer, who never votes) is on the council's list."""

    event_type: ClassVar[str] = "MemberStateRegistered"
    member_id: Identifier
    name: Name
    observer: bool = False


class CandidateNominated(Event):
    """A candidate stands (nominations are open: before the first round, or after a failed
    confirmation)."""

    event_type: ClassVar[str] = "CandidateNominated"
    candidate_id: Identifier
    name: Name
    nominated_by: Identifier | None = None


class CredentialsAccepted(Event):
    """The credentials desk accepted a delegation's credentials and issued a one-time
    enrollment code; only the code's SHA-256 digest is recorded. A later acceptance for the
    same member replaces the code (a lost code or key) and revokes any enrolled key.

    The log is public, so the code must carry at least 128 bits of entropy: a short code
    could be recovered from its digest and redeemed first by someone else."""

    event_type: ClassVar[str] = "CredentialsAccepted"
    member_id: Identifier
    enrollment_code_digest: Bytes32
    accepted_at: Timestamp
    expires_at: Timestamp


class DelegationEnrolled(Event):
    """A delegation (or a teller) redeemed its one-time code and bound its Ed25519 public
    key: every ballot (or key-ceremony message) it sends is signed with the matching key."""

    event_type: ClassVar[str] = "DelegationEnrolled"
    delegation_id: Identifier
    role: Role
    public_key: Bytes32
    enrolled_at: Timestamp


class PresenceRecorded(Event):
    """The secretariat marked a member state present or absent."""

    event_type: ClassVar[str] = "PresenceRecorded"
    member_id: Identifier
    present: bool


class VotingRightsChanged(Event):
    """A member state's voting rights: lost for arrears (and whether the council restored
    them), suspended. The whole new status is recorded, not a delta."""

    event_type: ClassVar[str] = "VotingRightsChanged"
    member_id: Identifier
    arrears: bool
    restored: bool
    suspended: bool
    reason: Note = ""


class AppointedTeller(DomainModel):
    """One teller as appointed: its index (1..n) in the key ceremony and its code digest."""

    teller_id: Identifier
    index: int
    name: Name
    enrollment_code_digest: Bytes32
    expires_at: Timestamp


class TellersAppointed(Event):
    """The n tellers (any ``threshold`` of whom can decrypt) are appointed."""

    event_type: ClassVar[str] = "TellersAppointed"
    tellers: tuple[AppointedTeller, ...]
    threshold: int
    appointed_at: Timestamp


# -- key ceremony --------------------------------------------------------------------------


class KeyCeremonyCommitted(Event):
    """A teller's public dealer commitment (Feldman coefficient commitments with Schnorr
    proofs, and its X25519 key), signed with the teller's enrolled Ed25519 key."""

    event_type: ClassVar[str] = "KeyCeremonyCommitted"
    teller_id: Identifier
    index: int
    commitment: JsonObject
    signature: Bytes64


class SignedShare(DomainModel):
    """One encrypted share (crypto.dkg JSON) with the dealer's signature over it."""

    share: JsonObject
    signature: Bytes64


class KeyCeremonySharesDealt(Event):
    """A teller's shares for every other teller, each encrypted to its recipient and signed
    by the dealer (the server only relays them; it cannot read them)."""

    event_type: ClassVar[str] = "KeyCeremonySharesDealt"
    teller_id: Identifier
    index: int
    shares: tuple[SignedShare, ...]


class KeyCeremonyComplaintFiled(Event):
    """Teller ``index`` complains that dealer ``against`` sent it no valid share."""

    event_type: ClassVar[str] = "KeyCeremonyComplaintFiled"
    teller_id: Identifier
    index: int
    against: int
    complaint: JsonObject
    signature: Bytes64


class KeyCeremonyComplaintAnswered(Event):
    """Dealer ``index`` answers the complaint of teller ``accuser`` by revealing that share
    publicly (anyone can check it against the dealer's commitment)."""

    event_type: ClassVar[str] = "KeyCeremonyComplaintAnswered"
    teller_id: Identifier
    index: int
    accuser: int
    answer: JsonObject
    signature: Bytes64


class TellerKey(DomainModel):
    """A qualified teller's public verification key (its share of the key, times G)."""

    index: int
    key: Bytes32


class ElectionKeyPublished(Event):
    """The ceremony is over: the joint election key, the qualified dealers (QUAL) and every
    teller's verification key, all re-derivable from the ceremony events."""

    event_type: ClassVar[str] = "ElectionKeyPublished"
    election_key: Bytes32
    qualified: tuple[int, ...]
    verification_keys: tuple[TellerKey, ...]


# -- rounds --------------------------------------------------------------------------------


class RoundOpened(Event):
    """A round opens: its kind, options (blank last), frozen electoral roll (sorted), quorum
    figures, the Fiat–Shamir context (session, round, election key, options) and, if the
    round may need a drawing of lots, the commitment to the seed."""

    event_type: ClassVar[str] = "RoundOpened"
    round_number: RoundNumber
    kind: RoundKind
    options: tuple[Identifier | Literal["blank", "yes", "no"], ...]
    candidate: Identifier | None = None
    roll: tuple[Identifier, ...]
    present: NonNegative
    quorum_base: NonNegative
    election_key: Bytes32
    lots_commitment: Bytes32 | None = None
    opened_at: Timestamp


class BallotCast(Event):
    """A delegation deposited a ballot: who (public), the encrypted ballot and its signature
    (content secret), and the tracking code shown on its receipt."""

    event_type: ClassVar[str] = "BallotCast"
    round_number: RoundNumber
    delegation_id: Identifier
    ballot: JsonObject
    signature: Bytes64
    tracking_code: str


class BallotChallenged(Event):
    """A delegation opened an encrypted ballot instead of casting it: the spoiled ballot, its
    signature, the revealed choice (``option``, and ``reveal``: the choice's index and every
    nonce) and its tracking code. Public, and nobody's vote: a spoiled ballot never counts."""

    event_type: ClassVar[str] = "BallotChallenged"
    round_number: RoundNumber
    delegation_id: Identifier
    ballot: JsonObject
    signature: Bytes64
    reveal: JsonObject
    option: str
    tracking_code: str


class CiphertextPair(DomainModel):
    """One exponential-ElGamal ciphertext: the JSON form of ``crypto.encoding``."""

    alpha: Bytes32
    beta: Bytes32


class RoundClosed(Event):
    """The round closed, committing to its exact ballot set: how many, the RFC 9162 Merkle
    root of their tracking hashes in log order (leaves ``leaf_hash(tracking_hash)``), and the
    homomorphic aggregate per option. The lots seed, if one was committed, is revealed here."""

    event_type: ClassVar[str] = "RoundClosed"
    round_number: RoundNumber
    ballot_count: NonNegative
    ballots_root: Bytes32
    aggregate: tuple[CiphertextPair, ...]
    lots_seed: Bytes32 | None = None
    closed_at: Timestamp


class DecryptionShareSubmitted(Event):
    """A teller's verified partial decryption of the round's aggregate."""

    event_type: ClassVar[str] = "DecryptionShareSubmitted"
    round_number: RoundNumber
    teller_id: Identifier
    index: int
    share: JsonObject


class RoundTallied(Event):
    """The counts per option (from ``threshold`` valid shares) and the round's decision."""

    event_type: ClassVar[str] = "RoundTallied"
    round_number: RoundNumber
    kind: RoundKind
    counts: dict[str, NonNegative]
    blank: NonNegative
    valid: NonNegative
    required: NonNegative | None
    decision: Decision
    elected: Identifier | None = None
    eliminated: Identifier | None = None
    eliminated_by: EliminatedBy | None = None
    tied: tuple[Identifier, ...] = ()


class CandidateEliminated(Event):
    """A candidate is out: fewest votes, lost a tie-break ballot, or the lot fell on it."""

    event_type: ClassVar[str] = "CandidateEliminated"
    candidate_id: Identifier
    round_number: RoundNumber
    by: EliminatedBy
    votes: NonNegative


class LotsDrawn(Event):
    """A tie for fewest settled by lots: the revealed seed, the tied candidates (sorted) and
    the one the lot fell on (re-derivable with :func:`ballot.domain.rules.draw_lots`)."""

    event_type: ClassVar[str] = "LotsDrawn"
    round_number: RoundNumber
    seed: Bytes32
    tied: tuple[Identifier, ...]
    loser: Identifier


class CandidateWithdrawn(Event):
    """A candidate withdrew between rounds."""

    event_type: ClassVar[str] = "CandidateWithdrawn"
    candidate_id: Identifier
    reason: Note = ""


class CandidateElected(Event):
    """The Director General (or whoever the session elects) is elected. Happens once."""

    event_type: ClassVar[str] = "CandidateElected"
    candidate_id: Identifier
    by: ElectedBy
    round_number: RoundNumber | None = None
    votes: NonNegative | None = None
    valid: NonNegative | None = None
    required: NonNegative | None = None


class ConfirmationFailed(Event):
    """A confirmation ballot did not reach the majority: nominations reopen."""

    event_type: ClassVar[str] = "ConfirmationFailed"
    candidate_id: Identifier
    round_number: RoundNumber
    yes: NonNegative
    no: NonNegative
    required: NonNegative


class RoundVoided(Event):
    """A round is void and will be re-run: too few ballots to decrypt without exposing
    votes (``below_min_tally``), or declared void by the secretariat (``declared``)."""

    event_type: ClassVar[str] = "RoundVoided"
    round_number: RoundNumber
    reason: VoidReason
    note: Note = ""


class CheckpointSigned(Event):
    """A signed checkpoint of the log: position, head hash, RFC 9162 root of the log."""

    event_type: ClassVar[str] = "CheckpointSigned"
    position: NonNegative
    head_hash: Bytes32
    log_root: Bytes32
    signature: Bytes64


class WitnessAdmitted(Event):
    """The secretariat admitted a witness: who cosigns checkpoints, with which key."""

    event_type: ClassVar[str] = "WitnessAdmitted"
    witness_id: Identifier
    name: Name
    public_key: Bytes32


class CheckpointCosigned(Event):
    """A witness (or a teller) cosigned the checkpoint covering ``position``: it checked that
    checkpoint is consistent with every earlier one it saw (signature over
    :func:`crypto.signing.cosignature_message`)."""

    event_type: ClassVar[str] = "CheckpointCosigned"
    witness_id: Identifier
    position: NonNegative
    signature: Bytes64


class SessionAdjourned(Event):
    """The session is adjourned; the log only reads afterwards."""

    event_type: ClassVar[str] = "SessionAdjourned"
    adjourned_at: Timestamp
    reason: Note = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (
        SessionConvened,
        MemberStateRegistered,
        CandidateNominated,
        CredentialsAccepted,
        DelegationEnrolled,
        PresenceRecorded,
        VotingRightsChanged,
        TellersAppointed,
        KeyCeremonyCommitted,
        KeyCeremonySharesDealt,
        KeyCeremonyComplaintFiled,
        KeyCeremonyComplaintAnswered,
        ElectionKeyPublished,
        RoundOpened,
        BallotCast,
        RoundClosed,
        DecryptionShareSubmitted,
        RoundTallied,
        CandidateEliminated,
        LotsDrawn,
        CandidateWithdrawn,
        CandidateElected,
        ConfirmationFailed,
        RoundVoided,
        CheckpointSigned,
        WitnessAdmitted,
        CheckpointCosigned,
        BallotChallenged,
        SessionAdjourned,
    )
}


class UnknownEvent(ValueError):
    """A stored event this version of the domain cannot read."""

    code = "unknown_event"


def event_from_payload(event_type: str, payload: dict[str, Any], schema_version: int = 1) -> Event:
    """The event for a stored ``(event_type, schema_version, payload)``.

    Parsed strictly in JSON mode (no ``"1"`` for ``1``, no ``"true"`` for ``true``), so a
    payload is read exactly as it was written. Raises :class:`UnknownEvent` for an unknown
    type or version and ``ValueError`` for a payload that does not fit the type.
    """
    return event_from_json(event_type, json.dumps(payload), schema_version)


def event_from_json(event_type: str, payload_json: str, schema_version: int = 1) -> Event:
    """:func:`event_from_payload` of the payload's JSON text, as a record stores it —
    validated straight from the text (parsing it first, to dump it again for the schema,
    was a measurable part of replaying and auditing a log)."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEvent(f"unknown event type {event_type!r}")
    if schema_version != cls.schema_version:
        raise UnknownEvent(f"{event_type} schema version {schema_version} is not supported")
    try:
        return cls.model_validate_json(payload_json, strict=True)
    except ValidationError as exc:
        raise ValueError(f"{event_type} payload does not fit its schema: {exc}") from None


__all__ = [
    "EVENT_TYPES",
    "AppointedTeller",
    "BallotCast",
    "BallotChallenged",
    "CandidateElected",
    "CandidateEliminated",
    "CandidateNominated",
    "CandidateWithdrawn",
    "CheckpointCosigned",
    "CheckpointSigned",
    "CiphertextPair",
    "ConfirmationFailed",
    "CredentialsAccepted",
    "DecryptionShareSubmitted",
    "DelegationEnrolled",
    "ElectedBy",
    "ElectionKeyPublished",
    "Event",
    "KeyCeremonyCommitted",
    "KeyCeremonyComplaintAnswered",
    "KeyCeremonyComplaintFiled",
    "KeyCeremonySharesDealt",
    "LotsDrawn",
    "MemberStateRegistered",
    "PresenceRecorded",
    "Role",
    "RoundClosed",
    "RoundOpened",
    "RoundTallied",
    "RoundVoided",
    "SessionAdjourned",
    "SessionConvened",
    "SignedShare",
    "TellerKey",
    "TellersAppointed",
    "UnknownEvent",
    "VoidReason",
    "VotingRightsChanged",
    "WitnessAdmitted",
    "event_from_json",
    "event_from_payload",
]

"""Commands: what someone asks the session to do. Validated, frozen pydantic models.

A command carries everything :func:`ballot.domain.decide` needs from the outside world —
the time (``*_at``), random values (a lots seed, committed at opening and revealed at
closing), who acts where the log must say so — so that deciding stays pure. Who may send a
command is the API's concern (SPEC §2), not the domain's.
"""

from __future__ import annotations

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
)


class Command(DomainModel):
    """Base of every command."""


class ConveneSession(Command):
    """Open the session's log with its settings (and the checkpoint key, if any)."""

    session_id: Identifier
    title: Name
    convened_at: Timestamp
    settings: SessionSettings = SessionSettings()
    checkpoint_key: Bytes32 | None = None


class RegisterMemberState(Command):
    """Put a member state (or an observer) on the council's list."""

    member_id: Identifier
    name: Name
    observer: bool = False


class NominateCandidate(Command):
    """Register a candidate while nominations are open."""

    candidate_id: Identifier
    name: Name
    nominated_by: Identifier | None = None


class AcceptCredentials(Command):
    """Accept a delegation's credentials and record the digest of the one-time enrollment
    code handed to it (the code itself never reaches the log)."""

    member_id: Identifier
    enrollment_code_digest: Bytes32
    accepted_at: Timestamp


class EnrollDelegation(Command):
    """Redeem an enrollment code: bind the delegation's (or teller's) Ed25519 public key.

    ``enrollment_code_digest`` is the SHA-256 digest of the code presented, computed by the
    API; ``enrolled_at`` is the API's clock, checked against the code's expiry.
    """

    delegation_id: Identifier
    enrollment_code_digest: Bytes32
    public_key: Bytes32
    enrolled_at: Timestamp


class RecordPresence(Command):
    """Mark a member state present or absent."""

    member_id: Identifier
    present: bool


class ChangeVotingRights(Command):
    """Record a member state's voting rights (the whole status, not a delta)."""

    member_id: Identifier
    arrears: bool = False
    restored: bool = False
    suspended: bool = False
    reason: Note = ""


class TellerAppointment(DomainModel):
    """One teller to appoint, with the digest of its one-time enrollment code."""

    teller_id: Identifier
    name: Name
    enrollment_code_digest: Bytes32


class AppointTellers(Command):
    """Appoint the session's n tellers; their order gives their ceremony indices 1..n."""

    tellers: tuple[TellerAppointment, ...]
    appointed_at: Timestamp


class SubmitKeyCommitment(Command):
    """A teller's dealer commitment (crypto.dkg JSON), signed with its enrolled key over
    :func:`ballot.domain.ceremony_signing_message`."""

    teller_id: Identifier
    commitment: JsonObject
    signature: Bytes64


class SignedShareIn(DomainModel):
    """One encrypted share (crypto.dkg JSON) and the dealer's signature over it."""

    share: JsonObject
    signature: Bytes64


class DealKeyShares(Command):
    """A teller's encrypted shares, one for every other teller, each signed."""

    teller_id: Identifier
    shares: tuple[SignedShareIn, ...]


class FileKeyComplaint(Command):
    """A teller's signed complaint against a dealer (crypto.dkg JSON)."""

    teller_id: Identifier
    complaint: JsonObject
    signature: Bytes64


class AnswerKeyComplaint(Command):
    """A dealer's signed answer to a complaint: the disputed share in the clear."""

    teller_id: Identifier
    answer: JsonObject
    signature: Bytes64


class PublishElectionKey(Command):
    """End the key ceremony: compute QUAL, the joint key and the verification keys."""


class OpenRound(Command):
    """Open the next round. Its kind and options follow from the state
    (:func:`ballot.domain.next_round_plan`); ``round_number`` must be the next one.

    ``lots_commitment`` (SHA-256 commitment, :func:`ballot.domain.rules.lots_commitment`) is
    required when the plan says the round may need a drawing of lots.
    """

    round_number: RoundNumber
    opened_at: Timestamp
    lots_commitment: Bytes32 | None = None


class CastBallot(Command):
    """A delegation's signed, encrypted ballot for an open round.

    Run :func:`ballot.domain.verify_cast_proofs` (the expensive proof check) before
    :func:`ballot.domain.decide`, which checks the rules and the signature.
    """

    delegation_id: Identifier
    round_number: RoundNumber
    ballot: JsonObject
    signature: Bytes64


class CloseRound(Command):
    """Close the open round, revealing the lots seed if one was committed."""

    round_number: RoundNumber
    closed_at: Timestamp
    lots_seed: Bytes32 | None = None


class SubmitDecryptionShare(Command):
    """A teller's partial decryption of a closed round's aggregate (crypto.tally JSON)."""

    teller_id: Identifier
    round_number: RoundNumber
    share: JsonObject


class VoidRound(Command):
    """Declare an open or closed (untallied) round void; it will be re-run."""

    round_number: RoundNumber
    note: Note = ""


class WithdrawCandidate(Command):
    """Record a candidate's withdrawal (between rounds)."""

    candidate_id: Identifier
    reason: Note = ""


class DeclareElectedByAcclamation(Command):
    """Record the election of the sole remaining candidate by acclamation."""

    candidate_id: Identifier


class RecordCheckpoint(Command):
    """Record a signed checkpoint of the log (bookkeeping; allowed at any time)."""

    position: NonNegative
    head_hash: Bytes32
    log_root: Bytes32
    signature: Bytes64


class ChallengeBallot(Command):
    """A delegation opens an encrypted ballot instead of casting it (the Benaloh challenge):
    the ballot and its signature as a cast would carry them, and ``reveal`` (``crypto.challenge``
    JSON: the choice and every option's nonce)."""

    delegation_id: Identifier
    round_number: RoundNumber
    ballot: JsonObject
    signature: Bytes64
    reveal: JsonObject


class AdmitWitness(Command):
    """Admit a witness of the record: a process that is not the server, holding ``public_key``."""

    witness_id: Identifier
    name: Name
    public_key: Bytes32


class CosignCheckpoint(Command):
    """A witness's (or a teller's) cosignature of the checkpoint covering ``position``."""

    witness_id: Identifier
    position: NonNegative
    signature: Bytes64


class AdjournSession(Command):
    """Adjourn the session for good; afterwards the log only reads."""

    adjourned_at: Timestamp
    reason: Note = ""


__all__ = [
    "AcceptCredentials",
    "AdjournSession",
    "AdmitWitness",
    "AnswerKeyComplaint",
    "AppointTellers",
    "CastBallot",
    "ChallengeBallot",
    "ChangeVotingRights",
    "CloseRound",
    "Command",
    "ConveneSession",
    "CosignCheckpoint",
    "DealKeyShares",
    "DeclareElectedByAcclamation",
    "EnrollDelegation",
    "FileKeyComplaint",
    "NominateCandidate",
    "OpenRound",
    "PublishElectionKey",
    "RecordCheckpoint",
    "RecordPresence",
    "RegisterMemberState",
    "SignedShareIn",
    "SubmitDecryptionShare",
    "SubmitKeyCommitment",
    "TellerAppointment",
    "VoidRound",
    "WithdrawCandidate",
]

"""Request and response bodies of the HTTP API (pydantic; the OpenAPI schemas come from here).

Read models of the session (roll, board, results, session view) are the domain's own
projection models, re-exported in envelopes here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema

from ballot.domain import SessionSettings
from ballot.domain.read_models import (
    Outcome,
    RollEntry,
    RoundResult,
    SessionView,
    Turnout,
)
from ballot.domain.text import normalized
from ballot.domain.values import Identifier, JsonObject
from ballot.domain.values import Name as DomainName
from ballot.domain.values import Note as DomainNote

#: An Ed25519 signature (64 bytes) and public key (32 bytes) in unpadded base64url: declared
#: exactly, so that what the OpenAPI document admits is what the rules can accept.
#: The last character carries the encoding's spare bits, which canonical base64url leaves zero
#: (4 spare bits of 86 characters, 2 of 43).
SIGNATURE_PATTERN = r"^[A-Za-z0-9_-]{85}[AQgw]$"
KEY_PATTERN = r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"
HASH_PATTERN = r"^[0-9a-f]{64}$"


#: What a person typed, in NFC before the text rule applies (the log keeps NFC only).
Name = Annotated[DomainName, BeforeValidator(normalized)]
Note = Annotated[DomainNote, BeforeValidator(normalized)]

#: Free JSON carried into the log (a ballot, a share, a key-ceremony message): an object of
#: the values the log can hold (the document's ``JsonValue``), checked as the log checks it.
LogJson = Annotated[
    JsonObject,
    WithJsonSchema(
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/JsonValue"}}
    ),
]


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reply(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(frozen=True)


# -- secretariat ----------------------------------------------------------------------------
class ConveneRequest(Body):
    title: Name
    session_id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="Chosen id; a fresh one is generated when omitted.",
    )
    settings: SessionSettings = SessionSettings()


class SessionCreated(Reply):
    session_id: str
    position: int
    checkpoint_key: str = Field(description="Ed25519 public key (base64url) signing checkpoints")


class MemberRequest(Body):
    member_id: Identifier
    name: Name
    observer: bool = False


class WitnessRequest(Body):
    witness_id: Identifier
    name: Name
    public_key: str = Field(
        pattern=KEY_PATTERN,
        description="the witness's Ed25519 key: a point of the prime-order subgroup, not the identity",
    )


class CosignatureRequest(Body):
    witness_id: Identifier
    signature: str = Field(
        pattern=SIGNATURE_PATTERN,
        description="Ed25519 over cosignature_message(session, position, head_hash, log_root)",
    )


class Consistency(Reply):
    """RFC 9162 consistency proof that the log checkpointed at ``new`` extends the one
    checkpointed at ``old``."""

    old: int
    new: int
    proof: list[str] = Field(description="hashes, hex")


class CandidateRequest(Body):
    candidate_id: Identifier
    name: Name
    nominated_by: Identifier | None = None


class PresenceRequest(Body):
    present: bool


class VotingRightsRequest(Body):
    arrears: bool = False
    restored: bool = False
    suspended: bool = False
    reason: Note = ""


class TellerRequest(Body):
    teller_id: Identifier
    name: Name


class AppointTellersRequest(Body):
    tellers: list[TellerRequest] = Field(min_length=1, max_length=20)


class EnrollmentCode(Reply):
    subject: str = Field(description="member or teller id")
    code: str = Field(description="one-time enrollment code, shown once")
    expires_at: datetime | None


class EnrollmentCodes(Reply):
    codes: list[EnrollmentCode]


class NoteRequest(Body):
    reason: Note = ""


class AcclamationRequest(Body):
    candidate_id: Identifier


class Accepted(Reply):
    """A command's events are in the log."""

    position: int = Field(description="log position of the last event appended (0: none)")
    events: list[str] = Field(description="types of the events appended")


# -- delegations and tellers ----------------------------------------------------------------
class EnrollRequest(Body):
    code: str = Field(min_length=10, max_length=64)
    public_key: str = Field(
        description="Ed25519 public key, base64url (32 bytes)", pattern=KEY_PATTERN
    )
    role: Literal["delegation", "teller"] | None = Field(
        default=None,
        description="who the caller expects to be; a code of the other kind is refused unused",
    )


class Enrolled(Reply):
    subject: str
    role: Literal["delegation", "teller"]
    token: str = Field(description="bearer token for this session; shown once")
    teller_index: int | None = None


class BallotRequest(Body):
    ballot: LogJson = Field(description="encrypted ballot, JSON form (verification spec)")
    signature: str = Field(
        description="Ed25519 signature (base64url) over the signing message",
        pattern=SIGNATURE_PATTERN,
    )


class Receipt(Reply):
    """A signed receipt, exactly the file a delegation keeps (``ballot-receipt/1``, see
    ``docs/audit.md``): the server's signature that its log held this ballot at ``position``
    with chain hash ``head_hash``."""

    type: Literal["ballot-receipt/1"] = "ballot-receipt/1"
    session_id: str
    round_number: int
    delegation_id: str
    tracking_code: str
    position: int
    head_hash: str = Field(
        pattern=HASH_PATTERN, description="chain hash of the ballot's event at `position` (hex)"
    )
    signature: str = Field(
        pattern=SIGNATURE_PATTERN,
        description="Ed25519 signature by the session's checkpoint key over "
        "receipt_message(session, round, delegation, tracking code, position, head_hash)",
    )


class ChallengeRequest(Body):
    """An encrypted ballot opened instead of cast (the Benaloh challenge)."""

    ballot: LogJson = Field(description="the encrypted ballot, JSON form, as a cast carries it")
    signature: str = Field(
        description="Ed25519 signature (base64url) over the signing message",
        pattern=SIGNATURE_PATTERN,
    )
    reveal: LogJson = Field(description='{"choice": index, "nonces": [scalar, …]}')


class Challenged(Reply):
    """What the opened ballot held: check ``option`` is the choice you made."""

    session_id: str
    round_number: int
    delegation_id: str
    tracking_code: str
    option: str
    position: int


class ChallengeRecord(Reply):
    """A spoiled ballot as recorded: ``record`` (the ``BallotChallenged`` event as exported)
    re-hashes to its chain hash; the page re-checks the ballot opens to ``option``."""

    tracking_code: str
    round_number: int
    delegation_id: str
    option: str
    position: int
    record: str


class ShareRequest(Body):
    share: LogJson


class SignedMessageRequest(Body):
    message: LogJson = Field(description="key-ceremony message, JSON form")
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class SignedShare(Body):
    share: LogJson
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class DealRequest(Body):
    shares: list[SignedShare] = Field(min_length=1, max_length=20)


class Me(Reply):
    session_id: str
    role: str
    subject: str | None


# -- public reads ---------------------------------------------------------------------------
class SessionSummary(Reply):
    session_id: str
    title: str
    phase: str
    rounds: int


class SessionList(Reply):
    sessions: list[SessionSummary]


class SessionInfo(Reply):
    session: SessionView
    position: int
    checkpoint_key: str | None


class Roll(Reply):
    members: list[RollEntry]


class Board(Reply):
    session_id: str
    title: str
    rounds: list[RoundResult]
    outcome: Outcome | None


class RoundDefinition(Reply):
    """What a delegation's browser needs to encrypt: options, key and context."""

    session_id: str
    round_number: int
    kind: str
    status: str
    options: list[str]
    candidate: str | None
    election_key: str
    eligible: int
    deposited: int
    opened_at: datetime


class TurnoutReply(Reply):
    turnout: Turnout


class Aggregate(Reply):
    """The committed ballot set of a closed round, for tellers and auditors to re-check."""

    round_number: int
    ballot_count: int
    ballots_root: str
    aggregate: list[dict[str, str]]
    position: int = Field(description="log position of RoundClosed")


class Checkpoint(Reply):
    position: int
    head_hash: str
    log_root: str
    signature: str
    recorded_at_position: int
    cosigned_by: list[str] = Field(
        default_factory=list, description="witnesses (or tellers) who cosigned it, in log order"
    )


class Checkpoints(Reply):
    checkpoint_key: str | None
    checkpoints: list[Checkpoint]


class BallotSetProof(Reply):
    """That a ballot is in its closed round's committed set, checkable from the checkpoint key.

    ``record`` (the round's ``RoundClosed`` event as exported) re-hashes to its chain hash;
    ``inclusion_proof`` leads from it (leaf ``position - 1``) to ``checkpoint.log_root``, the
    first signed checkpoint covering it; the ballot's tracking hash (recomputed from the
    ``BallotCast`` record) is leaf ``leaf_index`` of the ``ballot_count`` leaves under the
    record's ``ballots_root``, by ``ballot_proof``.
    """

    record: str = Field(description="the RoundClosed event exactly as exported (JSON Lines line)")
    position: int
    checkpoint: Checkpoint
    inclusion_proof: list[str] = Field(description="RFC 9162 audit path in the log tree, hex")
    leaf_index: int = Field(description="the ballot's index among the round's ballots (log order)")
    ballot_proof: list[str] = Field(description="RFC 9162 audit path in the ballot tree, hex")


class ReceiptProof(Reply):
    """Where a tracking code is, and its inclusion proof in a signed checkpoint.

    Self-contained for a verifier that trusts only the session's checkpoint key: ``record``
    re-hashes to the event's chain hash and holds the tracking code; ``inclusion_proof`` leads
    from that hash (leaf ``position - 1``) to ``checkpoint.log_root`` in the tree of size
    ``checkpoint.position``; the checkpoint is signed by ``checkpoint_key``. ``ballot_set``
    makes ``counted`` checkable too.
    """

    tracking_code: str
    round_number: int
    delegation_id: str
    position: int
    counted: bool | None = Field(description="in the round's committed set (None: round open)")
    checkpoint: Checkpoint | None
    inclusion_proof: list[str] = Field(description="RFC 9162 audit path, hex")
    record: str = Field(
        description="the BallotCast event exactly as exported: its JSON Lines line (canonical "
        "JSON with hash and prev_hash, hex), without the newline"
    )
    checkpoint_key: str | None = Field(
        description="the session's Ed25519 checkpoint key (SessionConvened), base64url"
    )
    ballot_set: BallotSetProof | None = Field(
        default=None,
        description="the proof behind counted=true, once the round's RoundClosed is covered by "
        "a checkpoint (absent for an open or voided round)",
    )


class CeremonyMessages(Reply):
    """Key-ceremony messages so far (as recorded in the log)."""

    tellers: int
    threshold: int
    commitments: list[dict[str, Any]]
    shares_for_me: list[dict[str, Any]]
    complaints: list[dict[str, Any]]
    answers: list[dict[str, Any]]
    election_key: str | None


class ProblemType(Reply):
    """One problem type: its HTTP status and fixed title."""

    status: int
    title: str


class ProblemTypes(RootModel[dict[str, ProblemType]]):
    """Every problem type the API can answer with: an object keyed by code."""


class ProblemTypeDocument(Reply):
    """One problem type, as its ``type`` URI resolves."""

    type: str
    code: str
    status: int
    title: str

"""A delegation: its Ed25519 key, its enrollment, and its signed, encrypted ballots.

Nothing here knows how a ballot travels. :meth:`DelegationAgent.cast` turns a round's
definition and a choice into a :class:`SignedBallot`; the in-process driver executes its
:meth:`SignedBallot.command`, an HTTP client posts :meth:`SignedBallot.to_json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ballot.domain import CastBallot, EnrollDelegation, RoundOpened, SessionState
from ballot.domain.values import b64encode
from ballot.simulation.entropy import Entropy, code_digest
from crypto import ballot as cb
from crypto.group import Point, Scalar, seeded_scalars
from crypto.signing import SigningKey


def json_copy(obj: object) -> dict[str, Any]:
    """A crypto object's JSON form as it travels: plain dicts, lists, strings and integers."""
    value: dict[str, Any] = json.loads(json.dumps(obj))
    return value


class SimulationError(ValueError):
    """A participant cannot do what it was asked (``code`` says why)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class RoundDefinition:
    """What a delegation needs to vote in a round: the ballot's Fiat–Shamir context minus its
    own id (session, round number, election key, options in order) and the round's kind."""

    session_id: str
    round_number: int
    election_key: bytes
    options: tuple[str, ...]
    kind: str = "election"

    @classmethod
    def from_event(cls, session_id: str, event: RoundOpened) -> RoundDefinition:
        """The definition published by a ``RoundOpened`` event."""
        return cls(
            session_id, event.round_number, event.election_key, tuple(event.options), event.kind
        )

    @classmethod
    def from_state(cls, state: SessionState) -> RoundDefinition:
        """The definition of the round open in ``state``."""
        current = state.current_round
        if current is None or current.status != "open":
            raise SimulationError("round_not_open", "no round is open")
        return cls(
            state.session_id,
            current.number,
            current.election_key.encode(),
            current.options,
            current.kind,
        )

    def context(self, delegation_id: str) -> cb.BallotContext:
        """The ballot context of ``delegation_id`` in this round."""
        return cb.BallotContext(
            self.session_id,
            self.round_number,
            Point.decode(self.election_key),
            delegation_id,
            self.options,
        )


@dataclass(frozen=True, slots=True)
class SignedBallot:
    """An encrypted ballot with its signature and receipt (the tracking code)."""

    delegation_id: str
    round_number: int
    ballot: dict[str, Any]
    signature: bytes
    tracking_code: str
    tracking_hash: bytes

    def command(self) -> CastBallot:
        """The domain command that casts it."""
        return CastBallot(
            delegation_id=self.delegation_id,
            round_number=self.round_number,
            ballot=self.ballot,
            signature=self.signature,
        )

    def to_json(self) -> dict[str, Any]:
        """JSON body: ``delegation_id``, ``round_number``, ``ballot``, ``signature`` (base64url)."""
        return {
            "delegation_id": self.delegation_id,
            "round_number": self.round_number,
            "ballot": self.ballot,
            "signature": b64encode(self.signature),
        }


@dataclass(frozen=True, slots=True)
class BallotJob:
    """Everything needed to make one signed ballot in another process (picklable).

    Holds the delegation's private key seed: only for a local process pool, never a wire.
    """

    key_seed: bytes = field(repr=False)
    delegation_id: str
    definition: RoundDefinition
    choice: str
    rng_seed: bytes | None = field(default=None, repr=False)


def make_ballot(job: BallotJob) -> SignedBallot:
    """Encrypt, prove and sign one ballot (pure; runs in any process)."""
    rng = Scalar.random if job.rng_seed is None else seeded_scalars(job.rng_seed)
    return _sign(
        SigningKey.from_seed(job.key_seed), job.delegation_id, job.definition, job.choice, rng
    )


def _sign(
    key: SigningKey,
    delegation_id: str,
    definition: RoundDefinition,
    choice: str,
    rng: Any,
) -> SignedBallot:
    if choice not in definition.options:
        raise SimulationError(
            "unknown_option", f"{choice!r} is not an option of round {definition.round_number}"
        )
    ctx = definition.context(delegation_id)
    encrypted = cb.encrypt_ballot(ctx, definition.options.index(choice), rng)
    signature = key.sign(cb.signing_message(ctx, encrypted))
    digest = cb.tracking_hash(ctx, encrypted, signature)
    ballot_json = json_copy(cb.ballot_to_json(encrypted))
    return SignedBallot(
        delegation_id,
        definition.round_number,
        ballot_json,
        signature,
        cb.render_tracking_code(digest),
        digest,
    )


@dataclass(eq=False)
class DelegationAgent:
    """A member state's delegation: enrolls its key, then signs one ballot per round."""

    delegation_id: str
    signing_key: SigningKey = field(repr=False)
    entropy: Entropy = field(default_factory=Entropy, repr=False)

    @classmethod
    def create(cls, delegation_id: str, entropy: Entropy) -> DelegationAgent:
        """A delegation with a fresh key (reproducible if ``entropy`` is seeded)."""
        return cls(delegation_id, entropy.signing_key(f"delegation-key/{delegation_id}"), entropy)

    @property
    def public_key(self) -> bytes:
        """The Ed25519 public key it enrolls."""
        return self.signing_key.public_key().encode()

    def enroll(self, code: str, at: datetime) -> EnrollDelegation:
        """Redeem the one-time enrollment code with this delegation's key."""
        return EnrollDelegation(
            delegation_id=self.delegation_id,
            enrollment_code_digest=code_digest(code),
            public_key=self.public_key,
            enrolled_at=at,
        )

    def cast(self, definition: RoundDefinition, choice: str) -> SignedBallot:
        """Encrypt ``choice`` for the round, prove it, sign it."""
        rng = self.entropy.scalars(f"ballot/{definition.round_number}/{self.delegation_id}")
        return _sign(self.signing_key, self.delegation_id, definition, choice, rng)

    def job(self, definition: RoundDefinition, choice: str) -> BallotJob:
        """The same ballot as :meth:`cast`, as a job for :func:`make_ballot` in a pool."""
        return BallotJob(
            self.signing_key.encode(),
            self.delegation_id,
            definition,
            choice,
            self.entropy.derive(f"ballot/{definition.round_number}/{self.delegation_id}"),
        )

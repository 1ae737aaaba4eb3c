"""Verified before decided: the expensive checks of a cast ballot, and the value that says
they ran.

A cast ballot is decoded (every point and scalar validated), its zero-knowledge proofs are
verified in its round's context (session, round, election key, this delegation, the round's
options), and its Ed25519 signature is checked — about 1.5 ms of CPU — before any rule looks
at it. :func:`ballot.domain.decide` never takes a bare :class:`CastBallot`: it takes the
:class:`VerifiedCast` that only this module makes, so "verify first" is a type, not an
order of calls that a comment asks for, and ``decide`` needs no memory of earlier checks.

Two ways lead to one:

* :func:`verify_cast` — everything inline (the simulator, tests, the auditor without workers);
* :func:`cast_check` builds a small, picklable :class:`CastCheck`; :func:`check_casts` runs a
  chunk of them anywhere (a worker process); :func:`verified_cast` seals the answer for the
  command it was built from. The worker reports the signature's verdict instead of refusing,
  so the rules still decide — in their own order — whether a ballot is refused for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ballot.domain import crypto_port
from ballot.domain.commands import CastBallot
from ballot.domain.errors import Refusal
from ballot.domain.guards import require_active
from ballot.domain.state import RoundState, SessionState
from crypto.ballot import BallotContext, EncryptedBallot
from crypto.signing import VerifyKey


@dataclass(frozen=True, slots=True)
class CastCheck:
    """One cast ballot to check: its context and text, and the key and signature to verify.

    ``key`` was decoded and validated by the process that builds the check (at enrollment);
    it crosses to a worker as it is, so the worker does not pay for strict key decoding."""

    context: BallotContext
    #: The ballot's :func:`~ballot.domain.crypto_port.ballot_text`: one string pickles in
    #: microseconds, the JSON tree it encodes in tens of them.
    ballot_text: str
    key: VerifyKey
    signature: bytes


@dataclass(frozen=True, slots=True)
class CheckedCast:
    """A ballot whose proofs hold: decoded, its tracking hash, and whether its signature
    verifies (the rules refuse it for its signature only after their own checks)."""

    ballot: EncryptedBallot
    tracking_hash: bytes
    signature_valid: bool


def check_cast(check: CastCheck) -> CheckedCast:
    """Decode the ballot, verify its proofs and its signature (raises ``malformed_ballot``
    or ``invalid_ballot``). Pure; run it anywhere."""
    ballot = crypto_port.parse_ballot_text(check.ballot_text, len(check.context.options))
    crypto_port.check_ballot_proofs(check.context, ballot)
    message = crypto_port.ballot_signing_message(check.context, ballot)
    return CheckedCast(
        ballot,
        crypto_port.tracking_hash_of(message, check.signature),
        crypto_port.signature_holds(check.key, message, check.signature),
    )


def check_casts(checks: Sequence[CastCheck]) -> list[CheckedCast | Refusal]:
    """:func:`check_cast` of a chunk (what a worker process runs); one outcome per ballot."""
    outcomes: list[CheckedCast | Refusal] = []
    for check in checks:
        try:
            outcomes.append(check_cast(check))
        except Refusal as refusal:
            outcomes.append(refusal)
    return outcomes


_SEAL: Final = object()


class VerifiedCast:
    """A :class:`CastBallot` whose ballot was decoded, whose proofs hold in ``context`` and
    whose signature was checked under ``public_key`` — what :func:`ballot.domain.decide`
    takes for a cast. Made only by this module (:func:`verify_cast`, :func:`verified_cast`);
    immutable."""

    __slots__ = ("ballot", "command", "context", "public_key", "signature_valid", "tracking_hash")

    command: CastBallot
    context: BallotContext
    ballot: EncryptedBallot
    public_key: bytes
    tracking_hash: bytes
    signature_valid: bool

    def __init__(
        self,
        seal: object,
        command: CastBallot,
        context: BallotContext,
        checked: CheckedCast,
        public_key: bytes,
    ) -> None:
        if seal is not _SEAL:
            raise TypeError("a VerifiedCast is made by ballot.domain.verification only")
        for name, value in (
            ("command", command),
            ("context", context),
            ("ballot", checked.ballot),
            ("public_key", bytes(public_key)),
            ("tracking_hash", checked.tracking_hash),
            ("signature_valid", checked.signature_valid),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a VerifiedCast is immutable")

    def __reduce__(self) -> str | tuple[Any, ...]:
        # A verification does not travel: whoever receives a ballot checks it again.
        raise TypeError("a VerifiedCast is not pickled; send its CastCheck instead")

    def __repr__(self) -> str:
        return (
            f"VerifiedCast({self.command.delegation_id!r}, round {self.command.round_number}, "
            f"signature {'valid' if self.signature_valid else 'invalid'})"
        )


def open_round_numbered(state: SessionState, number: int) -> RoundState:
    """Round ``number`` if it is the open round (else the refusal ``round_not_open``)."""
    current = state.current_round
    if current is None or current.number != number or current.status != "open":
        raise Refusal("round_not_open", f"round {number} is not open", round=number)
    return current


def enrolled_key(state: SessionState, delegation_id: str) -> bytes:
    """The key a member's ballots must be signed with (raises ``not_enrolled``)."""
    member = state.members.get(delegation_id)
    if member is None or member.public_key is None:
        raise Refusal("not_enrolled", f"{delegation_id} has not enrolled a key")
    return member.public_key


def round_context(state: SessionState, current: RoundState, delegation_id: str) -> BallotContext:
    """The context a delegation's ballot in ``current`` is bound to."""
    return crypto_port.ballot_context(
        state.session_id, current.number, current.election_key, delegation_id, current.options
    )


def cast_preconditions(state: SessionState, command: CastBallot) -> tuple[RoundState, bytes]:
    """The open round a cast is for and the key its signature must verify under, refused
    as the rules refuse, in their order (``round_not_open``, ``not_eligible``,
    ``not_enrolled``, …): the checks of a ballot that could not count are not run."""
    require_active(state)
    current = open_round_numbered(state, command.round_number)
    if command.delegation_id not in current.roll:
        raise Refusal(
            "not_eligible",
            f"{command.delegation_id} is not on round {current.number}'s roll",
            delegation=command.delegation_id,
        )
    return current, enrolled_key(state, command.delegation_id)


def cast_check(state: SessionState, command: CastBallot) -> tuple[CastCheck, bytes]:
    """The check of ``command`` in ``state`` and the enrolled key it verifies the signature
    under (refused as :func:`cast_preconditions` refuses, or ``malformed_ballot`` if the
    ballot is not JSON)."""
    current, key = cast_preconditions(state, command)
    check = CastCheck(
        round_context(state, current, command.delegation_id),
        crypto_port.ballot_text(command.ballot),
        crypto_port.verify_key(key),
        command.signature,
    )
    return check, key


def verified_cast(
    command: CastBallot, check: CastCheck, public_key: bytes, checked: CheckedCast
) -> VerifiedCast:
    """Seal the outcome of ``check`` — built by :func:`cast_check` from ``command``, run by
    :func:`check_casts` — as the command's verification."""
    return VerifiedCast(_SEAL, command, check.context, checked, public_key)


def verify_cast(state: SessionState, command: CastBallot) -> VerifiedCast:
    """Every check of ``command`` in ``state``, inline (raises ``round_not_open``,
    ``not_enrolled``, ``malformed_ballot`` or ``invalid_ballot``)."""
    check, key = cast_check(state, command)
    return verified_cast(command, check, key, check_cast(check))


def cast_refusals(state: SessionState, command: CastBallot) -> list[Refusal]:
    """Every check of ``command`` that fails in ``state``, in the order :func:`verify_cast`
    makes them — not only the first, which is all ``decide`` needs: the refusal of a
    precondition or of the decoding alone (nothing after it can be checked); else the
    ballot's failing proofs (one ``invalid_ballot`` naming each), then its signature
    (``invalid_signature``). ``[]``: the ballot's own checks hold.

    For a verifier's report, where the first of several is the most specific cause (a
    ballot replayed or with proofs swapped in fails its proofs *and* its signature); it
    verifies the whole ballot again, so it is for ballots already refused.
    """
    try:
        check, _ = cast_check(state, command)
        ballot = crypto_port.parse_ballot_text(check.ballot_text, len(check.context.options))
    except Refusal as refusal:
        return [refusal]
    found: list[Refusal] = []
    proofs = crypto_port.ballot_proofs_refusal(check.context, ballot)
    if proofs is not None:
        found.append(proofs)
    message = crypto_port.ballot_signing_message(check.context, ballot)
    if not crypto_port.signature_holds(check.key, message, check.signature):
        found.append(
            Refusal(
                "invalid_signature",
                "ballot signature does not verify",
                delegation=command.delegation_id,
            )
        )
    return found

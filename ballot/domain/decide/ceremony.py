"""The key ceremony's rules: each teller's signed commitment, shares, complaints and
answers, and the election key they publish (SPEC §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballot.domain import crypto_port
from ballot.domain.commands import (
    AnswerKeyComplaint,
    DealKeyShares,
    FileKeyComplaint,
    PublishElectionKey,
    SubmitKeyCommitment,
)
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    ElectionKeyPublished,
    Event,
    KeyCeremonyCommitted,
    KeyCeremonyComplaintAnswered,
    KeyCeremonyComplaintFiled,
    KeyCeremonySharesDealt,
    SignedShare,
    TellerKey,
)
from ballot.domain.guards import (
    Handlers,
    require_active,
)
from ballot.domain.state import SessionState, TellerState
from crypto.dkg import CeremonyContext
from crypto.group import Point

HANDLERS = Handlers()


def _require_ceremony_open(state: SessionState) -> None:
    require_active(state)
    if not state.tellers:
        raise Refusal("tellers_not_appointed", "appoint the tellers first")
    if state.ceremony.published:
        raise Refusal("ceremony_closed", "the election key is already published")


@dataclass(frozen=True, slots=True)
class _Sender:
    """The teller sending a ceremony message, its enrolled key and the ceremony's context."""

    teller: TellerState
    key: bytes
    ctx: CeremonyContext

    @property
    def index(self) -> int:
        return self.teller.index

    def invalid(self, message: str) -> Refusal:
        """The refusal of a message that breaks the ceremony's rules."""
        return Refusal("invalid_ceremony_message", message, teller=self.teller.teller_id)

    def check_signature(self, message: crypto_port.CeremonyMessage, signature: bytes) -> None:
        """Refuse ``invalid_signature`` unless the teller signed ``message``."""
        crypto_port.check_teller_signature(
            self.key, self.ctx, message, signature, self.teller.teller_id
        )

    def signed(self, message: crypto_port.CeremonyMessage, signature: bytes) -> dict[str, Any]:
        """The fields every signed ceremony event has — sender, index, signature — once the
        signature over ``message`` is checked."""
        self.check_signature(message, signature)
        return {"teller_id": self.teller.teller_id, "index": self.index, "signature": signature}


def _sender(state: SessionState, teller_id: str) -> _Sender:
    """The sending teller, while the ceremony is running."""
    _require_ceremony_open(state)
    teller = state.tellers.get(teller_id)
    if teller is None:
        raise Refusal("unknown_teller", f"no teller {teller_id!r}")
    if teller.public_key is None:
        raise Refusal("teller_not_enrolled", f"{teller_id} has not enrolled a key")
    return _Sender(teller, teller.public_key, ceremony_context(state))


def ceremony_context(state: SessionState) -> CeremonyContext:
    """The session's key-ceremony context: ``(session_id, n tellers, threshold k)``."""
    return crypto_port.ceremony_context(
        state.session_id, state.settings.tellers, state.settings.threshold
    )


def _all_committed(state: SessionState, what: str) -> None:
    missing = [
        t.teller_id for t in state.tellers.values() if t.index not in state.ceremony.commitments
    ]
    if missing:
        raise Refusal(
            "ceremony_out_of_order", f"{what} waits for the commitments of {', '.join(missing)}"
        )


@HANDLERS.on(SubmitKeyCommitment)
def _commit(state: SessionState, cmd: SubmitKeyCommitment) -> list[Event]:
    sender = _sender(state, cmd.teller_id)
    commitment = crypto_port.parse_commitment(cmd.commitment, cmd.teller_id)
    previous = state.ceremony.commitments.get(sender.index)
    if previous is not None:
        if previous == commitment:
            return []
        raise Refusal("duplicate_ceremony_message", f"{cmd.teller_id} has already committed")
    if commitment.index != sender.index:
        raise sender.invalid(
            f"{cmd.teller_id} is teller {sender.index}, the commitment is for {commitment.index}"
        )
    crypto_port.check_commitment(sender.ctx, commitment, cmd.teller_id)
    signed = sender.signed(commitment, cmd.signature)
    return [KeyCeremonyCommitted(commitment=cmd.commitment, **signed)]


@HANDLERS.on(DealKeyShares)
def _deal(state: SessionState, cmd: DealKeyShares) -> list[Event]:
    sender = _sender(state, cmd.teller_id)
    _all_committed(state, "dealing")
    shares = tuple(crypto_port.parse_encrypted_share(s.share, cmd.teller_id) for s in cmd.shares)
    previous = state.ceremony.dealt.get(sender.index)
    if previous is not None:
        if previous == shares:
            return []
        raise Refusal("duplicate_ceremony_message", f"{cmd.teller_id} has already dealt")
    expected = [t.index for t in state.tellers.values() if t.index != sender.index]
    if sorted(s.recipient for s in shares) != sorted(expected) or any(
        s.dealer != sender.index for s in shares
    ):
        raise sender.invalid(
            f"dealer {sender.index} must send exactly one share to each of {sorted(expected)}"
        )
    for share, signed in zip(shares, cmd.shares, strict=True):
        sender.check_signature(share, signed.signature)
    return [
        KeyCeremonySharesDealt(
            teller_id=cmd.teller_id,
            index=sender.index,
            shares=tuple(SignedShare(share=s.share, signature=s.signature) for s in cmd.shares),
        )
    ]


@HANDLERS.on(FileKeyComplaint)
def _complain(state: SessionState, cmd: FileKeyComplaint) -> list[Event]:
    sender = _sender(state, cmd.teller_id)
    _all_committed(state, "a complaint")
    complaint = crypto_port.parse_complaint(cmd.complaint, cmd.teller_id)
    if complaint.accuser != sender.index or complaint.accused not in state.ceremony.commitments:
        raise sender.invalid(
            f"teller {sender.index} can only complain in its own name about a dealer"
        )
    if complaint in state.ceremony.complaints:
        return []
    signed = sender.signed(complaint, cmd.signature)
    return [KeyCeremonyComplaintFiled(against=complaint.accused, complaint=cmd.complaint, **signed)]


@HANDLERS.on(AnswerKeyComplaint)
def _answer(state: SessionState, cmd: AnswerKeyComplaint) -> list[Event]:
    sender = _sender(state, cmd.teller_id)
    answer = crypto_port.parse_answer(cmd.answer, cmd.teller_id)
    if answer.accused != sender.index:
        raise sender.invalid(f"teller {sender.index} can only answer for itself")
    pair = (answer.accuser, answer.accused)
    if pair not in {(c.accuser, c.accused) for c in state.ceremony.complaints}:
        raise Refusal(
            "ceremony_out_of_order",
            f"teller {answer.accuser} filed no complaint against {answer.accused}",
            teller=cmd.teller_id,
        )
    if any((a.accuser, a.accused) == pair for a in state.ceremony.answers):
        if answer in state.ceremony.answers:
            return []
        raise Refusal("duplicate_ceremony_message", "this complaint is already answered")
    signed = sender.signed(answer, cmd.signature)
    return [KeyCeremonyComplaintAnswered(accuser=answer.accuser, answer=cmd.answer, **signed)]


@HANDLERS.on(PublishElectionKey)
def _publish(state: SessionState, cmd: PublishElectionKey) -> list[Event]:
    _require_ceremony_open(state)
    _all_committed(state, "publishing the key")
    key, qual, vks = ceremony_key(state)
    return [
        ElectionKeyPublished(
            election_key=key.encode(),
            qualified=qual,
            verification_keys=tuple(TellerKey(index=i, key=vk.encode()) for i, vk in vks),
        )
    ]


def ceremony_key(
    state: SessionState,
) -> tuple[Point, tuple[int, ...], tuple[tuple[int, Point], ...]]:
    """The ceremony's result from its public messages: ``(election key, QUAL, verification
    key of every teller)``. Only dealers that committed *and* dealt can qualify; complaints
    left unanswered (or answered with a share that does not match) disqualify the dealer."""
    ceremony = state.ceremony
    dealers = {i: c for i, c in ceremony.commitments.items() if i in ceremony.dealt}
    return crypto_port.ceremony_result(
        ceremony_context(state), dealers, ceremony.complaints, ceremony.answers
    )


# -- rounds ------------------------------------------------------------------------------------

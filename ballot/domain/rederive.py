"""Re-derive every decision of a log: the domain's half of the offline audit.

A log holds two kinds of events. *Recorded acts* are what someone asked for, such as a
ballot cast, a round opened or a share submitted. *Decisions* are what the rules concluded,
such as ``RoundTallied``, ``CandidateEliminated``, ``LotsDrawn``, ``CandidateElected`` by
ballot, ``ConfirmationFailed`` and ``RoundVoided`` for too few ballots.

:func:`rederive` walks the log from the start. For each recorded act it rebuilds the command
that produced it (:func:`command_for`). It then runs the same checks the server ran:
:func:`verify_cast_proofs` for ballots, then :func:`decide` on the state replayed so far. The
events ``decide`` returns must be exactly the next events of the log: the act itself and every
decision that follows it. Any difference raises :class:`DecisionMismatch`, with the position.
"""

from __future__ import annotations

from collections.abc import Sequence

from ballot.domain.commands import (
    AcceptCredentials,
    AdjournSession,
    AnswerKeyComplaint,
    AppointTellers,
    CastBallot,
    ChangeVotingRights,
    CloseRound,
    Command,
    ConveneSession,
    DealKeyShares,
    DeclareElectedByAcclamation,
    EnrollDelegation,
    FileKeyComplaint,
    NominateCandidate,
    OpenRound,
    PublishElectionKey,
    RecordCheckpoint,
    RecordPresence,
    RegisterMemberState,
    SignedShareIn,
    SubmitDecryptionShare,
    SubmitKeyCommitment,
    TellerAppointment,
    VoidRound,
    WithdrawCandidate,
)
from ballot.domain.decide import decide, verify_cast_proofs
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    BallotCast,
    CandidateElected,
    CandidateNominated,
    CandidateWithdrawn,
    CheckpointSigned,
    CredentialsAccepted,
    DecryptionShareSubmitted,
    DelegationEnrolled,
    ElectionKeyPublished,
    Event,
    KeyCeremonyCommitted,
    KeyCeremonyComplaintAnswered,
    KeyCeremonyComplaintFiled,
    KeyCeremonySharesDealt,
    MemberStateRegistered,
    PresenceRecorded,
    RoundClosed,
    RoundOpened,
    RoundVoided,
    SessionAdjourned,
    SessionConvened,
    TellersAppointed,
    VotingRightsChanged,
)
from ballot.domain.evolve import evolve
from ballot.domain.state import SessionState, initial_state


class DecisionMismatch(ValueError):
    """The log does not follow from the rules at ``position`` (1-based)."""

    code = "decision_mismatch"

    def __init__(self, position: int, message: str) -> None:
        super().__init__(f"position {position}: {message}")
        self.position = position


def command_for(state: SessionState, event: Event) -> Command | None:
    """The command that produced ``event`` as its first event, or ``None`` for a decision
    (an event that only ever follows another one in the same ``decide`` call)."""
    match event:
        case SessionConvened():
            return ConveneSession(
                session_id=event.session_id,
                title=event.title,
                convened_at=event.convened_at,
                settings=event.settings,
                checkpoint_key=event.checkpoint_key,
            )
        case MemberStateRegistered():
            return RegisterMemberState(
                member_id=event.member_id, name=event.name, observer=event.observer
            )
        case CandidateNominated():
            return NominateCandidate(
                candidate_id=event.candidate_id, name=event.name, nominated_by=event.nominated_by
            )
        case CredentialsAccepted():
            return AcceptCredentials(
                member_id=event.member_id,
                enrollment_code_digest=event.enrollment_code_digest,
                accepted_at=event.accepted_at,
            )
        case DelegationEnrolled():
            # The code itself never reaches the log; the digest presented is the one on
            # record (a mismatch would have been refused), so the expiry and single-use
            # checks are what is re-derived here.
            holder = state.members.get(event.delegation_id) or state.tellers.get(
                event.delegation_id
            )
            digest = None if holder is None else holder.code_digest
            return EnrollDelegation(
                delegation_id=event.delegation_id,
                enrollment_code_digest=digest if digest is not None else bytes(32),
                public_key=event.public_key,
                enrolled_at=event.enrolled_at,
            )
        case PresenceRecorded():
            return RecordPresence(member_id=event.member_id, present=event.present)
        case VotingRightsChanged():
            return ChangeVotingRights(
                member_id=event.member_id,
                arrears=event.arrears,
                restored=event.restored,
                suspended=event.suspended,
                reason=event.reason,
            )
        case TellersAppointed():
            return AppointTellers(
                tellers=tuple(
                    TellerAppointment(
                        teller_id=t.teller_id,
                        name=t.name,
                        enrollment_code_digest=t.enrollment_code_digest,
                    )
                    for t in event.tellers
                ),
                appointed_at=event.appointed_at,
            )
        case KeyCeremonyCommitted():
            return SubmitKeyCommitment(
                teller_id=event.teller_id, commitment=event.commitment, signature=event.signature
            )
        case KeyCeremonySharesDealt():
            return DealKeyShares(
                teller_id=event.teller_id,
                shares=tuple(
                    SignedShareIn(share=s.share, signature=s.signature) for s in event.shares
                ),
            )
        case KeyCeremonyComplaintFiled():
            return FileKeyComplaint(
                teller_id=event.teller_id, complaint=event.complaint, signature=event.signature
            )
        case KeyCeremonyComplaintAnswered():
            return AnswerKeyComplaint(
                teller_id=event.teller_id, answer=event.answer, signature=event.signature
            )
        case ElectionKeyPublished():
            return PublishElectionKey()
        case RoundOpened():
            return OpenRound(
                round_number=event.round_number,
                opened_at=event.opened_at,
                lots_commitment=event.lots_commitment,
            )
        case BallotCast():
            return CastBallot(
                delegation_id=event.delegation_id,
                round_number=event.round_number,
                ballot=event.ballot,
                signature=event.signature,
            )
        case RoundClosed():
            return CloseRound(
                round_number=event.round_number,
                closed_at=event.closed_at,
                lots_seed=event.lots_seed,
            )
        case DecryptionShareSubmitted():
            return SubmitDecryptionShare(
                teller_id=event.teller_id, round_number=event.round_number, share=event.share
            )
        case RoundVoided() if event.reason == "declared":
            return VoidRound(round_number=event.round_number, note=event.note)
        case CandidateWithdrawn():
            return WithdrawCandidate(candidate_id=event.candidate_id, reason=event.reason)
        case CandidateElected() if event.by == "acclamation":
            return DeclareElectedByAcclamation(candidate_id=event.candidate_id)
        case CheckpointSigned():
            return RecordCheckpoint(
                position=event.position,
                head_hash=event.head_hash,
                log_root=event.log_root,
                signature=event.signature,
            )
        case SessionAdjourned():
            return AdjournSession(adjourned_at=event.adjourned_at, reason=event.reason)
        case _:
            return None


def rederive(events: Sequence[Event]) -> SessionState:
    """Check that every event of ``events`` follows from the rules; return the final state.

    Raises :class:`DecisionMismatch` at the first event that the rules would not have
    produced (a refused act, a decision that differs or is missing, an extra event).
    """
    state = initial_state()
    position = 0
    while position < len(events):
        event = events[position]
        command = command_for(state, event)
        if command is None:
            raise DecisionMismatch(
                position + 1, f"{event.event_type} is a decision no recorded act led to"
            )
        try:
            if isinstance(command, CastBallot):
                verify_cast_proofs(state, command)
            produced = decide(state, command)
        except Refusal as refusal:
            raise DecisionMismatch(
                position + 1, f"{event.event_type} would have been refused: {refusal}"
            ) from None
        recorded = list(events[position : position + len(produced)])
        if not produced or recorded != produced:
            got = [e.event_type for e in recorded]
            want = [e.event_type for e in produced]
            raise DecisionMismatch(
                position + 1,
                f"the log has {got}, the rules give {want}"
                if got != want
                else f"{event.event_type}: the log's content differs from the rules'",
            )
        for recorded_event in produced:
            state = evolve(state, recorded_event)
        position += len(produced)
    return state

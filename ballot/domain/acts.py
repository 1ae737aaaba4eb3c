"""The command behind each recorded act: what someone asked for, rebuilt from the event it
produced, so that :mod:`ballot.domain.rederive` can run the rules on it again.
"""

from __future__ import annotations

from ballot.domain.commands import (
    AcceptCredentials,
    AdjournSession,
    AdmitWitness,
    AnswerKeyComplaint,
    AppointTellers,
    CastBallot,
    ChallengeBallot,
    ChangeVotingRights,
    CloseRound,
    Command,
    ConveneSession,
    CosignCheckpoint,
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
from ballot.domain.events import (
    BallotCast,
    BallotChallenged,
    CandidateElected,
    CandidateNominated,
    CandidateWithdrawn,
    CheckpointCosigned,
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
    WitnessAdmitted,
)
from ballot.domain.state import SessionState


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
            # Built unvalidated: every field is the validated event's (a ballot's JSON is
            # ~40 strings, and re-checking it for every ballot of a log is measurable).
            return CastBallot.model_construct(
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
        case BallotChallenged():
            return ChallengeBallot(
                delegation_id=event.delegation_id,
                round_number=event.round_number,
                ballot=event.ballot,
                signature=event.signature,
                reveal=event.reveal,
            )
        case WitnessAdmitted():
            return AdmitWitness(
                witness_id=event.witness_id, name=event.name, public_key=event.public_key
            )
        case CheckpointCosigned():
            return CosignCheckpoint(
                witness_id=event.witness_id, position=event.position, signature=event.signature
            )
        case SessionAdjourned():
            return AdjournSession(adjourned_at=event.adjourned_at, reason=event.reason)
        case _:
            return None

"""The roll and its credentials: convening, member states, candidates, credentials,
enrollment, presence, voting rights and the tellers' appointment.
"""

from __future__ import annotations

from datetime import timedelta

from ballot.domain import crypto_port
from ballot.domain.commands import (
    AcceptCredentials,
    AppointTellers,
    ChangeVotingRights,
    ConveneSession,
    EnrollDelegation,
    NominateCandidate,
    RecordPresence,
    RegisterMemberState,
)
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    AppointedTeller,
    CandidateNominated,
    CredentialsAccepted,
    DelegationEnrolled,
    Event,
    MemberStateRegistered,
    PresenceRecorded,
    Role,
    SessionConvened,
    TellersAppointed,
    VotingRightsChanged,
)
from ballot.domain.guards import (
    Handlers,
    require_active,
    require_between_rounds,
    require_new_id,
    same_digest,
)
from ballot.domain.state import SessionState

HANDLERS = Handlers()


@HANDLERS.on(ConveneSession)
def _convene(state: SessionState, cmd: ConveneSession) -> list[Event]:
    if state.phase != "new":
        raise Refusal("session_already_convened", f"session {state.session_id} is convened")
    if cmd.checkpoint_key is not None:
        crypto_port.verify_key(cmd.checkpoint_key, "checkpoint key")
    return [
        SessionConvened(
            session_id=cmd.session_id,
            title=cmd.title,
            convened_at=cmd.convened_at,
            settings=cmd.settings,
            checkpoint_key=cmd.checkpoint_key,
        )
    ]


@HANDLERS.on(RegisterMemberState)
def _register(state: SessionState, cmd: RegisterMemberState) -> list[Event]:
    require_active(state)
    require_new_id(state, cmd.member_id)
    return [MemberStateRegistered(member_id=cmd.member_id, name=cmd.name, observer=cmd.observer)]


@HANDLERS.on(NominateCandidate)
def _nominate(state: SessionState, cmd: NominateCandidate) -> list[Event]:
    require_active(state)
    require_between_rounds(state, "a nomination")
    if not state.nominations_open:
        raise Refusal("nominations_closed", "nominations closed when the first round opened")
    require_new_id(state, cmd.candidate_id)
    if cmd.nominated_by is not None and cmd.nominated_by not in state.members:
        raise Refusal("unknown_member", f"no member state {cmd.nominated_by!r}")
    return [
        CandidateNominated(
            candidate_id=cmd.candidate_id, name=cmd.name, nominated_by=cmd.nominated_by
        )
    ]


@HANDLERS.on(AcceptCredentials)
def _accept_credentials(state: SessionState, cmd: AcceptCredentials) -> list[Event]:
    require_active(state)
    if cmd.member_id not in state.members:
        raise Refusal("unknown_member", f"no member state {cmd.member_id!r}")
    lifetime = timedelta(seconds=state.settings.enrollment_code_lifetime_seconds)
    return [
        CredentialsAccepted(
            member_id=cmd.member_id,
            enrollment_code_digest=cmd.enrollment_code_digest,
            accepted_at=cmd.accepted_at,
            expires_at=cmd.accepted_at + lifetime,
        )
    ]


@HANDLERS.on(EnrollDelegation)
def _enroll(state: SessionState, cmd: EnrollDelegation) -> list[Event]:
    require_active(state)
    member = state.members.get(cmd.delegation_id)
    teller = state.tellers.get(cmd.delegation_id)
    if member is not None:
        if not member.credentials_accepted:
            raise Refusal("credentials_not_accepted", f"no code issued to {cmd.delegation_id}")
        digest, expires, used, key = (
            member.code_digest,
            member.code_expires_at,
            member.code_used,
            member.public_key,
        )
        role: Role = "member"
    elif teller is not None:
        digest, expires, used, key = (
            teller.code_digest,
            teller.code_expires_at,
            teller.code_used,
            teller.public_key,
        )
        role = "teller"
    else:
        raise Refusal("unknown_delegation", f"no delegation or teller {cmd.delegation_id!r}")
    if not same_digest(digest, cmd.enrollment_code_digest):
        raise Refusal("enrollment_code_invalid", "the enrollment code does not match")
    if used:
        if key == cmd.public_key:
            return []  # the same enrollment re-sent: it already happened
        raise Refusal("enrollment_code_used", "this enrollment code has already been redeemed")
    if expires is None or cmd.enrolled_at > expires:
        raise Refusal("enrollment_code_expired", "the enrollment code has expired")
    crypto_port.verify_key(cmd.public_key)
    return [
        DelegationEnrolled(
            delegation_id=cmd.delegation_id,
            role=role,
            public_key=cmd.public_key,
            enrolled_at=cmd.enrolled_at,
        )
    ]


@HANDLERS.on(RecordPresence)
def _presence(state: SessionState, cmd: RecordPresence) -> list[Event]:
    require_active(state)
    member = state.members.get(cmd.member_id)
    if member is None:
        raise Refusal("unknown_member", f"no member state {cmd.member_id!r}")
    if member.present == cmd.present:
        return []
    return [PresenceRecorded(member_id=cmd.member_id, present=cmd.present)]


@HANDLERS.on(ChangeVotingRights)
def _voting_rights(state: SessionState, cmd: ChangeVotingRights) -> list[Event]:
    require_active(state)
    member = state.members.get(cmd.member_id)
    if member is None:
        raise Refusal("unknown_member", f"no member state {cmd.member_id!r}")
    if member.observer:
        raise Refusal("observer_has_no_vote", f"{cmd.member_id} is an observer")
    if cmd.restored and not cmd.arrears:
        raise Refusal("invalid_voting_rights", "only a vote lost for arrears can be restored")
    if (member.arrears, member.restored, member.suspended) == (
        cmd.arrears,
        cmd.restored,
        cmd.suspended,
    ):
        return []
    return [
        VotingRightsChanged(
            member_id=cmd.member_id,
            arrears=cmd.arrears,
            restored=cmd.restored,
            suspended=cmd.suspended,
            reason=cmd.reason,
        )
    ]


@HANDLERS.on(AppointTellers)
def _appoint(state: SessionState, cmd: AppointTellers) -> list[Event]:
    require_active(state)
    if state.tellers:
        raise Refusal("tellers_already_appointed", "the tellers are already appointed")
    n = state.settings.tellers
    if len(cmd.tellers) != n:
        raise Refusal("wrong_teller_count", f"the session has {n} tellers, not {len(cmd.tellers)}")
    ids = [t.teller_id for t in cmd.tellers]
    if len(set(ids)) != len(ids):
        raise Refusal("duplicate_id", "teller ids must be distinct")
    for teller_id in ids:
        require_new_id(state, teller_id)
    expires = cmd.appointed_at + timedelta(seconds=state.settings.enrollment_code_lifetime_seconds)
    return [
        TellersAppointed(
            tellers=tuple(
                AppointedTeller(
                    teller_id=t.teller_id,
                    index=i,
                    name=t.name,
                    enrollment_code_digest=t.enrollment_code_digest,
                    expires_at=expires,
                )
                for i, t in enumerate(cmd.tellers, start=1)
            ),
            threshold=state.settings.threshold,
            appointed_at=cmd.appointed_at,
        )
    ]

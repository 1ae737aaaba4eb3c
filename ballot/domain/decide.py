"""``decide(state, command) -> events``: every rule applied to every command, in one place.

``decide`` either returns the events that record what happened (possibly none, for an
idempotent re-send) or raises a :class:`~ballot.domain.errors.Refusal`; it never changes
anything itself. The expensive zero-knowledge check of a cast ballot is separate
(:func:`verify_cast_proofs`) so the API can run it in a process pool first; the auditor calls
both.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from ballot.domain import crypto_port
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
    SubmitDecryptionShare,
    SubmitKeyCommitment,
    VoidRound,
    WithdrawCandidate,
)
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    AppointedTeller,
    BallotCast,
    CandidateElected,
    CandidateEliminated,
    CandidateNominated,
    CandidateWithdrawn,
    CheckpointSigned,
    CiphertextPair,
    ConfirmationFailed,
    CredentialsAccepted,
    DecryptionShareSubmitted,
    DelegationEnrolled,
    ElectionKeyPublished,
    Event,
    KeyCeremonyCommitted,
    KeyCeremonyComplaintAnswered,
    KeyCeremonyComplaintFiled,
    KeyCeremonySharesDealt,
    LotsDrawn,
    MemberStateRegistered,
    PresenceRecorded,
    Role,
    RoundClosed,
    RoundOpened,
    RoundTallied,
    RoundVoided,
    SessionAdjourned,
    SessionConvened,
    SignedShare,
    TellerKey,
    TellersAppointed,
    VotingRightsChanged,
)
from ballot.domain.rules import (
    RoundKind,
    RoundOutcome,
    electoral_roll,
    elimination_due,
    has_quorum,
    lots_commitment,
    options_for,
    quorum_figures,
    round_outcome,
)
from ballot.domain.state import RoundState, SessionState, TellerState
from ballot.domain.values import NO, YES
from crypto.ballot import BallotContext, EncryptedBallot
from crypto.dkg import CeremonyContext
from crypto.group import Point

C = TypeVar("C", bound=Command)

# -- shared guards ---------------------------------------------------------------------------


def _require_active(state: SessionState) -> None:
    """Convened, not concluded: the only phase in which anything but reading happens."""
    if state.phase == "new":
        raise Refusal("session_not_convened", "convene the session first")
    if state.phase == "elected":
        assert state.elected is not None
        raise Refusal(
            "already_elected",
            f"{state.elected.candidate_id} has been elected; nothing more "
            "can happen in this session",
        )
    if state.phase == "adjourned":
        raise Refusal("session_adjourned", "the session is adjourned")


def _require_between_rounds(state: SessionState, what: str) -> None:
    current = state.round_in_progress
    if current is not None:
        raise Refusal(
            "round_in_progress", f"round {current.number} is {current.status}; {what} must wait"
        )


def _require_new_id(state: SessionState, new_id: str) -> None:
    if new_id in state.ids_in_use():
        raise Refusal("duplicate_id", f"{new_id!r} is already used in this session", id=new_id)


def _same_digest(a: bytes | None, b: bytes) -> bool:
    return a is not None and hmac.compare_digest(a, b)


# -- the next round --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundPlan:
    """What the next round will be, from the state alone (see :func:`next_round_plan`)."""

    round_number: int
    kind: RoundKind
    options: tuple[str, ...]
    candidate: str | None
    inconclusive_before: int
    needs_lots_commitment: bool


def inconclusive_election_rounds(state: SessionState) -> int:
    """Tallied, inconclusive election rounds of the current series (what elimination counts;
    tie-break, confirmation and voided rounds do not count)."""
    return sum(
        1
        for r in state.rounds
        if r.series == state.series
        and r.kind == "election"
        and r.status == "tallied"
        and r.outcome is not None
        and r.outcome.decision != "elected"
    )


def next_round_plan(state: SessionState) -> RoundPlan:
    """The kind and options of the next round, or the refusal that explains why there is none.

    * a pending tie for fewest → a tie-break ballot among the tied (+ blank);
    * no candidate standing → ``no_candidates``;
    * one candidate standing → a confirmation ballot (yes / no / blank) if the settings say so,
      else ``sole_candidate`` (record acclamation instead);
    * otherwise an election round among the candidates standing (+ blank).

    A voided round is re-run simply by opening the next round: the state it leaves behind is
    the one it started from, so the plan — options included — is the same.
    """
    number = len(state.rounds) + 1
    before = inconclusive_election_rounds(state)
    standing = state.standing()
    kind: RoundKind
    candidate: str | None = None
    if state.pending_tiebreak:
        kind, pool = "tiebreak", state.pending_tiebreak
    elif not standing:
        raise Refusal("no_candidates", "no candidate is standing; nominate candidates first")
    elif len(standing) == 1:
        if state.settings.sole_candidate == "acclamation":
            raise Refusal(
                "sole_candidate",
                f"{standing[0]} is the only candidate standing: record election by acclamation",
            )
        kind, pool, candidate = "confirmation", standing, standing[0]
    else:
        kind, pool = "election", standing
    needs_lots = (
        kind == "election"
        and state.settings.tie_break == "lots"
        and elimination_due(before + 1, state.settings.eliminate_after)
    )
    return RoundPlan(number, kind, options_for(kind, pool), candidate, before, needs_lots)


# -- handlers ----------------------------------------------------------------------------------

_HANDLERS: dict[type[Command], Callable[[SessionState, Any], list[Event]]] = {}


def _handles(
    cls: type[C],
) -> Callable[[Callable[[SessionState, C], list[Event]]], Callable[[SessionState, C], list[Event]]]:
    def register(
        fn: Callable[[SessionState, C], list[Event]],
    ) -> Callable[[SessionState, C], list[Event]]:
        _HANDLERS[cls] = fn
        return fn

    return register


@_handles(ConveneSession)
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


@_handles(RegisterMemberState)
def _register(state: SessionState, cmd: RegisterMemberState) -> list[Event]:
    _require_active(state)
    _require_new_id(state, cmd.member_id)
    return [MemberStateRegistered(member_id=cmd.member_id, name=cmd.name, observer=cmd.observer)]


@_handles(NominateCandidate)
def _nominate(state: SessionState, cmd: NominateCandidate) -> list[Event]:
    _require_active(state)
    _require_between_rounds(state, "a nomination")
    if not state.nominations_open:
        raise Refusal("nominations_closed", "nominations closed when the first round opened")
    _require_new_id(state, cmd.candidate_id)
    if cmd.nominated_by is not None and cmd.nominated_by not in state.members:
        raise Refusal("unknown_member", f"no member state {cmd.nominated_by!r}")
    return [
        CandidateNominated(
            candidate_id=cmd.candidate_id, name=cmd.name, nominated_by=cmd.nominated_by
        )
    ]


@_handles(AcceptCredentials)
def _accept_credentials(state: SessionState, cmd: AcceptCredentials) -> list[Event]:
    _require_active(state)
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


@_handles(EnrollDelegation)
def _enroll(state: SessionState, cmd: EnrollDelegation) -> list[Event]:
    _require_active(state)
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
    if not _same_digest(digest, cmd.enrollment_code_digest):
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


@_handles(RecordPresence)
def _presence(state: SessionState, cmd: RecordPresence) -> list[Event]:
    _require_active(state)
    member = state.members.get(cmd.member_id)
    if member is None:
        raise Refusal("unknown_member", f"no member state {cmd.member_id!r}")
    if member.present == cmd.present:
        return []
    return [PresenceRecorded(member_id=cmd.member_id, present=cmd.present)]


@_handles(ChangeVotingRights)
def _voting_rights(state: SessionState, cmd: ChangeVotingRights) -> list[Event]:
    _require_active(state)
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


@_handles(AppointTellers)
def _appoint(state: SessionState, cmd: AppointTellers) -> list[Event]:
    _require_active(state)
    if state.tellers:
        raise Refusal("tellers_already_appointed", "the tellers are already appointed")
    n = state.settings.tellers
    if len(cmd.tellers) != n:
        raise Refusal("wrong_teller_count", f"the session has {n} tellers, not {len(cmd.tellers)}")
    ids = [t.teller_id for t in cmd.tellers]
    if len(set(ids)) != len(ids):
        raise Refusal("duplicate_id", "teller ids must be distinct")
    for teller_id in ids:
        _require_new_id(state, teller_id)
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


# -- key ceremony ------------------------------------------------------------------------------


def _ceremony_teller(state: SessionState, teller_id: str) -> tuple[TellerState, bytes]:
    """The sending teller and its enrolled key, while the ceremony is running."""
    _require_active(state)
    if not state.tellers:
        raise Refusal("tellers_not_appointed", "appoint the tellers first")
    if state.ceremony.published:
        raise Refusal("ceremony_closed", "the election key is already published")
    teller = state.tellers.get(teller_id)
    if teller is None:
        raise Refusal("unknown_teller", f"no teller {teller_id!r}")
    if teller.public_key is None:
        raise Refusal("teller_not_enrolled", f"{teller_id} has not enrolled a key")
    return teller, teller.public_key


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


@_handles(SubmitKeyCommitment)
def _commit(state: SessionState, cmd: SubmitKeyCommitment) -> list[Event]:
    teller, key = _ceremony_teller(state, cmd.teller_id)
    ctx = ceremony_context(state)
    commitment = crypto_port.parse_commitment(cmd.commitment, cmd.teller_id)
    previous = state.ceremony.commitments.get(teller.index)
    if previous is not None:
        if previous == commitment:
            return []
        raise Refusal("duplicate_ceremony_message", f"{cmd.teller_id} has already committed")
    if commitment.index != teller.index:
        raise Refusal(
            "invalid_ceremony_message",
            f"{cmd.teller_id} is teller {teller.index}, the commitment is for {commitment.index}",
            teller=cmd.teller_id,
        )
    crypto_port.check_commitment(ctx, commitment, cmd.teller_id)
    crypto_port.check_teller_signature(key, ctx, commitment, cmd.signature, cmd.teller_id)
    return [
        KeyCeremonyCommitted(
            teller_id=cmd.teller_id,
            index=teller.index,
            commitment=cmd.commitment,
            signature=cmd.signature,
        )
    ]


@_handles(DealKeyShares)
def _deal(state: SessionState, cmd: DealKeyShares) -> list[Event]:
    teller, key = _ceremony_teller(state, cmd.teller_id)
    _all_committed(state, "dealing")
    ctx = ceremony_context(state)
    shares = tuple(crypto_port.parse_encrypted_share(s.share, cmd.teller_id) for s in cmd.shares)
    previous = state.ceremony.dealt.get(teller.index)
    if previous is not None:
        if previous == shares:
            return []
        raise Refusal("duplicate_ceremony_message", f"{cmd.teller_id} has already dealt")
    expected = [t.index for t in state.tellers.values() if t.index != teller.index]
    if sorted(s.recipient for s in shares) != sorted(expected) or any(
        s.dealer != teller.index for s in shares
    ):
        raise Refusal(
            "invalid_ceremony_message",
            f"dealer {teller.index} must send exactly one share to each of {sorted(expected)}",
            teller=cmd.teller_id,
        )
    for share, signed in zip(shares, cmd.shares, strict=True):
        crypto_port.check_teller_signature(key, ctx, share, signed.signature, cmd.teller_id)
    return [
        KeyCeremonySharesDealt(
            teller_id=cmd.teller_id,
            index=teller.index,
            shares=tuple(SignedShare(share=s.share, signature=s.signature) for s in cmd.shares),
        )
    ]


@_handles(FileKeyComplaint)
def _complain(state: SessionState, cmd: FileKeyComplaint) -> list[Event]:
    teller, key = _ceremony_teller(state, cmd.teller_id)
    _all_committed(state, "a complaint")
    ctx = ceremony_context(state)
    complaint = crypto_port.parse_complaint(cmd.complaint, cmd.teller_id)
    if complaint.accuser != teller.index or complaint.accused not in state.ceremony.commitments:
        raise Refusal(
            "invalid_ceremony_message",
            f"teller {teller.index} can only complain in its own name about a dealer",
            teller=cmd.teller_id,
        )
    if complaint in state.ceremony.complaints:
        return []
    crypto_port.check_teller_signature(key, ctx, complaint, cmd.signature, cmd.teller_id)
    return [
        KeyCeremonyComplaintFiled(
            teller_id=cmd.teller_id,
            index=teller.index,
            against=complaint.accused,
            complaint=cmd.complaint,
            signature=cmd.signature,
        )
    ]


@_handles(AnswerKeyComplaint)
def _answer(state: SessionState, cmd: AnswerKeyComplaint) -> list[Event]:
    teller, key = _ceremony_teller(state, cmd.teller_id)
    ctx = ceremony_context(state)
    answer = crypto_port.parse_answer(cmd.answer, cmd.teller_id)
    if answer.accused != teller.index:
        raise Refusal(
            "invalid_ceremony_message",
            f"teller {teller.index} can only answer for itself",
            teller=cmd.teller_id,
        )
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
    crypto_port.check_teller_signature(key, ctx, answer, cmd.signature, cmd.teller_id)
    return [
        KeyCeremonyComplaintAnswered(
            teller_id=cmd.teller_id,
            index=teller.index,
            accuser=answer.accuser,
            answer=cmd.answer,
            signature=cmd.signature,
        )
    ]


@_handles(PublishElectionKey)
def _publish(state: SessionState, cmd: PublishElectionKey) -> list[Event]:
    _require_active(state)
    if not state.tellers:
        raise Refusal("tellers_not_appointed", "appoint the tellers first")
    if state.ceremony.published:
        raise Refusal("ceremony_closed", "the election key is already published")
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


@_handles(OpenRound)
def _open_round(state: SessionState, cmd: OpenRound) -> list[Event]:
    _require_active(state)
    election_key = state.ceremony.election_key
    if election_key is None:
        raise Refusal("election_key_missing", "the key ceremony has not published a key")
    _require_between_rounds(state, "the next round")
    expected = len(state.rounds) + 1
    if cmd.round_number != expected:
        raise Refusal(
            "wrong_round_number",
            f"the next round is {expected}, not {cmd.round_number}",
            expected=expected,
        )
    plan = next_round_plan(state)
    statuses = {mid: m.status for mid, m in state.members.items()}
    present, base = quorum_figures(statuses, state.settings.quorum_base)
    if not has_quorum(present, base):
        raise Refusal(
            "no_quorum",
            f"{present} present of {base} ({state.settings.quorum_base}); "
            f"more than {base // 2} needed",
            present=present,
            base=base,
        )
    if plan.needs_lots_commitment and cmd.lots_commitment is None:
        raise Refusal(
            "lots_commitment_required",
            f"round {plan.round_number} may end in a drawing of lots: commit to a seed",
        )
    return [
        RoundOpened(
            round_number=plan.round_number,
            kind=plan.kind,
            options=plan.options,
            candidate=plan.candidate,
            roll=electoral_roll(statuses),
            present=present,
            quorum_base=base,
            election_key=election_key.encode(),
            lots_commitment=cmd.lots_commitment,
            opened_at=cmd.opened_at,
        )
    ]


def enrolled_key(state: SessionState, delegation_id: str) -> bytes:
    """The key a member's ballots must be signed with (raises ``not_enrolled``)."""
    member = state.members.get(delegation_id)
    if member is None or member.public_key is None:
        raise Refusal("not_enrolled", f"{delegation_id} has not enrolled a key")
    return member.public_key


def _open_round_numbered(state: SessionState, number: int) -> RoundState:
    current = state.current_round
    if current is None or current.number != number or current.status != "open":
        raise Refusal("round_not_open", f"round {number} is not open", round=number)
    return current


@_handles(CastBallot)
def _cast(state: SessionState, cmd: CastBallot) -> list[Event]:
    _require_active(state)
    current = _open_round_numbered(state, cmd.round_number)
    if cmd.delegation_id not in current.roll:
        raise Refusal(
            "not_eligible",
            f"{cmd.delegation_id} is not on round {current.number}'s roll",
            delegation=cmd.delegation_id,
        )
    public_key = enrolled_key(state, cmd.delegation_id)
    ctx = crypto_port.ballot_context(
        state.session_id,
        current.number,
        current.election_key,
        cmd.delegation_id,
        current.options,
    )
    ballot = crypto_port.parse_ballot(cmd.ballot, len(current.options))
    digest, code = crypto_port.tracking(ctx, ballot, cmd.signature)
    previous = current.voters.get(cmd.delegation_id)
    if previous is not None:
        if hmac.compare_digest(previous, digest):
            return []  # the identical signed ballot re-sent: already deposited
        raise Refusal(
            "already_voted",
            f"{cmd.delegation_id} has already voted in round {current.number}",
            delegation=cmd.delegation_id,
        )
    crypto_port.check_ballot_signature(public_key, ctx, ballot, cmd.signature)
    cast = BallotCast(
        round_number=current.number,
        delegation_id=cmd.delegation_id,
        ballot=cmd.ballot,
        signature=cmd.signature,
        tracking_code=code,
    )
    crypto_port.remember_decoded(cast.ballot, ballot)  # evolve decodes the event's copy
    return [cast]


@dataclass(frozen=True, slots=True)
class CastProofJob:
    """Everything the proof check of one cast ballot needs, and nothing more: small and
    picklable, for a process pool."""

    context: BallotContext
    #: The ballot as cast (JSON), or as the process that made the job already decoded and
    #: validated it — then the worker checks the proofs without decoding every point again.
    ballot: Mapping[str, Any] | EncryptedBallot


def cast_proof_job(state: SessionState, command: CastBallot) -> CastProofJob:
    """The proof-check job for ``command`` in ``state`` (raises ``round_not_open``)."""
    current = _open_round_numbered(state, command.round_number)
    ctx = crypto_port.ballot_context(
        state.session_id,
        current.number,
        current.election_key,
        command.delegation_id,
        current.options,
    )
    return CastProofJob(ctx, command.ballot)


def check_cast_proof_job(job: CastProofJob) -> EncryptedBallot:
    """Decode the ballot and verify its zero-knowledge proofs in the job's context (raises
    ``malformed_ballot`` or ``invalid_ballot``); return the decoded ballot, which the caller
    may hand to :func:`crypto_port.remember_decoded`. Pure; run it anywhere."""
    ballot = job.ballot
    if not isinstance(ballot, EncryptedBallot):
        ballot = crypto_port.parse_ballot(ballot, len(job.context.options))
    crypto_port.check_ballot_proofs(job.context, ballot)
    return ballot


def verify_cast_proofs(state: SessionState, command: CastBallot) -> None:
    """The expensive check of a cast ballot: its zero-knowledge proofs in the round's context
    (session, round, election key, this delegation, the round's options).

    Pure; run it before :func:`decide` (the auditor does so for every ``BallotCast``). The
    API may instead build :func:`cast_proof_job` in its event loop and run
    :func:`check_cast_proof_job` in a process pool. Raises ``round_not_open``,
    ``malformed_ballot`` or ``invalid_ballot``.
    """
    check_cast_proof_job(cast_proof_job(state, command))


@_handles(CloseRound)
def _close(state: SessionState, cmd: CloseRound) -> list[Event]:
    _require_active(state)
    current = _open_round_numbered(state, cmd.round_number)
    if current.lots_commitment is not None:
        if cmd.lots_seed is None:
            raise Refusal("lots_seed_required", "reveal the seed committed at the opening")
        expected = lots_commitment(state.session_id, current.number, cmd.lots_seed)
        if not hmac.compare_digest(expected, current.lots_commitment):
            raise Refusal("lots_seed_mismatch", "the seed does not match the commitment")
    elif cmd.lots_seed is not None:
        raise Refusal("lots_seed_unexpected", f"round {current.number} committed to no seed")
    events: list[Event] = [
        RoundClosed(
            round_number=current.number,
            ballot_count=current.ballot_count,
            ballots_root=crypto_port.merkle_root(current.ballot_count, current.merkle_peaks),
            aggregate=tuple(
                CiphertextPair(alpha=a, beta=b)
                for a, b in crypto_port.aggregate_to_pairs(current.aggregate.value())
            ),
            lots_seed=cmd.lots_seed,
            closed_at=cmd.closed_at,
        )
    ]
    if current.ballot_count < state.settings.min_tally:
        # The tellers must not decrypt: so few ballots could expose how someone voted.
        events.append(
            RoundVoided(
                round_number=current.number,
                reason="below_min_tally",
                note=f"{current.ballot_count} ballots, fewer than {state.settings.min_tally}",
            )
        )
    return events


@_handles(VoidRound)
def _void(state: SessionState, cmd: VoidRound) -> list[Event]:
    _require_active(state)
    current = state.round_in_progress
    if current is None or current.number != cmd.round_number:
        raise Refusal(
            "round_not_voidable", f"round {cmd.round_number} is not open or awaiting its tally"
        )
    return [RoundVoided(round_number=current.number, reason="declared", note=cmd.note)]


def _decision_events(
    current: RoundState, outcome: RoundOutcome, counts: tuple[int, ...]
) -> list[Event]:
    """The events that follow a tallied round's decision (after ``RoundTallied``)."""
    votes = dict(zip(current.options, counts, strict=True))
    n = current.number
    if outcome.decision == "elected":
        assert outcome.elected is not None
        won = votes[YES] if current.kind == "confirmation" else votes[outcome.elected]
        return [
            CandidateElected(
                candidate_id=outcome.elected,
                by="confirmation" if current.kind == "confirmation" else "ballot",
                round_number=n,
                votes=won,
                valid=outcome.valid,
                required=outcome.required,
            )
        ]
    if outcome.decision == "eliminated":
        assert outcome.eliminated is not None and outcome.eliminated_by is not None
        events: list[Event] = []
        if outcome.eliminated_by == "lots":
            assert current.lots_seed is not None
            events.append(
                LotsDrawn(
                    round_number=n,
                    seed=current.lots_seed,
                    tied=outcome.tied,
                    loser=outcome.eliminated,
                )
            )
        events.append(
            CandidateEliminated(
                candidate_id=outcome.eliminated,
                round_number=n,
                by=outcome.eliminated_by,
                votes=votes[outcome.eliminated],
            )
        )
        return events
    if outcome.decision == "not_confirmed":
        assert current.candidate is not None and outcome.required is not None
        return [
            ConfirmationFailed(
                candidate_id=current.candidate,
                round_number=n,
                yes=votes[YES],
                no=votes[NO],
                required=outcome.required,
            )
        ]
    return []  # inconclusive, or another tie-break ballot is needed


def tally_outcome(
    state: SessionState, current: RoundState, counts: tuple[int, ...]
) -> RoundOutcome:
    """The decision of ``current`` (the round being tallied) given its counts."""
    return round_outcome(
        kind=current.kind,
        options=current.options,
        counts=counts,
        settings=state.settings,
        inconclusive_before=inconclusive_election_rounds(state),
        session_id=state.session_id,
        round_number=current.number,
        lots_seed=current.lots_seed,
        confirmation_candidate=current.candidate,
    )


@_handles(SubmitDecryptionShare)
def _share(state: SessionState, cmd: SubmitDecryptionShare) -> list[Event]:
    _require_active(state)
    current = state.current_round
    if current is None or current.number != cmd.round_number or current.status != "closed":
        raise Refusal(
            "round_not_closed",
            f"round {cmd.round_number} is not awaiting its tally",
            round=cmd.round_number,
        )
    teller = state.tellers.get(cmd.teller_id)
    if teller is None:
        raise Refusal("unknown_teller", f"no teller {cmd.teller_id!r}")
    # Every teller has a verification key once the key is published (rounds come later);
    # a disqualified dealer's shares are still checked against it, so they cannot cheat.
    vk = state.ceremony.verification_keys[teller.index]
    n = len(current.options)
    share = crypto_port.parse_share(cmd.share, teller.index, n, cmd.teller_id)
    previous = current.shares.get(teller.index)
    if previous is not None:
        if previous == share:
            return []  # the same share re-sent
        raise Refusal(
            "share_already_submitted",
            f"{cmd.teller_id} already submitted a share",
            teller=cmd.teller_id,
        )
    ctx = crypto_port.tally_context(state.session_id, current.number, current.options)
    crypto_port.check_share(ctx, current.aggregate.value(), share, vk, cmd.teller_id)
    events: list[Event] = [
        DecryptionShareSubmitted(
            round_number=current.number,
            teller_id=cmd.teller_id,
            index=teller.index,
            share=cmd.share,
        )
    ]
    if len(current.shares) + 1 < state.settings.threshold:
        return events
    counts = crypto_port.combine_shares(
        current.aggregate.value(), [*current.shares.values(), share], current.ballot_count
    )
    if sum(counts) != current.ballot_count:
        raise Refusal(
            "tally_inconsistent",
            f"the counts sum to {sum(counts)}, the round has {current.ballot_count} ballots",
        )
    outcome = tally_outcome(state, current, counts)
    events.append(
        RoundTallied(
            round_number=current.number,
            kind=current.kind,
            counts=dict(zip(current.options, counts, strict=True)),
            blank=outcome.blank,
            valid=outcome.valid,
            required=outcome.required,
            decision=outcome.decision,
            elected=outcome.elected,
            eliminated=outcome.eliminated,
            eliminated_by=outcome.eliminated_by,
            tied=outcome.tied,
        )
    )
    events.extend(_decision_events(current, outcome, counts))
    return events


# -- candidates between rounds -----------------------------------------------------------------


@_handles(WithdrawCandidate)
def _withdraw(state: SessionState, cmd: WithdrawCandidate) -> list[Event]:
    _require_active(state)
    _require_between_rounds(state, "a withdrawal")
    candidate = state.candidates.get(cmd.candidate_id)
    if candidate is None:
        raise Refusal("unknown_candidate", f"no candidate {cmd.candidate_id!r}")
    if candidate.status != "standing":
        raise Refusal(
            "candidate_not_standing",
            f"{cmd.candidate_id} is {candidate.status}",
            candidate=cmd.candidate_id,
        )
    return [CandidateWithdrawn(candidate_id=cmd.candidate_id, reason=cmd.reason)]


@_handles(DeclareElectedByAcclamation)
def _acclaim(state: SessionState, cmd: DeclareElectedByAcclamation) -> list[Event]:
    _require_active(state)
    _require_between_rounds(state, "an acclamation")
    if state.settings.sole_candidate != "acclamation":
        raise Refusal("confirmation_required", "a sole candidate faces a confirmation ballot")
    candidate = state.candidates.get(cmd.candidate_id)
    if candidate is None:
        raise Refusal("unknown_candidate", f"no candidate {cmd.candidate_id!r}")
    if candidate.status != "standing":
        raise Refusal(
            "candidate_not_standing",
            f"{cmd.candidate_id} is {candidate.status}",
            candidate=cmd.candidate_id,
        )
    standing = state.standing()
    if standing != (cmd.candidate_id,) or state.pending_tiebreak:
        raise Refusal(
            "not_sole_candidate",
            f"{len(standing)} candidates are standing",
            standing=len(standing),
        )
    return [CandidateElected(candidate_id=cmd.candidate_id, by="acclamation")]


# -- bookkeeping and the end -------------------------------------------------------------------


@_handles(RecordCheckpoint)
def _checkpoint(state: SessionState, cmd: RecordCheckpoint) -> list[Event]:
    if state.phase == "new":
        raise Refusal("session_not_convened", "convene the session first")
    if not 1 <= cmd.position <= state.event_count:
        raise Refusal(
            "invalid_checkpoint",
            f"position {cmd.position} is not in the log (1..{state.event_count})",
        )
    if state.last_checkpoint is not None and cmd.position <= state.last_checkpoint:
        raise Refusal(
            "invalid_checkpoint",
            f"position {cmd.position} is not after the last checkpoint ({state.last_checkpoint})",
        )
    if state.checkpoint_key is not None:
        crypto_port.check_checkpoint(
            state.checkpoint_key, cmd.position, cmd.head_hash, cmd.log_root, cmd.signature
        )
    return [
        CheckpointSigned(
            position=cmd.position,
            head_hash=cmd.head_hash,
            log_root=cmd.log_root,
            signature=cmd.signature,
        )
    ]


@_handles(AdjournSession)
def _adjourn(state: SessionState, cmd: AdjournSession) -> list[Event]:
    _require_active(state)
    _require_between_rounds(state, "adjournment")
    return [SessionAdjourned(adjourned_at=cmd.adjourned_at, reason=cmd.reason)]


# -- the entry point ---------------------------------------------------------------------------


def decide(state: SessionState, command: Command) -> list[Event]:
    """The events ``command`` leads to in ``state``, or a :class:`Refusal`.

    Pure: the same state and command always give the same answer. An empty list means the
    command was an exact re-send of something already recorded (idempotent) or changes
    nothing. For :class:`CastBallot`, call :func:`verify_cast_proofs` first.
    """
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"no rule handles {type(command).__name__}")
    return handler(state, command)


def decide_verified(state: SessionState, command: Command) -> list[Event]:
    """:func:`decide`, preceded by :func:`verify_cast_proofs` for a :class:`CastBallot`.

    For callers that do not run the proof check elsewhere (tests, the simulator, the auditor).
    """
    if isinstance(command, CastBallot):
        verify_cast_proofs(state, command)
    return decide(state, command)

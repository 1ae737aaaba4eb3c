"""Every refusal, with its stable code; a refusal never changes the state."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest

from ballot.domain import (
    REFUSAL_CODES,
    AcceptCredentials,
    AdjournSession,
    AnswerKeyComplaint,
    AppointTellers,
    ChangeVotingRights,
    CloseRound,
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
    Refusal,
    RegisterMemberState,
    SessionSettings,
    SignedShareIn,
    SubmitKeyCommitment,
    TellerAppointment,
    WithdrawCandidate,
    ceremony_context,
    ceremony_signing_message,
    crypto_port,
    decide,
    decide_verified,
    enrollment_holder,
    initial_state,
)
from ballot.domain.values import BLANK
from crypto import ballot as cb
from crypto import dkg
from crypto import tally as ct
from crypto.group import Point, Scalar, seeded_scalars
from crypto.signing import SigningKey, checkpoint_message
from tests.domain.domain_kit import T0, Kit, as_json, digest, signing_key, spread

_BASE: dict[str, Kit] = {}


def base() -> Kit:
    """7 members (all present, enrolled), candidates A B C, key published. Built once."""
    if "kit" not in _BASE:
        kit = Kit()
        kit.setup(7, ["A", "B", "C"])
        _BASE["kit"] = kit
    return _BASE["kit"].fork()


def opened() -> tuple[Kit, list[str]]:
    kit = base()
    kit.open_round()
    return kit, sorted(kit.state.rounds[-1].roll)


# -- session lifecycle -------------------------------------------------------------------------


def test_session_lifecycle_refusals() -> None:
    kit = Kit()
    kit.refuse(RegisterMemberState(member_id="X", name="X"), "session_not_convened")
    kit.refuse(
        RecordCheckpoint(position=1, head_hash=bytes(32), log_root=bytes(32), signature=bytes(64)),
        "session_not_convened",
    )
    kit.convene()
    kit.refuse(
        ConveneSession(session_id="other", title="again", convened_at=T0),
        "session_already_convened",
    )
    kit.run(AdjournSession(adjourned_at=kit.tick(), reason="end of the day"))
    kit.refuse(RegisterMemberState(member_id="X", name="X"), "session_adjourned")
    kit.refuse(AdjournSession(adjourned_at=kit.tick()), "session_adjourned")


def test_nothing_happens_after_election_but_checkpoints() -> None:
    kit = base()
    kit.run(WithdrawCandidate(candidate_id="B"))
    kit.run(WithdrawCandidate(candidate_id="C"))
    kit.run(DeclareElectedByAcclamation(candidate_id="A"))
    for command in (
        RegisterMemberState(member_id="X", name="X"),
        RecordPresence(member_id="M001", present=False),
        OpenRound(round_number=1, opened_at=kit.tick()),
        DeclareElectedByAcclamation(candidate_id="A"),
        AdjournSession(adjourned_at=kit.tick()),
        NominateCandidate(candidate_id="Z", name="Z"),
    ):
        kit.refuse(command, "already_elected")
    events = kit.run(
        RecordCheckpoint(position=3, head_hash=bytes(32), log_root=bytes(32), signature=bytes(64))
    )
    assert [e.event_type for e in events] == ["CheckpointSigned"]
    assert len([e for e in kit.events if e.event_type == "CandidateElected"]) == 1


def test_round_in_progress_refusals() -> None:
    kit, _ = opened()
    kit.refuse(WithdrawCandidate(candidate_id="B"), "round_in_progress")
    kit.refuse(OpenRound(round_number=2, opened_at=kit.tick()), "round_in_progress")
    kit.refuse(AdjournSession(adjourned_at=kit.tick()), "round_in_progress")
    kit.refuse(DeclareElectedByAcclamation(candidate_id="A"), "round_in_progress")


# -- roll and enrollment -----------------------------------------------------------------------


def test_roll_refusals() -> None:
    kit = Kit()
    kit.convene()
    kit.register(["M1"])
    kit.register(["OBS"], observer=True)
    kit.refuse(RegisterMemberState(member_id="M1", name="again"), "duplicate_id")
    kit.refuse(RecordPresence(member_id="NOPE", present=True), "unknown_member")
    kit.refuse(ChangeVotingRights(member_id="NOPE", arrears=True), "unknown_member")
    kit.refuse(
        AcceptCredentials(
            member_id="NOPE", enrollment_code_digest=digest("x"), accepted_at=kit.now
        ),
        "unknown_member",
    )
    kit.refuse(ChangeVotingRights(member_id="OBS", suspended=True), "observer_has_no_vote")
    kit.refuse(ChangeVotingRights(member_id="M1", restored=True), "invalid_voting_rights")
    kit.refuse(NominateCandidate(candidate_id="A", name="A", nominated_by="NOPE"), "unknown_member")
    kit.refuse(NominateCandidate(candidate_id="M1", name="clash"), "duplicate_id")
    # unchanged presence or rights: nothing to record
    assert decide(kit.state, RecordPresence(member_id="M1", present=False)) == []
    assert decide(kit.state, ChangeVotingRights(member_id="M1")) == []


def test_enrollment_refusals() -> None:
    kit = Kit()
    kit.convene()
    kit.register(["M1", "M2"])
    key = signing_key("M1").public_key().encode()

    def enroll(mid: str, code: str, public_key: bytes = key, at: timedelta = timedelta(0)):  # type: ignore[no-untyped-def]
        return EnrollDelegation(
            delegation_id=mid,
            enrollment_code_digest=digest(code),
            public_key=public_key,
            enrolled_at=kit.now + at,
        )

    kit.refuse(enroll("M1", "code-M1"), "credentials_not_accepted")
    kit.refuse(enroll("NOPE", "code-NOPE"), "unknown_delegation")
    kit.credential("M1")
    assert enrollment_holder(kit.state, digest("code-M1")) == "M1"
    assert enrollment_holder(kit.state, digest("wrong")) is None
    kit.refuse(enroll("M1", "wrong"), "enrollment_code_invalid")
    kit.refuse(enroll("M1", "code-M1", at=timedelta(days=2)), "enrollment_code_expired")
    kit.refuse(enroll("M1", "code-M1", public_key=bytes(32)), "invalid_public_key")
    kit.run(enroll("M1", "code-M1"))
    assert enrollment_holder(kit.state, digest("code-M1")) is None
    assert decide(kit.state, enroll("M1", "code-M1")) == []  # the same enrollment re-sent
    other = signing_key("someone else").public_key().encode()
    kit.refuse(enroll("M1", "code-M1", public_key=other), "enrollment_code_used")
    # a new code replaces a lost one
    kit.credential("M1")
    kit.run(enroll("M1", "code-M1", public_key=other))
    assert kit.state.members["M1"].public_key == other


# -- candidates --------------------------------------------------------------------------------


def test_candidate_refusals() -> None:
    kit = base()
    kit.refuse(WithdrawCandidate(candidate_id="NOPE"), "unknown_candidate")
    kit.refuse(DeclareElectedByAcclamation(candidate_id="NOPE"), "unknown_candidate")
    kit.refuse(DeclareElectedByAcclamation(candidate_id="A"), "not_sole_candidate")
    kit.run(WithdrawCandidate(candidate_id="C"))
    kit.refuse(WithdrawCandidate(candidate_id="C"), "candidate_not_standing")
    kit.refuse(DeclareElectedByAcclamation(candidate_id="C"), "candidate_not_standing")
    kit.open_round()
    kit.vote(spread(sorted(kit.state.rounds[-1].roll), {"A": 4, "B": 3}))
    kit.close()
    kit.tally()
    kit.refuse(NominateCandidate(candidate_id="D", name="late"), "nominations_closed")
    kit.run(WithdrawCandidate(candidate_id="B"))
    kit.refuse(OpenRound(round_number=2, opened_at=kit.tick()), "sole_candidate")


def test_confirmation_required_and_no_candidates() -> None:
    kit = Kit(settings=SessionSettings(sole_candidate="confirmation"))
    kit.setup(6, [])
    kit.refuse(OpenRound(round_number=1, opened_at=kit.tick()), "no_candidates")
    kit.nominate("A")
    kit.refuse(DeclareElectedByAcclamation(candidate_id="A"), "confirmation_required")


# -- tellers and key ceremony ------------------------------------------------------------------


def _appoint(kit: Kit, ids: list[str]) -> AppointTellers:
    return AppointTellers(
        tellers=tuple(
            TellerAppointment(teller_id=t, name=t, enrollment_code_digest=digest(f"code-{t}"))
            for t in ids
        ),
        appointed_at=kit.now,
    )


def test_teller_appointment_refusals() -> None:
    kit = Kit()
    kit.convene()
    kit.register(["M1"])
    kit.refuse(PublishElectionKey(), "tellers_not_appointed")
    kit.refuse(
        SubmitKeyCommitment(teller_id="T1", commitment={}, signature=bytes(64)),
        "tellers_not_appointed",
    )
    kit.refuse(_appoint(kit, ["T1", "T2"]), "wrong_teller_count")
    kit.refuse(_appoint(kit, ["T1", "T1", "T2"]), "duplicate_id")
    kit.refuse(_appoint(kit, ["T1", "M1", "T2"]), "duplicate_id")
    kit.run(_appoint(kit, ["T1", "T2", "T3"]))
    kit.refuse(_appoint(kit, ["T4", "T5", "T6"]), "tellers_already_appointed")


def test_key_ceremony_refusals() -> None:
    kit = Kit()
    kit.convene()
    kit.run(_appoint(kit, ["T1", "T2", "T3"]))
    ctx = ceremony_context(kit.state)
    rng = seeded_scalars(b"ceremony refusals")
    made = {i: dkg.new_dealer(ctx, i, rng) for i in (1, 2, 3)}

    def commit(teller: str, index: int, key: SigningKey | None = None) -> SubmitKeyCommitment:
        c = made[index][1]
        signer = key or signing_key(teller)
        return SubmitKeyCommitment(
            teller_id=teller,
            commitment=as_json(dkg.dealer_commitment_to_json(c)),
            signature=signer.sign(ceremony_signing_message(ctx, c)),
        )

    kit.refuse(commit("T1", 1), "teller_not_enrolled")
    kit.refuse(commit("T9", 1), "unknown_teller")
    for t in ("T1", "T2", "T3"):
        kit.enroll(t)
    kit.refuse(commit("T1", 2), "invalid_ceremony_message")  # someone else's commitment
    kit.refuse(commit("T1", 1, signing_key("T2")), "invalid_signature")
    kit.refuse(
        SubmitKeyCommitment(teller_id="T1", commitment={"index": 1}, signature=bytes(64)),
        "invalid_ceremony_message",
    )
    kit.run(commit("T1", 1))
    assert decide(kit.state, commit("T1", 1)) == []  # re-sent
    _, other = dkg.new_dealer(ctx, 1, rng)
    kit.refuse(
        SubmitKeyCommitment(
            teller_id="T1",
            commitment=as_json(dkg.dealer_commitment_to_json(other)),
            signature=signing_key("T1").sign(ceremony_signing_message(ctx, other)),
        ),
        "duplicate_ceremony_message",
    )
    kit.refuse(DealKeyShares(teller_id="T1", shares=()), "ceremony_out_of_order")
    kit.refuse(PublishElectionKey(), "ceremony_out_of_order")
    kit.run(commit("T2", 2))
    kit.run(commit("T3", 3))
    commitments = {i: made[i][1] for i in (1, 2, 3)}

    def deal(teller: str, index: int, signer: str | None = None) -> DealKeyShares:
        shares = dkg.deal(ctx, made[index][0], commitments, rng=rng)
        return DealKeyShares(
            teller_id=teller,
            shares=tuple(
                SignedShareIn(
                    share=as_json(dkg.encrypted_share_to_json(s)),
                    signature=signing_key(signer or teller).sign(ceremony_signing_message(ctx, s)),
                )
                for s in shares
            ),
        )

    good = deal("T1", 1)
    kit.refuse(DealKeyShares(teller_id="T1", shares=good.shares[:1]), "invalid_ceremony_message")
    kit.refuse(deal("T2", 1), "invalid_ceremony_message")  # T1's shares sent as T2's
    kit.refuse(deal("T1", 1, signer="T2"), "invalid_signature")
    kit.run(good)
    assert decide(kit.state, good) == []
    kit.refuse(deal("T1", 1), "duplicate_ceremony_message")

    def complaint(accuser: int, accused: int, teller: str) -> FileKeyComplaint:
        c = dkg.Complaint(accuser, accused)
        return FileKeyComplaint(
            teller_id=teller,
            complaint=as_json(dkg.complaint_to_json(c)),
            signature=signing_key(teller).sign(ceremony_signing_message(ctx, c)),
        )

    kit.refuse(complaint(3, 1, "T2"), "invalid_ceremony_message")  # not in its own name
    # T2 and T3 have not dealt, so they cannot qualify: T1 alone is below the threshold
    kit.refuse(PublishElectionKey(), "not_enough_qualified_tellers")
    kit.run(deal("T2", 2))
    kit.run(complaint(2, 1, "T2"))
    kit.run(complaint(3, 1, "T3"))
    assert decide(kit.state, complaint(3, 1, "T3")) == []

    def answer(accuser: int, accused: int, teller: str, share: Scalar) -> AnswerKeyComplaint:
        a = dkg.ComplaintAnswer(accused, accuser, share)
        return AnswerKeyComplaint(
            teller_id=teller,
            answer=as_json(dkg.complaint_answer_to_json(a)),
            signature=signing_key(teller).sign(ceremony_signing_message(ctx, a)),
        )

    real = dkg.answer_complaint(made[1][0], dkg.Complaint(2, 1)).share
    kit.refuse(answer(2, 3, "T1", real), "invalid_ceremony_message")  # not for itself
    kit.refuse(answer(1, 2, "T2", real), "ceremony_out_of_order")  # no such complaint
    kit.run(answer(2, 1, "T1", real))
    kit.refuse(answer(2, 1, "T1", Scalar.from_int(5)), "duplicate_ceremony_message")
    # T1 leaves T3's complaint unanswered; T2 dealt; T3 has not: QUAL = {2} < 2
    kit.refuse(PublishElectionKey(), "not_enough_qualified_tellers")
    kit.run(deal("T3", 3))
    kit.run(PublishElectionKey())
    assert kit.state.ceremony.qualified == (2, 3)
    assert sorted(kit.state.ceremony.verification_keys) == [1, 2, 3]
    kit.refuse(PublishElectionKey(), "ceremony_closed")
    kit.refuse(commit("T1", 1), "ceremony_closed")


# -- rounds ------------------------------------------------------------------------------------


def test_open_round_refusals() -> None:
    kit = Kit()
    kit.convene()
    kit.register(["M1", "M2", "M3"])
    kit.nominate("A", "B")
    kit.refuse(OpenRound(round_number=1, opened_at=kit.tick()), "election_key_missing")
    kit.key_ceremony()
    kit.admit(["M1"])
    refusal = kit.refuse(OpenRound(round_number=1, opened_at=kit.tick()), "no_quorum")
    assert dict(refusal.detail) == {"present": 1, "base": 3}
    kit.admit(["M2"])
    kit.refuse(OpenRound(round_number=2, opened_at=kit.tick()), "wrong_round_number")
    kit.run(OpenRound(round_number=1, opened_at=kit.tick()))


def test_quorum_base_voting_members() -> None:
    kit = Kit(settings=SessionSettings(quorum_base="voting_members"))
    kit.convene()
    kit.register(["M1", "M2", "M3", "M4", "M5"])
    kit.nominate("A", "B")
    kit.key_ceremony()
    kit.admit(["M1", "M2"])
    kit.refuse(OpenRound(round_number=1, opened_at=kit.tick()), "no_quorum")  # 2 of 5
    kit.arrears("M4")
    kit.arrears("M5")
    kit.run(OpenRound(round_number=1, opened_at=kit.tick()))  # 2 of 3 voting members
    assert (kit.state.rounds[0].present, kit.state.rounds[0].quorum_base) == (2, 3)


def test_ballot_refusals() -> None:
    kit = base()
    ids = sorted(kit.state.members)
    kit.run(RecordPresence(member_id=ids[6], present=False))
    kit.run(
        AcceptCredentials(
            member_id=ids[5], enrollment_code_digest=digest("new"), accepted_at=kit.now
        )
    )
    # a re-issued code revokes the enrolled key until the new code is redeemed
    kit.register(["LATE"])
    kit.credential("LATE")
    kit.run(RecordPresence(member_id="LATE", present=True))
    kit.open_round()
    ballot = kit.ballot(ids[0], "A")
    kit.refuse(kit.ballot(ids[6], "A"), "not_eligible")  # absent at the opening
    kit.refuse(kit.ballot("LATE", "A"), "not_enrolled")
    kit.refuse(kit.ballot(ids[5], "A"), "not_enrolled")
    kit.refuse(ballot.model_copy(update={"round_number": 2}), "round_not_open")
    kit.refuse(ballot.model_copy(update={"ballot": {"nonsense": True}}), "malformed_ballot")
    other = kit.ballot(ids[1], "B")
    # another delegation's ballot: proofs are bound to the delegation id
    kit.refuse(other.model_copy(update={"delegation_id": ids[0]}), "invalid_ballot")
    # signed with the wrong key: the proofs are fine, the signature is not
    current = kit.state.current_round
    assert current is not None and kit.state.ceremony.election_key is not None
    ctx = cb.BallotContext(
        kit.session_id, 1, kit.state.ceremony.election_key, ids[0], current.options
    )
    enc = cb.encrypt_ballot(ctx, 0, kit.rng())
    forged = ballot.model_copy(
        update={
            "ballot": as_json(cb.ballot_to_json(enc)),
            "signature": signing_key("intruder").sign(cb.signing_message(ctx, enc)),
        }
    )
    kit.refuse(forged, "invalid_signature")
    kit.run(ballot)
    assert decide_verified(kit.state, ballot) == []  # the identical ballot re-sent: idempotent
    kit.refuse(kit.ballot(ids[0], "B"), "already_voted")
    kit.vote(spread(ids[1:5], {"A": 2, "B": 2}))
    kit.close()
    kit.refuse(kit.ballot(ids[5], "A", round_number=1), "round_not_open")
    kit.refuse(CloseRound(round_number=1, closed_at=kit.tick()), "round_not_open")


def test_malformed_ballot_option_count() -> None:
    kit, ids = opened()
    election_key = kit.state.ceremony.election_key
    assert election_key is not None
    ctx = cb.BallotContext(kit.session_id, 1, election_key, ids[0], ("A", "B", BLANK))
    enc = cb.encrypt_ballot(ctx, 0, kit.rng())
    command = kit.ballot(ids[0], "A").model_copy(update={"ballot": as_json(cb.ballot_to_json(enc))})
    kit.refuse(command, "malformed_ballot")


def test_tally_refusals() -> None:
    kit, ids = opened()
    kit.refuse(kit.share(1), "round_not_closed")
    kit.vote(spread(ids, {"A": 3, "B": 2, "C": 1, BLANK: 1}))
    kit.close()
    first = kit.share(1)
    kit.refuse(first.model_copy(update={"teller_id": "T9"}), "unknown_teller")
    kit.refuse(first.model_copy(update={"share": {"teller_index": 1}}), "malformed_share")
    kit.refuse(first.model_copy(update={"teller_id": "T2"}), "malformed_share")  # index 1
    # a share whose partial decryption was tampered with does not verify
    good = ct.share_from_json(first.share)
    bad = ct.DecryptionShare(
        1, (good.partials[0] + Point.generator(), *good.partials[1:]), good.proofs
    )
    refusal = kit.refuse(
        first.model_copy(update={"share": as_json(ct.share_to_json(bad))}), "invalid_share"
    )
    assert refusal.detail["teller"] == "T1"
    kit.run(first)
    assert decide(kit.state, first) == []
    kit.refuse(kit.share(1), "share_already_submitted")  # fresh proof randomness: different
    events = kit.run(kit.share(3))
    assert [e.event_type for e in events] == ["DecryptionShareSubmitted", "RoundTallied"]
    kit.refuse(kit.share(2), "round_not_closed")


def test_tally_inconsistent_from_too_few_shares() -> None:
    kit, ids = opened()
    kit.vote(spread(ids, {"A": 3, "B": 2, "C": 1, BLANK: 1}))
    kit.close()
    current = kit.state.current_round
    assert current is not None
    tctx = ct.TallyContext(kit.session_id, 1, current.options)
    one = ct.compute_share(
        tctx,
        current.aggregate.value(),
        1,
        kit.key_shares[1],
        kit.state.ceremony.verification_keys[1],
        kit.rng(),
    )
    with pytest.raises(Refusal) as info:
        crypto_port.combine_shares(current.aggregate.value(), [one], current.ballot_count)
    assert info.value.code == "tally_inconsistent"


def test_checkpoint_refusals() -> None:
    key = SigningKey.from_seed(hashlib.sha256(b"checkpoint").digest())
    kit = Kit()
    kit.run(
        ConveneSession(
            session_id=kit.session_id,
            title="t",
            convened_at=T0,
            checkpoint_key=key.public_key().encode(),
        )
    )
    kit.register(["M1", "M2"])
    head, root = hashlib.sha256(b"h").digest(), hashlib.sha256(b"r").digest()
    good = RecordCheckpoint(
        position=3,
        head_hash=head,
        log_root=root,
        signature=key.sign(checkpoint_message(3, head, root)),
    )
    kit.refuse(good.model_copy(update={"signature": bytes(64)}), "invalid_checkpoint")
    kit.refuse(good.model_copy(update={"position": 4}), "invalid_checkpoint")  # not in log
    kit.refuse(good.model_copy(update={"position": 0}), "invalid_checkpoint")
    kit.run(good)
    kit.refuse(good, "invalid_checkpoint")  # not after the last one
    kit.refuse(
        ConveneSession(session_id="s", title="t", convened_at=T0, checkpoint_key=bytes(32)),
        "session_already_convened",
    )
    fresh = initial_state()
    with pytest.raises(Refusal) as info:
        decide(
            fresh,
            ConveneSession(session_id="s", title="t", convened_at=T0, checkpoint_key=bytes(32)),
        )
    assert info.value.code == "invalid_public_key"


def test_refusal_codes_are_registered_and_all_exercised() -> None:
    with pytest.raises(ValueError, match="unregistered"):
        Refusal("no_such_code", "x")
    refusal = Refusal("no_quorum", "m", present=1)
    assert (refusal.code, refusal.title, dict(refusal.detail)) == (
        "no_quorum",
        REFUSAL_CODES["no_quorum"],
        {"present": 1},
    )
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", "no_quorum")
    for code in REFUSAL_CODES:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
    source = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    missing = [code for code in REFUSAL_CODES if f'"{code}"' not in source]
    assert missing == []

"""Test kit for the domain: a session driven through pure commands with real cryptography.

:class:`Kit` holds a state and the events so far (tests are allowed mutable harnesses; the
domain is not). Every event it records is round-tripped through its JSON payload, so every
test also checks the event registry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ballot.domain import (
    AcceptCredentials,
    AnswerKeyComplaint,
    AppointTellers,
    CastBallot,
    ChallengeBallot,
    ChangeVotingRights,
    CloseRound,
    Command,
    ConveneSession,
    DealKeyShares,
    EnrollDelegation,
    Event,
    FileKeyComplaint,
    NominateCandidate,
    OpenRound,
    PublishElectionKey,
    RecordPresence,
    Refusal,
    RegisterMemberState,
    SessionSettings,
    SessionState,
    SignedShareIn,
    SubmitDecryptionShare,
    SubmitKeyCommitment,
    TellerAppointment,
    ceremony_context,
    ceremony_signing_message,
    decide_verified,
    event_from_payload,
    evolve,
    initial_state,
    lots_commitment,
    next_round_plan,
    rederive,
    replay,
)
from crypto import ballot as cb
from crypto import dkg
from crypto import tally as ct
from crypto.challenge import BallotReveal
from crypto.group import Scalar, seeded_scalars
from crypto.signing import SigningKey

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SESSION_ID = "iom-council-2026"


def digest(code: str) -> bytes:
    """SHA-256 of an enrollment code (what the API would compute)."""
    return hashlib.sha256(code.encode()).digest()


def signing_key(name: str) -> SigningKey:
    """A deterministic Ed25519 key for a test principal."""
    return SigningKey.from_seed(hashlib.sha256(b"test-key/" + name.encode()).digest())


def as_json(obj: Any) -> dict[str, Any]:
    """A crypto object's JSON form, as it would arrive over HTTP."""
    value: dict[str, Any] = json.loads(json.dumps(obj))
    return value


def member_ids(n: int) -> list[str]:
    """``M001`` … ``Mnnn``."""
    return [f"M{i:03d}" for i in range(1, n + 1)]


@dataclass
class Kit:
    """A session under test."""

    settings: SessionSettings = field(default_factory=SessionSettings)
    session_id: str = SESSION_ID
    state: SessionState = field(default_factory=initial_state)
    events: list[Event] = field(default_factory=list)
    now: datetime = T0
    key_shares: dict[int, Scalar] = field(default_factory=dict)
    seeds: dict[int, bytes] = field(default_factory=dict)
    rng_counter: int = 0

    # -- driving ---------------------------------------------------------------------------
    def fork(self) -> Kit:
        """An independent kit at the same point (the state itself is immutable)."""
        return replace(
            self,
            events=list(self.events),
            key_shares=dict(self.key_shares),
            seeds=dict(self.seeds),
        )

    def tick(self, seconds: int = 60) -> datetime:
        """Advance the test clock."""
        self.now += timedelta(seconds=seconds)
        return self.now

    def run(self, command: Command) -> list[Event]:
        """Decide (with the ballot-proof check), evolve, record; round-trip every payload."""
        events = decide_verified(self.state, command)
        for event in events:
            payload = json.loads(json.dumps(event.to_payload()))
            again = event_from_payload(event.event_type, payload, event.schema_version)
            assert again == event, event.event_type
            self.state = evolve(self.state, again)
        self.events.extend(events)
        return events

    def refuse(self, command: Command, code: str) -> Refusal:
        """Assert that ``command`` is refused with ``code`` and changes nothing."""
        before = self.state
        with pytest.raises(Refusal) as info:
            decide_verified(self.state, command)
        assert info.value.code == code, info.value
        assert self.state is before
        return info.value

    def replayed(self) -> SessionState:
        """The state rebuilt from the recorded events."""
        return replay(self.events)

    def audited(self) -> SessionState:
        """The state the offline audit re-derives from the recorded events."""
        return rederive(self.events)

    def rng(self) -> Any:
        """A fresh deterministic scalar source (test vectors only)."""
        self.rng_counter += 1
        return seeded_scalars(f"kit/{self.rng_counter}".encode())

    # -- setup -----------------------------------------------------------------------------
    def convene(self, title: str = "IOM Council, special session") -> None:
        """Convene the session with the kit's settings."""
        self.run(
            ConveneSession(
                session_id=self.session_id,
                title=title,
                convened_at=self.now,
                settings=self.settings,
            )
        )

    def register(self, ids: Iterable[str], *, observer: bool = False) -> None:
        """Register member states (or observers)."""
        for mid in ids:
            self.run(RegisterMemberState(member_id=mid, name=f"State {mid}", observer=observer))

    def credential(self, mid: str) -> None:
        """Accept credentials and issue the code ``code-<mid>``."""
        self.run(
            AcceptCredentials(
                member_id=mid, enrollment_code_digest=digest(f"code-{mid}"), accepted_at=self.now
            )
        )

    def enroll(self, principal: str) -> None:
        """Redeem ``code-<principal>`` with the principal's deterministic key."""
        self.run(
            EnrollDelegation(
                delegation_id=principal,
                enrollment_code_digest=digest(f"code-{principal}"),
                public_key=signing_key(principal).public_key().encode(),
                enrolled_at=self.now,
            )
        )

    def admit(self, ids: Iterable[str], *, present: bool = True) -> None:
        """Credentials, enrollment and presence for each member."""
        for mid in ids:
            self.credential(mid)
            self.enroll(mid)
            if present:
                self.run(RecordPresence(member_id=mid, present=True))

    def nominate(self, *cids: str) -> None:
        """Nominate candidates."""
        for cid in cids:
            self.run(NominateCandidate(candidate_id=cid, name=f"Candidate {cid}"))

    def arrears(self, mid: str, *, restored: bool = False) -> None:
        """Record a vote lost for arrears (optionally restored by the council)."""
        self.run(ChangeVotingRights(member_id=mid, arrears=True, restored=restored))

    def teller_ids(self) -> list[str]:
        """``T1`` … ``Tn``."""
        return [f"T{i}" for i in range(1, self.settings.tellers + 1)]

    def key_ceremony(self, *, complaint: bool = False) -> None:
        """Appoint and enroll the tellers and run a real DKG through the commands.

        With ``complaint``, the last teller complains about dealer 1, which answers by
        revealing the share (an honest answer: everyone stays qualified)."""
        tellers = self.teller_ids()
        self.run(
            AppointTellers(
                tellers=tuple(
                    TellerAppointment(
                        teller_id=t, name=f"Teller {t}", enrollment_code_digest=digest(f"code-{t}")
                    )
                    for t in tellers
                ),
                appointed_at=self.now,
            )
        )
        for t in tellers:
            self.enroll(t)
        ctx = ceremony_context(self.state)
        secrets: dict[int, dkg.DealerSecrets] = {}
        commitments: dict[int, dkg.DealerCommitment] = {}
        for i, t in enumerate(tellers, start=1):
            secret, commitment = dkg.new_dealer(ctx, i, self.rng())
            secrets[i], commitments[i] = secret, commitment
            self.run(
                SubmitKeyCommitment(
                    teller_id=t,
                    commitment=as_json(dkg.dealer_commitment_to_json(commitment)),
                    signature=signing_key(t).sign(ceremony_signing_message(ctx, commitment)),
                )
            )
        dealt: dict[int, tuple[dkg.EncryptedShare, ...]] = {}
        for i, t in enumerate(tellers, start=1):
            dealt[i] = dkg.deal(ctx, secrets[i], commitments, rng=self.rng())
            self.run(
                DealKeyShares(
                    teller_id=t,
                    shares=tuple(
                        SignedShareIn(
                            share=as_json(dkg.encrypted_share_to_json(s)),
                            signature=signing_key(t).sign(ceremony_signing_message(ctx, s)),
                        )
                        for s in dealt[i]
                    ),
                )
            )
        if complaint:
            accuser, accused = len(tellers), 1
            filed = dkg.Complaint(accuser, accused)
            self.run(
                FileKeyComplaint(
                    teller_id=tellers[accuser - 1],
                    complaint=as_json(dkg.complaint_to_json(filed)),
                    signature=signing_key(tellers[accuser - 1]).sign(
                        ceremony_signing_message(ctx, filed)
                    ),
                )
            )
            answer = dkg.answer_complaint(secrets[accused], filed)
            self.run(
                AnswerKeyComplaint(
                    teller_id=tellers[accused - 1],
                    answer=as_json(dkg.complaint_answer_to_json(answer)),
                    signature=signing_key(tellers[accused - 1]).sign(
                        ceremony_signing_message(ctx, answer)
                    ),
                )
            )
        self.run(PublishElectionKey())
        qual = set(self.state.ceremony.qualified)
        for j in range(1, len(tellers) + 1):
            received = {j: dkg.own_share(secrets[j])}
            for i in qual - {j}:
                (share,) = [s for s in dealt[i] if s.recipient == j]
                received[i] = dkg.open_share(ctx, secrets[j], share, commitments[i])
            self.key_shares[j] = dkg.combine_key_share(received, qual=qual)
            dkg.verify_key_share(commitments, qual, j, self.key_shares[j])

    def setup(
        self,
        n_members: int,
        candidates: Sequence[str],
        *,
        absent: Iterable[str] = (),
        arrears: Iterable[str] = (),
        observers: Iterable[str] = (),
    ) -> list[str]:
        """Convene, register ``n_members`` (all credentialed, enrolled, present unless
        ``absent``), nominate, run the ceremony. Returns the member ids."""
        ids = member_ids(n_members)
        absent_set = set(absent)
        self.convene()
        self.register(ids)
        self.register(observers, observer=True)
        for mid in ids:
            self.admit([mid], present=mid not in absent_set)
        for mid in arrears:
            self.arrears(mid)
        self.nominate(*candidates)
        self.key_ceremony()
        return ids

    # -- rounds ----------------------------------------------------------------------------
    def open_round(self) -> list[Event]:
        """Open the next round (committing to a lots seed when the plan needs one)."""
        number = len(self.state.rounds) + 1
        seed = hashlib.sha256(f"lots-seed/{number}".encode()).digest()
        self.seeds[number] = seed
        plan = next_round_plan(self.state)
        commitment = (
            lots_commitment(self.session_id, number, seed) if plan.needs_lots_commitment else None
        )
        return self.run(
            OpenRound(round_number=number, opened_at=self.tick(), lots_commitment=commitment)
        )

    def ballot(self, mid: str, option: str, *, round_number: int | None = None) -> CastBallot:
        """A signed, encrypted ballot of ``mid`` for ``option`` in the current round."""
        current = self.state.current_round
        assert current is not None
        number = current.number if round_number is None else round_number
        election_key = self.state.ceremony.election_key
        assert election_key is not None
        ctx = cb.BallotContext(self.session_id, number, election_key, mid, current.options)
        encrypted = cb.encrypt_ballot(ctx, current.options.index(option), self.rng())
        signature = signing_key(mid).sign(cb.signing_message(ctx, encrypted))
        return CastBallot(
            delegation_id=mid,
            round_number=number,
            ballot=as_json(cb.ballot_to_json(encrypted)),
            signature=signature,
        )

    def challenge(self, mid: str, option: str, *, claim: str | None = None) -> ChallengeBallot:
        """``mid`` opens a ballot encrypted for ``option`` instead of casting it, revealing
        ``claim`` as its choice (default: the truth — a lying page claims otherwise)."""
        current = self.state.current_round
        assert current is not None
        election_key = self.state.ceremony.election_key
        assert election_key is not None
        ctx = cb.BallotContext(self.session_id, current.number, election_key, mid, current.options)
        encrypted, nonces = cb.encrypt_ballot_with_nonces(
            ctx, current.options.index(option), self.rng()
        )
        signature = signing_key(mid).sign(cb.signing_message(ctx, encrypted))
        shown = current.options.index(option if claim is None else claim)
        return ChallengeBallot(
            delegation_id=mid,
            round_number=current.number,
            ballot=as_json(cb.ballot_to_json(encrypted)),
            signature=signature,
            reveal=as_json(BallotReveal(shown, nonces).to_json()),
        )

    def vote(self, choices: dict[str, str]) -> None:
        """Cast one ballot per delegation."""
        for mid, option in choices.items():
            self.run(self.ballot(mid, option))

    def close(self) -> list[Event]:
        """Close the current round (revealing the seed if one was committed)."""
        current = self.state.current_round
        assert current is not None
        seed = self.seeds.get(current.number) if current.lots_commitment is not None else None
        return self.run(
            CloseRound(round_number=current.number, closed_at=self.tick(), lots_seed=seed)
        )

    def share(self, index: int) -> SubmitDecryptionShare:
        """Teller ``index``'s decryption share of the current round's aggregate."""
        current = self.state.current_round
        assert current is not None
        tctx = ct.TallyContext(self.session_id, current.number, current.options)
        vk = self.state.ceremony.verification_keys[index]
        share = ct.compute_share(
            tctx, current.aggregate.value(), index, self.key_shares[index], vk, self.rng()
        )
        return SubmitDecryptionShare(
            teller_id=f"T{index}",
            round_number=current.number,
            share=as_json(ct.share_to_json(share)),
        )

    def tally(self, indices: Sequence[int] = (1, 2)) -> list[Event]:
        """Submit decryption shares from ``indices``; returns all the events emitted."""
        out: list[Event] = []
        for index in indices:
            out.extend(self.run(self.share(index)))
        return out

    def full_round(self, choices: dict[str, str]) -> list[Event]:
        """Open, vote, close, tally; returns the events from close onwards."""
        self.open_round()
        self.vote(choices)
        events = self.close()
        if self.state.current_round is not None and self.state.current_round.status == "closed":
            events += self.tally()
        return events


def spread(ids: Sequence[str], counts: dict[str, int]) -> dict[str, str]:
    """Assign the first members to options by ``counts`` (in order)."""
    out: dict[str, str] = {}
    it = iter(ids)
    for option, n in counts.items():
        for _ in range(n):
            out[next(it)] = option
    return out


def types(events: Iterable[Event]) -> list[str]:
    """Event type names."""
    return [e.event_type for e in events]

"""A teller, and the public view of the log that participants act on.

:class:`PublicView` folds the public log (exactly what ``GET …/events`` serves) with the
domain's own ``evolve``; it also keeps each round's ``RoundClosed`` commitment and, if asked,
re-verifies every ballot's proofs. :class:`TellerAgent` decides from a view what to send:
its enrollment, its key-ceremony messages (signed over ``ceremony_signing_message``), and —
only after re-checking a closed round's committed ballot set against its own fold — its
decryption share. How the view is fed and the commands sent is the transport's business.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ballot.domain import (
    AnswerKeyComplaint,
    BallotCast,
    CastBallot,
    Command,
    DealKeyShares,
    EnrollDelegation,
    Event,
    FileKeyComplaint,
    Refusal,
    RoundClosed,
    SessionState,
    SignedShareIn,
    SubmitDecryptionShare,
    SubmitKeyCommitment,
    ceremony_context,
    ceremony_signing_message,
    crypto_port,
    event_from_json,
    evolve,
    initial_state,
    verify_cast,
)
from ballot.domain.values import b64decode, b64encode
from ballot.simulation.delegation import SimulationError, json_copy
from ballot.simulation.entropy import Entropy, code_digest
from crypto import dkg
from crypto import tally as ct
from crypto.group import Point, Scalar
from crypto.signing import SigningKey
from events import RecordedEvent

#: Codes of :class:`TellerRefusal`.
TELLER_REFUSALS: Final[dict[str, str]] = {
    "round_not_closed": "the round is not closed awaiting its tally",
    "round_voided": "the round is void",
    "ballot_count_mismatch": "the committed ballot count differs from the ballots in the log",
    "ballot_set_mismatch": "the committed ballots root differs from the ballots in the log",
    "aggregate_mismatch": "the committed aggregate is not the sum of the ballots in the log",
    "below_min_tally": "too few ballots: decrypting could expose how someone voted",
    "invalid_ballots": "a ballot in the round has proofs that do not verify",
    "key_share_missing": "the key ceremony did not give this teller a key share",
    "key_share_invalid": "this teller's key share does not match its verification key",
    "not_a_teller": "this identity is not one of the session's tellers",
}


class TellerRefusal(Exception):
    """A teller declines to act (``code`` is one of :data:`TELLER_REFUSALS`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PublicView:
    """What anyone knows from the public log: the folded state, each round's ``RoundClosed``
    commitment, and (with ``verify_ballots``) which cast ballots have invalid proofs."""

    def __init__(self, *, verify_ballots: bool = True) -> None:
        self.verify_ballots = verify_ballots
        self.state: SessionState = initial_state()
        self.closed: dict[int, RoundClosed] = {}
        self.invalid_ballots: dict[int, list[str]] = {}
        self.position = 0

    def observe(self, event: Event, state: SessionState | None = None) -> None:
        """Take in the next event of the log; ``state``, if given, is the state after it as
        already folded by someone trusted with it (the in-process driver's service)."""
        if isinstance(event, BallotCast) and self.verify_ballots:
            command = CastBallot(
                delegation_id=event.delegation_id,
                round_number=event.round_number,
                ballot=event.ballot,
                signature=event.signature,
            )
            try:
                verify_cast(self.state if state is None else state, command)
            except Refusal:
                self.invalid_ballots.setdefault(event.round_number, []).append(event.delegation_id)
        if isinstance(event, RoundClosed):
            self.closed[event.round_number] = event
        self.state = evolve(self.state, event) if state is None else state
        self.position += 1

    def sum_aggregates(self) -> None:
        """Sum the ballots received so far into their rounds' aggregates (see
        :mod:`crypto.aggregate`): a follower that has caught up calls this, so that checking
        the aggregate at a close only adds the ballots that came after."""
        for held in self.state.rounds:
            held.aggregate.sum_up()

    def observe_record(self, record: RecordedEvent) -> None:
        """Take in the next exported record (e.g. a line of ``GET …/events``)."""
        if record.position != self.position + 1:
            raise SimulationError(
                "log_gap", f"expected position {self.position + 1}, got {record.position}"
            )
        self.observe(event_from_json(record.event_type, record.payload_json, record.schema_version))


@dataclass(eq=False)
class TellerAgent:
    """One of the n tellers: enrollment, the key ceremony, and decryption shares.

    Secrets (the dealer polynomial and X25519 key, then the combined key share) stay in this
    object and never reach ``repr``. ``complain_about`` is a test hook: dealers this teller
    files a complaint against whatever their shares (each answers by revealing the share).
    """

    teller_id: str
    signing_key: SigningKey = field(repr=False)
    entropy: Entropy = field(default_factory=Entropy, repr=False)
    complain_about: frozenset[int] = frozenset()
    _secrets: dkg.DealerSecrets | None = field(default=None, repr=False)
    _commitment: dkg.DealerCommitment | None = field(default=None, repr=False)
    _received: dict[int, Scalar] = field(default_factory=dict, repr=False)
    _complained: set[int] = field(default_factory=set, repr=False)
    _key_share: Scalar | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls, teller_id: str, entropy: Entropy, *, complain_about: frozenset[int] = frozenset()
    ) -> TellerAgent:
        """A teller with a fresh key (reproducible if ``entropy`` is seeded)."""
        return cls(
            teller_id,
            entropy.signing_key(f"teller-key/{teller_id}"),
            entropy,
            complain_about=complain_about,
        )

    @property
    def public_key(self) -> bytes:
        """The Ed25519 public key it enrolls."""
        return self.signing_key.public_key().encode()

    def export_secrets(self) -> dict[str, Any]:
        """Everything a restarted teller needs (its signing seed, dealer secrets, commitment,
        shares received, complaints filed) as JSON. Secret: keep it only sealed
        (``crypto.signing.seal_with_passphrase``)."""
        return {
            "format": "ballot-teller/1",
            "teller_id": self.teller_id,
            "signing_seed": b64encode(self.signing_key.encode()),
            "dealer_secrets": None if self._secrets is None else b64encode(self._secrets.encode()),
            "commitment": None
            if self._commitment is None
            else json_copy(dkg.dealer_commitment_to_json(self._commitment)),
            "received": {str(k): b64encode(v.encode()) for k, v in sorted(self._received.items())},
            "complained": sorted(self._complained),
        }

    @classmethod
    def restore(cls, exported: Mapping[str, Any], entropy: Entropy | None = None) -> TellerAgent:
        """The teller :meth:`export_secrets` saved (raises ``SimulationError`` if malformed)."""
        try:
            if exported["format"] != "ballot-teller/1":
                raise ValueError("unknown format")
            agent = cls(
                str(exported["teller_id"]),
                SigningKey.from_seed(b64decode(exported["signing_seed"])),
                entropy if entropy is not None else Entropy(),
            )
            if exported["dealer_secrets"] is not None:
                agent._secrets = dkg.DealerSecrets.decode(b64decode(exported["dealer_secrets"]))
            if exported["commitment"] is not None:
                agent._commitment = dkg.dealer_commitment_from_json(exported["commitment"])
            agent._received = {
                int(k): Scalar.decode(b64decode(v)) for k, v in exported["received"].items()
            }
            agent._complained = {int(i) for i in exported["complained"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise SimulationError(
                "teller_secrets_invalid", f"cannot restore a teller: {exc}"
            ) from None
        return agent

    def enroll(self, code: str, at: datetime) -> EnrollDelegation:
        """Redeem the enrollment code handed over at the appointment."""
        return EnrollDelegation(
            delegation_id=self.teller_id,
            enrollment_code_digest=code_digest(code),
            public_key=self.public_key,
            enrolled_at=at,
        )

    def _index(self, state: SessionState) -> int:
        teller = state.tellers.get(self.teller_id)
        if teller is None:
            raise TellerRefusal("not_a_teller", f"{self.teller_id} is not a teller here")
        return teller.index

    def _sign(self, state: SessionState, message: crypto_port.CeremonyMessage) -> bytes:
        return self.signing_key.sign(ceremony_signing_message(ceremony_context(state), message))

    # -- the key ceremony --------------------------------------------------------------------

    def ceremony_step(self, view: PublicView) -> list[Command]:
        """What this teller sends now in the key ceremony (``[]``: nothing yet, or done)."""
        state = view.state
        teller = state.tellers.get(self.teller_id)
        ceremony = state.ceremony
        if teller is None or teller.public_key != self.public_key or ceremony.published:
            return []
        index, ctx = teller.index, ceremony_context(state)
        if index not in ceremony.commitments:
            if self._commitment is None:
                self._secrets, self._commitment = dkg.new_dealer(
                    ctx, index, self.entropy.scalars(f"dealer/{self.teller_id}")
                )
            return [
                SubmitKeyCommitment(
                    teller_id=self.teller_id,
                    commitment=json_copy(dkg.dealer_commitment_to_json(self._commitment)),
                    signature=self._sign(state, self._commitment),
                )
            ]
        secrets = self._require_secrets()
        n = len(state.tellers)
        if len(ceremony.commitments) < n:
            return []
        if index not in ceremony.dealt:
            shares = dkg.deal(
                ctx,
                secrets,
                ceremony.commitments,
                rng=self.entropy.scalars(f"deal/{self.teller_id}"),
            )
            return [
                DealKeyShares(
                    teller_id=self.teller_id,
                    shares=tuple(
                        SignedShareIn(
                            share=json_copy(dkg.encrypted_share_to_json(s)),
                            signature=self._sign(state, s),
                        )
                        for s in shares
                    ),
                )
            ]
        if len(ceremony.dealt) < n:
            return []
        out: list[Command] = []
        for dealer, shares in ceremony.dealt.items():
            if dealer == index or dealer in self._received or dealer in self._complained:
                continue
            mine = [s for s in shares if s.recipient == index]
            try:
                if dealer in self.complain_about or len(mine) != 1:
                    raise dkg.ShareRejected("complaint requested", dealer=dealer)
                self._received[dealer] = dkg.open_share(
                    ctx, secrets, mine[0], ceremony.commitments[dealer]
                )
            except dkg.DkgError:
                complaint = dkg.Complaint(index, dealer)
                self._complained.add(dealer)
                out.append(
                    FileKeyComplaint(
                        teller_id=self.teller_id,
                        complaint=json_copy(dkg.complaint_to_json(complaint)),
                        signature=self._sign(state, complaint),
                    )
                )
        answered = {(a.accuser, a.accused) for a in ceremony.answers}
        for complaint in ceremony.complaints:
            if complaint.accused == index and (complaint.accuser, index) not in answered:
                answer = dkg.answer_complaint(secrets, complaint)
                out.append(
                    AnswerKeyComplaint(
                        teller_id=self.teller_id,
                        answer=json_copy(dkg.complaint_answer_to_json(answer)),
                        signature=self._sign(state, answer),
                    )
                )
        return out

    def _require_secrets(self) -> dkg.DealerSecrets:
        if self._secrets is None:
            raise SimulationError(
                "ceremony_secrets_missing",
                f"{self.teller_id} committed in an earlier run; its dealer secrets are gone",
            )
        return self._secrets

    def key_share(self, view: PublicView) -> Scalar:
        """This teller's share of the election key, once the key is published (checked
        against the published verification key)."""
        if self._key_share is not None:
            return self._key_share
        state = view.state
        ceremony = state.ceremony
        if not ceremony.published:
            raise TellerRefusal("key_share_missing", "the election key is not published yet")
        secrets = self._require_secrets()
        index, ctx = self._index(state), ceremony_context(state)
        received: dict[int, Scalar] = {}
        for dealer in ceremony.qualified:
            if dealer == index:
                received[dealer] = dkg.own_share(secrets)
            elif dealer in self._received:
                received[dealer] = self._received[dealer]
            else:
                revealed = [
                    a.share
                    for a in ceremony.answers
                    if a.accused == dealer
                    and a.accuser == index
                    and dkg.verify_revealed_share(ctx, ceremony.commitments[dealer], index, a.share)
                ]
                if not revealed:
                    raise TellerRefusal(
                        "key_share_missing", f"no valid share from qualified dealer {dealer}"
                    )
                received[dealer] = revealed[0]
        share = dkg.combine_key_share(received, qual=set(ceremony.qualified))
        dealers = {i: c for i, c in ceremony.commitments.items() if i in ceremony.dealt}
        try:
            dkg.verify_key_share(dealers, set(ceremony.qualified), index, share)
        except dkg.DkgError as exc:
            raise TellerRefusal("key_share_invalid", str(exc)) from None
        published = ceremony.verification_keys.get(index)
        if published is None or published != Point.base_mul(share):
            raise TellerRefusal(
                "key_share_invalid", "the published verification key is not this key share's"
            )
        self._key_share = share
        return share

    # -- decryption --------------------------------------------------------------------------

    def check_round(self, view: PublicView, round_number: int) -> None:
        """Re-check a closed round before decrypting: the committed count, ballots root and
        aggregate must be exactly those of the ballots in the log (this teller's own fold),
        with at least ``min_tally`` ballots and (if the view verifies them) no invalid one.
        Raises :class:`TellerRefusal`."""
        state = view.state
        current = state.current_round
        if current is None or current.number != round_number or current.status != "closed":
            if (
                current is not None
                and current.number == round_number
                and current.status == "voided"
            ):
                raise TellerRefusal("round_voided", f"round {round_number} is void")
            raise TellerRefusal("round_not_closed", f"round {round_number} is not closed")
        committed = view.closed.get(round_number)
        if committed is None:
            raise TellerRefusal("round_not_closed", f"round {round_number} has no commitment")
        if committed.ballot_count != current.ballot_count:
            raise TellerRefusal(
                "ballot_count_mismatch",
                f"{committed.ballot_count} committed, {current.ballot_count} in the log",
            )
        root = crypto_port.merkle_root(current.ballot_count, current.merkle_peaks)
        if not hmac.compare_digest(root, committed.ballots_root):
            raise TellerRefusal("ballot_set_mismatch", "the ballots root differs")
        mine = crypto_port.aggregate_to_pairs(current.aggregate.value())
        theirs = tuple((pair.alpha, pair.beta) for pair in committed.aggregate)
        if mine != theirs:
            raise TellerRefusal("aggregate_mismatch", "the committed aggregate differs")
        if current.ballot_count < state.settings.min_tally:
            raise TellerRefusal(
                "below_min_tally",
                f"{current.ballot_count} ballots, fewer than {state.settings.min_tally}",
            )
        invalid = view.invalid_ballots.get(round_number)
        if invalid:
            raise TellerRefusal("invalid_ballots", f"invalid ballots from {', '.join(invalid)}")

    def decrypt(self, view: PublicView, round_number: int) -> SubmitDecryptionShare:
        """This teller's decryption share of a closed round's aggregate, after
        :meth:`check_round`. Raises :class:`TellerRefusal`."""
        self.check_round(view, round_number)
        state = view.state
        current = state.current_round
        assert current is not None
        index = self._index(state)
        share = self.key_share(view)
        vk = state.ceremony.verification_keys[index]
        decryption = ct.compute_share(
            ct.TallyContext(state.session_id, current.number, current.options),
            current.aggregate.value(),
            index,
            share,
            vk,
            self.entropy.scalars(f"decrypt/{self.teller_id}/{round_number}"),
        )
        return SubmitDecryptionShare(
            teller_id=self.teller_id,
            round_number=round_number,
            share=json_copy(ct.share_to_json(decryption)),
        )

"""The auditor's checks: stable identifiers, what each means, and how a departure from the
rules found by :class:`~ballot.domain.rederive.Rederiver` is named.

Check names are part of the interface (``--json`` reports, ``docs/audit.md``): they never change
meaning. A name is ``<area>.<what>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ballot.domain import Refusal
from ballot.domain.rederive import SHARE_OF_ANOTHER_AGGREGATE, Discrepancy

_CHECKS: dict[str, str] = {
    # the export itself
    "log.line": "every line is an exported event in canonical JSON form",
    "log.incomplete": "the log goes on until the session concluded (elected or adjourned)",
    "log.truncated": "the log reaches every checkpoint you already hold",
    "event.schema": "every payload is a known event type that fits its schema",
    # the hash chain
    "chain.position": "positions are 1, 2, 3, … without gaps",
    "chain.log_id": "every event belongs to the same log",
    "chain.prev_hash": "each prev_hash is the previous event's hash",
    "chain.hash": "each hash is SHA-256 of the event's canonical bytes and prev_hash",
    "chain.stream_version": "stream versions are 1, 2, 3, … in every stream",
    # checkpoints
    "checkpoint.key": "the session has a checkpoint key (the one you expect, if given)",
    "checkpoint.position": "a checkpoint covers an earlier position, after the previous one",
    "checkpoint.head": "a checkpoint's head_hash is the hash of the event at its position",
    "checkpoint.root": "a checkpoint's log_root is the Merkle root of the log up to it",
    "checkpoint.signature": "a checkpoint is signed by the session's checkpoint key",
    "checkpoint.consistency": "the log extends every checkpoint you already hold",
    "checkpoint.missing": "a signed checkpoint covers every event of the log",
    # the session, its roll and candidates
    "session.settings": "the session was convened once, with valid settings",
    "session.sequence": "nothing happens before the session is convened",
    "session.concluded": "nothing happens after the election or the adjournment",
    "roll.member": "member states are registered once and exist when referred to",
    "roll.credentials": "credentials and enrollment codes are recorded as the rules say",
    "roll.enrollment": "each key is enrolled with a valid, unused, unexpired code",
    "roll.voting_rights": "voting-rights changes are valid",
    "roll.eligibility": "each round's electoral roll is exactly the eligible members",
    "candidates.nomination": "candidates are nominated while nominations are open",
    "candidates.withdrawal": "withdrawals happen between rounds, by standing candidates",
    # the key ceremony
    "ceremony.appointment": "the tellers are appointed as the settings say",
    "ceremony.message": "every ceremony message is well formed, in order, and its proofs verify",
    "ceremony.signature": "every ceremony message is signed by its teller's enrolled key",
    "ceremony.key": "the election key, QUAL and verification keys follow from the ceremony",
    # rounds
    "round.sequence": "rounds open and close in order, one at a time",
    "round.quorum": "a round opens only with quorum, and its quorum figures are right",
    "round.options": "a round's kind and options are the ones the rules give",
    "round.election_key": "a round uses the published election key",
    "round.opened": "a round's opening is recorded as the rules give it",
    "round.lots_seed": "a lots seed is committed before and revealed after, and matches",
    "round.ballot_set": "the committed ballot count and root are exactly the round's cast ballots",
    "round.aggregate": "the committed aggregate is the homomorphic sum of exactly those ballots",
    "round.closed": "a round's closing is recorded as the rules give it",
    "round.min_tally": "a round with too few ballots is voided, never decrypted",
    "round.void": "only an open or closed, untallied round is voided",
    # ballots
    "ballot.eligibility": "ballots come only from enrolled delegations on the round's roll",
    "ballot.round_open": "ballots are cast only while their round is open",
    "ballot.malformed": "every ballot decodes for its round's options",
    "ballot.proof": "every ballot's proofs verify in its round's and delegation's context",
    "ballot.signature": "every ballot is signed by its delegation's enrolled key",
    "ballot.duplicate": "at most one ballot per delegation per round",
    "ballot.tracking_code": "every recorded tracking code is the ballot's own",
    "ballot.spoiled": "no cast ballot reuses the encryption of a ballot checked in its round",
    # decryption and tally
    "share.round": "decryption shares come only for a round awaiting its tally",
    "share.malformed": "every decryption share decodes, for its teller, with one part per option",
    "share.proof": "every decryption share's proofs verify against the committed aggregate",
    "share.aggregate": "every decryption share is of its round's committed aggregate",
    "share.duplicate": "one decryption share per teller per round",
    "tally.combination": "the counts combine from threshold valid shares and add up",
    "tally.counts": "the published counts, blank and valid figures are the decrypted ones",
    # decisions
    "decision.majority": "the majority required and the decision are the rules'",
    "decision.elimination": "eliminations and ties are the rules'",
    "decision.lots": "a drawing of lots is re-derived from the committed seed",
    "decision.elected": "an election (by ballot, confirmation or acclamation) is the rules'",
    "decision.confirmation": "a failed confirmation is the rules'",
    "decision.missing": "every decision the rules give is recorded",
    "decision.unexpected": "every recorded decision follows from a recorded act",
    # receipts
    "receipt.unknown": "the receipt's tracking code is in the log",
    "receipt.ballot_set": "the receipt's ballot is in its round's committed ballot set",
    "receipt.inclusion": "the receipt's ballot is included in the next signed checkpoint",
    "receipt.uncovered": "a signed checkpoint covers the receipt's ballot",
    "checkpoint.unwitnessed": "every checkpoint is cosigned by as many witnesses as the "
    "session's settings require",
    "receipt.signature": "a signed receipt is signed by the session's checkpoint key",
    "receipt.session": "a signed receipt is of this session",
    "receipt.omitted": "the log reaches the position a signed receipt names",
    "receipt.rewritten": "the log holds, at a signed receipt's position, the ballot and chain "
    "hash the server signed",
    # checked (challenged) ballots a delegation asks about
    "challenge.unknown": "a checked ballot's tracking code is in the log",
    "challenge.session": "a checked ballot is recorded in the session, round and delegation its "
    "file names",
    "challenge.mismatch": "a checked ballot held the option the delegation chose",
    # anything else the rules refuse, and the unforeseen
    "rules.refused": "every recorded act is one the rules allow",
    "rules.error": "every event can be checked at all",
}

#: Every check name with what it verifies (read-only).
CHECKS: Final[Mapping[str, str]] = MappingProxyType(_CHECKS)

#: Refusal codes of the rules → check name (before the per-event-type overrides below).
_BY_REFUSAL: Final[dict[str, str]] = {
    "session_not_convened": "session.sequence",
    "session_already_convened": "session.settings",
    "already_elected": "session.concluded",
    "session_adjourned": "session.concluded",
    "round_in_progress": "round.sequence",
    "duplicate_id": "roll.member",
    "unknown_member": "roll.member",
    "observer_has_no_vote": "roll.voting_rights",
    "invalid_voting_rights": "roll.voting_rights",
    "credentials_not_accepted": "roll.enrollment",
    "enrollment_code_invalid": "roll.enrollment",
    "enrollment_code_used": "roll.enrollment",
    "enrollment_code_expired": "roll.enrollment",
    "invalid_public_key": "roll.enrollment",
    "unknown_delegation": "roll.enrollment",
    "nominations_closed": "candidates.nomination",
    "unknown_candidate": "candidates.withdrawal",
    "candidate_not_standing": "candidates.withdrawal",
    "not_sole_candidate": "decision.elected",
    "confirmation_required": "decision.elected",
    "tellers_already_appointed": "ceremony.appointment",
    "wrong_teller_count": "ceremony.appointment",
    "tellers_not_appointed": "ceremony.message",
    "unknown_teller": "ceremony.message",
    "teller_not_enrolled": "ceremony.message",
    "ceremony_closed": "ceremony.message",
    "ceremony_out_of_order": "ceremony.message",
    "duplicate_ceremony_message": "ceremony.message",
    "invalid_ceremony_message": "ceremony.message",
    "not_enough_qualified_tellers": "ceremony.key",
    "election_key_missing": "round.sequence",
    "wrong_round_number": "round.sequence",
    "no_quorum": "round.quorum",
    "no_candidates": "round.sequence",
    "sole_candidate": "round.sequence",
    "lots_commitment_required": "round.lots_seed",
    "lots_seed_required": "round.lots_seed",
    "lots_seed_mismatch": "round.lots_seed",
    "lots_seed_unexpected": "round.lots_seed",
    "round_not_open": "round.sequence",
    "round_not_closed": "share.round",
    "round_not_voidable": "round.void",
    "not_eligible": "ballot.eligibility",
    "not_enrolled": "ballot.eligibility",
    "already_voted": "ballot.duplicate",
    "ballot_spoiled": "ballot.spoiled",
    "malformed_ballot": "ballot.malformed",
    "invalid_ballot": "ballot.proof",
    "invalid_signature": "ballot.signature",
    "share_already_submitted": "share.duplicate",
    "malformed_share": "share.malformed",
    "invalid_share": "share.proof",
    "tally_inconsistent": "tally.combination",
    "invalid_checkpoint": "checkpoint.signature",
}

#: ``(refusal code, event type)`` → check name, where the event decides the meaning.
_BY_REFUSAL_AND_EVENT: Final[dict[tuple[str, str], str]] = {
    ("round_not_open", "BallotCast"): "ballot.round_open",
    ("invalid_signature", "KeyCeremonyCommitted"): "ceremony.signature",
    ("invalid_signature", "KeyCeremonySharesDealt"): "ceremony.signature",
    ("invalid_signature", "KeyCeremonyComplaintFiled"): "ceremony.signature",
    ("invalid_signature", "KeyCeremonyComplaintAnswered"): "ceremony.signature",
    ("duplicate_id", "CandidateNominated"): "candidates.nomination",
    ("duplicate_id", "TellersAppointed"): "ceremony.appointment",
    ("unknown_member", "CandidateNominated"): "candidates.nomination",
    ("invalid_public_key", "SessionConvened"): "checkpoint.key",
    ("round_in_progress", "CandidateNominated"): "candidates.nomination",
    ("round_in_progress", "CandidateWithdrawn"): "candidates.withdrawal",
    ("round_in_progress", "CandidateElected"): "decision.elected",
    ("unknown_candidate", "CandidateElected"): "decision.elected",
    ("candidate_not_standing", "CandidateElected"): "decision.elected",
    ("already_elected", "CheckpointSigned"): "checkpoint.position",
}

#: Event type → check name for a recorded decision that differs from the rules', with the
#: fields that select a more precise name (the first matching group wins per field).
_BY_FIELD: Final[dict[str, tuple[tuple[frozenset[str], str], ...]]] = {
    "SessionConvened": ((frozenset(), "session.settings"),),
    "CredentialsAccepted": ((frozenset(), "roll.credentials"),),
    "DelegationEnrolled": ((frozenset(), "roll.enrollment"),),
    "TellersAppointed": ((frozenset(), "ceremony.appointment"),),
    "KeyCeremonyCommitted": ((frozenset(), "ceremony.message"),),
    "KeyCeremonySharesDealt": ((frozenset(), "ceremony.message"),),
    "KeyCeremonyComplaintFiled": ((frozenset(), "ceremony.message"),),
    "KeyCeremonyComplaintAnswered": ((frozenset(), "ceremony.message"),),
    "ElectionKeyPublished": ((frozenset(), "ceremony.key"),),
    "RoundOpened": (
        (frozenset({"roll"}), "roll.eligibility"),
        (frozenset({"present", "quorum_base"}), "round.quorum"),
        (frozenset({"kind", "options", "candidate"}), "round.options"),
        (frozenset({"election_key"}), "round.election_key"),
        (frozenset({"lots_commitment"}), "round.lots_seed"),
        (frozenset(), "round.opened"),
    ),
    "BallotCast": (
        (frozenset({"tracking_code"}), "ballot.tracking_code"),
        (frozenset(), "ballot.signature"),
    ),
    "RoundClosed": (
        (frozenset({"ballot_count", "ballots_root"}), "round.ballot_set"),
        (frozenset({"aggregate"}), "round.aggregate"),
        (frozenset({"lots_seed"}), "round.lots_seed"),
        (frozenset(), "round.closed"),
    ),
    "DecryptionShareSubmitted": ((frozenset(), "share.malformed"),),
    "RoundTallied": (
        (frozenset({"counts", "blank", "valid"}), "tally.counts"),
        (frozenset({"required", "decision", "elected"}), "decision.majority"),
        (frozenset({"eliminated", "eliminated_by", "tied"}), "decision.elimination"),
        (frozenset({"kind"}), "round.options"),
        (frozenset(), "tally.counts"),
    ),
    "CandidateEliminated": ((frozenset(), "decision.elimination"),),
    "LotsDrawn": ((frozenset(), "decision.lots"),),
    "CandidateElected": ((frozenset(), "decision.elected"),),
    "ConfirmationFailed": ((frozenset(), "decision.confirmation"),),
    "RoundVoided": ((frozenset(), "round.min_tally"),),
    "CandidateWithdrawn": ((frozenset(), "candidates.withdrawal"),),
    "CandidateNominated": ((frozenset(), "candidates.nomination"),),
    "MemberStateRegistered": ((frozenset(), "roll.member"),),
    "PresenceRecorded": ((frozenset(), "roll.member"),),
    "VotingRightsChanged": ((frozenset(), "roll.voting_rights"),),
    "CheckpointSigned": ((frozenset(), "checkpoint.signature"),),
    "SessionAdjourned": ((frozenset(), "session.concluded"),),
}


#: ``(refusal code, detail["reason"])`` → check name, where the reason is more specific.
_BY_REFUSAL_AND_REASON: Final[dict[tuple[str, str], str]] = {
    ("invalid_share", SHARE_OF_ANOTHER_AGGREGATE): "share.aggregate",
}


def refusal_check(code: str, event_type: str, reason: object = None) -> str:
    """The check a refused act fails (``reason``: the refusal's ``detail["reason"]``)."""
    if isinstance(reason, str) and (code, reason) in _BY_REFUSAL_AND_REASON:
        return _BY_REFUSAL_AND_REASON[code, reason]
    return _BY_REFUSAL_AND_EVENT.get((code, event_type)) or _BY_REFUSAL.get(code, "rules.refused")


def _refused_check(refusal: Refusal, event_type: str) -> str:
    return refusal_check(refusal.code, event_type, refusal.detail.get("reason"))


def _differing_fields(discrepancy: Discrepancy) -> set[str]:
    expected, recorded = discrepancy.expected, discrepancy.recorded
    if expected is None or recorded is None:
        return set()
    want, got = expected.model_dump(), recorded.model_dump()
    return {name for name in want.keys() | got.keys() if want.get(name) != got.get(name)}


def discrepancy_failures(discrepancy: Discrepancy) -> list[tuple[str, str]]:
    """The ``(check, message)`` pairs a :class:`Discrepancy` fails, most specific first —
    for a refused ballot, in the order its checks run: the refusal (every failing proof,
    named in one), then what its checks found after it (its signature)."""
    checks = discrepancy_checks(discrepancy)
    if discrepancy.kind != "refused":
        return [(check, discrepancy.message) for check in checks]
    messages = [discrepancy.message] + [
        f"{discrepancy.event_type} fails this too: {refusal}" for refusal in discrepancy.further
    ]
    return list(zip(checks, messages, strict=True))


def discrepancy_checks(discrepancy: Discrepancy) -> list[str]:
    """The checks a :class:`Discrepancy` fails (one or more, most specific first)."""
    kind, event_type = discrepancy.kind, discrepancy.event_type
    if kind == "refused":
        assert discrepancy.refusal is not None
        return [
            _refused_check(refusal, event_type)
            for refusal in (discrepancy.refusal, *discrepancy.further)
        ]
    if kind == "missing":
        return ["round.min_tally" if event_type == "RoundVoided" else "decision.missing"]
    if kind == "unexpected":
        recorded = discrepancy.recorded
        if event_type == "RoundVoided" and getattr(recorded, "reason", None) == "below_min_tally":
            return ["round.min_tally"]
        if event_type == "BallotCast":
            # The rules give nothing for a ballot only when it is the very ballot its
            # delegation already deposited: a copy replayed into the log, not a decision.
            return ["ballot.duplicate"]
        return ["decision.unexpected"]
    fields = _differing_fields(discrepancy)
    names: list[str] = []
    for selector, name in _BY_FIELD.get(event_type, ((frozenset(), "rules.refused"),)):
        if (not selector or selector & fields) and name not in names:
            names.append(name)
            fields -= selector
            if not fields:
                break
    return names

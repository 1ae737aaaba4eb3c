"""The domain's one doorway to the ``crypto`` package.

Every cryptographic check the rules need — decoding a ballot, its signature, its proofs, a
decryption share, a key-ceremony message — goes through a function here that turns the
crypto package's own exceptions into domain :class:`~ballot.domain.errors.Refusal`\\ s with
stable codes. The rules in :mod:`ballot.domain.decide` stay readable, and the auditor runs the
very same checks.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from ballot.domain.errors import Refusal
from crypto import ballot as cb
from crypto import challenge, dkg, merkle
from crypto import tally as ct
from crypto.aggregate import RunningAggregate
from crypto.elgamal import Ciphertext
from crypto.errors import CryptoError
from crypto.group import GroupError, Point
from crypto.signing import (
    InvalidKey,
    InvalidSignature,
    SigningError,
    VerifyKey,
    checkpoint_message,
    cosignature_message,
    signing_message,
)


@functools.lru_cache(maxsize=4096)
def _decoded_key(public_key: bytes) -> VerifyKey:
    # Strict decoding checks subgroup membership in pure Python (about 1.5 ms); a session has
    # a few hundred keys used thousands of times, and decoding is a pure function of the bytes.
    return VerifyKey.decode(public_key)


def verify_key(public_key: bytes, what: str = "public key") -> VerifyKey:
    """A strict Ed25519 verification key, or the refusal ``invalid_public_key``."""
    try:
        return _decoded_key(bytes(public_key))
    except InvalidKey as exc:
        raise Refusal("invalid_public_key", f"{what}: {exc}") from None


@functools.lru_cache(maxsize=4096)
def ballot_context(
    session_id: str,
    round_number: int,
    election_key: Point,
    delegation_id: str,
    options: tuple[str, ...],
) -> cb.BallotContext:
    """The Fiat–Shamir context of one delegation's ballot in one round (memoized: a pure
    function of frozen values, needed by the check, the rules and the fold of every cast)."""
    return cb.BallotContext(session_id, round_number, election_key, delegation_id, options)


def ballot_text(ballot_json: Mapping[str, Any]) -> str:
    """The ballot as compact JSON text with sorted keys (what crosses to a worker: one string
    pickles far more cheaply than the tree it encodes), or the refusal ``malformed_ballot``."""
    try:
        return json.dumps(ballot_json, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise Refusal("malformed_ballot", f"not JSON: {exc}", reason="ballot_malformed") from None


def parse_ballot(ballot_json: Mapping[str, Any], n_options: int) -> cb.EncryptedBallot:
    """Decode a ballot for a round of ``n_options`` options, validating every point and
    scalar (~0.4 ms), or refuse ``malformed_ballot``."""
    try:
        ballot = cb.ballot_from_json(ballot_json)
    except cb.InvalidBallot as exc:
        raise Refusal("malformed_ballot", str(exc), reason=exc.code) from None
    if ballot.n_options != n_options:
        raise Refusal(
            "malformed_ballot",
            f"the round has {n_options} options, the ballot {ballot.n_options}",
            reason="ballot_option_count",
        )
    return ballot


def parse_ballot_text(text: str, n_options: int) -> cb.EncryptedBallot:
    """:func:`parse_ballot` of a ballot's :func:`ballot_text`."""
    try:
        ballot_json = json.loads(text)
    except ValueError as exc:
        raise Refusal("malformed_ballot", f"not JSON: {exc}", reason="ballot_malformed") from None
    return parse_ballot(ballot_json, n_options)


def check_ballot_proofs(ctx: cb.BallotContext, ballot: cb.EncryptedBallot) -> None:
    """Verify a ballot's proofs in its context, or refuse ``invalid_ballot`` (the crypto
    reason, e.g. ``ballot_proof_invalid``, is in ``detail["reason"]``)."""
    try:
        cb.verify_ballot(ctx, ballot)
    except cb.InvalidBallot as exc:
        raise Refusal("invalid_ballot", str(exc), reason=exc.code) from None


def ballot_proofs_refusal(ctx: cb.BallotContext, ballot: cb.EncryptedBallot) -> Refusal | None:
    """Every proof of ``ballot`` that fails in ``ctx``, named in one ``invalid_ballot``
    refusal (``None``: they all hold). :func:`check_ballot_proofs` stops at the first; a
    verifier reports them all (costs a full verification: only for a ballot already failed)."""
    failures = cb.ballot_failures(ctx, ballot)
    if not failures:
        return None
    return Refusal(
        "invalid_ballot",
        "; ".join(str(failure) for failure in failures),
        reason=failures[0].code,
        failed=len(failures),
    )


def ballot_signing_message(ctx: cb.BallotContext, ballot: cb.EncryptedBallot) -> bytes:
    """The bytes a delegation signs for ``ballot`` (and its tracking hash covers)."""
    return cb.signing_message(ctx, ballot)


def signature_holds(key: VerifyKey, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``message`` verifies under ``key`` (never raises).

    Takes the decoded key: strict decoding costs ~1.5 ms, so a worker process is handed the
    key the server decoded (and validated) when the delegation enrolled."""
    try:
        key.verify(message, signature)
    except (InvalidSignature, ValueError):
        return False
    return True


def check_ballot_signature(
    public_key: bytes, ctx: cb.BallotContext, ballot: cb.EncryptedBallot, signature: bytes
) -> None:
    """Verify the delegation's Ed25519 signature over the ballot's signing message, or
    refuse ``invalid_signature``."""
    try:
        _decoded_key(bytes(public_key)).verify(cb.signing_message(ctx, ballot), signature)
    except SigningError as exc:
        raise Refusal(
            "invalid_signature", f"ballot signature: {exc}", delegation=ctx.delegation_id
        ) from None


def tracking_hash_of(message: bytes, signature: bytes) -> bytes:
    """The tracking hash of a ballot from its signing message and signature."""
    return cb.tracking_hash_of_message(message, signature)


def tracking_digest(ctx: cb.BallotContext, ballot: cb.EncryptedBallot, signature: bytes) -> bytes:
    """The tracking hash of a signed ballot."""
    return cb.tracking_hash_of_message(cb.signing_message(ctx, ballot), signature)


def empty_aggregate(n_options: int) -> RunningAggregate:
    """The aggregate of no ballots."""
    return RunningAggregate.empty(n_options)


def add_to_aggregate(running: RunningAggregate, ballot: cb.EncryptedBallot) -> RunningAggregate:
    """The running per-option aggregate with one more ballot (summed later, lazily)."""
    return running.plus(ballot.ciphertexts)


def aggregate_to_pairs(aggregate: Sequence[Ciphertext]) -> tuple[tuple[bytes, bytes], ...]:
    """The aggregate as ``(alpha, beta)`` encodings, for ``RoundClosed``."""
    return tuple((ct.alpha.encode(), ct.beta.encode()) for ct in aggregate)


def aggregate_from_pairs(pairs: Sequence[tuple[bytes, bytes]]) -> tuple[Ciphertext, ...]:
    """Inverse of :func:`aggregate_to_pairs` (identity allowed: a sum may be anything)."""
    try:
        return tuple(
            Ciphertext(Point.decode(a, allow_identity=True), Point.decode(b, allow_identity=True))
            for a, b in pairs
        )
    except GroupError as exc:
        raise ValueError(f"aggregate: {exc}") from None


def merkle_append(size: int, peaks: tuple[bytes, ...], item_hash: bytes) -> tuple[bytes, ...]:
    """The right-edge peaks of the RFC 9162 tree after appending the leaf ``item_hash``.

    Leaves are ``leaf_hash(tracking_hash)`` in log order.
    """
    acc = merkle.MerkleAccumulator.restore(size, peaks)
    acc.append(merkle.leaf_hash(item_hash))
    return acc.peaks


def merkle_root(size: int, peaks: tuple[bytes, ...]) -> bytes:
    """The RFC 9162 root of the tree summarised by ``peaks`` (``SHA-256("")`` if empty)."""
    return merkle.MerkleAccumulator.restore(size, peaks).root()


def check_challenge(
    ctx: cb.BallotContext, ballot: cb.EncryptedBallot, reveal: Mapping[str, Any]
) -> int:
    """That the opened ``ballot`` encrypts exactly the revealed choice (its index returned),
    or the refusal ``invalid_challenge`` (``detail.reason``: ``challenge_malformed``,
    ``challenge_mismatch``, ``ballot_proof_invalid``)."""
    try:
        opened = challenge.BallotReveal.from_json(dict(reveal))
        challenge.check_reveal(ctx, ballot, opened)
    except cb.InvalidBallot as exc:
        raise Refusal("invalid_challenge", str(exc), reason=exc.code) from None
    return opened.choice


def check_checkpoint(
    key: bytes, position: int, head_hash: bytes, log_root: bytes, signature: bytes
) -> None:
    """Verify a checkpoint signature under the session's checkpoint key."""
    try:
        _decoded_key(bytes(key)).verify(
            checkpoint_message(position, head_hash, log_root), signature
        )
    except (InvalidSignature, InvalidKey, ValueError) as exc:
        raise Refusal("invalid_checkpoint", f"checkpoint signature: {exc}") from None


def check_cosignature(
    key: bytes,
    session_id: str,
    position: int,
    head_hash: bytes,
    log_root: bytes,
    signature: bytes,
) -> None:
    """Verify a witness's cosignature of a checkpoint under the witness's key."""
    try:
        _decoded_key(bytes(key)).verify(
            cosignature_message(session_id, position, head_hash, log_root), signature
        )
    except (InvalidSignature, InvalidKey, ValueError) as exc:
        raise Refusal("invalid_cosignature", f"cosignature: {exc}") from None


# -- tally -----------------------------------------------------------------------------------


def tally_context(session_id: str, round_number: int, options: tuple[str, ...]) -> ct.TallyContext:
    """What a round's decryption proofs are bound to."""
    return ct.TallyContext(session_id, round_number, options)


def parse_share(
    share_json: Mapping[str, Any], teller_index: int, n_options: int, teller_id: str
) -> ct.DecryptionShare:
    """Decode a teller's decryption share, or refuse ``malformed_share`` naming the teller."""
    try:
        share = ct.share_from_json(dict(share_json))
    except GroupError as exc:
        raise Refusal("malformed_share", str(exc), teller=teller_id) from None
    if share.teller_index != teller_index:
        raise Refusal(
            "malformed_share",
            f"the share is for teller index {share.teller_index}, {teller_id} is {teller_index}",
            teller=teller_id,
        )
    if len(share.partials) != n_options:
        raise Refusal(
            "malformed_share",
            f"the round has {n_options} options, the share "
            f"{len(share.partials)} partial decryptions",
            teller=teller_id,
        )
    return share


def check_share(
    ctx: ct.TallyContext,
    aggregate: Sequence[Ciphertext],
    share: ct.DecryptionShare,
    verification_key: Point,
    teller_id: str,
) -> None:
    """Verify a share against the committed aggregate and the teller's verification key, or
    refuse ``invalid_share`` naming the teller."""
    try:
        ct.verify_share(ctx, aggregate, share, verification_key)
    except ct.InvalidShare as exc:
        raise Refusal(
            "invalid_share", str(exc), teller=teller_id, teller_index=exc.teller_index
        ) from None


def combine_shares(
    aggregate: Sequence[Ciphertext], shares: Sequence[ct.DecryptionShare], max_count: int
) -> tuple[int, ...]:
    """The counts per option from ``threshold`` verified shares (``tally_inconsistent`` if
    they do not decrypt to counts in ``[0, max_count]``)."""
    try:
        return ct.combine(aggregate, shares, max_count)
    except ct.TallyError as exc:
        raise Refusal("tally_inconsistent", str(exc), reason=exc.code) from None


# -- key ceremony ------------------------------------------------------------------------------

#: Purposes of the tellers' Ed25519 signatures over ceremony messages.
CEREMONY_PURPOSES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "commitment": "dkg/signed-commitment",
        "share": "dkg/signed-share",
        "complaint": "dkg/signed-complaint",
        "answer": "dkg/signed-answer",
    }
)

CeremonyMessage = dkg.DealerCommitment | dkg.EncryptedShare | dkg.Complaint | dkg.ComplaintAnswer


def ceremony_context(session_id: str, tellers: int, threshold: int) -> dkg.CeremonyContext:
    """The session's key-ceremony context (one ceremony per session)."""
    return dkg.CeremonyContext(session_id, tellers, threshold)


def _purpose(message: CeremonyMessage) -> str:
    if isinstance(message, dkg.DealerCommitment):
        return CEREMONY_PURPOSES["commitment"]
    if isinstance(message, dkg.EncryptedShare):
        return CEREMONY_PURPOSES["share"]
    if isinstance(message, dkg.Complaint):
        return CEREMONY_PURPOSES["complaint"]
    return CEREMONY_PURPOSES["answer"]


def ceremony_signing_message(ctx: dkg.CeremonyContext, message: CeremonyMessage) -> bytes:
    """The bytes a teller signs (Ed25519) to send a key-ceremony message.

    ``frame("ballot/v1/dkg/signed-<kind>", ctx.encode(), message.encode())`` with ``<kind>``
    one of ``commitment``, ``share``, ``complaint``, ``answer``.
    """
    return signing_message(_purpose(message), ctx.encode(), message.encode())


def check_teller_signature(
    public_key: bytes,
    ctx: dkg.CeremonyContext,
    message: CeremonyMessage,
    signature: bytes,
    teller_id: str,
) -> None:
    """Verify a teller's signature over a ceremony message, or refuse ``invalid_signature``."""
    try:
        _decoded_key(bytes(public_key)).verify(ceremony_signing_message(ctx, message), signature)
    except SigningError as exc:
        raise Refusal(
            "invalid_signature", f"{teller_id}'s signature: {exc}", teller=teller_id
        ) from None


def _ceremony_refusal(exc: CryptoError, what: str, teller_id: str) -> Refusal:
    reason = exc.code
    return Refusal(
        "invalid_ceremony_message", f"{what}: {exc}", teller=teller_id, reason=str(reason)
    )


def parse_commitment(obj: Mapping[str, Any], teller_id: str) -> dkg.DealerCommitment:
    """Decode a dealer commitment (structure only)."""
    try:
        return dkg.dealer_commitment_from_json(dict(obj))
    except CryptoError as exc:
        raise _ceremony_refusal(exc, "dealer commitment", teller_id) from None


def check_commitment(
    ctx: dkg.CeremonyContext, commitment: dkg.DealerCommitment, teller_id: str
) -> None:
    """Verify a dealer commitment's proofs and keys."""
    try:
        dkg.verify_commitment(ctx, commitment)
    except dkg.DkgError as exc:
        raise _ceremony_refusal(exc, "dealer commitment", teller_id) from None


def parse_encrypted_share(obj: Mapping[str, Any], teller_id: str) -> dkg.EncryptedShare:
    """Decode one encrypted share (structure only; only its recipient can open it)."""
    try:
        return dkg.encrypted_share_from_json(dict(obj))
    except CryptoError as exc:
        raise _ceremony_refusal(exc, "encrypted share", teller_id) from None


def parse_complaint(obj: Mapping[str, Any], teller_id: str) -> dkg.Complaint:
    """Decode a complaint."""
    try:
        return dkg.complaint_from_json(dict(obj))
    except CryptoError as exc:
        raise _ceremony_refusal(exc, "complaint", teller_id) from None


def parse_answer(obj: Mapping[str, Any], teller_id: str) -> dkg.ComplaintAnswer:
    """Decode a complaint answer."""
    try:
        return dkg.complaint_answer_from_json(dict(obj))
    except CryptoError as exc:
        raise _ceremony_refusal(exc, "complaint answer", teller_id) from None


def ceremony_result(
    ctx: dkg.CeremonyContext,
    commitments: Mapping[int, dkg.DealerCommitment],
    complaints: Sequence[dkg.Complaint],
    answers: Sequence[dkg.ComplaintAnswer],
) -> tuple[Point, tuple[int, ...], tuple[tuple[int, Point], ...]]:
    """``(election key, QUAL sorted, verification key of every teller 1..n)``.

    ``commitments`` are those of the dealers that both committed and dealt (a dealer that
    never dealt cannot be in QUAL: the others would lack its shares).
    """
    try:
        qual = dkg.qualified(commitments, complaints, answers)
        key = dkg.joint_public_key(commitments, qual)
        vks = tuple(
            (j, dkg.verification_key(commitments, qual, j)) for j in range(1, ctx.tellers + 1)
        )
    except dkg.NotEnoughQualifiedError as exc:
        raise Refusal("not_enough_qualified_tellers", str(exc)) from None
    except dkg.DkgError as exc:
        raise Refusal("invalid_ceremony_message", str(exc)) from None
    return key, tuple(sorted(qual)), vks

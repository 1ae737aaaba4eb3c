"""Tests for crypto/dkg.py: the dealerless k-of-n key ceremony."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.dkg import (
    CeremonyContext,
    CoefficientCountError,
    CommitmentProofError,
    Complaint,
    ComplaintAnswer,
    DealerCommitment,
    DealerSecrets,
    DkgContextError,
    DkgError,
    DkgIndexError,
    DkgMessageError,
    EncryptedShare,
    EncryptionKeyError,
    IdentityCommitmentError,
    KeyShareError,
    NotEnoughQualifiedError,
    ShareMisaddressedError,
    ShareRejected,
    answer_complaint,
    combine_key_share,
    complaint_answer_from_json,
    complaint_answer_to_json,
    complaint_from_json,
    complaint_to_json,
    deal,
    dealer_commitment_from_json,
    dealer_commitment_to_json,
    encrypted_share_from_json,
    encrypted_share_to_json,
    joint_public_key,
    new_dealer,
    open_share,
    own_share,
    qualified,
    verification_key,
    verify_commitment,
    verify_key_share,
    verify_revealed_share,
)
from crypto.elgamal import add_vectors, encrypt, zero_vector
from crypto.encoding import b64e
from crypto.group import Point, RandomScalars, Scalar, frame, seeded_scalars
from crypto.signing import open_with_passphrase, seal_with_passphrase
from crypto.tally import (
    TallyContext,
    TallyError,
    combine,
    compute_share,
    lagrange_coefficient,
    verify_share,
)

# -- a test harness that plays the whole ceremony ------------------------------------------


def lagrange_at_zero(indices: Sequence[int]) -> dict[int, Scalar]:
    """λ_i = Π_{j≠i} j / (j − i) mod L (local helper; crypto/tally.py has the real one)."""
    out: dict[int, Scalar] = {}
    for i in indices:
        num, den = Scalar.one(), Scalar.one()
        for j in indices:
            if j != i:
                num = num * Scalar.from_int(j)
                den = den * Scalar.from_int(j - i)
        out[i] = num * den.invert()
    return out


def combine_points(points: Mapping[int, Point]) -> Point:
    indices = sorted(points)
    acc = Point.identity()
    for i, coefficient in lagrange_at_zero(indices).items():
        assert coefficient == lagrange_coefficient(i, indices)  # agrees with crypto.tally
        acc = acc + points[i] * coefficient
    return acc


@dataclass
class Ceremony:
    ctx: CeremonyContext
    secrets: dict[int, DealerSecrets]
    commitments: dict[int, DealerCommitment]
    shares: dict[tuple[int, int], EncryptedShare]  # (dealer, recipient) -> share


def start(n: int, k: int, seed: bytes = b"dkg test", session: str = "session-1") -> Ceremony:
    ctx = CeremonyContext(session, n, k)
    rng = seeded_scalars(seed)
    secrets: dict[int, DealerSecrets] = {}
    commitments: dict[int, DealerCommitment] = {}
    for i in range(1, n + 1):
        secrets[i], commitments[i] = new_dealer(ctx, i, rng)
    for c in commitments.values():
        verify_commitment(ctx, c)
    shares: dict[tuple[int, int], EncryptedShare] = {}
    for i in range(1, n + 1):
        for s in deal(ctx, secrets[i], commitments, rng=rng):
            assert s.dealer == i
            shares[(i, s.recipient)] = s
    assert len(shares) == n * (n - 1)
    return Ceremony(ctx, secrets, commitments, shares)


def finish(
    c: Ceremony,
    complaints: Sequence[Complaint] = (),
    answers: Sequence[ComplaintAnswer] = (),
) -> tuple[frozenset[int], Point, dict[int, Scalar]]:
    """Every teller opens its shares (using revealed shares where complaints were upheld)."""
    qual = qualified(c.commitments, complaints, answers, ctx=c.ctx)
    revealed = {(a.accused, a.accuser): a.share for a in answers}
    key = joint_public_key(c.commitments, qual)
    key_shares: dict[int, Scalar] = {}
    for j in range(1, c.ctx.tellers + 1):
        received: dict[int, Scalar] = {}
        for i in qual:
            if i == j:
                received[i] = own_share(c.secrets[j])
            elif (i, j) in revealed:
                received[i] = revealed[(i, j)]
            else:
                received[i] = open_share(c.ctx, c.secrets[j], c.shares[(i, j)], c.commitments[i])
        key_shares[j] = combine_key_share(received, qual=qual)
        verify_key_share(c.commitments, qual, j, key_shares[j])
    return qual, key, key_shares


def check_threshold(
    c: Ceremony, qual: frozenset[int], key: Point, shares: Mapping[int, Scalar]
) -> None:
    n, k = c.ctx.tellers, c.ctx.threshold
    vks = {j: verification_key(c.commitments, qual, j) for j in range(1, n + 1)}
    for j, x in shares.items():
        assert Point.base_mul(x) == vks[j]
    subsets = list(itertools.combinations(range(1, n + 1), k))[:12]
    for subset in subsets:
        assert combine_points({j: vks[j] for j in subset}) == key
    if k > 1:  # k − 1 verification keys interpolate to something else
        assert combine_points({j: vks[j] for j in range(1, k)}) != key
    # The expected key, computed from the secrets only to check the test itself.
    assert key == Point.base_mul(
        sum((c.secrets[i].coefficients[0] for i in sorted(qual)), Scalar.zero())
    )


SHAPES = [(1, 1), (2, 2), (3, 2), (5, 3), (4, 1), (6, 4)]


# -- honest runs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "k"), SHAPES)
def test_honest_ceremony(n: int, k: int) -> None:
    c = start(n, k)
    qual, key, shares = finish(c)
    assert qual == frozenset(range(1, n + 1))
    check_threshold(c, qual, key, shares)


@settings(max_examples=6, deadline=None)
@given(
    shape=st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))),
    seed=st.binary(min_size=1, max_size=8),
)
def test_honest_ceremony_random(shape: tuple[int, int], seed: bytes) -> None:
    n, k = shape
    c = start(n, k, seed)
    qual, key, shares = finish(c)
    check_threshold(c, qual, key, shares)


def test_seeded_ceremony_is_reproducible() -> None:
    a, b = start(3, 2, b"same"), start(3, 2, b"same")
    assert a.commitments == b.commitments
    assert a.shares == b.shares
    assert start(3, 2, b"other").commitments != a.commitments


# -- complaints ----------------------------------------------------------------------------


def _bad_share(c: Ceremony, dealer: int, recipient: int) -> EncryptedShare:
    """A correctly *encrypted* share from ``dealer`` that does not match its commitments."""
    honest = c.secrets[dealer]
    wrong = replace(
        honest, coefficients=(honest.coefficients[0] + Scalar.one(), *honest.coefficients[1:])
    )
    others = {recipient: c.commitments[recipient]}
    (share,) = deal(c.ctx, wrong, others, rng=seeded_scalars(b"bad"))
    return share


def test_bad_share_then_correct_answer_keeps_dealer() -> None:
    c = start(5, 3)
    c.shares[(2, 4)] = _bad_share(c, 2, 4)
    with pytest.raises(ShareRejected) as excinfo:
        open_share(c.ctx, c.secrets[4], c.shares[(2, 4)], c.commitments[2])
    assert excinfo.value.code == "dkg_share_invalid"
    assert excinfo.value.dealer == 2
    complaint = Complaint(accuser=4, accused=2)
    answer = answer_complaint(c.secrets[2], complaint)
    assert (answer.accused, answer.accuser) == (2, 4)
    assert verify_revealed_share(c.ctx, c.commitments[2], 4, answer.share)
    qual, key, shares = finish(c, [complaint], [answer])
    assert qual == frozenset(range(1, 6))
    check_threshold(c, qual, key, shares)


def test_wrong_answer_or_no_answer_disqualifies() -> None:
    c = start(5, 3)
    complaint = Complaint(accuser=4, accused=2)
    wrong = ComplaintAnswer(2, 4, answer_complaint(c.secrets[2], complaint).share + Scalar.one())
    assert not verify_revealed_share(c.ctx, c.commitments[2], 4, wrong.share)
    for answers in ([wrong], [], [ComplaintAnswer(2, 3, own_share(c.secrets[2]))]):
        qual, key, shares = finish(c, [complaint], answers)
        assert qual == frozenset({1, 3, 4, 5})
        check_threshold(c, qual, key, shares)
    # A correct answer next to a wrong one for the same pair does not save the dealer.
    right = answer_complaint(c.secrets[2], complaint)
    assert 2 not in qualified(c.commitments, [complaint], [right, wrong])
    # Answers to complaints nobody filed change nothing.
    assert qualified(c.commitments, [], [wrong]) == frozenset(range(1, 6))


def test_too_few_qualified_fails_the_ceremony() -> None:
    c = start(4, 3)
    complaints = [Complaint(1, 2), Complaint(1, 3)]
    with pytest.raises(NotEnoughQualifiedError) as excinfo:
        qualified(c.commitments, complaints, [])
    assert excinfo.value.code == "dkg_not_enough_qualified"
    with pytest.raises(NotEnoughQualifiedError):
        joint_public_key(c.commitments, frozenset({1, 4}))
    with pytest.raises(NotEnoughQualifiedError):
        qualified({}, [], [])


def test_complaint_validation() -> None:
    with pytest.raises(DkgIndexError):
        Complaint(2, 2)
    with pytest.raises(DkgIndexError):
        Complaint(0, 1)
    c = start(3, 2)
    with pytest.raises(DkgIndexError):
        answer_complaint(c.secrets[1], Complaint(3, 2))
    with pytest.raises(DkgIndexError):  # accuser outside 1..n once the context is known
        qualified(c.commitments, [Complaint(9, 1)], [], ctx=c.ctx)


# -- commitments ---------------------------------------------------------------------------


def _refusal(ctx: CeremonyContext, commitment: DealerCommitment) -> DkgError:
    with pytest.raises(DkgError) as excinfo:
        verify_commitment(ctx, commitment)
    return excinfo.value


def test_commitment_refusals() -> None:
    c = start(5, 3)
    good = c.commitments[2]
    ctx = c.ctx
    p = good.proofs
    cases: list[tuple[DealerCommitment, type[DkgError], str]] = [
        (replace(good, proofs=(p[1], p[0], p[2])), CommitmentProofError, "dkg_proof_invalid"),
        (replace(good, proofs=c.commitments[3].proofs), CommitmentProofError, "dkg_proof_invalid"),
        (
            replace(good, encryption_key=c.commitments[3].encryption_key),
            CommitmentProofError,
            "dkg_proof_invalid",
        ),
        (
            replace(
                good, coefficient_commitments=(Point.identity(), *good.coefficient_commitments[1:])
            ),
            IdentityCommitmentError,
            "dkg_commitment_identity",
        ),
        (
            replace(good, coefficient_commitments=good.coefficient_commitments[:2], proofs=p[:2]),
            CoefficientCountError,
            "dkg_coefficient_count",
        ),
        (replace(good, proofs=p[:2]), CoefficientCountError, "dkg_coefficient_count"),
        (replace(good, encryption_key=bytes(32)), EncryptionKeyError, "dkg_encryption_key_invalid"),
        (
            replace(good, encryption_key=b"\x01" + bytes(31)),
            EncryptionKeyError,
            "dkg_encryption_key_invalid",
        ),
        (
            replace(good, encryption_key=b"\xff" * 32),
            EncryptionKeyError,
            "dkg_encryption_key_invalid",
        ),
        (replace(good, encryption_key=bytes(31)), EncryptionKeyError, "dkg_encryption_key_invalid"),
    ]
    for bad, kind, code in cases:
        error = _refusal(ctx, bad)
        assert isinstance(error, kind), (kind, error)
        assert error.code == code
        assert error.dealer == 2
    # A commitment presented as another dealer's, or in another ceremony, fails its proofs.
    assert isinstance(_refusal(ctx, replace(good, index=3)), CommitmentProofError)
    for other in (
        CeremonyContext("session-2", 5, 3),
        CeremonyContext("session-1", 6, 3),
    ):
        assert isinstance(_refusal(other, good), CommitmentProofError)
    assert isinstance(_refusal(ctx, replace(good, index=6)), DkgIndexError)
    assert isinstance(_refusal(CeremonyContext("session-1", 5, 2), good), CoefficientCountError)


def test_deal_verifies_recipients_first() -> None:
    c = start(3, 2)
    tampered = dict(c.commitments)
    tampered[3] = replace(c.commitments[3], encryption_key=c.commitments[1].encryption_key)
    with pytest.raises(CommitmentProofError) as excinfo:
        deal(c.ctx, c.secrets[1], tampered)
    assert excinfo.value.dealer == 3
    misfiled = dict(c.commitments)
    misfiled[3] = c.commitments[2]
    with pytest.raises(DkgIndexError):
        deal(c.ctx, c.secrets[1], misfiled)


# -- share encryption ----------------------------------------------------------------------


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 1
    return bytes(out)


def test_altered_or_redirected_shares_do_not_open() -> None:
    c = start(5, 3)
    share = c.shares[(2, 4)]
    assert open_share(c.ctx, c.secrets[4], share, c.commitments[2]) == (
        answer_complaint(c.secrets[2], Complaint(4, 2)).share
    )
    # Redirected to teller 5 (recipient field rewritten): teller 5 cannot decrypt it.
    with pytest.raises(ShareRejected):
        open_share(c.ctx, c.secrets[5], replace(share, recipient=5), c.commitments[2])
    rejected = [
        replace(share, ciphertext=_flip(share.ciphertext, 0)),
        replace(share, ciphertext=_flip(share.ciphertext, 47)),
        replace(share, ciphertext=share.ciphertext[:47]),
        replace(share, ephemeral_public=_flip(share.ephemeral_public, 3)),
        replace(share, ephemeral_public=bytes(32)),  # small-order ephemeral key
    ]
    for bad in rejected:
        with pytest.raises(ShareRejected):
            open_share(c.ctx, c.secrets[4], bad, c.commitments[2])
    # Claimed to come from dealer 3 (the AAD binds the dealer).
    with pytest.raises(ShareRejected):
        open_share(c.ctx, c.secrets[4], replace(share, dealer=3), c.commitments[3])
    # Replayed into another ceremony with the same keys (the AAD binds the context).
    other_ctx = CeremonyContext("session-2", 5, 3)
    with pytest.raises(CommitmentProofError):
        open_share(other_ctx, c.secrets[4], share, c.commitments[2])
    # Handed unchanged to the wrong teller, or paired with the wrong commitment: not a complaint.
    with pytest.raises(ShareMisaddressedError) as excinfo:
        open_share(c.ctx, c.secrets[5], share, c.commitments[2])
    assert excinfo.value.code == "dkg_share_misaddressed"
    with pytest.raises(ShareMisaddressedError):
        open_share(c.ctx, c.secrets[4], share, c.commitments[3])


def test_relay_cannot_open_shares() -> None:
    """The relay sees every public message but holds no teller's X25519 private key."""
    c = start(3, 2)
    share = c.shares[(1, 2)]
    # Its own key pair, posing as teller 2: the share is encrypted to teller 2's key only.
    relay_secrets, relay_commitment = new_dealer(c.ctx, 2, seeded_scalars(b"relay"))
    with pytest.raises(ShareRejected):
        open_share(c.ctx, relay_secrets, share, c.commitments[1])
    # Nor can it get shares encrypted to its own key by substituting that key in teller 2's
    # commitment: the key is bound into teller 2's proofs, so honest dealers refuse to deal.
    forged = dict(c.commitments)
    forged[2] = replace(c.commitments[2], encryption_key=relay_commitment.encryption_key)
    with pytest.raises(CommitmentProofError):
        deal(c.ctx, c.secrets[1], forged)
    # Substituting teller 2's *whole* commitment by its own would pass the proofs (they bind
    # the ceremony and the index, not who published them): who published the commitment for
    # index 2 is established by teller 2's signature, checked by the rules engine.
    verify_commitment(c.ctx, relay_commitment)
    # Everything the relay sees is in the JSON messages; none contains a share in clear.
    public = json.dumps(
        [dealer_commitment_to_json(x) for x in c.commitments.values()]
        + [encrypted_share_to_json(x) for x in c.shares.values()]
    )
    secret = open_share(c.ctx, c.secrets[2], share, c.commitments[1])
    assert b64e(secret.encode()) not in public


# -- results -------------------------------------------------------------------------------


def test_key_share_checks() -> None:
    c = start(3, 2)
    qual, _, shares = finish(c)
    with pytest.raises(KeyShareError) as excinfo:
        verify_key_share(c.commitments, qual, 1, shares[2])
    assert excinfo.value.code == "dkg_key_share_invalid"
    with pytest.raises(DkgIndexError):
        combine_key_share({1: shares[1]}, qual=qual)
    with pytest.raises(DkgIndexError):
        combine_key_share({})
    with pytest.raises(DkgIndexError):
        joint_public_key(c.commitments, frozenset({1, 2, 7}))
    with pytest.raises(DkgIndexError):
        verification_key(c.commitments, qual, 0)


# -- context, secrets, JSON ----------------------------------------------------------------


def test_context_validation_and_encoding() -> None:
    ctx = CeremonyContext("s", 5, 3)
    assert ctx.encode() == (
        b"\x00\x00\x00\x15ballot/v1/dkg/context"
        + b"\x00\x00\x00\x01s"
        + b"\x00\x00\x00\x04\x00\x00\x00\x05"
        + b"\x00\x00\x00\x04\x00\x00\x00\x03"
    )
    for args in [("", 3, 2), ("s", 0, 1), ("s", 3, 4), ("s", 3, 0), ("s", True, 1), ("s", 300, 2)]:
        with pytest.raises(DkgContextError) as excinfo:
            CeremonyContext(*args)
        assert excinfo.value.code == "dkg_context_invalid"
    with pytest.raises(DkgContextError):
        CeremonyContext("\ud800", 3, 2)
    with pytest.raises(DkgIndexError):
        new_dealer(ctx, 6)
    with pytest.raises(DkgIndexError):
        new_dealer(ctx, 0)


def test_dealer_secrets_storage_and_repr() -> None:
    c = start(3, 2)
    s = c.secrets[2]
    assert "redacted" in repr(s)
    assert s.coefficients[0].encode().hex() not in repr(s)
    sealed = seal_with_passphrase(s.encode(), "teller two", log2_n=14)
    back = DealerSecrets.decode(open_with_passphrase(sealed, "teller two"))
    assert back.index == 2
    assert back.coefficients == s.coefficients
    assert back.encryption_secret == s.encryption_secret
    assert back.encryption_key() == c.commitments[2].encryption_key
    for bad in (b"", s.encode()[:-1], b"XXXX" + s.encode()[4:], s.encode() + b"\x00"):
        with pytest.raises(DkgMessageError):
            DealerSecrets.decode(bad)


def _json_round_trip(obj: object) -> object:
    return json.loads(json.dumps(obj))


def test_json_round_trips() -> None:
    c = start(3, 2)
    for commitment in c.commitments.values():
        data = _json_round_trip(dealer_commitment_to_json(commitment))
        assert dealer_commitment_from_json(data) == commitment
    for share in c.shares.values():
        assert encrypted_share_from_json(_json_round_trip(encrypted_share_to_json(share))) == share
    complaint = Complaint(3, 1)
    assert complaint_from_json(_json_round_trip(complaint_to_json(complaint))) == complaint
    answer = answer_complaint(c.secrets[1], complaint)
    assert complaint_answer_from_json(_json_round_trip(complaint_answer_to_json(answer))) == answer
    assert complaint_to_json(complaint) == {"accuser": 3, "accused": 1}
    # The binary forms are distinct per message and deterministic.
    assert complaint.encode() != Complaint(1, 3).encode()
    assert c.commitments[1].encode() != c.commitments[2].encode()
    assert c.shares[(1, 2)].encode() == c.shares[(1, 2)].encode()


def test_json_strict_refusals() -> None:
    c = start(3, 2)
    commitment = dealer_commitment_to_json(c.commitments[1])
    share = encrypted_share_to_json(c.shares[(1, 2)])
    answer = complaint_answer_to_json(answer_complaint(c.secrets[1], Complaint(2, 1)))
    identity = b64e(bytes(32))
    bad_commitments: list[object] = [
        {**commitment, "extra": 1},
        {k: v for k, v in commitment.items() if k != "proofs"},
        {**commitment, "index": True},
        {**commitment, "index": 0},
        {**commitment, "index": "1"},
        {**commitment, "coefficient_commitments": []},
        {**commitment, "coefficient_commitments": "abc"},
        {**commitment, "encryption_key": str(commitment["encryption_key"]) + "="},
        {**commitment, "encryption_key": b64e(bytes(31))},
        {**commitment, "proofs": [{"challenge": identity}]},
        {**commitment, "coefficient_commitments": [b64e(b"\xff" * 32), identity]},
        [commitment],
    ]
    for bad in bad_commitments:
        with pytest.raises(DkgMessageError) as excinfo:
            dealer_commitment_from_json(bad)
        assert excinfo.value.code == "dkg_message_invalid"
    with_identity = {**commitment, "coefficient_commitments": [identity, identity]}
    with pytest.raises(IdentityCommitmentError):
        dealer_commitment_from_json(with_identity)
    for bad in (
        {**share, "ciphertext": b64e(bytes(47))},
        {**share, "recipient": 2.0},
        {**share, "ephemeral_public": None},
    ):
        with pytest.raises(DkgMessageError):
            encrypted_share_from_json(bad)
    with pytest.raises(DkgIndexError):
        encrypted_share_from_json({**share, "recipient": 1})
    with pytest.raises(DkgMessageError):
        complaint_from_json({"accuser": 1})
    with pytest.raises(DkgIndexError):
        complaint_from_json({"accuser": 1, "accused": 1})
    out_of_range = b64e((2**255 - 1).to_bytes(32, "little"))
    with pytest.raises(DkgMessageError):
        complaint_answer_from_json({**answer, "share": out_of_range})


def test_seeded_rng_type() -> None:
    rng: RandomScalars = seeded_scalars(b"x")
    assert isinstance(rng(), Scalar)


# -- integration with ElGamal and the threshold tally ----------------------------------------


@pytest.mark.parametrize(("n", "k", "disqualify"), [(5, 3, None), (5, 3, 2), (3, 2, None)])
def test_any_k_tellers_decrypt_an_aggregate(n: int, k: int, disqualify: int | None) -> None:
    c = start(n, k)
    complaints = [Complaint(1 if disqualify != 1 else 2, disqualify)] if disqualify else []
    qual, key, shares = finish(c, complaints)
    vks = {j: verification_key(c.commitments, qual, j) for j in range(1, n + 1)}
    options = ("A", "B", "blank")
    votes = [0, 1, 1, 2, 0, 1, 2]
    rng = seeded_scalars(b"votes")
    total = zero_vector(len(options))
    for v in votes:
        total = add_vectors(total, [encrypt(key, int(i == v), rng()) for i in range(3)])
    tctx = TallyContext("session-1", 1, options)
    expected = tuple(votes.count(i) for i in range(3))
    for subset in list(itertools.combinations(range(1, n + 1), k))[:4]:
        dshares = [compute_share(tctx, total, j, shares[j], vks[j], rng) for j in subset]
        for d in dshares:
            verify_share(tctx, total, d, vks[d.teller_index])
        assert combine(total, dshares, len(votes)) == expected
        if k > 1:
            with pytest.raises(TallyError):
                combine(total, dshares[:-1], len(votes))


# -- the share encryption, re-derived from docs/verification-spec.md §12 ------------------------------


def u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def test_share_encryption_matches_the_spec() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    c = start(3, 2)
    share = c.shares[(3, 1)]
    recipient = c.secrets[1]
    ctx_bytes = frame(b"ballot/v1/dkg/context", b"session-1", u32(3), u32(2))
    assert ctx_bytes == c.ctx.encode()
    private = X25519PrivateKey.from_private_bytes(recipient.encryption_secret)
    own_public = private.public_key().public_bytes_raw()
    shared = private.exchange(X25519PublicKey.from_public_bytes(share.ephemeral_public))
    info = frame(
        b"ballot/v1/dkg/share-key", ctx_bytes, u32(3), u32(1), share.ephemeral_public, own_public
    )
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=None, info=info).derive(shared)
    aad = frame(b"ballot/v1/dkg/share-aad", ctx_bytes, u32(3), u32(1), share.ephemeral_public)
    plaintext = AESGCM(okm[:32]).decrypt(okm[32:], share.ciphertext, aad)
    assert Scalar.decode(plaintext) == open_share(c.ctx, recipient, share, c.commitments[3])
    # And the Schnorr context of coefficient 1 of dealer 2, per the spec.
    commitment = c.commitments[2]
    from crypto.proofs import verify_schnorr

    verify_schnorr(
        commitment.coefficient_commitments[1],
        commitment.proofs[1],
        frame(b"ballot/v1/dkg/coefficient", ctx_bytes, u32(2), u32(1), commitment.encryption_key),
    )


def test_binary_forms_match_the_spec() -> None:
    c = start(3, 2)
    complaint = Complaint(2, 1)
    answer = answer_complaint(c.secrets[1], complaint)
    share = c.shares[(1, 2)]
    commitment = c.commitments[1]
    assert complaint.encode() == frame(b"ballot/v1/dkg/complaint", u32(2), u32(1))
    assert answer.encode() == frame(
        b"ballot/v1/dkg/complaint-answer", u32(1), u32(2), answer.share.encode()
    )
    assert share.encode() == frame(
        b"ballot/v1/dkg/encrypted-share", u32(1), u32(2), share.ephemeral_public, share.ciphertext
    )
    assert commitment.encode() == frame(
        b"ballot/v1/dkg/dealer-commitment",
        u32(1),
        u32(2),
        *(p.encode() for p in commitment.coefficient_commitments),
        *(p.encode() for p in commitment.proofs),
        commitment.encryption_key,
    )

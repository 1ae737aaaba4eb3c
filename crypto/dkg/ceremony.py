"""The ceremony's steps: commit, deal, check and complain, answer, and the results (QUAL,
the election key, verification keys, key shares)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence, Set

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.dkg.messages import (
    _COEFFICIENT_TAG,
    _EPHEMERAL_SECRET_TAG,
    _P25519,
    _PROBE_KEY,
    _SHARE_AAD_TAG,
    _SHARE_KEY_TAG,
    _X25519_SECRET_TAG,
    MAX_TELLERS,
    SHARE_CIPHERTEXT_BYTES,
    X25519_KEY_BYTES,
    CeremonyContext,
    CoefficientCountError,
    CommitmentProofError,
    Complaint,
    ComplaintAnswer,
    DealerCommitment,
    DealerSecrets,
    DkgIndexError,
    EncryptedShare,
    EncryptionKeyError,
    IdentityCommitmentError,
    KeyShareError,
    NotEnoughQualifiedError,
    ShareMisaddressedError,
    ShareRejected,
    _is_int,
    _u32,
)
from crypto.group import (
    InvalidEncoding,
    Point,
    RandomScalars,
    Scalar,
    frame,
)
from crypto.proofs import ProofError, prove_schnorr, verify_schnorr

# -- helpers -------------------------------------------------------------------------------


def _coefficient_context(ctx: CeremonyContext, dealer: int, position: int, key: bytes) -> bytes:
    """The Schnorr ``context`` for coefficient ``position`` of ``dealer``."""
    return frame(_COEFFICIENT_TAG, ctx.encode(), _u32(dealer), _u32(position), key)


def _derive_x25519_secret(tag: bytes, rng: RandomScalars) -> bytes:
    # Drawn from the caller's scalar source so that seeded test vectors are reproducible;
    # two scalars carry ~504 bits of entropy into the 32-byte key.
    return hashlib.sha512(frame(tag, rng().encode(), rng().encode())).digest()[:32]


def _nonzero(rng: RandomScalars) -> Scalar:
    while True:
        s = rng()
        if not s.is_zero():
            return s


def _evaluate(coefficients: Sequence[Scalar], x: int) -> Scalar:
    """``f(x)`` by Horner's rule, in constant-time scalar arithmetic (coefficients are secret)."""
    xs = Scalar.from_int(x)
    acc = coefficients[-1]
    for a in reversed(coefficients[:-1]):
        acc = acc * xs + a
    return acc


def _evaluate_commitments(commitments: Sequence[Point], x: int) -> Point:
    """``Σ_m C_m·x^m`` by Horner's rule (public values)."""
    xs = Scalar.from_int(x)
    acc = commitments[-1]
    for c in reversed(commitments[:-1]):
        acc = acc * xs + c
    return acc


def _same_point(a: Point, b: Point) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _check_encryption_key(key: object, dealer: int | None) -> bytes:
    if not isinstance(key, bytes) or len(key) != X25519_KEY_BYTES:
        raise EncryptionKeyError("X25519 public key must be 32 bytes", dealer=dealer)
    if int.from_bytes(key, "little") >= _P25519:
        raise EncryptionKeyError("X25519 public key is not canonical", dealer=dealer)
    try:
        _PROBE_KEY.exchange(X25519PublicKey.from_public_bytes(key))
    except ValueError:
        raise EncryptionKeyError("X25519 public key has small order", dealer=dealer) from None
    return key


def _share_key_and_nonce(
    ctx: CeremonyContext,
    dealer: int,
    recipient: int,
    ephemeral_public: bytes,
    recipient_key: bytes,
    shared_secret: bytes,
) -> tuple[bytes, bytes]:
    info = frame(
        _SHARE_KEY_TAG, ctx.encode(), _u32(dealer), _u32(recipient), ephemeral_public, recipient_key
    )
    okm = HKDF(algorithm=hashes.SHA256(), length=44, salt=None, info=info).derive(shared_secret)
    return okm[:32], okm[32:]


def _share_aad(ctx: CeremonyContext, dealer: int, recipient: int, ephemeral: bytes) -> bytes:
    return frame(_SHARE_AAD_TAG, ctx.encode(), _u32(dealer), _u32(recipient), ephemeral)


# -- step 1: commit ------------------------------------------------------------------------


def new_dealer(
    ctx: CeremonyContext, index: int, rng: RandomScalars = Scalar.random
) -> tuple[DealerSecrets, DealerCommitment]:
    """Draw teller ``index``'s polynomial and X25519 key; return its secrets and commitment.

    ``rng`` is :meth:`Scalar.random` in production; a seeded source only for test vectors.
    """
    ctx.check_index(index)
    coefficients = tuple(_nonzero(rng) for _ in range(ctx.threshold))
    encryption_secret = _derive_x25519_secret(_X25519_SECRET_TAG, rng)
    secrets = DealerSecrets(index, coefficients, encryption_secret)
    key = secrets.encryption_key()
    commitments = tuple(Point.base_mul(a) for a in coefficients)
    proofs = tuple(
        prove_schnorr(a, c, _coefficient_context(ctx, index, m, key), rng)
        for m, (a, c) in enumerate(zip(coefficients, commitments, strict=True))
    )
    return secrets, DealerCommitment(index, commitments, proofs, key)


def verify_commitment(ctx: CeremonyContext, commitment: DealerCommitment) -> None:
    """Check a dealer's commitment; raise a :class:`DkgError` subclass naming the dealer.

    Checks, in order: index in ``1..n``; exactly ``k`` commitments and ``k`` proofs; no
    commitment is the identity; the X25519 key is canonical and not of small order; every
    Schnorr proof verifies in its context.
    """
    dealer = commitment.index
    if not _is_int(dealer) or not 1 <= dealer <= ctx.tellers:
        raise DkgIndexError(f"dealer index must be in [1, {ctx.tellers}]", dealer=None)
    k = ctx.threshold
    if len(commitment.coefficient_commitments) != k or len(commitment.proofs) != k:
        raise CoefficientCountError(
            f"expected {k} coefficient commitments and proofs, got "
            f"{len(commitment.coefficient_commitments)} and {len(commitment.proofs)}",
            dealer=dealer,
        )
    for m, c in enumerate(commitment.coefficient_commitments):
        if c.is_identity():
            raise IdentityCommitmentError(
                f"coefficient commitment {m} is the identity", dealer=dealer
            )
    key = _check_encryption_key(commitment.encryption_key, dealer)
    for m, (c, proof) in enumerate(
        zip(commitment.coefficient_commitments, commitment.proofs, strict=True)
    ):
        try:
            verify_schnorr(c, proof, _coefficient_context(ctx, dealer, m, key))
        except ProofError:
            raise CommitmentProofError(
                f"proof of knowledge of coefficient {m} does not verify", dealer=dealer
            ) from None


# -- step 2: deal --------------------------------------------------------------------------


def deal(
    ctx: CeremonyContext,
    secrets: DealerSecrets,
    commitments: Mapping[int, DealerCommitment],
    *,
    rng: RandomScalars = Scalar.random,
) -> tuple[EncryptedShare, ...]:
    """Encrypt ``s_ij = f_i(j)`` for every *other* teller ``j`` in ``commitments``.

    The dealer's own share ``f_i(i)`` is not sent anywhere: see :func:`own_share`. Every
    recipient's commitment is verified first (a teller does not trust the relay), so the
    shares go only to verified X25519 keys. Shares are returned in recipient order.
    """
    dealer = ctx.check_index(secrets.index, "dealer index")
    if len(secrets.coefficients) != ctx.threshold:
        raise CoefficientCountError("dealer secrets do not match the threshold", dealer=dealer)
    out: list[EncryptedShare] = []
    for j in sorted(commitments):
        if j == dealer:
            continue
        recipient_commitment = commitments[j]
        if recipient_commitment.index != j:
            raise DkgIndexError(
                f"commitment filed under {j} is for teller {recipient_commitment.index}",
                dealer=j,
            )
        verify_commitment(ctx, recipient_commitment)
        share = _evaluate(secrets.coefficients, j)
        out.append(_encrypt_share(ctx, dealer, j, recipient_commitment.encryption_key, share, rng))
    return tuple(out)


def _encrypt_share(
    ctx: CeremonyContext,
    dealer: int,
    recipient: int,
    recipient_key: bytes,
    share: Scalar,
    rng: RandomScalars,
) -> EncryptedShare:
    ephemeral = X25519PrivateKey.from_private_bytes(
        _derive_x25519_secret(_EPHEMERAL_SECRET_TAG, rng)
    )
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_key))
    except ValueError:
        raise EncryptionKeyError("recipient key has small order", dealer=recipient) from None
    key, nonce = _share_key_and_nonce(
        ctx, dealer, recipient, ephemeral_public, recipient_key, shared
    )
    aad = _share_aad(ctx, dealer, recipient, ephemeral_public)
    ciphertext = AESGCM(key).encrypt(nonce, share.encode(), aad)
    return EncryptedShare(dealer, recipient, ephemeral_public, ciphertext)


def own_share(secrets: DealerSecrets) -> Scalar:
    """``f_i(i)``: the dealer's share of its own polynomial, which it keeps (never sent)."""
    return _evaluate(secrets.coefficients, secrets.index)


# -- step 3: check, complain, answer --------------------------------------------------------


def open_share(
    ctx: CeremonyContext,
    recipient_secrets: DealerSecrets,
    encrypted: EncryptedShare,
    dealer_commitment: DealerCommitment,
) -> Scalar:
    """Decrypt a share addressed to this teller and check it against the dealer's commitments.

    Raises :class:`ShareRejected` (``dkg_share_invalid``) if it does not decrypt or does not
    match: the caller then files a :class:`Complaint` against ``encrypted.dealer``. Raises
    :class:`ShareMisaddressedError` if the share or commitment is not for this pairing (no
    complaint), and the errors of :func:`verify_commitment` if the commitment is invalid.
    """
    recipient = ctx.check_index(recipient_secrets.index, "recipient index")
    dealer = encrypted.dealer
    if encrypted.recipient != recipient:
        raise ShareMisaddressedError(
            f"share is addressed to teller {encrypted.recipient}, not {recipient}", dealer=dealer
        )
    if dealer_commitment.index != dealer or dealer == recipient:
        raise ShareMisaddressedError(
            f"share from dealer {dealer} paired with the commitment of {dealer_commitment.index}",
            dealer=dealer,
        )
    verify_commitment(ctx, dealer_commitment)
    if (
        not isinstance(encrypted.ephemeral_public, bytes)
        or len(encrypted.ephemeral_public) != X25519_KEY_BYTES
        or not isinstance(encrypted.ciphertext, bytes)
        or len(encrypted.ciphertext) != SHARE_CIPHERTEXT_BYTES
    ):
        raise ShareRejected("encrypted share is malformed", dealer=dealer)
    private = X25519PrivateKey.from_private_bytes(recipient_secrets.encryption_secret)
    own_key = private.public_key().public_bytes_raw()
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(encrypted.ephemeral_public))
    except ValueError:
        raise ShareRejected("ephemeral key has small order", dealer=dealer) from None
    key, nonce = _share_key_and_nonce(
        ctx, dealer, recipient, encrypted.ephemeral_public, own_key, shared
    )
    aad = _share_aad(ctx, dealer, recipient, encrypted.ephemeral_public)
    try:
        plaintext = AESGCM(key).decrypt(nonce, encrypted.ciphertext, aad)
        share = Scalar.decode(plaintext)
    except (InvalidTag, InvalidEncoding):
        raise ShareRejected("share does not decrypt", dealer=dealer) from None
    if not _share_matches(dealer_commitment, recipient, share):
        raise ShareRejected("share does not match the dealer's commitments", dealer=dealer)
    return share


def _share_matches(commitment: DealerCommitment, recipient: int, share: Scalar) -> bool:
    if not commitment.coefficient_commitments:
        return False
    expected = _evaluate_commitments(commitment.coefficient_commitments, recipient)
    return _same_point(Point.base_mul(share), expected)


def verify_revealed_share(
    ctx: CeremonyContext, dealer_commitment: DealerCommitment, recipient: int, share: Scalar
) -> bool:
    """Whether ``share·G == Σ_m C_im·recipient^m`` for the dealer's commitments."""
    ctx.check_index(recipient, "recipient index")
    if len(dealer_commitment.coefficient_commitments) != ctx.threshold:
        raise CoefficientCountError(
            "commitment has the wrong number of coefficients", dealer=dealer_commitment.index
        )
    return _share_matches(dealer_commitment, recipient, share)


def answer_complaint(secrets: DealerSecrets, complaint: Complaint) -> ComplaintAnswer:
    """The accused dealer's answer: the accuser's share, revealed in the clear."""
    if complaint.accused != secrets.index:
        raise DkgIndexError("this complaint is not against this dealer", dealer=complaint.accused)
    share = _evaluate(secrets.coefficients, complaint.accuser)
    return ComplaintAnswer(secrets.index, complaint.accuser, share)


# -- step 4: results -----------------------------------------------------------------------


def _common_threshold(commitments: Mapping[int, DealerCommitment]) -> int:
    counts = {len(c.coefficient_commitments) for c in commitments.values()}
    if len(counts) != 1:
        raise CoefficientCountError("commitments disagree on (or lack) the threshold")
    (k,) = counts
    for index, c in commitments.items():
        if c.index != index:
            raise DkgIndexError(f"commitment filed under {index} is for {c.index}", dealer=index)
    return k


def qualified(
    commitments: Mapping[int, DealerCommitment],
    complaints: Iterable[Complaint],
    answers: Iterable[ComplaintAnswer],
    *,
    ctx: CeremonyContext | None = None,
) -> frozenset[int]:
    """``QUAL``: the dealers with a commitment that are not disqualified by a complaint.

    A complaint ``(j, i)`` disqualifies dealer ``i`` unless there is an answer ``(i, j)``
    and every answer ``(i, j)`` reveals a share that matches ``i``'s commitments. Answers to
    complaints never filed are ignored. ``commitments`` must already have been verified
    (with ``ctx`` given, they are verified again and indices checked against ``1..n``).
    Raises :class:`NotEnoughQualifiedError` if fewer than ``k`` dealers remain.
    """
    if not commitments:
        raise NotEnoughQualifiedError("no dealer has published a commitment")
    if ctx is not None:
        for index, commitment in commitments.items():
            ctx.check_index(index, "dealer index")
            verify_commitment(ctx, commitment)
    k = _common_threshold(commitments)
    revealed: dict[tuple[int, int], list[Scalar]] = {}
    for answer in answers:
        revealed.setdefault((answer.accused, answer.accuser), []).append(answer.share)
    disqualified: set[int] = set()
    for complaint in complaints:
        accused = complaint.accused
        if accused not in commitments:
            continue
        if ctx is not None:
            ctx.check_index(complaint.accuser, "accuser index")
        shares = revealed.get((accused, complaint.accuser), [])
        if not shares or not all(
            _share_matches(commitments[accused], complaint.accuser, s) for s in shares
        ):
            disqualified.add(accused)
    qual = frozenset(commitments) - disqualified
    if len(qual) < k:
        raise NotEnoughQualifiedError(f"only {len(qual)} dealers qualified, the threshold is {k}")
    return qual


def _qualified_commitments(
    commitments: Mapping[int, DealerCommitment], qual: Set[int]
) -> list[DealerCommitment]:
    missing = sorted(set(qual) - set(commitments))
    if missing:
        raise DkgIndexError(f"QUAL names dealers without a commitment: {missing}")
    if not qual:
        raise NotEnoughQualifiedError("QUAL is empty")
    k = _common_threshold({i: commitments[i] for i in qual})
    if len(qual) < k:
        raise NotEnoughQualifiedError(f"only {len(qual)} dealers qualified, the threshold is {k}")
    return [commitments[i] for i in sorted(qual)]


def joint_public_key(commitments: Mapping[int, DealerCommitment], qual: Set[int]) -> Point:
    """The election key ``K = Σ_{i∈QUAL} C_i0``."""
    key = Point.identity()
    for c in _qualified_commitments(commitments, qual):
        key = key + c.coefficient_commitments[0]
    if key.is_identity():
        raise IdentityCommitmentError("the joint public key is the identity")
    return key


def verification_key(
    commitments: Mapping[int, DealerCommitment], qual: Set[int], index: int
) -> Point:
    """Teller ``index``'s public verification key ``V_j = Σ_{i∈QUAL} Σ_m C_im·j^m``."""
    if not _is_int(index) or not 1 <= index <= MAX_TELLERS:
        raise DkgIndexError(f"teller index must be in [1, {MAX_TELLERS}]")
    chosen = _qualified_commitments(commitments, qual)
    # Summing the commitments coefficient-wise first costs k multiplications instead of k·|QUAL|.
    k = len(chosen[0].coefficient_commitments)
    summed = [Point.identity()] * k
    for c in chosen:
        summed = [a + b for a, b in zip(summed, c.coefficient_commitments, strict=True)]
    return _evaluate_commitments(summed, index)


def combine_key_share(
    shares_received: Mapping[int, Scalar], *, qual: Set[int] | None = None
) -> Scalar:
    """Teller ``j``'s key share ``x_j = Σ_{i∈QUAL} s_ij``.

    ``shares_received`` maps each qualified dealer (including ``j`` itself, via
    :func:`own_share`) to the share it gave ``j``; pass ``qual`` to have the key set checked.
    """
    if not shares_received:
        raise DkgIndexError("no shares to combine")
    if qual is not None and set(shares_received) != set(qual):
        raise DkgIndexError("the shares received must come from exactly the QUAL dealers")
    total = Scalar.zero()
    for share in shares_received.values():
        total = total + share
    return total


def verify_key_share(
    commitments: Mapping[int, DealerCommitment], qual: Set[int], index: int, key_share: Scalar
) -> None:
    """Check ``x_j·G == V_j``; raise :class:`KeyShareError` if not."""
    if not _same_point(Point.base_mul(key_share), verification_key(commitments, qual, index)):
        raise KeyShareError("key share does not match the verification key", dealer=index)

"""Dealerless k-of-n key generation: Pedersen's DKG with Feldman commitments.

``n`` tellers, indexed ``1..n``, make an election key ``K`` whose secret any ``k`` of them
can use jointly (threshold decryption) while any ``k - 1`` learn nothing about it. Nobody,
at any point, holds or computes the secret key itself.

The ceremony (every message below has a binary and a JSON form; ``docs/verification-spec.md §12``):

1. **Commit.** Teller ``i`` draws a secret polynomial ``f_i(x) = a_i0 + a_i1·x + … +
   a_i,k-1·x^(k-1)`` and an X25519 key pair, and publishes a :class:`DealerCommitment`:
   the Feldman commitments ``C_im = a_im·G`` (none the identity), a Schnorr proof of
   knowledge of each ``a_im`` bound to the ceremony, the dealer, the position and the
   dealer's encryption key, and the X25519 public key. :func:`verify_commitment` checks it.
2. **Deal.** Teller ``i`` sends every other teller ``j`` the share ``s_ij = f_i(j)``
   encrypted to ``j``'s X25519 key (:func:`deal`): X25519 with a fresh ephemeral key,
   HKDF-SHA256, AES-256-GCM, the associated data binding the ceremony, the dealer and the
   recipient. The server relays shares but cannot read or redirect them.
3. **Check and complain.** Teller ``j`` opens each share (:func:`open_share`) and checks
   ``s_ij·G = Σ_m C_im·j^m``. If a share is missing, does not open or does not match, ``j``
   publishes a :class:`Complaint`; the accused answers with the share in the clear
   (:func:`answer_complaint`, a :class:`ComplaintAnswer`), which anyone can check
   (:func:`verify_revealed_share`). A dealer who does not answer, or answers with a share
   that does not match its commitments, is disqualified; otherwise the accuser uses the
   revealed share.
4. **Result.** ``QUAL`` (:func:`qualified`) is the set of dealers not disqualified, and must
   have at least ``k`` members. The election key is ``K = Σ_{i∈QUAL} C_i0``
   (:func:`joint_public_key`); teller ``j``'s public verification key is
   ``V_j = Σ_{i∈QUAL} Σ_m C_im·j^m`` (:func:`verification_key`, computable by anyone); its
   secret key share is ``x_j = Σ_{i∈QUAL} s_ij`` (:func:`combine_key_share`), which satisfies
   ``x_j·G = V_j`` (:func:`verify_key_share`). Any ``k`` of the ``x_j`` are points on the
   polynomial ``Σ_{i∈QUAL} f_i``, whose value at 0 is the secret of ``K``.

Authenticity of the messages (who sent which commitment, share, complaint or answer) comes
from the layer above: every message is submitted and signed by its teller (over its
:meth:`encode` bytes framed with the ceremony context, see ``docs/verification-spec.md §12``), and a
recipient checks the dealer's signature on an :class:`EncryptedShare` before opening it. Without that,
a relay could corrupt honest shares to provoke complaints and make honest dealers reveal
them.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.encoding import (
    b64d,
    b64e,
    expect_int,
    expect_list,
    expect_object,
    point_from_json,
    point_to_json,
    scalar_from_json,
    scalar_to_json,
    schnorr_from_json,
    schnorr_to_json,
)
from crypto.group import (
    GroupError,
    InvalidEncoding,
    Point,
    RandomScalars,
    Scalar,
    domain_tag,
    frame,
)
from crypto.proofs import ProofError, SchnorrProof, prove_schnorr, verify_schnorr

#: Upper bound on ``n`` (and so on ``k``): bounds the work a crafted message can cause.
MAX_TELLERS: Final[int] = 256
#: Upper bound on the UTF-8 length of a session id.
MAX_SESSION_ID_BYTES: Final[int] = 256

X25519_KEY_BYTES: Final[int] = 32
SHARE_CIPHERTEXT_BYTES: Final[int] = 32 + 16  # the scalar plus the AES-GCM tag

_CONTEXT_TAG: Final[bytes] = domain_tag("dkg/context")
_COEFFICIENT_TAG: Final[bytes] = domain_tag("dkg/coefficient")
_SHARE_KEY_TAG: Final[bytes] = domain_tag("dkg/share-key")
_SHARE_AAD_TAG: Final[bytes] = domain_tag("dkg/share-aad")
_X25519_SECRET_TAG: Final[bytes] = domain_tag("dkg/x25519-secret")
_EPHEMERAL_SECRET_TAG: Final[bytes] = domain_tag("dkg/ephemeral-secret")
_COMMITMENT_TAG: Final[bytes] = domain_tag("dkg/dealer-commitment")
_ENCRYPTED_SHARE_TAG: Final[bytes] = domain_tag("dkg/encrypted-share")
_COMPLAINT_TAG: Final[bytes] = domain_tag("dkg/complaint")
_ANSWER_TAG: Final[bytes] = domain_tag("dkg/complaint-answer")
_SECRETS_MAGIC: Final[bytes] = b"BDKS\x01"

_P25519: Final[int] = 2**255 - 19
# Any clamped X25519 scalar is a multiple of the cofactor 8, so the shared secret with a
# public key is all zero exactly when that key has small order; OpenSSL refuses that output.
_PROBE_KEY: Final[X25519PrivateKey] = X25519PrivateKey.from_private_bytes(
    hashlib.sha256(domain_tag("dkg/x25519-probe")).digest()
)


# -- errors --------------------------------------------------------------------------------


class DkgError(ValueError):
    """Base class of every refusal in the key ceremony.

    ``code`` is a stable snake_case identifier; ``dealer`` names the dealer at fault when
    there is one (so the caller can record or disqualify it), else ``None``.
    """

    code = "dkg_error"

    def __init__(self, message: str, *, dealer: int | None = None) -> None:
        super().__init__(message)
        self.dealer = dealer


class DkgContextError(DkgError):
    """The ceremony parameters are invalid (empty session id, ``k > n``, …)."""

    code = "dkg_context_invalid"


class DkgIndexError(DkgError):
    """A teller index is outside ``1..n``, or messages disagree about an index."""

    code = "dkg_index_invalid"


class CoefficientCountError(DkgError):
    """A dealer commitment does not have exactly ``k`` coefficient commitments and proofs."""

    code = "dkg_coefficient_count"


class IdentityCommitmentError(DkgError):
    """A coefficient commitment is the identity (a zero coefficient, or a degenerate key)."""

    code = "dkg_commitment_identity"


class CommitmentProofError(DkgError):
    """A Schnorr proof of knowledge of a coefficient does not verify."""

    code = "dkg_proof_invalid"


class EncryptionKeyError(DkgError):
    """A dealer's X25519 public key is malformed, non-canonical or of small order."""

    code = "dkg_encryption_key_invalid"


class ShareRejected(DkgError):
    """A share did not open or does not match its dealer's commitments: file a Complaint."""

    code = "dkg_share_invalid"


class ShareMisaddressedError(DkgError):
    """A share was handed to the wrong recipient, or paired with the wrong dealer's commitment.

    Not grounds for a complaint: the share was never addressed to this teller.
    """

    code = "dkg_share_misaddressed"


class NotEnoughQualifiedError(DkgError):
    """Fewer than ``k`` dealers remain qualified: the ceremony failed and must be re-run."""

    code = "dkg_not_enough_qualified"


class KeyShareError(DkgError):
    """A combined key share does not match the teller's public verification key."""

    code = "dkg_key_share_invalid"


class DkgMessageError(DkgError):
    """A ceremony message (binary or JSON) is structurally malformed."""

    code = "dkg_message_invalid"


# -- context -------------------------------------------------------------------------------


def _u32(value: int) -> bytes:
    return struct.pack(">I", value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class CeremonyContext:
    """What every proof and share encryption of one ceremony is bound to.

    ``session_id`` should identify the ceremony attempt (e.g. ``"<session>/ceremony/2"`` if a
    failed ceremony is re-run), so that nothing from one attempt is valid in another.
    """

    session_id: str
    tellers: int
    threshold: int

    def __post_init__(self) -> None:
        if not isinstance(self.session_id, str) or not self.session_id:
            raise DkgContextError("session_id must be a non-empty string")
        try:
            encoded = self.session_id.encode("utf-8")
        except UnicodeEncodeError:
            raise DkgContextError("session_id must be valid Unicode text") from None
        if len(encoded) > MAX_SESSION_ID_BYTES:
            raise DkgContextError(f"session_id must be at most {MAX_SESSION_ID_BYTES} bytes")
        if not _is_int(self.tellers) or not 1 <= self.tellers <= MAX_TELLERS:
            raise DkgContextError(f"tellers must be an integer in [1, {MAX_TELLERS}]")
        if not _is_int(self.threshold) or not 1 <= self.threshold <= self.tellers:
            raise DkgContextError("threshold must be an integer in [1, tellers]")

    def encode(self) -> bytes:
        """``frame("ballot/v1/dkg/context", utf8(session_id), u32(tellers), u32(threshold))``."""
        return frame(
            _CONTEXT_TAG, self.session_id.encode("utf-8"), _u32(self.tellers), _u32(self.threshold)
        )

    def check_index(self, index: int, what: str = "teller index") -> int:
        """Return ``index`` if it is in ``1..tellers``, else raise :class:`DkgIndexError`."""
        if not _is_int(index) or not 1 <= index <= self.tellers:
            raise DkgIndexError(f"{what} must be in [1, {self.tellers}], got {index!r}")
        return index


# -- messages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealerCommitment:
    """Dealer ``index``'s public commitment: ``C_im = a_im·G``, proofs, X25519 key."""

    index: int
    coefficient_commitments: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]
    encryption_key: bytes

    def encode(self) -> bytes:
        """Canonical bytes (for signing/hashing); see ``docs/verification-spec.md §12``."""
        return frame(
            _COMMITMENT_TAG,
            _u32(self.index),
            _u32(len(self.coefficient_commitments)),
            *(c.encode() for c in self.coefficient_commitments),
            *(p.encode() for p in self.proofs),
            self.encryption_key,
        )


@dataclass(frozen=True, slots=True)
class EncryptedShare:
    """``s_ij = f_i(j)`` from ``dealer`` i for ``recipient`` j, encrypted to j's X25519 key."""

    dealer: int
    recipient: int
    ephemeral_public: bytes
    ciphertext: bytes

    def encode(self) -> bytes:
        """Canonical bytes (for signing/hashing); see ``docs/verification-spec.md §12``."""
        return frame(
            _ENCRYPTED_SHARE_TAG,
            _u32(self.dealer),
            _u32(self.recipient),
            self.ephemeral_public,
            self.ciphertext,
        )


@dataclass(frozen=True, slots=True)
class Complaint:
    """Teller ``accuser`` says dealer ``accused`` sent it no valid share."""

    accuser: int
    accused: int

    def __post_init__(self) -> None:
        _check_pair(self.accuser, self.accused)

    def encode(self) -> bytes:
        """Canonical bytes (for signing/hashing); see ``docs/verification-spec.md §12``."""
        return frame(_COMPLAINT_TAG, _u32(self.accuser), _u32(self.accused))


@dataclass(frozen=True, slots=True)
class ComplaintAnswer:
    """Dealer ``accused`` reveals the share ``f_accused(accuser)`` in the clear."""

    accused: int
    accuser: int
    share: Scalar

    def __post_init__(self) -> None:
        _check_pair(self.accuser, self.accused)

    def encode(self) -> bytes:
        """Canonical bytes (for signing/hashing); see ``docs/verification-spec.md §12``."""
        return frame(_ANSWER_TAG, _u32(self.accused), _u32(self.accuser), self.share.encode())


def _check_pair(accuser: int, accused: int) -> None:
    for name, value in (("accuser", accuser), ("accused", accused)):
        if not _is_int(value) or not 1 <= value <= MAX_TELLERS:
            raise DkgIndexError(f"{name} must be a teller index in [1, {MAX_TELLERS}]")
    if accuser == accused:
        raise DkgIndexError("a teller cannot complain about itself", dealer=accused)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DealerSecrets:
    """A teller's ceremony secrets: its polynomial and its X25519 private key.

    Keep it only in memory or sealed (:func:`crypto.signing.seal_with_passphrase` over
    :meth:`encode`) until the ceremony ends; afterwards only the combined key share is kept.
    """

    index: int
    coefficients: tuple[Scalar, ...]
    encryption_secret: bytes

    def encryption_key(self) -> bytes:
        """The X25519 public key matching :attr:`encryption_secret`."""
        return (
            X25519PrivateKey.from_private_bytes(self.encryption_secret)
            .public_key()
            .public_bytes_raw()
        )

    def encode(self) -> bytes:
        """``"BDKS" 0x01 ‖ u32 index ‖ u32 k ‖ a_0 … a_k-1 ‖ x25519 secret``. Secret!"""
        return (
            _SECRETS_MAGIC
            + _u32(self.index)
            + _u32(len(self.coefficients))
            + b"".join(a.encode() for a in self.coefficients)
            + self.encryption_secret
        )

    @classmethod
    def decode(cls, data: bytes) -> DealerSecrets:
        """Inverse of :meth:`encode`; raises :class:`DkgMessageError` if malformed."""
        raw = bytes(data)
        head = len(_SECRETS_MAGIC) + 8
        if len(raw) < head or raw[: len(_SECRETS_MAGIC)] != _SECRETS_MAGIC:
            raise DkgMessageError("not an encoding of dealer secrets")
        index, k = struct.unpack_from(">II", raw, len(_SECRETS_MAGIC))
        if not 1 <= index <= MAX_TELLERS or not 1 <= k <= MAX_TELLERS:
            raise DkgMessageError("dealer secrets: index or threshold out of range")
        if len(raw) != head + 32 * k + X25519_KEY_BYTES:
            raise DkgMessageError("dealer secrets: wrong length")
        try:
            coefficients = tuple(
                Scalar.decode(raw[head + 32 * m : head + 32 * (m + 1)]) for m in range(k)
            )
        except GroupError:
            raise DkgMessageError("dealer secrets: invalid coefficient") from None
        return cls(index, coefficients, raw[head + 32 * k :])

    def __repr__(self) -> str:
        return f"DealerSecrets(index={self.index}, <redacted>)"


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


# -- JSON forms ----------------------------------------------------------------------------

_COMMITMENT_KEYS: Final = ("index", "coefficient_commitments", "proofs", "encryption_key")
_SHARE_KEYS: Final = ("dealer", "recipient", "ephemeral_public", "ciphertext")
_COMPLAINT_KEYS: Final = ("accuser", "accused")
_ANSWER_KEYS: Final = ("accused", "accuser", "share")


def _index_from_json(obj: object, what: str) -> int:
    return expect_int(obj, what, minimum=1, maximum=MAX_TELLERS)


def _bounded_list(obj: object, what: str) -> list[object]:
    items = expect_list(obj, what)
    if not 1 <= len(items) <= MAX_TELLERS:
        raise DkgMessageError(f"{what} must have between 1 and {MAX_TELLERS} entries")
    return items


def dealer_commitment_to_json(commitment: DealerCommitment) -> dict[str, object]:
    """``{"index", "coefficient_commitments": [point…], "proofs": [schnorr…], "encryption_key"}``."""
    return {
        "index": commitment.index,
        "coefficient_commitments": [point_to_json(c) for c in commitment.coefficient_commitments],
        "proofs": [schnorr_to_json(p) for p in commitment.proofs],
        "encryption_key": b64e(commitment.encryption_key),
    }


def dealer_commitment_from_json(obj: object) -> DealerCommitment:
    """Strict inverse of :func:`dealer_commitment_to_json` (structure only; then call
    :func:`verify_commitment`). An identity commitment is refused here already."""
    try:
        fields = expect_object(obj, _COMMITMENT_KEYS, "dealer commitment")
        index = _index_from_json(fields["index"], "dealer commitment.index")
        points = tuple(
            point_from_json(x, f"coefficient_commitments[{m}]", allow_identity=True)
            for m, x in enumerate(_bounded_list(fields["coefficient_commitments"], "commitments"))
        )
        proofs = tuple(
            schnorr_from_json(x, f"proofs[{m}]")
            for m, x in enumerate(_bounded_list(fields["proofs"], "proofs"))
        )
        key = b64d(fields["encryption_key"], X25519_KEY_BYTES, "encryption_key")
    except GroupError as exc:
        raise DkgMessageError(f"dealer commitment: {exc}") from exc
    for m, c in enumerate(points):
        if c.is_identity():
            raise IdentityCommitmentError(
                f"coefficient commitment {m} is the identity", dealer=index
            )
    return DealerCommitment(index, points, proofs, key)


def encrypted_share_to_json(share: EncryptedShare) -> dict[str, object]:
    """``{"dealer", "recipient", "ephemeral_public", "ciphertext"}`` (byte strings base64url)."""
    return {
        "dealer": share.dealer,
        "recipient": share.recipient,
        "ephemeral_public": b64e(share.ephemeral_public),
        "ciphertext": b64e(share.ciphertext),
    }


def encrypted_share_from_json(obj: object) -> EncryptedShare:
    """Strict inverse of :func:`encrypted_share_to_json`."""
    try:
        fields = expect_object(obj, _SHARE_KEYS, "encrypted share")
        dealer = _index_from_json(fields["dealer"], "encrypted share.dealer")
        recipient = _index_from_json(fields["recipient"], "encrypted share.recipient")
        ephemeral = b64d(fields["ephemeral_public"], X25519_KEY_BYTES, "ephemeral_public")
        ciphertext = b64d(fields["ciphertext"], SHARE_CIPHERTEXT_BYTES, "ciphertext")
    except GroupError as exc:
        raise DkgMessageError(f"encrypted share: {exc}") from exc
    if dealer == recipient:
        raise DkgIndexError("a dealer does not send a share to itself", dealer=dealer)
    return EncryptedShare(dealer, recipient, ephemeral, ciphertext)


def complaint_to_json(complaint: Complaint) -> dict[str, object]:
    """``{"accuser", "accused"}``."""
    return {"accuser": complaint.accuser, "accused": complaint.accused}


def complaint_from_json(obj: object) -> Complaint:
    """Strict inverse of :func:`complaint_to_json`."""
    try:
        fields = expect_object(obj, _COMPLAINT_KEYS, "complaint")
        accuser = _index_from_json(fields["accuser"], "complaint.accuser")
        accused = _index_from_json(fields["accused"], "complaint.accused")
    except GroupError as exc:
        raise DkgMessageError(f"complaint: {exc}") from exc
    return Complaint(accuser, accused)


def complaint_answer_to_json(answer: ComplaintAnswer) -> dict[str, object]:
    """``{"accused", "accuser", "share": scalar}``."""
    return {
        "accused": answer.accused,
        "accuser": answer.accuser,
        "share": scalar_to_json(answer.share),
    }


def complaint_answer_from_json(obj: object) -> ComplaintAnswer:
    """Strict inverse of :func:`complaint_answer_to_json`."""
    try:
        fields = expect_object(obj, _ANSWER_KEYS, "complaint answer")
        accused = _index_from_json(fields["accused"], "complaint answer.accused")
        accuser = _index_from_json(fields["accuser"], "complaint answer.accuser")
        share = scalar_from_json(fields["share"], "complaint answer.share")
    except GroupError as exc:
        raise DkgMessageError(f"complaint answer: {exc}") from exc
    return ComplaintAnswer(accused, accuser, share)

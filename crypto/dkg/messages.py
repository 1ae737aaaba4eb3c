"""The key ceremony's values: its context, its four public messages, a dealer's secrets,
the errors, and the bounds that limit what a crafted message can cost."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from crypto.errors import CryptoError
from crypto.group import (
    GroupError,
    Point,
    Scalar,
    domain_tag,
    frame,
)
from crypto.proofs import SchnorrProof

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


class DkgError(CryptoError):
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

"""Ed25519 signing keys, verification keys, signed-message framing, and passphrase sealing.

Ed25519 (RFC 8032, pure, no pre-hash, no context string) is used for delegations' ballots,
tellers' ceremony messages and the session's checkpoint key. The signatures themselves come
from ``cryptography`` (OpenSSL); this module adds what a verifier must pin down beyond RFC 8032:

* **Strict public keys.** :meth:`VerifyKey.decode` accepts only a canonical encoding of a point
  of the prime-order subgroup other than the identity. Small-order and mixed-order keys, which
  allow one signature to verify under several keys or messages, are refused.
* **Strict signatures.** ``S`` must be below the group order ``L`` (RFC 8032 §5.1.7), checked
  here as well so that every backend (OpenSSL here, ``@noble/curves`` in the browser) agrees.
* **Domain-separated messages.** Every signed message in the project is
  ``frame("ballot/v1/" + purpose, *parts)`` (:func:`signing_message`), so a signature made for
  one purpose can never be replayed as another.

Passphrase sealing (:func:`seal_with_passphrase`) protects a teller's local key-share file:
scrypt (RFC 7914) derives an AES-256-GCM key; the format is versioned and the header is
authenticated. See ``docs/verification-spec.md §12`` for the byte layouts.
"""

from __future__ import annotations

import secrets
import struct
import unicodedata
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature as _BackendInvalidSignature
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from crypto.errors import CryptoError
from crypto.group import domain_tag as _domain_tag
from crypto.group import frame

SEED_BYTES: Final[int] = 32
PUBLIC_KEY_BYTES: Final[int] = 32
SIGNATURE_BYTES: Final[int] = 64
HASH_BYTES: Final[int] = 32

# -- errors -------------------------------------------------------------------------------


class SigningError(CryptoError):
    """Base class of every refusal raised by this module."""

    code = "signing_error"


class InvalidKey(SigningError):
    """A byte string that should encode an Ed25519 key does not (or is a weak key)."""

    code = "invalid_key"


class InvalidSignature(SigningError):
    """A signature does not verify for this key and message (or is malformed)."""

    code = "signature_invalid"


class InvalidMessage(SigningError):
    """The parts of a message to be signed are malformed (wrong length, out of range)."""

    code = "invalid_message"


class SealError(CryptoError):
    """Base class of refusals of the passphrase-sealing functions."""

    code = "sealed_secret_error"


class SealedFormatError(SealError):
    """The sealed blob is not in a format (or with parameters) this version accepts."""

    code = "sealed_format_invalid"


class WrongPassphrase(SealError):
    """Authentication failed: the passphrase is wrong or the sealed file was altered."""

    code = "wrong_passphrase"


class WeakPassphrase(SealError):
    """The passphrase is refused for sealing (empty)."""

    code = "passphrase_empty"


# -- Ed25519 point validation (public data only, so plain Python integers are fine) --------

_P: Final[int] = 2**255 - 19
_L: Final[int] = 2**252 + 27742317777372353535851937790883648493
_D: Final[int] = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1: Final[int] = pow(2, (_P - 1) // 4, _P)

_Extended = tuple[int, int, int, int]


def _decompress(data: bytes) -> _Extended | None:
    """RFC 8032 §5.1.3 point decoding, refusing non-canonical encodings; None if invalid."""
    raw = int.from_bytes(data, "little")
    sign = raw >> 255
    y = raw & ((1 << 255) - 1)
    if y >= _P:
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x2 = u * pow(v, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
        if (x * x - x2) % _P != 0:
            return None
    if x == 0 and sign == 1:
        return None  # "-0" is a second encoding of a point with x = 0
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


def _add(p: _Extended, q: _Extended) -> _Extended:
    """Extended-coordinates addition on edwards25519 (RFC 8032 §5.1.4); complete."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _is_identity(p: _Extended) -> bool:
    x, y, z, _ = p
    return x % _P == 0 and (y - z) % _P == 0


def _mul(k: int, p: _Extended) -> _Extended:
    """Variable-time double-and-add; only ever used on public keys."""
    acc: _Extended = (0, 1, 1, 0)
    for bit in bin(k)[2:]:
        acc = _add(acc, acc)
        if bit == "1":
            acc = _add(acc, p)
    return acc


def _is_strict_public_key(data: bytes) -> bool:
    point = _decompress(data)
    if point is None or _is_identity(point):
        return False
    # In the prime-order subgroup iff L·P is the identity; this also rules out every
    # small-order and mixed-order point.
    return _is_identity(_mul(_L, point))


# -- keys ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class SigningKey:
    """An Ed25519 private key (RFC 8032 32-byte seed). ``repr`` never shows the seed."""

    _seed: bytes
    _key: Ed25519PrivateKey = field(compare=False)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls.from_seed(secrets.token_bytes(SEED_BYTES))

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key for a 32-byte RFC 8032 seed (the private key as stored)."""
        if not isinstance(seed, bytes | bytearray) or len(seed) != SEED_BYTES:
            raise InvalidKey(f"an Ed25519 seed must be {SEED_BYTES} bytes")
        raw = bytes(seed)
        return cls(raw, Ed25519PrivateKey.from_private_bytes(raw))

    def encode(self) -> bytes:
        """The 32-byte seed. Secret: store it only sealed (see :func:`seal_with_passphrase`)."""
        return self._seed

    def public_key(self) -> VerifyKey:
        """The matching verification key."""
        return VerifyKey(self._key.public_key().public_bytes_raw())

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
        return self._key.sign(bytes(message))

    def __repr__(self) -> str:
        return "SigningKey(<redacted>)"


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """A validated Ed25519 public key: canonical, in the prime-order subgroup, not the identity.

    Build one from untrusted bytes only with :meth:`decode`.
    """

    _bytes: bytes

    @classmethod
    def decode(cls, data: bytes) -> VerifyKey:
        """Decode and validate a 32-byte public key; raise :class:`InvalidKey` if unusable."""
        if not isinstance(data, bytes | bytearray) or len(data) != PUBLIC_KEY_BYTES:
            raise InvalidKey(f"an Ed25519 public key must be {PUBLIC_KEY_BYTES} bytes")
        raw = bytes(data)
        if not _is_strict_public_key(raw):
            raise InvalidKey(
                "not a canonical Ed25519 public key of the prime-order subgroup "
                "(invalid, non-canonical, small-order or mixed-order encoding)"
            )
        return cls(raw)

    def encode(self) -> bytes:
        """The 32-byte RFC 8032 encoding."""
        return self._bytes

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if ``signature`` is valid for ``message``, else raise :class:`InvalidSignature`.

        Strict RFC 8032 verification: ``S < L`` is checked here, the rest by OpenSSL.
        """
        if not isinstance(signature, bytes | bytearray) or len(signature) != SIGNATURE_BYTES:
            raise InvalidSignature(f"an Ed25519 signature must be {SIGNATURE_BYTES} bytes")
        sig = bytes(signature)
        if int.from_bytes(sig[32:], "little") >= _L:
            raise InvalidSignature("signature scalar S is not below the group order")
        try:
            Ed25519PublicKey.from_public_bytes(self._bytes).verify(sig, bytes(message))
        except _BackendInvalidSignature:
            raise InvalidSignature("signature does not verify") from None

    def __repr__(self) -> str:
        return f"VerifyKey({self._bytes.hex()})"

    def __reduce__(self) -> tuple[type[VerifyKey], tuple[bytes]]:
        # Pickled by value through the plain constructor: pickles only travel between this
        # program's own processes, and strict decoding (~1.5 ms) was done where it was made.
        return (VerifyKey, (self._bytes,))


# -- signed messages -----------------------------------------------------------------------


def signing_message(purpose: str, *parts: bytes) -> bytes:
    """The bytes to sign for ``purpose``: ``frame("ballot/v1/" + purpose, *parts)``."""
    return frame(_domain_tag(purpose), *parts)


def checkpoint_message(position: int, head_hash: bytes, merkle_root: bytes) -> bytes:
    """The bytes signed by the session's checkpoint key.

    ``frame("ballot/v1/checkpoint", position as u64 big-endian, head_hash, merkle_root)``,
    where ``head_hash`` is the hash of the event at ``position`` and ``merkle_root`` the
    RFC 9162 root of the log up to and including that event (positions start at 1, so the
    tree size is ``position``).
    """
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 2**64:
        raise InvalidMessage("checkpoint position must be an integer in [0, 2^64)")
    for name, value in (("head hash", head_hash), ("Merkle root", merkle_root)):
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_BYTES:
            raise InvalidMessage(f"checkpoint {name} must be {HASH_BYTES} bytes")
    return signing_message(
        "checkpoint", struct.pack(">Q", position), bytes(head_hash), bytes(merkle_root)
    )


def cosignature_message(
    session_id: str, position: int, head_hash: bytes, merkle_root: bytes
) -> bytes:
    """The bytes a witness signs to cosign a session's checkpoint.

    ``frame("ballot/v1/cosignature", session_id (UTF-8), position as u64, head_hash,
    merkle_root)``: the witness saw the checkpoint ``(position, head_hash, merkle_root)`` of
    that session's log and checked it is consistent with every earlier one it saw.
    """
    if not isinstance(session_id, str) or not session_id:
        raise InvalidMessage("a cosignature names its session")
    unsigned = checkpoint_message(position, head_hash, merkle_root)  # the same checks
    del unsigned
    return signing_message(
        "cosignature",
        session_id.encode("utf-8"),
        struct.pack(">Q", position),
        bytes(head_hash),
        bytes(merkle_root),
    )


def receipt_message(
    session_id: str,
    round_number: int,
    delegation_id: str,
    tracking_code: str,
    position: int,
    head_hash: bytes,
) -> bytes:
    """The bytes of a signed receipt, signed by the session's checkpoint key.

    ``frame("ballot/v1/receipt", session_id, round_number as u64, delegation_id, tracking_code,
    position as u64, head_hash)`` (strings UTF-8): the log of ``session_id`` held, at
    ``position``, the ballot of ``delegation_id`` in round ``round_number`` whose tracking code
    is ``tracking_code``, and the chain hash there was ``head_hash`` — which commits to every
    event up to and including it. A log that later lacks that event, or holds another one
    there, contradicts a signature the server gave.
    """
    for name, number in (("round number", round_number), ("position", position)):
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number < 2**64:
            raise InvalidMessage(f"receipt {name} must be an integer in [1, 2^64)")
    if not isinstance(head_hash, bytes | bytearray) or len(head_hash) != HASH_BYTES:
        raise InvalidMessage(f"receipt head hash must be {HASH_BYTES} bytes")
    texts = (session_id, delegation_id, tracking_code)
    if not all(isinstance(text, str) and text for text in texts):
        raise InvalidMessage("receipt session, delegation and tracking code are non-empty text")
    return signing_message(
        "receipt",
        session_id.encode("utf-8"),
        struct.pack(">Q", round_number),
        delegation_id.encode("utf-8"),
        tracking_code.encode("utf-8"),
        struct.pack(">Q", position),
        bytes(head_hash),
    )


# -- passphrase sealing --------------------------------------------------------------------

_SEAL_MAGIC: Final[bytes] = b"BSEC"
_SEAL_VERSION: Final[int] = 1
_SEAL_SALT_BYTES: Final[int] = 16
_SEAL_NONCE_BYTES: Final[int] = 12
_SEAL_TAG_BYTES: Final[int] = 16
_SEAL_HEADER: Final[struct.Struct] = struct.Struct(">4sBBBB16s12s")
#: Default scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms) — the file is
#: opened once per ceremony or tally, so the cost buys brute-force resistance cheaply.
DEFAULT_SCRYPT_LOG2_N: Final[int] = 17
#: The range of ``log2(N)`` accepted when sealing and opening. The lower bound stops a
#: downgraded file; the upper bound stops a crafted file from exhausting memory.
MIN_SCRYPT_LOG2_N: Final[int] = 14
MAX_SCRYPT_LOG2_N: Final[int] = 20
_SCRYPT_R: Final[int] = 8
_SCRYPT_P: Final[int] = 1


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise SealError("the passphrase must be a str")
    # NFC so that the same passphrase typed on different systems derives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _seal_key(passphrase: bytes, salt: bytes, log2_n: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=1 << log2_n, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(passphrase)


def seal_with_passphrase(
    secret: bytes, passphrase: str, *, log2_n: int = DEFAULT_SCRYPT_LOG2_N
) -> bytes:
    """Encrypt ``secret`` under a key derived from ``passphrase`` (scrypt, AES-256-GCM).

    Output: ``"BSEC" ‖ version 0x01 ‖ log2(N) ‖ r ‖ p ‖ salt(16) ‖ nonce(12) ‖ ciphertext‖tag``,
    the 36-byte header being the AEAD's associated data.
    """
    if not isinstance(secret, bytes | bytearray):
        raise SealError("the secret must be bytes")
    if not MIN_SCRYPT_LOG2_N <= log2_n <= MAX_SCRYPT_LOG2_N:
        raise SealError(f"log2_n must be in [{MIN_SCRYPT_LOG2_N}, {MAX_SCRYPT_LOG2_N}]")
    pw = _passphrase_bytes(passphrase)
    if not pw:
        raise WeakPassphrase("refusing to seal a secret under an empty passphrase")
    salt = secrets.token_bytes(_SEAL_SALT_BYTES)
    nonce = secrets.token_bytes(_SEAL_NONCE_BYTES)
    header = _SEAL_HEADER.pack(
        _SEAL_MAGIC, _SEAL_VERSION, log2_n, _SCRYPT_R, _SCRYPT_P, salt, nonce
    )
    key = _seal_key(pw, salt, log2_n)
    return header + AESGCM(key).encrypt(nonce, bytes(secret), header)


def open_with_passphrase(blob: bytes, passphrase: str) -> bytes:
    """Decrypt a blob made by :func:`seal_with_passphrase`.

    Raises :class:`SealedFormatError` for an unknown format or out-of-range parameters, and
    :class:`WrongPassphrase` when authentication fails (wrong passphrase or altered blob).
    """
    if not isinstance(blob, bytes | bytearray):
        raise SealedFormatError("a sealed secret must be bytes")
    data = bytes(blob)
    if len(data) < _SEAL_HEADER.size + _SEAL_TAG_BYTES:
        raise SealedFormatError("sealed secret is truncated")
    magic, version, log2_n, r, p, salt, nonce = _SEAL_HEADER.unpack_from(data)
    if magic != _SEAL_MAGIC:
        raise SealedFormatError("not a sealed secret (bad magic)")
    if version != _SEAL_VERSION:
        raise SealedFormatError(f"unsupported sealed-secret version {version}")
    if not MIN_SCRYPT_LOG2_N <= log2_n <= MAX_SCRYPT_LOG2_N or r != _SCRYPT_R or p != _SCRYPT_P:
        raise SealedFormatError("sealed secret has unacceptable scrypt parameters")
    header = data[: _SEAL_HEADER.size]
    key = _seal_key(_passphrase_bytes(passphrase), salt, log2_n)
    try:
        return AESGCM(key).decrypt(nonce, data[_SEAL_HEADER.size :], header)
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase, or the sealed secret was altered") from None

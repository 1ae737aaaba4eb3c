"""A signed receipt: the server's signature, under the session's checkpoint key, that its log
held a delegation's ballot at a position with a given chain hash.

A tracking code alone proves nothing against the database owner: delete the ballot, rebuild
the chain, re-sign every checkpoint, and the code is simply "not in the log". A signed receipt
is what the delegation keeps to prove the log once said otherwise. Its ``head_hash`` is the
chain hash of the ``BallotCast`` event at ``position`` — it commits to that event and every
event before it — so a log in which position ``position`` is missing, or holds any other
chain, contradicts a signature the server gave (see ``docs/audit.md``, threat model).

The file a delegation downloads is :meth:`SignedReceipt.to_json`, one JSON object::

    {"type": "ballot-receipt/1", "session_id", "round_number", "delegation_id",
     "tracking_code", "position", "head_hash" (hex), "signature" (base64url)}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ballot.domain.values import b64decode, b64encode
from ballot.ledger.checkpoint import (
    HASH_BYTES,
    SIGNATURE_BYTES,
    CheckpointError,
    checkpoint_verify_key,
)
from crypto.signing import (
    InvalidMessage,
    InvalidSignature,
    SigningKey,
    receipt_message,
)

RECEIPT_TYPE: Final = "ballot-receipt/1"
_KEYS: Final = frozenset(
    {
        "type",
        "session_id",
        "round_number",
        "delegation_id",
        "tracking_code",
        "position",
        "head_hash",
        "signature",
    }
)


@dataclass(frozen=True, slots=True)
class SignedReceipt:
    """What the server signed when it recorded a ballot (see the module docstring)."""

    session_id: str
    round_number: int
    delegation_id: str
    tracking_code: str
    position: int
    head_hash: bytes
    signature: bytes

    def message(self) -> bytes:
        """The signed bytes (:func:`crypto.signing.receipt_message`)."""
        try:
            return receipt_message(
                self.session_id,
                self.round_number,
                self.delegation_id,
                self.tracking_code,
                self.position,
                self.head_hash,
            )
        except InvalidMessage as exc:
            raise CheckpointError("receipt_malformed", f"receipt: {exc}") from None

    @classmethod
    def sign(
        cls,
        key: SigningKey,
        *,
        session_id: str,
        round_number: int,
        delegation_id: str,
        tracking_code: str,
        position: int,
        head_hash: bytes,
    ) -> SignedReceipt:
        """Sign a recorded ballot's receipt (Ed25519 is deterministic: the same every time)."""
        unsigned = cls(
            session_id, round_number, delegation_id, tracking_code, position, head_hash, b""
        )
        return cls(
            session_id,
            round_number,
            delegation_id,
            tracking_code,
            position,
            head_hash,
            key.sign(unsigned.message()),
        )

    def verify(self, public_key: bytes) -> None:
        """Check the signature under ``public_key`` (the session's checkpoint key). Raises
        :class:`CheckpointError` ``receipt_signature_invalid`` / ``checkpoint_key_invalid``."""
        key = checkpoint_verify_key(public_key)
        try:
            key.verify(self.message(), self.signature)
        except InvalidSignature:
            raise CheckpointError(
                "receipt_signature_invalid",
                f"receipt {self.tracking_code} is not signed by the session's checkpoint key",
            ) from None

    def to_json(self) -> dict[str, Any]:
        """The receipt file's object (hash in hex, signature in base64url)."""
        return {
            "type": RECEIPT_TYPE,
            "session_id": self.session_id,
            "round_number": self.round_number,
            "delegation_id": self.delegation_id,
            "tracking_code": self.tracking_code,
            "position": self.position,
            "head_hash": self.head_hash.hex(),
            "signature": b64encode(self.signature),
        }

    @classmethod
    def from_json(cls, obj: object) -> SignedReceipt:
        """Strict inverse of :meth:`to_json`; raises :class:`CheckpointError`
        ``receipt_malformed``."""
        if not isinstance(obj, Mapping) or set(obj) != _KEYS or obj["type"] != RECEIPT_TYPE:
            raise CheckpointError(
                "receipt_malformed", f"a {RECEIPT_TYPE} receipt has exactly {sorted(_KEYS)}"
            )
        numbers = [obj["round_number"], obj["position"]]
        texts = [obj["session_id"], obj["delegation_id"], obj["tracking_code"]]
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in numbers):
            raise CheckpointError("receipt_malformed", "round_number and position are >= 1")
        if not all(isinstance(t, str) and t for t in texts):
            raise CheckpointError("receipt_malformed", "ids and the code are non-empty text")
        try:
            head_hash = bytes.fromhex(_text(obj["head_hash"]))
            signature = b64decode(_text(obj["signature"]))
        except ValueError as exc:
            raise CheckpointError("receipt_malformed", f"receipt: {exc}") from None
        if len(head_hash) != HASH_BYTES or len(signature) != SIGNATURE_BYTES:
            raise CheckpointError("receipt_malformed", "a 32-byte hash and a 64-byte signature")
        return cls(texts[0], numbers[0], texts[1], texts[2], numbers[1], head_hash, signature)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("bytes are given as text")
    return value

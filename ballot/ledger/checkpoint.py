"""A checkpoint of a session's log: the signed ``(position, head hash, log root)`` and the
RFC 9162 tree of the log it commits to — leaf ``i`` is ``leaf_hash`` of the chain hash of the
event at position ``i + 1`` — and the consistency of two checkpoints of one log.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ballot.domain import CheckpointSigned, RecordCheckpoint
from ballot.domain.values import b64decode, b64encode
from crypto import merkle
from crypto.signing import (
    InvalidKey,
    InvalidSignature,
    SigningKey,
    VerifyKey,
    checkpoint_message,
)
from events import RecordedEvent

HASH_BYTES: Final[int] = 32
SIGNATURE_BYTES: Final[int] = 64
#: How many recent positions a :class:`LogTree` keeps by default to answer ``root_at``.
DEFAULT_WINDOW: Final[int] = 0


class CheckpointError(ValueError):
    """A checkpoint, receipt or proof does not verify, or cannot be built.

    ``code`` is one of: ``checkpoint_position_invalid``, ``checkpoint_head_mismatch``,
    ``checkpoint_root_mismatch``, ``checkpoint_signature_invalid``, ``checkpoint_key_invalid``,
    ``checkpoint_inconsistent``, ``checkpoint_malformed``, ``receipt_not_included``,
    ``receipt_record_invalid``, ``receipt_code_mismatch``, ``receipt_malformed``,
    ``round_closed_invalid``, ``ballot_set_mismatch``, ``position_out_of_window``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[CheckpointError], tuple[str, str]]:
        return (type(self), (self.code, str(self)))


# -- the checkpoint value ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed checkpoint: the log up to ``position`` has head ``head_hash`` and root
    ``log_root``. Its JSON form is the ``CheckpointSigned`` payload (base64url bytes)."""

    position: int
    head_hash: bytes
    log_root: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if isinstance(self.position, bool) or not isinstance(self.position, int):
            raise CheckpointError("checkpoint_malformed", "position must be an integer")
        if self.position < 1:
            raise CheckpointError("checkpoint_malformed", "positions start at 1")
        for name, value, size in (
            ("head_hash", self.head_hash, HASH_BYTES),
            ("log_root", self.log_root, HASH_BYTES),
            ("signature", self.signature, SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise CheckpointError("checkpoint_malformed", f"{name} must be {size} bytes")

    @classmethod
    def from_event(cls, event: CheckpointSigned | RecordCheckpoint) -> Checkpoint:
        """The checkpoint recorded by a ``CheckpointSigned`` event (or carried by the command)."""
        return cls(event.position, event.head_hash, event.log_root, event.signature)

    def command(self) -> RecordCheckpoint:
        """The domain command that records this checkpoint."""
        return RecordCheckpoint(
            position=self.position,
            head_hash=self.head_hash,
            log_root=self.log_root,
            signature=self.signature,
        )

    def message(self) -> bytes:
        """The signed bytes: ``checkpoint_message(position, head_hash, log_root)``."""
        return checkpoint_message(self.position, self.head_hash, self.log_root)

    def to_json(self) -> dict[str, Any]:
        """``{"position", "head_hash", "log_root", "signature"}``, bytes as base64url."""
        return {
            "position": self.position,
            "head_hash": b64encode(self.head_hash),
            "log_root": b64encode(self.log_root),
            "signature": b64encode(self.signature),
        }

    @classmethod
    def from_json(cls, obj: object) -> Checkpoint:
        """Strict inverse of :meth:`to_json` (exactly those keys; canonical base64url)."""
        keys = {"position", "head_hash", "log_root", "signature"}
        if not isinstance(obj, Mapping) or set(obj) != keys:
            raise CheckpointError(
                "checkpoint_malformed", f"a checkpoint has exactly {sorted(keys)}"
            )
        position = obj["position"]
        if isinstance(position, bool) or not isinstance(position, int):
            raise CheckpointError("checkpoint_malformed", "position must be an integer")
        try:
            fields = [b64decode(text_field(obj[k])) for k in ("head_hash", "log_root", "signature")]
        except ValueError as exc:
            raise CheckpointError("checkpoint_malformed", f"checkpoint: {exc}") from None
        return cls(position, fields[0], fields[1], fields[2])

    @classmethod
    def from_api(cls, obj: object) -> Checkpoint:
        """The checkpoint of an API reply (``…/checkpoints``, a receipt look-up): hashes in
        hex, the signature in base64url, plus ``recorded_at_position`` (not part of what is
        signed, so ignored here)."""
        if not isinstance(obj, Mapping):
            raise CheckpointError("checkpoint_malformed", "a checkpoint is a JSON object")
        try:
            position = obj["position"]
            if isinstance(position, bool) or not isinstance(position, int):
                raise ValueError("position must be an integer")
            return cls(
                position,
                bytes.fromhex(text_field(obj["head_hash"])),
                bytes.fromhex(text_field(obj["log_root"])),
                b64decode(text_field(obj["signature"])),
            )
        except (KeyError, ValueError) as exc:
            raise CheckpointError("checkpoint_malformed", f"checkpoint: {exc}") from None


def text_field(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("bytes must be given as text")
    return value


# -- leaves and roots --------------------------------------------------------------------------


def event_hash(item: RecordedEvent | bytes) -> bytes:
    """The chain hash of a recorded event (or the hash itself)."""
    value = item.hash if isinstance(item, RecordedEvent) else item
    if not isinstance(value, bytes) or len(value) != HASH_BYTES:
        raise CheckpointError("checkpoint_malformed", "an event hash is 32 bytes")
    return value


def log_leaves(records_or_hashes: Iterable[RecordedEvent | bytes]) -> list[bytes]:
    """The log tree's leaf hashes, ``leaf_hash(event hash)``, in log order."""
    return [merkle.leaf_hash(event_hash(item)) for item in records_or_hashes]


def log_root(records_or_hashes: Iterable[RecordedEvent | bytes]) -> bytes:
    """The RFC 9162 root of the log tree of the given events (positions ``1..n``)."""
    acc = merkle.MerkleAccumulator()
    for item in records_or_hashes:
        acc.append(merkle.leaf_hash(event_hash(item)))
    return acc.root()


def log_prefix(records_or_hashes: Sequence[RecordedEvent | bytes], position: int) -> list[bytes]:
    if isinstance(position, bool) or not isinstance(position, int):
        raise CheckpointError("checkpoint_position_invalid", "a position is an integer")
    if not 1 <= position <= len(records_or_hashes):
        raise CheckpointError(
            "checkpoint_position_invalid",
            f"position {position} is not in a log of {len(records_or_hashes)} events",
        )
    return [event_hash(item) for item in records_or_hashes[:position]]


def make_checkpoint(
    records_or_hashes: Sequence[RecordedEvent | bytes], position: int, signing_key: SigningKey
) -> RecordCheckpoint:
    """The signed checkpoint of positions ``1..position`` of a log (records, or their hashes
    in log order from position 1), as the command that records it."""
    hashes = log_prefix(records_or_hashes, position)
    return checkpoint_from_head(position, hashes[-1], log_root(hashes), signing_key).command()


def checkpoint_from_head(
    position: int, head_hash: bytes, root: bytes, signing_key: SigningKey
) -> Checkpoint:
    """Sign ``(position, head_hash, root)`` (already computed, e.g. by a :class:`LogTree`)."""
    unsigned = checkpoint_message(position, head_hash, root)
    return Checkpoint(position, head_hash, root, signing_key.sign(unsigned))


def checkpoint_verify_key(public_key: bytes) -> VerifyKey:
    """The session's checkpoint key, strictly decoded (``checkpoint_key_invalid`` if not)."""
    try:
        return VerifyKey.decode(public_key)
    except InvalidKey as exc:
        raise CheckpointError("checkpoint_key_invalid", f"checkpoint key: {exc}") from None


def verify_checkpoint_signature(checkpoint: Checkpoint, public_key: bytes) -> None:
    """Check the checkpoint's Ed25519 signature under the session's checkpoint key."""
    key = checkpoint_verify_key(public_key)
    try:
        key.verify(checkpoint.message(), checkpoint.signature)
    except InvalidSignature as exc:
        raise CheckpointError(
            "checkpoint_signature_invalid",
            f"the checkpoint at position {checkpoint.position} is not signed by the "
            f"checkpoint key: {exc}",
        ) from None


def verify_checkpoint(
    checkpoint: Checkpoint,
    public_key: bytes,
    records_or_hashes: Sequence[RecordedEvent | bytes] | None = None,
) -> None:
    """Check a checkpoint: its signature and, given the log (records or hashes from position
    1), that ``head_hash`` is the hash of event ``position`` and ``log_root`` the root of the
    first ``position`` leaves. Raises :class:`CheckpointError`."""
    if records_or_hashes is not None:
        hashes = log_prefix(records_or_hashes, checkpoint.position)
        if not hmac.compare_digest(hashes[-1], checkpoint.head_hash):
            raise CheckpointError(
                "checkpoint_head_mismatch",
                f"head_hash is not the hash of the event at position {checkpoint.position}",
            )
        if not hmac.compare_digest(log_root(hashes), checkpoint.log_root):
            raise CheckpointError(
                "checkpoint_root_mismatch",
                f"log_root is not the root of positions 1..{checkpoint.position}",
            )
    verify_checkpoint_signature(checkpoint, public_key)


def consistency_proof(
    records_or_hashes: Sequence[RecordedEvent | bytes], old_position: int, new_position: int
) -> list[bytes]:
    """RFC 9162 consistency proof that the log of a checkpoint at ``old_position`` is a prefix
    of the log of one at ``new_position``."""
    hashes = log_prefix(records_or_hashes, new_position)
    if not 1 <= old_position <= new_position:
        raise CheckpointError(
            "checkpoint_position_invalid",
            f"old position {old_position} is not within 1..{new_position}",
        )
    return merkle.consistency_proof([merkle.leaf_hash(h) for h in hashes], old_position)


def verify_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check that ``new`` extends ``old`` (both signatures are checked separately)."""
    try:
        merkle.verify_consistency(
            old.position, new.position, old.log_root, new.log_root, list(proof)
        )
    except merkle.MerkleError as exc:
        raise CheckpointError(
            "checkpoint_inconsistent",
            f"the log signed at {new.position} does not extend the one signed at "
            f"{old.position}: {exc}",
        ) from None
    if old.position == new.position and not hmac.compare_digest(old.head_hash, new.head_hash):
        raise CheckpointError("checkpoint_inconsistent", "two heads for one position")

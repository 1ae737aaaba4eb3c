"""Checkpoints of a session's log, receipts, and the Merkle proofs that tie them together.

**The log tree.** A session's log is summarised by an RFC 9162 Merkle tree whose leaf ``i``
(0-based) is ``leaf_hash(hash of the event at position i + 1)`` — the 32-byte chain hash the
export already carries. The tree of a prefix ``1..P`` has size ``P``.

**A checkpoint** covers positions ``1..P``: ``(P, head_hash = hash of event P, log_root = root
of the first P leaves)``, signed with the session's Ed25519 checkpoint key over
``crypto.signing.checkpoint_message(P, head_hash, log_root)``. It enters the log through the
domain command :class:`~ballot.domain.RecordCheckpoint` (event ``CheckpointSigned``); the
public key is ``SessionConvened.checkpoint_key``.

**A receipt** is a delegation's tracking code. It is checked in two steps: the ballot's
tracking hash is a leaf of its round's ballot tree (``RoundClosed.ballots_root``, leaves
``leaf_hash(tracking_hash)`` in log order), and the ``BallotCast`` event is a leaf of the log
tree signed by the first checkpoint after it (an inclusion proof).

Everything here is a pure function of hashes, except :func:`sign_checkpoint`, which reads a
session's log and records a checkpoint through :class:`~ballot.service.SessionService`.
Incremental helpers (:class:`LogTree`, :class:`InclusionWitness`) keep ``O(log n)`` state
(plus an optional window of recent hashes), so a server and a streaming auditor never hold the
whole log.
"""

from __future__ import annotations

import hmac
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ballot.domain import BallotCast, CheckpointSigned, RecordCheckpoint, Refusal, RoundClosed
from ballot.domain.values import b64decode, b64encode
from ballot.service import Outcome, SessionService
from crypto import ballot as cb
from crypto import merkle
from crypto.group import Point
from crypto.signing import (
    InvalidKey,
    InvalidSignature,
    SigningKey,
    VerifyKey,
    checkpoint_message,
)
from events import ChainBroken, RecordedEvent
from events.exchange import record_from_line

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
            fields = [b64decode(_text(obj[k])) for k in ("head_hash", "log_root", "signature")]
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
                bytes.fromhex(_text(obj["head_hash"])),
                bytes.fromhex(_text(obj["log_root"])),
                b64decode(_text(obj["signature"])),
            )
        except (KeyError, ValueError) as exc:
            raise CheckpointError("checkpoint_malformed", f"checkpoint: {exc}") from None


def _text(value: object) -> str:
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


def _prefix(records_or_hashes: Sequence[RecordedEvent | bytes], position: int) -> list[bytes]:
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
    hashes = _prefix(records_or_hashes, position)
    return checkpoint_from_head(position, hashes[-1], log_root(hashes), signing_key).command()


def checkpoint_from_head(
    position: int, head_hash: bytes, root: bytes, signing_key: SigningKey
) -> Checkpoint:
    """Sign ``(position, head_hash, root)`` (already computed, e.g. by a :class:`LogTree`)."""
    unsigned = checkpoint_message(position, head_hash, root)
    return Checkpoint(position, head_hash, root, signing_key.sign(unsigned))


def verify_checkpoint_signature(checkpoint: Checkpoint, public_key: bytes) -> None:
    """Check the checkpoint's Ed25519 signature under the session's checkpoint key."""
    try:
        key = VerifyKey.decode(public_key)
    except InvalidKey as exc:
        raise CheckpointError("checkpoint_key_invalid", f"checkpoint key: {exc}") from None
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
        hashes = _prefix(records_or_hashes, checkpoint.position)
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


# -- receipts and proofs ------------------------------------------------------------------------


def receipt_proof(
    records_or_hashes: Sequence[RecordedEvent | bytes], position: int, checkpoint_position: int
) -> list[bytes]:
    """Inclusion proof of the event at ``position`` (a ``BallotCast``) in the log tree of a
    checkpoint at ``checkpoint_position`` (``position <= checkpoint_position``)."""
    hashes = _prefix(records_or_hashes, checkpoint_position)
    if not 1 <= position <= checkpoint_position:
        raise CheckpointError(
            "checkpoint_position_invalid",
            f"position {position} is not covered by a checkpoint at {checkpoint_position}",
        )
    return merkle.inclusion_proof([merkle.leaf_hash(h) for h in hashes], position - 1)


def verify_receipt(
    event_hash_: bytes, position: int, checkpoint: Checkpoint, proof: Sequence[bytes]
) -> None:
    """Check that the event with hash ``event_hash_`` is at ``position`` in the log the
    checkpoint signs (the checkpoint's own signature is checked separately)."""
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(event_hash(event_hash_)),
            position - 1,
            checkpoint.position,
            list(proof),
            checkpoint.log_root,
        )
    except merkle.MerkleError as exc:
        raise CheckpointError(
            "receipt_not_included",
            f"the event at position {position} is not in the log signed at "
            f"{checkpoint.position}: {exc}",
        ) from None


def verify_published_receipt(
    tracking_code: str,
    record_line: str | bytes,
    checkpoint: Checkpoint,
    proof: Sequence[bytes],
    public_key: bytes,
) -> RecordedEvent:
    """Check a receipt look-up end to end, trusting nothing but the checkpoint key: the
    ``BallotCast`` event's exported record (its JSON Lines line, strictly canonical) hashes to
    the ``hash`` it carries, its payload holds ``tracking_code``, the proof includes that hash
    at the record's position in the log the checkpoint signs, and the checkpoint is signed by
    ``public_key``. Returns the record. Raises :class:`CheckpointError`
    (``receipt_record_invalid``, ``receipt_code_mismatch``, ``receipt_not_included``,
    ``checkpoint_signature_invalid``, ``checkpoint_key_invalid``).

    The browser's ``static/js/crypto/receipt.js`` makes exactly these checks.
    """
    record = _intact_record(record_line, "receipt_record_invalid", "the event record")
    payload = record.payload()
    wanted = tracking_code.strip().upper()
    if record.event_type != BallotCast.event_type or payload.get("tracking_code") != wanted:
        raise CheckpointError(
            "receipt_code_mismatch", f"the event record is not the ballot with code {wanted}"
        )
    verify_receipt(record.hash, record.position, checkpoint, proof)
    verify_checkpoint_signature(checkpoint, public_key)
    return record


def _intact_record(record_line: str | bytes, code: str, what: str) -> RecordedEvent:
    """An exported record (strictly canonical) that hashes to the hash it carries."""
    line = record_line.encode() if isinstance(record_line, str) else record_line
    try:
        record = record_from_line(line, 0)
    except ChainBroken as exc:
        raise CheckpointError(code, f"{what}: {exc}") from None
    if not hmac.compare_digest(record.computed_hash(), record.hash):
        raise CheckpointError(code, f"{what} does not hash to the hash it carries")
    return record


def verify_counted_receipt(
    ballot_record: RecordedEvent,
    closed_line: str | bytes,
    closed_checkpoint: Checkpoint,
    closed_proof: Sequence[bytes],
    leaf_index: int,
    ballot_proof: Sequence[bytes],
    public_key: bytes,
    *,
    election_key: bytes,
    options: Sequence[str],
) -> RecordedEvent:
    """Check that a ballot (``ballot_record``, its ``BallotCast`` record as returned by
    :func:`verify_published_receipt`) is in its round's counted set, trusting nothing but the
    checkpoint key and the round's ballot context (``election_key``, ``options``; the session is
    the record's log): the ``RoundClosed`` record (``closed_line``, strictly canonical) hashes to
    its hash, closes the ballot's round after it in the same log, and is included at its
    position in ``closed_checkpoint``, signed by ``public_key``; the tracking hash recomputed
    from the recorded ballot and signature renders to the record's tracking code and is leaf
    ``leaf_index`` of the ``ballot_count`` leaves under ``ballots_root``. Returns the
    ``RoundClosed`` record. Raises :class:`CheckpointError` (``round_closed_invalid``,
    ``receipt_code_mismatch``, ``receipt_not_included``, ``checkpoint_signature_invalid``,
    ``ballot_set_mismatch``).

    The browser's ``static/js/crypto/receipt.js`` (``verifyBallotSet``) makes the same checks.
    """
    closed = _intact_record(closed_line, "round_closed_invalid", "the RoundClosed record")
    ballot = ballot_record.payload()
    payload = closed.payload()
    if (
        closed.event_type != RoundClosed.event_type
        or closed.log_id != ballot_record.log_id
        or payload.get("round_number") != ballot.get("round_number")
        or closed.position <= ballot_record.position
    ):
        raise CheckpointError(
            "round_closed_invalid",
            f"the record is not the closing of round {ballot.get('round_number')} after the "
            "ballot, in its session's log",
        )
    try:
        count = payload["ballot_count"]
        root = b64decode(str(payload["ballots_root"]))
        if isinstance(count, bool) or not isinstance(count, int) or len(root) != HASH_BYTES:
            raise ValueError("malformed")
    except (KeyError, ValueError):
        raise CheckpointError(
            "round_closed_invalid", "the RoundClosed record has no ballot count and root"
        ) from None
    verify_receipt(closed.hash, closed.position, closed_checkpoint, closed_proof)
    verify_checkpoint_signature(closed_checkpoint, public_key)
    try:
        ctx = cb.BallotContext(
            ballot_record.log_id,
            int(ballot["round_number"]),
            Point.decode(election_key),
            str(ballot["delegation_id"]),
            tuple(options),
        )
        digest = cb.tracking_hash(
            ctx, cb.ballot_from_json(ballot["ballot"]), b64decode(str(ballot["signature"]))
        )
    except (KeyError, ValueError, TypeError) as exc:  # BallotError, GroupError: ValueError
        raise CheckpointError(
            "receipt_code_mismatch", f"the recorded ballot is unusable: {exc}"
        ) from None
    if cb.render_tracking_code(digest) != ballot.get("tracking_code"):
        raise CheckpointError(
            "receipt_code_mismatch", "the recorded ballot does not hash to its tracking code"
        )
    if isinstance(leaf_index, bool) or not isinstance(leaf_index, int):
        raise CheckpointError("ballot_set_mismatch", "a leaf index is an integer")
    verify_ballot_set_membership(digest, leaf_index, count, ballot_proof, root)
    return closed


def verify_receipt_reply(
    reply: Mapping[str, Any], tracking_code: str, public_key: bytes
) -> RecordedEvent:
    """:func:`verify_published_receipt` of a receipt look-up's reply as it arrives
    (``GET …/receipts/{code}``, JSON), against ``public_key`` — the published checkpoint key,
    or the reply's own ``checkpoint_key`` for a check of its internal consistency only.
    Raises :class:`CheckpointError` (``receipt_malformed`` for a reply that is not one)."""
    return verify_published_receipt(
        tracking_code,
        _reply_text(reply, "record"),
        Checkpoint.from_api(reply.get("checkpoint")),
        _reply_hashes(reply, "inclusion_proof"),
        public_key,
    )


def verify_counted_reply(
    reply: Mapping[str, Any],
    ballot_record: RecordedEvent,
    public_key: bytes,
    *,
    election_key: bytes,
    options: Sequence[str],
) -> RecordedEvent:
    """:func:`verify_counted_receipt` of a receipt look-up's ``ballot_set`` (``ballot_record``
    as :func:`verify_receipt_reply` returned it). Returns the ``RoundClosed`` record."""
    proof = reply.get("ballot_set")
    if not isinstance(proof, Mapping):
        raise CheckpointError("receipt_malformed", "the reply has no ballot_set")
    return verify_counted_receipt(
        ballot_record,
        _reply_text(proof, "record"),
        Checkpoint.from_api(proof.get("checkpoint")),
        _reply_hashes(proof, "inclusion_proof"),
        proof.get("leaf_index"),  # type: ignore[arg-type]  # checked there
        _reply_hashes(proof, "ballot_proof"),
        public_key,
        election_key=election_key,
        options=options,
    )


def _reply_text(reply: Mapping[str, Any], name: str) -> str:
    value = reply.get(name)
    if not isinstance(value, str):
        raise CheckpointError("receipt_malformed", f"the reply's {name} is not a string")
    return value


def _reply_hashes(reply: Mapping[str, Any], name: str) -> list[bytes]:
    values = reply.get(name)
    try:
        if not isinstance(values, list):
            raise ValueError("not a list")
        return [bytes.fromhex(_text(v)) for v in values]
    except ValueError as exc:
        raise CheckpointError(
            "receipt_malformed", f"the reply's {name} is not a list of hex hashes: {exc}"
        ) from None


def consistency_proof(
    records_or_hashes: Sequence[RecordedEvent | bytes], old_position: int, new_position: int
) -> list[bytes]:
    """RFC 9162 consistency proof that the log of a checkpoint at ``old_position`` is a prefix
    of the log of one at ``new_position``."""
    hashes = _prefix(records_or_hashes, new_position)
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


def ballot_set_proof(tracking_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Inclusion proof of the ``index``-th ballot (0-based, log order) of a round in the round's
    ballot tree, whose root ``RoundClosed.ballots_root`` commits to the counted set."""
    return merkle.inclusion_proof([merkle.leaf_hash(h) for h in tracking_hashes], index)


def verify_ballot_set_membership(
    tracking_hash: bytes,
    index: int,
    ballot_count: int,
    proof: Sequence[bytes],
    ballots_root: bytes,
) -> None:
    """Check that a ballot's tracking hash is the ``index``-th of the ``ballot_count`` ballots
    committed to by ``ballots_root``."""
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(tracking_hash), index, ballot_count, list(proof), ballots_root
        )
    except merkle.MerkleError as exc:
        raise CheckpointError(
            "ballot_set_mismatch", f"the ballot is not in the round's committed set: {exc}"
        ) from None


# -- incremental trees ----------------------------------------------------------------------------


class InclusionWitness:
    """Builds the inclusion proof of one leaf for any later tree size, in one pass.

    The left siblings on a leaf's audit path tile the leaves before it exactly as the perfect
    subtrees of the tree of that prefix do, so they are the accumulator's peaks at the time the
    leaf is appended; only the leaves *after* it need keeping, until the proof is taken.
    """

    __slots__ = ("_index", "_leaves", "_left")

    def __init__(self, index: int, left_peaks: Sequence[bytes], leaf: bytes) -> None:
        self._index = index
        self._left = tuple(left_peaks)
        self._leaves: list[bytes] = [leaf]

    @property
    def index(self) -> int:
        """The leaf's index (0-based)."""
        return self._index

    @property
    def covers(self) -> int:
        """The largest tree size a proof can be built for so far."""
        return self._index + len(self._leaves)

    def append(self, leaf: bytes) -> None:
        """The next leaf hash of the tree."""
        self._leaves.append(leaf)

    def proof(self, tree_size: int) -> list[bytes]:
        """``PATH(index, D[tree_size])`` of RFC 9162, leaf side first."""
        if not self._index < tree_size <= self.covers:
            raise CheckpointError(
                "position_out_of_window",
                f"cannot prove leaf {self._index} in a tree of size {tree_size}",
            )
        path: list[bytes] = []
        peaks = iter(self._left)
        lo, hi, m = 0, tree_size, self._index
        while hi - lo > 1:
            k = merkle.split_point(hi - lo)
            if m < lo + k:
                path.append(merkle.subtree_root(self._leaves, lo + k - m, hi - m))
                hi = lo + k
            else:
                path.append(next(peaks))
                lo += k
        path.reverse()
        return path


class LogTree:
    """The log tree, built one event hash at a time: ``O(log n)`` state for the current root,
    plus the last ``window`` hashes so that the root and head of a recent earlier position can
    be recomputed (a checkpoint may cover a head a few events old), plus any active
    :class:`InclusionWitness`.

    With ``proofs=True`` it also keeps every node of every perfect subtree (``2n`` hashes of 32
    bytes, in flat byte arrays), so that the root of *any* prefix and the inclusion proof of
    *any* position in *any* prefix take ``O(log² n)`` hashes instead of a pass over the log:
    what a server answering receipt look-ups needs.
    """

    __slots__ = ("_acc", "_base", "_levels", "_recent", "_watching", "_window")

    def __init__(self, window: int = DEFAULT_WINDOW, *, proofs: bool = False) -> None:
        self._acc = merkle.MerkleAccumulator()
        self._base = merkle.MerkleAccumulator()
        self._recent: deque[bytes] = deque()
        self._window = window
        self._watching: list[InclusionWitness] = []
        # _levels[h] holds, back to back, the roots of the aligned perfect subtrees of 2**h
        # leaves completed so far (level 0: the leaf hashes themselves).
        self._levels: list[bytearray] | None = [bytearray()] if proofs else None

    @property
    def size(self) -> int:
        """Positions appended so far (the position of the head)."""
        return self._acc.size

    @property
    def proves(self) -> bool:
        """Whether this tree keeps what it needs to prove any position (``proofs=True``)."""
        return self._levels is not None

    @property
    def head_hash(self) -> bytes:
        """The hash of the last event appended."""
        if not self._recent:
            raise CheckpointError("checkpoint_position_invalid", "the tree is empty")
        return self._recent[-1]

    def root(self) -> bytes:
        """The root of the tree of every position appended so far."""
        return self._acc.root()

    def append(self, event_hash_: bytes, *, watch: bool = False) -> InclusionWitness | None:
        """Append the next event's hash; with ``watch``, return a witness for its inclusion
        proofs (fed with every later leaf until :meth:`unwatch`)."""
        leaf = merkle.leaf_hash(event_hash(event_hash_))
        witness: InclusionWitness | None = None
        for active in self._watching:
            active.append(leaf)
        if watch:
            witness = InclusionWitness(self._acc.size, self._acc.peaks, leaf)
            self._watching.append(witness)
        if self._levels is not None:
            self._keep(leaf, self._acc.size)
        self._acc.append(leaf)
        self._recent.append(event_hash_)
        # One hash is kept beyond the window: the head, which ``head_hash`` needs.
        while len(self._recent) > self._window + 1:
            self._base.append(merkle.leaf_hash(self._recent.popleft()))
        return witness

    def _keep(self, leaf: bytes, index: int) -> None:
        levels = self._levels
        assert levels is not None
        levels[0] += leaf
        node, height = leaf, 0
        # A node with an odd index is a right child: it completes its parent.
        while index & 1:
            start = HASH_BYTES * (index - 1)
            node = merkle.node_hash(bytes(levels[height][start : start + HASH_BYTES]), node)
            height, index = height + 1, index >> 1
            if len(levels) == height:
                levels.append(bytearray())
            levels[height] += node

    def _subtree(self, lo: int, hi: int) -> bytes:
        """``MTH`` of leaves ``lo..hi-1`` where ``lo`` is a multiple of the largest power of
        two below ``hi - lo`` (true of every subtree of an RFC 9162 tree rooted at 0)."""
        levels = self._levels
        assert levels is not None
        n = hi - lo
        if n & (n - 1) == 0:  # a perfect subtree, aligned: stored
            height = n.bit_length() - 1
            start = HASH_BYTES * (lo >> height)
            return bytes(levels[height][start : start + HASH_BYTES])
        k = merkle.split_point(n)
        return merkle.node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def _check_proving(self, tree_size: int) -> None:
        if self._levels is None:
            raise CheckpointError(
                "position_out_of_window", "this tree keeps no proofs (made without proofs=True)"
            )
        if isinstance(tree_size, bool) or not isinstance(tree_size, int):
            raise CheckpointError("checkpoint_position_invalid", "a position is an integer")
        if not 1 <= tree_size <= self.size:
            raise CheckpointError(
                "checkpoint_position_invalid",
                f"position {tree_size} is not in a log of {self.size} events",
            )

    def inclusion_proof(self, position: int, tree_size: int) -> list[bytes]:
        """RFC 9162 ``PATH(position - 1, D[tree_size])``, leaf side first: the proof that the
        event at ``position`` is in the log a checkpoint at ``tree_size`` signs (equal to
        :func:`receipt_proof` over the whole log; needs ``proofs=True``)."""
        self._check_proving(tree_size)
        if isinstance(position, bool) or not isinstance(position, int):
            raise CheckpointError("checkpoint_position_invalid", "a position is an integer")
        if not 1 <= position <= tree_size:
            raise CheckpointError(
                "checkpoint_position_invalid",
                f"position {position} is not covered by a checkpoint at {tree_size}",
            )
        path: list[bytes] = []
        lo, hi, m = 0, tree_size, position - 1
        while hi - lo > 1:
            k = merkle.split_point(hi - lo)
            if m < lo + k:
                path.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self._subtree(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def unwatch(self, witness: InclusionWitness) -> None:
        """Stop feeding ``witness``."""
        self._watching = [w for w in self._watching if w is not witness]

    def _check_recent(self, position: int) -> None:
        if not self._base.size < position <= self.size:
            raise CheckpointError(
                "position_out_of_window",
                f"position {position} is not among the last {self._window + 1} positions "
                f"(1..{self.size} appended)",
            )

    def hash_at(self, position: int) -> bytes:
        """The hash of the event at a recent ``position``."""
        self._check_recent(position)
        return self._recent[position - self._base.size - 1]

    def root_at(self, position: int) -> bytes:
        """The root of positions ``1..position``: a recent ``position``, or any one if the tree
        keeps proofs."""
        if position == self.size:
            return self.root()
        if self._levels is not None:
            self._check_proving(position)
            return self._subtree(0, position)
        self._check_recent(position)
        acc = self._base.copy()
        for i in range(position - self._base.size):
            acc.append(merkle.leaf_hash(self._recent[i]))
        return acc.root()


# -- signing a session's checkpoint ------------------------------------------------------------


async def _nothing_new(service: SessionService, since: int | None) -> bool:
    """Whether every event after position ``since`` is itself a checkpoint."""
    if since is None:
        return False
    async for record in service.store.read_log(service.session_id, since):
        if record.event_type != CheckpointSigned.event_type:
            return False
    return True


async def sign_checkpoint(
    service: SessionService,
    signing_key: SigningKey,
    *,
    tree: LogTree | None = None,
    follow: Callable[[], Awaitable[LogTree]] | None = None,
    attempts: int = 5,
) -> Outcome:
    """Sign and record a checkpoint of the session's log at its current head.

    Reads the log (only the part ``tree`` has not seen, if a tree is kept between calls),
    builds the checkpoint, and executes :class:`~ballot.domain.RecordCheckpoint`. A tree that
    someone else keeps current (a server's per-session log index, which also indexes what it
    reads) is given as ``follow`` instead: an awaitable that brings it to the log's head and
    returns it; the tree is then never extended here. Returns an
    outcome with no events if nothing but checkpoints was appended since the last one. A
    checkpoint recorded concurrently by someone else at a later head makes this one moot:
    it then signs the new head (up to ``attempts`` times). Raises :class:`CheckpointError`
    if ``signing_key`` is not the session's checkpoint key or the log is empty, and
    :class:`~ballot.domain.Refusal` as the rules do (e.g. ``session_not_convened``).
    """
    own = LogTree() if tree is None else tree

    async def extend() -> LogTree:
        async for record in service.store.read_log(service.session_id, own.size):
            own.append(record.hash)
        return own

    catch_up = extend if follow is None else follow
    last_refusal: Refusal | None = None
    for _ in range(attempts):
        state = await service.catch_up()
        expected_key = state.checkpoint_key
        if expected_key is not None and signing_key.public_key().encode() != expected_key:
            raise CheckpointError(
                "checkpoint_key_invalid", "this is not the session's checkpoint key"
            )
        tree = await catch_up()
        if tree.size == 0:
            raise CheckpointError("checkpoint_position_invalid", "the log is empty")
        if await _nothing_new(service, state.last_checkpoint):
            return Outcome((), None, state)
        checkpoint = checkpoint_from_head(tree.size, tree.head_hash, tree.root(), signing_key)
        try:
            return await service.execute(
                checkpoint.command(),
                actor="checkpoint",
                idempotency_key=f"checkpoint/{checkpoint.position}",
            )
        except Refusal as refusal:
            # Someone else checkpointed this head (or a later one) first: sign the new head.
            if refusal.code != "invalid_checkpoint":
                raise
            last_refusal = refusal
    assert last_refusal is not None
    raise last_refusal

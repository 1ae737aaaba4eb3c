"""Receipts: a delegation's proof that the record held its ballot — the ``BallotCast`` event
is a leaf of the log tree a signed checkpoint commits to (an inclusion proof), and its
tracking hash a leaf of its round's committed ballot set — and their checks, from the
server's replies or held records.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from ballot.domain import BallotCast, RoundClosed
from ballot.domain.values import b64decode
from ballot.ledger.ballot_set import verify_ballot_set_membership
from ballot.ledger.checkpoint import (
    HASH_BYTES,
    Checkpoint,
    CheckpointError,
    event_hash,
    log_prefix,
    text_field,
    verify_checkpoint_signature,
)
from crypto import ballot as cb
from crypto import merkle
from crypto.group import Point
from events import ChainBroken, RecordedEvent
from events.exchange import record_from_line

# -- receipts and proofs ------------------------------------------------------------------------


def receipt_proof(
    records_or_hashes: Sequence[RecordedEvent | bytes], position: int, checkpoint_position: int
) -> list[bytes]:
    """Inclusion proof of the event at ``position`` (a ``BallotCast``) in the log tree of a
    checkpoint at ``checkpoint_position`` (``position <= checkpoint_position``)."""
    hashes = log_prefix(records_or_hashes, checkpoint_position)
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
        return [bytes.fromhex(text_field(v)) for v in values]
    except ValueError as exc:
        raise CheckpointError(
            "receipt_malformed", f"the reply's {name} is not a list of hex hashes: {exc}"
        ) from None

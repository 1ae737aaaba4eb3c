"""The dishonest database owner, played on an exported log: what they can do to the record.

Whoever owns the PostgreSQL database can disable the append-only triggers and rewrite the log
at will: delete events, change a field, reorder, and then *re-chain* it (recompute every
``prev_hash`` and ``hash``) so the chain verifies again. They do not hold the checkpoint key
(:mod:`ballot.checkpoint_key`: it is not in the database), so to keep the log's checkpoints
valid they must put a key of their own in ``SessionConvened`` and re-sign every checkpoint.
Such a log is consistent with itself; what exposes it is what others kept — signed receipts,
the published key, checkpoints a witness cosigned.

Each tamper class is a pure function ``(records, rng, attacker key) -> records``; the tests
and ``ballot bench tamper`` play them, and ``ballot audit`` must catch every one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

from ballot.domain import BallotCast, CheckpointSigned, SessionConvened
from ballot.domain.values import b64encode
from ballot.ledger import LogTree, SignedReceipt, checkpoint_from_head
from crypto.signing import SigningKey
from events import GENESIS_HASH, RecordedEvent, canonical_json, chain_hash
from events.canonical import format_timestamp, parse_timestamp

Tamper = Callable[[Sequence[RecordedEvent], random.Random, SigningKey], list[RecordedEvent]]


def with_payload(record: RecordedEvent, new: Mapping[str, Any]) -> RecordedEvent:
    """The record with another payload (hash not recomputed: call :func:`rechain`)."""
    return record._replace(payload_json=canonical_json(dict(new)))


def rechain(
    records: Sequence[RecordedEvent],
    *,
    resign_with: SigningKey | None = None,
    restream: bool = True,
) -> list[RecordedEvent]:
    """Renumber positions (and stream versions) and recompute every ``prev_hash`` and
    ``hash``, in one pass. With ``resign_with``, ``SessionConvened`` names that key and every
    checkpoint is re-signed with it over the events before it (the owner's own key: the
    session's is not theirs to use)."""
    out: list[RecordedEvent] = []
    tree = LogTree()
    prev = GENESIS_HASH
    versions: dict[str, int] = {}
    for position, record in enumerate(records, start=1):
        if resign_with is not None:
            record = _resigned(record, tree, resign_with)
        version = record.stream_version
        if restream:
            version = versions.get(record.stream_id, 0) + 1
            versions[record.stream_id] = version
        fixed = record._replace(
            position=position, stream_version=version, prev_hash=prev, hash=bytes(32)
        )
        fixed = fixed._replace(hash=chain_hash(prev, fixed.canonical_bytes()))
        out.append(fixed)
        tree.append(fixed.hash)
        prev = fixed.hash
    return out


def _resigned(record: RecordedEvent, tree: LogTree, key: SigningKey) -> RecordedEvent:
    if record.event_type == SessionConvened.event_type:
        body = record.payload()
        body["checkpoint_key"] = b64encode(key.public_key().encode())
        return with_payload(record, body)
    if record.event_type == CheckpointSigned.event_type and tree.size:
        signed = checkpoint_from_head(tree.size, tree.head_hash, tree.root(), key)
        return with_payload(record, signed.to_json())
    return record


def signed_receipts(
    records: Sequence[RecordedEvent], key: SigningKey, session_id: str
) -> list[SignedReceipt]:
    """The receipt the server signs for each recorded ballot (as the cast response does)."""
    receipts: list[SignedReceipt] = []
    for record in records:
        if record.event_type != BallotCast.event_type:
            continue
        body = record.payload()
        receipts.append(
            SignedReceipt.sign(
                key,
                session_id=session_id,
                round_number=body["round_number"],
                delegation_id=body["delegation_id"],
                tracking_code=body["tracking_code"],
                position=record.position,
                head_hash=record.hash,
            )
        )
    return receipts


def _ballots(records: Sequence[RecordedEvent]) -> list[int]:
    """Indexes (0-based) of the ballots in ``records``."""
    return [i for i, r in enumerate(records) if r.event_type == BallotCast.event_type]


# -- the tamper classes ---------------------------------------------------------------------------


def truncate_tail(
    records: Sequence[RecordedEvent], rng: random.Random, _key: SigningKey
) -> list[RecordedEvent]:
    """Delete the last two ballots and everything after them, and set the head back (the
    issue's attack: no re-chaining needed, what is left still verifies)."""
    del rng
    ballots = _ballots(records)
    return list(records[: ballots[-2]])


def delete_middle_resealed(
    records: Sequence[RecordedEvent], rng: random.Random, key: SigningKey
) -> list[RecordedEvent]:
    """Delete one ballot in the middle, re-chain, and re-sign every checkpoint (own key)."""
    victim = rng.choice(_ballots(records)[1:-1])
    kept = [r for i, r in enumerate(records) if i != victim]
    return rechain(kept, resign_with=key)


def rewrite_field(
    records: Sequence[RecordedEvent], rng: random.Random, key: SigningKey
) -> list[RecordedEvent]:
    """Rewrite one ballot's ``recorded_at``, re-chain, and re-sign every checkpoint."""
    victim = rng.choice(_ballots(records)[:-1])
    changed = list(records)
    original = changed[victim]
    # Backdated by a minute: as if the ballot had come in before the round opened.
    earlier = parse_timestamp(original.recorded_at) - timedelta(minutes=1)
    changed[victim] = original._replace(recorded_at=format_timestamp(earlier))
    return rechain(changed, resign_with=key)


def replace_key(
    records: Sequence[RecordedEvent], rng: random.Random, key: SigningKey
) -> list[RecordedEvent]:
    """Change nothing but the checkpoint key: every checkpoint re-signed with the owner's."""
    del rng
    return rechain(records, resign_with=key)


def reorder(
    records: Sequence[RecordedEvent], rng: random.Random, key: SigningKey
) -> list[RecordedEvent]:
    """Swap two ballots of one round, re-chain, and re-sign every checkpoint."""
    ballots = _ballots(records)
    rounds: dict[int, list[int]] = {}
    for index in ballots:
        rounds.setdefault(records[index].payload()["round_number"], []).append(index)
    group = rng.choice([g for g in rounds.values() if len(g) >= 2])
    a, b = rng.sample(group, 2)
    swapped = list(records)
    swapped[a], swapped[b] = swapped[b], swapped[a]
    return rechain(swapped, resign_with=key)


#: Every tamper class, by name.
TAMPERS: Final[Mapping[str, Tamper]] = {
    "truncate_tail": truncate_tail,
    "delete_middle_resealed": delete_middle_resealed,
    "rewrite_field": rewrite_field,
    "replace_key": replace_key,
    "reorder": reorder,
}

"""Signing a running session's checkpoint: read the log since the last checkpoint, sign the
new head with the session's key and record it (beside the service, not in the ledger, so that
the offline auditor never imports a running service).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ballot.domain import CheckpointSigned, Refusal
from ballot.ledger.checkpoint import (
    CheckpointError,
    checkpoint_from_head,
)
from ballot.ledger.trees import LogTree
from ballot.service import Outcome, SessionService
from crypto.signing import (
    SigningKey,
)

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

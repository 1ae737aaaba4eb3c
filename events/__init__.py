"""The append-only, hash-chained event store: the only truth of a session.

Public API::

    store = await PostgresEventStore.open(dsn)          # or MemoryEventStore()
    result = await store.append(log_id, stream_id, [NewEvent("X", {...})], Expect.NO_STREAM)
    async for event in store.read_log(log_id): ...
    async for event in store.subscribe(log_id, after=position): ...

See ``docs/event-log.md`` for the canonical bytes and the hash chain.
"""

from events.canonical import GENESIS_HASH, canonical_json, chain_hash
from events.chain import ChainVerifier, verify_chain, verify_chain_async
from events.errors import (
    ChainBroken,
    DuplicateEventConflict,
    ImportRefused,
    InvalidPayload,
    LogRewound,
    StoreError,
    WrongExpectedPosition,
    WrongExpectedVersion,
)
from events.memory import MemoryEventStore
from events.model import (
    AppendResult,
    Expect,
    ExpectedVersion,
    LogHead,
    NewEvent,
    RecordedEvent,
)
from events.store import AppendObserver, EventStore

__all__ = [
    "GENESIS_HASH",
    "AppendObserver",
    "AppendResult",
    "ChainBroken",
    "ChainVerifier",
    "DuplicateEventConflict",
    "EventStore",
    "Expect",
    "ExpectedVersion",
    "ImportRefused",
    "InvalidPayload",
    "LogHead",
    "LogRewound",
    "MemoryEventStore",
    "NewEvent",
    "RecordedEvent",
    "StoreError",
    "WrongExpectedPosition",
    "WrongExpectedVersion",
    "canonical_json",
    "chain_hash",
    "verify_chain",
    "verify_chain_async",
]

"""Typed refusals of the event store. Each has a stable ``code`` for problem documents."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every refusal of the event store."""

    code = "store_error"


class InvalidPayload(StoreError):
    """A payload or metadata value has no canonical JSON form (floats, huge integers, …)."""

    code = "invalid_payload"


class WrongExpectedVersion(StoreError):
    """The stream was not at the version the caller expected; nothing was appended."""

    code = "wrong_expected_version"

    def __init__(self, log_id: str, stream_id: str, expected: object, actual: int) -> None:
        self.log_id = log_id
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_id!r} of log {log_id!r} is at version {actual}, expected {expected}"
        )


class WrongExpectedPosition(StoreError):
    """The log moved past the position the caller decided at; nothing was appended."""

    code = "wrong_expected_position"

    def __init__(self, log_id: str, expected: int, actual: int) -> None:
        self.log_id = log_id
        self.expected = expected
        self.actual = actual
        super().__init__(f"log {log_id!r} is at position {actual}, expected {expected}")


class LogRewound(StoreError):
    """The log is behind, or at the same position as but other than, a head the caller has
    already seen: someone who owns the database removed or rewrote events. Nothing was
    appended; a writer that sees this must stop, not write on top of a shortened log."""

    code = "log_rewound"

    def __init__(self, log_id: str, seen: int, actual: int, *, rewritten: bool = False) -> None:
        self.log_id = log_id
        self.seen = seen
        self.actual = actual
        what = (
            f"holds another event at position {actual} than the one seen there"
            if rewritten
            else f"is at position {actual}, behind position {seen} already seen"
        )
        super().__init__(f"log {log_id!r} {what}")


class DuplicateEventConflict(StoreError):
    """An event id is already stored with different content (or in another log/stream)."""

    code = "duplicate_event_conflict"

    def __init__(self, event_id: str, reason: str) -> None:
        self.event_id = event_id
        super().__init__(f"event id {event_id} is already stored with different content: {reason}")


class ChainBroken(StoreError):
    """A log's hash chain does not verify; ``position`` is the first position that fails."""

    code = "chain_broken"

    def __init__(self, position: int, reason: str) -> None:
        self.position = position
        self.reason = reason
        super().__init__(f"log broken at position {position}: {reason}")


class ImportRefused(StoreError):
    """An imported log does not continue the stored one, or does not verify.

    ``position`` names the first offending event when there is one.
    """

    code = "import_refused"

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)

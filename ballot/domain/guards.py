"""What every rule shares: the phase guards and the table of handlers by command type."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from ballot.domain.errors import Refusal
from ballot.domain.events import Event
from ballot.domain.state import SessionState

C = TypeVar("C")
#: A rule: the events a command leads to in a state (or a :class:`Refusal`).
Handler = Callable[[SessionState, Any], list[Event]]


class Handlers:
    """One concern's rules, by the type of command each one decides."""

    def __init__(self) -> None:
        self.by_command: dict[type, Handler] = {}

    def on(
        self, cls: type[C]
    ) -> Callable[
        [Callable[[SessionState, C], list[Event]]], Callable[[SessionState, C], list[Event]]
    ]:
        """Register the decorated function as the rule for commands of type ``cls``."""

        def register(
            fn: Callable[[SessionState, C], list[Event]],
        ) -> Callable[[SessionState, C], list[Event]]:
            if cls in self.by_command:
                raise TypeError(f"two rules for {cls.__name__}")
            self.by_command[cls] = fn
            return fn

        return register


def require_active(state: SessionState) -> None:
    """Convened, not concluded: the only phase in which anything but reading happens."""
    if state.phase == "new":
        raise Refusal("session_not_convened", "convene the session first")
    if state.phase == "elected":
        assert state.elected is not None
        raise Refusal(
            "already_elected",
            f"{state.elected.candidate_id} has been elected; nothing more "
            "can happen in this session",
        )
    if state.phase == "adjourned":
        raise Refusal("session_adjourned", "the session is adjourned")


def require_between_rounds(state: SessionState, what: str) -> None:
    """Refuse ``round_in_progress`` while a round is open or awaits its tally."""
    current = state.round_in_progress
    if current is not None:
        raise Refusal(
            "round_in_progress", f"round {current.number} is {current.status}; {what} must wait"
        )


def require_new_id(state: SessionState, new_id: str) -> None:
    """Refuse ``duplicate_id`` unless ``new_id`` is unused in the session."""
    if new_id in state.ids_in_use():
        raise Refusal("duplicate_id", f"{new_id!r} is already used in this session", id=new_id)


def same_digest(a: bytes | None, b: bytes) -> bool:
    """Whether a stored digest equals ``b`` (constant time: digests of secrets)."""
    return a is not None and hmac.compare_digest(a, b)

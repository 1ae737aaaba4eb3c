"""``decide(state, command) -> events``: every rule applied to every command.

``decide`` either returns the events that record what happened (possibly none, for an
idempotent re-send) or raises a :class:`~ballot.domain.errors.Refusal`; it never changes
anything itself. The rules live by concern, one module each:

* :mod:`.roll` — convening, member states, candidates, credentials, enrollment, presence,
  voting rights, the tellers' appointment;
* :mod:`.ceremony` — the tellers' key ceremony and the election key;
* :mod:`.casting` — opening a round, and a delegation's ballot;
* :mod:`.challenges` — a delegation opening an encrypted ballot instead of casting it;
* :mod:`.closing` — closing, voiding, tallying and the decisions that follow, withdrawals,
  acclamation, checkpoints, adjournment;
* :mod:`.witnesses` — admitting a witness of the record, and cosignatures of checkpoints.

A cast ballot reaches ``decide`` only as a :class:`~ballot.domain.verification.VerifiedCast`
(its decoding, proofs and signature checked first — in a worker process, or inline).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ballot.domain.commands import CastBallot, Command
from ballot.domain.decide import casting, ceremony, challenges, closing, roll, witnesses
from ballot.domain.decide.ceremony import ceremony_context, ceremony_key
from ballot.domain.decide.closing import tally_outcome
from ballot.domain.events import Event
from ballot.domain.guards import Handler
from ballot.domain.state import SessionState
from ballot.domain.verification import VerifiedCast, enrolled_key, verify_cast

_RULES: Mapping[type, Handler] = MappingProxyType(
    {
        **roll.HANDLERS.by_command,
        **ceremony.HANDLERS.by_command,
        **casting.HANDLERS.by_command,
        **challenges.HANDLERS.by_command,
        **closing.HANDLERS.by_command,
        **witnesses.HANDLERS.by_command,
    }
)


def decide(state: SessionState, command: Command | VerifiedCast) -> list[Event]:
    """The events ``command`` leads to in ``state``, or a :class:`Refusal`.

    Pure: the same state and command always give the same answer. An empty list means the
    command was an exact re-send of something already recorded (idempotent) or changes
    nothing. A cast is decided as its :class:`VerifiedCast`; a bare :class:`CastBallot` is
    a programming error (``TypeError``).
    """
    handler = _RULES.get(type(command))
    if handler is None:
        if isinstance(command, CastBallot):
            raise TypeError("verify a cast first: decide(state, verify_cast(state, command))")
        raise TypeError(f"no rule handles {type(command).__name__}")
    return handler(state, command)


def decide_verified(state: SessionState, command: Command | VerifiedCast) -> list[Event]:
    """:func:`decide`, a :class:`CastBallot` verified inline first (:func:`verify_cast`).

    For callers that do not run the checks elsewhere (tests, the simulator)."""
    if isinstance(command, CastBallot):
        return decide(state, verify_cast(state, command))
    return decide(state, command)


__all__ = [
    "ceremony_context",
    "ceremony_key",
    "decide",
    "decide_verified",
    "enrolled_key",
    "tally_outcome",
]

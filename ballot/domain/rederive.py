"""Re-derive every decision of a log: the domain's half of the offline audit.

A log holds two kinds of events. *Recorded acts* are what someone asked for, such as a
ballot cast, a round opened or a share submitted. *Decisions* are what the rules concluded,
such as ``RoundTallied``, ``CandidateEliminated``, ``LotsDrawn``, ``CandidateElected`` by
ballot, ``ConfirmationFailed`` and ``RoundVoided`` for too few ballots.

:func:`rederive` walks the log from the start. For each recorded act it rebuilds the command
that produced it (:func:`command_for`). It then runs the same checks the server ran:
:func:`verify_cast` for ballots (or the caller's own verification of them, e.g. in worker
processes), then :func:`decide` on the state replayed so far. The
events ``decide`` returns must be exactly the next events of the log: the act itself and every
decision that follows it. Any difference raises :class:`DecisionMismatch`, with the position.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from ballot.domain import crypto_port
from ballot.domain.acts import command_for
from ballot.domain.commands import (
    CastBallot,
    Command,
    SubmitDecryptionShare,
)
from ballot.domain.decide import decide
from ballot.domain.errors import Refusal
from ballot.domain.events import (
    Event,
    RoundClosed,
)
from ballot.domain.evolve import InconsistentLog, evolve
from ballot.domain.state import SessionState, initial_state
from ballot.domain.verification import VerifiedCast, cast_refusals, verify_cast
from crypto.aggregate import RunningAggregate
from crypto.elgamal import Ciphertext

#: ``detail["reason"]`` of an ``invalid_share`` refusal whose share does not verify against
#: the aggregate its round's ``RoundClosed`` committed to, but does against the rules' own:
#: a decryption of another aggregate than the committed one.
SHARE_OF_ANOTHER_AGGREGATE: Final[str] = "share_of_another_aggregate"


class DecisionMismatch(ValueError):
    """The log does not follow from the rules at ``position`` (1-based)."""

    code = "decision_mismatch"

    def __init__(self, position: int, message: str) -> None:
        super().__init__(f"position {position}: {message}")
        self.position = position


DiscrepancyKind = Literal["refused", "differs", "missing", "unexpected"]


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One way a log departs from the rules, found by :class:`Rederiver`.

    * ``refused`` — the rules refuse the recorded act (``refusal`` says why);
    * ``differs`` — the rules give an event of the same type with other content
      (``expected`` is the rules' event, ``recorded`` the log's);
    * ``missing`` — the rules give ``expected`` where the log has ``recorded`` (another type)
      or nothing (the log ends);
    * ``unexpected`` — ``recorded`` follows from no act, or from an act that changes nothing.

    ``position`` is where the discrepancy shows (1-based); ``act_position`` the recorded act
    whose consequences were being checked (the same for ``refused`` and ``unexpected``).
    ``further``: for a refused ballot, what else its own checks find after ``refusal`` (its
    signature, after its proofs): ``decide`` stops at the first, a verifier names them all.
    """

    kind: DiscrepancyKind
    position: int
    act_position: int
    event_type: str
    message: str
    refusal: Refusal | None = None
    expected: Event | None = None
    recorded: Event | None = None
    further: tuple[Refusal, ...] = ()

    def mismatch(self) -> DecisionMismatch:
        """The :class:`DecisionMismatch` :func:`rederive` raises for it (at the act)."""
        return DecisionMismatch(self.act_position, self.message)


@dataclass(frozen=True, slots=True)
class _Commitment:
    """What a recorded ``RoundClosed`` committed to where it is not what the rules give
    (reported there): the ballot count and the decoded aggregate the tellers decrypt."""

    ballot_count: int
    aggregate: tuple[Ciphertext, ...]


@dataclass(frozen=True, slots=True)
class RederiveStep:
    """What feeding one event found."""

    discrepancies: tuple[Discrepancy, ...] = ()


class Rederiver:
    """:func:`rederive`, one event at a time, continuing after a discrepancy.

    Memory is the session state (members, rounds, the running aggregates), never the events.
    After a discrepancy the state goes on so that each departure from the rules is reported
    once, where it appears, and what follows is still checked:

    * a decision that differs is folded as the rules give it, a missing one is folded anyway,
      an unexplained one is not folded;
    * a refused ballot is not folded (it must not count), but any other refused act is folded
      as recorded if it can be, with the decisions that directly follow it (they are its
      consequences: not reported again) — the session went on from there, and later acts are
      judged from where it went.

    A cast ballot is decided as its :class:`VerifiedCast`: the one the caller passes to
    :meth:`feed` (checked elsewhere, e.g. in worker processes, from :meth:`state`), or else
    one verified here. A ballot whose checks fail is refused like any other refused ballot;
    its refusal names every proof that fails and, after them, its signature if that fails too
    (:attr:`Discrepancy.further`).

    The state counts every event of the log, folded or not (``event_count`` is the position
    fed last): a checkpoint signs the log as it is, refused events included.

    A decryption share is checked against the aggregate its round's ``RoundClosed``
    committed to, as the spec says the tellers decrypt it — which is the rules' own unless
    that ``RoundClosed`` differs from the rules' (reported there, as ``round.aggregate``):
    then a share of the committed aggregate is accepted, and one of the rules' aggregate
    instead is refused ``invalid_share`` with ``detail["reason"]`` =
    :data:`SHARE_OF_ANOTHER_AGGREGATE`; the tally combines the committed aggregate.
    """

    def __init__(self) -> None:
        self._state = initial_state()
        self._position = 0
        self._act_position = 0
        self._pending: list[Event] = []
        self._group: list[str] = []
        self._after_refusal = False
        #: Rounds whose recorded commitment is not the rules' (none in an honest log).
        self._committed: dict[int, _Commitment] = {}
        #: The last command rebuilt: (state, event, command) — a caller that verifies a ballot
        #: asks for its command just before feeding it, and it is built once.
        self._rebuilt: tuple[SessionState, Event, Command | None] | None = None

    @property
    def state(self) -> SessionState:
        """The state re-derived so far."""
        return self._state

    def command(self, event: Event) -> Command | None:
        """The command that produced ``event`` from the state so far (:func:`command_for`)."""
        rebuilt = self._rebuilt
        if rebuilt is not None and rebuilt[0] is self._state and rebuilt[1] is event:
            return rebuilt[2]
        command = command_for(self._state, event)
        self._rebuilt = (self._state, event, command)
        return command

    @property
    def pending(self) -> tuple[Event, ...]:
        """Decisions the rules still expect to read next (those of the last act)."""
        return tuple(self._pending)

    def feed(
        self, event: Event, position: int | None = None, *, verified: VerifiedCast | None = None
    ) -> RederiveStep:
        """Check the next event of the log (``position``: its place, default the next one).

        ``verified``: for a ``BallotCast``, its verification made by the caller (used only if
        it is of the very command the rules rebuild from the event, else checked again)."""
        self._position = self._position + 1 if position is None else position
        step = self._feed(event, verified)
        if self._state.event_count != self._position:
            # A refused ballot or an unexplained decision is not folded, a missing decision
            # is: the count follows the log itself, which is what a checkpoint signs (a
            # count left behind would refuse every later checkpoint as "not in the log").
            self._state = replace(self._state, event_count=self._position)
        return step

    def _feed(self, event: Event, verified: VerifiedCast | None) -> RederiveStep:
        found: list[Discrepancy] = []
        if self._pending:
            expected = self._pending[0]
            if expected.event_type == event.event_type:
                self._pending.pop(0)
                self._group.append(event.event_type)
                if event != expected:
                    found.append(self._differs(expected, event))
                self._fold(expected)
                return RederiveStep(tuple(found))
            found.append(self._missing(event.event_type))
            for missing in self._pending:
                self._fold(missing)
            self._pending = []
        step = self._act(event, verified)
        return RederiveStep((*found, *step.discrepancies))

    def skip(self, position: int) -> None:
        """The log holds an event at ``position`` that cannot be read (reported elsewhere):
        the count follows the log, so later checkpoints are judged on the log as it is."""
        self._position = position
        if self._state.event_count != position:
            self._state = replace(self._state, event_count=position)

    def finish(self) -> list[Discrepancy]:
        """Call after the last event: the decisions the log still owes, if any."""
        if not self._pending:
            return []
        found = [self._missing(None)]
        for missing in self._pending:
            self._fold(missing)
        self._pending = []
        return found

    # -- internals -------------------------------------------------------------------------

    def _act(self, event: Event, verified: VerifiedCast | None) -> RederiveStep:
        position = self._position
        command = self.command(event)
        self._rebuilt = None
        if command is None:
            if self._after_refusal:
                self._fold_as_recorded(event)  # a consequence of the refused act, reported
                return RederiveStep()
            return RederiveStep(
                (
                    Discrepancy(
                        "unexpected",
                        position,
                        position,
                        event.event_type,
                        f"{event.event_type} is a decision no recorded act led to",
                        recorded=event,
                    ),
                )
            )
        self._act_position = position
        self._group = [event.event_type]
        cast: VerifiedCast | None = None
        try:
            if isinstance(command, CastBallot):
                if verified is None or not _verifies(verified, command):
                    verified = verify_cast(self._state, command)
                cast = verified
                produced = decide(self._state, verified)
            elif isinstance(command, SubmitDecryptionShare):
                produced = self._decide_share(command)
            else:
                produced = decide(self._state, command)
        except Refusal as refusal:
            self._after_refusal = True
            further: tuple[Refusal, ...] = ()
            if isinstance(command, CastBallot):
                refusal, further = self._cast_refusals(command, refusal)
            else:
                self._fold_as_recorded(event)
            return RederiveStep(
                (
                    Discrepancy(
                        "refused",
                        position,
                        position,
                        event.event_type,
                        f"{event.event_type} would have been refused: {refusal}",
                        refusal=refusal,
                        recorded=event,
                        further=further,
                    ),
                )
            )
        self._after_refusal = False
        if not produced:
            return RederiveStep(
                (
                    Discrepancy(
                        "unexpected",
                        position,
                        position,
                        event.event_type,
                        f"the log has {[event.event_type]}, the rules give []",
                        recorded=event,
                    ),
                ),
            )
        first, *rest = produced
        found: tuple[Discrepancy, ...] = ()
        if first.event_type != event.event_type:
            self._group, self._pending = [], list(produced)
            found = (self._missing(event.event_type),)
            for missing in self._pending:
                self._fold(missing)
            self._pending = []
            return RederiveStep(found)
        if first != event:
            found = (self._differs(first, event),)
        if isinstance(first, RoundClosed) and isinstance(event, RoundClosed):
            self._note_commitment(first, event)
        self._fold(first, cast)
        self._pending = rest
        return RederiveStep(found)

    def _cast_refusals(
        self, command: CastBallot, refusal: Refusal
    ) -> tuple[Refusal, tuple[Refusal, ...]]:
        """The refusal to report for a refused ballot and what its checks find after it.

        ``decide`` stops at a ballot's first failing proof and never checks the signature of
        a ballot whose proofs fail; the report names every failing proof, then the signature
        — the proofs first, as the most specific cause (a ballot replayed into another round
        or with another ballot's proofs fails both, and its proofs say why)."""
        if refusal.code != "invalid_ballot":
            return refusal, ()  # a precondition, the decoding or the signature alone
        found = cast_refusals(self._state, command)
        if not found or found[0].code != "invalid_ballot":
            return refusal, ()  # cannot happen (the same checks); keep decide's word
        return found[0], tuple(found[1:])

    def _note_commitment(self, rules: RoundClosed, recorded: RoundClosed) -> None:
        """Remember the recorded commitment of a round where it is not the rules' (the
        difference is reported as the ``RoundClosed`` differing): its shares are checked
        against what it committed to, the aggregate the tellers were given to decrypt."""
        number = rules.round_number
        self._committed.pop(number, None)
        if (recorded.ballot_count, recorded.aggregate) == (rules.ballot_count, rules.aggregate):
            return
        try:
            aggregate = crypto_port.aggregate_from_pairs(
                [(pair.alpha, pair.beta) for pair in recorded.aggregate]
            )
        except ValueError:
            return  # nobody can decrypt it: the shares are checked against the rules' own
        if len(aggregate) == len(rules.aggregate):
            self._committed[number] = _Commitment(recorded.ballot_count, aggregate)

    def _decide_share(self, command: SubmitDecryptionShare) -> list[Event]:
        """``decide`` a decryption share against the aggregate its round committed to."""
        committed = self._committed.get(command.round_number)
        current = self._state.current_round
        if committed is None or current is None or current.number != command.round_number:
            return decide(self._state, command)
        as_committed = self._state.with_round(
            replace(
                current,
                aggregate=RunningAggregate.of(committed.aggregate, committed.ballot_count),
                ballot_count=committed.ballot_count,
            )
        )
        try:
            return decide(as_committed, command)
        except Refusal as refusal:
            if refusal.code != "invalid_share" or not self._share_of_rules_aggregate(command):
                raise
            raise Refusal(
                "invalid_share",
                f"{command.teller_id}'s share decrypts the aggregate the rules give for round "
                f"{command.round_number}, not the one its RoundClosed committed to",
                teller=command.teller_id,
                reason=SHARE_OF_ANOTHER_AGGREGATE,
            ) from None

    def _share_of_rules_aggregate(self, command: SubmitDecryptionShare) -> bool:
        """Whether the share's proofs verify against the rules' own aggregate (which is not
        the committed one): the share is then of another aggregate, not a forgery."""
        try:
            decide(self._state, command)
        except Refusal as refusal:
            return refusal.code != "invalid_share"
        return True

    def _differs(self, expected: Event, recorded: Event) -> Discrepancy:
        return Discrepancy(
            "differs",
            self._position,
            self._act_position,
            recorded.event_type,
            f"{recorded.event_type}: the log's content differs from the rules'",
            expected=expected,
            recorded=recorded,
        )

    def _missing(self, found_type: str | None) -> Discrepancy:
        # ``_group``: the recorded events of the current act that matched the rules so far.
        got = [*self._group, *([found_type] if found_type is not None else [])]
        want = [*self._group, *(e.event_type for e in self._pending)]
        expected = self._pending[0]
        return Discrepancy(
            "missing",
            self._position if found_type is not None else self._position + 1,
            self._act_position,
            expected.event_type,
            f"the log has {got}, the rules give {want}",
            expected=expected,
        )

    def _fold(self, event: Event, cast: VerifiedCast | None = None) -> None:
        self._state = evolve(self._state, event, cast=cast)

    def _fold_as_recorded(self, event: Event) -> None:
        # Follow the log past a refused act where the fold itself allows it; where it does
        # not (e.g. a ballot for a round that is not open), the event simply has no effect.
        with contextlib.suppress(InconsistentLog, Refusal, ValueError, KeyError):
            self._state = evolve(self._state, event)


def _verifies(verified: VerifiedCast, command: CastBallot) -> bool:
    """Whether ``verified`` is a verification of ``command`` (the same act, ballot and
    signature); ``decide`` itself then checks it is for the right context and key."""
    done = verified.command
    return (
        done.delegation_id == command.delegation_id
        and done.round_number == command.round_number
        and done.signature == command.signature
        and (done.ballot is command.ballot or done.ballot == command.ballot)
    )


def rederive(events: Sequence[Event]) -> SessionState:
    """Check that every event of ``events`` follows from the rules; return the final state.

    Raises :class:`DecisionMismatch` at the first event that the rules would not have
    produced (a refused act, a decision that differs or is missing, an extra event), naming
    the position of the recorded act whose consequences differ. :class:`Rederiver` does the
    same one event at a time and goes on after a discrepancy.
    """
    rederiver = Rederiver()
    for event in events:
        step = rederiver.feed(event)
        if step.discrepancies:
            raise step.discrepancies[0].mismatch()
    rest = rederiver.finish()
    if rest:
        raise rest[0].mismatch()
    return rederiver.state

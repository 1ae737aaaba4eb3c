"""The audit's findings and its report (text summary and ``--json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ballot.domain.read_models import Outcome, RoundResult


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check: where (position and event type, when it concerns one event), which
    check (a stable name from :data:`ballot.audit.checks.CHECKS`), and why."""

    position: int | None
    event_type: str | None
    check: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "position": self.position,
            "event_type": self.event_type,
            "check": self.check,
            "message": self.message,
        }

    def describe(self) -> str:
        """One line: ``position 12 (BallotCast) ballot.proof: …``."""
        where = "" if self.position is None else f"position {self.position} "
        what = "" if self.event_type is None else f"({self.event_type}) "
        return f"{where}{what}{self.check}: {self.message}"


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    """A checkpoint found in the log (``at``: the position of its ``CheckpointSigned``)."""

    at: int
    position: int
    log_root: str
    verified: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "at": self.at,
            "position": self.position,
            "log_root": self.log_root,
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    """The check of one receipt (tracking code)."""

    code: str
    found: bool
    position: int | None = None
    round_number: int | None = None
    delegation_id: str | None = None
    in_ballot_set: bool = False
    counted: bool = False
    checkpoint_position: int | None = None
    included: bool = False

    @property
    def verified(self) -> bool:
        """Found, in its round's committed set, and included in a signed checkpoint."""
        return self.found and self.in_ballot_set and self.included

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "code": self.code,
            "verified": self.verified,
            "found": self.found,
            "position": self.position,
            "round_number": self.round_number,
            "delegation_id": self.delegation_id,
            "in_ballot_set": self.in_ballot_set,
            "counted": self.counted,
            "checkpoint_position": self.checkpoint_position,
            "included": self.included,
        }


@dataclass(frozen=True, slots=True)
class ChallengeResult:
    """What the log says of one claimed checked ballot."""

    code: str
    found: bool
    position: int | None = None
    round_number: int | None = None
    delegation_id: str | None = None
    option: str | None = None
    chosen: str | None = None

    @property
    def verified(self) -> bool:
        """In the log, and holding the chosen option (when the claim says what was chosen)."""
        return self.found and (self.chosen is None or self.chosen == self.option)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "code": self.code,
            "verified": self.verified,
            "found": self.found,
            "position": self.position,
            "round_number": self.round_number,
            "delegation_id": self.delegation_id,
            "option": self.option,
            "chosen": self.chosen,
        }

    def describe(self) -> str:
        """One line for the terminal."""
        if not self.found:
            return f"{self.code}: not found in the log"
        held = f"held {self.option}"
        if self.chosen is not None:
            held += (
                " — the choice made" if self.verified else f" — NOT the choice made ({self.chosen})"
            )
        return (
            f"{self.code}: checked ballot of {self.delegation_id} in round {self.round_number} "
            f"at position {self.position}, {held}"
        )


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Everything the audit established (or failed to)."""

    log_id: str | None
    session_id: str | None
    events: int
    ballots: int
    head_position: int
    head_hash: str | None
    rounds: tuple[RoundResult, ...]
    outcome: Outcome | None
    phase: str
    checkpoints: tuple[CheckpointResult, ...]
    receipts: tuple[ReceiptResult, ...]
    failures: tuple[Failure, ...]
    challenges: tuple[ChallengeResult, ...] = ()
    warnings: tuple[Failure, ...] = ()
    seconds: float = 0.0
    failed_checks: tuple[str, ...] = field(default_factory=tuple)
    suppressed: int = 0

    @property
    def verified(self) -> bool:
        """No check failed."""
        return not self.failures and not self.suppressed

    @property
    def first_failure(self) -> Failure | None:
        """The failure nearest the start of the log."""
        return self.failures[0] if self.failures else None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` report."""
        first = self.first_failure
        return {
            "verified": self.verified,
            "log_id": self.log_id,
            "session_id": self.session_id,
            "events": self.events,
            "ballots": self.ballots,
            "head": {"position": self.head_position, "hash": self.head_hash},
            "phase": self.phase,
            "rounds": [r.model_dump(mode="json") for r in self.rounds],
            "outcome": None if self.outcome is None else self.outcome.model_dump(mode="json"),
            "checkpoints": [c.to_json() for c in self.checkpoints],
            "receipts": [r.to_json() for r in self.receipts],
            "challenges": [c.to_json() for c in self.challenges],
            "first_failure": None if first is None else first.to_json(),
            "failures": [f.to_json() for f in self.failures],
            "warnings": [w.to_json() for w in self.warnings],
            "failed_checks": list(self.failed_checks),
            "failures_not_listed": self.suppressed,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        """The human summary printed on a terminal."""
        lines: list[str] = []
        if self.verified:
            lines.append(
                f"VERIFIED: session {self.session_id} — {self.events} events, "
                f"{self.ballots} ballots in {len(self.rounds)} rounds, "
                f"{sum(c.verified for c in self.checkpoints)} signed checkpoints"
            )
        else:
            lines.append(f"NOT VERIFIED: {len(self.failures) + self.suppressed} failed checks")
            first = self.first_failure
            assert first is not None
            lines.append(f"first failure: {first.describe()}")
            if len(self.failures) > 1:
                lines.append("(every failure is listed with --json)")
        lines.append(f"head: position {self.head_position} hash {self.head_hash}")
        for r in self.rounds:
            lines.append("  " + _round_line(r))
        if self.outcome is not None:
            o = self.outcome
            how = o.by if o.round_number is None else f"{o.by}, round {o.round_number}"
            figures = (
                "" if o.votes is None else f": {o.votes} of {o.valid} valid, {o.required} required"
            )
            lines.append(f"result: {o.candidate_id} ({o.name}) elected ({how}){figures}")
        else:
            lines.append(f"result: nobody elected (session {self.phase})")
        for receipt in self.receipts:
            lines.append("receipt " + _receipt_line(receipt))
        for challenge in self.challenges:
            lines.append("checked ballot " + challenge.describe())
        for warning in self.warnings:
            lines.append(f"warning: {warning.describe()}")
        return "\n".join(lines)


def _round_line(r: RoundResult) -> str:
    head = f"round {r.round_number} ({r.kind}): {r.deposited} ballots of {r.eligible} eligible"
    if r.status == "voided":
        return f"{head} — void ({r.void_reason})"
    if r.votes is None:
        return f"{head} — {r.status}"
    votes = ", ".join(f"{option} {n}" for option, n in r.votes.items())
    required = "" if r.required is None else f", required {r.required}"
    return f"{head} — {votes}, blank {r.blank}, valid {r.valid}{required} — {r.decision}"


def _receipt_line(r: ReceiptResult) -> str:
    if not r.found:
        return f"{r.code}: not found in the log"
    state = "verified" if r.verified else "NOT verified"
    counted = "" if r.counted else " (round not tallied: not counted)"
    return (
        f"{r.code}: {state} — ballot of {r.delegation_id} in round {r.round_number} at position "
        f"{r.position}, in the committed set: {r.in_ballot_set}, included in the checkpoint at "
        f"{r.checkpoint_position}: {r.included}{counted}"
    )

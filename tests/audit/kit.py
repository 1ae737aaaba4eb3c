"""Sessions to audit (built once, with real crypto) and an attacker's toolkit.

The toolkit edits exported logs the way someone with write access to the database would: it
changes payloads, inserts, drops and reorders events, and then *re-hash-chains* the log so that
the chain verifies again. What it cannot do is sign checkpoints with the session's key (unless
a test hands it one), so such forgeries must be caught by the rules — or by the checkpoints.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ballot.audit import AuditOptions, AuditReport, audit_lines
from ballot.domain import RoundOpened, event_from_payload
from ballot.domain.values import b64encode
from ballot.ledger import checkpoint_from_head, log_root
from ballot.simulation import (
    DelegationAgent,
    Entropy,
    RoundDefinition,
    RoundScript,
    Scenario,
    SimulatedClock,
    Simulation,
    SimulationResult,
    export_lines,
)
from ballot.simulation.owner import rechain as rechain
from ballot.simulation.owner import with_payload
from crypto import ballot as cb
from crypto.signing import SigningKey
from events import MemoryEventStore, RecordedEvent
from events.exchange import record_from_line, record_to_line

#: The council of the tamper tests: 12 members, one lost its vote (roll of 11), three
#: candidates, a complaint in the key ceremony, C withdraws after round 1; rounds 1 and 2 are
#: inconclusive and round 3 elects A. Voters are the first of the roll: M011 abstains in
#: round 1, M010 and M011 in round 2, M009 to M011 in round 3.
COUNCIL = Scenario(
    members=12,
    lost_votes=1,
    candidates=("A", "B", "C"),
    ceremony_complaint=True,
    rounds=(
        RoundScript({"A": 4, "B": 3, "C": 2, "blank": 1}),
        RoundScript({"A": 5, "B": 4}, withdraw=("C",)),
        RoundScript({"A": 7, "B": 1}),
    ),
    session_id="council-2026",
)


@dataclass(frozen=True)
class Session:
    """An exported session with what the tests need to forge things in it."""

    lines: tuple[bytes, ...]
    result: SimulationResult
    delegations: dict[str, DelegationAgent]
    checkpoint_key: SigningKey

    def records(self) -> list[RecordedEvent]:
        """The log, parsed."""
        return parse(self.lines)


async def _build(scenario: Scenario, seed: bytes) -> Session:
    # The log's own clock is simulated too: a seeded build is byte-for-byte reproducible.
    store = MemoryEventStore(clock=SimulatedClock(step=timedelta(milliseconds=1)))
    simulation = Simulation(
        store, scenario.session_id, settings=scenario.settings, entropy=Entropy(seed)
    )
    result = await simulation.run(scenario)
    assert simulation.checkpoint_key is not None
    lines = await export_lines(store, scenario.session_id)
    return Session(tuple(lines), result, dict(simulation.delegations), simulation.checkpoint_key)


def build(scenario: Scenario, seed: bytes) -> Session:
    """Run ``scenario`` in process and export it."""
    return asyncio.run(_build(scenario, seed))


@functools.cache
def council() -> Session:
    """The :data:`COUNCIL` session (built once per test run)."""
    return build(COUNCIL, b"audit-tests/council")


def audit(lines: Sequence[bytes] | Sequence[RecordedEvent], **options: Any) -> AuditReport:
    """Audit lines or records (inline proofs unless ``workers`` is given)."""
    options.setdefault("workers", 0)
    raw = [r if isinstance(r, bytes) else record_to_line(r) for r in lines]
    return audit_lines(raw, AuditOptions(**options))


def checks(report: AuditReport) -> list[str]:
    """The failed checks, in log order."""
    return [f.check for f in report.failures]


# -- the attacker's toolkit ------------------------------------------------------------------------


def parse(lines: Sequence[bytes]) -> list[RecordedEvent]:
    """Parse an export."""
    return [record_from_line(line, i) for i, line in enumerate(lines, start=1)]


def dump(records: Sequence[RecordedEvent]) -> list[bytes]:
    """Export lines of records."""
    return [record_to_line(r) for r in records]


def payload(record: RecordedEvent) -> dict[str, Any]:
    """A record's payload (a fresh dict)."""
    return record.payload()


def edit(
    records: Sequence[RecordedEvent], position: int, change: Callable[[dict[str, Any]], None]
) -> list[RecordedEvent]:
    """Apply ``change`` to the payload of the event at ``position`` (not re-chained)."""
    out = list(records)
    body = payload(out[position - 1])
    change(body)
    out[position - 1] = with_payload(out[position - 1], body)
    return out


def resign(records: Sequence[RecordedEvent], key: SigningKey) -> list[RecordedEvent]:
    """Re-chain and re-sign every checkpoint with ``key``: an attacker holding a key, or —
    with the session's own — a server that recorded the edited log and signed it as it went.

    Each checkpoint covers the event it covered before, counted back from itself (the server
    signs the head right before recording the checkpoint), so one inserted or dropped
    earlier moves what it signs along with it — pass the edited records *before* any
    re-chaining, while each still has the position it had when it was signed."""
    behind = [
        record.position - payload(record)["position"]
        if record.event_type == "CheckpointSigned"
        else 0
        for record in records
    ]
    out: list[RecordedEvent] = []
    for record, distance in zip(rechain(records), behind, strict=True):
        if record.event_type == "CheckpointSigned":
            position = record.position - distance
            hashes = [r.hash for r in out[:position]]
            signed = checkpoint_from_head(position, hashes[-1], log_root(hashes), key)
            record = with_payload(record, signed.to_json())
        out.append(record)
        out = rechain(out)
    return out


def positions(records: Sequence[RecordedEvent], event_type: str, **match: Any) -> list[int]:
    """Positions of events of ``event_type`` whose payload has the ``match`` values."""
    return [
        r.position
        for r in records
        if r.event_type == event_type and all(payload(r).get(k) == v for k, v in match.items())
    ]


def insert(
    records: Sequence[RecordedEvent], position: int, record: RecordedEvent
) -> list[RecordedEvent]:
    """Insert ``record`` so that it lands at ``position`` (not re-chained)."""
    out = list(records)
    out.insert(position - 1, record)
    return out


def drop(records: Sequence[RecordedEvent], position: int) -> list[RecordedEvent]:
    """Remove the event at ``position`` (not re-chained)."""
    return [r for r in records if r.position != position]


def swap(records: Sequence[RecordedEvent], a: int, b: int) -> list[RecordedEvent]:
    """Exchange the events at positions ``a`` and ``b`` (not re-chained)."""
    out = list(records)
    out[a - 1], out[b - 1] = out[b - 1], out[a - 1]
    return out


def like(
    template: RecordedEvent, body: dict[str, Any], *, stream_id: str | None = None
) -> RecordedEvent:
    """A new record shaped like ``template`` (same type) with ``body`` as payload."""
    return with_payload(template, body)._replace(
        stream_id=template.stream_id if stream_id is None else stream_id,
        event_id=f"{template.event_id[:-12]}{'f' * 12}",
    )


def definition(
    session: Session, records: Sequence[RecordedEvent], round_number: int
) -> RoundDefinition:
    """A round's definition from its ``RoundOpened`` event."""
    (position,) = positions(records, "RoundOpened", round_number=round_number)
    event = event_from_payload("RoundOpened", payload(records[position - 1]))
    assert isinstance(event, RoundOpened)
    return RoundDefinition.from_event(session.result.session_id, event)


def ballot_body(ballot: Any) -> dict[str, Any]:
    """A ``BallotCast`` payload for a :class:`~ballot.simulation.SignedBallot`."""
    return {
        "ballot": ballot.ballot,
        "delegation_id": ballot.delegation_id,
        "round_number": ballot.round_number,
        "signature": b64encode(ballot.signature),
        "tracking_code": ballot.tracking_code,
    }


def sign_as(
    session: Session,
    records: Sequence[RecordedEvent],
    body: dict[str, Any],
    delegation_id: str | None = None,
) -> dict[str, Any]:
    """``body`` (a ``BallotCast`` payload) signed by ``delegation_id`` (default: its own) for
    its round, with the matching tracking code: what a delegation's own key can produce."""
    signer = body["delegation_id"] if delegation_id is None else delegation_id
    ctx = definition(session, records, body["round_number"]).context(signer)
    ballot = cb.ballot_from_json(body["ballot"])
    signature = session.delegations[signer].signing_key.sign(cb.signing_message(ctx, ballot))
    return body | {
        "delegation_id": signer,
        "signature": b64encode(signature),
        "tracking_code": cb.tracking_code(ctx, ballot, signature),
    }

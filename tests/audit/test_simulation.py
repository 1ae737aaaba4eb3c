"""ballot.simulation: participants and the in-process driver, audited end to end."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from ballot.domain import SessionSettings
from ballot.simulation import (
    DelegationAgent,
    Entropy,
    PublicView,
    RoundDefinition,
    RoundScript,
    Scenario,
    Simulation,
    SimulationError,
    TellerAgent,
    TellerRefusal,
    make_ballot,
)
from events import MemoryEventStore
from tests.audit.kit import COUNCIL, audit, build, council, parse

LOTS = Scenario(
    members=9,
    candidates=("A", "B", "C", "D"),
    settings=SessionSettings(eliminate_after=1, tie_break="lots"),
    rounds=(
        RoundScript({"A": 1, "B": 1}),  # too few ballots: voided, never decrypted
        RoundScript({"A": 5}, void=True),  # declared void by the secretariat
        RoundScript({"A": 3, "B": 2, "C": 1, "D": 1}),  # C and D tie for fewest: lots
        RoundScript({"A": 4, "B": 3}),  # the survivor of C/D has none: eliminated
        RoundScript({"A": 4, "B": 3}),  # B eliminated: A is the sole candidate
    ),
    acclamation=True,
    session_id="lots-session",
)

CONFIRMATION = Scenario(
    members=9,
    candidates=("A", "B", "C"),
    settings=SessionSettings(eliminate_after=1, sole_candidate="confirmation"),
    rounds=(
        RoundScript({"A": 3, "B": 2, "C": 2}),  # B and C tie for fewest: tie-break ballot
        RoundScript({"B": 3, "C": 2}),  # C loses the tie-break
        RoundScript({"A": 4, "B": 3}),  # B eliminated
        RoundScript({"yes": 3, "no": 3}),  # not confirmed: nominations reopen
        RoundScript({"yes": 5, "no": 1}),  # confirmed
    ),
    absent=1,
    observers=1,
    suspended=1,
    session_id="confirmation-session",
)


def test_a_lots_session_with_voided_rounds_verifies() -> None:
    session = build(LOTS, b"audit-tests/lots")
    state = session.result.state
    assert [r.status for r in state.rounds] == ["voided"] * 2 + ["tallied"] * 3
    assert [r.void_reason for r in state.rounds[:2]] == ["below_min_tally", "declared"]
    assert state.rounds[2].outcome is not None
    assert state.rounds[2].outcome.eliminated_by == "lots"
    outcome = session.result.outcome
    assert outcome is not None and (outcome.candidate_id, outcome.by) == ("A", "acclamation")
    types = [r.event_type for r in parse(session.lines)]
    assert "LotsDrawn" in types and types[-1] == "CheckpointSigned"
    report = audit(session.lines)
    assert report.verified, [f.describe() for f in report.failures]


def test_a_confirmation_session_with_a_tie_break_verifies() -> None:
    session = build(CONFIRMATION, b"audit-tests/confirmation")
    state = session.result.state
    assert [r.kind for r in state.rounds] == [
        "election",
        "tiebreak",
        "election",
        "confirmation",
        "confirmation",
    ]
    assert [r.outcome.decision for r in state.rounds if r.outcome] == [
        "tiebreak_required",
        "eliminated",
        "eliminated",
        "not_confirmed",
        "elected",
    ]
    assert len(state.rounds[0].roll) == 7  # 9 members, one absent, one suspended
    report = audit(session.lines)
    assert report.verified, [f.describe() for f in report.failures]
    assert report.outcome is not None and report.outcome.by == "confirmation"


def test_a_seed_reproduces_the_payloads_and_event_ids() -> None:
    small = replace(COUNCIL, rounds=COUNCIL.rounds[:1], session_id="repro")
    one, two = (parse(build(small, b"same seed").lines) for _ in range(2))
    # Checkpoints sign hashes, which cover the store's recorded_at (its own clock).
    assert [(r.event_id, r.payload_json) for r in one if r.event_type != "CheckpointSigned"] == [
        (r.event_id, r.payload_json) for r in two if r.event_type != "CheckpointSigned"
    ]
    other = parse(build(small, b"other seed").lines)
    assert [r.payload_json for r in other] != [r.payload_json for r in one]


def test_a_ballot_made_in_a_pool_is_the_ballot_made_in_place() -> None:
    records = council().records()
    opened = next(r for r in records if r.event_type == "RoundOpened")
    from ballot.domain import RoundOpened, event_from_payload

    event = event_from_payload("RoundOpened", opened.payload())
    assert isinstance(event, RoundOpened)
    definition = RoundDefinition.from_event("council-2026", event)
    here = DelegationAgent.create("M001", Entropy(b"pool")).cast(definition, "B")
    there = make_ballot(DelegationAgent.create("M001", Entropy(b"pool")).job(definition, "B"))
    assert here == there
    with pytest.raises(SimulationError) as info:
        DelegationAgent.create("M001", Entropy(b"pool")).cast(definition, "Z")
    assert info.value.code == "unknown_option"
    assert "seed" not in repr(DelegationAgent.create("M001", Entropy(b"pool")))


async def _closed_round() -> Simulation:
    simulation = Simulation(MemoryEventStore(), "teller-checks", entropy=Entropy(b"tellers"))
    await simulation.convene()
    ids = [f"M{i}" for i in range(1, 8)]
    await simulation.register(ids)
    for member in ids:
        await simulation.admit(member)
    await simulation.nominate("A", "B")
    await simulation.key_ceremony(["T1", "T2", "T3"])
    await simulation.open_round()
    await simulation.cast(simulation.choices({"A": 4, "B": 2}))
    await simulation.close_round()
    return simulation


def test_a_teller_rechecks_the_committed_ballot_set_before_decrypting() -> None:
    simulation = asyncio.run(_closed_round())
    teller = simulation.tellers["T1"]
    honest = teller.decrypt(simulation.view, 1)
    assert honest.round_number == 1
    closed = simulation.view.closed[1]
    pairs = closed.aggregate
    for change, code in (
        ({"aggregate": (pairs[1], pairs[0], pairs[2])}, "aggregate_mismatch"),
        ({"ballot_count": 5}, "ballot_count_mismatch"),
        ({"ballots_root": bytes(32)}, "ballot_set_mismatch"),
    ):
        simulation.view.closed[1] = closed.model_copy(update=change)
        with pytest.raises(TellerRefusal) as info:
            teller.decrypt(simulation.view, 1)
        assert info.value.code == code
    simulation.view.closed[1] = closed
    with pytest.raises(TellerRefusal) as info:
        teller.decrypt(simulation.view, 2)
    assert info.value.code == "round_not_closed"
    # A teller restarted from its exported (sealed, in practice) secrets has the same key share.
    exported = json.loads(json.dumps(teller.export_secrets()))
    restored = TellerAgent.restore(exported)
    assert restored.key_share(simulation.view) == teller.key_share(simulation.view)
    assert "signing_seed" not in repr(restored)
    with pytest.raises(SimulationError):
        TellerAgent.restore({**exported, "signing_seed": "!"})


def test_a_public_view_reads_the_export_in_order() -> None:
    view = PublicView(verify_ballots=True)
    records = council().records()
    for record in records[:80]:
        view.observe_record(record)
    assert view.state.rounds[0].ballot_count == 10 and not view.invalid_ballots
    with pytest.raises(SimulationError) as info:
        view.observe_record(records[81])
    assert info.value.code == "log_gap"


def test_a_seeded_session_is_reproducible_byte_for_byte() -> None:
    """Same scenario, same seed: the same export, hashes and timestamps included."""
    small = replace(COUNCIL, session_id="reproducible")
    first = build(small, b"reproducible")
    second = build(small, b"reproducible")
    assert first.lines == second.lines
    assert build(small, b"another seed").lines != first.lines

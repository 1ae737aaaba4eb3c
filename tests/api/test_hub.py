"""The session hub: it follows the log, and sums the open round's aggregate in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from ballot import service as service_module
from ballot.api import hub as hub_module
from ballot.api.hub import SessionHub
from ballot.domain import SessionSettings, event_from_json, verify_cast
from ballot.domain.state import RoundState
from ballot.service import SessionService
from ballot.simulation import RoundDefinition
from ballot.simulation.driver import Simulation
from ballot.simulation.entropy import Entropy
from events.store import EventStore


async def _session_with_ballots(store: EventStore, count: int) -> Simulation:
    sim = Simulation(
        store,
        "s1",
        settings=SessionSettings(eliminate_after=0),
        entropy=Entropy(b"hub"),
        sign_checkpoints=False,
        teller_verify_ballots=False,
    )
    await sim.convene()
    ids = [f"M{i:02d}" for i in range(1, count + 1)]
    await sim.register(ids)
    for member in ids:
        await sim.admit(member)
    await sim.nominate("a", "b")
    await sim.key_ceremony(["t1", "t2", "t3"])
    await sim.open_round()
    return sim


def _open_round(sim: Simulation) -> RoundState:
    current = sim.state.current_round
    assert current is not None
    return current


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) for the hub's background tasks to make ``condition`` true."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - polled: the hub exposes no event for it
            await asyncio.sleep(0.01)


async def _caught_up(hub: SessionHub, sim: Simulation) -> None:
    service = await hub.service(sim.session_id)
    assert service is not None
    await _until(lambda: service.position == sim.service.position)


async def _followed_round(hub: SessionHub, sim: Simulation) -> RoundState:
    """Everyone on the roll casts; the open round as the hub's process has followed it."""
    await _caught_up(hub, sim)
    await sim.cast(dict.fromkeys(_open_round(sim).roll_order, "a"))
    await _caught_up(hub, sim)
    service = await hub.service(sim.session_id)
    assert service is not None
    current = service.state.current_round
    assert current is not None and current.ballot_count == len(current.roll)
    return current


async def test_the_open_rounds_aggregate_is_summed_in_the_background_when_idle(
    store: EventStore,
) -> None:
    sim = await _session_with_ballots(store, 20)
    busy = True
    hub = SessionHub(store, busy=lambda: busy)
    try:
        current = await _followed_round(hub, sim)
        # While casts are being handled, a small backlog waits...
        await asyncio.sleep(3 * hub_module.SUM_PAUSE_S)
        assert current.aggregate.unsummed() == 20
        # ...and is summed once they are not.
        busy = False
        await _until(lambda: current.aggregate.unsummed() == 0)
        # The same sum as the simulation's own state, folded independently.
        assert current.aggregate.value() == _open_round(sim).aggregate.value()
    finally:
        await hub.close()


async def test_a_large_backlog_is_summed_even_while_casts_are_handled(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = await _session_with_ballots(store, 12)
    monkeypatch.setattr(hub_module, "SUM_BACKLOG", 10)
    hub = SessionHub(store, busy=lambda: True)
    try:
        current = await _followed_round(hub, sim)
        await _until(lambda: current.aggregate.unsummed() < 10)
        assert current.aggregate.value() == _open_round(sim).aggregate.value()
    finally:
        await hub.close()


async def test_own_appends_are_folded_as_built_whoever_folds_them_first(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hub's follower may see a command's records before the command folds them itself;
    # either way the events are folded as this process built them, never parsed back.
    sim = await _session_with_ballots(store, 8)
    hub = SessionHub(store)
    try:
        service = await hub.service(sim.session_id)
        assert service is not None
        parsed: list[str] = []
        parse = event_from_json

        def counting(event_type: str, payload_json: str, version: int) -> Any:
            parsed.append(event_type)
            return parse(event_type, payload_json, version)

        monkeypatch.setattr(service_module, "event_from_json", counting)
        fold_own = SessionService._fold_own

        async def after_the_follower(self: SessionService, *args: Any) -> None:
            await _until(lambda: self.position >= args[1].last_position)
            await fold_own(self, *args)

        # The commands fold their own events only once the follower has: it goes first.
        monkeypatch.setattr(SessionService, "_fold_own", after_the_follower)
        definition = RoundDefinition.from_state(service.state)
        await asyncio.gather(
            *(
                service.execute(
                    verify_cast(service.state, sim.delegations[m].cast(definition, "a").command()),
                    actor=m,
                )
                for m in _open_round(sim).roll_order
            )
        )
        await _until(lambda: service.position == sim.service.position + 8)
        assert "BallotCast" not in parsed
        assert not service._appending
        monkeypatch.setattr(service_module, "event_from_json", parse)
        replayed = SessionService(store, sim.session_id)
        assert await replayed.catch_up() == service.state
    finally:
        await hub.close()

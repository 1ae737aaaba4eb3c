"""Upcasters change what readers see, never what is stored or hashed."""

from __future__ import annotations

import pytest

from events import MemoryEventStore, NewEvent
from events.upcasting import Upcasters


async def test_upcasters_chain_and_leave_stored_bytes_alone() -> None:
    store = MemoryEventStore()
    await store.append("log", "s", [NewEvent("Presence", {"member": "PRT"}, schema_version=1)])
    await store.append("log", "s", [NewEvent("Presence", {"member": "USA", "present": False}, 2)])
    upcasters = Upcasters()

    @upcasters.register("Presence", 1)
    def present_by_default(payload: dict[str, object]) -> dict[str, object]:
        return {**payload, "present": True}

    @upcasters.register("Presence", 2)
    def rename_member(payload: dict[str, object]) -> dict[str, object]:
        return {"state": payload["member"], "present": payload["present"]}

    events = [e async for e in store.read_log("log")]
    seen = [upcasters.upcast(e) for e in events]
    assert [(s.schema_version, s.payload) for s in seen] == [
        (3, {"state": "PRT", "present": True}),
        (3, {"state": "USA", "present": False}),
    ]
    assert events[0].payload() == {"member": "PRT"}  # stored form unchanged
    await store.verify_chain("log")
    with pytest.raises(ValueError, match="already exists"):
        upcasters.register("Presence", 1)(present_by_default)

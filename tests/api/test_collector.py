"""The idle-time garbage collector: never while casts are handled, and on CPython's schedule."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ballot.api import collector as collector_module
from ballot.api.collector import IdleCollector


@pytest.fixture
def quiet_gc() -> Iterator[None]:
    """Automatic collection off for the test (restored after), and nothing pending."""
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    gc.disable()
    gc.collect()
    yield
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()


def _allocate(count: int) -> list[list[int]]:
    return [[] for _ in range(count)]


def test_it_collects_only_when_idle_and_enough_is_pending(
    quiet_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector_module, "IDLE_THRESHOLD", 1000)
    busy = True
    collector = IdleCollector(lambda: busy)
    kept = _allocate(500)
    assert collector.collect_if_idle() is None  # too little pending
    kept += _allocate(1000)
    assert collector.collect_if_idle() is None  # a cast is being handled
    busy = False
    assert collector.collect_if_idle() == 0
    assert gc.get_count()[0] < 1000
    assert collector.collections == [1, 0, 0]
    assert len(kept) == 1500


def test_older_generations_follow_cpythons_schedule_and_the_whole_heap_waits(
    quiet_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector_module, "IDLE_THRESHOLD", 10)
    now = [0.0]
    collector = IdleCollector(lambda: False, clock=lambda: now[0])
    kept = []  # alive, so that they count as pending (a freed object uncounts itself)
    seen = set()
    for _ in range((collector_module.OLDER_EVERY + 1) * (collector_module.OLDER_EVERY + 3)):
        kept.append(_allocate(20))
        young_collections_since = gc.get_count()[1]
        expected = 1 if young_collections_since > collector_module.OLDER_EVERY else 0
        assert collector.collect_if_idle() == expected  # never the whole heap: too soon
        seen.add(expected)
    assert seen == {0, 1}
    assert gc.get_count()[2] > collector_module.OLDER_EVERY
    now[0] += collector_module.FULL_INTERVAL_S  # a minute later, the whole heap at last
    generations: list[int | None] = []
    while not generations or generations[-1] == 0:
        kept.append(_allocate(20))
        generations.append(collector.collect_if_idle())
    assert generations[-1] == 2

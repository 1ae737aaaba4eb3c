"""Upcasters: read-time migrations of old payload schemas. Stored bytes are never rewritten.

When an event's payload schema changes, the writer starts recording ``schema_version`` n+1
and registers an upcaster from n to n+1. Readers that fold events (projections, the rules
engine, the auditor) ask :meth:`Upcasters.upcast` for the current form; the hash chain keeps
covering the bytes as they were written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from events.model import RecordedEvent

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


@dataclass(frozen=True, slots=True)
class UpcastEvent:
    """An event's type with its payload in the newest schema version known to the reader."""

    event_type: str
    schema_version: int
    payload: Payload


@dataclass
class Upcasters:
    """A registry of single-step upcasters keyed by ``(event_type, from_version)``."""

    _steps: dict[tuple[str, int], Upcaster] = field(default_factory=dict)

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: ``@upcasters.register("RoundOpened", 1)`` upgrades v1 payloads to v2."""

        def decorate(step: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
            self._steps[key] = step
            return step

        return decorate

    def upcast(self, event: RecordedEvent) -> UpcastEvent:
        """The event's payload brought forward through every registered step."""
        version = event.schema_version
        payload = event.payload()
        while (step := self._steps.get((event.event_type, version))) is not None:
            payload = step(payload)
            version += 1
        return UpcastEvent(event.event_type, version, payload)

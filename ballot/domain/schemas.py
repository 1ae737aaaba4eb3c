"""JSON Schemas (draft 2020-12) of every event's payload and of an exported record, derived
from the event models themselves, so that the published ``docs/schemas/`` cannot drift from
what the server writes and the auditor reads (``scripts/make_schemas.py`` writes them; a test
checks they are current and validates real exports against them).

A schema states shapes and ranges; what it cannot state (a curve point, a proof that verifies,
the rules) is in ``docs/verification-spec.md`` and ``docs/rules.md``.
"""

from __future__ import annotations

from typing import Any, Final

from ballot.domain.events import EVENT_TYPES

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
BASE: Final = "https://ballot.example/schemas/"

_HEX32: Final = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def payload_schema(event_type: str) -> dict[str, Any]:
    """The schema of one event type's payload (schema version 1)."""
    schema = EVENT_TYPES[event_type].model_json_schema(mode="serialization")
    return {"$schema": DIALECT, "$id": f"{BASE}{event_type}.json", **schema}


def record_schema() -> dict[str, Any]:
    """The schema of one exported line (``docs/event-log.md``): the envelope, with the payload
    given by the schema of its ``event_type`` (``$ref`` to each)."""
    return {
        "$schema": DIALECT,
        "$id": f"{BASE}record.json",
        "title": "An exported event (one JSON Lines line)",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "event_id",
            "event_type",
            "hash",
            "log_id",
            "metadata",
            "payload",
            "position",
            "prev_hash",
            "recorded_at",
            "schema_version",
            "stream_id",
            "stream_version",
        ],
        "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "event_type": {"enum": sorted(EVENT_TYPES)},
            "hash": _HEX32,
            "prev_hash": _HEX32,
            "log_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "stream_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "metadata": {"type": "object"},
            "payload": {"type": "object"},
            "position": {"type": "integer", "minimum": 1},
            "stream_version": {"type": "integer", "minimum": 1},
            "schema_version": {"const": 1},
            "recorded_at": {
                "type": "string",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
            },
        },
        "allOf": [
            {
                "if": {"properties": {"event_type": {"const": name}}},
                "then": {"properties": {"payload": {"$ref": f"{name}.json"}}},
            }
            for name in sorted(EVENT_TYPES)
        ],
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema, for ``docs/schemas/``."""
    files = {f"{name}.json": payload_schema(name) for name in sorted(EVENT_TYPES)}
    files["record.json"] = record_schema()
    return files

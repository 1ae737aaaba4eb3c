"""``docs/schemas/``: a JSON Schema (2020-12) per event type and one for an exported line —
current with the event models, and every line of real exports valid under them (and a line
the schema refuses is one the auditor refuses too)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ballot.domain import event_from_json
from ballot.domain.schemas import BASE, all_schemas
from tests.audit.kit import council
from tests.domain.test_events import EVENTS

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "schemas"


def _registry() -> Registry:
    resources = [
        (f"{BASE}{path.name}", Resource.from_contents(json.loads(path.read_text("utf-8"))))
        for path in FOLDER.glob("*.json")
    ]
    return Registry().with_resources(resources)


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((FOLDER / name).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


def test_the_published_schemas_are_current() -> None:
    spec = importlib.util.spec_from_file_location("make_schemas", ROOT / "scripts/make_schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run scripts/make_schemas.py"
    assert {p.name for p in FOLDER.glob("*.json")} == set(all_schemas())


def test_every_kind_of_event_is_valid_under_its_schema() -> None:
    for event in EVENTS:
        _validator(f"{event.event_type}.json").validate(event.to_payload())


def test_every_line_of_an_export_is_valid_under_the_record_schema() -> None:
    validator = _validator("record.json")
    for line in council().lines:
        validator.validate(json.loads(line))


@pytest.mark.parametrize(
    ("event_type", "change"),
    [
        ("BallotCast", {"round_number": 0}),
        ("BallotCast", {"delegation_id": "no spaces"}),
        ("CheckpointSigned", {"signature": "not base64url!"}),
        ("BallotCast", {"unexpected": 1}),
    ],
)
def test_a_payload_the_schema_refuses_the_auditor_refuses(
    event_type: str, change: dict[str, Any]
) -> None:
    sample = next(e for e in EVENTS if e.event_type == event_type)
    payload = sample.to_payload() | change
    assert not _validator(f"{event_type}.json").is_valid(payload)
    with pytest.raises(ValueError, match=event_type):
        event_from_json(event_type, json.dumps(payload, separators=(",", ":"), sort_keys=True), 1)

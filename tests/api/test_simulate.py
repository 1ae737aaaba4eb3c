"""``ballot simulate``: rehearsals from TOML scenarios through the real API, then audited."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ballot.commands.simulate import _main
from ballot.rehearsal import ScenarioError, load_scenario


def scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def args(path: Path, **extra: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "scenario": path,
        "server": None,
        "token": None,
        "session_id": None,
        "json": True,
        "export": None,
        "seed": "test",
    }
    return argparse.Namespace(**{**base, **extra})


@pytest.fixture(autouse=True)
def database(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLOT_DATABASE_URL", pg_dsn)


async def test_confirmation_that_fails(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """
title = "Confirmation"
members = 12
absent = 1
[settings]
sole_candidate = "confirmation"
[[candidates]]
id = "a"
name = "Candidate A"
[[steps]]
do = "confirm"
yes = 6
no = 4
blank = 1
""",
    )
    export = tmp_path / "log.jsonl"
    report, code = await _main(args(path, export=export))
    assert code == 0, (report.get("audit"), report.get("refused"))
    (only,) = report["rounds"]
    assert only["kind"] == "confirmation"
    assert only["votes"] == {"yes": 6, "no": 4}
    assert (only["valid"], only["required"], only["decision"]) == (10, 7, "not_confirmed")
    assert report["elected"] is None
    assert report["audit"] == "ok"
    assert export.read_bytes().count(b"\n") > 50


async def test_ties_settled_by_lots(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """
members = 9
[settings]
eliminate_after = 1
tie_break = "lots"
[[candidates]]
id = "a"
[[candidates]]
id = "b"
[[candidates]]
id = "c"
[[steps]]
do = "round"
votes = { a = 5, b = 2, c = 2 }
[[steps]]
do = "lots"
""",
    )
    report, code = await _main(args(path))
    assert code == 0, (report.get("audit"), report.get("refused"))
    (first,) = report["rounds"]
    assert first["decision"] == "eliminated"
    assert first["eliminated"] in {"b", "c"}
    assert report["audit"] == "ok"


async def test_a_refused_step_stops_the_run_with_its_code(tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """
members = 8
absent = 2
[[candidates]]
id = "a"
[[candidates]]
id = "b"
[[steps]]
do = "round"
votes = { a = 5, b = 2 }
""",
    )
    report, code = await _main(args(path))
    assert code == 1
    assert report["refused"]["code"] == "not_eligible"
    assert report["refused"]["step"] == 1


def test_bad_scenarios_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown keys"):
        load_scenario(scenario(tmp_path, "memberz = 3\n"))
    with pytest.raises(ScenarioError, match="'do'"):
        load_scenario(scenario(tmp_path, "[[steps]]\ndo = 'dance'\n"))
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")

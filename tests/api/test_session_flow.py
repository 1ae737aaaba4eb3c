"""Whole sessions over HTTP, with real encrypted ballots and real tellers."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.flows import setup_session


async def test_small_session_to_an_election(api: Api) -> None:
    session = await setup_session(api, 9)
    opened = await session.sec.open_round()
    assert opened["options"] == ["A", "B", "C", "blank"]
    votes = {
        "M001": "A",
        "M002": "A",
        "M003": "A",
        "M004": "A",
        "M005": "A",
        "M006": "A",
        "M007": "B",
    }
    receipts = await session.vote(1, votes)
    assert len({r["tracking_code"] for r in receipts}) == 7
    board = await session.close_and_tally(1)
    result = board["rounds"][0]
    assert result["votes"] == {"A": 6, "B": 1, "C": 0}
    assert (result["valid"], result["required"], result["decision"]) == (7, 5, "elected")
    assert board["outcome"]["candidate_id"] == "A"

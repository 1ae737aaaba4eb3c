"""The teller's client: sealed secrets survive a restart; watching the log tallies rounds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ballot.remote import RemoteTeller, watch_rounds
from crypto.signing import WrongPassphrase
from tests.api.conftest import Api
from tests.api.flows import client_of, setup_session


async def test_sealed_teller_restarts_and_decrypts(api: Api, tmp_path: Path) -> None:
    session = await setup_session(api, 7)
    path = tmp_path / "t1.sealed"
    first = session.tellers[0]
    first.save(path, "correct horse battery staple", "http://test", session.session_id)
    assert b"correct horse" not in path.read_bytes()
    with pytest.raises(WrongPassphrase):
        RemoteTeller.load(path, "wrong", client_of(api))
    restored, saved = RemoteTeller.load(path, "correct horse battery staple", client_of(api))
    assert saved["teller_id"] == "T1"
    await session.sec.open_round()
    await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    await session.sec.close_round(1)
    # The restored teller (secrets from the file) and teller 3 tally the round.
    assert await restored.decrypt(1)
    assert await session.tellers[2].decrypt(1)
    board = await session.sec.board()
    assert board["rounds"][0]["votes"]["A"] == 6


async def test_watching_tellers_tally_each_closed_round(api: Api) -> None:
    session = await setup_session(api, 7)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_rounds(session.tellers, poll=0.05, stop=stop))
    try:
        await session.sec.open_round()
        await session.vote(1, {f"M00{i}": "B" for i in range(1, 7)})
        await session.sec.close_round(1)
        for _ in range(200):
            board = await session.sec.board()
            if board["rounds"][0]["status"] == "tallied":
                break
            await asyncio.sleep(0.05)
        assert board["rounds"][0]["decision"] == "elected"
        assert board["outcome"]["candidate_id"] == "B"
    finally:
        stop.set()
        await watcher

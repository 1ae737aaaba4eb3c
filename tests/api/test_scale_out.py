"""Two `ballot serve` processes on one database serve one session consistently."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from ballot.client import Client
from events.exchange import verify_jsonl
from tests.api.conftest import SECRETARIAT_TOKEN
from tests.api.flows import setup_session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def two_servers(pg_dsn: str, pg_schema: str, tmp_path: Path) -> AsyncIterator[list[str]]:
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=pg_dsn,
        BALLOT_SCHEMA=pg_schema,
        BALLOT_SECRETARIAT_TOKEN=SECRETARIAT_TOKEN,
        BALLOT_STATE_DIR=str(tmp_path),
    )
    ports = [free_port(), free_port()]
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ballot.cli",
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async with aiohttp.ClientSession() as http:
            for url in urls:
                for _ in range(300):
                    try:
                        async with http.get(url + "/api/v1/health") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)
        yield urls
    finally:
        for process in processes:
            # SIGTERM is a clean stop: feeds end, connections close, exit status 0, promptly.
            process.terminate()
            assert await asyncio.wait_for(process.wait(), 20) == 0
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{pg_schema}" CASCADE')
        finally:
            await conn.close()


async def read_feed(
    http: aiohttp.ClientSession, url: str, until: str, messages: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """SSE messages of a session's feed until one of kind ``until``."""
    messages = [] if messages is None else messages
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=120)) as response:
        event: dict[str, Any] = {}
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif not line and "data" in event:
                messages.append(event)
                if event["data"]["kind"] == until:
                    return messages
                event = {}
    return messages


async def test_two_processes_one_session(two_servers: list[str]) -> None:
    async with aiohttp.ClientSession() as http:
        a, b = (Client(url, http) for url in two_servers)
        session = await setup_session(a, 12)
        seen: list[list[dict[str, Any]]] = [[], []]
        feeds = [
            asyncio.create_task(
                read_feed(http, f"{url}/api/v1/sessions/council/feed", "result", seen[i])
            )
            for i, url in enumerate(two_servers)
        ]
        await session.sec.open_round()
        # Ballots go through both servers alternately.
        for i, (member, delegation) in enumerate(sorted(session.delegations.items())):
            if i % 2:
                delegation.client = Client(
                    b.base_url, http, delegation.client.token, "council", member
                )
            if i < 10:
                await delegation.cast(await delegation.ballot_for(1, "A" if i < 8 else "B"))
        await session.sec.close_round(1)
        # Tellers decrypt through server B.
        for teller in session.tellers[:2]:
            teller.client = Client(
                b.base_url, http, teller.client.token, "council", teller.client.subject
            )
            teller.follower.client = teller.client
            assert await teller.decrypt(1)
        try:
            got = await asyncio.wait_for(asyncio.gather(*feeds), 30)
        except TimeoutError:
            raise AssertionError([[m["data"]["kind"] for m in f][-8:] for f in seen]) from None
        assert got[0] == got[1]  # both feeds complete and identical
        kinds = [m["data"]["kind"] for m in got[0]]
        assert kinds.count("turnout") == 10
        assert kinds[-1] == "result"
        assert got[0][-1]["data"]["votes"] == {"A": 8, "B": 2, "C": 0}
        # One log, one hash chain, the same from either server.
        exports = []
        for url in two_servers:
            async with http.get(f"{url}/api/v1/sessions/council/events") as response:
                exports.append(await response.read())
        assert exports[0] == exports[1]
        head = verify_jsonl(exports[0].splitlines(keepends=True))
        # A follows what B appends through LISTEN/NOTIFY, asynchronously: B may append its
        # round-close checkpoint just before the export is read, so A's view converges on the
        # exported head within moments rather than at this very instant.
        for _ in range(200):  # 10 s at most
            position = int((await a.for_session("council").info())["position"])
            if position >= head.position:
                break
            await asyncio.sleep(0.05)
        assert head.position == position

"""`ballot demo` (what `make run` starts): a ready session, and links that work."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import asyncpg

from tests.api.test_scale_out import free_port


async def test_the_demo_serves_a_ready_session_and_its_published_board_link(
    pg_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    port = free_port()
    env = dict(
        os.environ,
        BALLOT_DATABASE_URL=pg_dsn,
        BALLOT_SCHEMA=pg_schema,
        BALLOT_STATE_DIR=str(tmp_path),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ballot.cli", "demo", "--port", str(port),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    printed = ""
    try:
        async with asyncio.timeout(90):
            while "Ctrl-C to stop." not in printed:
                line = await process.stdout.readline()
                assert line, f"the demo ended early:\n{printed}"
                printed += line.decode()
        board = re.search(r"results board\s+(\S+)", printed)
        assert board is not None, printed
        link = board.group(1)
        found = re.fullmatch(rf"http://127\.0\.0\.1:{port}/\?session=(demo-\w+)#key=(\S+)", link)
        assert found is not None, link
        session_id, key = found.groups()
        async with aiohttp.ClientSession() as http:
            async with http.get(link) as page:
                assert page.status == 200
            url = f"http://127.0.0.1:{port}/api/v1/sessions/{session_id}"
            async with http.get(url) as response:
                view = await response.json()
        assert view["checkpoint_key"] == key  # the key the link publishes is the session's
        assert view["session"]["current_round"] == 1
        assert len(re.findall(r"^    [A-Z]{3}  \S+$", printed, re.MULTILINE)) == 12  # codes
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{pg_schema}" CASCADE')
        finally:
            await conn.close()

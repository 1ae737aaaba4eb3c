"""`ballot demo` (what `make run` starts): a ready session, and links that work."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from ballot.commands.demo import demo_token
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


def test_the_demo_token_is_the_configured_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLOT_SECRETARIAT_TOKEN", "configured-token")
    assert demo_token() == "configured-token"
    monkeypatch.delenv("BALLOT_SECRETARIAT_TOKEN")
    assert demo_token() != demo_token()  # made for each run


def _convene(url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/v1/sessions",
        data=json.dumps({"title": "Token check"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_the_demo_serves_the_environments_token(
    pg_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    # Reproduction from issue 14: the demo printed its own token and answered 401 to the one
    # the operator had configured.
    port = free_port()
    env = {
        **os.environ,
        "BALLOT_SECRETARIAT_TOKEN": "operator-configured-token",
        "BALLOT_DATABASE_URL": pg_dsn,
        "BALLOT_SCHEMA": pg_schema,
        "BALLOT_STATE_DIR": str(tmp_path),
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "ballot.cli", "demo", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert demo.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            printed.append(line)
            if "Ctrl-C to stop" in line:
                break
        text = "".join(printed)
        assert "Ctrl-C to stop" in text, text
        assert "operator-configured-token" not in text  # a configured secret is not echoed
        url = f"http://127.0.0.1:{port}"
        assert _convene(url, "operator-configured-token") == 201
        assert _convene(url, "some-other-token") == 401
    finally:
        demo.terminate()
        demo.wait(timeout=30)

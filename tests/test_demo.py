"""``ballot demo`` (the main job of ``make run``): the configured secretariat token works."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ballot.commands.demo import demo_token


def test_the_demo_token_is_the_configured_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLOT_SECRETARIAT_TOKEN", "configured-token")
    assert demo_token() == "configured-token"
    monkeypatch.delenv("BALLOT_SECRETARIAT_TOKEN")
    assert demo_token() != demo_token()  # made for each run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def test_the_demo_serves_the_environments_token(pg_dsn: str, tmp_path: Path) -> None:
    # Reproduction from issue 14: the demo printed its own token and answered 401 to the one
    # the operator had configured.
    port = _free_port()
    env = {
        **os.environ,
        "BALLOT_SECRETARIAT_TOKEN": "operator-configured-token",
        "BALLOT_DATABASE_URL": pg_dsn,
        "BALLOT_SCHEMA": f"demo_{port}",
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

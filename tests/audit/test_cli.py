"""``ballot audit``: exit codes, output, and auditing a live server's log."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web

from ballot.audit import AuditOptions, audit_server
from ballot.cli import main
from tests.audit.kit import council, dump, edit, payload, positions, rechain


def write(path: Path, lines: Sequence[bytes]) -> str:
    path.write_bytes(b"".join(lines))
    return str(path)


def test_exit_0_for_a_verified_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = council()
    log = write(tmp_path / "log.jsonl", session.lines)
    code = session.result.receipts[(1, "M002")]
    key = session.checkpoint_key.public_key().encode().hex()
    assert main(["audit", log, "--receipt", code, "--checkpoint-key", key]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VERIFIED") and f"receipt {code}: verified" in out


def test_exit_1_names_the_first_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = council().records()
    (tallied,) = positions(records, "RoundTallied", round_number=3)

    def more(body: dict[str, object]) -> None:
        counts = body["counts"]
        assert isinstance(counts, dict)
        counts["A"] += 1

    log = write(tmp_path / "forged.jsonl", dump(rechain(edit(records, tallied, more))))
    assert main(["audit", log]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NOT VERIFIED")
    assert f"position {tallied} (RoundTallied) tally.counts" in out
    assert main(["audit", log, "--json", "--workers", "0"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] is False
    assert report["first_failure"]["check"] == "tally.counts"
    assert report["first_failure"]["position"] == tallied
    assert {f["check"] for f in report["failures"]} >= {"tally.counts", "checkpoint.head"}


def test_a_corrupted_line_is_exit_1_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = list(council().lines)
    lines[40] = b'{"broken": \xff\n'
    assert main(["audit", write(tmp_path / "log.jsonl", lines)]) == 1
    assert "position 41 log.line" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [None, b"", b"this is not\na log at all\n", bytes(range(256)) * 4],
    ids=["missing", "empty", "text", "binary"],
)
def test_exit_2_for_unusable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    path = tmp_path / "input.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert main(["audit", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "unusable_input"
    assert "unusable input" in captured.err


def test_exit_2_for_bad_options(tmp_path: Path) -> None:
    log = write(tmp_path / "log.jsonl", council().lines)
    assert main(["audit"]) == 2
    assert main(["audit", log, "--server", "http://localhost:1"]) == 2
    assert main(["audit", log, "--checkpoint-key", "zz"]) == 2
    assert main(["audit", log, "--checkpoint", "{not json"]) == 2
    assert main(["audit", log, "--checkpoint", "@" + str(tmp_path / "missing.json")]) == 2


def test_checkpoints_held_are_read_from_files(tmp_path: Path) -> None:
    session = council()
    records = session.records()
    held = tmp_path / "checkpoint.json"
    held.write_text(json.dumps(payload(records[-1])))
    full = write(tmp_path / "log.jsonl", session.lines)
    cut = positions(records, "CheckpointSigned")[1]
    truncated = write(tmp_path / "truncated.jsonl", dump(records[:cut]))
    assert main(["audit", full, "--checkpoint", f"@{held}"]) == 0
    assert main(["audit", truncated, "--allow-incomplete"]) == 0
    assert main(["audit", truncated, "--allow-incomplete", "--checkpoint", f"@{held}"]) == 1


# -- a live server ------------------------------------------------------------------------------------


@contextmanager
def serve(lines: Sequence[bytes], *, drop_after: int | None = None) -> Iterator[str]:
    """An HTTP server with ``GET /api/v1/sessions/council-2026/events[?after=N]`` in a thread.

    With ``drop_after``, the first response breaks off after that many lines."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, object] = {"broken": False}
    url: list[str] = []

    async def events(request: web.Request) -> web.StreamResponse:
        if request.match_info["session"] != "council-2026":
            raise web.HTTPNotFound()
        after = int(request.query.get("after", "0"))
        response = web.StreamResponse(headers={"Content-Type": "application/jsonl"})
        await response.prepare(request)
        for i, line in enumerate(lines[after:], start=after + 1):
            if drop_after is not None and not state["broken"] and i > drop_after:
                state["broken"] = True
                await response.write(line[:10])
                assert request.transport is not None
                request.transport.close()
                return response
            await response.write(line)
        await response.write_eof()
        return response

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/api/v1/sessions/{session}/events", events)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url.append(f"http://{host}:{port}")
        return runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        runner = loop.run_until_complete(start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield url[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_auditing_a_live_server(capsys: pytest.CaptureFixture[str]) -> None:
    session = council()
    with serve(session.lines) as url:
        assert main(["audit", "--server", url, "--session", "council-2026", "--workers", "0"]) == 0
        assert "VERIFIED" in capsys.readouterr().out
        assert main(["audit", "--server", url, "--session", "no-such-session"]) == 2
    assert main(["audit", "--server", "http://127.0.0.1:9", "--session", "x"]) == 2


def test_a_stream_broken_off_is_resumed_after_the_last_whole_line() -> None:
    session = council()
    with serve(session.lines, drop_after=50) as url:
        report = asyncio.run(audit_server(url, "council-2026"))
    assert report.verified and report.events == len(session.lines)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    from ballot.audit import audit_lines
    from ballot.audit.cli import Progress

    lines = council().lines
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(sum(map(len, lines)), stream)
        progress._last = -1.0  # draw at the first call
        progress.started -= 1.0
        audit_lines(lines, AuditOptions(workers=0), progress)
        progress.done()
    assert "events" in terminal.getvalue() and "%" in terminal.getvalue()
    assert pipe.getvalue() == ""

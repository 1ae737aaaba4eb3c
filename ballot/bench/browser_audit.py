"""``ballot bench browser-audit``: how long "Verify this session" takes in a browser.

For each size in ``--sizes`` (default 175 and 10 000 ballots) a session is generated as
``bench audit`` generates it (not timed), the verifier page (/verify) is served by this process
— the pages and their modules only, under the server's CSP — and a headless Chromium (Debian's,
through Playwright: ``BALLOT_CHROMIUM`` or ``chromium`` on the PATH) opens it, is handed the log
as a file, and runs the whole audit in its Web Workers. Timed: from the click on "Verify this
session" to the verdict on the page, which must be "verified".

Prints, with ``--json``, ``{"ballots_per_s", "seconds": {"175": s, "10000": s}, "events",
"workers", "verified"}``; ``ballots_per_s`` is the largest session's. The targets of issue 13:
175 ballots in under 10 s and 10 000 in under 3 minutes, on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from ballot.api.app import security_headers
from ballot.bench.audit import generate_to
from ballot.web import install

#: The flags the browser tests launch Chromium with (no sandbox inside a container).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def chromium_executable() -> str | None:
    """Debian's Chromium, if installed (``BALLOT_CHROMIUM`` overrides)."""
    configured = os.environ.get("BALLOT_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot bench browser-audit``."""
    parser.add_argument(
        "--sizes", default="175,10000", help="comma-separated ballot counts of the sessions"
    )
    parser.add_argument("--members", type=int, default=200, help="delegations (ballots per round)")
    parser.add_argument("--seed", default="bench-browser-audit", help="seed of the sessions")
    parser.add_argument(
        "--generation-workers", type=int, default=2, help="processes generating the sessions"
    )


async def _serve() -> tuple[web.AppRunner, str]:
    app = web.Application(middlewares=[security_headers])
    install(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def _audit_in_browser(logs: dict[int, Path], executable: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    runner, url = await _serve()
    out: dict[str, Any] = {"seconds": {}, "events": {}, "ballots": {}, "verified": True}
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
            )
            try:
                for size, path in logs.items():
                    page = await browser.new_page()
                    await page.goto(f"{url}/verify?lang=en")
                    await page.set_input_files("#verify-log", str(path))
                    started = time.perf_counter()
                    await page.click("#verify-run")
                    verdict = await page.wait_for_selector("#audit-verdict", timeout=600_000)
                    seconds = time.perf_counter() - started
                    assert verdict is not None
                    report = json.loads(await page.text_content("#audit-report") or "{}")
                    out["seconds"][str(size)] = round(seconds, 2)
                    out["events"][str(size)] = report.get("events")
                    out["ballots"][str(size)] = report.get("ballots")
                    out["verified"] &= await verdict.get_attribute("data-verified") == "yes"
                    out["workers"] = await page.evaluate("navigator.hardwareConcurrency")
                    await page.close()
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    largest = max(logs)
    out["ballots_per_s"] = round(out["ballots"][str(largest)] / out["seconds"][str(largest)], 1)
    return out


def run(args: argparse.Namespace) -> int:
    """Generate each session (in a child process), audit it in Chromium, print the times."""
    executable = chromium_executable()
    try:
        import playwright  # noqa: F401  (a development dependency: say so plainly)
    except ImportError:
        print("ballot bench browser-audit needs Playwright: pip install playwright")
        return 2
    if executable is None:
        print("ballot bench browser-audit needs Chromium: apt-get install chromium")
        return 2
    sizes = sorted({max(5, int(s)) for s in args.sizes.split(",") if s.strip()})
    with tempfile.TemporaryDirectory(prefix="ballot-bench-browser-audit-") as folder:
        logs: dict[int, Path] = {}
        for size in sizes:
            path = Path(folder) / f"session-{size}.jsonl"
            # A child process per session, as `bench audit` does: this one stays lean.
            child = multiprocessing.get_context("fork").Process(
                target=generate_to,
                args=(str(path), size, args.members, args.generation_workers, args.seed),
            )
            child.start()
            child.join()
            if child.exitcode != 0:
                print(f"generating the session of {size} ballots failed")
                return 1
            logs[size] = path
        result = asyncio.run(_audit_in_browser(logs, executable))
    if args.json:
        print(json.dumps(result))
    else:
        for size in sizes:
            key = str(size)
            print(
                f"{result['ballots'][key]:>7} ballots ({result['events'][key]} events): "
                f"{result['seconds'][key]:>7.2f} s in Chromium"
            )
        print(
            f"  {result['ballots_per_s']:,.1f} ballots/s on the largest; verified: "
            f"{result['verified']}; {result.get('workers')} cores reported"
        )
    return 0 if result["verified"] else 1

"""Browser tests: the real API server on a TCP port (fresh PostgreSQL schema) and a real Chromium
driven by Playwright.

Chromium is Debian's (``/usr/bin/chromium``, or ``BALLOT_CHROMIUM``); Playwright's own browser
download is not used. Without Playwright or Chromium the browser tests are skipped. One server
and one browser serve the whole run; every test gets fresh browser contexts (so fresh storage)
and its own session ids.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from ballot.api.app import create_app
from ballot.api.auth import SecretariatToken, digest
from ballot.api.context import CONTEXT
from ballot.bench.browser_audit import CHROMIUM_ARGS, chromium_executable
from ballot.commands.migrate import migrate_all
from events.postgres import PostgresEventStore
from tests.conftest import TEST_SIGNING_KEY
from tests.web.driver import Driver

SECRETARIAT_TOKEN = "web-test-secretariat-token"
# Recorded in every page before its own scripts run: CSP violations the page causes.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the run (skips the test without Playwright or Chromium)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    executable = chromium_executable()
    if executable is None:
        pytest.skip("no Chromium: apt-get install chromium (or set BALLOT_CHROMIUM)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class WebServer:
    """The API server and web client on a real TCP port."""

    url: str
    http: aiohttp.ClientSession

    def driver(self) -> Driver:
        """A fresh session driver (secretariat, delegations and tellers over HTTP)."""
        return Driver(self.http, self.url, SECRETARIAT_TOKEN)


@pytest.fixture(scope="session")
async def web_server(pg_dsn: str) -> AsyncIterator[WebServer]:
    """The application on 127.0.0.1:<free port>, on its own schema for the whole run."""
    schema = f"web_{uuid.uuid4().hex[:12]}"
    await migrate_all(pg_dsn, schema)
    store = await PostgresEventStore.open(pg_dsn, schema=schema, run_migrations=False)
    app = create_app(
        store, SecretariatToken(digest(SECRETARIAT_TOKEN)), signing_key=TEST_SIGNING_KEY
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    try:
        yield WebServer(str(server.make_url("")).rstrip("/"), http)
    finally:
        await http.close()
        # End the live feeds first: an SSE handler otherwise waits for its next message and
        # holds the server's shutdown (aiohttp does not cancel handlers of gone clients).
        await app[CONTEXT].hub.close()
        await server.close()
        await store.close()
        conn = await asyncpg.connect(pg_dsn)
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()


@dataclass
class Watched:
    """A page with everything it reported: console errors, page errors, CSP violations."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    async def csp_violations(self) -> list[str]:
        """Violations seen by the page's securitypolicyviolation listener (all frames' pages)."""
        found: list[str] = await self.page.evaluate("window.__cspViolations || []")
        return found + [e for e in self.console_errors if "Content Security Policy" in e]

    def unexpected_errors(self) -> list[str]:
        """Page errors, and console errors other than refused requests (a 4xx problem
        document the page shows on purpose is logged by Chromium as a failed resource)."""
        ignored = "Failed to load resource: the server responded with a status of 4"
        return self.page_errors + [e for e in self.console_errors if not e.startswith(ignored)]


@pytest.fixture
async def open_page(browser: Any) -> AsyncIterator[Callable[..., Any]]:
    """``await open_page(context=None, width=1100)``: a watched page in a fresh (or given)
    browser context; every page is checked for CSP violations and script errors at the end."""
    contexts: list[Any] = []
    watched: list[Watched] = []

    async def make(context: Any = None, width: int = 1100) -> Watched:
        if context is None:
            context = await browser.new_context(viewport={"width": width, "height": 900})
            await context.add_init_script(CSP_LISTENER)
            contexts.append(context)
        page = await context.new_page()
        w = Watched(page)
        page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: w.page_errors.append(str(e)))
        page.set_default_timeout(15_000)
        watched.append(w)
        return w

    try:
        yield make
        for w in watched:
            if not w.page.is_closed():
                assert await w.csp_violations() == [], "CSP violations"
            assert w.unexpected_errors() == [], "script errors"
    finally:
        for context in contexts:
            await context.close()

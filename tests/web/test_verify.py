"""The verifier (/verify) in real Chromium: the whole audit of a session in the browser, with the
verdict and failure codes of ``ballot audit``; a checked ballot opened on a phone; and a page that
encrypts another choice than the one shown, caught by that check on a second device.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ballot.audit import AuditOptions, AuditReport, audit_lines
from ballot.bench.browser_audit import chromium_executable
from ballot.simulation.owner import TAMPERS, signed_receipts
from ballot.web import WORKER_PREFIX, worker_module
from tests.audit.kit import council, dump
from tests.audit.test_browser_auditor import log, python_audit
from tests.web.conftest import WebServer
from tests.web.driver import demo_session, session_awaiting_browser


def test_worker_modules_are_ours_with_noble_imports_made_urls() -> None:
    engine = worker_module("js/crypto/group.js")
    assert engine is not None
    assert b"from '@noble/" not in engine and b'from "@noble/' not in engine
    assert f"{WORKER_PREFIX}vendor/@noble/curves/".encode() in engine
    # Only JavaScript inside static/js or the two vendored packages: nothing else, no way out.
    for refused in (
        "js/../../__init__.py",
        "js/../pages/verify.html",
        "js/i18n/../../../server.py",
        "vendor/@noble/curves/../../../pyproject.toml",
        "vendor/other/index.js",
        "js/crypto/missing.js",
        "pages/_layout.html",
        "js/../../../../../etc/passwd.js",
    ):
        assert worker_module(refused) is None, refused


async def test_a_served_session_verifies_in_the_browser_as_ballot_audit_says(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    await demo_session(driver, "verify-clean", rounds=2)
    async with web_server.http.get(f"{web_server.url}/api/v1/sessions/verify-clean/events") as r:
        lines = (await r.read()).splitlines()
    expected = audit_lines(lines, AuditOptions(allow_incomplete=True, workers=0))
    assert expected.verified

    # From the board's "Verify this session" link, as an observer in the hall would.
    watched = await open_page()
    page = watched.page
    await page.goto(f"{web_server.url}/?session=verify-clean&lang=en")
    await page.wait_for_selector("#verify-link[href^='/verify?session=verify-clean#run']")
    await page.click("#verify-link")
    verdict = await page.wait_for_selector("#audit-verdict", timeout=60_000)
    assert verdict is not None
    assert await verdict.get_attribute("data-verified") == "yes"
    assert await verdict.get_attribute("data-codes") == ""
    report = json.loads(await page.text_content("#audit-report") or "")
    assert (report["events"], report["ballots"]) == (expected.events, expected.ballots)
    assert [w["check"] for w in report["warnings"]] == [w.check for w in expected.warnings]
    assert await page.get_attribute("#audit-progress", "value") == "1"
    assert report["not_checked"] == [] and await page.query_selector("#audit-all-checked")


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, AuditReport]]:
    """Each owner rewrite of the council's log as a file, with ``ballot audit``'s report on it
    (built here, outside the tests' event loop: the council is played with ``asyncio.run``)."""
    out = {}
    for name in sorted(TAMPERS):
        lines = dump(log(name))
        path = tmp_path_factory.mktemp(name) / "events.jsonl"
        path.write_bytes(b"".join(line.rstrip(b"\n") + b"\n" for line in lines))
        out[name] = (path, python_audit(lines, with_receipts=True))
    return out


@pytest.fixture(scope="module")
def receipt_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The council's signed receipts, one file each, as the delegations downloaded them."""
    session = council()
    folder = tmp_path_factory.mktemp("receipts")
    files = []
    held = signed_receipts(session.records(), session.checkpoint_key, "council-2026")
    for i, receipt in enumerate(held):
        path = folder / f"receipt-{i}.json"
        path.write_text(json.dumps(receipt.to_json()), encoding="utf-8")
        files.append(str(path))
    return files


@pytest.mark.parametrize("name", sorted(TAMPERS))
async def test_an_uploaded_rewritten_log_fails_with_the_codes_of_ballot_audit(
    name: str,
    web_server: WebServer,
    open_page: Any,
    rewritten: dict[str, tuple[Path, AuditReport]],
    receipt_files: list[str],
) -> None:
    log_file, expected = rewritten[name]
    assert not expected.verified

    watched = await open_page()
    page = watched.page
    await page.goto(f"{web_server.url}/verify?lang=en")
    await page.set_input_files("#verify-log", str(log_file))
    await page.set_input_files("#verify-receipts", receipt_files)
    await page.click("#verify-run")
    verdict = await page.wait_for_selector("#audit-verdict", timeout=60_000)
    assert verdict is not None
    assert await verdict.get_attribute("data-verified") == "no"
    assert (await verdict.get_attribute("data-codes") or "").split() == list(expected.failed_checks)
    listed = await page.eval_on_selector_all(
        "#audit-failures li", "items => items.map(i => i.dataset.check)"
    )
    assert listed == [f.check for f in expected.failures][:50]


async def test_a_page_that_encrypts_another_choice_is_caught_on_a_second_device(
    web_server: WebServer, open_page: Any, browser: Any
) -> None:
    driver = web_server.driver()
    code = await session_awaiting_browser(driver, "verify-evil", member="KEN")
    # The server (or whoever serves its pages) hands KEN a delegation page that shows the choice
    # made but encrypts the next option instead — and says nothing of it.
    laptop = await browser.new_context(viewport={"width": 1100, "height": 900})

    async def evil(route: Any) -> None:
        response = await route.fetch()
        honest = await response.text()
        line = "const { ballot, nonces } = encryptBallotWithNonces(ctx, choice);"
        assert line in honest
        cheat = "choice = (choice + 1) % round.options.length;\n  " + line
        await route.fulfill(response=response, body=honest.replace(line, cheat))

    await laptop.route("**/static/js/delegation.js", evil)
    watched = await open_page(context=laptop)
    page = watched.page
    await page.goto(f"{web_server.url}/delegation?session=verify-evil&lang=en")
    await page.get_by_label("Enrollment code").fill(code)
    await page.get_by_role("button", name="Enroll").click()
    await page.wait_for_selector("#ballot-form")
    await page.get_by_label("António Vitorino").check()
    await page.get_by_role("button", name="Review my choice").click()
    prepared = (await page.inner_text("#prepared-code .tracking-code")).strip()
    await page.click("#check-ballot")
    await page.wait_for_selector("#challenge")

    # On a phone, from the public log alone: the checked ballot held someone else.
    phone = await open_page(width=390)
    await phone.page.goto(
        f"{web_server.url}/verify?session=verify-evil&lang=en#challenge={prepared}"
    )
    held = await phone.page.wait_for_selector("#challenge-verified", timeout=60_000)
    assert held is not None
    assert await held.get_attribute("data-verified") == "yes"  # the log itself is sound
    option = await held.get_attribute("data-option")
    assert option in ("Amy Pope", "Ugochi Daniels", "Blank"), option
    assert option in await held.inner_text()
    await laptop.close()


async def test_a_checked_ballot_opens_on_a_phone_from_the_log(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    code = await session_awaiting_browser(driver, "verify-phone", member="KEN")
    watched = await open_page()
    page = watched.page
    await page.goto(f"{web_server.url}/delegation?session=verify-phone&lang=fr")
    await page.fill("#enroll-code", code)
    await page.click("#enroll-form button[type='submit']")
    await page.wait_for_selector("#ballot-form")
    await page.get_by_label("Ugochi Daniels").check()
    await page.click("#ballot-form button[type='submit']")
    prepared = (await page.inner_text("#prepared-code .tracking-code")).strip()
    await page.click("#check-ballot")
    await page.wait_for_selector("#challenge[data-match='yes']")

    # The code typed by hand, in lower case and without dashes, on a 390-pixel screen.
    phone = await open_page(width=390)
    await phone.page.goto(f"{web_server.url}/verify?session=verify-phone&lang=fr")
    await phone.page.fill("#challenge-code", prepared.replace("-", "").lower())
    await phone.page.click("#challenge-form button[type='submit']")
    held = await phone.page.wait_for_selector("#challenge-verified", timeout=60_000)
    assert held is not None
    assert await held.get_attribute("data-verified") == "yes"
    assert await held.get_attribute("data-option") == "Ugochi Daniels"
    width = await phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the verifier must not scroll sideways on a phone"
    # A code that was never checked is refused in plain words, not opened.
    await phone.page.fill("#challenge-code", "0000-0000-0000-0000")
    await phone.page.click("#challenge-form button[type='submit']")
    await phone.page.wait_for_selector("#challenge-verified[data-verified='no']", timeout=60_000)


def test_bench_browser_audit_prints_its_figures() -> None:
    if chromium_executable() is None:
        pytest.skip("no Chromium: apt-get install chromium (or set BALLOT_CHROMIUM)")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ballot.cli",
            "bench",
            "browser-audit",
            "--sizes",
            "12,30",
            "--json",
            "--generation-workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["seconds"]) == {"12", "30"} and report["verified"] is True
    assert report["ballots"] == {"12": 12, "30": 30} and report["ballots_per_s"] > 0

"""The four pages in a real Chromium against the real server (CSP enforced).

* a delegation enrolls, encrypts in the browser and casts; the server verifies it (201 and the
  receipt shown); the same delegation trying again sees the refusal in French;
* the board draws a tallied round's bars and the two-thirds line, and follows the live feed;
* the secretariat console convenes, registers, appoints tellers, publishes the key and opens a
  round, with live turnout; the codes sheet prints alone;
* every page runs under the CSP without a violation, in all three languages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import SECRETARIAT_TOKEN, WebServer
from tests.web.driver import demo_session, session_awaiting_browser

I18N = Path(__file__).resolve().parents[2] / "ballot" / "web" / "static" / "i18n"
PAGES = ["/", "/delegation", "/secretariat", "/teller", "/verify"]
TRACKING_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
# A visible "area.name" string would be an untranslated key.
KEY_LIKE = re.compile(
    r"\b(?:audit|board|ballot|chart|codes|common|delegation|enroll|figures|nav|receipt|sec|"
    r"session|teller|problem|settings|phase|status|kind|decision|option|live)\.[a-z_]+\b"
)


def strings(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((I18N / f"{lang}.json").read_text("utf-8"))
    return data


async def test_csp_header_matches_each_page_and_pages_run_under_it(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    await demo_session(driver, "csp-check", admit=6)
    for route in PAGES:
        async with web_server.http.get(web_server.url + route) as response:
            assert response.status == 200
            csp = response.headers["Content-Security-Policy"]
            html = await response.read()
        importmap = re.search(rb'<script type="importmap">(.*?)</script>', html, re.S)
        assert importmap is not None, route
        digest = base64.b64encode(hashlib.sha256(importmap.group(1)).digest()).decode()
        assert f"script-src 'self' 'sha256-{digest}';" in csp, route
        assert (
            "style-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        )
        assert b" style=" not in html and b"onclick=" not in html, route
    for lang in ("en", "fr", "es"):
        for route in PAGES:
            w = await open_page()
            await w.page.goto(f"{web_server.url}{route}?session=csp-check&lang={lang}")
            # (Waits use selectors: a string predicate would need eval, which the CSP forbids.)
            await w.page.wait_for_selector(f"html[lang='{lang}']", state="attached")
            await w.page.wait_for_selector("#language option", state="attached")
            if route in ("/", "/teller"):
                await w.page.wait_for_selector(
                    "#session option[value='csp-check']", state="attached"
                )
            text = await w.page.inner_text("body")
            assert not KEY_LIKE.findall(text), (lang, route, KEY_LIKE.findall(text))
            assert strings(lang)["nav.board"] in text
            assert await w.csp_violations() == [], (lang, route)
            await w.page.close()


async def test_delegation_enrolls_encrypts_casts_and_sees_refusal_in_french(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    code = await session_awaiting_browser(driver, "deleg-cast", member="KEN")
    url = f"{web_server.url}/delegation?session=deleg-cast&lang=en"
    first = await open_page(width=420)  # a phone-sized screen
    page = first.page
    await page.goto(url)
    await page.get_by_label("Enrollment code").fill(code.lower().replace("-", " "))
    await page.get_by_role("button", name="Enroll").click()
    await page.wait_for_selector("#ballot-form")
    assert await page.inner_text("#delegation-heading") == "Delegation of Kenya (KEN)"
    assert "non-extractable" in (await page.text_content("#key-storage") or "")

    # A second tab of the same browser (same stored key) still shows the ballot form.
    second = await open_page(context=page.context)
    await second.page.goto(url)
    await second.page.wait_for_selector("#ballot-form")

    # Vote with the keyboard: the radio group, Review, Cast.
    await page.get_by_label("António Vitorino").check()
    await page.get_by_role("button", name="Review my choice").click()
    assert await page.inner_text("#review-choice") == "António Vitorino"
    assert await page.evaluate("document.activeElement.id") == "review-heading"
    await page.get_by_role("button", name="Cast my ballot").click()
    await page.wait_for_selector("#tracking-code")
    tracking = (await page.inner_text("#tracking-code")).strip()
    assert TRACKING_CODE.match(tracking), tracking
    assert await page.query_selector("#receipt .error") is None  # local code == server's
    assert "António" not in await page.inner_text("#round")  # the receipt never shows the vote

    # The server verified and recorded it: public receipt and turnout.
    found = await driver.call("GET", f"/api/v1/sessions/{{sid}}/receipts/{tracking}")
    assert (found["delegation_id"], found["round_number"]) == ("KEN", 1)
    turnout = await driver.call("GET", "/api/v1/sessions/{sid}/rounds/1/turnout")
    assert "KEN" in turnout["turnout"]["deposited_by"]
    await page.get_by_role("button", name="Check now").click()
    await page.wait_for_selector("#receipt-check .success")

    # The other tab, switched to French, tries to vote again: refused, in French.
    other = second.page
    await other.select_option("#language", "fr")
    await other.wait_for_selector("html[lang='fr']", state="attached")
    fr = strings("fr")
    await other.get_by_label("Ugochi Daniels").check()
    await other.get_by_role("button", name=fr["ballot.review"]).click()
    await other.get_by_role("button", name=fr["ballot.cast"]).click()
    alert = other.locator("#round .error[data-code='already_voted']")
    await alert.wait_for()
    assert fr["problem.already_voted"] in await alert.inner_text()
    # … and then shows the receipt of the ballot on record.
    await other.wait_for_selector("#tracking-code")
    assert (await other.inner_text("#tracking-code")).strip() == tracking
    turnout = await driver.call("GET", "/api/v1/sessions/{sid}/rounds/1/turnout")
    assert turnout["turnout"]["deposited"] == 1


async def test_board_draws_bars_and_two_thirds_line_and_follows_live(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    await demo_session(driver, "board-live", admit=9)  # round 1: 5 / 3 / 0, blank 1
    w = await open_page()
    page = w.page
    await page.goto(f"{web_server.url}/?session=board-live")
    chart = page.locator("#round-1 svg.chart")
    await chart.wait_for()
    bars = {
        await r.get_attribute("data-option"): (
            int(await r.get_attribute("data-votes") or -1),
            float(await r.get_attribute("width") or -1),
        )
        for r in await chart.locator("rect.bar").all()
    }
    # Scale: 420 px for max(valid = 8, any bar) votes.
    assert bars == {
        "amy": (5, 420 * 5 / 8),
        "antonio": (3, 420 * 3 / 8),
        "ugochi": (0, 0.0),
        "blank": (1, 420 * 1 / 8),
    }
    line = chart.locator("line.threshold")
    assert await line.get_attribute("data-required") == "6"
    assert float(await line.get_attribute("x1") or 0) == pytest.approx(220 + 420 * 6 / 8)
    assert "6" in (await chart.locator("text.threshold-label").text_content() or "")
    figures = {
        await d.get_attribute("data-figure"): (await d.locator("dd").inner_text()).strip()
        for d in await page.locator("#round-1 .figures > div").all()
    }
    assert figures == {
        "eligible": "9",
        "present": "9",
        "deposited": "9",
        "blank": "1",
        "valid": "8",
        "required": "6",
    }
    assert await page.get_attribute("#round-1 .decision", "data-decision") == "inconclusive"
    assert "Amy Pope: 5" in (await chart.locator("desc").text_content() or "")
    # Who deposited a ballot (never what): the round's public roll-call, in deposit order.
    turnout = (await driver.call("GET", "/api/v1/sessions/{sid}/rounds/1/turnout"))["turnout"]
    roll = (await driver.call("GET", "/api/v1/sessions/{sid}/roll"))["members"]
    names = {m["member_id"]: m["name"] for m in roll}
    await page.locator("#round-1 details.deposits summary").click()
    await page.wait_for_selector("#round-1 details.deposits[data-loaded='yes']")
    items = page.locator("#round-1 .deposited-by li")
    assert [await li.get_attribute("data-member") for li in await items.all()] == turnout[
        "deposited_by"
    ]
    first = turnout["deposited_by"][0]
    assert await items.first.inner_text() == f"{names[first]} ({first})"
    assert "(9)" in await page.inner_text("#round-1 details.deposits summary")

    # Live: a new round opens and ballots arrive, then it is counted — no reload.
    await page.wait_for_selector("#live.live")
    number = (await driver.open_round())["round_number"]
    await page.wait_for_selector("#open-round")
    await driver.cast("ARG", "amy", number)
    await page.wait_for_selector("#turnout-bar[value='1']")
    for mid in ["BGD", "CAN", "DEU", "ETH", "FRA", "GHA"]:
        await driver.cast(mid, "amy", number)
    await driver.close(number)
    await driver.tally(number)
    await page.wait_for_selector("#round-2 svg.chart")
    assert await page.get_attribute("#round-2 .decision", "data-decision") == "elected"
    await page.wait_for_selector(".outcome")
    assert "Amy Pope" in await page.inner_text(".outcome")

    # A receipt looked up on the board.
    receipt = await driver.call(
        "GET", "/api/v1/sessions/{sid}/rounds/2/ballots/mine", token=driver.tokens["ARG"]
    )
    await page.get_by_label("Tracking code").fill(receipt["tracking_code"])
    await page.get_by_role("button", name="Check", exact=True).click()
    await page.wait_for_selector("#receipt-found")
    assert "ARG" in await page.inner_text("#receipt-found")
    assert (
        await page.get_attribute("#download-events", "href") == "/api/v1/sessions/board-live/events"
    )


async def test_secretariat_console_convenes_registers_and_opens_a_round(
    web_server: WebServer, open_page: Any
) -> None:
    w = await open_page()
    page = w.page
    await page.goto(f"{web_server.url}/secretariat")
    await page.get_by_label("Operator token").fill(SECRETARIAT_TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("#console:not([hidden])")
    if await page.is_hidden("#convene"):
        await page.get_by_role("button", name="Convene a new session").click()
    await page.get_by_label("Title").fill("Council, 120th session")
    await page.get_by_label("Session identifier (optional)").fill("console-test")
    await page.get_by_label("Minimum ballots to count").fill("1")
    await page.get_by_role("button", name="Convene", exact=True).click()
    await page.wait_for_selector("#overview-heading:has-text('console-test')")
    assert (
        await page.evaluate("sessionStorage.getItem('ballot-web.secretariat-token')")
        == SECRETARIAT_TOKEN
    )
    # The board link to publish carries the session's checkpoint key.
    key = (await web_server.driver().call("GET", "/api/v1/sessions/console-test"))["checkpoint_key"]
    assert await page.get_attribute("#board-link", "href") == f"/?session=console-test#key={key}"

    # Bulk registration, one bad line kept for correction.
    await page.get_by_label(re.compile("^Register member states")).fill(
        "ARG, Argentina\nBGD, Bangladesh\nCAN, Canada\nDEU, Germany\nbad line\nETH, Ethiopia\n"
        "OBS, Observer State, observer"
    )
    await page.get_by_role("button", name="Register", exact=True).click()
    await page.wait_for_selector("#register-result .warning")
    await page.wait_for_selector("#roll-table tbody tr >> nth=5")
    assert await page.locator("#roll-table tbody tr").count() == 6

    # Credentials for all: the codes sheet.
    await page.get_by_role("button", name=re.compile("issue codes for all")).click()
    await page.wait_for_selector("#codes:not([hidden]) .code-card >> nth=4")
    codes = {
        await c.get_attribute("data-subject"): (await c.locator(".code").inner_text()).strip()
        for c in await page.locator("#codes .code-card").all()
    }
    assert set(codes) == {"ARG", "BGD", "CAN", "DEU", "ETH"}
    # Printing shows the sheet alone.
    await page.evaluate("document.body.classList.add('printing-codes')")
    await page.emulate_media(media="print")
    assert await page.is_visible("#codes .code-card >> nth=0")
    assert not await page.is_visible("#roll-table")
    assert not await page.is_visible("#print-codes")
    await page.emulate_media(media="screen")
    await page.evaluate("document.body.classList.remove('printing-codes')")

    # Presence (one by one with the keyboard-operable check box, then the rest at once).
    await page.get_by_label("Present — Argentina").check()
    await page.wait_for_selector("#present-ARG:checked")
    await page.get_by_role("button", name="Mark all credentialed delegations present").click()
    await page.wait_for_selector("#present-ETH:checked")

    # Candidates.
    for cid, name in (("amy", "Amy Pope"), ("ugochi", "Ugochi Daniels")):
        await page.locator("#candidate-id").fill(cid)
        await page.locator("#candidate-name").fill(name)
        await page.get_by_role("button", name="Nominate").click()
        await page.wait_for_selector(f"#candidates-table tr[data-candidate='{cid}']")

    # Tellers appointed here; their program (simulated) runs the ceremony; key published here.
    await page.get_by_label(re.compile("^Appoint the tellers")).fill(
        "T1, Teller One\nT2, Teller Two\nT3, Teller Three"
    )
    await page.get_by_role("button", name="Appoint and issue codes").click()
    await page.wait_for_selector("#codes .code-card[data-subject='T3']")
    teller_codes = {
        t: (await page.locator(f"#codes .code-card[data-subject='{t}'] .code").inner_text()).strip()
        for t in ("T1", "T2", "T3")
    }
    driver = web_server.driver()
    driver.session_id = "console-test"
    await driver.tellers_ceremony(teller_codes)
    await page.wait_for_selector("#tellers-table tr[data-teller='T3']")
    publish = page.get_by_role("button", name="Publish the election key")
    await page.wait_for_selector("#publish-key:not([disabled])")
    await publish.click()
    await page.wait_for_selector("#key-status.success")

    # Open round 1; live turnout as a delegation votes.
    await page.get_by_role("button", name="Open round 1").click()
    await page.wait_for_selector("#current-round")
    assert "Ballots deposited: 0 of 5" in await page.inner_text("#current-round")
    await driver.enroll("ARG", codes["ARG"])
    await driver.cast("ARG", "amy", 1)
    await page.wait_for_selector("#sec-turnout[value='1']")
    await page.wait_for_selector("#current-round li:has-text('Argentina (ARG)')")
    definition = await driver.call("GET", "/api/v1/sessions/{sid}/rounds/1")
    assert definition["options"] == ["amy", "ugochi", "blank"]
    assert definition["status"] == "open"


async def test_a_signed_receipt_survives_a_reload_and_verifies_on_the_board(
    web_server: WebServer, open_page: Any, tmp_path: Path
) -> None:
    driver = web_server.driver()
    code = await session_awaiting_browser(driver, "deleg-receipt", member="KEN")
    url = f"{web_server.url}/delegation?session=deleg-receipt&lang=en"
    watched = await open_page()
    page = watched.page
    await page.goto(url)
    await page.get_by_label("Enrollment code").fill(code)
    await page.get_by_role("button", name="Enroll").click()
    await page.wait_for_selector("#ballot-form")
    await page.get_by_label("António Vitorino").check()
    await page.get_by_role("button", name="Review my choice").click()
    await page.get_by_role("button", name="Cast my ballot").click()
    await page.wait_for_selector("#receipt-signed[data-verified='yes']")
    cast = json.loads(await page.text_content("#receipt-file") or "")
    assert cast["type"] == "ballot-receipt/1" and cast["delegation_id"] == "KEN"

    # After a reload the page shows the receipt it kept in IndexedDB, signature checked, and
    # offers it as a file: the one the server signed at the cast.
    await page.reload()
    await page.wait_for_selector("#receipt-signed[data-verified='yes']")
    assert await page.query_selector("#receipt-contradicted") is None
    assert json.loads(await page.text_content("#receipt-file") or "") == cast
    async with page.expect_download() as download_info:
        await page.click("#download-receipt")
    saved = tmp_path / "receipt.json"
    await (await download_info.value).save_as(saved)
    assert json.loads(saved.read_text()) == cast

    # The board checks the file: signed by the session's key, and the record still holds the
    # ballot where the server signed it. A receipt edited by hand is refused.
    board = watched.page
    await board.goto(f"{web_server.url}/?session=deleg-receipt&lang=en")
    await board.set_input_files("#receipt-file", str(saved))
    await board.get_by_role("button", name="Check").click()
    await board.wait_for_selector("#receipt-signed[data-verified='yes']")
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(cast | {"position": cast["position"] + 1}))
    await board.set_input_files("#receipt-file", str(forged))
    await board.get_by_role("button", name="Check").click()
    await board.wait_for_selector("#receipt-signed[data-code='receipt_signature_invalid']")
    assert not watched.unexpected_errors() and not await watched.csp_violations()


async def test_a_delegation_checks_an_encrypted_ballot_then_casts_another(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    code = await session_awaiting_browser(driver, "deleg-challenge", member="KEN")
    watched = await open_page()
    page = watched.page
    await page.goto(f"{web_server.url}/delegation?session=deleg-challenge&lang=en")
    await page.get_by_label("Enrollment code").fill(code)
    await page.get_by_role("button", name="Enroll").click()
    await page.wait_for_selector("#ballot-form")

    # Review A, then check that encrypted ballot instead of casting it: the page opens it and
    # it held A; it is spoiled, and the ballot form is back.
    await page.get_by_label("António Vitorino").check()
    await page.get_by_role("button", name="Review my choice").click()
    prepared = (await page.inner_text("#prepared-code .tracking-code")).strip()
    assert TRACKING_CODE.match(prepared)
    assert "Why check?" in (await page.inner_text("#challenge-explain"))
    await page.click("#check-ballot")
    await page.wait_for_selector("#challenge[data-match='yes']")
    assert await page.inner_text("#challenge-option") == "António Vitorino"
    link = await page.get_attribute("#challenge-verify-link", "href")
    assert link == f"{web_server.url}/verify?session=deleg-challenge#challenge={prepared}"
    # The same link as a QR code for a phone, and the file `ballot audit --challenge` checks.
    assert await page.get_attribute("#challenge svg.qr", "data-text") == link
    saved = json.loads(await page.text_content("#challenge-file") or "")
    assert saved == {
        "type": "ballot-challenge/1",
        "session_id": "deleg-challenge",
        "round_number": 1,
        "delegation_id": "KEN",
        "tracking_code": prepared,
        "chosen": "antonio",
    }
    assert "--challenge" in await page.inner_text("#challenge-cli")

    # Then cast a freshly encrypted ballot for someone else: only that one counts.
    await page.get_by_label("Ugochi Daniels").check()
    await page.get_by_role("button", name="Review my choice").click()
    assert (await page.inner_text("#prepared-code .tracking-code")).strip() != prepared
    await page.get_by_role("button", name="Cast my ballot").click()
    await page.wait_for_selector("#tracking-code")
    turnout = await driver.call("GET", "/api/v1/sessions/{sid}/rounds/1/turnout")
    assert turnout["turnout"]["deposited_by"].count("KEN") == 1
    spoiled = await driver.call("GET", f"/api/v1/sessions/{{sid}}/challenges/{prepared}")
    assert (spoiled["delegation_id"], spoiled["round_number"]) == ("KEN", 1)

    # Anyone re-checks the spoiled ballot in their browser (here a phone-sized screen).
    phone = await open_page(width=390)
    await phone.page.goto(f"{web_server.url}/?session=deleg-challenge&lang=en#challenge={prepared}")
    await phone.page.wait_for_selector("#challenge-verified[data-verified='yes']")
    assert "António Vitorino" in await phone.page.inner_text("#challenge-verified")
    # The QR code's link, on a phone: the verifier opens it from the public log.
    await phone.page.goto(link)
    held = await phone.page.wait_for_selector("#challenge-verified", timeout=60_000)
    assert held is not None and await held.get_attribute("data-verified") == "yes"
    assert await held.get_attribute("data-option") == "António Vitorino"
    for w in (watched, phone):
        assert not w.unexpected_errors() and not await w.csp_violations()

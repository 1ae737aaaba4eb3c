"""The board verifies a receipt look-up in the browser (crypto/receipt.js), in a real Chromium
under the CSP: a genuine reply shows "verified", and for a closed round "counted: verified"; a
reply altered on its way (Playwright rewrites the API response) shows "NOT verified" with the
check that failed; a ballot of an open round, not yet covered by a checkpoint, is partly
verified."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ballot.domain.values import b64encode
from crypto.signing import SigningKey
from tests.web.conftest import WebServer
from tests.web.driver import demo_session


def flip_hex(text: str) -> str:
    return ("1" if text[0] == "0" else "0") + text[1:]


def tamper_proof(reply: dict[str, Any]) -> dict[str, Any]:
    proof = list(reply["inclusion_proof"])
    proof[0] = flip_hex(proof[0])
    return {**reply, "inclusion_proof": proof}


def tamper_record(reply: dict[str, Any]) -> dict[str, Any]:
    # One byte of the stored ballot: the record no longer hashes to its event.
    record = reply["record"]
    at = record.index('"ciphertexts":[{"alpha":"') + len('"ciphertexts":[{"alpha":"')
    swapped = "B" if record[at] == "A" else "A"
    return {**reply, "record": record[:at] + swapped + record[at + 1 :]}


def tamper_checkpoint(reply: dict[str, Any]) -> dict[str, Any]:
    checkpoint = reply["checkpoint"]
    return {**reply, "checkpoint": {**checkpoint, "head_hash": flip_hex(checkpoint["head_hash"])}}


def tamper_leaf(reply: dict[str, Any]) -> dict[str, Any]:
    ballot_set = reply["ballot_set"]
    count = int(json.loads(ballot_set["record"])["payload"]["ballot_count"])
    index = (ballot_set["leaf_index"] + 1) % count
    return {**reply, "ballot_set": {**ballot_set, "leaf_index": index}}


def tamper_ballot_proof(reply: dict[str, Any]) -> dict[str, Any]:
    ballot_set = reply["ballot_set"]
    proof = list(ballot_set["ballot_proof"])
    proof[-1] = flip_hex(proof[-1])
    return {**reply, "ballot_set": {**ballot_set, "ballot_proof": proof}}


def tamper_closing(reply: dict[str, Any]) -> dict[str, Any]:
    # Another ballot count in the RoundClosed record: it no longer hashes to its event.
    ballot_set = reply["ballot_set"]
    record = ballot_set["record"].replace('"ballot_count":', '"ballot_count":1', 1)
    return {**reply, "ballot_set": {**ballot_set, "record": record}}


async def counted_line(page: Any) -> tuple[str, str, str]:
    """(data-verified, data-code, text) of the "counted" line of the receipt shown."""
    line = page.locator("#receipt-counted")
    return (
        await line.get_attribute("data-verified") or "",
        await line.get_attribute("data-code") or "",
        await line.inner_text(),
    )


async def look_up(page: Any, code: str) -> tuple[str, str, str]:
    """Submit ``code``; return (data-verified, data-code, text) of the verification line."""
    await page.evaluate("document.getElementById('receipt-result').replaceChildren()")
    await page.get_by_label("Tracking code").fill(code)
    await page.get_by_role("button", name="Check", exact=True).click()
    line = page.locator("#receipt-verification")
    await line.wait_for()
    return (
        await line.get_attribute("data-verified") or "",
        await line.get_attribute("data-code") or "",
        await line.inner_text(),
    )


async def test_the_board_verifies_a_receipt_and_refuses_a_tampered_one(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    await demo_session(driver, "receipt-verify", admit=9)  # round 1 closed: checkpoint signed
    mine = await driver.call(
        "GET", "/api/v1/sessions/{sid}/rounds/1/ballots/mine", token=driver.tokens["ARG"]
    )
    code = mine["tracking_code"]
    w = await open_page()
    page = w.page
    await page.goto(f"{web_server.url}/?session=receipt-verify")
    await page.wait_for_selector("#round-1")

    verified, _, text = await look_up(page, code)
    assert verified == "yes", text
    assert "Verified in this browser" in text
    assert await page.get_attribute("#receipt-found", "class") == "success"
    counted, _, text = await counted_line(page)
    assert counted == "yes", text
    assert "Counted: verified in this browser" in text

    async def serve_altered(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        async def handler(route: Any) -> None:
            response = await route.fetch()
            body = json.dumps(change(await response.json()))
            await route.fulfill(response=response, body=body)

        await page.unroute("**/receipts/**")
        await page.route("**/receipts/**", handler)

    for change, expected in [
        (tamper_proof, "receipt_not_included"),
        (tamper_record, "receipt_record_invalid"),
        (tamper_checkpoint, "checkpoint_signature_invalid"),
    ]:
        await serve_altered(change)
        verified, failed, text = await look_up(page, code)
        assert (verified, failed) == ("no", expected), text
        assert "NOT verified" in text
        assert await page.get_attribute("#receipt-found", "class") == "warning"
        counted, _, text = await counted_line(page)
        assert counted == "no", text  # nothing is counted on a receipt that does not verify
    # The receipt verifies but its ballot-set proof does not: "counted" is NOT verified.
    for change, expected in [
        (tamper_leaf, "ballot_set_mismatch"),
        (tamper_ballot_proof, "ballot_set_mismatch"),
        (tamper_closing, "round_closed_invalid"),
    ]:
        await serve_altered(change)
        verified, _, text = await look_up(page, code)
        assert verified == "yes", text
        counted, failed, text = await counted_line(page)
        assert (counted, failed) == ("no", expected), text
        assert "Counted: NOT verified" in text
    await page.unroute("**/receipts/**")

    # In French, and for a ballot of an open round: no checkpoint covers it yet.
    number = (await driver.open_round())["round_number"]
    fresh = await driver.cast("BGD", "amy", number)
    await page.goto(f"{web_server.url}/?session=receipt-verify&lang=fr")
    await page.wait_for_selector("#open-round")
    await page.evaluate("document.getElementById('receipt-result').replaceChildren()")
    await page.locator("#receipt-code").fill(fresh["tracking_code"])
    await page.locator("#receipt-form button[type=submit]").click()
    line = page.locator("#receipt-verification")
    await line.wait_for()
    assert await line.get_attribute("data-verified") == "partial"
    assert "Partiellement vérifié" in await line.inner_text()
    assert await page.locator("#receipt-counted").get_attribute("data-verified") is None


async def test_a_link_with_the_published_key_catches_a_server_signing_with_another(
    web_server: WebServer, open_page: Any
) -> None:
    driver = web_server.driver()
    await demo_session(driver, "receipt-key", admit=9)
    mine = await driver.call(
        "GET", "/api/v1/sessions/{sid}/rounds/1/ballots/mine", token=driver.tokens["ARG"]
    )
    key = (await driver.call("GET", "/api/v1/sessions/{sid}"))["checkpoint_key"]
    w = await open_page()
    page = w.page
    # The link the secretariat publishes: the board checks checkpoints against that key.
    await page.goto(f"{web_server.url}/?session=receipt-key#key={key}")
    await page.wait_for_selector("#round-1")
    verified, _, text = await look_up(page, mine["tracking_code"])
    assert verified == "yes", text
    assert "the published key this page's link gives" in await page.inner_text("#receipt-key")
    # Another key in the link (or, alike, a server naming and signing with a key of its own).
    other = SigningKey.from_seed(bytes(32)).public_key().encode()
    await page.goto(f"{web_server.url}/?session=receipt-key#key={b64encode(other)}")
    await page.reload()
    await page.wait_for_selector("#round-1")
    verified, failed, text = await look_up(page, mine["tracking_code"])
    assert (verified, failed) == ("no", "checkpoint_key_unpublished"), text
    assert "not the published key" in text
    # A key counts only for the session its link names: not for another one picked here.
    await page.goto(f"{web_server.url}/?session=another-session#key={b64encode(other)}")
    await page.reload()
    await page.select_option("#session", "receipt-key")
    await page.wait_for_selector("#round-1")
    verified, _, text = await look_up(page, mine["tracking_code"])
    assert verified == "yes", text
    # With the published key, a tallied round's ballot must come with its checkpoint: a reply
    # leaving it out (to escape the key) is refused, not "partly verified".
    await page.goto(f"{web_server.url}/?session=receipt-key#key={key}")
    await page.reload()
    await page.wait_for_selector("#round-1")

    async def without_checkpoint(route: Any) -> None:
        response = await route.fetch()
        reply = await response.json()
        reply.update(checkpoint=None, inclusion_proof=[], ballot_set=None)
        await route.fulfill(response=response, body=json.dumps(reply))

    await page.route("**/receipts/**", without_checkpoint)
    verified, failed, text = await look_up(page, mine["tracking_code"])
    assert (verified, failed) == ("no", "checkpoint_missing"), text

"""Cast or challenge over HTTP (real PostgreSQL): a delegation opens encrypted ballots, then
casts; only the cast one counts; a reveal that does not open the ballot, or one after the
cast, is refused; the spoiled ballot is public and the audit re-checks it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ballot.audit import AuditOptions, audit_lines
from ballot.audit.challenges import ChallengeClaim
from ballot.audit.cli import main as audit_main
from ballot.client import ApiProblem
from ballot.domain.values import b64encode
from ballot.remote import RemoteDelegation, round_definition
from crypto import ballot as cb
from crypto.challenge import BallotReveal
from events.exchange import record_to_line
from tests.api.conftest import Api
from tests.api.flows import setup_session
from tests.api.test_owner_tamper import exported
from tests.audit.kit import dump, edit, resign
from tests.audit.test_browser_auditor import NODE, browser_audit
from tests.conftest import TEST_SIGNING_KEY


async def opened(
    delegation: RemoteDelegation, number: int, option: str, *, claim: str | None = None
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A ballot for ``option`` and its reveal (claiming ``claim``): what the page would post."""
    definition = await round_definition(delegation.client, number)
    ctx = definition.context(delegation.agent.delegation_id)
    encrypted, nonces = cb.encrypt_ballot_with_nonces(ctx, ctx.options.index(option))
    signature = delegation.agent.signing_key.sign(cb.signing_message(ctx, encrypted))
    shown = ctx.options.index(option if claim is None else claim)
    reveal = BallotReveal(shown, nonces).to_json()
    return cb.ballot_to_json(encrypted), b64encode(signature), reveal


async def test_challenge_then_cast_and_the_audit_rechecks_the_spoiled_ballot(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = await setup_session(api, 6, ("A", "B"))
    await session.sec.open_round()
    kenya = session.delegations["M001"]
    ballot, signature, reveal = await opened(kenya, 1, "B")
    spoiled = await kenya.client.challenge(1, ballot, signature, reveal)
    assert (spoiled["option"], spoiled["delegation_id"]) == ("B", "M001")
    found = (
        await session.sec.as_token(None)
        .for_session("council")
        .request("GET", f"/api/v1/sessions/council/challenges/{spoiled['tracking_code']}")
    )
    assert found["option"] == "B" and found["position"] == spoiled["position"]

    # A page that encrypted B cannot pass it off as A.
    liar = await opened(kenya, 1, "B", claim="A")
    with pytest.raises(ApiProblem) as caught:
        await kenya.client.challenge(1, *liar)
    assert (caught.value.status, caught.value.code) == (422, "invalid_challenge")

    await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    with pytest.raises(ApiProblem) as late:
        await kenya.client.challenge(1, *(await opened(kenya, 1, "A")))
    assert (late.value.status, late.value.code) == (409, "already_voted")
    await session.sec.close_round(1)
    for teller in session.tellers:
        await teller.decrypt(1)
    board = await session.sec.board()
    counted = board["rounds"][0]
    assert (counted["deposited"], counted["votes"]) == (6, {"A": 6, "B": 0})

    lines = [record_to_line(r) for r in await exported(session)]
    report = audit_lines(lines, AuditOptions(workers=0, allow_incomplete=True))
    assert report.verified, [f.describe() for f in report.failures]
    assert sum(b'"BallotChallenged"' in line for line in lines) == 1

    # `ballot audit --challenge FILE`: the file the page offered says what the delegation chose;
    # the log must hold that checked ballot and it must have held that choice.
    claim = {
        "type": "ballot-challenge/1",
        "session_id": "council",
        "round_number": 1,
        "delegation_id": "M001",
        "tracking_code": spoiled["tracking_code"].replace("-", "").lower(),
        "chosen": "B",
    }
    log = tmp_path / "council.jsonl"
    log.write_bytes(b"".join(line.rstrip(b"\n") + b"\n" for line in lines))
    held = tmp_path / "checked.json"
    held.write_text(json.dumps(claim))
    assert (
        audit_main([str(log), "--challenge", str(held), "--allow-incomplete", "--workers", "0"])
        == 0
    )
    out = capsys.readouterr().out
    assert f"checked ballot {spoiled['tracking_code']}: checked ballot of M001 in round 1" in out
    assert "held B — the choice made" in out

    def checks_for(**changes: Any) -> list[str]:
        report = audit_lines(
            lines,
            AuditOptions(
                workers=0,
                allow_incomplete=True,
                challenges=(ChallengeClaim.from_json(claim | changes),),
            ),
        )
        return list(report.failed_checks)

    assert checks_for() == []
    assert checks_for(chosen="A") == ["challenge.mismatch"]
    assert checks_for(delegation_id="M002") == ["challenge.session"]
    assert checks_for(tracking_code="0000-0000-0000-0000") == ["challenge.unknown"]
    plain = audit_lines(
        lines,
        AuditOptions(
            workers=0, allow_incomplete=True, challenges=(ChallengeClaim(spoiled["tracking_code"]),)
        ),
    )
    assert plain.verified and plain.challenges[0].option == "B"
    assert plain.to_json()["challenges"][0]["delegation_id"] == "M001"
    with pytest.raises(ValueError, match="exactly"):
        ChallengeClaim.from_json(claim | {"extra": 1})
    held.write_text(json.dumps(claim | {"round_number": 0}))
    assert audit_main([str(log), "--challenge", str(held), "--workers", "0"]) == 2
    assert "challenge file" in capsys.readouterr().err


async def test_a_reveal_with_a_zero_nonce_is_refused_not_a_server_error(api: Api) -> None:
    session = await setup_session(api, 6, ("A", "B"))
    await session.sec.open_round()
    kenya = session.delegations["M001"]
    ballot, signature, reveal = await opened(kenya, 1, "A")
    reveal["nonces"][0] = b64encode(bytes(32))
    with pytest.raises(ApiProblem) as caught:
        await kenya.client.challenge(1, ballot, signature, reveal)
    assert (caught.value.status, caught.value.code) == (422, "invalid_challenge")


async def test_a_server_that_casts_a_checked_ballot_is_caught_by_both_auditors(
    api: Api, tmp_path: Path
) -> None:
    # The delegation checked a ballot for B, then cast A. A server (or page) that records the
    # opened ballot as the delegation's vote instead — its choice is public — is caught by
    # `ballot audit` and by the browser's auditor alike, even with every checkpoint re-signed.
    session = await setup_session(api, 6, ("A", "B"))
    await session.sec.open_round()
    kenya = session.delegations["M001"]
    spoiled = await kenya.client.challenge(1, *(await opened(kenya, 1, "B")))
    await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    records = await exported(session)
    challenged = next(r for r in records if r.event_type == "BallotChallenged").payload()
    at = next(
        r.position
        for r in records
        if r.event_type == "BallotCast" and r.payload()["delegation_id"] == "M001"
    )

    def as_spoiled(p: dict[str, Any]) -> None:
        p.update(
            ballot=challenged["ballot"],
            signature=challenged["signature"],
            tracking_code=spoiled["tracking_code"],
        )

    forged = resign(edit(records, at, as_spoiled), TEST_SIGNING_KEY)
    lines = dump(forged)
    expected = audit_lines(lines, AuditOptions(workers=0, allow_incomplete=True))
    assert expected.failed_checks[0] == "ballot.spoiled", expected.failed_checks
    if NODE is None:
        pytest.skip("node is needed for the browser's auditor")
    got = browser_audit(lines, [], tmp_path)
    assert got["failed_checks"] == list(expected.failed_checks)


async def test_a_rewritten_checked_ballot_fails_in_both_auditors_alike(
    api: Api, tmp_path: Path
) -> None:
    # The record of an opened ballot edited by whoever holds the database — another option,
    # another nonce, a signature or tracking code that is not its own, or placed after the
    # delegation's cast — is refused by the rules in ballot audit and in the browser alike.
    session = await setup_session(api, 6, ("A", "B"))
    await session.sec.open_round()
    kenya = session.delegations["M001"]
    await kenya.client.challenge(1, *(await opened(kenya, 1, "B")))
    await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    records = await exported(session)
    at = next(r.position for r in records if r.event_type == "BallotChallenged")
    body = records[at - 1].payload()
    cast = next(r for r in records if r.event_type == "BallotCast")
    nonces = list(body["reveal"]["nonces"])
    nonces[0], nonces[1] = nonces[1], nonces[0]
    rewrites = {
        "option": edit(records, at, lambda p: p.update(option="A")),
        "nonce": edit(records, at, lambda p: p.update(reveal={**p["reveal"], "nonces": nonces})),
        "signature": edit(records, at, lambda p: p.update(signature=cast.payload()["signature"])),
        "tracking_code": edit(
            records, at, lambda p: p.update(tracking_code=cast.payload()["tracking_code"])
        ),
        "after_the_cast": [
            *[r for r in records if r.position != at][:-1],
            records[at - 1],
            records[-1],
        ],
    }
    if NODE is None:
        pytest.skip("node is needed for the browser's auditor")
    for name, changed in rewrites.items():
        lines = dump(resign(changed, TEST_SIGNING_KEY))
        expected = audit_lines(lines, AuditOptions(workers=0, allow_incomplete=True))
        assert not expected.verified, name
        got = browser_audit(lines, [], tmp_path)
        assert got["failed_checks"] == list(expected.failed_checks), name

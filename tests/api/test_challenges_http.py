"""Cast or challenge over HTTP (real PostgreSQL): a delegation opens encrypted ballots, then
casts; only the cast one counts; a reveal that does not open the ballot, or one after the
cast, is refused; the spoiled ballot is public and the audit re-checks it."""

from __future__ import annotations

from typing import Any

import pytest

from ballot.audit import AuditOptions, audit_lines
from ballot.client import ApiProblem
from ballot.domain.values import b64encode
from ballot.remote import RemoteDelegation, round_definition
from crypto import ballot as cb
from crypto.challenge import BallotReveal
from events.exchange import record_to_line
from tests.api.conftest import Api
from tests.api.flows import setup_session
from tests.api.test_owner_tamper import exported


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


async def test_challenge_then_cast_and_the_audit_rechecks_the_spoiled_ballot(api: Api) -> None:
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

"""Driving whole sessions through the HTTP API with real participants (test helpers)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ballot.client import Client
from ballot.remote import RemoteDelegation, RemoteTeller, automated_tellers
from ballot.simulation import DelegationAgent, Entropy
from tests.api.conftest import SECRETARIAT_TOKEN, Api


@dataclass
class HttpSession:
    """A session set up over HTTP: secretariat, delegations and tellers."""

    sec: Client
    delegations: dict[str, RemoteDelegation] = field(default_factory=dict)
    tellers: list[RemoteTeller] = field(default_factory=list)

    @property
    def session_id(self) -> str:
        assert self.sec.session_id is not None
        return self.sec.session_id

    async def vote(self, number: int, choices: dict[str, str]) -> list[dict[str, Any]]:
        """Each delegation encrypts and casts its choice, concurrently."""

        async def one(member: str, option: str) -> dict[str, Any]:
            delegation = self.delegations[member]
            return await delegation.cast(await delegation.ballot_for(number, option))

        return list(await asyncio.gather(*(one(m, o) for m, o in choices.items())))

    async def close_and_tally(self, number: int) -> Any:
        await self.sec.close_round(number)
        for teller in self.tellers:
            await teller.decrypt(number)
        return await self.sec.board()


def client_of(api: Api | Client, token: str | None = None) -> Client:
    """A client of the test server (or of the server another client talks to)."""
    if isinstance(api, Client):
        return Client(api.base_url, api.session, token)
    return Client(str(api.client.make_url("")), api.client.session, token)


async def setup_session(
    api: Api | Client,
    members: int,
    candidates: tuple[str, ...] = ("A", "B", "C"),
    *,
    absent: int = 0,
    arrears: int = 0,
    settings: dict[str, Any] | None = None,
    session_id: str = "council",
    seed: bytes = b"tests",
) -> HttpSession:
    """Convene, register, credential, enroll and admit members; nominate; run the ceremony."""
    entropy = Entropy(seed)
    sec = client_of(api, SECRETARIAT_TOKEN).for_session(session_id)
    await sec.convene("IOM Council — special session", settings or {}, session_id)
    ids = [f"M{i:03d}" for i in range(1, members + 1)]
    for mid in ids:
        await sec.register_member(mid, f"Member {mid}")
    codes = {mid: (await sec.accept_credentials(mid))["code"] for mid in ids}
    session = HttpSession(sec)
    anonymous = client_of(api).for_session(session_id)

    async def enroll(mid: str) -> None:
        delegation = RemoteDelegation(DelegationAgent.create(mid, entropy), anonymous)
        await delegation.enroll(codes[mid])
        session.delegations[mid] = delegation

    await asyncio.gather(*(enroll(mid) for mid in ids))
    for mid in ids[: members - absent]:
        await sec.presence(mid, True)
    for mid in ids[:arrears]:
        await sec.voting_rights(mid, arrears=True)
    for cid in candidates:
        await sec.nominate(cid, f"Candidate {cid}")
    n = (settings or {}).get("tellers", 3)
    session.tellers.extend(await automated_tellers(sec, n, entropy))
    return session

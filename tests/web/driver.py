"""Drive a session through the HTTP API from Python, as the secretariat, delegations and tellers.

The browser tests use it to prepare what a page shows (a tallied round, a session with an
open round); tellers are simulated with ``crypto.dkg`` and ``crypto.tally``. It is also a
development helper: ``python -m tests.web.driver --url http://127.0.0.1:8090 --token dev``
fills a running ``ballot serve`` with a demonstration session.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ballot.domain import ceremony_signing_message
from ballot.domain.values import b64decode, b64encode
from crypto import ballot as cb
from crypto import dkg
from crypto import tally as ct
from crypto.elgamal import Ciphertext
from crypto.group import Point, Scalar
from crypto.signing import SigningKey


class ApiRefused(Exception):
    """The server answered with a problem document."""

    def __init__(self, status: int, problem: Any) -> None:
        super().__init__(f"{status}: {problem}")
        self.status = status
        self.problem = problem


def key_for(name: str) -> SigningKey:
    """A deterministic Ed25519 key for a simulated principal."""
    return SigningKey.from_seed(hashlib.sha256(b"web-driver/" + name.encode()).digest())


@dataclass
class Driver:
    """One session on one server, driven over HTTP."""

    http: aiohttp.ClientSession
    base: str
    secretariat_token: str
    session_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    dealers: dict[int, dkg.DealerSecrets] = field(default_factory=dict)
    commitments: dict[int, dkg.DealerCommitment] = field(default_factory=dict)
    key_shares: dict[int, Scalar] = field(default_factory=dict)
    teller_ids: dict[int, str] = field(default_factory=dict)

    # -- plumbing --------------------------------------------------------------------------
    async def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> Any:
        """One API call; a problem document raises :class:`ApiRefused`."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = self.base + path.replace("{sid}", self.session_id)
        async with self.http.request(method, url, json=body, headers=headers) as response:
            data = await response.json(content_type=None)
            if response.status >= 300:
                raise ApiRefused(response.status, data)
            return data

    async def sec(self, method: str, path: str, body: Any = None) -> Any:
        """A secretariat call."""
        return await self.call(method, path, body, token=self.secretariat_token)

    # -- setup -----------------------------------------------------------------------------
    async def convene(self, title: str, session_id: str, **settings: Any) -> None:
        """Convene a session with the given settings."""
        body = {"title": title, "session_id": session_id, "settings": settings}
        self.session_id = (await self.sec("POST", "/api/v1/sessions", body))["session_id"]

    async def register(self, members: dict[str, str]) -> None:
        """Register member states ``{id: name}``."""
        for mid, name in members.items():
            await self.sec(
                "POST", "/api/v1/sessions/{sid}/members", {"member_id": mid, "name": name}
            )

    async def credentials(self, mid: str) -> str:
        """Accept a member's credentials; return its one-time enrollment code."""
        issued = await self.sec("POST", f"/api/v1/sessions/{{sid}}/members/{mid}/credentials")
        code: str = issued["code"]
        return code

    async def enroll(self, principal: str, code: str) -> dict[str, Any]:
        """Redeem ``code`` with the principal's deterministic key; keep its token."""
        enrolled: dict[str, Any] = await self.call(
            "POST",
            "/api/v1/sessions/{sid}/enrollment",
            {"code": code, "public_key": b64encode(key_for(principal).public_key().encode())},
        )
        self.tokens[principal] = enrolled["token"]
        return enrolled

    async def presence(self, mid: str, present: bool = True) -> None:
        """Record a member present (or absent)."""
        await self.sec(
            "PUT", f"/api/v1/sessions/{{sid}}/members/{mid}/presence", {"present": present}
        )

    async def admit(self, mid: str) -> None:
        """Credentials, enrollment with a Python key, presence."""
        await self.enroll(mid, await self.credentials(mid))
        await self.presence(mid)

    async def nominate(self, candidates: dict[str, str]) -> None:
        """Nominate candidates ``{id: name}``."""
        for cid, name in candidates.items():
            await self.sec(
                "POST", "/api/v1/sessions/{sid}/candidates", {"candidate_id": cid, "name": name}
            )

    async def key_ceremony(self, tellers: dict[str, str]) -> None:
        """Appoint and enroll the tellers, run the DKG over HTTP and publish the election key."""
        appointed = await self.sec(
            "POST",
            "/api/v1/sessions/{sid}/tellers",
            {"tellers": [{"teller_id": t, "name": n} for t, n in tellers.items()]},
        )
        await self.tellers_ceremony({c["subject"]: c["code"] for c in appointed["codes"]})
        await self.sec("POST", "/api/v1/sessions/{sid}/key-ceremony/election-key")

    async def tellers_ceremony(self, codes: dict[str, str]) -> None:
        """Enroll appointed tellers with their codes ``{teller: code}`` and run the DKG (the
        election key is then ready to publish)."""
        for teller, code in codes.items():
            enrolled = await self.enroll(teller, code)
            self.teller_ids[enrolled["teller_index"]] = teller
        info = await self.call("GET", "/api/v1/sessions/{sid}")
        settings = info["session"]["settings"]
        ctx = dkg.CeremonyContext(self.session_id, settings["tellers"], settings["threshold"])
        for index, teller in self.teller_ids.items():
            secrets, commitment = dkg.new_dealer(ctx, index)
            self.dealers[index], self.commitments[index] = secrets, commitment
            await self.call(
                "POST",
                "/api/v1/sessions/{sid}/key-ceremony/commitments",
                {
                    "message": dkg.dealer_commitment_to_json(commitment),
                    "signature": b64encode(
                        key_for(teller).sign(ceremony_signing_message(ctx, commitment))
                    ),
                },
                token=self.tokens[teller],
            )
        dealt: dict[int, tuple[dkg.EncryptedShare, ...]] = {}
        for index, teller in self.teller_ids.items():
            dealt[index] = dkg.deal(ctx, self.dealers[index], self.commitments)
            await self.call(
                "POST",
                "/api/v1/sessions/{sid}/key-ceremony/shares",
                {
                    "shares": [
                        {
                            "share": dkg.encrypted_share_to_json(s),
                            "signature": b64encode(
                                key_for(teller).sign(ceremony_signing_message(ctx, s))
                            ),
                        }
                        for s in dealt[index]
                    ]
                },
                token=self.tokens[teller],
            )
        qual = set(self.teller_ids)
        for j in qual:
            received = {j: dkg.own_share(self.dealers[j])}
            for i in qual - {j}:
                (share,) = [s for s in dealt[i] if s.recipient == j]
                received[i] = dkg.open_share(ctx, self.dealers[j], share, self.commitments[i])
            self.key_shares[j] = dkg.combine_key_share(received, qual=qual)

    # -- rounds ----------------------------------------------------------------------------
    async def open_round(self) -> dict[str, Any]:
        """Open the next round; return its definition."""
        definition: dict[str, Any] = await self.sec("POST", "/api/v1/sessions/{sid}/rounds")
        return definition

    async def cast(self, mid: str, option: str, number: int) -> dict[str, Any]:
        """Encrypt, prove and sign ``mid``'s ballot for ``option`` and cast it."""
        definition = await self.call("GET", f"/api/v1/sessions/{{sid}}/rounds/{number}")
        options = tuple(definition["options"])
        election_key = Point.decode(b64decode(definition["election_key"]))
        ctx = cb.BallotContext(self.session_id, number, election_key, mid, options)
        encrypted = cb.encrypt_ballot(ctx, options.index(option))
        signature = key_for(mid).sign(cb.signing_message(ctx, encrypted))
        receipt: dict[str, Any] = await self.call(
            "POST",
            f"/api/v1/sessions/{{sid}}/rounds/{number}/ballots",
            {"ballot": cb.ballot_to_json(encrypted), "signature": b64encode(signature)},
            token=self.tokens[mid],
        )
        return receipt

    async def close(self, number: int) -> None:
        """Close round ``number``."""
        await self.sec("POST", f"/api/v1/sessions/{{sid}}/rounds/{number}/close")

    async def tally(self, number: int, indices: tuple[int, ...] = (1, 2)) -> None:
        """Submit the decryption shares of tellers ``indices`` for round ``number``."""
        definition = await self.call("GET", f"/api/v1/sessions/{{sid}}/rounds/{number}")
        agg = await self.call("GET", f"/api/v1/sessions/{{sid}}/rounds/{number}/aggregate")
        aggregate = [
            Ciphertext(Point.decode(b64decode(c["alpha"])), Point.decode(b64decode(c["beta"])))
            for c in agg["aggregate"]
        ]
        tctx = ct.TallyContext(self.session_id, number, tuple(definition["options"]))
        qual = set(self.teller_ids)
        for index in indices:
            vk = dkg.verification_key(self.commitments, qual, index)
            share = ct.compute_share(tctx, aggregate, index, self.key_shares[index], vk)
            await self.call(
                "POST",
                f"/api/v1/sessions/{{sid}}/rounds/{number}/shares",
                {"share": ct.share_to_json(share)},
                token=self.tokens[self.teller_ids[index]],
            )

    async def full_round(self, choices: dict[str, str]) -> int:
        """Open a round, cast ``{member: option}``, close and tally; return its number."""
        number: int = (await self.open_round())["round_number"]
        for mid, option in choices.items():
            await self.cast(mid, option, number)
        await self.close(number)
        await self.tally(number)
        return number


MEMBERS = {
    "ARG": "Argentina",
    "BGD": "Bangladesh",
    "CAN": "Canada",
    "DEU": "Germany",
    "ETH": "Ethiopia",
    "FRA": "France",
    "GHA": "Ghana",
    "IND": "India",
    "JPN": "Japan",
    "KEN": "Kenya",
}
CANDIDATES = {"amy": "Amy Pope", "antonio": "António Vitorino", "ugochi": "Ugochi Daniels"}
TELLERS = {"T1": "Teller One", "T2": "Teller Two", "T3": "Teller Three"}


async def demo_session(
    driver: Driver, session_id: str, *, admit: int = 9, rounds: int = 1
) -> Driver:
    """Ten member states (the first ``admit`` enrolled and present), three candidates, the
    key ceremony and ``rounds`` tallied rounds (first: 5 / 3 / 1 blank of 9)."""
    await driver.convene("IOM Council — election of the Director General", session_id)
    await driver.register(MEMBERS)
    for mid in list(MEMBERS)[:admit]:
        await driver.admit(mid)
    await driver.nominate(CANDIDATES)
    await driver.key_ceremony(TELLERS)
    ids = list(MEMBERS)[:admit]
    pattern = ["amy"] * 5 + ["antonio"] * 3 + ["blank"]
    for _ in range(rounds):
        await driver.full_round(dict(zip(ids, pattern, strict=False)))
    return driver


async def session_awaiting_browser(driver: Driver, session_id: str, member: str = "KEN") -> str:
    """Ten member states, nine enrolled from Python; ``member``'s credentials accepted and
    presence recorded but its enrollment left to a browser; key ceremony done, round 1 open.
    Returns ``member``'s one-time enrollment code."""
    await driver.convene("IOM Council — election of the Director General", session_id)
    await driver.register(MEMBERS)
    for mid in MEMBERS:
        if mid != member:
            await driver.admit(mid)
    code = await driver.credentials(member)
    await driver.presence(member)
    await driver.nominate(CANDIDATES)
    await driver.key_ceremony(TELLERS)
    await driver.open_round()
    return code


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8090")
    parser.add_argument("--token", default="dev")
    parser.add_argument("--session", default="demo")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--browser-member",
        metavar="ID",
        help="leave this member's enrollment to a browser, open round 1, print its code",
    )
    args = parser.parse_args()
    async with aiohttp.ClientSession() as http:
        driver = Driver(http, args.url.rstrip("/"), args.token)
        if args.browser_member:
            code = await session_awaiting_browser(driver, args.session, args.browser_member)
            print(json.dumps({"session": driver.session_id, "code": code}))
        else:
            await demo_session(driver, args.session, rounds=args.rounds)
            print(json.dumps({"session": driver.session_id}))


if __name__ == "__main__":
    asyncio.run(_main())

"""``ballot demo``: the server with a ready demo session, for a person to try.

Starts the server (embedded PostgreSQL unless configured), convenes a demo session of twelve
member states with three candidates, admits everyone, runs the key ceremony with three
automated tellers (kept running in this process, so every round you close is tallied), opens
round 1, and prints the URLs, the secretariat token and the delegations' enrollment codes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import sys

import aiohttp
from aiohttp import web

from ballot.api.app import create_app
from ballot.api.auth import SecretariatToken, digest
from ballot.api.collector import IdleCollector
from ballot.api.context import CONTEXT
from ballot.api.transport import ProblemAppRunner
from ballot.client import Client
from ballot.remote import RemoteTeller, automated_tellers, watch_rounds
from ballot.server import open_backend

MEMBERS = [
    ("ARG", "Argentina"),
    ("BRA", "Brazil"),
    ("CAN", "Canada"),
    ("ESP", "Spain"),
    ("FRA", "France"),
    ("GHA", "Ghana"),
    ("IND", "India"),
    ("JPN", "Japan"),
    ("KEN", "Kenya"),
    ("MEX", "Mexico"),
    ("PRT", "Portugal"),
    ("SEN", "Senegal"),
]
CANDIDATES = [("amina", "Amina Diallo"), ("carlos", "Carlos Ferreira"), ("li", "Li Wei")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot demo``."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)


async def prepare(url: str, token: str) -> tuple[str, dict[str, str], list[RemoteTeller]]:
    """Create the demo session; return its id, the enrollment codes and the tellers."""
    http = aiohttp.ClientSession()
    session_id = f"demo-{secrets.token_hex(3)}"
    sec = Client(url, http, token).for_session(session_id)
    await sec.convene("IOM Council — demonstration session", {"min_tally": 3}, session_id)
    codes: dict[str, str] = {}
    for code, name in MEMBERS:
        await sec.register_member(code, name)
        codes[code] = (await sec.accept_credentials(code))["code"]
        await sec.presence(code, True)
    for cid, name in CANDIDATES:
        await sec.nominate(cid, name)
    tellers = await automated_tellers(sec, 3)
    await sec.open_round()
    return session_id, codes, tellers


def demo_token() -> str:
    """The secretariat token of a demo: ``BALLOT_SECRETARIAT_TOKEN`` if set — an operator
    who configured one must not be locked out by a token of the demo's own — else a new one."""
    return os.environ.get("BALLOT_SECRETARIAT_TOKEN") or secrets.token_urlsafe(18)


async def demo(host: str, port: int) -> None:
    """Serve until interrupted (as the secretariat ``BALLOT_SECRETARIAT_TOKEN`` names, or a
    token made for this run and printed)."""
    token = demo_token()
    async with open_backend() as backend:
        app = create_app(
            backend.store, SecretariatToken(digest(token)), signing_key=backend.signing_key
        )
        runner = ProblemAppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        collector = IdleCollector(app[CONTEXT].casting)  # as `ballot serve` does
        collector.start()
        url = f"http://{host}:{port}"
        session_id, codes, tellers = await prepare(url, token)
        # The board link to publish carries the checkpoint key (see docs/web-client.md).
        key = (await tellers[0].client.info())["checkpoint_key"]
        print(f"""
ballot demo — session {session_id} is ready, round 1 is open.

  results board        {url}/?session={session_id}#key={key}
  delegation page      {url}/delegation?session={session_id}
  secretariat console  {url}/secretariat?session={session_id}
  teller page          {url}/teller?session={session_id}
  API (OpenAPI)        {url}/api/v1/openapi.json

  secretariat token    {"(BALLOT_SECRETARIAT_TOKEN)" if os.environ.get("BALLOT_SECRETARIAT_TOKEN") else token}

  enrollment codes (one per delegation, single use):""")
        for member, code in codes.items():
            print(f"    {member}  {code}")
        print("\nThree automated tellers run in this process and tally each round you close.")
        print("Ctrl-C to stop.")
        sys.stdout.flush()
        try:
            await watch_rounds(tellers)
        finally:
            for teller in tellers:
                await teller.client.session.close()
                break
            await collector.stop()
            await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    """Entry point of ``ballot demo``."""
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(demo(args.host, args.port))
    return 0

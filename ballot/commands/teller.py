"""``ballot teller``: a teller's client — key ceremony, then a decryption share per round.

    ballot teller enroll --server URL --session ID --code CODE --key-file teller.sealed
    ballot teller run --key-file teller.sealed
    ballot teller --auto --server URL --session ID --code T1=CODE --code T2=CODE …

The teller's secrets (its signing key, its dealer polynomial, the key shares it received) live
only in ``--key-file``, sealed with a passphrase (``BALLOT_TELLER_PASSPHRASE`` or a prompt);
the server relays encrypted shares it cannot read. Before every decryption the teller re-folds
the public log and checks the round's committed ballot set and aggregate itself; it refuses a
round with fewer than ``min_tally`` ballots. ``--auto`` runs several tellers in this process
(demos and tests only: it holds every teller's secrets in one place).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from pathlib import Path

import aiohttp

from ballot.client import ApiProblem, Client
from ballot.remote import RemoteTeller, watch_rounds
from ballot.simulation import Entropy, TellerAgent
from crypto.signing import WrongPassphrase


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot teller``."""
    parser.add_argument("action", nargs="?", choices=["enroll", "run"], default="run")
    parser.add_argument("--server", help="server URL (enroll, --auto)")
    parser.add_argument("--session", help="session id (enroll, --auto)")
    parser.add_argument(
        "--code", action="append", default=[], help="enrollment code (--auto: ID=CODE)"
    )
    parser.add_argument("--key-file", type=Path, help="the teller's sealed secrets file")
    parser.add_argument("--auto", action="store_true", help="run several tellers in this process")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between log checks")


def _passphrase(confirm: bool) -> str:
    configured = os.environ.get("BALLOT_TELLER_PASSPHRASE")
    if configured:
        return configured
    first = getpass.getpass("teller passphrase: ")
    if confirm and getpass.getpass("again: ") != first:
        raise SystemExit("the passphrases differ")
    return first


async def _enroll(args: argparse.Namespace) -> int:
    if not (args.server and args.session and args.code and args.key_file):
        print("enroll needs --server, --session, --code and --key-file", file=sys.stderr)
        return 2
    passphrase = _passphrase(confirm=True)
    async with aiohttp.ClientSession() as http:
        client = Client(args.server, http).for_session(args.session)
        agent = TellerAgent.create("teller", Entropy())  # its id is the code's holder
        teller = RemoteTeller(agent, client)
        try:
            await teller.enroll(args.code[0])
        except ApiProblem as problem:
            print(f"enrollment refused: {problem}", file=sys.stderr)
            return 1
        agent.teller_id = teller.client.subject or agent.teller_id
        teller.save(args.key_file, passphrase, args.server, args.session)
    print(f"enrolled as teller {agent.teller_id}; secrets sealed in {args.key_file}")
    return 0


async def _run(args: argparse.Namespace) -> int:
    if not args.key_file or not args.key_file.exists():
        print("run needs the --key-file written by `ballot teller enroll`", file=sys.stderr)
        return 2
    passphrase = _passphrase(confirm=False)
    async with aiohttp.ClientSession() as http:
        placeholder = Client(args.server or "http://invalid", http)
        try:
            teller, saved = RemoteTeller.load(args.key_file, passphrase, placeholder)
        except WrongPassphrase:
            print("wrong passphrase", file=sys.stderr)
            return 1
        teller.client = Client(
            args.server or saved["server"],
            http,
            saved["token"],
            saved["session_id"],
            saved["teller_id"],
        )
        teller.follower.client = teller.client
        print(f"teller {teller.agent.teller_id} following session {saved['session_id']}")
        stop = asyncio.Event()

        async def keep_saving() -> None:
            while not stop.is_set():
                teller.save(args.key_file, passphrase, teller.client.base_url, saved["session_id"])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2)

        saver = asyncio.create_task(keep_saving())
        try:
            await watch_rounds([teller], poll=args.poll, stop=stop)
        finally:
            stop.set()
            await saver
    return 0


async def _auto(args: argparse.Namespace) -> int:
    if not (args.server and args.session and args.code):
        print(
            "--auto needs --server, --session and --code ID=CODE for each teller", file=sys.stderr
        )
        return 2
    async with aiohttp.ClientSession() as http:
        client = Client(args.server, http).for_session(args.session)
        tellers = []
        for item in args.code:
            teller_id, _, code = item.partition("=")
            teller = RemoteTeller(TellerAgent.create(teller_id, Entropy()), client)
            try:
                await teller.enroll(code)
            except ApiProblem as problem:
                print(f"{teller_id}: {problem}", file=sys.stderr)
                return 1
            tellers.append(teller)
        print(f"{len(tellers)} tellers following session {args.session}")
        await watch_rounds(tellers, poll=args.poll)
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point of ``ballot teller``."""
    main = _auto(args) if args.auto else _enroll(args) if args.action == "enroll" else _run(args)
    try:
        return asyncio.run(main)
    except KeyboardInterrupt:
        return 0

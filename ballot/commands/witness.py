"""``ballot witness``: a witness of a session's record, run by someone other than the server.

    ballot witness --key-file witness.key --public-key      # make the key, print its public half
    ballot witness --server URL --session ID --id W1 --key-file witness.key [--state W1.json]

The secretariat admits the witness with that public key (``POST …/witnesses``). The witness
then follows the session's checkpoints, checks each is signed by the session's key as first
seen and extends the last one it cosigned (RFC 9162 consistency), and cosigns it. On any
inconsistency it prints an ALARM naming what it saw and exits with status 3, cosigning nothing
more. ``--state`` (default ``<id>.witness.json``) keeps the last cosigned checkpoint between
runs: give it to ``ballot audit --checkpoint @FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import aiohttp

from ballot.checkpoint_key import CheckpointKeyError, create_key_file, read_key_file
from ballot.client import ApiProblem, Client
from ballot.domain.values import b64encode
from ballot.witness import Witness, WitnessAlarm, WitnessState

EXIT_ALARM = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot witness``."""
    parser.add_argument("--key-file", type=Path, required=True, help="the witness's key (0600)")
    parser.add_argument("--public-key", action="store_true", help="print the public key, exit")
    parser.add_argument("--server", help="server URL")
    parser.add_argument("--session", help="session id")
    parser.add_argument("--id", dest="witness_id", help="the id the secretariat admitted")
    parser.add_argument("--state", type=Path, help="state file (default <id>.witness.json)")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between checks")
    parser.add_argument("--once", action="store_true", help="check and cosign once, then exit")


async def _follow(args: argparse.Namespace, witness: Witness, state_file: Path) -> int:
    while True:
        try:
            cosigned = await witness.step()
        except WitnessAlarm as alarm:
            print(f"ALARM: {alarm}", file=sys.stderr)
            return EXIT_ALARM
        except (ApiProblem, aiohttp.ClientError) as exc:
            print(f"witness: {exc}; retrying", file=sys.stderr)
            cosigned = []
        if cosigned:
            witness.state.save(state_file)
            print(f"cosigned checkpoint(s) at {', '.join(map(str, cosigned))}", flush=True)
        if args.once:
            return 0
        await asyncio.sleep(args.poll)


async def _main(args: argparse.Namespace) -> int:
    if not (args.server and args.session and args.witness_id):
        print("give --server, --session and --id (or --public-key)", file=sys.stderr)
        return 2
    key = read_key_file(args.key_file)
    state_file = args.state or Path(f"{args.witness_id}.witness.json")
    try:
        state = WitnessState.load(state_file, args.session)
    except WitnessAlarm as alarm:
        print(f"ALARM: {alarm}", file=sys.stderr)
        return EXIT_ALARM
    async with aiohttp.ClientSession() as http:
        client = Client(args.server, http).for_session(args.session)
        witness = Witness(client, args.witness_id, key, state)
        return await _follow(args, witness, state_file)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``ballot witness``."""
    try:
        if args.public_key:
            create_key_file(args.key_file)
            print(b64encode(read_key_file(args.key_file).public_key().encode()))
            return 0
        return asyncio.run(_main(args))
    except CheckpointKeyError as exc:
        print(f"witness: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0

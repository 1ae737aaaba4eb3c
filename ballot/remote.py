"""Participants over HTTP: tellers and delegations acting through the real API.

The participants' logic (what to send) is :mod:`ballot.simulation`; this module is only the
transport: a :class:`LogFollower` feeds a :class:`~ballot.simulation.PublicView` from the
session's public log (``GET …/events?after=n``), and the commands the agents produce are
posted to the matching endpoints. ``ballot teller`` and ``ballot simulate`` run on this.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ballot.client import ApiProblem, Client
from ballot.domain import (
    AnswerKeyComplaint,
    Command,
    DealKeyShares,
    FileKeyComplaint,
    SubmitKeyCommitment,
)
from ballot.domain.values import b64decode, b64encode
from ballot.simulation import (
    DelegationAgent,
    Entropy,
    PublicView,
    RoundDefinition,
    SignedBallot,
    TellerAgent,
    TellerRefusal,
)
from ballot.witness import Witness, WitnessAlarm, WitnessState
from crypto.signing import open_with_passphrase, seal_with_passphrase
from events.exchange import record_from_line

log = logging.getLogger(__name__)


@dataclass
class LogFollower:
    """Keeps a :class:`PublicView` in step with a session's log over HTTP."""

    client: Client
    view: PublicView = field(default_factory=lambda: PublicView(verify_ballots=False))

    async def sync(self) -> int:
        """Fold every event the view has not seen; return the new position."""
        async for line in self.client.event_lines(self.view.position):
            record = record_from_line(line, self.view.position + 1)
            self.view.observe_record(record)
        self.view.sum_aggregates()
        return self.view.position


def _wire(command: Command) -> tuple[str, Any]:
    """The endpoint and body for a teller's key-ceremony command."""
    if isinstance(command, SubmitKeyCommitment):
        return "commitment", (command.commitment, b64encode(command.signature))
    if isinstance(command, DealKeyShares):
        return "shares", [(s.share, b64encode(s.signature)) for s in command.shares]
    if isinstance(command, FileKeyComplaint):
        return "complaint", (command.complaint, b64encode(command.signature))
    if isinstance(command, AnswerKeyComplaint):
        return "answer", (command.answer, b64encode(command.signature))
    raise TypeError(f"not a key-ceremony command: {type(command).__name__}")


@dataclass
class RemoteTeller:
    """A teller agent whose view and messages travel over HTTP."""

    agent: TellerAgent
    client: Client
    follower: LogFollower = field(init=False)

    def __post_init__(self) -> None:
        self.follower = LogFollower(self.client)

    @property
    def view(self) -> PublicView:
        return self.follower.view

    async def enroll(self, code: str) -> None:
        """Redeem the teller's code; the client then acts with the teller's token."""
        enrolled = await self.client.enroll(code, b64encode(self.agent.public_key))
        self.client = self.client.as_token(enrolled["token"], enrolled["subject"])
        self.follower.client = self.client

    async def ceremony_step(self) -> int:
        """Send what the ceremony needs from this teller now; return how many messages."""
        await self.follower.sync()
        commands = self.agent.ceremony_step(self.view)
        for command in commands:
            kind, body = _wire(command)
            if kind == "commitment":
                await self.client.post_commitment(*body)
            elif kind == "shares":
                await self.client.post_shares(body)
            elif kind == "complaint":
                await self.client.post_complaint(*body)
            else:
                await self.client.post_answer(*body)
        return len(commands)

    async def decrypt(self, round_number: int) -> bool:
        """Re-check a closed round against the log and post this teller's share.

        Returns ``False`` when the teller refuses (e.g. fewer than ``min_tally`` ballots, or
        an aggregate that is not the sum of the ballots) — it then sends nothing.
        """
        await self.follower.sync()
        try:
            command = self.agent.decrypt(self.view, round_number)
        except TellerRefusal:
            return False
        try:
            await self.client.post_decryption_share(round_number, command.share)
        except ApiProblem as problem:
            if problem.code in ("round_not_closed", "share_already_submitted"):
                return True  # tallied already by the other tellers: nothing left to do
            raise
        return True

    # -- the teller's local file (``ballot teller``) ---------------------------------------
    def save(self, path: Path, passphrase: str, server: str, session_id: str) -> None:
        """Keep this teller's secrets in a passphrase-sealed file (written atomically)."""
        state = {
            "server": server,
            "session_id": session_id,
            "token": self.client.token,
            "agent": self.agent.export_secrets(),
        }
        sealed = seal_with_passphrase(json.dumps(state).encode(), passphrase)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(sealed)
        tmp.chmod(0o600)
        tmp.replace(path)

    @classmethod
    def load(
        cls, path: Path, passphrase: str, client: Client
    ) -> tuple[RemoteTeller, dict[str, Any]]:
        """Re-open a teller's sealed file (raises ``WrongPassphrase`` on a wrong passphrase)."""
        state = json.loads(open_with_passphrase(path.read_bytes(), passphrase))
        agent = TellerAgent.restore(state["agent"])
        state["teller_id"] = agent.teller_id
        bound = client.for_session(state["session_id"]).as_token(state["token"], agent.teller_id)
        return cls(agent, bound), state


async def run_ceremony(tellers: list[RemoteTeller], *, poll: float = 0.05) -> None:
    """Drive in-process tellers through the key ceremony until nobody has anything to send.

    Callers bound the wait with ``asyncio.timeout`` if they need to.
    """
    quiet = 0
    while quiet < 2:
        sent = 0
        for teller in tellers:
            sent += await teller.ceremony_step()
        quiet = quiet + 1 if sent == 0 else 0
        if sent == 0:
            await asyncio.sleep(poll)


@dataclass
class RemoteDelegation:
    """A delegation agent casting through the API."""

    agent: DelegationAgent
    client: Client

    async def enroll(self, code: str) -> None:
        """Redeem the delegation's code with its public key."""
        enrolled = await self.client.enroll(code, b64encode(self.agent.public_key))
        self.client = self.client.as_token(enrolled["token"], enrolled["subject"])

    async def ballot_for(self, round_number: int, choice: str) -> SignedBallot:
        """Fetch the round's definition, then encrypt, prove and sign ``choice``."""
        definition = await round_definition(self.client, round_number)
        return self.agent.cast(definition, choice)

    async def cast(self, ballot: SignedBallot) -> dict[str, Any]:
        """Send a signed ballot; return the receipt."""
        body = ballot.to_json()
        result: dict[str, Any] = await self.client.cast(
            ballot.round_number, body["ballot"], body["signature"]
        )
        return result


async def round_definition(client: Client, round_number: int) -> RoundDefinition:
    """A round's definition as published by the server."""
    data = await client.round(round_number)
    return RoundDefinition(
        data["session_id"],
        data["round_number"],
        b64decode(data["election_key"]),
        tuple(data["options"]),
        data["kind"],
    )


async def watch_rounds(
    tellers: list[RemoteTeller], *, poll: float = 0.5, stop: asyncio.Event | None = None
) -> None:
    """Keep tellers working: finish the key ceremony, then decrypt every round that closes.

    Each teller re-checks a closed round against its own fold of the log before sending a
    share (see :meth:`RemoteTeller.decrypt`), and never decrypts a round twice. Each is a
    witness of the record too (:mod:`ballot.witness`, with its enrolled key): it cosigns every
    checkpoint consistent with the ones it saw — and once one is not, it says so and decrypts
    nothing more.
    """
    done: set[tuple[str, int]] = set()
    witnesses: dict[str, Witness] = {}
    stop = stop or asyncio.Event()
    while not stop.is_set():
        for teller in tellers:
            if not teller.view.state.ceremony.published:
                await teller.ceremony_step()
                continue
            await teller.follower.sync()
            witness = witnesses.setdefault(
                teller.agent.teller_id,
                Witness(
                    teller.client,
                    teller.agent.teller_id,
                    teller.agent.signing_key,
                    WitnessState(teller.client.session_id or ""),
                ),
            )
            if not await _witness(witness):
                continue
            current = teller.view.state.current_round
            if current is not None and current.status == "closed":
                key = (teller.agent.teller_id, current.number)
                if key not in done:
                    done.add(key)
                    await teller.decrypt(current.number)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll)


async def _witness(witness: Witness) -> bool:
    """Cosign what is new; whether the record still looks consistent to this teller."""
    if witness.alarm is not None:
        return False
    try:
        await witness.step()
    except WitnessAlarm as alarm:
        log.error("teller %s: ALARM: %s; it decrypts nothing more", witness.witness_id, alarm)
        return False
    except ApiProblem as problem:  # e.g. a cosignature another process posted first
        log.warning("teller %s could not cosign: %s", witness.witness_id, problem)
    return True


async def automated_tellers(
    secretariat: Client, count: int, entropy: Entropy | None = None
) -> list[RemoteTeller]:
    """Appoint ``count`` tellers, enroll each as an in-process agent, run the key ceremony and
    publish the election key (demos, rehearsals, benchmarks and tests: it holds every
    teller's secrets in one process, which a live session never does)."""
    entropy = entropy or Entropy()
    appointed = await secretariat.appoint_tellers(
        [(f"T{i}", f"Teller {i}") for i in range(1, count + 1)]
    )
    anonymous = secretariat.as_token(None)
    tellers: list[RemoteTeller] = []
    for item in appointed["codes"]:
        teller = RemoteTeller(TellerAgent.create(item["subject"], entropy), anonymous)
        await teller.enroll(item["code"])
        tellers.append(teller)
    async with asyncio.timeout(120):
        await run_ceremony(tellers)
    await secretariat.publish_election_key()
    return tellers

"""Rehearsals: a whole session from a TOML scenario, played through the real HTTP API.

A secretariat rehearses before a live session: ``ballot simulate --scenario FILE.toml``
registers the members, accepts credentials, enrolls every delegation with its own key pair,
runs the key ceremony with automated tellers, and plays each step with real encrypted
ballots. Every call goes through ``/api/v1``, so a rehearsal also exercises the server.

Scenario (TOML)::

    title = "Special session — election of the Director General"
    members = 175                 # M001…M175, or a list of codes
    lost_vote = 4                 # the first N members lose their vote for arrears
    absent = 6                    # the next N members are not present
    [settings]                    # SPEC §3 settings, plus tellers / threshold
    [[candidates]]
    id = "a"
    name = "Candidate A"
    [[steps]]
    do = "round"                  # or "withdraw" (candidate), "acclaim", "lots", "confirm"
    votes = { a = 98, b = 67 }
    blank = 0
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ballot.client import ApiProblem, Client
from ballot.domain import SessionSettings
from ballot.remote import RemoteDelegation, RemoteTeller, automated_tellers
from ballot.simulation import DelegationAgent, Entropy


class ScenarioError(ValueError):
    """The scenario file is unusable (exit code 2)."""


class StepRefused(Exception):
    """A step the rules (or the tellers) refused: the run stops (exit code 1)."""

    def __init__(self, step: int, code: str, detail: str) -> None:
        super().__init__(f"step {step}: {code}: {detail}")
        self.step = step
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Step:
    """One scenario step."""

    do: str
    votes: Mapping[str, int] = field(default_factory=dict)
    blank: int = 0
    candidate: str | None = None
    yes: int = 0
    no: int = 0


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """A parsed scenario."""

    title: str
    members: tuple[str, ...]
    lost_vote: int
    absent: int
    settings: SessionSettings
    candidates: tuple[tuple[str, str], ...]
    steps: tuple[Step, ...]


_STEP_KINDS = {"round", "withdraw", "acclaim", "lots", "confirm"}
_TOP_KEYS = {"title", "members", "lost_vote", "absent", "settings", "candidates", "steps"}


def _count(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ScenarioError(f"{what} must be a non-negative integer")
    return value


def parse_scenario(data: Mapping[str, Any]) -> Rehearsal:
    """Validate a scenario (already parsed from TOML)."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ScenarioError(f"unknown keys: {', '.join(sorted(unknown))}")
    members_spec = data.get("members", 15)
    if isinstance(members_spec, int) and not isinstance(members_spec, bool):
        members = tuple(f"M{i:03d}" for i in range(1, _count(members_spec, "members") + 1))
    elif isinstance(members_spec, list) and all(isinstance(m, str) for m in members_spec):
        members = tuple(members_spec)
        if len(set(members)) != len(members):
            raise ScenarioError("member codes must be unique")
    else:
        raise ScenarioError("members must be a number or a list of codes")
    lost_vote = _count(data.get("lost_vote", 0), "lost_vote")
    absent = _count(data.get("absent", 0), "absent")
    if lost_vote + absent > len(members):
        raise ScenarioError("lost_vote + absent exceeds the number of members")
    try:
        settings = SessionSettings.model_validate(data.get("settings", {}))
    except ValidationError as exc:
        raise ScenarioError(f"settings: {exc.errors()[0]['msg']}") from None
    candidates: list[tuple[str, str]] = []
    for entry in data.get("candidates", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ScenarioError("each candidate needs an id (and a name)")
        candidates.append((entry["id"], str(entry.get("name", entry["id"]))))
    steps: list[Step] = []
    for i, entry in enumerate(data.get("steps", []), start=1):
        if not isinstance(entry, dict) or entry.get("do") not in _STEP_KINDS:
            raise ScenarioError(f"step {i}: 'do' must be one of {', '.join(sorted(_STEP_KINDS))}")
        votes = entry.get("votes", {})
        if not isinstance(votes, dict):
            raise ScenarioError(f"step {i}: votes must be a table of counts")
        steps.append(
            Step(
                do=entry["do"],
                votes={str(k): _count(v, f"step {i} votes.{k}") for k, v in votes.items()},
                blank=_count(entry.get("blank", 0), f"step {i} blank"),
                candidate=entry.get("candidate"),
                yes=_count(entry.get("yes", 0), f"step {i} yes"),
                no=_count(entry.get("no", 0), f"step {i} no"),
            )
        )
    return Rehearsal(
        title=str(data.get("title", "Rehearsal")),
        members=members,
        lost_vote=lost_vote,
        absent=absent,
        settings=settings,
        candidates=tuple(candidates),
        steps=tuple(steps),
    )


def load_scenario(path: Path) -> Rehearsal:
    """Read and validate a scenario file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}") from None
    return parse_scenario(data)


@dataclass
class Rehearser:
    """Plays a :class:`Rehearsal` against a server."""

    server: Client
    rehearsal: Rehearsal
    session_id: str
    entropy: Entropy = field(default_factory=Entropy)
    sec: Client = field(init=False)
    delegations: dict[str, RemoteDelegation] = field(default_factory=dict)
    tellers: list[RemoteTeller] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sec = self.server.for_session(self.session_id)

    async def setup(self) -> None:
        """Convene; register, credential, enroll and admit members; nominate; key ceremony."""
        r = self.rehearsal
        await self.sec.convene(r.title, r.settings.model_dump(mode="json"), self.session_id)
        for member in r.members:
            await self.sec.register_member(member, member)
        codes = {m: (await self.sec.accept_credentials(m))["code"] for m in r.members}
        anonymous = self.server.as_token(None).for_session(self.session_id)

        async def enroll(member: str) -> None:
            delegation = RemoteDelegation(DelegationAgent.create(member, self.entropy), anonymous)
            await delegation.enroll(codes[member])
            self.delegations[member] = delegation

        for chunk in _chunks(list(r.members), 50):
            await asyncio.gather(*(enroll(m) for m in chunk))
        lost = r.members[: r.lost_vote]
        absent = set(r.members[r.lost_vote : r.lost_vote + r.absent])
        for member in r.members:
            if member not in absent:
                await self.sec.presence(member, True)
        for member in lost:
            await self.sec.voting_rights(member, arrears=True)
        for candidate_id, name in r.candidates:
            await self.sec.nominate(candidate_id, name)
        n = r.settings.tellers
        self.tellers.extend(await automated_tellers(self.sec, n, self.entropy))

    async def ballot_round(self, counts: Mapping[str, int], expect_kind: str | None = None) -> None:
        """Open the round the rules call for, cast ``counts``, close, tally."""
        opened = await self.sec.open_round()
        number = opened["round_number"]
        if expect_kind is not None and opened["kind"] != expect_kind:
            raise StepRefused(
                0, f"not_a_{expect_kind}", f"the next ballot is a {opened['kind']} ballot"
            )
        for option in counts:
            if option not in opened["options"]:
                raise StepRefused(
                    0, "unknown_option", f"{option!r} is not an option of round {number}"
                )
        # Voters: the round's roll first (in order), then anyone else — whose ballots the
        # server refuses (not_eligible), which is what a scenario with too many ballots means.
        roll = (await self.sec.turnout(number))["turnout"]["not_yet"]
        others = [m for m in self.rehearsal.members if m not in set(roll)]
        voters = iter([*roll, *others])
        choices = [(next(voters), option) for option, n in counts.items() for _ in range(n)]
        ballots = [await self.delegations[m].ballot_for(number, option) for m, option in choices]
        for chunk in _chunks(list(zip(choices, ballots, strict=True)), 100):
            # Let every cast of the chunk finish before reporting a refusal: no request is
            # left running behind the run's back.
            outcomes = await asyncio.gather(
                *(self.delegations[m].cast(b) for (m, _), b in chunk), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        await self.sec.close_round(number)
        info = await self.sec.info()
        if info["session"]["current_round_status"] == "closed":
            decrypted = [await teller.decrypt(number) for teller in self.tellers]
            info = await self.sec.info()
            if info["session"]["current_round_status"] == "closed":
                refusing = sum(1 for d in decrypted if not d)
                await self.sec.void_round(number, f"{refusing} teller(s) refused to decrypt")

    async def play(self) -> None:
        """Every step, in order; raises :class:`StepRefused` at the first refused one."""
        for index, step in enumerate(self.rehearsal.steps, start=1):
            try:
                await self._step(step)
            except ApiProblem as problem:
                raise StepRefused(
                    index, problem.code, str(problem.document.get("detail", ""))
                ) from None
            except StepRefused as refusal:
                raise StepRefused(index, refusal.code, refusal.detail) from None
        # A rehearsal stops where its script stops: sign the log as it stands, so that an
        # auditor can verify every event of it.
        await self.sec.sign_checkpoint()

    async def _step(self, step: Step) -> None:
        if step.do == "round":
            await self.ballot_round({**step.votes, **({"blank": step.blank} if step.blank else {})})
        elif step.do == "confirm":
            counts = {
                "yes": step.yes,
                "no": step.no,
                **({"blank": step.blank} if step.blank else {}),
            }
            await self.ballot_round(counts, expect_kind="confirmation")
        elif step.do == "withdraw":
            if not step.candidate:
                raise StepRefused(0, "candidate_required", "withdraw needs a candidate")
            await self.sec.withdraw(step.candidate, "withdrew")
        elif step.do == "acclaim":
            view = (await self.sec.info())["session"]
            standing = [c["candidate_id"] for c in view["candidates"] if c["status"] == "standing"]
            if len(standing) != 1:
                raise StepRefused(
                    0, "not_sole_candidate", f"{len(standing)} candidates are standing"
                )
            await self.sec.acclaim(standing[0])
        elif step.do == "lots":
            # Lots are drawn by the rules at the tally, from the seed committed when the round
            # opened; this step checks that the last round's tie was settled that way.
            board = await self.sec.board()
            last = board["rounds"][-1] if board["rounds"] else None
            if last is None or last["eliminated_by"] != "lots":
                raise StepRefused(
                    0, "no_lots_drawn", "the last round did not end in a drawing of lots"
                )

    async def report(self) -> dict[str, Any]:
        """The JSON report of the run so far (rounds as published on the board)."""
        board = await self.sec.board()
        view = (await self.sec.info())["session"]
        rounds = [
            {
                "round": r["round_number"],
                "kind": r["kind"],
                "options": r["options"],
                "eligible": r["eligible"],
                "present": r["present"],
                "deposited": r["deposited"],
                "blank": r["blank"],
                "valid": r["valid"],
                "required": r["required"],
                "votes": r["votes"],
                "decision": r["decision"] if r["status"] != "voided" else "voided",
                "eliminated": r["eliminated"],
            }
            for r in board["rounds"]
        ]
        outcome = board["outcome"]
        return {
            "session_id": self.session_id,
            "rounds": rounds,
            "withdrawn": [
                c["candidate_id"] for c in view["candidates"] if c["status"] == "withdrawn"
            ],
            "elected": outcome["candidate_id"] if outcome else None,
            "elected_by": _elected_by(outcome),
        }


def _elected_by(outcome: Mapping[str, Any] | None) -> str | None:
    if outcome is None:
        return None
    by = str(outcome["by"])
    return "ballot" if by in ("ballot", "election") else by


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]

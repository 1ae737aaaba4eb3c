"""The in-process driver: a secretariat running a :class:`Scenario` through ``SessionService``.

The driver plays the secretariat (convening, the roll, credentials, presence, rounds,
withdrawals, acclamation) and, as the server would, signs a checkpoint at every round close
and at the end. Delegations and tellers are the transport-independent participants of
:mod:`ballot.simulation.delegation` and :mod:`ballot.simulation.teller`; here their commands
go straight to a :class:`~ballot.service.SessionService` on any :class:`~events.EventStore`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import BinaryIO

from ballot.domain import (
    AcceptCredentials,
    AdjournSession,
    AppointTellers,
    CastBallot,
    ChangeVotingRights,
    CloseRound,
    Command,
    ConveneSession,
    DeclareElectedByAcclamation,
    Event,
    NominateCandidate,
    OpenRound,
    PublishElectionKey,
    RecordPresence,
    RegisterMemberState,
    SessionSettings,
    SessionState,
    TellerAppointment,
    VoidRound,
    WithdrawCandidate,
    final_outcome,
    lots_commitment,
    next_round_plan,
    verify_cast,
)
from ballot.domain.read_models import Outcome as FinalOutcome
from ballot.ledger import LogTree
from ballot.service import Outcome, SessionService
from ballot.signer import sign_checkpoint
from ballot.simulation.delegation import (
    DelegationAgent,
    RoundDefinition,
    SignedBallot,
    SimulationError,
    make_ballot,
)
from ballot.simulation.entropy import Clock, Entropy, SimulatedClock, code_digest, real_clock
from ballot.simulation.scenario import RoundScript, Scenario
from ballot.simulation.teller import PublicView, TellerAgent, TellerRefusal
from crypto.signing import SigningKey
from events import EventStore
from events.exchange import export_jsonl


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What a run left behind: the final state, the checkpoint public key, every receipt
    (tracking code by round and delegation) and the outcome."""

    session_id: str
    state: SessionState
    checkpoint_public_key: bytes | None
    receipts: Mapping[tuple[int, str], str]
    outcome: FinalOutcome | None
    refusals: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


class Simulation:
    """A session driven in process. Use :meth:`run` for a whole :class:`Scenario`, or the
    step methods for a hand-made one.

    ``entropy`` seeded → reproducible payloads and event ids (with a simulated clock by
    default); each ballot is verified before it is cast (:func:`verify_cast`), as the API
    does; ``ballot_pool`` encrypts a round's ballots in a process pool; ``teller_verify_ballots``
    makes the tellers re-verify every ballot's proofs before decrypting.
    """

    def __init__(
        self,
        store: EventStore,
        session_id: str,
        *,
        settings: SessionSettings | None = None,
        entropy: Entropy | None = None,
        clock: Clock | None = None,
        sign_checkpoints: bool = True,
        teller_verify_ballots: bool = True,
        ballot_pool: Executor | None = None,
    ) -> None:
        self.settings = settings if settings is not None else SessionSettings()
        self.entropy = entropy if entropy is not None else Entropy()
        self.clock = (
            clock
            if clock is not None
            else (SimulatedClock() if self.entropy.seeded else real_clock)
        )
        self.service = SessionService(store, session_id)
        self.view = PublicView(verify_ballots=teller_verify_ballots)
        self.service.listeners.append(lambda _record, event, state: self.view.observe(event, state))
        self.checkpoint_key: SigningKey | None = (
            self.entropy.signing_key("checkpoint-key") if sign_checkpoints else None
        )
        self.tree = LogTree()
        self.ballot_pool = ballot_pool
        self.delegations: dict[str, DelegationAgent] = {}
        self.tellers: dict[str, TellerAgent] = {}
        self.receipts: dict[tuple[int, str], str] = {}
        self.refusals: dict[int, tuple[str, ...]] = {}
        self._seeds: dict[int, bytes] = {}
        self._commands = 0

    @property
    def session_id(self) -> str:
        """The session's id (its log id)."""
        return self.service.session_id

    @property
    def state(self) -> SessionState:
        """The session state as of the last command."""
        return self.service.state

    async def execute(self, command: Command, actor: str = "secretariat") -> Outcome:
        """Execute one command (a ballot verified first, as the API does)."""
        self._commands += 1
        key = f"simulation/{self._commands}" if self.entropy.seeded else None
        if isinstance(command, CastBallot):
            verified = verify_cast(await self.service.catch_up(), command)
            return await self.service.execute(verified, actor=actor, idempotency_key=key)
        return await self.service.execute(command, actor=actor, idempotency_key=key)

    # -- the roll ----------------------------------------------------------------------------

    async def convene(self, title: str = "Council session (simulated)") -> None:
        """Convene the session with its settings and checkpoint key."""
        key = None if self.checkpoint_key is None else self.checkpoint_key.public_key().encode()
        await self.execute(
            ConveneSession(
                session_id=self.session_id,
                title=title,
                convened_at=self.clock(),
                settings=self.settings,
                checkpoint_key=key,
            )
        )

    async def register(self, ids: Iterable[str], *, observer: bool = False) -> None:
        """Put member states (or observers) on the list."""
        for member_id in ids:
            await self.execute(
                RegisterMemberState(
                    member_id=member_id, name=f"State {member_id}", observer=observer
                )
            )

    async def admit(self, member_id: str, *, present: bool = True) -> DelegationAgent:
        """Accept credentials, hand the code to the delegation, which enrolls; mark presence."""
        code = self.entropy.code(f"enrollment-code/{member_id}")
        await self.execute(
            AcceptCredentials(
                member_id=member_id,
                enrollment_code_digest=code_digest(code),
                accepted_at=self.clock(),
            )
        )
        delegation = self.delegations.get(member_id) or DelegationAgent.create(
            member_id, self.entropy
        )
        self.delegations[member_id] = delegation
        await self.execute(delegation.enroll(code, self.clock()), actor=member_id)
        if present:
            await self.execute(RecordPresence(member_id=member_id, present=True))
        return delegation

    async def voting_rights(
        self,
        member_id: str,
        *,
        arrears: bool = False,
        restored: bool = False,
        suspended: bool = False,
    ) -> None:
        """Record a member's voting rights (lost for arrears, restored, suspended)."""
        await self.execute(
            ChangeVotingRights(
                member_id=member_id, arrears=arrears, restored=restored, suspended=suspended
            )
        )

    async def nominate(self, *candidate_ids: str) -> None:
        """Nominate candidates."""
        for candidate_id in candidate_ids:
            await self.execute(
                NominateCandidate(candidate_id=candidate_id, name=f"Candidate {candidate_id}")
            )

    # -- the key ceremony --------------------------------------------------------------------

    async def key_ceremony(
        self, teller_ids: Sequence[str], *, complaints: Mapping[str, frozenset[int]] | None = None
    ) -> None:
        """Appoint and enroll the tellers, run the ceremony until quiet, publish the key."""
        codes = {t: self.entropy.code(f"enrollment-code/{t}") for t in teller_ids}
        await self.execute(
            AppointTellers(
                tellers=tuple(
                    TellerAppointment(
                        teller_id=t,
                        name=f"Teller {t}",
                        enrollment_code_digest=code_digest(codes[t]),
                    )
                    for t in teller_ids
                ),
                appointed_at=self.clock(),
            )
        )
        for teller_id in teller_ids:
            teller = TellerAgent.create(
                teller_id,
                self.entropy,
                complain_about=(complaints or {}).get(teller_id, frozenset()),
            )
            self.tellers[teller_id] = teller
            await self.execute(teller.enroll(codes[teller_id], self.clock()), actor=teller_id)
        progress = True
        while progress:
            progress = False
            for teller_id, teller in self.tellers.items():
                for command in teller.ceremony_step(self.view):
                    await self.execute(command, actor=teller_id)
                    progress = True
        await self.execute(PublishElectionKey())

    # -- rounds ------------------------------------------------------------------------------

    async def open_round(self) -> RoundDefinition:
        """Open the next round (committing to a lots seed if it may need one)."""
        state = await self.service.catch_up()
        plan = next_round_plan(state)
        commitment = None
        if plan.needs_lots_commitment:
            seed = self.entropy.token(f"lots-seed/{plan.round_number}")
            self._seeds[plan.round_number] = seed
            commitment = lots_commitment(self.session_id, plan.round_number, seed)
        await self.execute(
            OpenRound(
                round_number=plan.round_number, opened_at=self.clock(), lots_commitment=commitment
            )
        )
        return RoundDefinition.from_state(self.state)

    def choices(self, votes: Mapping[str, int]) -> dict[str, str]:
        """Voters for ``votes`` (option → count): the first ids of the open round's roll."""
        current = self.state.current_round
        if current is None or current.status != "open":
            raise SimulationError("round_not_open", "no round is open")
        roll = current.roll_order
        wanted = sum(votes.values())
        if wanted > len(roll):
            raise SimulationError(
                "too_many_votes",
                f"{wanted} ballots for a roll of {len(roll)} in round {current.number}",
            )
        out: dict[str, str] = {}
        voters = iter(roll)
        for option, count in votes.items():
            if option not in current.options:
                raise SimulationError("unknown_option", f"{option!r} is not an option now")
            for _ in range(count):
                out[next(voters)] = option
        return out

    async def cast(self, choices: Mapping[str, str]) -> list[SignedBallot]:
        """Each delegation encrypts, signs and casts its choice in the open round."""
        definition = RoundDefinition.from_state(await self.service.catch_up())
        agents = [(self.delegations[d], option) for d, option in choices.items()]
        if self.ballot_pool is not None:
            ballots = list(
                await asyncio.gather(
                    *(
                        asyncio.wrap_future(
                            self.ballot_pool.submit(make_ballot, agent.job(definition, option))
                        )
                        for agent, option in agents
                    )
                )
            )
        else:
            ballots = [agent.cast(definition, option) for agent, option in agents]
        for ballot in ballots:
            await self.execute(ballot.command(), actor=ballot.delegation_id)
            self.receipts[(ballot.round_number, ballot.delegation_id)] = ballot.tracking_code
        return ballots

    async def close_round(self) -> tuple[Event, ...]:
        """Close the open round (revealing the lots seed if one was committed) and sign a
        checkpoint of the log, which commits to every ballot of the round."""
        current = self.state.current_round
        if current is None:
            raise SimulationError("round_not_open", "no round is open")
        seed = self._seeds.get(current.number) if current.lots_commitment is not None else None
        outcome = await self.execute(
            CloseRound(round_number=current.number, closed_at=self.clock(), lots_seed=seed)
        )
        await self.checkpoint()
        return outcome.events

    async def tally(self, indices: Sequence[int] | None = None) -> list[Event]:
        """Ask tellers (``indices``, default all in order) for decryption shares until the
        round is tallied; a round no quorum of tellers agrees to decrypt is voided."""
        current = self.state.current_round
        if current is None or current.status != "closed":
            return []
        number = current.number
        by_index = {t.index: self.tellers[t.teller_id] for t in self.state.tellers.values()}
        refused: list[str] = []
        events: list[Event] = []
        for index in indices if indices is not None else sorted(by_index):
            round_now = self.state.current_round
            if round_now is None or round_now.number != number or round_now.status != "closed":
                break
            teller = by_index[index]
            try:
                command = teller.decrypt(self.view, number)
            except TellerRefusal as refusal:
                refused.append(f"{teller.teller_id}: {refusal.code}")
                continue
            events.extend((await self.execute(command, actor=teller.teller_id)).events)
        if refused:
            self.refusals[number] = tuple(refused)
        round_now = self.state.current_round
        if round_now is not None and round_now.number == number and round_now.status == "closed":
            note = "; ".join(refused) or "not enough tellers decrypted"
            events.extend(await self.void_round(f"tellers refused to decrypt: {note}"[:500]))
        return events

    async def void_round(self, note: str = "declared void by the secretariat") -> list[Event]:
        """Declare the current round void."""
        current = self.state.current_round
        if current is None:
            raise SimulationError("round_not_open", "there is no round to void")
        return list((await self.execute(VoidRound(round_number=current.number, note=note))).events)

    async def round(self, script: RoundScript) -> None:
        """Play one scripted round: withdrawals, opening, ballots, close, void or tally."""
        for candidate_id in script.withdraw:
            await self.execute(WithdrawCandidate(candidate_id=candidate_id, reason="withdrew"))
        await self.open_round()
        await self.cast(self.choices(script.votes))
        await self.close_round()
        current = self.state.current_round
        if current is not None and current.status == "closed":
            if script.void:
                await self.void_round()
            else:
                await self.tally(script.tellers)

    # -- the end -----------------------------------------------------------------------------

    async def acclaim(self) -> None:
        """Record the election by acclamation of the sole candidate standing."""
        standing = self.state.standing()
        if len(standing) != 1:
            raise SimulationError("not_sole_candidate", f"{len(standing)} candidates standing")
        await self.execute(DeclareElectedByAcclamation(candidate_id=standing[0]))

    async def adjourn(self, reason: str = "") -> None:
        """Adjourn the session."""
        await self.execute(AdjournSession(adjourned_at=self.clock(), reason=reason))

    async def checkpoint(self) -> Outcome | None:
        """Sign a checkpoint of the log at its head (``None`` without a checkpoint key)."""
        if self.checkpoint_key is None:
            return None
        return await sign_checkpoint(self.service, self.checkpoint_key, tree=self.tree)

    async def run(self, scenario: Scenario) -> SimulationResult:
        """Play a whole scenario; a final checkpoint covers the end of the session."""
        await self.convene(scenario.title)
        members = scenario.member_ids()
        await self.register(members)
        await self.register(scenario.observer_ids(), observer=True)
        absent = set(scenario.absent_ids())
        for member_id in members:
            await self.admit(member_id, present=member_id not in absent)
        for i, member_id in enumerate(scenario.lost_vote_ids()):
            await self.voting_rights(member_id, arrears=True, restored=i < scenario.restored)
        for member_id in scenario.suspended_ids():
            await self.voting_rights(member_id, suspended=True)
        await self.nominate(*scenario.candidates)
        tellers = scenario.teller_ids()
        complaints = {tellers[-1]: frozenset({1})} if scenario.ceremony_complaint else None
        await self.key_ceremony(tellers, complaints=complaints)
        for script in scenario.rounds:
            await self.round(script)
        if scenario.acclamation:
            await self.acclaim()
        if scenario.adjourn:
            await self.adjourn()
        await self.checkpoint()
        return self.result()

    def result(self) -> SimulationResult:
        """The run so far."""
        key = None if self.checkpoint_key is None else self.checkpoint_key.public_key().encode()
        return SimulationResult(
            self.session_id,
            self.state,
            key,
            dict(self.receipts),
            final_outcome(self.state),
            dict(self.refusals),
        )


async def run_scenario(
    store: EventStore,
    scenario: Scenario,
    *,
    seed: bytes | None = None,
    teller_verify_ballots: bool = True,
    ballot_pool: Executor | None = None,
) -> SimulationResult:
    """Play ``scenario`` into ``store`` (session id = log id = ``scenario.session_id``)."""
    simulation = Simulation(
        store,
        scenario.session_id,
        settings=scenario.settings,
        entropy=Entropy(seed),
        teller_verify_ballots=teller_verify_ballots,
        ballot_pool=ballot_pool,
    )
    return await simulation.run(scenario)


async def export_log(store: EventStore, session_id: str, out: BinaryIO) -> int:
    """Write the session's log as JSON Lines (the audit format); return the number of lines."""
    lines = 0
    async for line in export_jsonl(store, session_id):
        out.write(line)
        lines += 1
    return lines


async def export_lines(store: EventStore, session_id: str) -> list[bytes]:
    """The session's export as a list of lines."""
    return [line async for line in export_jsonl(store, session_id)]

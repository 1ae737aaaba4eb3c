"""Property: for random command sequences, replaying the emitted events from scratch gives
the same state and the same decisions, and at most one candidate is ever elected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ballot.domain import (
    AdjournSession,
    ChangeVotingRights,
    CloseRound,
    Command,
    DeclareElectedByAcclamation,
    Event,
    NominateCandidate,
    OpenRound,
    RecordPresence,
    Refusal,
    SessionSettings,
    VoidRound,
    WithdrawCandidate,
    decide_verified,
    evolve,
    lots_commitment,
    next_round_plan,
    rederive,
    replay,
    results_board,
    session_view,
)
from tests.domain.domain_kit import Kit

MEMBERS = [f"M{i:03d}" for i in range(1, 7)]
_BASES: dict[tuple[Any, ...], Kit] = {}


def _base(key: tuple[int, str, str, int]) -> Kit:
    if key not in _BASES:
        eliminate_after, tie_break, sole, min_tally = key
        kit = Kit(
            settings=SessionSettings.model_validate(
                {
                    "eliminate_after": eliminate_after,
                    "tie_break": tie_break,
                    "sole_candidate": sole,
                    "min_tally": min_tally,
                }
            )
        )
        kit.setup(len(MEMBERS), ["A", "B", "C"])
        _BASES[key] = kit
    return _BASES[key].fork()


member = st.sampled_from(MEMBERS)
option = st.integers(min_value=0, max_value=3)
votes = st.lists(option, min_size=6, max_size=6)
noise = st.one_of(
    st.tuples(st.just("presence"), member, st.booleans()),
    st.tuples(st.just("rights"), member, st.booleans(), st.booleans(), st.booleans()),
    st.tuples(st.just("withdraw"), st.sampled_from(["A", "B", "C", "D"])),
    st.tuples(st.just("nominate"), st.sampled_from(["D", "E"])),
    st.tuples(st.just("open")),
    st.tuples(st.just("cast"), member, option),
    st.tuples(st.just("close")),
    st.tuples(st.just("tally"), st.sampled_from([(1, 2), (2, 3), (3, 1)])),
    st.tuples(st.just("void")),
    st.tuples(st.just("acclaim"), st.sampled_from(["A", "B", "C", "D"])),
)
#: A whole round (open, everyone votes, close, two tellers decrypt), with noise inside.
whole_round = st.tuples(
    st.just("round"),
    votes,
    st.lists(noise, max_size=2),
    st.sampled_from([(1, 2), (2, 3), (3, 1)]),
)
# Two actions in three are whole rounds (``one_of`` would flatten the noise alternatives and
# make whole rounds rare).
action = st.integers(min_value=0, max_value=2).flatmap(lambda i: noise if i == 0 else whole_round)
setting = st.tuples(
    st.sampled_from([0, 1, 2]),
    st.sampled_from(["ballot", "lots"]),
    st.sampled_from(["acclamation", "confirmation"]),
    st.sampled_from([1, 3]),
)


def _expand(step: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if step[0] != "round":
        return [step]
    _, choices, inside, tellers = step
    return [("open",), ("cast_all", choices), *inside, ("close",), ("tally", tellers)]


def _commands(kit: Kit, step: tuple[Any, ...]) -> list[Callable[[], Command]]:
    """Lazily built commands for one action (building may itself need the current state)."""
    kind = step[0]
    current = kit.state.current_round
    number = 0 if current is None else current.number
    if kind == "presence":
        return [lambda: RecordPresence(member_id=step[1], present=step[2])]
    if kind == "rights":
        return [
            lambda: ChangeVotingRights(
                member_id=step[1], arrears=step[2], restored=step[2] and step[3], suspended=step[4]
            )
        ]
    if kind == "withdraw":
        return [lambda: WithdrawCandidate(candidate_id=step[1])]
    if kind == "nominate":
        return [lambda: NominateCandidate(candidate_id=step[1], name=step[1])]
    if kind == "acclaim":
        return [lambda: DeclareElectedByAcclamation(candidate_id=step[1])]
    if kind == "adjourn":
        return [lambda: AdjournSession(adjourned_at=kit.tick())]
    if kind == "void":
        return [lambda: VoidRound(round_number=max(number, 1))]
    if current is None or kind == "open":
        return [] if kind != "open" else [lambda: _open(kit)]
    options = current.options
    if kind == "cast":
        return [lambda: kit.ballot(step[1], options[step[2] % len(options)])]
    if kind == "cast_all":

        def cast(mid: str, choice: int) -> Callable[[], Command]:
            return lambda: kit.ballot(mid, options[choice % len(options)])

        return [cast(m, o) for m, o in zip(MEMBERS, step[1], strict=True)]
    if kind == "close":
        seed = kit.seeds.get(number) if current.lots_commitment is not None else None
        return [lambda: CloseRound(round_number=number, closed_at=kit.tick(), lots_seed=seed)]
    if kind == "tally":

        def share(index: int) -> Callable[[], Command]:
            return lambda: kit.share(index)

        return [share(i) for i in step[1]]
    raise AssertionError(kind)


def _open(kit: Kit) -> Command:
    # Kit.open_round runs the command itself; here we only need the command.
    number = len(kit.state.rounds) + 1
    try:
        plan = next_round_plan(kit.state)
    except Refusal:
        return OpenRound(round_number=number, opened_at=kit.tick())
    seed = bytes([number % 256]) * 32
    kit.seeds[number] = seed
    commitment = (
        lots_commitment(kit.session_id, number, seed) if plan.needs_lots_commitment else None
    )
    return OpenRound(round_number=number, opened_at=kit.tick(), lots_commitment=commitment)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(setting, st.lists(action, min_size=2, max_size=12), st.booleans())
def test_replay_reproduces_state_and_decisions(
    key: tuple[int, str, str, int], steps: list[tuple[Any, ...]], adjourn: bool
) -> None:
    kit = _base(key)
    start = len(kit.events)
    accepted: list[tuple[Command, list[Event]]] = []
    tail = [("adjourn",), ("open",)] if adjourn else []
    for step in [*(s for high in steps for s in _expand(high)), *tail]:
        for build in _commands(kit, step):
            command = build()
            before = kit.state
            try:
                events = kit.run(command)
            except Refusal:
                assert kit.state is before  # a refusal changes nothing
                continue
            accepted.append((command, events))

    tallied = sum(1 for r in kit.state.rounds if r.status == "tallied")
    event(f"tallied rounds: {min(tallied, 4)}")
    for e in kit.events[start:]:
        if e.event_type in (
            "CandidateElected",
            "CandidateEliminated",
            "LotsDrawn",
            "ConfirmationFailed",
            "RoundVoided",
        ):
            event(e.event_type)
    # 1. the fold of the log is the state
    assert replay(kit.events) == kit.state
    # 2. every decision is re-derivable from the replayed prefix of the log
    state = replay(kit.events[:start])
    for command, events in accepted:
        assert decide_verified(state, command) == events
        for recorded in events:
            state = evolve(state, recorded)
    assert state == kit.state
    # ... and the audit rebuilds the same commands from the log alone
    assert rederive(kit.events) == kit.state
    # 3. never two elections, and the result is consistent with the board
    elected = [e for e in kit.events if e.event_type == "CandidateElected"]
    assert len(elected) <= 1
    if elected:
        assert kit.state.phase == "elected"
        statuses = [c.status for c in kit.state.candidates.values()]
        assert statuses.count("elected") == 1
    # 4. read models are functions of the state
    assert session_view(replay(kit.events)) == session_view(kit.state)
    assert results_board(replay(kit.events)) == results_board(kit.state)
    in_progress = [r for r in kit.state.rounds if r.status in ("open", "closed")]
    assert len(in_progress) <= 1
    assert in_progress == [] or in_progress[0] is kit.state.rounds[-1]

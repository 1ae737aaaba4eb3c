"""Scenarios: a whole session described as data, for the simulator and the tests.

Members are ``M001``, ``M002``, …; observers ``OBS1``, …; tellers ``T1`` … ``Tn``. Ballots are
given as counts per option; the voters are the first members of the round's roll (sorted ids),
in order, so a scenario fixes who votes but nothing reveals how an individual voted except
the scenario itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ballot.domain import SessionSettings


@dataclass(frozen=True, slots=True)
class RoundScript:
    """One round: the ballots per option (``"blank"``, a candidate id, ``"yes"``/``"no"``),
    the candidates withdrawing before it opens, and whether the secretariat declares it void
    after closing. ``tellers`` chooses who decrypts (teller indices; default: all, in order,
    until the round is tallied)."""

    votes: Mapping[str, int]
    withdraw: tuple[str, ...] = ()
    void: bool = False
    tellers: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A session from convening to its end.

    The last ``absent`` members are never marked present; before them, ``lost_votes`` members
    lose their vote for arrears (the first ``restored`` of them get it back) and ``suspended``
    members are suspended. After the scripted rounds the session ends with an acclamation of
    the sole candidate standing (``acclamation``) and/or an adjournment (``adjourn``).
    ``ceremony_complaint``: the last teller complains about dealer 1, which answers.
    """

    members: int = 15
    candidates: tuple[str, ...] = ("A", "B", "C")
    rounds: tuple[RoundScript, ...] = ()
    observers: int = 0
    absent: int = 0
    lost_votes: int = 0
    restored: int = 0
    suspended: int = 0
    acclamation: bool = False
    adjourn: bool = False
    ceremony_complaint: bool = False
    settings: SessionSettings = field(default_factory=SessionSettings)
    session_id: str = "council-session"
    title: str = "Council session (simulated)"

    def member_ids(self) -> list[str]:
        """``M001`` … in registration order."""
        return [f"M{i:03d}" for i in range(1, self.members + 1)]

    def observer_ids(self) -> list[str]:
        """``OBS1`` …"""
        return [f"OBS{i}" for i in range(1, self.observers + 1)]

    def absent_ids(self) -> list[str]:
        """The members never marked present."""
        ids = self.member_ids()
        return ids[len(ids) - self.absent :] if self.absent else []

    def lost_vote_ids(self) -> list[str]:
        """The members who lost their vote for arrears."""
        end = self.members - self.absent
        return self.member_ids()[max(0, end - self.lost_votes) : end]

    def suspended_ids(self) -> list[str]:
        """The suspended members."""
        end = self.members - self.absent - self.lost_votes
        return self.member_ids()[max(0, end - self.suspended) : max(0, end)]

    def teller_ids(self) -> list[str]:
        """``T1`` … ``Tn``."""
        return [f"T{i}" for i in range(1, self.settings.tellers + 1)]

"""The session rules of SPEC §3, each a small pure function.

These functions are the only place where a rule is computed. :func:`ballot.domain.decide`
calls them to make decisions, the offline auditor calls them again to check every published
decision, and ``docs/rules.md`` lists them with their settings and the events they lead to.
Nothing here reads a clock, draws randomness or performs I/O.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ballot.domain.settings import QuorumBase, SessionSettings
from ballot.domain.values import BLANK, NO, YES
from crypto.group import domain_tag, frame

LOTS_COMMIT_DOMAIN: Final[str] = "lots/commit"
LOTS_DRAW_DOMAIN: Final[str] = "lots/draw"

RoundKind = Literal["election", "tiebreak", "confirmation"]
Decision = Literal["elected", "inconclusive", "eliminated", "tiebreak_required", "not_confirmed"]
EliminatedBy = Literal["fewest_votes", "tiebreak", "lots"]
ElectedBy = Literal["ballot", "confirmation", "acclamation"]


# -- majority ------------------------------------------------------------------------------


def required(valid: int, numerator: int = 2, denominator: int = 3) -> int:
    """Votes needed out of ``valid``: the smallest ``v`` with ``denominator*v >= numerator*valid``.

    With the default two thirds: 165 → 110, 143 → 96, 133 → 89, 95 → 64, 94 → 63, 0 → 0
    (but ``valid == 0`` elects nobody, see :func:`is_elected`).
    """
    if valid < 0:
        raise ValueError("valid must be non-negative")
    return -(-numerator * valid // denominator)


def is_elected(votes: int, valid: int, numerator: int = 2, denominator: int = 3) -> bool:
    """Whether ``votes`` of ``valid`` reach the majority: ``valid > 0`` and
    ``denominator*votes >= numerator*valid``. Blanks are never part of ``valid``."""
    return valid > 0 and denominator * votes >= numerator * valid


# -- quorum and eligibility ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VotingStatus:
    """What eligibility depends on, for one member state (a view of the roll)."""

    observer: bool
    credentials_accepted: bool
    present: bool
    arrears: bool
    restored: bool
    suspended: bool


def has_voting_rights(status: VotingStatus) -> bool:
    """A member (not an observer) that has not lost its vote for arrears without the council
    restoring it, and is not suspended."""
    return (
        not status.observer
        and not (status.arrears and not status.restored)
        and not (status.suspended)
    )


def is_eligible(status: VotingStatus) -> bool:
    """Eligible to vote in a round opening now: credentials accepted, present, with voting
    rights (:func:`has_voting_rights`). Observers never."""
    return status.credentials_accepted and status.present and has_voting_rights(status)


def electoral_roll(statuses: Mapping[str, VotingStatus]) -> tuple[str, ...]:
    """The sorted ids of the members eligible now; frozen into ``RoundOpened``."""
    return tuple(sorted(mid for mid, s in statuses.items() if is_eligible(s)))


def quorum_figures(statuses: Mapping[str, VotingStatus], base: QuorumBase) -> tuple[int, int]:
    """``(present, base)`` for the quorum rule.

    ``base`` counts all members (``"members"``) or members with voting rights
    (``"voting_members"``); ``present`` counts the present members within that base.
    Observers are never counted.
    """
    if base == "members":
        counted = [s for s in statuses.values() if not s.observer]
    else:
        counted = [s for s in statuses.values() if has_voting_rights(s)]
    return sum(1 for s in counted if s.present), len(counted)


def has_quorum(present: int, base: int) -> bool:
    """Members present are a majority of the base: ``2*present > base`` (never with base 0)."""
    return 2 * present > base


# -- progression ---------------------------------------------------------------------------


def elimination_due(inconclusive_election_rounds: int, eliminate_after: int) -> bool:
    """Whether the fewest-votes candidate goes after an inconclusive election round that makes
    ``inconclusive_election_rounds`` of them in the current series (0 = never)."""
    return eliminate_after > 0 and inconclusive_election_rounds >= eliminate_after


def fewest(votes: Mapping[str, int]) -> tuple[str, ...]:
    """The sorted ids of the candidates with the fewest votes (more than one on a tie)."""
    if not votes:
        return ()
    low = min(votes.values())
    return tuple(sorted(cid for cid, v in votes.items() if v == low))


def options_for(kind: RoundKind, candidates: Iterable[str]) -> tuple[str, ...]:
    """A round's ballot options: the candidates still standing (sorted) then ``blank``; for a
    confirmation ballot ``yes``, ``no``, ``blank``."""
    if kind == "confirmation":
        return (YES, NO, BLANK)
    return (*sorted(candidates), BLANK)


# -- lots ----------------------------------------------------------------------------------


def lots_commitment(session_id: str, round_number: int, seed: bytes) -> bytes:
    """The SHA-256 commitment to a lots seed, published in ``RoundOpened``.

    ``SHA-256(frame("ballot/v1/lots/commit", session_id, round as u32 BE, seed))``.
    """
    return hashlib.sha256(
        frame(
            domain_tag(LOTS_COMMIT_DOMAIN),
            session_id.encode(),
            struct.pack(">I", round_number),
            seed,
        )
    ).digest()


def draw_lots(seed: bytes, session_id: str, round_number: int, tied: Sequence[str]) -> str:
    """The candidate the lot falls on (who is eliminated), re-derivable by anyone.

    ``h = SHA-256(frame("ballot/v1/lots/draw", session_id, round as u32 BE, seed, *sorted(tied)))``
    read as a big-endian integer; the loser is ``sorted(tied)[h mod len(tied)]`` (the bias of
    a 256-bit value reduced modulo a few candidates is below 2^-250).
    """
    ordered = sorted(tied)
    if not ordered:
        raise ValueError("no tied candidates to draw lots among")
    digest = hashlib.sha256(
        frame(
            domain_tag(LOTS_DRAW_DOMAIN),
            session_id.encode(),
            struct.pack(">I", round_number),
            seed,
            *(cid.encode() for cid in ordered),
        )
    ).digest()
    return ordered[int.from_bytes(digest, "big") % len(ordered)]


# -- the decision of a tallied round -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundOutcome:
    """Everything a tallied round decides (the content of ``RoundTallied`` and what follows).

    ``votes`` is per candidate (or yes/no), ``blank`` separate; ``valid`` excludes blanks;
    ``required`` is ``None`` for a tie-break ballot, which elects nobody.
    """

    blank: int
    valid: int
    required: int | None
    decision: Decision
    elected: str | None = None
    eliminated: str | None = None
    eliminated_by: EliminatedBy | None = None
    tied: tuple[str, ...] = ()


def round_outcome(
    *,
    kind: RoundKind,
    options: Sequence[str],
    counts: Sequence[int],
    settings: SessionSettings,
    inconclusive_before: int,
    session_id: str,
    round_number: int,
    lots_seed: bytes | None,
    confirmation_candidate: str | None = None,
) -> RoundOutcome:
    """Decide a tallied round from its counts (aligned with ``options``, ``blank`` last).

    * election: a candidate with ``is_elected`` is elected; otherwise, if
      :func:`elimination_due` (this round being inconclusive number
      ``inconclusive_before + 1``), the single fewest-votes candidate is eliminated, a tie for
      fewest is settled by lots (``tie_break == "lots"``, :func:`draw_lots`) or sent to a
      tie-break ballot (``tiebreak_required``); else ``inconclusive``.
    * tiebreak: the single fewest-votes candidate is eliminated; a tie again → another
      tie-break ballot among those tied for fewest.
    * confirmation: elected iff yes reaches the majority of yes+no, else ``not_confirmed``.
    """
    if len(options) != len(counts) or not options or options[-1] != BLANK:
        raise ValueError("counts must align with the options, blank last")
    num, den = settings.majority_numerator, settings.majority_denominator
    blank = counts[-1]
    votes = dict(zip(options[:-1], counts[:-1], strict=True))
    valid = sum(votes.values())

    if kind == "confirmation":
        if confirmation_candidate is None:
            raise ValueError("a confirmation round needs its candidate")
        valid = votes[YES] + votes[NO]
        need = required(valid, num, den)
        if is_elected(votes[YES], valid, num, den):
            return RoundOutcome(blank, valid, need, "elected", elected=confirmation_candidate)
        return RoundOutcome(blank, valid, need, "not_confirmed")

    if kind == "tiebreak":
        tied = fewest(votes)
        if len(tied) == 1:
            return RoundOutcome(
                blank, valid, None, "eliminated", eliminated=tied[0], eliminated_by="tiebreak"
            )
        return RoundOutcome(blank, valid, None, "tiebreak_required", tied=tied)

    need = required(valid, num, den)
    for cid, v in votes.items():
        if is_elected(v, valid, num, den):
            return RoundOutcome(blank, valid, need, "elected", elected=cid)
    if not elimination_due(inconclusive_before + 1, settings.eliminate_after):
        return RoundOutcome(blank, valid, need, "inconclusive")
    tied = fewest(votes)
    if len(tied) == 1:
        return RoundOutcome(
            blank, valid, need, "eliminated", eliminated=tied[0], eliminated_by="fewest_votes"
        )
    if settings.tie_break == "lots":
        if lots_seed is None:
            raise ValueError("a drawing of lots needs the revealed seed")
        loser = draw_lots(lots_seed, session_id, round_number, tied)
        return RoundOutcome(
            blank, valid, need, "eliminated", eliminated=loser, eliminated_by="lots", tied=tied
        )
    return RoundOutcome(blank, valid, need, "tiebreak_required", tied=tied)

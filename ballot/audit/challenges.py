"""Checked (challenged) ballots the auditor is asked about: ``ballot audit --challenge``.

A delegation that chose "Check this encrypted ballot" keeps the ballot's tracking code, or the
small file its page offers (:class:`ChallengeClaim`: the code and the option it *chose*). The
rules already re-check that every recorded ``BallotChallenged`` opens to the option it names
(``rules.refused`` otherwise); here each claimed code must be in the log
(``challenge.unknown``), of this session and delegation (``challenge.session``), and hold the
option the delegation chose (``challenge.mismatch``) — the check that catches a page which
encrypted another choice than the one it showed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ballot.audit.receipts import normalize_code
from ballot.audit.report import ChallengeResult
from ballot.audit.rules import Fail
from ballot.domain import BallotChallenged

#: The ``type`` of a challenge file.
CHALLENGE_TYPE: Final = "ballot-challenge/1"
_FIELDS: Final = {"type", "session_id", "round_number", "delegation_id", "tracking_code", "chosen"}


@dataclass(frozen=True, slots=True)
class ChallengeClaim:
    """A checked ballot a delegation asks about: its code, and (from a file) what it chose."""

    tracking_code: str
    chosen: str | None = None
    session_id: str | None = None
    round_number: int | None = None
    delegation_id: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> ChallengeClaim:
        """A challenge file's object (exactly its fields); raises :class:`ValueError`."""
        if not isinstance(obj, Mapping) or set(obj) != _FIELDS:
            raise ValueError(f"a challenge file has exactly {sorted(_FIELDS)}")
        if obj["type"] != CHALLENGE_TYPE:
            raise ValueError(f"not a {CHALLENGE_TYPE} file")
        texts = ("session_id", "delegation_id", "tracking_code", "chosen")
        if not all(isinstance(obj[name], str) and obj[name] for name in texts):
            raise ValueError(f"{', '.join(texts)} are non-empty strings")
        number = obj["round_number"]
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValueError("round_number is a positive integer")
        return cls(
            tracking_code=normalize_code(obj["tracking_code"]),
            chosen=obj["chosen"],
            session_id=obj["session_id"],
            round_number=number,
            delegation_id=obj["delegation_id"],
        )

    def to_json(self) -> dict[str, Any]:
        """The file's object (only for a claim made from one: every field set)."""
        return {
            "type": CHALLENGE_TYPE,
            "session_id": self.session_id,
            "round_number": self.round_number,
            "delegation_id": self.delegation_id,
            "tracking_code": self.tracking_code,
            "chosen": self.chosen,
        }


class ChallengeChecks:
    """The claims asked about, matched with the log's ``BallotChallenged`` events."""

    def __init__(self, claims: Iterable[ChallengeClaim], fail: Fail) -> None:
        self._claims = {c.tracking_code: c for c in claims}
        self._found: dict[str, tuple[int, BallotChallenged]] = {}
        self._fail = fail

    def __bool__(self) -> bool:
        return bool(self._claims)

    def challenged(self, event: BallotChallenged, at: int) -> None:
        """A checked ballot was read at ``at``."""
        code = normalize_code(event.tracking_code)
        if code in self._claims and code not in self._found:
            self._found[code] = (at, event)

    def results(self, end: int, session_id: str) -> tuple[ChallengeResult, ...]:
        """Every claim's result; a claim not found fails at ``end``, the log's last position."""
        out: list[ChallengeResult] = []
        for code, claim in self._claims.items():
            if code not in self._found:
                self._fail(
                    end, None, "challenge.unknown", f"checked ballot {code} is not in the log"
                )
                out.append(ChallengeResult(code, found=False, chosen=claim.chosen))
                continue
            at, event = self._found[code]
            result = ChallengeResult(
                code,
                found=True,
                position=at,
                round_number=event.round_number,
                delegation_id=event.delegation_id,
                option=event.option,
                chosen=claim.chosen,
            )
            claimed = (claim.session_id, claim.round_number, claim.delegation_id)
            recorded = (session_id, event.round_number, event.delegation_id)
            if claim.session_id is not None and claimed != recorded:
                self._fail(
                    at,
                    BallotChallenged.event_type,
                    "challenge.session",
                    f"checked ballot {code}: the file is of session {claim.session_id}, round "
                    f"{claim.round_number}, {claim.delegation_id}; the log records it in session "
                    f"{session_id}, round {event.round_number}, {event.delegation_id}",
                )
            if not result.verified:
                self._fail(
                    at,
                    BallotChallenged.event_type,
                    "challenge.mismatch",
                    f"checked ballot {code} ({event.delegation_id}, round {event.round_number}) "
                    f"held {event.option}, but the delegation chose {claim.chosen}: the page that "
                    "encrypted it did not encrypt the choice it showed",
                )
            out.append(result)
        return tuple(out)

"""The session's settings: every number of SPEC §3, with its default.

Settings are fixed by ``SessionConvened`` and never change afterwards, so every decision in
the log is re-derivable from the log alone.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from ballot.domain.values import DomainModel

TieBreak = Literal["ballot", "lots"]
SoleCandidate = Literal["acclamation", "confirmation"]
QuorumBase = Literal["members", "voting_members"]


class SessionSettings(DomainModel):
    """Rules of one session (defaults model the IOM Council's election of a Director General).

    * ``eliminate_after`` — after the n-th inconclusive election round and each one after it,
      the candidate with the fewest votes is eliminated; 0 = never.
    * ``tie_break`` — a tie for fewest is settled by a ballot among the tied (``"ballot"``) or
      by a drawing of lots from a committed seed (``"lots"``).
    * ``sole_candidate`` — with one candidate left: election by ``"acclamation"`` recorded by
      the secretariat, or a yes/no ``"confirmation"`` ballot.
    * ``quorum_base`` — a round opens only if present members are a majority of all members
      (``"members"``) or of the members with voting rights (``"voting_members"``).
    * ``majority_numerator/majority_denominator`` — elected iff
      ``denominator * votes >= numerator * valid`` (default two thirds); must exceed one half
      so that at most one candidate can ever reach it.
    * ``min_tally`` — fewer ballots than this and the tellers refuse to decrypt: the round is
      voided and re-run.
    * ``tellers`` / ``threshold`` — n tellers, any k of whom can decrypt a tally.
    * ``enrollment_code_lifetime_seconds`` — how long a one-time enrollment code is valid.
    * ``witnesses_required`` — how many witnesses (admitted witnesses or tellers) must cosign
      every checkpoint for the audit to pass; 0 = cosignatures are welcome but not required.

    Across fields (what a JSON Schema cannot say): ``threshold <= tellers`` and
    ``1/2 < majority_numerator/majority_denominator <= 1``.
    """

    eliminate_after: int = Field(default=3, ge=0, le=1000)
    tie_break: TieBreak = "ballot"
    sole_candidate: SoleCandidate = "acclamation"
    quorum_base: QuorumBase = "members"
    majority_numerator: int = Field(default=2, ge=1, le=1000)
    majority_denominator: int = Field(default=3, ge=1, le=1000)
    min_tally: int = Field(default=5, ge=1, le=1_000_000)
    tellers: int = Field(default=3, ge=1, le=64)
    threshold: int = Field(default=2, ge=1, le=64)
    witnesses_required: int = Field(default=0, ge=0, le=16)
    enrollment_code_lifetime_seconds: int = Field(default=86_400, ge=60, le=366 * 86_400)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.threshold > self.tellers:
            raise ValueError("threshold must not exceed the number of tellers")
        if self.majority_numerator > self.majority_denominator:
            raise ValueError("the majority fraction must not exceed 1")
        if 2 * self.majority_numerator <= self.majority_denominator:
            raise ValueError("the majority fraction must exceed one half")
        return self

"""docs/rules.md names every rule, command, event and refusal code of the domain."""

from __future__ import annotations

from pathlib import Path

import ballot.domain.commands as commands
from ballot.domain import EVENT_TYPES, REFUSAL_CODES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()

RULE_FUNCTIONS = [
    "has_voting_rights",
    "is_eligible",
    "electoral_roll",
    "quorum_figures",
    "has_quorum",
    "required",
    "is_elected",
    "elimination_due",
    "fewest",
    "options_for",
    "lots_commitment",
    "draw_lots",
    "round_outcome",
    "tally_outcome",
    "next_round_plan",
    "inconclusive_election_rounds",
    "ceremony_key",
    "verify_cast_proofs",
    "ceremony_signing_message",
]


def test_docs_name_everything() -> None:
    names = [
        *RULE_FUNCTIONS,
        *EVENT_TYPES,
        *REFUSAL_CODES,
        *(
            n
            for n in commands.__all__
            if n not in {"Command", "SignedShareIn", "TellerAppointment"}
        ),
    ]
    missing = [name for name in names if f"`{name}" not in DOC]
    assert missing == []

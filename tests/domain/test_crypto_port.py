"""The domain's doorway to the crypto package holds no memory: the same input always gives
the same answer, whatever was decoded or verified before."""

from __future__ import annotations

import copy

import pytest

from ballot.domain import Refusal, crypto_port
from tests.domain.domain_kit import Kit


def test_a_ballot_decodes_to_equal_values_from_equal_json_and_the_option_count_is_checked() -> None:
    kit = Kit()
    ids = kit.setup(3, ["A", "B"])
    kit.open_round()
    command = kit.ballot(ids[0], "A")
    decoded = crypto_port.parse_ballot(command.ballot, 3)
    copied = copy.deepcopy(dict(command.ballot))
    assert crypto_port.parse_ballot(copied, 3) == decoded
    text = crypto_port.ballot_text(copied)
    assert crypto_port.parse_ballot_text(text, 3) == decoded
    with pytest.raises(Refusal) as info:  # the round's option count is checked every time
        crypto_port.parse_ballot(copied, 4)
    assert info.value.detail["reason"] == "ballot_option_count"


def test_the_doorway_keeps_no_module_level_memory_of_ballots_or_signatures() -> None:
    # Only pure functions of frozen values are memoized (functools caches); nothing a
    # caller records can change what a later call answers.
    mutable = [
        name
        for name, value in vars(crypto_port).items()
        if not name.startswith("__") and isinstance(value, dict | list | set)
    ]
    assert not mutable

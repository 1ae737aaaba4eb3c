"""The domain's doorway to the crypto package: its memories never change an answer."""

from __future__ import annotations

import copy

import pytest

from ballot.domain import Refusal, crypto_port
from tests.domain.domain_kit import Kit


def test_a_remembered_object_is_decoded_from_memory_and_an_equal_copy_by_its_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit = Kit()
    ids = kit.setup(3, ["A", "B"])
    kit.open_round()
    command = kit.ballot(ids[0], "A")
    decoded = crypto_port.parse_ballot(command.ballot, 3)
    copied = copy.deepcopy(dict(command.ballot))
    crypto_port.remember_decoded(copied, decoded)

    def no_text(_: object) -> str:
        raise AssertionError("the object's text was written again")

    with monkeypatch.context() as patched:
        patched.setattr(crypto_port, "ballot_text", no_text)
        assert crypto_port.parse_ballot(copied, 3) is decoded
        with pytest.raises(Refusal) as info:  # the round's option count is still checked
            crypto_port.parse_ballot(copied, 4)
        assert info.value.detail["reason"] == "ballot_option_count"
    other = copy.deepcopy(copied)  # equal, but not the object remembered: found by its text
    assert crypto_port.parse_ballot(other, 3) == decoded

"""The Benaloh challenge: an opened ballot re-encrypts to exactly its ciphertexts for the
revealed choice, and a page that encrypted another choice than it showed is caught."""

from __future__ import annotations

import pytest

from crypto.ballot import BallotContext, InvalidBallot, encrypt_ballot_with_nonces
from crypto.challenge import BallotReveal, check_reveal
from crypto.group import Point, Scalar, seeded_scalars

KEY = Point.base_mul(Scalar.from_int(7))
CTX = BallotContext("s", 1, KEY, "FR", ("A", "B", "blank"))


def test_an_honest_ballot_opens_to_its_choice() -> None:
    ballot, nonces = encrypt_ballot_with_nonces(CTX, 1, seeded_scalars(b"honest"))
    reveal = BallotReveal.from_json(BallotReveal(1, nonces).to_json())
    check_reveal(CTX, ballot, reveal)


def test_a_page_that_encrypted_another_choice_is_caught() -> None:
    # The page showed "A" (0) but encrypted "B" (1): claiming A with its nonces fails, and the
    # truthful reveal says B — which the delegation sees is not what it chose.
    ballot, nonces = encrypt_ballot_with_nonces(CTX, 1, seeded_scalars(b"liar"))
    with pytest.raises(InvalidBallot) as info:
        check_reveal(CTX, ballot, BallotReveal(0, nonces))
    assert info.value.code == "challenge_mismatch"
    check_reveal(CTX, ballot, BallotReveal(1, nonces))


def test_reveals_that_do_not_fit_are_refused() -> None:
    ballot, nonces = encrypt_ballot_with_nonces(CTX, 2, seeded_scalars(b"fit"))
    for reveal in (BallotReveal(3, nonces), BallotReveal(2, nonces[:2])):
        with pytest.raises(InvalidBallot, match="reveal names") as info:
            check_reveal(CTX, ballot, reveal)
        assert info.value.code == "challenge_malformed"
    wrong = (nonces[1], nonces[0], nonces[2])
    with pytest.raises(InvalidBallot) as mismatch:
        check_reveal(CTX, ballot, BallotReveal(2, wrong))
    assert mismatch.value.code == "challenge_mismatch"
    for bad in ({"choice": 1}, {"choice": True, "nonces": []}, {"choice": 0, "nonces": ["x"]}):
        with pytest.raises(InvalidBallot) as malformed:
            BallotReveal.from_json(bad)
        assert malformed.value.code == "challenge_malformed"


def test_a_zero_nonce_is_a_malformed_reveal_not_a_crash() -> None:
    # No page encrypts with r = 0 (the ciphertext would show the vote in the clear): the reveal
    # is refused as malformed, as the browser's checkReveal refuses it.
    ballot, nonces = encrypt_ballot_with_nonces(CTX, 0, seeded_scalars(b"zero"))
    zeroed = (Scalar.from_int(0), *nonces[1:])
    with pytest.raises(InvalidBallot) as info:
        check_reveal(CTX, ballot, BallotReveal(0, zeroed))
    assert info.value.code == "challenge_malformed"

"""The Benaloh challenge (cast-or-challenge): a delegation may open an encrypted ballot instead
of casting it, to check that its page encrypted the choice it showed.

The page encrypts the choice and shows the ballot's tracking code *before* it knows whether the
delegation will cast or check it. To check, it reveals the choice and every option's nonce
``r_i``; anyone then re-encrypts ``bit_i = [i == choice]`` under the election key with ``r_i``
and must find exactly the ballot's ciphertext ``(r_i·G, bit_i·G + r_i·K)``. A page that
encrypted another choice than the one it showed is caught with probability one half per
challenge it cannot foresee. The opened ballot is *spoiled*: it can never be cast (its
nonces are public), and the delegation casts a freshly encrypted one.

Reveal JSON: ``{"choice": i, "nonces": [scalar, …]}`` (scalars as in ``crypto.encoding``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crypto.ballot import BallotContext, EncryptedBallot, InvalidBallot, verify_ballot
from crypto.elgamal import encrypt
from crypto.encoding import expect_int, expect_list, scalar_from_json, scalar_to_json
from crypto.errors import CryptoError
from crypto.group import Scalar


@dataclass(frozen=True, slots=True)
class BallotReveal:
    """What opening a ballot shows: the option index it holds and each option's nonce."""

    choice: int
    nonces: tuple[Scalar, ...]

    def to_json(self) -> dict[str, object]:
        """``{"choice", "nonces"}``."""
        return {"choice": self.choice, "nonces": [scalar_to_json(r) for r in self.nonces]}

    @classmethod
    def from_json(cls, obj: object) -> BallotReveal:
        """Strict inverse of :meth:`to_json`; raises :class:`InvalidBallot`
        ``challenge_malformed``."""
        try:
            if not isinstance(obj, Mapping) or set(obj) != {"choice", "nonces"}:
                raise ValueError('a reveal has exactly "choice" and "nonces"')
            choice = expect_int(obj["choice"], "choice", maximum=1_000)
            nonces = tuple(
                scalar_from_json(r, f"nonce {i}")
                for i, r in enumerate(expect_list(obj["nonces"], "nonces"))
            )
        except (CryptoError, ValueError) as exc:
            raise InvalidBallot("challenge_malformed", f"reveal: {exc}") from None
        return cls(choice, nonces)


def check_reveal(ctx: BallotContext, ballot: EncryptedBallot, reveal: BallotReveal) -> None:
    """That ``ballot`` is a valid ballot of ``ctx`` and encrypts exactly ``reveal.choice``
    with ``reveal.nonces``. Raises :class:`InvalidBallot`: ``challenge_malformed`` (a choice or
    a nonce count that does not fit the round), ``challenge_mismatch`` (some option's
    ciphertext is not the encryption the reveal claims), or a ballot's own code."""
    n = len(ctx.options)
    if not 0 <= reveal.choice < n or len(reveal.nonces) != n:
        raise InvalidBallot(
            "challenge_malformed", f"a reveal names one of {n} options and gives {n} nonces"
        )
    verify_ballot(ctx, ballot)
    for i, (ciphertext, nonce) in enumerate(zip(ballot.ciphertexts, reveal.nonces, strict=True)):
        try:
            again = encrypt(ctx.election_key, int(i == reveal.choice), nonce)
        except CryptoError as exc:  # a zero nonce: no encryption the page could have made
            raise InvalidBallot("challenge_malformed", f"nonce {i}: {exc}") from None
        if again != ciphertext:
            raise InvalidBallot(
                "challenge_mismatch",
                f"option {i}'s ciphertext is not the encryption of "
                f"{int(i == reveal.choice)} with the revealed nonce",
            )

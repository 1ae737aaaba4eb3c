"""The root of every exception the crypto package raises.

Each family (group, ElGamal, proofs, ballots, key ceremony, tally, signatures, Merkle) has
its own subclass with a stable snake_case ``code``, as the browser's ``CryptoError`` does;
callers that turn any crypto failure into one answer catch :class:`CryptoError` instead of
listing the families. It is a ``ValueError``: every crypto failure is bad input.
"""

from __future__ import annotations


class CryptoError(ValueError):
    """Some input to a crypto function is refused; ``code`` says why (stable, snake_case)."""

    code: str = "crypto_error"


__all__ = ["CryptoError"]

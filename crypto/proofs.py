"""Non-interactive zero-knowledge proofs over ristretto255 (Fiat–Shamir, strong form).

Every proof here is *compact*: it carries challenges and responses only, never the
prover's commitments. The verifier recomputes the commitments from the statement and the
responses and checks that hashing them reproduces the challenge. Compact proofs are half the
size of (commitment, response) proofs and cost the verifier the same two scalar
multiplications per commitment.

Every challenge is ``hash_to_scalar(domain, context, statement…, commitments…)`` where
``context`` is supplied by the caller and must bind everything the proof is *about* (session,
round, election key, delegation, option list, option index, teller index…). That is what
makes a proof produced for one context fail in every other one. The exact hash inputs of
each proof are listed in ``docs/verification-spec.md``.

Response convention: ``response = witness - challenge * secret``, so the verifier
recomputes a commitment as ``response * base + challenge * public``.

Secrets (witnesses, nonces, key shares, the plaintext bit of a ballot option) are handled
only with :class:`~crypto.group.Scalar` and :class:`~crypto.group.Point` operations, which
are constant time in libsodium. Public values may go through Python integers.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from crypto.group import SCALAR_BYTES, Point, RandomScalars, Scalar, hash_to_scalar

#: Domains (``"ballot/v1/" + domain`` is the tag hashed first).
SCHNORR_DOMAIN: Final[str] = "proof/schnorr"
DISJUNCTIVE_DOMAIN: Final[str] = "proof/zero-or-one"
SUM_ONE_DOMAIN: Final[str] = "proof/sum-one"
DECRYPTION_DOMAIN: Final[str] = "proof/decryption"


class ProofError(ValueError):
    """A proof does not verify (or cannot be decoded)."""

    code = "proof_invalid"


class StatementFalseError(ValueError):
    """The prover was asked to prove something that is not true; it refuses."""

    code = "proof_statement_false"


def _check_bytes(data: bytes, length: int, what: str) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) != length:
        raise ProofError(f"{what} must be exactly {length} bytes")
    return bytes(data)


def _decode_scalars(data: bytes, count: int, what: str) -> tuple[Scalar, ...]:
    raw = _check_bytes(data, count * SCALAR_BYTES, what)
    try:
        return tuple(
            Scalar.decode(raw[i * SCALAR_BYTES : (i + 1) * SCALAR_BYTES]) for i in range(count)
        )
    except ValueError as exc:
        raise ProofError(f"{what}: {exc}") from exc


def _same_point(a: Point, b: Point) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# ---------------------------------------------------------------------------------------------
# Schnorr proof of knowledge of a discrete logarithm: public = secret * G
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchnorrProof:
    """Proof of knowledge of ``x`` with ``X = x·G`` (compact form: challenge, response)."""

    challenge: Scalar
    response: Scalar

    def encode(self) -> bytes:
        """64 bytes: challenge ‖ response (each a canonical 32-byte scalar)."""
        return self.challenge.encode() + self.response.encode()

    @classmethod
    def decode(cls, data: bytes) -> SchnorrProof:
        """Inverse of :meth:`encode`; raises :class:`ProofError` on any malformed input."""
        c, v = _decode_scalars(data, 2, "Schnorr proof")
        return cls(c, v)


def _schnorr_challenge(context: bytes, public: Point, commitment: Point) -> Scalar:
    return hash_to_scalar(SCHNORR_DOMAIN, context, public.encode(), commitment.encode())


def prove_schnorr(
    secret: Scalar, public: Point, context: bytes, rng: RandomScalars
) -> SchnorrProof:
    """Prove knowledge of ``secret`` with ``public = secret·G``, bound to ``context``.

    Refuses (:class:`StatementFalseError`) if ``public`` is the identity or not ``secret·G``.
    """
    if public.is_identity() or not _same_point(Point.base_mul(secret), public):
        raise StatementFalseError("public key is not secret·G (or is the identity)")
    w = rng()
    c = _schnorr_challenge(context, public, Point.base_mul(w))
    return SchnorrProof(c, w - c * secret)


def verify_schnorr(public: Point, proof: SchnorrProof, context: bytes) -> None:
    """Check a Schnorr proof; raise :class:`ProofError` (``proof_invalid``) if it fails.

    Cost: one base multiplication and one variable-base multiplication.
    """
    if public.is_identity():
        raise ProofError("Schnorr proof: the public key must not be the identity")
    commitment = Point.base_mul(proof.response) + public * proof.challenge
    if _schnorr_challenge(context, public, commitment) != proof.challenge:
        raise ProofError("Schnorr proof does not verify")


# ---------------------------------------------------------------------------------------------
# Chaum–Pedersen proof of equality of discrete logarithms: h1 = x·g1 and h2 = x·g2
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChaumPedersenProof:
    """Proof that ``log_g1 h1 = log_g2 h2`` (compact form: challenge, response)."""

    challenge: Scalar
    response: Scalar

    def encode(self) -> bytes:
        """64 bytes: challenge ‖ response."""
        return self.challenge.encode() + self.response.encode()

    @classmethod
    def decode(cls, data: bytes) -> ChaumPedersenProof:
        """Inverse of :meth:`encode`; raises :class:`ProofError` on any malformed input."""
        c, v = _decode_scalars(data, 2, "Chaum–Pedersen proof")
        return cls(c, v)


#: The sum-to-one proof of a ballot and the proof of a partial decryption are both
#: Chaum–Pedersen proofs; the aliases name their role at call sites.
SumProof = ChaumPedersenProof
DecryptionProof = ChaumPedersenProof


def _cp_challenge(
    domain: str,
    context: bytes,
    g1: Point,
    h1: Point,
    g2: Point,
    h2: Point,
    a1: Point,
    a2: Point,
) -> Scalar:
    return hash_to_scalar(
        domain,
        context,
        g1.encode(),
        h1.encode(),
        g2.encode(),
        h2.encode(),
        a1.encode(),
        a2.encode(),
    )


def prove_equal_logs(
    domain: str,
    secret: Scalar,
    g1: Point,
    h1: Point,
    g2: Point,
    h2: Point,
    context: bytes,
    rng: RandomScalars,
) -> ChaumPedersenProof:
    """Prove ``h1 = secret·g1`` and ``h2 = secret·g2`` under ``domain`` and ``context``.

    Refuses (:class:`StatementFalseError`) if either relation does not hold.
    """
    if not (_same_point(g1 * secret, h1) and _same_point(g2 * secret, h2)):
        raise StatementFalseError(f"{domain}: the two discrete logarithms differ from the secret")
    w = rng()
    c = _cp_challenge(domain, context, g1, h1, g2, h2, g1 * w, g2 * w)
    return ChaumPedersenProof(c, w - c * secret)


def verify_equal_logs(
    domain: str,
    g1: Point,
    h1: Point,
    g2: Point,
    h2: Point,
    proof: ChaumPedersenProof,
    context: bytes,
) -> None:
    """Check a Chaum–Pedersen proof; raise :class:`ProofError` if it fails.

    Cost: four scalar multiplications (one of them by ``G`` when ``g1`` is the generator).
    """
    c, v = proof.challenge, proof.response
    a1 = _mul_base_or_point(g1, v) + h1 * c
    a2 = g2 * v + h2 * c
    if _cp_challenge(domain, context, g1, h1, g2, h2, a1, a2) != c:
        raise ProofError(f"{domain}: Chaum–Pedersen proof does not verify")


def _mul_base_or_point(base: Point, scalar: Scalar) -> Point:
    # libsodium's fixed-base multiplication uses precomputed tables and is ~3x faster.
    if base == Point.generator():
        return Point.base_mul(scalar)
    return base * scalar


__all__ = [
    "DECRYPTION_DOMAIN",
    "DISJUNCTIVE_DOMAIN",
    "SCHNORR_DOMAIN",
    "SUM_ONE_DOMAIN",
    "ChaumPedersenProof",
    "DecryptionProof",
    "ProofError",
    "SchnorrProof",
    "StatementFalseError",
    "SumProof",
    "prove_equal_logs",
    "prove_schnorr",
    "verify_equal_logs",
    "verify_schnorr",
]

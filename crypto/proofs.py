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

from crypto.elgamal import Ciphertext, encrypt
from crypto.errors import CryptoError
from crypto.group import SCALAR_BYTES, Point, RandomScalars, Scalar, hash_to_scalar

#: Domains (``"ballot/v1/" + domain`` is the tag hashed first).
SCHNORR_DOMAIN: Final[str] = "proof/schnorr"
DISJUNCTIVE_DOMAIN: Final[str] = "proof/zero-or-one"
SUM_ONE_DOMAIN: Final[str] = "proof/sum-one"
DECRYPTION_DOMAIN: Final[str] = "proof/decryption"


class ProofError(CryptoError):
    """A proof does not verify (or cannot be decoded)."""

    code = "proof_invalid"


class StatementFalseError(CryptoError):
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

    def __reduce__(self) -> tuple[type[ChaumPedersenProof], tuple[Scalar, Scalar]]:
        # Plain constructor: several times faster to unpickle than dataclass state.
        return (ChaumPedersenProof, (self.challenge, self.response))

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
    if not (_same_point(_mul_base_or_point(g1, secret), h1) and _same_point(g2 * secret, h2)):
        raise StatementFalseError(f"{domain}: the two discrete logarithms differ from the secret")
    w = rng()
    c = _cp_challenge(domain, context, g1, h1, g2, h2, _mul_base_or_point(g1, w), g2 * w)
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


# ---------------------------------------------------------------------------------------------
# Disjunctive Chaum–Pedersen: an ElGamal ciphertext encrypts 0 or 1
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisjunctiveProof:
    """Proof that ``(alpha, beta)`` encrypts 0 or 1 under ``K``, in compact form.

    Branch ``j`` (for ``j`` in 0, 1) claims ``(alpha, beta - j·G) = (r·G, r·K)``. The proof is
    the two branch challenges ``c0, c1`` (with ``c0 + c1`` the Fiat–Shamir challenge) and the
    two responses ``v0, v1``. One branch is real, the other simulated; they are
    indistinguishable.
    """

    c0: Scalar
    c1: Scalar
    v0: Scalar
    v1: Scalar

    def __reduce__(self) -> tuple[type[DisjunctiveProof], tuple[Scalar, Scalar, Scalar, Scalar]]:
        # Plain constructor: several times faster to unpickle than dataclass state.
        return (DisjunctiveProof, (self.c0, self.c1, self.v0, self.v1))

    def encode(self) -> bytes:
        """128 bytes: c0 ‖ c1 ‖ v0 ‖ v1."""
        return self.c0.encode() + self.c1.encode() + self.v0.encode() + self.v1.encode()

    @classmethod
    def decode(cls, data: bytes) -> DisjunctiveProof:
        """Inverse of :meth:`encode`; raises :class:`ProofError` on any malformed input."""
        c0, c1, v0, v1 = _decode_scalars(data, 4, "disjunctive proof")
        return cls(c0, c1, v0, v1)


def _zero_or_one_challenge(
    context: bytes,
    key: Point,
    ct: Ciphertext,
    commitments: tuple[Point, Point, Point, Point],
) -> Scalar:
    return hash_to_scalar(
        DISJUNCTIVE_DOMAIN,
        context,
        key.encode(),
        ct.alpha.encode(),
        ct.beta.encode(),
        *(p.encode() for p in commitments),
    )


def _prove_zero_or_one_unchecked(
    key: Point,
    ct: Ciphertext,
    message: int,
    nonce: Scalar,
    context: bytes,
    rng: RandomScalars,
) -> DisjunctiveProof:
    # Branch-free: both branches go through the same operations whatever the vote bit is.
    # Writing the simulated branch f = 1 - m with fake challenge c_f and response v_f as
    # t_f = v_f + c_f·r gives, for both branches j, a_j = t_j·G and
    # b_j = t_j·K + e_j·G with e_j = c_f·(m - j) (zero on the real branch). So the prover
    # draws t0, t1 and c_f, and afterwards v_j = t_j - c_j·r on both branches.
    t = (rng(), rng())
    c_fake = rng()
    m = Scalar.from_int(message)
    one = Scalar.one()
    generator = Point.generator()
    commitments: list[Point] = []
    for j in (0, 1):
        e_j = c_fake * (m - Scalar.from_int(j))
        # (e_j + 1)·G - G: never a multiplication by zero on the real branch, so the
        # code path (libsodium's identity error) does not depend on the vote.
        b_j = key * t[j] + (Point.base_mul(e_j + one) - generator)
        commitments += [Point.base_mul(t[j]), b_j]
    c = _zero_or_one_challenge(
        context, key, ct, (commitments[0], commitments[1], commitments[2], commitments[3])
    )
    c1 = m * (c - c_fake) + (one - m) * c_fake
    c0 = c - c1
    return DisjunctiveProof(c0, c1, t[0] - c0 * nonce, t[1] - c1 * nonce)


def prove_zero_or_one(
    key: Point,
    ct: Ciphertext,
    message: int,
    nonce: Scalar,
    context: bytes,
    rng: RandomScalars,
) -> DisjunctiveProof:
    """Prove that ``ct = encrypt(key, message, nonce)`` with ``message`` in {0, 1}.

    Draws three scalars from ``rng``, in this order: ``t0``, ``t1``, ``c_fake``.
    Refuses (:class:`StatementFalseError`) if ``message`` is not 0 or 1 or ``ct`` is not that
    encryption: a false statement has no valid proof, and the prover does not try.
    """
    if message not in (0, 1):
        raise StatementFalseError("a disjunctive proof can only show a plaintext of 0 or 1")
    if key.is_identity() or encrypt(key, message, nonce) != ct:
        raise StatementFalseError("the ciphertext is not the encryption of the claimed bit")
    return _prove_zero_or_one_unchecked(key, ct, message, nonce, context, rng)


def verify_zero_or_one(key: Point, ct: Ciphertext, proof: DisjunctiveProof, context: bytes) -> None:
    """Check a 0-or-1 proof; raise :class:`ProofError` if it fails.

    Recomputes ``a_j = v_j·G + c_j·alpha`` and ``b_j = v_j·K + c_j·(beta - j·G)`` for
    j = 0, 1 and checks ``c0 + c1 = H(context, K, alpha, beta, a0, b0, a1, b1)``.
    Cost: 8 scalar multiplications (2 of them by the fixed base ``G``), 5 additions.
    """
    if key.is_identity():
        raise ProofError("the election key must not be the identity")
    p = proof
    a0 = Point.base_mul(p.v0) + ct.alpha * p.c0
    b0 = key * p.v0 + ct.beta * p.c0
    a1 = Point.base_mul(p.v1) + ct.alpha * p.c1
    b1 = key * p.v1 + (ct.beta - Point.generator()) * p.c1
    if _zero_or_one_challenge(context, key, ct, (a0, b0, a1, b1)) != p.c0 + p.c1:
        raise ProofError("the 0-or-1 proof does not verify")


# ---------------------------------------------------------------------------------------------
# The two uses of Chaum–Pedersen: a sum that encrypts exactly 1; a partial decryption
# ---------------------------------------------------------------------------------------------


def prove_sum_one(
    key: Point, total: Ciphertext, nonce_sum: Scalar, context: bytes, rng: RandomScalars
) -> SumProof:
    """Prove that ``total`` encrypts exactly 1: ``log_G alpha = log_K (beta - G)``.

    ``nonce_sum`` is the sum of the nonces of the summed ciphertexts. Draws one scalar.
    """
    return prove_equal_logs(
        SUM_ONE_DOMAIN,
        nonce_sum,
        Point.generator(),
        total.alpha,
        key,
        total.beta - Point.generator(),
        context,
        rng,
    )


def verify_sum_one(key: Point, total: Ciphertext, proof: SumProof, context: bytes) -> None:
    """Check a sum-to-one proof (4 scalar multiplications); raise :class:`ProofError`."""
    if key.is_identity():
        raise ProofError("the election key must not be the identity")
    verify_equal_logs(
        SUM_ONE_DOMAIN,
        Point.generator(),
        total.alpha,
        key,
        total.beta - Point.generator(),
        proof,
        context,
    )


def prove_decryption(
    key_share: Scalar,
    verification_key: Point,
    alpha: Point,
    partial: Point,
    context: bytes,
    rng: RandomScalars,
) -> DecryptionProof:
    """Prove ``partial = s·alpha`` where ``verification_key = s·G``. Draws one scalar."""
    return prove_equal_logs(
        DECRYPTION_DOMAIN,
        key_share,
        Point.generator(),
        verification_key,
        alpha,
        partial,
        context,
        rng,
    )


def verify_decryption(
    verification_key: Point,
    alpha: Point,
    partial: Point,
    proof: DecryptionProof,
    context: bytes,
) -> None:
    """Check a partial-decryption proof (4 scalar multiplications); raise :class:`ProofError`."""
    if verification_key.is_identity():
        raise ProofError("a teller's verification key must not be the identity")
    verify_equal_logs(
        DECRYPTION_DOMAIN, Point.generator(), verification_key, alpha, partial, proof, context
    )


__all__ = [
    "DECRYPTION_DOMAIN",
    "DISJUNCTIVE_DOMAIN",
    "SCHNORR_DOMAIN",
    "SUM_ONE_DOMAIN",
    "ChaumPedersenProof",
    "DecryptionProof",
    "DisjunctiveProof",
    "ProofError",
    "SchnorrProof",
    "StatementFalseError",
    "SumProof",
    "prove_decryption",
    "prove_equal_logs",
    "prove_schnorr",
    "prove_sum_one",
    "prove_zero_or_one",
    "verify_decryption",
    "verify_equal_logs",
    "verify_schnorr",
    "verify_sum_one",
    "verify_zero_or_one",
]

"""An encrypted ballot: encrypt, verify, aggregate, encode, sign-bytes and tracking code.

A ballot for a round with options ``o_0 … o_{n-1}`` (the blank option is just one of them) is

* one exponential-ElGamal ciphertext per option under the election key, encrypting 1 for the
  chosen option and 0 for every other one;
* one disjunctive Chaum–Pedersen proof per option that its ciphertext encrypts 0 or 1;
* one Chaum–Pedersen proof that the sum of the ciphertexts encrypts exactly 1.

Every proof is bound to the :class:`BallotContext` (session, round, election key, delegation,
option list) so a ballot cannot be replayed into another round, by another delegation, or
under a re-ordered option list. The byte-level definition is ``docs/verification-spec.md``.

All functions are pure over frozen, picklable values, so :func:`verify_ballot` can run in a
process pool.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from crypto.elgamal import Ciphertext, encrypt, sum_ciphertexts
from crypto.encoding import (
    chaum_pedersen_from_json,
    chaum_pedersen_to_json,
    ciphertext_from_json,
    ciphertext_to_json,
    disjunctive_from_json,
    disjunctive_to_json,
    expect_object,
    list_from_json,
)
from crypto.errors import CryptoError
from crypto.group import (
    POINT_BYTES,
    SCALAR_BYTES,
    GroupError,
    Point,
    RandomScalars,
    Scalar,
    domain_tag,
    frame,
)
from crypto.proofs import (
    DisjunctiveProof,
    ProofError,
    SumProof,
    prove_sum_one,
    prove_zero_or_one,
    verify_sum_one,
    verify_zero_or_one,
)

#: Domains of the two hashes defined here (``"ballot/v1/" + domain``).
SIGNING_DOMAIN: Final[str] = "ballot/signing-message"
TRACKING_DOMAIN: Final[str] = "ballot/tracking-code"

#: Upper bound on the number of options of one ballot (a sanity limit for decoders).
MAX_OPTIONS: Final[int] = 256

#: Bytes of one option record in the binary form: alpha, beta, c0, c1, v0, v1.
OPTION_RECORD_BYTES: Final[int] = 2 * POINT_BYTES + 4 * SCALAR_BYTES
SUM_PROOF_BYTES: Final[int] = 2 * SCALAR_BYTES
SIGNATURE_BYTES: Final[int] = 64

#: Crockford's base32 alphabet (no I, L, O, U): unambiguous when read aloud or copied by hand.
_CROCKFORD: Final[str] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_CODE_BYTES: Final[int] = 10  # 80 bits -> 16 characters in 4 groups of 4

_U32_MAX: Final[int] = 2**32 - 1


class BallotError(CryptoError):
    """Base class of the ballot module's refusals."""

    code = "ballot_invalid"


class InvalidBallot(BallotError):
    """A ballot (or its encoding) is refused; ``code`` says why.

    Codes: ``ballot_malformed`` (undecodable, wrong shape, identity where forbidden),
    ``ballot_option_count`` (not one ciphertext per option of the round),
    ``ballot_proof_invalid`` (a 0-or-1 proof or the sum proof fails),
    ``ballot_choice_invalid`` (the encryptor was given a choice outside the options),
    ``ballot_context_invalid`` (an unusable :class:`BallotContext`).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[InvalidBallot], tuple[str, str]]:
        # Exceptions pickle through their args; keep the code across a process pool.
        return (type(self), (self.code, str(self)))


def _u32(value: int) -> bytes:
    return struct.pack(">I", value)


def _text(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidBallot("ballot_context_invalid", f"{what} must be a non-empty string")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise InvalidBallot("ballot_context_invalid", f"{what} is not valid Unicode") from exc


@dataclass(frozen=True, slots=True)
class BallotContext:
    """Everything a ballot's proofs are bound to.

    ``options`` is the ordered option list of the round (candidates and the blank option, or
    yes / no / blank); a ballot's i-th ciphertext is for ``options[i]``.
    """

    session_id: str
    round_number: int
    election_key: Point
    delegation_id: str
    options: tuple[str, ...]
    #: :meth:`encode`, once computed: every proof of the ballot and its signing message
    #: hash it (five times for three options), and the value is frozen.
    _encoded: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _text(self.session_id, "session_id")
        _text(self.delegation_id, "delegation_id")
        if (
            not isinstance(self.round_number, int)
            or isinstance(self.round_number, bool)
            or not 0 <= self.round_number <= _U32_MAX
        ):
            raise InvalidBallot("ballot_context_invalid", "round_number must be a u32")
        if not isinstance(self.election_key, Point) or self.election_key.is_identity():
            raise InvalidBallot(
                "ballot_context_invalid", "the election key must be a non-identity point"
            )
        if not isinstance(self.options, tuple) or not 1 <= len(self.options) <= MAX_OPTIONS:
            raise InvalidBallot(
                "ballot_context_invalid", f"options must be a tuple of 1 to {MAX_OPTIONS} names"
            )
        for i, option in enumerate(self.options):
            _text(option, f"options[{i}]")
        if len(set(self.options)) != len(self.options):
            raise InvalidBallot("ballot_context_invalid", "options must be distinct")

    def encode(self) -> bytes:
        """Canonical bytes, hashed into every Fiat–Shamir challenge of the ballot.

        ``frame(session_id, u32be(round_number), election_key, delegation_id,
        frame(option_0, …, option_{n-1}))`` with strings as their UTF-8 bytes (no
        normalisation).
        """
        if not self._encoded:
            encoded = frame(
                self.session_id.encode("utf-8"),
                _u32(self.round_number),
                self.election_key.encode(),
                self.delegation_id.encode("utf-8"),
                frame(*(option.encode("utf-8") for option in self.options)),
            )
            object.__setattr__(self, "_encoded", encoded)
        return self._encoded


@dataclass(frozen=True, slots=True)
class EncryptedBallot:
    """One ciphertext and one 0-or-1 proof per option, plus the sum-to-one proof."""

    ciphertexts: tuple[Ciphertext, ...]
    proofs: tuple[DisjunctiveProof, ...]
    sum_proof: SumProof

    def __reduce__(
        self,
    ) -> tuple[
        type[EncryptedBallot], tuple[tuple[Ciphertext, ...], tuple[DisjunctiveProof, ...], SumProof]
    ]:
        # Plain constructor: several times faster to unpickle than dataclass state (the API's
        # workers hand every decoded ballot back to the server process).
        return (EncryptedBallot, (self.ciphertexts, self.proofs, self.sum_proof))

    def __post_init__(self) -> None:
        if not isinstance(self.ciphertexts, tuple) or not isinstance(self.proofs, tuple):
            raise InvalidBallot("ballot_malformed", "ciphertexts and proofs must be tuples")
        if not 1 <= len(self.ciphertexts) <= MAX_OPTIONS:
            raise InvalidBallot("ballot_malformed", f"a ballot has 1 to {MAX_OPTIONS} options")
        if len(self.proofs) != len(self.ciphertexts):
            raise InvalidBallot("ballot_malformed", "one 0-or-1 proof per ciphertext is required")

    @property
    def n_options(self) -> int:
        """The number of options (ciphertexts) of this ballot."""
        return len(self.ciphertexts)


def option_context(ctx: BallotContext, index: int) -> bytes:
    """The context of option ``index``'s 0-or-1 proof: ``frame(ctx.encode(), u32be(index))``."""
    return frame(ctx.encode(), _u32(index))


def sum_context(ctx: BallotContext, ciphertexts: Iterable[Ciphertext]) -> bytes:
    """The context of the sum proof: ``frame(ctx.encode(), frame(alpha_0‖beta_0, …))``."""
    return frame(ctx.encode(), frame(*(ct.encode() for ct in ciphertexts)))


def encrypt_ballot(
    ctx: BallotContext, choice: int, rng: RandomScalars = Scalar.random
) -> EncryptedBallot:
    """Encrypt a vote for ``ctx.options[choice]`` with all proofs.

    Scalars are drawn from ``rng`` in this order (test vectors depend on it): the nonces
    ``r_0 … r_{n-1}``; then for each option i in order ``t0_i, t1_i, cfake_i``; then the
    sum proof's witness ``w``.
    """
    return encrypt_ballot_with_nonces(ctx, choice, rng)[0]


def encrypt_ballot_with_nonces(
    ctx: BallotContext, choice: int, rng: RandomScalars = Scalar.random
) -> tuple[EncryptedBallot, tuple[Scalar, ...]]:
    """:func:`encrypt_ballot`, and the nonces ``r_i`` it encrypted each option with: kept only
    until the delegation decides to cast (then forgotten) or to challenge the ballot (then
    revealed, :mod:`crypto.challenge`)."""
    n = len(ctx.options)
    if not isinstance(choice, int) or isinstance(choice, bool) or not 0 <= choice < n:
        raise InvalidBallot("ballot_choice_invalid", f"choice must be an index in [0, {n})")
    key = ctx.election_key
    nonces = [rng() for _ in range(n)]
    # The bits are secret only through which index is 1; the loop shape does not depend on it.
    bits = [int(i == choice) for i in range(n)]
    ciphertexts = tuple(encrypt(key, bits[i], nonces[i]) for i in range(n))
    proofs = tuple(
        prove_zero_or_one(key, ciphertexts[i], bits[i], nonces[i], option_context(ctx, i), rng)
        for i in range(n)
    )
    nonce_sum = Scalar.zero()
    for r in nonces:
        nonce_sum = nonce_sum + r
    total = sum_ciphertexts(ciphertexts)
    sum_proof = prove_sum_one(key, total, nonce_sum, sum_context(ctx, ciphertexts), rng)
    return EncryptedBallot(ciphertexts, proofs, sum_proof), tuple(nonces)


def verify_ballot(ctx: BallotContext, ballot: EncryptedBallot) -> None:
    """Check a ballot against its context; raise :class:`InvalidBallot` if it is not valid.

    Cost for n options: 8n + 4 scalar multiplications (2n + 1 of them by the fixed base G),
    i.e. 28 for three options; see the verification spec for the count. Stops at the first
    check that fails (:func:`ballot_failures` goes on, to report them all).
    """
    for failure in _failures(ctx, ballot):
        raise failure


def ballot_failures(ctx: BallotContext, ballot: EncryptedBallot) -> list[InvalidBallot]:
    """Every check of :func:`verify_ballot` that fails, in the order it makes them: each
    option's 0-or-1 proof, then the sum proof (or the one structural fault that stops them).

    For a verifier's report: a ballot replayed into another context, or whose proofs were
    swapped in, fails several proofs, and naming every one tells which (``[]``: valid). Costs
    as much as :func:`verify_ballot` on a valid ballot, so only failed ballots are worth it.
    """
    return list(_failures(ctx, ballot))


def _failures(ctx: BallotContext, ballot: EncryptedBallot) -> Iterator[InvalidBallot]:
    # One generator for both: verify_ballot takes the first and stops there (no proof
    # after a failing one is verified), ballot_failures takes them all.
    if not isinstance(ballot, EncryptedBallot):
        raise InvalidBallot("ballot_malformed", "not an EncryptedBallot")  # a caller's bug
    n = len(ctx.options)
    if ballot.n_options != n:
        yield InvalidBallot(
            "ballot_option_count", f"the round has {n} options, the ballot {ballot.n_options}"
        )
        return
    for i, ct in enumerate(ballot.ciphertexts):
        if ct.alpha.is_identity():
            yield InvalidBallot("ballot_malformed", f"option {i}: alpha is the identity")
            return
    key = ctx.election_key
    for i, (ct, proof) in enumerate(zip(ballot.ciphertexts, ballot.proofs, strict=True)):
        try:
            verify_zero_or_one(key, ct, proof, option_context(ctx, i))
        except ProofError as exc:
            yield _caused(InvalidBallot("ballot_proof_invalid", f"option {i}: {exc}"), exc)
    total = sum_ciphertexts(ballot.ciphertexts)
    try:
        verify_sum_one(key, total, ballot.sum_proof, sum_context(ctx, ballot.ciphertexts))
    except ProofError as exc:
        yield _caused(InvalidBallot("ballot_proof_invalid", f"sum of the options: {exc}"), exc)


def _caused(failure: InvalidBallot, cause: ProofError) -> InvalidBallot:
    """``failure`` as ``raise failure from cause`` would leave it."""
    failure.__cause__ = cause
    failure.__suppress_context__ = True
    return failure


def aggregate(ballots: Iterable[EncryptedBallot], n_options: int) -> tuple[Ciphertext, ...]:
    """The per-option homomorphic sum of ``ballots`` (all must have ``n_options`` options).

    The aggregate of no ballots is ``n_options`` copies of ``Ciphertext.zero()``.
    """
    alphas = [Point.identity()] * n_options
    betas = [Point.identity()] * n_options
    for ballot in ballots:
        if ballot.n_options != n_options:
            raise InvalidBallot(
                "ballot_option_count",
                f"cannot aggregate a {ballot.n_options}-option ballot into {n_options} options",
            )
        for i, ct in enumerate(ballot.ciphertexts):
            alphas[i] = alphas[i] + ct.alpha
            betas[i] = betas[i] + ct.beta
    return tuple(Ciphertext(a, b) for a, b in zip(alphas, betas, strict=True))


# -- binary form -----------------------------------------------------------------------------


def ballot_to_bytes(ballot: EncryptedBallot) -> bytes:
    """Canonical binary form.

    ``u32be(n) ‖ n × (alpha ‖ beta ‖ c0 ‖ c1 ‖ v0 ‖ v1) ‖ sum.challenge ‖ sum.response``:
    ``4 + 192·n + 64`` bytes.
    """
    out = bytearray(_u32(ballot.n_options))
    for ct, proof in zip(ballot.ciphertexts, ballot.proofs, strict=True):
        out += ct.encode()
        out += proof.encode()
    out += ballot.sum_proof.encode()
    return bytes(out)


def ballot_from_bytes(data: bytes) -> EncryptedBallot:
    """Strict inverse of :func:`ballot_to_bytes`; raises :class:`InvalidBallot`.

    Alphas must not be the identity; betas may be (see :meth:`Ciphertext.decode`).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidBallot("ballot_malformed", "a ballot must be bytes")
    raw = bytes(data)
    if len(raw) < 4:
        raise InvalidBallot("ballot_malformed", "truncated ballot")
    (n,) = struct.unpack(">I", raw[:4])
    if not 1 <= n <= MAX_OPTIONS:
        raise InvalidBallot("ballot_malformed", f"a ballot has 1 to {MAX_OPTIONS} options")
    if len(raw) != 4 + n * OPTION_RECORD_BYTES + SUM_PROOF_BYTES:
        raise InvalidBallot("ballot_malformed", f"wrong length for a {n}-option ballot")
    cts: list[Ciphertext] = []
    proofs: list[DisjunctiveProof] = []
    where = "sum proof"
    try:
        for i in range(n):
            where = f"option {i}"
            start = 4 + i * OPTION_RECORD_BYTES
            record = raw[start : start + OPTION_RECORD_BYTES]
            cts.append(Ciphertext.decode(record[: 2 * POINT_BYTES]))
            proofs.append(DisjunctiveProof.decode(record[2 * POINT_BYTES :]))
        where = "sum proof"
        sum_proof = SumProof.decode(raw[4 + n * OPTION_RECORD_BYTES :])
    except (GroupError, ProofError) as exc:
        raise InvalidBallot("ballot_malformed", f"{where}: {exc}") from exc
    return EncryptedBallot(tuple(cts), tuple(proofs), sum_proof)


# -- JSON form -------------------------------------------------------------------------------

_BALLOT_KEYS: Final = ("ciphertexts", "proofs", "sum_proof")


def ballot_to_json(ballot: EncryptedBallot) -> dict[str, object]:
    """``{"ciphertexts": [{alpha, beta}…], "proofs": [{c0, c1, v0, v1}…],
    "sum_proof": {challenge, response}}``, every value base64url without padding."""
    return {
        "ciphertexts": [ciphertext_to_json(ct) for ct in ballot.ciphertexts],
        "proofs": [disjunctive_to_json(p) for p in ballot.proofs],
        "sum_proof": chaum_pedersen_to_json(ballot.sum_proof),
    }


def ballot_from_json(obj: object) -> EncryptedBallot:
    """Strict inverse of :func:`ballot_to_json`; raises :class:`InvalidBallot`.

    Unknown or missing keys, wrong lengths, non-canonical scalars or points and identity
    alphas are all ``ballot_malformed``; the underlying error is chained as ``__cause__``.
    """
    try:
        fields = expect_object(obj, _BALLOT_KEYS, "ballot")
        cts = list_from_json(fields["ciphertexts"], ciphertext_from_json, "ciphertexts")
        proofs = list_from_json(fields["proofs"], disjunctive_from_json, "proofs")
        sum_proof = chaum_pedersen_from_json(fields["sum_proof"], "sum_proof")
    except GroupError as exc:
        raise InvalidBallot("ballot_malformed", str(exc)) from exc
    return EncryptedBallot(cts, proofs, sum_proof)


# -- signing message and tracking code -------------------------------------------------------


def signing_message(ctx: BallotContext, ballot: EncryptedBallot) -> bytes:
    """The bytes a delegation signs with Ed25519 when casting ``ballot``.

    ``frame("ballot/v1/ballot/signing-message", ctx.encode(), ballot_to_bytes(ballot))``.
    """
    return frame(domain_tag(SIGNING_DOMAIN), ctx.encode(), ballot_to_bytes(ballot))


def tracking_hash(ctx: BallotContext, ballot: EncryptedBallot, signature: bytes) -> bytes:
    """SHA-256 of the framed signed ballot: the full receipt value (32 bytes).

    ``SHA-256(frame("ballot/v1/ballot/tracking-code", signing_message, signature))``.
    """
    return tracking_hash_of_message(signing_message(ctx, ballot), signature)


def tracking_hash_of_message(message: bytes, signature: bytes) -> bytes:
    """:func:`tracking_hash` from an already computed :func:`signing_message`."""
    if not isinstance(signature, bytes | bytearray) or len(signature) != SIGNATURE_BYTES:
        raise InvalidBallot("ballot_malformed", f"a signature is {SIGNATURE_BYTES} bytes")
    return hashlib.sha256(frame(domain_tag(TRACKING_DOMAIN), message, bytes(signature))).digest()


def render_tracking_code(digest: bytes) -> str:
    """The short, human-friendly rendering of a tracking hash.

    The first 10 bytes (80 bits) in Crockford base32, most significant bit first: 16
    characters in four groups of four joined by ``-``, e.g. ``7KQ3-M0ZD-…``.
    """
    value = int.from_bytes(digest[:TRACKING_CODE_BYTES], "big")
    chars = [_CROCKFORD[(value >> (5 * (15 - i))) & 31] for i in range(16)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))


def tracking_code(ctx: BallotContext, ballot: EncryptedBallot, signature: bytes) -> str:
    """The receipt shown to the delegation: :func:`render_tracking_code` of the tracking hash."""
    return render_tracking_code(tracking_hash(ctx, ballot, signature))


__all__ = [
    "MAX_OPTIONS",
    "BallotContext",
    "BallotError",
    "EncryptedBallot",
    "InvalidBallot",
    "aggregate",
    "ballot_failures",
    "ballot_from_bytes",
    "ballot_from_json",
    "ballot_to_bytes",
    "ballot_to_json",
    "encrypt_ballot",
    "option_context",
    "render_tracking_code",
    "signing_message",
    "sum_context",
    "tracking_code",
    "tracking_hash",
    "verify_ballot",
]

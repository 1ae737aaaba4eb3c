#!/usr/bin/env python3
"""Write the crypto test vectors ``tests/vectors/*.json`` deterministically.

Every random scalar comes from :func:`crypto.group.seeded_scalars` with a fixed seed, so the
output is byte-for-byte reproducible, by this script and by any independent implementation
of ``docs/verification-spec.md`` (the browser client must reproduce them). Raw bytes are
lowercase hex; the ``*_json`` fields are the JSON wire forms (base64url without padding).
Every vector carries its inputs (seeds, contexts, the scalars drawn, in order) and the
intermediate values (commitments, hash inputs, challenges) as well as the outputs.

Usage: ``python scripts/make_vectors.py`` (write) or ``--check`` (exit 1 if a file differs).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ballot.ledger import (
    Checkpoint,
    SignedReceipt,
    ballot_set_proof,
    log_root,
    make_checkpoint,
    receipt_proof,
    verify_counted_receipt,
    verify_published_receipt,
)
from crypto import ballot as cb
from crypto import merkle
from crypto.elgamal import Ciphertext, encrypt, message_point, sum_ciphertexts
from crypto.encoding import b64e
from crypto.group import (
    DOMAIN_PREFIX,
    L,
    Point,
    RandomScalars,
    Scalar,
    domain_tag,
    frame,
    hash_to_point,
    hash_to_scalar,
    seeded_scalars,
)
from crypto.proofs import (
    DECRYPTION_DOMAIN,
    DISJUNCTIVE_DOMAIN,
    SCHNORR_DOMAIN,
    SUM_ONE_DOMAIN,
    ChaumPedersenProof,
    DisjunctiveProof,
    _prove_zero_or_one_unchecked,
    prove_decryption,
    prove_schnorr,
    prove_sum_one,
    prove_zero_or_one,
)
from crypto.signing import SigningKey
from crypto.tally import (
    TallyContext,
    combine,
    compute_share,
    decryption_context,
    lagrange_coefficient,
    share_to_json,
)
from events import GENESIS_HASH, InvalidPayload, RecordedEvent, canonical_json
from events.exchange import record_to_line

Json = dict[str, Any]

VECTOR_DIR = Path(__file__).resolve().parent.parent / "tests" / "vectors"
FORMAT_VERSION = 1
G = Point.generator()
ONE = Scalar.one()


# -- helpers ---------------------------------------------------------------------------------


def hx(data: bytes | Scalar | Point) -> str:
    """Lowercase hex of bytes or of a scalar's / point's canonical encoding."""
    if isinstance(data, Scalar | Point):
        return data.encode().hex()
    return bytes(data).hex()


def recording(seed: bytes) -> tuple[RandomScalars, list[Scalar]]:
    """``seeded_scalars(seed)`` that also records every scalar it hands out, in order."""
    inner = seeded_scalars(seed)
    drawn: list[Scalar] = []

    def draw() -> Scalar:
        s = inner()
        drawn.append(s)
        return s

    return draw, drawn


def seed_json(seed: bytes) -> Json:
    return {"seed_ascii": seed.decode("ascii"), "seed_hex": seed.hex()}


def hash_input(domain: str, *parts: bytes) -> bytes:
    """The exact bytes SHA-512 is applied to by ``hash_to_scalar(domain, *parts)``."""
    return frame(domain_tag(domain), *parts)


def ct_json(ct: Ciphertext) -> Json:
    return {"alpha": hx(ct.alpha), "beta": hx(ct.beta)}


def ballot_ctx_json(ctx: cb.BallotContext) -> Json:
    return {
        "session_id": ctx.session_id,
        "round_number": ctx.round_number,
        "election_key": hx(ctx.election_key),
        "delegation_id": ctx.delegation_id,
        "options": list(ctx.options),
        "encoded": hx(ctx.encode()),
    }


def dcp_transcript(key: Point, ct: Ciphertext, proof: DisjunctiveProof, context: bytes) -> Json:
    """Commitments recomputed by the verifier equations, the hash input and the challenge."""
    a0 = Point.base_mul(proof.v0) + ct.alpha * proof.c0
    b0 = key * proof.v0 + ct.beta * proof.c0
    a1 = Point.base_mul(proof.v1) + ct.alpha * proof.c1
    b1 = key * proof.v1 + (ct.beta - G) * proof.c1
    parts = [key, ct.alpha, ct.beta, a0, b0, a1, b1]
    data = hash_input(DISJUNCTIVE_DOMAIN, context, *(p.encode() for p in parts))
    challenge = hash_to_scalar(DISJUNCTIVE_DOMAIN, context, *(p.encode() for p in parts))
    assert challenge == proof.c0 + proof.c1
    return {
        "commitments": {"a0": hx(a0), "b0": hx(b0), "a1": hx(a1), "b1": hx(b1)},
        "challenge_input": hx(data),
        "challenge": hx(challenge),
        "proof": {"c0": hx(proof.c0), "c1": hx(proof.c1), "v0": hx(proof.v0), "v1": hx(proof.v1)},
        "encoded": hx(proof.encode()),
    }


def cp_transcript(
    domain: str,
    g1: Point,
    h1: Point,
    g2: Point,
    h2: Point,
    proof: ChaumPedersenProof,
    context: bytes,
) -> Json:
    a1 = g1 * proof.response + h1 * proof.challenge
    a2 = g2 * proof.response + h2 * proof.challenge
    parts = [g1, h1, g2, h2, a1, a2]
    data = hash_input(domain, context, *(p.encode() for p in parts))
    assert hash_to_scalar(domain, context, *(p.encode() for p in parts)) == proof.challenge
    return {
        "commitments": {"a1": hx(a1), "a2": hx(a2)},
        "challenge_input": hx(data),
        "challenge": hx(proof.challenge),
        "response": hx(proof.response),
        "encoded": hx(proof.encode()),
    }


# -- group -----------------------------------------------------------------------------------


def group_vectors() -> Json:
    seed = b"ballot/vectors/group"
    rng = seeded_scalars(seed)
    outputs = [rng() for _ in range(4)]
    a, b = outputs[0], outputs[1]
    p, q = Point.base_mul(outputs[2]), Point.base_mul(outputs[3])
    wide = hashlib.sha512(b"ballot/vectors/wide").digest()
    specials = [0, 1, 2, 3, L - 1]
    frame_cases = [[], [b""], [b"ab", b"c"], [b"a", b"bc"], [bytes(300)]]
    hash_cases = [("test/vector", []), ("test/vector", [b""]), ("proof/schnorr", [b"abc", b"d"])]
    return {
        "description": "ristretto255 scalars and points (RFC 9496), framing, hashing, base64url",
        "order_L": str(L),
        "domain_prefix": DOMAIN_PREFIX.decode(),
        "seeded_scalars": {
            **seed_json(seed),
            "definition": 'hash_to_scalar("test/rng", seed, u64be(i)) for i = 1, 2, …',
            "outputs": [hx(s) for s in outputs],
        },
        "scalar_arithmetic": {
            "a": hx(a),
            "b": hx(b),
            "a_plus_b": hx(a + b),
            "a_minus_b": hx(a - b),
            "a_times_b": hx(a * b),
            "minus_a": hx(-a),
            "inverse_a": hx(a.invert()),
        },
        "from_wide": {"input": hx(wide), "scalar": hx(Scalar.from_wide(wide))},
        "base_mul": [
            {"scalar": hx(Scalar.from_int(n)), "point": hx(Point.base_mul(Scalar.from_int(n)))}
            for n in specials
        ]
        + [{"scalar": hx(s), "point": hx(Point.base_mul(s))} for s in outputs],
        "point_ops": {
            "p": hx(p),
            "q": hx(q),
            "p_plus_q": hx(p + q),
            "p_minus_q": hx(p - q),
            "minus_p": hx(-p),
            "scalar": hx(a),
            "scalar_times_p": hx(p * a),
        },
        "frame": [
            {"parts": [hx(x) for x in parts], "framed": hx(frame(*parts))} for parts in frame_cases
        ],
        "hash_to_scalar": [
            {
                "domain": d,
                "parts": [hx(x) for x in parts],
                "sha512_input": hx(hash_input(d, *parts)),
                "scalar": hx(hash_to_scalar(d, *parts)),
            }
            for d, parts in hash_cases
        ],
        "hash_to_point": [
            {
                "domain": d,
                "parts": [hx(x) for x in parts],
                "point": hx(hash_to_point(d, *parts)),
            }
            for d, parts in hash_cases
        ],
        "invalid_points": [
            {"encoding": "00" * 32, "error": "identity_not_allowed"},
            {"encoding": "ed" + "ff" * 30 + "7f", "error": "invalid_encoding"},
            {"encoding": "ff" * 31 + "7f", "error": "invalid_encoding"},
            {"encoding": "01" + "00" * 31, "error": "invalid_encoding"},
            {
                "encoding": "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
                "error": "invalid_encoding",
            },
            {"encoding": hx(p)[:62], "error": "invalid_encoding"},
        ],
        "invalid_scalars": [
            {"encoding": hx(L.to_bytes(32, "little")), "error": "invalid_encoding"},
            {"encoding": "ff" * 32, "error": "invalid_encoding"},
            {"encoding": "00" * 31, "error": "invalid_encoding"},
        ],
        "base64url": [
            {"bytes": hx(x), "text": b64e(x)}
            for x in (b"", b"\xfb", b"\xfb\xff", b"\xfb\xff\xfe", p.encode())
        ],
        "invalid_base64url": ["-_8=", "-_9", "+/8", "a", "ab c", "AA==", "AAB"],
    }


# -- ElGamal -------------------------------------------------------------------------------


def elgamal_vectors() -> Json:
    seed = b"ballot/vectors/elgamal"
    rng = seeded_scalars(seed)
    k = rng()
    key = Point.base_mul(k)
    cases = []
    cts = []
    for m in (0, 1, 1, 5):
        r = rng()
        ct = encrypt(key, m, r)
        cts.append(ct)
        cases.append({"message": m, "nonce": hx(r), **ct_json(ct), "encoded": hx(ct.encode())})
    total = sum_ciphertexts(cts)
    return {
        "description": "exponential ElGamal: (alpha, beta) = (r·G, m·G + r·K); sums add messages",
        **seed_json(seed),
        "draw_order": "secret_key, then one nonce per encryption",
        "secret_key": hx(k),
        "election_key": hx(key),
        "encryptions": cases,
        "sum": {**ct_json(total), "message": 7, "message_point": hx(message_point(7))},
        "zero": ct_json(Ciphertext.zero()),
        "message_points": [{"message": m, "point": hx(message_point(m))} for m in (0, 1, 2, 100)],
    }


# -- proofs ------------------------------------------------------------------------------------


def proof_vectors() -> Json:
    out: Json = {
        "description": "compact Fiat–Shamir proofs: Schnorr, 0-or-1, sum-to-one, decryption",
        "response_convention": "response = witness - challenge·secret",
    }

    schnorr = []
    for i in range(2):
        seed = f"ballot/vectors/schnorr/{i}".encode()
        rng, drawn = recording(seed)
        x = rng()
        public = Point.base_mul(x)
        context = f"dkg/teller/{i + 1}".encode()
        proof = prove_schnorr(x, public, context, rng)
        w = drawn[1]
        commitment = Point.base_mul(w)
        schnorr.append(
            {
                **seed_json(seed),
                "draw_order": "secret, witness",
                "secret": hx(x),
                "public": hx(public),
                "context": hx(context),
                "witness": hx(w),
                "commitment": hx(commitment),
                "challenge_input": hx(
                    hash_input(SCHNORR_DOMAIN, context, public.encode(), commitment.encode())
                ),
                "challenge": hx(proof.challenge),
                "response": hx(proof.response),
                "encoded": hx(proof.encode()),
            }
        )
    out["schnorr"] = schnorr

    zero_or_one = []
    for m in (0, 1):
        seed = f"ballot/vectors/zero-or-one/{m}".encode()
        rng, drawn = recording(seed)
        k = rng()
        key = Point.base_mul(k)
        r = rng()
        ct = encrypt(key, m, r)
        context = b"example context"
        dcp = prove_zero_or_one(key, ct, m, r, context, rng)
        t0, t1, c_fake = drawn[2:5]
        zero_or_one.append(
            {
                **seed_json(seed),
                "draw_order": "secret_key, nonce, t0, t1, c_fake",
                "secret_key": hx(k),
                "election_key": hx(key),
                "message": m,
                "nonce": hx(r),
                "ciphertext": ct_json(ct),
                "context": hx(context),
                "t0": hx(t0),
                "t1": hx(t1),
                "c_fake": hx(c_fake),
                **dcp_transcript(key, ct, dcp, context),
            }
        )
    out["zero_or_one"] = zero_or_one

    seed = b"ballot/vectors/sum-one"
    rng, drawn = recording(seed)
    key = Point.base_mul(rng())
    nonces = [rng() for _ in range(3)]
    cts = [encrypt(key, m, r) for m, r in zip((0, 1, 0), nonces, strict=True)]
    total = sum_ciphertexts(cts)
    r_sum = nonces[0] + nonces[1] + nonces[2]
    context = b"example context"
    sum_proof = prove_sum_one(key, total, r_sum, context, rng)
    out["sum_one"] = {
        **seed_json(seed),
        "draw_order": "secret_key, nonce_0, nonce_1, nonce_2, witness",
        "secret_key": hx(drawn[0]),
        "election_key": hx(key),
        "messages": [0, 1, 0],
        "ciphertexts": [ct_json(ct) for ct in cts],
        "total": ct_json(total),
        "nonce_sum": hx(r_sum),
        "witness": hx(drawn[4]),
        "context": hx(context),
        **cp_transcript(SUM_ONE_DOMAIN, G, total.alpha, key, total.beta - G, sum_proof, context),
    }

    seed = b"ballot/vectors/decryption"
    rng, drawn = recording(seed)
    s = rng()
    vk = Point.base_mul(s)
    alpha = Point.base_mul(rng())
    partial = alpha * s
    dec_proof = prove_decryption(s, vk, alpha, partial, context, rng)
    out["decryption"] = {
        **seed_json(seed),
        "draw_order": "key_share, alpha's discrete log, witness",
        "key_share": hx(s),
        "verification_key": hx(vk),
        "alpha": hx(alpha),
        "partial": hx(partial),
        "witness": hx(drawn[2]),
        "context": hx(context),
        **cp_transcript(DECRYPTION_DOMAIN, G, vk, alpha, partial, dec_proof, context),
    }
    return out


# -- ballots -----------------------------------------------------------------------------------

ELECTION_SEED = b"ballot/vectors/election-key"
SIGNING_SEED = b"ballot/vectors/delegation-signing-key"


def election_key() -> tuple[Scalar, Point]:
    k = seeded_scalars(ELECTION_SEED)()
    return k, Point.base_mul(k)


def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(SIGNING_SEED).digest())


def ballot_context(n: int, **changes: Any) -> cb.BallotContext:
    names = ("Ana Ruiz", "Bao Chen", "Chidi Okafor", "Dana Novak", "Émile Durand")[: n - 1]
    ctx = cb.BallotContext(
        "council-2025-06/session-1", 2, election_key()[1], "delegation:FR", (*names, "blank")
    )
    return dataclasses.replace(ctx, **changes)


def valid_ballot(n: int, choice: int) -> Json:
    ctx = ballot_context(n)
    seed = f"ballot/vectors/ballot/{n}".encode()
    rng, drawn = recording(seed)
    ballot = cb.encrypt_ballot(ctx, choice, rng)
    cb.verify_ballot(ctx, ballot)
    key = ctx.election_key
    options = []
    for i, (ct, proof) in enumerate(zip(ballot.ciphertexts, ballot.proofs, strict=True)):
        options.append(
            {
                "index": i,
                "name": ctx.options[i],
                "message": int(i == choice),
                "nonce": hx(drawn[i]),
                "t0": hx(drawn[n + 3 * i]),
                "t1": hx(drawn[n + 3 * i + 1]),
                "c_fake": hx(drawn[n + 3 * i + 2]),
                "ciphertext": ct_json(ct),
                "proof_context": hx(cb.option_context(ctx, i)),
                **dcp_transcript(key, ct, proof, cb.option_context(ctx, i)),
            }
        )
    total = sum_ciphertexts(ballot.ciphertexts)
    r_sum = Scalar.zero()
    for r in drawn[:n]:
        r_sum = r_sum + r
    sum_ctx = cb.sum_context(ctx, ballot.ciphertexts)
    signature = signing_key().sign(cb.signing_message(ctx, ballot))
    return {
        "name": f"{n} options, choice {choice}",
        "context": ballot_ctx_json(ctx),
        "choice": choice,
        **seed_json(seed),
        "draws": [hx(s) for s in drawn],
        "options": options,
        "sum": {
            "total": ct_json(total),
            "nonce_sum": hx(r_sum),
            "witness": hx(drawn[4 * n]),
            "proof_context": hx(sum_ctx),
            **cp_transcript(
                SUM_ONE_DOMAIN, G, total.alpha, key, total.beta - G, ballot.sum_proof, sum_ctx
            ),
        },
        "ballot_bytes": hx(cb.ballot_to_bytes(ballot)),
        "ballot_json": cb.ballot_to_json(ballot),
        "signing_message": hx(cb.signing_message(ctx, ballot)),
        "signature": hx(signature),
        "tracking_hash": hx(cb.tracking_hash(ctx, ballot, signature)),
        "tracking_code": cb.tracking_code(ctx, ballot, signature),
    }


def _replace_at(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def invalid_ballots() -> list[Json]:
    """Tampered or malformed 3-option ballots with the error a verifier must report."""
    ctx = ballot_context(3)
    ballot = cb.encrypt_ballot(ctx, 1, seeded_scalars(b"ballot/vectors/ballot/3"))
    raw = cb.ballot_to_bytes(ballot)
    cases: list[Json] = []

    def add(
        name: str,
        expected: str,
        data: bytes | None = None,
        *,
        context: Any = ctx,
        json_form: Json | None = None,
    ) -> None:
        case: Json = {"name": name, "context": ballot_ctx_json(context)}
        if json_form is not None:
            case["ballot_json"] = json_form
        else:
            case["ballot_bytes"] = hx(raw if data is None else data)
        case["expected_error"] = expected
        cases.append(case)

    rec = 4  # offset of option 0's record
    size = cb.OPTION_RECORD_BYTES

    def g_plus(point: Point) -> bytes:
        return (point + G).encode()

    ct0 = ballot.ciphertexts[0]
    add("option 0 alpha + G", "ballot_proof_invalid", _replace_at(raw, rec, g_plus(ct0.alpha)))
    add("option 0 beta + G", "ballot_proof_invalid", _replace_at(raw, rec + 32, g_plus(ct0.beta)))
    for k, field in enumerate(("c0", "c1", "v0", "v1")):
        p = ballot.proofs[1]
        bumped = (getattr(p, field) + ONE).encode()
        add(
            f"option 1 {field} + 1",
            "ballot_proof_invalid",
            _replace_at(raw, rec + size + 64 + 32 * k, bumped),
        )
    s = ballot.sum_proof
    add(
        "sum challenge + 1",
        "ballot_proof_invalid",
        _replace_at(raw, len(raw) - 64, (s.challenge + ONE).encode()),
    )
    add(
        "sum response + 1",
        "ballot_proof_invalid",
        _replace_at(raw, len(raw) - 32, (s.response + ONE).encode()),
    )
    swapped = (
        raw[:rec] + raw[rec + size : rec + 2 * size] + raw[rec : rec + size] + raw[rec + 2 * size :]
    )
    add("option records 0 and 1 swapped", "ballot_proof_invalid", swapped)
    add(
        "replayed in the next round",
        "ballot_proof_invalid",
        context=ballot_context(3, round_number=3),
    )
    add(
        "cast by another delegation",
        "ballot_proof_invalid",
        context=ballot_context(3, delegation_id="delegation:ES"),
    )
    add(
        "another session",
        "ballot_proof_invalid",
        context=ballot_context(3, session_id="council-2025-06/session-2"),
    )
    add(
        "another election key",
        "ballot_proof_invalid",
        context=ballot_context(3, election_key=ctx.election_key + G),
    )
    reordered = (ctx.options[1], ctx.options[0], ctx.options[2])
    add(
        "option list re-ordered",
        "ballot_proof_invalid",
        context=ballot_context(3, options=reordered),
    )
    add(
        "round has four options",
        "ballot_option_count",
        context=ballot_context(3, options=(*ctx.options[:2], "Zoe Park", "blank")),
    )
    add("identity alpha", "ballot_malformed", _replace_at(raw, rec, bytes(32)))
    add(
        "non-canonical beta",
        "ballot_malformed",
        _replace_at(raw, rec + 32, bytes.fromhex("ed" + "ff" * 30 + "7f")),
    )
    add(
        "proof scalar not below L",
        "ballot_malformed",
        _replace_at(raw, rec + 64, L.to_bytes(32, "little")),
    )
    add("truncated", "ballot_malformed", raw[:-1])
    add("option count field 0", "ballot_malformed", _replace_at(raw, 0, bytes(4)))
    good_json = cb.ballot_to_json(ballot)
    add("JSON with an unknown key", "ballot_malformed", json_form={**good_json, "note": "x"})
    add(
        "JSON with padded base64url",
        "ballot_malformed",
        json_form={
            **good_json,
            "sum_proof": {
                "challenge": b64e(s.challenge.encode()) + "=",
                "response": b64e(s.response.encode()),
            },
        },
    )

    # Cheating plaintexts, with the honest prover's algorithm run anyway (it normally refuses).
    rng = seeded_scalars(b"ballot/vectors/cheat")
    for name, bits in (("two ones", [1, 1, 0]), ("minus one", [-1, 1, 1])):
        nonces = [rng() for _ in bits]
        cts = tuple(
            Ciphertext(Point.base_mul(r), G * Scalar.from_int(m) + ctx.election_key * r)
            for m, r in zip(bits, nonces, strict=True)
        )
        proofs = tuple(
            _prove_zero_or_one_unchecked(
                ctx.election_key, ct, min(max(m, 0), 1), r, cb.option_context(ctx, i), rng
            )
            for i, (ct, m, r) in enumerate(zip(cts, bits, nonces, strict=True))
        )
        r_sum = nonces[0] + nonces[1] + nonces[2]
        total = sum_ciphertexts(cts)
        w = rng()
        sum_ctx = cb.sum_context(ctx, cts)
        c = hash_to_scalar(
            SUM_ONE_DOMAIN,
            sum_ctx,
            G.encode(),
            total.alpha.encode(),
            ctx.election_key.encode(),
            (total.beta - G).encode(),
            Point.base_mul(w).encode(),
            (ctx.election_key * w).encode(),
        )
        forged = cb.EncryptedBallot(cts, proofs, ChaumPedersenProof(c, w - c * r_sum))
        add(f"plaintexts {bits} ({name})", "ballot_proof_invalid", cb.ballot_to_bytes(forged))
    return cases


def ballot_vectors() -> Json:
    k, key = election_key()
    pk = signing_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "description": "encrypted ballots: valid ones with every intermediate value, and "
        "invalid ones with the error code a verifier must report",
        "election": {**seed_json(ELECTION_SEED), "secret_key": hx(k), "election_key": hx(key)},
        "signing_key": {
            "seed_definition": "SHA-256(seed) is the Ed25519 private key (RFC 8032)",
            **seed_json(SIGNING_SEED),
            "public_key": hx(pk),
        },
        "draw_order": "nonce_0..nonce_{n-1}; then per option i: t0_i, t1_i, c_fake_i; then the "
        "sum proof's witness",
        "valid": [valid_ballot(2, 0), valid_ballot(3, 1), valid_ballot(5, 4)],
        "invalid": invalid_ballots(),
    }


# -- tally -------------------------------------------------------------------------------------


def tally_vectors() -> Json:
    seed = b"ballot/vectors/tally"
    rng = seeded_scalars(seed)
    threshold, n_tellers = 2, 3
    coefficients = [rng() for _ in range(threshold)]
    secret = coefficients[0]
    key = Point.base_mul(secret)
    shares = []
    for i in range(1, n_tellers + 1):
        acc = Scalar.zero()
        for c in reversed(coefficients):
            acc = acc * Scalar.from_int(i) + c
        shares.append(acc)
    vks = [Point.base_mul(s) for s in shares]
    options = ("Ana Ruiz", "Bao Chen", "blank")
    choices = [0, 1, 1, 2, 1, 0, 1]
    bctx = cb.BallotContext("council-2025-06/session-1", 4, key, "delegation:any", options)
    ballots = [
        cb.encrypt_ballot(dataclasses.replace(bctx, delegation_id=f"delegation:{j}"), c, rng)
        for j, c in enumerate(choices)
    ]
    agg = cb.aggregate(ballots, len(options))
    tctx = TallyContext("council-2025-06/session-1", 4, options)
    share_objs = []
    share_vectors = []
    for i in range(1, n_tellers + 1):
        share_rng, drawn = recording(f"ballot/vectors/tally/teller/{i}".encode())
        share = compute_share(tctx, agg, i, shares[i - 1], vks[i - 1], share_rng)
        share_objs.append(share)
        per_option = []
        for j, (ct, partial, proof) in enumerate(
            zip(agg, share.partials, share.proofs, strict=True)
        ):
            dctx = decryption_context(tctx, i, j, ct)
            per_option.append(
                {
                    "option": j,
                    "partial": hx(partial),
                    "witness": hx(drawn[j]),
                    "proof_context": hx(dctx),
                    **cp_transcript(
                        DECRYPTION_DOMAIN, G, vks[i - 1], ct.alpha, partial, proof, dctx
                    ),
                }
            )
        share_vectors.append(
            {
                "teller_index": i,
                **seed_json(f"ballot/vectors/tally/teller/{i}".encode()),
                "draw_order": "one witness per option",
                "options": per_option,
                "share_json": share_to_json(share),
            }
        )
    combinations = []
    for indices in ([1, 2], [3, 1], [2, 3], [1, 2, 3]):
        picked = [share_objs[i - 1] for i in indices]
        lambdas = [lagrange_coefficient(i, indices) for i in indices]
        key_alpha = []
        for j in range(len(options)):
            point = Point.identity()
            for lam, share_obj in zip(lambdas, picked, strict=True):
                point = point + share_obj.partials[j] * lam
            key_alpha.append(point)
        counts = combine(agg, picked, max_count=len(choices))
        combinations.append(
            {
                "indices": indices,
                "lagrange": [hx(x) for x in lambdas],
                "key_times_alpha": [hx(p) for p in key_alpha],
                "count_points": [hx(ct.beta - p) for ct, p in zip(agg, key_alpha, strict=True)],
                "counts": list(counts),
            }
        )
    good = share_objs[1]
    tampered = dataclasses.replace(good, partials=(good.partials[0] + G, *good.partials[1:]))
    return {
        "description": "threshold decryption of an aggregate: shares with proofs, Lagrange "
        "combination at 0, baby-step giant-step",
        **seed_json(seed),
        "draw_order": "the polynomial's coefficients (f(0) first), then the ballots' scalars",
        "threshold": threshold,
        "tellers": n_tellers,
        "polynomial": [hx(c) for c in coefficients],
        "secret_key": hx(secret),
        "election_key": hx(key),
        "key_shares": [
            {"index": i + 1, "share": hx(s), "verification_key": hx(vk)}
            for i, (s, vk) in enumerate(zip(shares, vks, strict=True))
        ],
        "context": {
            "session_id": tctx.session_id,
            "round_number": tctx.round_number,
            "options": list(tctx.options),
            "encoded": hx(tctx.encode()),
        },
        "choices": choices,
        "aggregate": [ct_json(ct) for ct in agg],
        "max_count": len(choices),
        "shares": share_vectors,
        "combinations": combinations,
        "invalid_shares": [
            {
                "name": "teller 2's first partial + G",
                "share_json": share_to_json(tampered),
                "verification_key": hx(vks[1]),
                "expected_error": "share_invalid",
                "teller_index": 2,
            },
            {
                "name": "teller 2's share checked against teller 3's key",
                "share_json": share_to_json(good),
                "verification_key": hx(vks[2]),
                "expected_error": "share_invalid",
                "teller_index": 2,
            },
        ],
        "insufficient": {"indices": [2], "expected_error": "tally_count_out_of_range"},
        "discrete_log": [
            {"point": hx(message_point(v)), "max_value": mx, "value": v}
            for v, mx in ((0, 0), (1, 10), (17, 100), (316, 100_000), (100_000, 100_000))
        ],
        "discrete_log_out_of_range": [
            {
                "point": hx(message_point(11)),
                "max_value": 10,
                "expected_error": "tally_count_out_of_range",
            },
        ],
    }


# -- receipts: event hashes, Merkle inclusion, checkpoints ----------------------------------------

# The certificate-transparency reference leaves (RFC 9162 test data; verification-spec §12.3.6).
CT_LEAVES = ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f")  # fmt: skip
CHECKPOINT_SEED = bytes(range(32))  # the seed of the checkpoint vector of §12.1.4
RECEIPT_TIME = "2026-11-23T17:50:00.123456Z"


def merkle_vectors() -> Json:
    leaves = [merkle.leaf_hash(bytes.fromhex(d)) for d in CT_LEAVES]
    trees = []
    for size in range(1, len(leaves) + 1):
        trees.append(
            {
                "size": size,
                "root": hx(merkle.root(leaves[:size])),
                "proofs": [
                    [hx(p) for p in merkle.inclusion_proof(leaves[:size], i)] for i in range(size)
                ],
            }
        )
    proof = [hx(p) for p in merkle.inclusion_proof(leaves[:7], 2)]
    root7 = hx(merkle.root(leaves[:7]))
    good = {"leaf_hash": hx(leaves[2]), "index": 2, "tree_size": 7, "path": proof, "root": root7}
    flipped = bytearray(bytes.fromhex(proof[1]))
    flipped[0] ^= 1
    invalid = [
        {"name": "index out of range", **good, "index": 7},
        {"name": "another index", **good, "index": 3},
        {"name": "another leaf", **good, "leaf_hash": hx(leaves[3])},
        {"name": "a path hash changed", **good, "path": [proof[0], flipped.hex(), *proof[2:]]},
        {"name": "path too short", **good, "path": proof[:-1]},
        {"name": "path too long", **good, "path": [*proof, proof[0]]},
        {"name": "another root", **good, "root": hx(merkle.root(leaves[:6]))},
        {"name": "empty tree", **good, "index": 0, "tree_size": 0, "path": []},
    ]
    for case in invalid:
        with contextlib.suppress(merkle.MerkleError):
            merkle.verify_inclusion(
                bytes.fromhex(case["leaf_hash"]),
                case["index"],
                case["tree_size"],
                [bytes.fromhex(h) for h in case["path"]],
                bytes.fromhex(case["root"]),
            )
            raise AssertionError(f"invalid Merkle vector verifies: {case['name']}")
    return {
        "leaf_data": list(CT_LEAVES),
        "leaf_hashes": [hx(h) for h in leaves],
        "empty_root": hx(merkle.root([])),
        "trees": trees,
        "valid": good,
        "invalid": invalid,
    }


def canonical_json_vectors() -> Json:
    # Inputs are JSON texts (not canonical: spaces, key order); the output is what the event
    # log stores and hashes. Key "10" sorts before "9" as a string (JavaScript's own property
    # order would put it after); "é" after "z" by code point; non-BMP text is fine in values.
    inputs = [
        '{ "b": 1, "a": [true, false, null], "A": {} }',
        '{"9": 0, "10": 1, "z": "", "\\u00e9": "\\u00e9t\\u00e9", "_": []}',
        r'{"s": "quote \" backslash \\ slash \/ tab \t nl \n cr \r bs \b ff \f"}',
        r'{"ctl": "\u0000\u0001\u001f\u007f\u0080\u2028\u2029\ufeff"}',
        r'{"emoji": "\ud83d\ude00 \u2603", "nested": {"y": [1, {"b": 2, "a": 1}], "x": -0}}',
        '{"max": 9007199254740991, "min": -9007199254740991, "zero": 0, "neg": -42}',
        '[1, "two", [3], {"four": 4}]',
        '"just a string"',
        "12345",
    ]
    cases = [{"input": text, "canonical": canonical_json(json.loads(text))} for text in inputs]
    invalid = [
        {"name": "a fraction", "input": '{"x": 1.5}'},
        {"name": "beyond 2^53 - 1", "input": '{"x": 9007199254740992}'},
        {"name": "below -(2^53 - 1)", "input": "[-9007199254740992]"},
        {"name": "a lone surrogate", "input": r'{"x": "\ud800"}'},
        {"name": "a key outside the BMP", "input": r'{"\ud83d\ude00": 1}'},
    ]
    for case in invalid:
        with contextlib.suppress(InvalidPayload, ValueError):
            value = json.loads(case["input"])
            if isinstance(value, dict) and "x" in value and isinstance(value["x"], float):
                raise InvalidPayload("floats are refused")
            canonical_json(value)
            raise AssertionError(f"invalid canonical JSON vector accepted: {case['name']}")
    return {"valid": cases, "invalid": invalid}


#: The other ballots of the receipt vector's round (their tracking hashes: only these leaves of
#: the round's ballot tree matter to a receipt); the vector's ballot is leaf RECEIPT_LEAF.
RECEIPT_SET_LEAVES = tuple(
    hashlib.sha256(f"ballot/vectors/receipt/other-ballot/{i}".encode()).digest() for i in range(4)
)
RECEIPT_LEAF = 2


def receipt_ballot_hashes(vote: Json) -> list[bytes]:
    """The round's tracking hashes in log order: the vector's ballot is leaf RECEIPT_LEAF."""
    hashes = list(RECEIPT_SET_LEAVES)
    hashes.insert(RECEIPT_LEAF, bytes.fromhex(vote["tracking_hash"]))
    return hashes


def receipt_ballots_root(vote: Json) -> bytes:
    return merkle.root([merkle.leaf_hash(h) for h in receipt_ballot_hashes(vote)])


def receipt_log() -> tuple[list[RecordedEvent], Json]:
    """A small log whose fourth event is a ``BallotCast`` of the 3-option ballot vector."""
    vote = valid_ballot(3, 1)
    ctx = vote["context"]
    log_id = ctx["session_id"]
    checkpoint_key = SigningKey.from_seed(CHECKPOINT_SEED).public_key().encode()
    meta = {"actor": "secretariat", "command": "vectors"}
    cast_payload = {
        "round_number": ctx["round_number"],
        "delegation_id": ctx["delegation_id"],
        "ballot": vote["ballot_json"],
        "signature": b64e(bytes.fromhex(vote["signature"])),
        "tracking_code": vote["tracking_code"],
    }
    events: list[tuple[str, str, Json, Json]] = [
        ("session", "SessionConvened", {"title": "Conseil — séance « spéciale » ☃",
                                        "checkpoint_key": b64e(checkpoint_key)}, meta),
        ("session", "Note", json.loads(canonical_json_vectors()["valid"][2]["canonical"]), meta),
        (f"round-{ctx['round_number']}", "RoundOpened",
         {"round_number": ctx["round_number"], "options": ctx["options"]}, meta),
        (f"ballot-{ctx['round_number']}-{ctx['delegation_id']}", "BallotCast", cast_payload,
         {"actor": f"delegation:{ctx['delegation_id']}", "command": "CastBallot"}),
        ("session", "Note", {"emoji": "😀", "n": -9007199254740991, "ok": True}, meta),
        (f"round-{ctx['round_number']}", "RoundClosed",
         {"round_number": ctx["round_number"], "ballot_count": len(RECEIPT_SET_LEAVES) + 1,
          "ballots_root": b64e(receipt_ballots_root(vote))}, meta),
    ]  # fmt: skip
    records: list[RecordedEvent] = []
    versions: dict[str, int] = {}
    prev = GENESIS_HASH
    for position, (stream, kind, payload, metadata) in enumerate(events, start=1):
        versions[stream] = versions.get(stream, 0) + 1
        draft = RecordedEvent(
            log_id=log_id,
            position=position,
            stream_id=stream,
            stream_version=versions[stream],
            event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"ballot/vectors/receipt/{position}")),
            event_type=kind,
            schema_version=1,
            payload_json=canonical_json(payload),
            metadata_json=canonical_json(metadata),
            recorded_at=RECEIPT_TIME,
            prev_hash=prev,
            hash=bytes(32),
        )
        record = draft._replace(hash=draft.computed_hash())
        records.append(record)
        prev = record.hash
    return records, vote


def receipt_vectors() -> Json:
    records, vote = receipt_log()
    key = SigningKey.from_seed(CHECKPOINT_SEED)
    size = len(records)
    signed = make_checkpoint(records, size, key)
    checkpoint = Checkpoint.from_event(signed)
    cast = next(r for r in records if r.event_type == "BallotCast")
    proof = receipt_proof(records, cast.position, size)
    reply = {
        "tracking_code": vote["tracking_code"],
        "round_number": vote["context"]["round_number"],
        "delegation_id": vote["context"]["delegation_id"],
        "position": cast.position,
        "counted": True,
        "checkpoint": {
            "position": checkpoint.position,
            "head_hash": hx(checkpoint.head_hash),
            "log_root": hx(checkpoint.log_root),
            "signature": b64e(checkpoint.signature),
            "recorded_at_position": size + 1,
        },
        "inclusion_proof": [hx(p) for p in proof],
        "record": record_to_line(cast).decode().removesuffix("\n"),
        "checkpoint_key": b64e(key.public_key().encode()),
    }
    closed = next(r for r in records if r.event_type == "RoundClosed")
    closed_proof = receipt_proof(records, closed.position, size)
    ballot_proof = ballot_set_proof(receipt_ballot_hashes(vote), RECEIPT_LEAF)
    reply["ballot_set"] = {
        "record": record_to_line(closed).decode().removesuffix("\n"),
        "position": closed.position,
        "checkpoint": reply["checkpoint"],
        "inclusion_proof": [hx(p) for p in closed_proof],
        "leaf_index": RECEIPT_LEAF,
        "ballot_proof": [hx(p) for p in ballot_proof],
    }
    ballot = verify_published_receipt(
        vote["tracking_code"], reply["record"], checkpoint, proof, key.public_key().encode()
    )
    verify_counted_receipt(
        ballot,
        reply["ballot_set"]["record"],
        checkpoint,
        closed_proof,
        RECEIPT_LEAF,
        ballot_proof,
        key.public_key().encode(),
        election_key=bytes.fromhex(vote["context"]["election_key"]),
        options=vote["context"]["options"],
    )
    return {
        "description": "receipt verification (docs/event-log.md, verification-spec §12): "
        "canonical JSON, event hashes, RFC 9162 inclusion proofs and a signed checkpoint, "
        "for the browser's static/js/crypto/receipt.js",
        "canonical_json": canonical_json_vectors(),
        "events": [
            {
                "line": record_to_line(r).decode().removesuffix("\n"),
                "canonical_bytes": r.canonical_bytes().decode(),
                "prev_hash": hx(r.prev_hash),
                "hash": hx(r.hash),
            }
            for r in records
        ],
        "merkle": merkle_vectors(),
        "log_root": hx(log_root(records)),
        "checkpoint": {
            "seed": hx(CHECKPOINT_SEED),
            "public_key": hx(key.public_key().encode()),
            "position": checkpoint.position,
            "head_hash": hx(checkpoint.head_hash),
            "log_root": hx(checkpoint.log_root),
            "message": hx(checkpoint.message()),
            "signature": hx(checkpoint.signature),
        },
        "ballot_context": {
            key_: vote["context"][key_]
            for key_ in ("session_id", "round_number", "election_key", "delegation_id", "options")
        },
        "receipt": reply,
        "signed_receipt": _signed_receipt_vector(cast, vote, key),
    }


def _signed_receipt_vector(cast: RecordedEvent, vote: Json, key: SigningKey) -> Json:
    """The signed receipt of the vector's ballot: its message bytes and its file form."""
    receipt = SignedReceipt.sign(
        key,
        session_id=cast.log_id,
        round_number=vote["context"]["round_number"],
        delegation_id=vote["context"]["delegation_id"],
        tracking_code=vote["tracking_code"],
        position=cast.position,
        head_hash=cast.hash,
    )
    return {"message": hx(receipt.message()), "file": receipt.to_json()}


# -- driver ------------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], Json]] = {
    "group.json": group_vectors,
    "elgamal.json": elgamal_vectors,
    "proofs.json": proof_vectors,
    "ballots.json": ballot_vectors,
    "tally.json": tally_vectors,
    "receipts.json": receipt_vectors,
}


def render(vectors: Json) -> str:
    """The file text: 2-space-indented JSON, UTF-8 kept, trailing newline."""
    return (
        json.dumps({"format_version": FORMAT_VERSION, **vectors}, indent=2, ensure_ascii=False)
        + "\n"
    )


def build_all() -> dict[str, str]:
    """``{file name: file text}`` for every vector file."""
    return {name: render(build()) for name, build in BUILDERS.items()}


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) ``tests/vectors/*.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=VECTOR_DIR, help="output directory")
    args = parser.parse_args(argv)
    files = build_all()
    if args.check:
        stale = [
            n
            for n, text in files.items()
            if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"stale: {args.out / name}", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

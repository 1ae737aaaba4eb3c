"""The test vectors in tests/vectors/ are current, and every vector checks out.

The first test re-runs scripts/make_vectors.py and compares the text byte for byte; the
others re-check each vector from its recorded inputs with the library's public functions
(an independent implementation is expected to do the same).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from crypto import ballot as cb
from crypto.elgamal import Ciphertext, encrypt, message_point, sum_ciphertexts
from crypto.encoding import EncodingError, b64d, b64e
from crypto.group import (
    GroupError,
    L,
    Point,
    Scalar,
    frame,
    hash_to_point,
    hash_to_scalar,
    seeded_scalars,
)
from crypto.proofs import (
    ChaumPedersenProof,
    DisjunctiveProof,
    ProofError,
    SchnorrProof,
    verify_decryption,
    verify_schnorr,
    verify_sum_one,
    verify_zero_or_one,
)
from crypto.tally import (
    InvalidShare,
    TallyContext,
    TallyError,
    combine,
    lagrange_coefficient,
    share_from_json,
    small_discrete_log,
    verify_share,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    return data


def sc(hexed: str) -> Scalar:
    return Scalar.decode(bytes.fromhex(hexed))


def pt(hexed: str, *, allow_identity: bool = False) -> Point:
    return Point.decode(bytes.fromhex(hexed), allow_identity=allow_identity)


def ct(obj: dict[str, str]) -> Ciphertext:
    return Ciphertext(pt(obj["alpha"], allow_identity=True), pt(obj["beta"], allow_identity=True))


def test_vectors_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", ROOT / "scripts/make_vectors.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files: dict[str, str] = module.build_all()
    assert sorted(files) == sorted(p.name for p in VECTORS.glob("*.json"))
    for name, text in files.items():
        assert (VECTORS / name).read_text(encoding="utf-8") == text, f"{name} is stale"


# -- group -------------------------------------------------------------------------------------


def test_group_vectors() -> None:
    v = load("group.json")
    assert int(v["order_L"]) == L
    seeded = v["seeded_scalars"]
    rng = seeded_scalars(bytes.fromhex(seeded["seed_hex"]))
    assert [rng().encode().hex() for _ in seeded["outputs"]] == seeded["outputs"]
    ar = v["scalar_arithmetic"]
    a, b = sc(ar["a"]), sc(ar["b"])
    assert (a + b, a - b, a * b, -a, a.invert()) == tuple(
        sc(ar[k]) for k in ("a_plus_b", "a_minus_b", "a_times_b", "minus_a", "inverse_a")
    )
    wide = v["from_wide"]
    assert Scalar.from_wide(bytes.fromhex(wide["input"])) == sc(wide["scalar"])
    assert int.from_bytes(bytes.fromhex(wide["input"]), "little") % L == sc(wide["scalar"]).to_int()
    for case in v["base_mul"]:
        assert Point.base_mul(sc(case["scalar"])).encode().hex() == case["point"]
    ops = v["point_ops"]
    p, q = pt(ops["p"]), pt(ops["q"])
    assert (p + q).encode().hex() == ops["p_plus_q"]
    assert (p - q).encode().hex() == ops["p_minus_q"]
    assert (-p).encode().hex() == ops["minus_p"]
    assert (p * sc(ops["scalar"])).encode().hex() == ops["scalar_times_p"]
    for case in v["frame"]:
        assert frame(*(bytes.fromhex(x) for x in case["parts"])).hex() == case["framed"]
    for case in v["hash_to_scalar"]:
        parts = [bytes.fromhex(x) for x in case["parts"]]
        digest = hashlib.sha512(bytes.fromhex(case["sha512_input"])).digest()
        assert int.from_bytes(digest, "little") % L == sc(case["scalar"]).to_int()
        assert hash_to_scalar(case["domain"], *parts).encode().hex() == case["scalar"]
    for case in v["hash_to_point"]:
        parts = [bytes.fromhex(x) for x in case["parts"]]
        assert hash_to_point(case["domain"], *parts).encode().hex() == case["point"]
    for case in v["invalid_points"]:
        with pytest.raises(GroupError) as info:
            Point.decode(bytes.fromhex(case["encoding"]))
        assert info.value.code == case["error"]
    for case in v["invalid_scalars"]:
        with pytest.raises(GroupError) as info:
            Scalar.decode(bytes.fromhex(case["encoding"]))
        assert info.value.code == case["error"]
    for case in v["base64url"]:
        assert b64e(bytes.fromhex(case["bytes"])) == case["text"]
        assert b64d(case["text"]).hex() == case["bytes"]
    for text in v["invalid_base64url"]:
        with pytest.raises(EncodingError):
            b64d(text)


def test_elgamal_vectors() -> None:
    v = load("elgamal.json")
    key = pt(v["election_key"])
    assert Point.base_mul(sc(v["secret_key"])) == key
    cts = []
    for case in v["encryptions"]:
        c = encrypt(key, case["message"], sc(case["nonce"]))
        assert c == ct(case)
        assert c.encode().hex() == case["encoded"]
        cts.append(c)
    assert sum_ciphertexts(cts) == ct(v["sum"])
    total = ct(v["sum"])
    assert total.beta - total.alpha * sc(v["secret_key"]) == pt(v["sum"]["message_point"])
    assert ct(v["zero"]) == Ciphertext.zero()
    for case in v["message_points"]:
        assert message_point(case["message"]) == pt(case["point"], allow_identity=True)


# -- proofs ------------------------------------------------------------------------------------


def test_proof_vectors() -> None:
    v = load("proofs.json")
    for case in v["schnorr"]:
        proof = SchnorrProof.decode(bytes.fromhex(case["encoded"]))
        assert proof == SchnorrProof(sc(case["challenge"]), sc(case["response"]))
        context = bytes.fromhex(case["context"])
        verify_schnorr(pt(case["public"]), proof, context)
        digest = hashlib.sha512(bytes.fromhex(case["challenge_input"])).digest()
        assert Scalar.from_wide(digest) == proof.challenge
        with pytest.raises(ProofError):
            verify_schnorr(pt(case["public"]), proof, context + b"!")
    for case in v["zero_or_one"]:
        key = pt(case["election_key"])
        c = ct(case["ciphertext"])
        assert encrypt(key, case["message"], sc(case["nonce"])) == c
        dcp = DisjunctiveProof.decode(bytes.fromhex(case["encoded"]))
        verify_zero_or_one(key, c, dcp, bytes.fromhex(case["context"]))
        digest = hashlib.sha512(bytes.fromhex(case["challenge_input"])).digest()
        assert Scalar.from_wide(digest) == dcp.c0 + dcp.c1 == sc(case["challenge"])
    s = v["sum_one"]
    proof_cp = ChaumPedersenProof.decode(bytes.fromhex(s["encoded"]))
    total = ct(s["total"])
    assert sum_ciphertexts(ct(x) for x in s["ciphertexts"]) == total
    verify_sum_one(pt(s["election_key"]), total, proof_cp, bytes.fromhex(s["context"]))
    d = v["decryption"]
    proof_cp = ChaumPedersenProof.decode(bytes.fromhex(d["encoded"]))
    verify_decryption(
        pt(d["verification_key"]),
        pt(d["alpha"]),
        pt(d["partial"]),
        proof_cp,
        bytes.fromhex(d["context"]),
    )


# -- ballots -----------------------------------------------------------------------------------


def ballot_ctx(obj: dict[str, Any]) -> cb.BallotContext:
    ctx = cb.BallotContext(
        obj["session_id"],
        obj["round_number"],
        pt(obj["election_key"]),
        obj["delegation_id"],
        tuple(obj["options"]),
    )
    assert ctx.encode().hex() == obj["encoded"]
    return ctx


def test_valid_ballot_vectors() -> None:
    v = load("ballots.json")
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(v["signing_key"]["public_key"]))
    for case in v["valid"]:
        ctx = ballot_ctx(case["context"])
        raw = bytes.fromhex(case["ballot_bytes"])
        ballot = cb.ballot_from_bytes(raw)
        assert cb.ballot_from_json(case["ballot_json"]) == ballot
        assert cb.ballot_to_json(ballot) == case["ballot_json"]
        cb.verify_ballot(ctx, ballot)
        # the encryptor reproduces the ballot from the seed
        again = cb.encrypt_ballot(
            ctx, case["choice"], seeded_scalars(bytes.fromhex(case["seed_hex"]))
        )
        assert cb.ballot_to_bytes(again) == raw
        for i, option in enumerate(case["options"]):
            assert ballot.ciphertexts[i] == ct(option["ciphertext"])
            assert cb.option_context(ctx, i).hex() == option["proof_context"]
            nonce = sc(option["nonce"])
            assert encrypt(ctx.election_key, option["message"], nonce) == ballot.ciphertexts[i]
        assert cb.sum_context(ctx, ballot.ciphertexts).hex() == case["sum"]["proof_context"]
        message = cb.signing_message(ctx, ballot)
        assert message.hex() == case["signing_message"]
        signature = bytes.fromhex(case["signature"])
        public.verify(signature, message)
        assert cb.tracking_hash(ctx, ballot, signature).hex() == case["tracking_hash"]
        assert cb.tracking_code(ctx, ballot, signature) == case["tracking_code"]


@pytest.mark.parametrize("index", range(len(load("ballots.json")["invalid"])))
def test_invalid_ballot_vectors(index: int) -> None:
    case = load("ballots.json")["invalid"][index]
    ctx = ballot_ctx(case["context"])

    def decode_and_verify() -> None:
        if "ballot_json" in case:
            ballot = cb.ballot_from_json(case["ballot_json"])
        else:
            ballot = cb.ballot_from_bytes(bytes.fromhex(case["ballot_bytes"]))
        cb.verify_ballot(ctx, ballot)

    with pytest.raises(cb.InvalidBallot) as info:
        decode_and_verify()
    assert info.value.code == case["expected_error"], case["name"]


# -- tally -------------------------------------------------------------------------------------


def test_tally_vectors() -> None:
    v = load("tally.json")
    c = v["context"]
    tctx = TallyContext(c["session_id"], c["round_number"], tuple(c["options"]))
    assert tctx.encode().hex() == c["encoded"]
    agg = tuple(ct(x) for x in v["aggregate"])
    vks = {s["index"]: pt(s["verification_key"]) for s in v["key_shares"]}
    for s in v["key_shares"]:
        assert Point.base_mul(sc(s["share"])) == vks[s["index"]]
    assert Point.base_mul(sc(v["secret_key"])) == pt(v["election_key"])
    shares = {}
    for entry in v["shares"]:
        share = share_from_json(entry["share_json"])
        verify_share(tctx, agg, share, vks[share.teller_index])
        shares[share.teller_index] = share
    for combo in v["combinations"]:
        indices = combo["indices"]
        assert [lagrange_coefficient(i, indices).encode().hex() for i in indices] == combo[
            "lagrange"
        ]
        picked = [shares[i] for i in indices]
        assert list(combine(agg, picked, v["max_count"])) == combo["counts"]
    assert combo["counts"] == [v["choices"].count(i) for i in range(len(c["options"]))]
    for bad in v["invalid_shares"]:
        share = share_from_json(bad["share_json"])
        with pytest.raises(InvalidShare) as info:
            verify_share(tctx, agg, share, pt(bad["verification_key"]))
        assert info.value.code == bad["expected_error"]
        assert info.value.teller_index == bad["teller_index"]
    few = v["insufficient"]
    with pytest.raises(TallyError) as err:
        combine(agg, [shares[i] for i in few["indices"]], v["max_count"])
    assert err.value.code == few["expected_error"]
    for case in v["discrete_log"]:
        point = pt(case["point"], allow_identity=True)
        assert small_discrete_log(point, case["max_value"]) == case["value"]
    for case in v["discrete_log_out_of_range"]:
        with pytest.raises(TallyError) as err:
            small_discrete_log(pt(case["point"]), case["max_value"])
        assert err.value.code == case["expected_error"]

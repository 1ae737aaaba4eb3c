"""Tests of crypto.ballot (and the JSON helpers of crypto.encoding it relies on)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.ballot import (
    BallotContext,
    EncryptedBallot,
    InvalidBallot,
    aggregate,
    ballot_failures,
    ballot_from_bytes,
    ballot_from_json,
    ballot_to_bytes,
    ballot_to_json,
    encrypt_ballot,
    option_context,
    signing_message,
    sum_context,
    tracking_code,
    tracking_hash,
    verify_ballot,
)
from crypto.elgamal import Ciphertext, message_point, sum_ciphertexts
from crypto.encoding import EncodingError, b64d, b64e
from crypto.group import GroupError, Point, Scalar, hash_to_scalar, seeded_scalars
from crypto.proofs import (
    SUM_ONE_DOMAIN,
    ChaumPedersenProof,
    DisjunctiveProof,
    StatementFalseError,
    _prove_zero_or_one_unchecked,
    prove_sum_one,
    prove_zero_or_one,
)

SECRET = Scalar.from_int(0xC0FFEE)
KEY = Point.base_mul(SECRET)


def make_ctx(n: int = 3, **changes: object) -> BallotContext:
    ctx = BallotContext("session-1", 2, KEY, "delegation-FR", tuple(f"opt{i}" for i in range(n)))
    return dataclasses.replace(ctx, **changes)  # type: ignore[arg-type]


def decrypt_point(ct: Ciphertext, secret: Scalar = SECRET) -> Point:
    return ct.beta - ct.alpha * secret


def expect_code(code: str, ctx: BallotContext, ballot: EncryptedBallot) -> InvalidBallot:
    with pytest.raises(InvalidBallot) as info:
        verify_ballot(ctx, ballot)
    assert info.value.code == code, info.value
    return info.value


# -- honest ballots ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=8), seed=st.binary(max_size=8))
def test_honest_ballots_verify(data: st.DataObject, n: int, seed: bytes) -> None:
    choice = data.draw(st.integers(min_value=0, max_value=n - 1))
    ctx = make_ctx(n)
    ballot = encrypt_ballot(ctx, choice, seeded_scalars(seed))
    verify_ballot(ctx, ballot)
    assert ballot_from_bytes(ballot_to_bytes(ballot)) == ballot
    assert ballot_from_json(ballot_to_json(ballot)) == ballot
    assert len(ballot_to_bytes(ballot)) == 4 + 192 * n + 64
    plain = [decrypt_point(ct) for ct in ballot.ciphertexts]
    assert plain == [message_point(int(i == choice)) for i in range(n)]


def test_default_rng_and_choice_validation() -> None:
    ctx = make_ctx(3)
    verify_ballot(ctx, encrypt_ballot(ctx, 2))
    for bad in (-1, 3, True, 1.0):
        with pytest.raises(InvalidBallot) as info:
            encrypt_ballot(ctx, bad)  # type: ignore[arg-type]
        assert info.value.code == "ballot_choice_invalid"


def _verify_in_worker(args: tuple[BallotContext, EncryptedBallot]) -> str:
    try:
        verify_ballot(*args)
    except InvalidBallot as exc:
        return exc.code
    return "ok"


def test_verify_ballot_runs_in_a_process_pool() -> None:
    ctx = make_ctx(2)
    good = encrypt_ballot(ctx, 0, seeded_scalars(b"pool"))
    bad = dataclasses.replace(good, proofs=(good.proofs[1], good.proofs[0]))
    assert pickle.loads(pickle.dumps(ctx)) == ctx
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_verify_in_worker, [(ctx, good), (ctx, bad)]))
    assert results == ["ok", "ballot_proof_invalid"]
    err = pickle.loads(pickle.dumps(InvalidBallot("ballot_malformed", "m")))
    assert (err.code, str(err)) == ("ballot_malformed", "m")


# -- tampering -----------------------------------------------------------------------------

BALLOT_3 = encrypt_ballot(make_ctx(3), 1, seeded_scalars(b"tamper"))
ONE = Scalar.one()
G = Point.generator()


def _tampered_ballots(b: EncryptedBallot) -> list[EncryptedBallot]:
    out: list[EncryptedBallot] = []
    for i in range(b.n_options):
        ct = b.ciphertexts[i]
        for new_ct in (Ciphertext(ct.alpha + G, ct.beta), Ciphertext(ct.alpha, ct.beta + G)):
            cts = list(b.ciphertexts)
            cts[i] = new_ct
            out.append(dataclasses.replace(b, ciphertexts=tuple(cts)))
        p = b.proofs[i]
        for field in ("c0", "c1", "v0", "v1"):
            proofs = list(b.proofs)
            proofs[i] = dataclasses.replace(p, **{field: getattr(p, field) + ONE})
            out.append(dataclasses.replace(b, proofs=tuple(proofs)))
    s = b.sum_proof
    out.append(dataclasses.replace(b, sum_proof=ChaumPedersenProof(s.challenge + ONE, s.response)))
    out.append(dataclasses.replace(b, sum_proof=ChaumPedersenProof(s.challenge, s.response + ONE)))
    # moving the 1 to another option while keeping every proof
    out.append(
        dataclasses.replace(b, ciphertexts=(b.ciphertexts[1], b.ciphertexts[0], b.ciphertexts[2]))
    )
    # swapping two option records (ciphertext with its proof): the option index is bound
    out.append(
        EncryptedBallot(
            (b.ciphertexts[1], b.ciphertexts[0], b.ciphertexts[2]),
            (b.proofs[1], b.proofs[0], b.proofs[2]),
            b.sum_proof,
        )
    )
    return out


@pytest.mark.parametrize("index", range(len(_tampered_ballots(BALLOT_3))))
def test_any_change_to_the_ballot_fails(index: int) -> None:
    verify_ballot(make_ctx(3), BALLOT_3)
    expect_code("ballot_proof_invalid", make_ctx(3), _tampered_ballots(BALLOT_3)[index])


@pytest.mark.parametrize(
    "changes",
    [
        {"session_id": "session-2"},
        {"round_number": 3},
        {"election_key": KEY + G},
        {"delegation_id": "delegation-ES"},
        {"options": ("opt1", "opt0", "opt2")},
        {"options": ("opt0", "opt1", "opt2 ")},
    ],
    ids=["session", "round", "key", "delegation", "option-order", "option-name"],
)
def test_any_change_to_the_context_fails(changes: dict[str, object]) -> None:
    expect_code("ballot_proof_invalid", make_ctx(3, **changes), BALLOT_3)


@pytest.mark.parametrize(
    "changes",
    [
        {"session_id": "session-2"},
        {"round_number": 3},
        {"election_key": KEY + G},
        {"delegation_id": "delegation-ES"},
        {"options": ("opt1", "opt0", "opt2")},
    ],
    ids=["session", "round", "key", "delegation", "options"],
)
def test_a_context_encoding_kept_once_computed_is_never_stale(changes: dict[str, object]) -> None:
    # encode() keeps its bytes on the frozen value: a context derived from one already encoded
    # (dataclasses.replace, a pickle to a worker) must encode its own fields, not the original's.
    ctx = make_ctx(3)
    encoded = ctx.encode()
    assert ctx.encode() is encoded
    changed = dataclasses.replace(ctx, **changes)  # type: ignore[arg-type]
    fresh = BallotContext(
        changed.session_id,
        changed.round_number,
        changed.election_key,
        changed.delegation_id,
        changed.options,
    )
    assert changed.encode() == fresh.encode() != encoded
    travelled = pickle.loads(pickle.dumps(ctx))
    assert travelled == ctx and travelled.encode() == encoded
    assert hash(travelled) == hash(make_ctx(3))  # the kept bytes are not part of its identity


def test_option_count_mismatch() -> None:
    expect_code("ballot_option_count", make_ctx(4), BALLOT_3)
    expect_code("ballot_option_count", make_ctx(2), BALLOT_3)
    with pytest.raises(InvalidBallot) as info:
        aggregate([BALLOT_3], 2)
    assert info.value.code == "ballot_option_count"


@settings(max_examples=20, deadline=None)
@given(seed=st.binary(max_size=8), n=st.integers(min_value=2, max_value=5))
def test_ballot_from_one_context_fails_in_another(seed: bytes, n: int) -> None:
    ctx = make_ctx(n)
    ballot = encrypt_ballot(ctx, 0, seeded_scalars(seed))
    expect_code("ballot_proof_invalid", make_ctx(n, round_number=ctx.round_number + 1), ballot)


def test_ballot_failures_names_every_failing_proof_in_order() -> None:
    # verify_ballot stops at the first failure; ballot_failures goes on, in the same order,
    # so that a report can name them all (a replayed ballot fails every one).
    assert ballot_failures(make_ctx(3), BALLOT_3) == []
    replayed = make_ctx(3, round_number=3)
    failures = ballot_failures(replayed, BALLOT_3)
    assert [f.code for f in failures] == ["ballot_proof_invalid"] * 4
    assert [str(f).split(":")[0] for f in failures] == [
        "option 0",
        "option 1",
        "option 2",
        "sum of the options",
    ]
    assert str(expect_code("ballot_proof_invalid", replayed, BALLOT_3)) == str(failures[0])
    # Only the sum proof swapped in from another ballot: the option proofs still hold.
    other = encrypt_ballot(make_ctx(3), 1, seeded_scalars(b"other"))
    swapped = dataclasses.replace(BALLOT_3, sum_proof=other.sum_proof)
    assert [str(f).split(":")[0] for f in ballot_failures(make_ctx(3), swapped)] == [
        "sum of the options"
    ]
    # A structural fault stops the rest, as in verify_ballot.
    assert [f.code for f in ballot_failures(make_ctx(4), BALLOT_3)] == ["ballot_option_count"]


# -- ballots that must not be provable --------------------------------------------------------


def _cheating_ciphertexts(bits: list[int], seed: bytes) -> tuple[list[Scalar], list[Ciphertext]]:
    rng = seeded_scalars(seed)
    nonces = [rng() for _ in bits]
    cts = [
        Ciphertext(Point.base_mul(r), G * Scalar.from_int(m) + KEY * r)
        for m, r in zip(bits, nonces, strict=True)
    ]
    return nonces, cts


def _forged_sum_proof(
    ctx: BallotContext, cts: list[Ciphertext], nonce_sum: Scalar, seed: bytes
) -> ChaumPedersenProof:
    # The prover's algorithm run on a false statement (it normally refuses to).
    total = sum_ciphertexts(cts)
    w = seeded_scalars(seed)()
    c = hash_to_scalar(
        SUM_ONE_DOMAIN,
        sum_context(ctx, cts),
        G.encode(),
        total.alpha.encode(),
        KEY.encode(),
        (total.beta - G).encode(),
        Point.base_mul(w).encode(),
        (KEY * w).encode(),
    )
    return ChaumPedersenProof(c, w - c * nonce_sum)


@pytest.mark.parametrize("bits", [[1, 1, 0], [0, 0, 0], [1, 1, 1]])
def test_sum_other_than_one_cannot_be_proven(bits: list[int]) -> None:
    ctx = make_ctx(3)
    nonces, cts = _cheating_ciphertexts(bits, b"two-ones")
    rng = seeded_scalars(b"p")
    proofs = tuple(
        prove_zero_or_one(KEY, ct, m, r, option_context(ctx, i), rng)
        for i, (ct, m, r) in enumerate(zip(cts, bits, nonces, strict=True))
    )
    r_sum = nonces[0] + nonces[1] + nonces[2]
    with pytest.raises(StatementFalseError):
        prove_sum_one(KEY, sum_ciphertexts(cts), r_sum, sum_context(ctx, cts), rng)
    forged = _forged_sum_proof(ctx, cts, r_sum, b"w")
    expect_code("ballot_proof_invalid", ctx, EncryptedBallot(tuple(cts), proofs, forged))
    # nor does an honest ballot's sum proof transfer
    expect_code(
        "ballot_proof_invalid", ctx, EncryptedBallot(tuple(cts), proofs, BALLOT_3.sum_proof)
    )


@pytest.mark.parametrize("bits", [[-1, 1, 1], [2, -1, 0], [0, 2, -1]])
def test_out_of_range_option_cannot_be_proven(bits: list[int]) -> None:
    # Sums to exactly 1, so only the 0-or-1 proofs can catch it.
    ctx = make_ctx(3)
    nonces, cts = _cheating_ciphertexts(bits, b"minus-one")
    rng = seeded_scalars(b"p")
    bad = next(i for i, m in enumerate(bits) if m not in (0, 1))
    with pytest.raises(StatementFalseError):
        prove_zero_or_one(KEY, cts[bad], bits[bad], nonces[bad], option_context(ctx, bad), rng)
    proofs: list[DisjunctiveProof] = []
    for i, (ct, m, r) in enumerate(zip(cts, bits, nonces, strict=True)):
        claimed = m if m in (0, 1) else 1 - int(m > 1)  # claim the "nearest" bit
        proofs.append(
            _prove_zero_or_one_unchecked(KEY, ct, claimed, r, option_context(ctx, i), rng)
        )
    r_sum = nonces[0] + nonces[1] + nonces[2]
    sum_proof = prove_sum_one(KEY, sum_ciphertexts(cts), r_sum, sum_context(ctx, cts), rng)
    err = expect_code(
        "ballot_proof_invalid", ctx, EncryptedBallot(tuple(cts), tuple(proofs), sum_proof)
    )
    assert f"option {bad}" in str(err)


# -- aggregate ------------------------------------------------------------------------------


def test_aggregate_counts() -> None:
    ctx = make_ctx(3)
    rng = seeded_scalars(b"aggregate")
    choices = [0, 2, 2, 1, 2, 0, 2]
    ballots = [encrypt_ballot(ctx, c, rng) for c in choices]
    agg = aggregate(ballots, 3)
    assert [decrypt_point(ct) for ct in agg] == [message_point(choices.count(i)) for i in range(3)]
    assert aggregate([], 2) == (Ciphertext.zero(), Ciphertext.zero())
    assert agg[0] == sum_ciphertexts(b.ciphertexts[0] for b in ballots)


# -- encodings ------------------------------------------------------------------------------


def _malformed_json() -> list[object]:
    good = ballot_to_json(BALLOT_3)
    ident = b64e(bytes(32))
    bad_point = b64e(bytes.fromhex("ed" + "ff" * 30 + "7f"))
    big_scalar = b64e(b"\xff" * 32)
    cases: list[object] = [None, [], "x", {**good, "extra": 1}]
    cases.append({k: v for k, v in good.items() if k != "sum_proof"})

    def with_ct(i: int, key: str, value: object) -> dict[str, object]:
        cts = [dict(c) for c in good["ciphertexts"]]  # type: ignore[attr-defined]
        cts[i][key] = value
        return {**good, "ciphertexts": cts}

    def with_proof(i: int, key: str, value: object) -> dict[str, object]:
        proofs = [dict(p) for p in good["proofs"]]  # type: ignore[attr-defined]
        proofs[i][key] = value
        return {**good, "proofs": proofs}

    alpha0: str = good["ciphertexts"][0]["alpha"]  # type: ignore[index]
    cases += [
        with_ct(0, "alpha", ident),  # identity alpha
        with_ct(1, "alpha", bad_point),  # non-canonical point
        with_ct(2, "beta", b64e(bytes(31))),  # wrong length
        with_ct(0, "alpha", alpha0 + "="),  # padding
        with_ct(0, "alpha", alpha0[:-1] + "B"),  # non-zero trailing bits (or invalid point)
        with_ct(0, "alpha", alpha0.replace(alpha0[0], "+", 1)),  # standard alphabet
        with_ct(0, "alpha", 5),
        with_ct(0, "gamma", alpha0),
        with_proof(1, "v1", big_scalar),  # scalar not below L
        with_proof(0, "c0", b64e(bytes(33))),
        {**good, "proofs": good["proofs"][:2]},  # type: ignore[index]
        {**good, "ciphertexts": [], "proofs": []},
        {**good, "sum_proof": {"challenge": big_scalar, "response": big_scalar}},
        {**good, "sum_proof": {"challenge": alpha0}},
    ]
    return cases


@pytest.mark.parametrize("index", range(len(_malformed_json())))
def test_malformed_json_is_refused(index: int) -> None:
    with pytest.raises(InvalidBallot) as info:
        ballot_from_json(_malformed_json()[index])
    assert info.value.code == "ballot_malformed"


def test_identity_beta_is_decodable_but_does_not_verify() -> None:
    good = ballot_to_json(BALLOT_3)
    cts = [dict(c) for c in good["ciphertexts"]]  # type: ignore[attr-defined]
    cts[0]["beta"] = b64e(bytes(32))
    ballot = ballot_from_json({**good, "ciphertexts": cts})
    assert ballot.ciphertexts[0].beta.is_identity()
    expect_code("ballot_proof_invalid", make_ctx(3), ballot)


def test_malformed_bytes_are_refused() -> None:
    raw = ballot_to_bytes(BALLOT_3)
    alpha_at = 4
    cases = [
        b"",
        raw[:3],
        raw[:-1],
        raw + b"\x00",
        b"\x00\x00\x00\x00" + raw[4:],
        b"\x00\x00\x01\x01" + raw[4:],
        raw[:alpha_at] + bytes(32) + raw[alpha_at + 32 :],  # identity alpha
        raw[:alpha_at] + bytes.fromhex("01" + "00" * 31) + raw[alpha_at + 32 :],
        raw[:-32] + b"\xff" * 32,  # sum response >= L
        raw[:68] + b"\xff" * 32 + raw[100:],  # c0 of option 0 >= L
    ]
    for data in cases:
        with pytest.raises(InvalidBallot) as info:
            ballot_from_bytes(data)
        assert info.value.code == "ballot_malformed"
        if len(data) == len(raw) and data[:4] == raw[:4]:
            assert isinstance(info.value.__cause__, GroupError | ValueError)


def test_b64_strictness() -> None:
    assert b64e(b"\xfb\xff") == "-_8"
    assert b64d("-_8") == b"\xfb\xff"
    for bad in ("-_8=", "-_9", "+/8", "a", "ab c", "", 7):
        if bad == "":
            assert b64d(bad) == b""
            continue
        with pytest.raises(EncodingError) as info:
            b64d(bad)
        assert info.value.code == "invalid_encoding"
    with pytest.raises(EncodingError):
        b64d("AAAA", 4)


# -- context, signing message, tracking code --------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"session_id": ""},
        {"delegation_id": 3},
        {"round_number": -1},
        {"round_number": 2**32},
        {"round_number": True},
        {"election_key": Point.identity()},
        {"options": ()},
        {"options": ("a", "a")},
        {"options": ["a", "b"]},
        {"options": ("a", "")},
        {"session_id": "\ud800"},
    ],
)
def test_invalid_contexts_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidBallot) as info:
        make_ctx(2, **changes)
    assert info.value.code == "ballot_context_invalid"


def test_context_encoding_is_framed() -> None:
    ctx = BallotContext("s", 1, KEY, "d", ("a", "bc"))
    expected = (
        b"\x00\x00\x00\x01s"
        + b"\x00\x00\x00\x04\x00\x00\x00\x01"
        + b"\x00\x00\x00\x20"
        + KEY.encode()
        + b"\x00\x00\x00\x01d"
        + b"\x00\x00\x00\x0b"
        + b"\x00\x00\x00\x01a\x00\x00\x00\x02bc"
    )
    assert ctx.encode() == expected


def test_signing_message_and_tracking_code() -> None:
    ctx = make_ctx(3)
    msg = signing_message(ctx, BALLOT_3)
    assert ballot_to_bytes(BALLOT_3) in msg
    assert ctx.encode() in msg
    assert msg.startswith(b"\x00\x00\x00\x20ballot/v1/ballot/signing-message")
    assert signing_message(make_ctx(3, delegation_id="x"), BALLOT_3) != msg
    sig = bytes(range(64))
    code = tracking_code(ctx, BALLOT_3, sig)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert tracking_code(ctx, BALLOT_3, sig) == code
    assert tracking_code(ctx, BALLOT_3, bytes(64)) != code
    assert len(tracking_hash(ctx, BALLOT_3, sig)) == 32
    with pytest.raises(InvalidBallot):
        tracking_code(ctx, BALLOT_3, bytes(63))


# -- benchmark smoke test ---------------------------------------------------------------------


def test_bench_crypto_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ballot.bench import crypto as bench

    node_script = tmp_path / "bench_node.mjs"
    node_script.write_text('console.log(JSON.stringify({encrypt_ms: {"3": 1.5}}));\n')
    monkeypatch.setattr(bench, "NODE_SCRIPT", node_script)
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    bench.add_arguments(parser)
    assert bench.run(parser.parse_args(["--json", "--repeat", "1", "--ballots", "20"])) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("scalar_mult_us", "aggregate_10000_ms", "decrypt_2of3_ms"):
        assert figures[key] > 0
    assert set(figures["encrypt_ms"]) == set(figures["verify_ms"]) == {"2", "3", "5"}
    assert figures["verify_mults_counted"]["3"] == 28
    if shutil.which("node"):
        assert figures["node_encrypt_ms"] == {"3": 1.5}
    monkeypatch.setattr(bench, "NODE_SCRIPT", tmp_path / "missing.mjs")
    assert bench.run(parser.parse_args(["--repeat", "1", "--ballots", "5"])) == 0
    out = capsys.readouterr().out
    assert "verify, 3 options" in out
    assert "node" not in out


# -- randomised tampering and junk input ---------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(min_value=1, max_value=6),
    delta=st.integers(min_value=1, max_value=2**252),
)
def test_random_tampering_fails(data: st.DataObject, n: int, delta: int) -> None:
    ctx = make_ctx(n)
    choice = data.draw(st.integers(min_value=0, max_value=n - 1))
    ballot = encrypt_ballot(ctx, choice, seeded_scalars(bytes([n, choice])))
    d = Scalar.from_int(delta)
    target = data.draw(st.sampled_from(["alpha", "beta", "c0", "c1", "v0", "v1", "sum_c", "sum_v"]))
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    cts, proofs, s = list(ballot.ciphertexts), list(ballot.proofs), ballot.sum_proof
    if target in ("alpha", "beta"):
        shift = Point.base_mul(d)
        old = cts[i]
        cts[i] = (
            Ciphertext(old.alpha + shift, old.beta)
            if target == "alpha"
            else Ciphertext(old.alpha, old.beta + shift)
        )
    elif target.startswith("sum"):
        s = (
            ChaumPedersenProof(s.challenge + d, s.response)
            if target == "sum_c"
            else ChaumPedersenProof(s.challenge, s.response + d)
        )
    else:
        proofs[i] = dataclasses.replace(proofs[i], **{target: getattr(proofs[i], target) + d})
    tampered = EncryptedBallot(tuple(cts), tuple(proofs), s)
    with pytest.raises(InvalidBallot) as info:
        verify_ballot(ctx, tampered)
    assert info.value.code in ("ballot_proof_invalid", "ballot_malformed")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(junk=json_values)
def test_junk_json_is_refused_with_a_typed_error(junk: object) -> None:
    with pytest.raises(InvalidBallot) as info:
        ballot_from_json(junk)
    assert info.value.code == "ballot_malformed"


@settings(max_examples=100, deadline=None)
@given(junk=st.binary(max_size=600))
def test_junk_bytes_are_refused_with_a_typed_error(junk: bytes) -> None:
    with pytest.raises(InvalidBallot) as info:
        ballot_from_bytes(junk)
    assert info.value.code == "ballot_malformed"


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_point_bytes_in_a_ballot_are_refused_or_fail(data: st.DataObject) -> None:
    raw = bytearray(ballot_to_bytes(BALLOT_3))
    offset = 4 + 192 * data.draw(st.integers(0, 2)) + 32 * data.draw(st.integers(0, 1))
    raw[offset : offset + 32] = data.draw(st.binary(min_size=32, max_size=32))
    error: InvalidBallot | None = None
    try:
        ballot = ballot_from_bytes(bytes(raw))
    except InvalidBallot as exc:
        error = exc
    if error is not None:
        assert error.code == "ballot_malformed"
        assert isinstance(error.__cause__, GroupError)
        return
    if ballot != BALLOT_3:
        expect_code("ballot_proof_invalid", make_ctx(3), ballot)

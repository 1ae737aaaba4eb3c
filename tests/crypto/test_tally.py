"""Tests of crypto.tally: shares, proofs, Lagrange combination, small discrete log."""

from __future__ import annotations

import itertools
import pickle
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.ballot import BallotContext, aggregate, encrypt_ballot
from crypto.elgamal import Ciphertext, encrypt, message_point, sum_ciphertexts
from crypto.encoding import EncodingError, b64e
from crypto.group import GroupError, L, Point, RandomScalars, Scalar, seeded_scalars
from crypto.proofs import ChaumPedersenProof
from crypto.tally import (
    DecryptionShare,
    InvalidShare,
    TallyContext,
    TallyError,
    combine,
    compute_share,
    lagrange_coefficient,
    share_from_json,
    share_to_json,
    small_discrete_log,
    verify_share,
)

OPTIONS = ("alice", "bob", "blank")
TCTX = TallyContext("session-1", 1, OPTIONS)


def shamir_split(secret: Scalar, k: int, n: int, rng: RandomScalars) -> list[Scalar]:
    """Test helper: shares f(1..n) of a random degree-(k-1) polynomial with f(0) = secret."""
    coefficients = [secret] + [rng() for _ in range(k - 1)]
    shares = []
    for i in range(1, n + 1):
        x = Scalar.from_int(i)
        acc = Scalar.zero()
        for c in reversed(coefficients):
            acc = acc * x + c
        shares.append(acc)
    return shares


def _setup(k: int, n: int, seed: bytes) -> tuple[Point, list[Scalar], list[Point], RandomScalars]:
    rng = seeded_scalars(seed)
    secret = rng()
    shares = shamir_split(secret, k, n, rng)
    return Point.base_mul(secret), shares, [Point.base_mul(s) for s in shares], rng


def _aggregate(key: Point, choices: list[int], rng: RandomScalars) -> tuple[Ciphertext, ...]:
    ctx = BallotContext("session-1", 1, key, "d", OPTIONS)
    return aggregate((encrypt_ballot(ctx, c, rng) for c in choices), len(OPTIONS))


@settings(max_examples=20, deadline=None)
@given(
    kn=st.sampled_from([(1, 1), (2, 3), (3, 5), (4, 4)]),
    choices=st.lists(st.integers(min_value=0, max_value=2), max_size=6),
    data=st.data(),
)
def test_any_k_of_n_decrypt_and_k_minus_one_cannot(
    kn: tuple[int, int], choices: list[int], data: st.DataObject
) -> None:
    k, n = kn
    key, shares, vks, rng = _setup(k, n, repr((kn, choices)).encode())
    agg = _aggregate(key, choices, rng)
    expected = tuple(choices.count(i) for i in range(len(OPTIONS)))
    all_shares = [compute_share(TCTX, agg, i + 1, shares[i], vks[i], rng) for i in range(n)]
    for share in all_shares:
        verify_share(TCTX, agg, share, vks[share.teller_index - 1])
    subset = data.draw(st.permutations(all_shares))[:k]
    assert combine(agg, subset, max_count=len(choices)) == expected
    assert combine(agg, subset, max_count=1000) == expected
    if k > 1 and choices:
        with pytest.raises(TallyError) as info:
            combine(agg, subset[: k - 1], max_count=len(choices))
        assert info.value.code == "tally_count_out_of_range"


def test_every_subset_of_size_k() -> None:
    key, shares, vks, rng = _setup(3, 5, b"subsets")
    agg = _aggregate(key, [0, 1, 1, 2, 1], rng)
    all_shares = [compute_share(TCTX, agg, i + 1, shares[i], vks[i], rng) for i in range(5)]
    for subset in itertools.combinations(all_shares, 3):
        assert combine(agg, subset, max_count=5) == (1, 3, 1)
    # more than k shares also work (the polynomial has degree k - 1)
    assert combine(agg, all_shares, max_count=5) == (1, 3, 1)


def test_wrong_share_is_rejected_naming_the_teller() -> None:
    key, shares, vks, rng = _setup(2, 3, b"wrong-share")
    agg = _aggregate(key, [0, 0, 1], rng)
    good = compute_share(TCTX, agg, 2, shares[1], vks[1], rng)
    g = Point.generator()
    bad_partial = DecryptionShare(2, (good.partials[0] + g, *good.partials[1:]), good.proofs)
    bad_proof = DecryptionShare(
        2,
        good.partials,
        (
            good.proofs[0],
            ChaumPedersenProof(good.proofs[1].challenge, good.proofs[1].response + Scalar.one()),
            good.proofs[2],
        ),
    )
    other_index = DecryptionShare(3, good.partials, good.proofs)
    short = DecryptionShare(2, good.partials[:2], good.proofs[:2])
    for share, vk in [
        (bad_partial, vks[1]),
        (bad_proof, vks[1]),
        (other_index, vks[2]),
        (other_index, vks[1]),
        (good, vks[0]),
        (short, vks[1]),
        (good, Point.identity()),
    ]:
        with pytest.raises(InvalidShare) as info:
            verify_share(TCTX, agg, share, vk)
        assert info.value.code == "share_invalid"
        assert info.value.teller_index == share.teller_index
        assert f"teller {share.teller_index}" in str(info.value)
    # the share is bound to the round and to the aggregate
    for ctx in (TallyContext("session-1", 2, OPTIONS), TallyContext("other", 1, OPTIONS)):
        with pytest.raises(InvalidShare):
            verify_share(ctx, agg, good, vks[1])
    other_agg = (agg[0] + encrypt(key, 0, rng()), agg[1], agg[2])
    with pytest.raises(InvalidShare):
        verify_share(TCTX, other_agg, good, vks[1])
    err = pickle.loads(pickle.dumps(InvalidShare(4, "x")))
    assert (err.teller_index, err.code, str(err)) == (4, "share_invalid", "teller 4: x")


def test_a_wrong_key_share_cannot_be_proven() -> None:
    _, shares, vks, rng = _setup(2, 3, b"wrong-key")
    agg = (encrypt(Point.base_mul(rng()), 1, rng()),) * 3
    with pytest.raises(ValueError, match="discrete logarithms"):
        compute_share(TCTX, agg, 1, shares[0] + Scalar.one(), vks[0], rng)


def test_combine_refusals() -> None:
    key, shares, vks, rng = _setup(2, 3, b"refusals")
    agg = _aggregate(key, [1, 2], rng)
    s1 = compute_share(TCTX, agg, 1, shares[0], vks[0], rng)
    s2 = compute_share(TCTX, agg, 2, shares[1], vks[1], rng)
    cases: list[tuple[list[DecryptionShare], str]] = [
        ([], "tally_no_shares"),
        ([s1, s1], "tally_duplicate_share"),
        ([s1, DecryptionShare(2, s2.partials[:2], s2.proofs[:2])], "tally_shape_mismatch"),
        ([DecryptionShare(0, s1.partials, s1.proofs)], "tally_bad_index"),
    ]
    for subset, code in cases:
        with pytest.raises(TallyError) as info:
            combine(agg, subset, max_count=2)
        assert info.value.code == code
    # a count above max_count is refused
    many = _aggregate(key, [0, 0, 0], rng)
    shares_many = [compute_share(TCTX, many, i, shares[i - 1], vks[i - 1], rng) for i in (1, 3)]
    assert combine(many, shares_many, max_count=3) == (3, 0, 0)
    with pytest.raises(TallyError) as info:
        combine(many, shares_many, max_count=2)
    assert info.value.code == "tally_count_out_of_range"


def test_empty_aggregate_decrypts_to_zero() -> None:
    _, shares, vks, rng = _setup(2, 2, b"empty")
    agg = (Ciphertext.zero(),) * 3
    all_shares = [compute_share(TCTX, agg, i + 1, shares[i], vks[i], rng) for i in range(2)]
    for share in all_shares:
        verify_share(TCTX, agg, share, vks[share.teller_index - 1])
    assert combine(agg, all_shares, max_count=0) == (0, 0, 0)


def test_lagrange_coefficients() -> None:
    assert lagrange_coefficient(1, [1]) == Scalar.one()
    # interpolation at 0 of f(x) = 5 + 3x from points 2 and 7
    l2, l7 = lagrange_coefficient(2, [2, 7]), lagrange_coefficient(7, [2, 7])
    assert (l2 * Scalar.from_int(11) + l7 * Scalar.from_int(26)) == Scalar.from_int(5)
    assert l2.to_int() == 7 * pow(5, -1, L) % L
    for args, code in [
        ((3, [1, 2]), "tally_bad_index"),
        ((1, [1, 1]), "tally_duplicate_share"),
        ((0, [0, 1]), "tally_bad_index"),
    ]:
        with pytest.raises(TallyError) as info:
            lagrange_coefficient(*args)
        assert info.value.code == code


@pytest.mark.parametrize("value", [0, 1, 2, 99, 100, 316, 317, 5000, 99_999, 100_000])
def test_small_discrete_log(value: int) -> None:
    assert small_discrete_log(message_point(value), 100_000) == value


def test_small_discrete_log_bounds_and_speed() -> None:
    with pytest.raises(TallyError):
        small_discrete_log(message_point(11), 10)
    with pytest.raises(TallyError):
        small_discrete_log(Point.base_mul(Scalar.from_int(L - 1)), 10_000)
    assert small_discrete_log(Point.identity(), 0) == 0
    small_discrete_log(message_point(1), 100_000)  # warm the cache
    start = time.perf_counter()
    assert small_discrete_log(message_point(100_000), 100_000) == 100_000
    assert time.perf_counter() - start < 0.05  # milliseconds, not seconds


def test_combining_a_large_aggregate() -> None:
    # 100 000 votes for one option, built directly as an encryption of the count.
    key, shares, vks, rng = _setup(2, 3, b"large")
    agg = (encrypt(key, 100_000, rng()), encrypt(key, 0, rng()), encrypt(key, 1, rng()))
    picked = [compute_share(TCTX, agg, i, shares[i - 1], vks[i - 1], rng) for i in (3, 1)]
    assert combine(agg, picked, max_count=100_000) == (100_000, 0, 1)
    assert sum_ciphertexts([agg[2]]) == agg[2]


def test_share_json_round_trip_and_strictness() -> None:
    key, shares, vks, rng = _setup(2, 3, b"json")
    agg = _aggregate(key, [1], rng)
    share = compute_share(TCTX, agg, 3, shares[2], vks[2], rng)
    obj = share_to_json(share)
    assert share_from_json(obj) == share
    assert pickle.loads(pickle.dumps(share)) == share
    bad_cases: list[object] = [
        {**obj, "extra": 1},
        {**obj, "teller_index": 0},
        {**obj, "teller_index": True},
        {**obj, "partials": obj["partials"][:2]},  # type: ignore[index]
        {**obj, "partials": [b64e(b"\xff" * 32)] * 3},
        {**obj, "proofs": "x"},
    ]
    for bad in bad_cases:
        with pytest.raises(GroupError):
            share_from_json(bad)
    assert share_from_json({**obj, "partials": [b64e(bytes(32))] * 3}).partials[0].is_identity()
    with pytest.raises(EncodingError):
        share_from_json([])


def test_tally_context_validation() -> None:
    for args in [("", 1, OPTIONS), ("s", -1, OPTIONS), ("s", 1, ()), ("s", 1, ("a", "a"))]:
        with pytest.raises(TallyError) as info:
            TallyContext(*args)
        assert info.value.code == "tally_context_invalid"
    with pytest.raises(TallyError):
        compute_share(TCTX, (Ciphertext.zero(),) * 2, 1, Scalar.one(), Point.generator())

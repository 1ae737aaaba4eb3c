"""Tests of crypto.aggregate: the lazily summed running aggregate of a round."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import aggregate
from crypto.aggregate import RunningAggregate
from crypto.elgamal import Ciphertext, CiphertextShapeError, add_vectors, encrypt, zero_vector
from crypto.group import Point, Scalar, seeded_scalars


def ballots(
    count: int, n_options: int = 3, seed: bytes = b"aggregate"
) -> list[tuple[Ciphertext, ...]]:
    rng = seeded_scalars(seed)
    key = Point.base_mul(rng())
    return [
        tuple(encrypt(key, int(i % n_options == j), rng()) for j in range(n_options))
        for i in range(count)
    ]


def eager_sum(vectors: list[tuple[Ciphertext, ...]], n_options: int = 3) -> tuple[Ciphertext, ...]:
    total = zero_vector(n_options)
    for vector in vectors:
        total = add_vectors(total, vector)
    return total


def test_the_empty_aggregate_is_zero() -> None:
    empty = RunningAggregate.empty(3)
    assert (empty.count, empty.unsummed(), empty.value()) == (0, 0, zero_vector(3))


@settings(max_examples=15, deadline=None)
@given(count=st.integers(min_value=0, max_value=12), slices=st.lists(st.integers(0, 5)))
def test_summed_in_any_slices_it_is_the_eager_sum(count: int, slices: list[int]) -> None:
    vectors = ballots(count)
    running = RunningAggregate.empty(3)
    for vector in vectors:
        running = running.plus(vector)
    for limit in slices:
        left = running.unsummed()
        assert running.sum_up(limit) == max(0, left - limit)
    assert running.count == count
    assert running.value() == eager_sum(vectors)
    assert running.unsummed() == 0


def test_extending_leaves_the_old_aggregate_unchanged() -> None:
    vectors = ballots(5)
    base = RunningAggregate.empty(3).plus(vectors[0]).plus(vectors[1])
    left = base.plus(vectors[2])
    right = base.plus(vectors[3]).plus(vectors[4])
    # Whichever is summed first, the shared part is summed once and both stay right.
    assert right.value() == eager_sum([vectors[0], vectors[1], vectors[3], vectors[4]])
    assert left.unsummed() == 1
    assert left.value() == eager_sum(vectors[:3])
    assert base.unsummed() == 0 and base.value() == eager_sum(vectors[:2])
    assert (base.count, left.count, right.count) == (2, 3, 4)


def test_equality_compares_sums_and_counts() -> None:
    vectors = ballots(3)
    lazy = RunningAggregate.empty(3)
    for vector in vectors:
        lazy = lazy.plus(vector)
    known = RunningAggregate.of(eager_sum(vectors), 3)
    assert lazy == known and hash(lazy) == hash(known)
    assert lazy != RunningAggregate.of(eager_sum(vectors), 4)
    assert lazy != RunningAggregate.of(eager_sum(vectors[:2]), 3)


def test_it_pickles_as_its_sum() -> None:
    vectors = ballots(4)
    lazy = RunningAggregate.empty(3)
    for vector in vectors:
        lazy = lazy.plus(vector)
    copy = pickle.loads(pickle.dumps(lazy))
    assert copy == lazy and copy.unsummed() == 0 and copy.count == 4


def test_a_ballot_of_another_shape_is_refused_and_changes_nothing() -> None:
    running = RunningAggregate.empty(3).plus(ballots(1)[0])
    with pytest.raises(CiphertextShapeError):
        running.plus(ballots(1, n_options=2)[0])
    assert running.count == 1 and running.value() == eager_sum(ballots(1))


def test_a_long_chain_is_summed_without_recursion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregate, "MAX_UNSUMMED", 10_000)
    vector = ballots(1, n_options=1)[0]
    running = RunningAggregate.empty(1)
    for _ in range(5000):  # deeper than Python's recursion limit
        running = running.plus(vector)
    assert running.sum_up(4000) == 1000
    times = Scalar.from_int(5000)
    assert running.value() == (Ciphertext(vector[0].alpha * times, vector[0].beta * times),)


def test_no_more_than_the_bound_waits_to_be_summed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregate, "MAX_UNSUMMED", 10)
    vectors = ballots(25)
    running = RunningAggregate.empty(3)
    for vector in vectors:
        running = running.plus(vector)
        assert running.unsummed() <= 10
    assert running.value() == eager_sum(vectors)


def test_summed_in_slices_as_it_grows_it_never_sums_a_backlog_by_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server sums a slice now and then while ballots keep coming: the bound must count only
    # what is still unsummed, or plus() would stall on a backlog the server is handling.
    monkeypatch.setattr(aggregate, "MAX_UNSUMMED", 12)
    vector = ballots(1, n_options=1)[0]
    running = RunningAggregate.empty(1)
    for _ in range(8):
        running = running.plus(vector)
    for _ in range(50):  # one in, one summed: 8 wait all along, 58 since the last full sum
        running = running.plus(vector)
        assert running.unsummed() == 9  # never summed by plus()
        running.sum_up(1)
    times = Scalar.from_int(58)
    assert running.value() == (Ciphertext(vector[0].alpha * times, vector[0].beta * times),)

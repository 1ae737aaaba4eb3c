"""A round's running homomorphic aggregate: extended in O(1), summed when there is time.

Adding one ballot to a round's per-option aggregate costs one ristretto255 addition per
ciphertext component — through libsodium each decodes both operands and encodes the result,
about 10 µs, so 60–70 µs for a three-option ballot. Done the moment a ballot is recorded, that
time is taken exactly when the server is busiest: during a burst of casts, from the cores
checking the next ballots' proofs. Summing 100 000 ballots only when the round closes would
instead take seconds.

:class:`RunningAggregate` does neither: :meth:`~RunningAggregate.plus` only records the
ballot's ciphertexts, and the sum is computed when it is asked for (:meth:`value`: closing
the round, checking a share) or, a slice at a time, whenever its holder has nothing more
urgent to do (:meth:`~RunningAggregate.sum_up`) — so a close still finds the sum ready.

It is a persistent value: :meth:`plus` returns a new aggregate that shares the old one, which
is left unchanged, so a domain state holding one stays an immutable value. Each aggregate
remembers its sum once computed — a cache, since the sum is a pure function of the ballots
added — and then forgets the chain of additions that led to it. Nobody need ever call
:meth:`~RunningAggregate.sum_up`: past :data:`MAX_UNSUMMED` ballots not summed,
:meth:`~RunningAggregate.plus` sums them itself, so memory stays bounded (a replay that never
asks for the sum holds at most that many ballots).

Summing writes those caches into aggregates that several states may share, so one aggregate
is used from one thread at a time (the server's event loop; a replay); it is pickled as its
sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crypto.elgamal import Ciphertext, CiphertextShapeError, add_vectors, zero_vector

#: At most this many added ballots wait to be summed; the next :meth:`RunningAggregate.plus`
#: sums them (a bound on memory; a server sums far sooner, in the background).
MAX_UNSUMMED = 2048


class RunningAggregate:
    """The per-option homomorphic sum of the ballots added so far (see the module docstring).

    Equal when their sums and ballot counts are equal (comparing sums them first). Make one
    with :meth:`empty`, :meth:`of` or :meth:`plus`.
    """

    __slots__ = ("_added", "_depth", "_previous", "_sum", "count", "n_options")

    _depth: int

    def __init__(
        self,
        n_options: int,
        count: int,
        previous: RunningAggregate | None,
        added: tuple[Ciphertext, ...] | None,
        total: tuple[Ciphertext, ...] | None,
    ) -> None:
        # Either a known sum, or a previous aggregate plus one ballot's ciphertexts (both
        # forgotten once the sum is known).
        self.n_options = n_options
        self.count = count
        self._previous = previous
        self._added = added
        self._sum = total
        # How many unsummed aggregates lead up to this one. sum_up renumbers the chain it
        # walks; an aggregate extended from one of them before that keeps its count, an
        # overestimate that can only make the bound in plus() act early.
        unsummed_before = 0 if previous is None or previous._sum is not None else previous._depth
        self._depth = unsummed_before + (total is None)

    @classmethod
    def empty(cls, n_options: int) -> RunningAggregate:
        """The aggregate of no ballots (``n_options`` zero ciphertexts)."""
        return cls(n_options, 0, None, None, zero_vector(n_options))

    @classmethod
    def of(cls, total: Sequence[Ciphertext], count: int) -> RunningAggregate:
        """An aggregate whose sum (of ``count`` ballots) is already known."""
        return cls(len(total), count, None, None, tuple(total))

    def plus(self, ciphertexts: Sequence[Ciphertext]) -> RunningAggregate:
        """This aggregate with one more ballot's ciphertexts (one per option); O(1)."""
        if len(ciphertexts) != self.n_options:
            raise CiphertextShapeError(
                f"cannot add a {len(ciphertexts)}-option ballot to a "
                f"{self.n_options}-option aggregate"
            )
        extended = RunningAggregate(self.n_options, self.count + 1, self, tuple(ciphertexts), None)
        if extended._depth > MAX_UNSUMMED:
            extended.sum_up()
        return extended

    def value(self) -> tuple[Ciphertext, ...]:
        """The sum per option (computed now for whatever was not summed yet)."""
        self.sum_up()
        assert self._sum is not None
        return self._sum

    def unsummed(self) -> int:
        """How many added ballots are not summed yet (walks them: O(that many))."""
        return len(self._chain())

    def sum_up(self, limit: int | None = None) -> int:
        """Sum up to ``limit`` of the oldest ballots not summed yet (all if ``None``);
        return how many remain. Each aggregate reached remembers its sum."""
        chain = self._chain()
        if not chain:
            return 0
        steps = chain if limit is None else chain[: max(0, limit)]
        base = chain[0]._previous
        assert base is not None and base._sum is not None
        total = base._sum
        for node in steps:
            assert node._added is not None
            total = add_vectors(total, node._added)
            # Known now: the additions that led here are no longer needed.
            node._sum, node._previous, node._added, node._depth = total, None, None, 0
        for depth, node in enumerate(chain[len(steps) :], start=1):
            node._depth = depth  # what is left now starts after the last sum
        return len(chain) - len(steps)

    def _chain(self) -> list[RunningAggregate]:
        """The aggregates from the oldest one without a sum up to ``self``, oldest first."""
        chain: list[RunningAggregate] = []
        node: RunningAggregate | None = self
        while node is not None and node._sum is None:
            chain.append(node)
            node = node._previous
        chain.reverse()
        return chain

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunningAggregate):
            return NotImplemented
        return (self.n_options, self.count) == (other.n_options, other.count) and (
            self.value() == other.value()
        )

    def __hash__(self) -> int:
        return hash((self.count, self.value()))

    def __repr__(self) -> str:
        return f"RunningAggregate(n_options={self.n_options}, count={self.count})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its sum: the chain of additions is not worth sending anywhere.
        return (RunningAggregate.of, (self.value(), self.count))


__all__ = ["RunningAggregate"]

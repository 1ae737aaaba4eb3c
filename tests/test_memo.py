"""The bounded memo: at most its size, least recently used out first."""

from __future__ import annotations

import pytest

from ballot.memo import BoundedMemo


def test_the_least_recently_used_entry_goes_first() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(2)
    memo.keep("a", 1)
    memo.keep("b", 2)
    assert memo.get("a") == 1  # "a" is now the most recently used
    memo.keep("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)
    assert len(memo) == 2


def test_a_memo_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BoundedMemo[str, int](0)

"""Long walks split into shares, each a test of its own, so that the test processes run them side
by side and no process carries a whole walk (tests/conftest.py lays the shares out between them).

The i-th of n shares takes the i-th of every n items (routes, roles): consecutive items, often of
one app and of a like cost, go to different shares; or, where the cost of each item is known
beforehand (a form's, by the requests its walk sends), shares of about equal cost. tests/test_shares.py checks that the
shares of each split walk together cover the whole walk, each item once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def share_of(items: Sequence[T], index: int, count: int) -> list[T]:
    """The `index`-th of `count` shares of `items`."""
    if not 0 <= index < count:
        raise ValueError(f"share {index} of {count}")
    return list(items[index::count])


def share_by_cost(items: Sequence[T], index: int, count: int, cost: Callable[[T], float]) -> list[T]:
    """The `index`-th of `count` shares of `items` of about equal cost: the costliest first, each
    to the share with the least so far (items keep their order within a share)."""
    if not 0 <= index < count:
        raise ValueError(f"share {index} of {count}")
    loads = [0.0] * count
    owner: dict[int, int] = {}
    for position in sorted(range(len(items)), key=lambda i: (-cost(items[i]), i)):
        lightest = loads.index(min(loads))
        owner[position] = lightest
        loads[lightest] += cost(items[position])
    return [item for position, item in enumerate(items) if owner[position] == index]

"""The walks split into shares (tests/shares.py) cover together what each covered whole: every
item in exactly one share, in the order of the whole walk."""

from __future__ import annotations

import pytest

from tests.shares import share_of


def _covers_once(whole: list[object], count: int) -> None:
    shares = [share_of(whole, i, count) for i in range(count)]
    assert sorted(map(repr, (x for s in shares for x in s))) == sorted(map(repr, whole))
    assert sum(len(s) for s in shares) == len(whole)
    assert all(shares), "a share with nothing to walk"


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_the_shares_of_a_walk_take_each_item_once(count: int) -> None:
    _covers_once(list(range(30)), count)
    with pytest.raises(ValueError):
        share_of([1, 2], count, count)


def test_the_bad_input_walks_shares_cover_every_route() -> None:
    from tests.test_bad_input import QUERY_SHARES
    from tests.test_isolation import all_routes

    _covers_once(list(all_routes()), QUERY_SHARES)


def test_the_isolation_forgery_shares_cover_every_route() -> None:
    from tests.test_isolation import FORGERY_SHARES, all_routes

    _covers_once(list(all_routes()), FORGERY_SHARES)


@pytest.mark.parametrize("count", [1, 2, 4, 5])
def test_the_shares_by_cost_take_each_item_once_and_weigh_about_the_same(count: int) -> None:
    from tests.shares import share_by_cost

    whole = [1, 30, 2, 2, 9, 14, 3, 3, 7, 1, 5, 8, 20, 4]
    shares = [share_by_cost(whole, i, count, float) for i in range(count)]
    assert sorted(x for s in shares for x in s) == sorted(whole)
    weights = [sum(s) for s in shares]
    assert max(weights) - min(weights) <= max(whole), weights

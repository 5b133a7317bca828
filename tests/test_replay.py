"""The replay of the shared fixtures (tests/replay.py) gives a test the database a build gives it."""

from __future__ import annotations

from django.db import transaction

from tests.conftest import City, Tree, _tree
from tests.replay import _rows, _tables, replayed


def test_a_replayed_build_leaves_every_table_as_the_build_did_and_runs_once(db: None) -> None:
    calls: list[Tree] = []

    def build() -> City:
        tree = _tree()
        calls.append(tree)
        return tree.a.with_enrollment(100)

    key = ("test_replay", id(calls))
    tables = _tables()
    with transaction.atomic():
        saved = transaction.savepoint()
        built = replayed(key, build)
        after_build = _rows(tables)
        transaction.savepoint_rollback(saved)
    assert built.policy.number not in str(_rows(tables)["enrollment_policy"])
    copy = replayed(key, build)
    assert len(calls) == 1, "the second call replays instead of building"
    assert _rows(tables) == after_build
    assert copy is not built and copy.policy.pk == built.policy.pk and copy.policy.number == built.policy.number

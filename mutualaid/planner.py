"""A word to PostgreSQL's planner for one read, which ends with it.

Settings are given with `set_config(…, true)` inside a transaction and put back after the read:
nothing outlives the transaction, as PgBouncer's transaction pooling needs (README, "Behind
PgBouncer"), and nothing reaches the caller's later queries when the read runs inside a larger
transaction (a savepoint's release would otherwise keep them to its end).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Costs that tell the planner a parallel scan is free to start and to hand rows over.
PARALLEL_FREE = {"parallel_setup_cost": "0", "parallel_tuple_cost": "0"}


@contextmanager
def parallel_reads(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The reads inside planned with PostgreSQL's parallel workers wherever they can be.

    For a read whose matches the planner cannot estimate and which it expects to stop early (a
    `LIMIT` over a condition no statistics describe): it then reads alone, and where few or no rows
    match it reads the whole table on one core. A failed read rolls the settings back with its
    savepoint."""
    names = list(PARALLEL_FREE)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        # What they were, read before they are set (a select list is computed left to right).
        reads = ", ".join("current_setting(%s)" for _ in names)
        cursor.execute(f"SELECT {reads}, {_set_sql(len(names))}", [*names, *_pairs(PARALLEL_FREE.items())])
        before = cursor.fetchone()[: len(names)]
        yield
        cursor.execute(f"SELECT {_set_sql(len(names))}", _pairs(zip(names, before, strict=True)))


def _set_sql(count: int) -> str:
    return ", ".join("set_config(%s, %s, true)" for _ in range(count))


def _pairs(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [part for pair in pairs for part in pair]

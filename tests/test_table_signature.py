"""django-tables2's signature of a cell's render method, read once per function
(mutualaid/tablesignature.py): the same answer as the library's own for every kind of callable."""

from __future__ import annotations

import functools
from typing import Any

import django_tables2 as tables
from django_tables2 import utils

from mutualaid import tablesignature


class Table:
    def render_name(self, value: Any, record: Any) -> str:
        return f"{value}{record}"

    def render_all(self, **kwargs: Any) -> str:
        return str(kwargs)

    def render_some(self, value: Any, *args: Any, bound_column: Any = None, **rest: Any) -> str:
        return str(value)

    @classmethod
    def render_kind(cls, record: Any) -> str:
        return str(record)

    @staticmethod
    def render_plain(value: Any) -> str:
        return str(value)


class Caller:
    def __call__(self, record: Any, table: Any) -> str:
        return str(record)


class Unhashable(Caller):
    __hash__ = None  # type: ignore[assignment]


def plain(value: Any, record: Any = None) -> str:
    return str(value)


def test_the_kept_signature_is_the_library_s_for_every_kind_of_callable() -> None:
    first, second = Table(), Table()
    callables = [
        first.render_name,
        second.render_name,  # the same function bound to another table: the same answer
        first.render_all,
        first.render_some,
        first.render_kind,
        Table.render_kind,
        first.render_plain,
        Table.render_name,  # the function itself: `self` is an argument
        plain,
        lambda value: value,
        functools.partial(plain, record=1),
        Caller(),
        Unhashable(),
        str.upper,
        "abc".upper,
    ]
    for fn in callables:
        assert tablesignature.signature(fn) == tablesignature._uncached(fn), fn
        assert tablesignature.signature(fn) == tablesignature._uncached(fn), fn  # and when kept


def test_the_library_asks_the_kept_signature_and_renders_as_before() -> None:
    assert utils.signature is tablesignature.signature

    class People(tables.Table):
        name = tables.Column()
        age = tables.Column()

        def render_name(self, value: str, record: dict[str, Any]) -> str:
            return f"{value} ({record['age']})"

        def value_age(self, value: int) -> str:
            return f"{value}岁"

    rows = [{"name": "张三", "age": 30}, {"name": "李四", "age": 41}]
    table = People(rows)
    assert [[row.get_cell(c) for c in ("name", "age")] for row in table.rows] == [["张三 (30)", 30], ["李四 (41)", 41]]
    assert list(table.as_values()) == [["Name", "Age"], ["张三 (30)", "30岁"], ["李四 (41)", "41岁"]]

"""Fixtures built once per test process and module, and replayed into every later test.

`claims_ready` (a province of two cities, an approved list, a schedule and the reviewers) is
asked for by some 470 tests; built through the services it costs each of them about 500 queries.
The first test of a module that asks for it builds it as before; what the build wrote is recorded
(every row it added or changed, in every table, as the database stands after it), and each later
test of the module gets the same rows written back into its own transaction in one statement,
with the same primary keys, and a copy of the Python objects the build returned. A test still
sees what a fresh build gives it and still changes nothing the next test sees: its transaction is
rolled back as before.

The rows are written with the triggers off (`session_replication_role = replica`, as the test
runner's flush does): the triggers already ran during the recorded build, and their own rows (the
audit trail, the running figures, the ledger's checks) are among those recorded. The sequences
are moved past the replayed keys, so that rows a test adds never collide with them.

A recording is per process (each has its own database) and keyed by the module, the business day
and any other key the fixture names, so that a module's own autouse fixtures, or a test travelling
in time, get a build of their own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Recording:
    sql: str  # the rows the build added or changed, written back with the triggers off
    value: Any  # what the build returned, copied for each test
    files: dict[Path, bytes]  # the files the build stored (an upload, a printed card), put back if gone


_RECORDINGS: dict[tuple[Any, ...], Recording] = {}
# How many times this process's database was emptied (after a transactional test): the rows the
# migrations left (content types, permissions) come back with other keys, so a recording made
# before is of another database.
FLUSHES = [0]


@dataclass(frozen=True)
class Table:
    keys: list[str]  # the columns of its primary key
    sequence: str | None  # the sequence of a one-column key (serial or identity), if it has one


def _tables() -> dict[str, Table]:
    """Every table of the schema, with its primary key and the key's sequence."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   coalesce(array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attname IS NOT NULL), '{}'),
                   pg_get_serial_sequence(quote_ident(c.relname), min(a.attname))
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
            GROUP BY c.relname
            """
        )
        found = cursor.fetchall()
    return {name: Table(list(keys), sequence if len(keys) == 1 else None) for name, keys, sequence in found}


def _rows(tables: dict[str, Table]) -> dict[str, set[str]]:
    """Every row of every table as JSON text, in one query."""
    from django.db import connection

    quote = connection.ops.quote_name
    # The names are the catalogue's own, quoted; no value of a row is part of the statement.
    union = " UNION ALL ".join(f"SELECT %s, row_to_json(t)::text FROM {quote(name)} t" for name in tables)  # noqa: S608
    found: dict[str, set[str]] = {name: set() for name in tables}
    with connection.cursor() as cursor:
        cursor.execute(union, list(tables))
        for name, row in cursor.fetchall():
            found[name].add(row)
    return found


def _sequence_sql(name: str, table: Table) -> str:
    """The table's sequence moved past its largest key, never back."""
    if table.sequence is None:
        return ""
    key = table.keys[0]
    sequence = _literal(table.sequence)
    return f'SELECT setval({sequence}, greatest((SELECT max("{key}") FROM "{name}"), nextval({sequence}) - 1));'  # noqa: S608


def _replay_sql(tables: dict[str, Table], before: dict[str, set[str]], after: dict[str, set[str]]) -> str | None:
    """The statements that turn `before` into `after`, or None where a changed row has no key."""
    from django.db import connection

    quote = connection.ops.quote_name
    statements = ["SET LOCAL session_replication_role = replica;"]
    for name, table in tables.items():
        keys = table.keys
        gone = before[name] - after[name]
        added = after[name] - before[name]
        if gone:
            if not keys:
                return None
            for row in map(json.loads, gone):
                match = " AND ".join(f"{quote(k)}::text = {_literal(str(row[k]))}" for k in keys)
                statements.append(f"DELETE FROM {quote(name)} WHERE {match};")  # noqa: S608
        if added:
            array = "[" + ",".join(sorted(added)) + "]"
            rows = f"json_populate_recordset(NULL::{quote(name)}, {_literal(array)})"
            statements.append(f"INSERT INTO {quote(name)} SELECT * FROM {rows};")  # noqa: S608
            statements.append(_sequence_sql(name, table))
    statements.append("SET LOCAL session_replication_role = origin;")
    return "\n".join(s for s in statements if s)


def _literal(text: str) -> str:
    """A text literal of the statements above (standard_conforming_strings is on: only quotes are
    doubled; the rows' JSON holds no NUL, which PostgreSQL text cannot)."""
    return "'" + text.replace("'", "''") + "'"


def replayed(key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """`build()` the first time `key` is asked for in this process, recording what it wrote; the
    recording replayed, and a copy of what it returned, every later time. A transactional test
    builds its own."""
    from django.db import connection

    if not connection.in_atomic_block:  # a transactional test: what it writes is committed
        return build()
    key = (*key, FLUSHES[0])
    recording = _RECORDINGS.get(key)
    if recording is not None:
        with connection.cursor() as cursor:
            cursor.execute(recording.sql)
        for path, content in recording.files.items():  # a test may have deleted one (retention)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        return copy.deepcopy(recording.value)
    tables = _tables()
    before, files_before = _rows(tables), _files()
    value = build()
    sql = _replay_sql(tables, before, _rows(tables))
    if sql is not None:
        written = {path for path, stamp in _files().items() if files_before.get(path) != stamp}
        files = {path: path.read_bytes() for path in written}
        _RECORDINGS[key] = Recording(sql=sql, value=copy.deepcopy(value), files=files)
    return value


def _files() -> dict[Path, tuple[int, int]]:
    """Every file under the media folder, with when it was last written and its size: a file the
    build writes may have a name another test process used before it."""
    from django.conf import settings

    found = {}
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            stat = path.stat()
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found

"""Benchmark: four years of history, 20,000,000 enrollments, in one table and partitioned by
period year (issue 20: "history partitioned").

    .venv/bin/python bench/history_bench.py [--rebuild]

Reuses the synthetic province of bench/enrollment_bench.py and bench/reporting_bench.py
(database `mutualaid_bench`, built by them) and builds from its 5,000,000 enrollments, once, in
a schema `history` of the same database: four years of them (period years 2023–2026, the same
5,000,000 people each year, creation dates moved into their year), 20,000,000 rows, twice over:

- `history.flat`: one table, with the product's indexes that these reads use (the primary key,
  the subtree prefix index, the person-and-period index of active enrollments);
- `history.parted`: the same rows in a table partitioned by `period_year` (PostgreSQL's
  declarative partitioning, a partition a year), the same indexes with the year in the keys that
  must be unique, as partitioning requires.

Then measures, in the same run, each best of three after a first run that reads the table into
memory, on either table:

1. the roll-up's pass over the enrollments (the product's own query, `reporting.overview`, for
   the province and the latest closed month: every year, for the all-years figures), and its
   floor, a bare `GROUP BY` city;
2. the same pass over one year (the rows of period year 2026): what a roll-up would read if the
   all-years figures of the closed years were carried from the last snapshot of December;
3. the province-wide duplicate search of a 100,000-row list for the 2026 period (half the people
   enrolled already): by the days only, as it was; the product's query
   (`enrollment.validation.PROVINCE_HOLDINGS_SQL`), told the periods whose days overlap the list's
   too; and told the period's year as well, which a partitioned table prunes by.

It also checks what the product's schema would meet on a partitioned table: a statement trigger
with transition tables (the running figures' triggers), and a foreign key to the enrollment's
own `id` (claims and subsidy movements have one). It is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import enrollment_bench as eb  # noqa: E402

YEARS = (2023, 2024, 2025, 2026)
TABLES = ("history.flat", "history.parted")
LIST_ROWS = 100_000
# A year's copy of a period: its own id, the year's millions plus the period's (an SQL
# expression of `year` and `period`); the enrollments' copies and `history.period` number them alike.
YEAR_PERIOD = 1_000_000
YEAR_PERIOD_ID = "{year}::bigint * " + str(YEAR_PERIOD) + " + {period}"
# The columns each year's copy changes; the rest are copied as they are.
MOVED = {
    "id": "e.id + {k}::bigint * 100000000",
    # Each year its own period (no foreign key here); the bench's two periods kept apart.
    "period_id": YEAR_PERIOD_ID.format(year="{year}", period="e.period_id"),
    "starts_on": "make_date({year}, 1, 1)",
    "ends_on": "make_date({year}, 12, 31)",
    "created_at": "e.created_at + make_interval(years => {year} - extract(year FROM e.created_at)::int)",
    # The bench's 2025 period holds other people than its 2026 one: kept as other people.
    "id_hash": "CASE WHEN e.period_id = {current} THEN e.id_hash ELSE sha256(e.id_hash) END",
}


def build(cursor: Any, current_period: int) -> None:
    """The two tables, from the bench's enrollments (about 8 minutes on two cores)."""
    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'enrollment_enrollment'")
    columns = [name for (name,) in cursor.fetchall()]
    cursor.execute("DROP SCHEMA IF EXISTS history CASCADE; CREATE SCHEMA history")
    cursor.execute(
        "CREATE TABLE history.flat (LIKE enrollment_enrollment INCLUDING DEFAULTS, period_year smallint NOT NULL)"
    )
    cursor.execute(
        "CREATE TABLE history.parted (LIKE history.flat INCLUDING DEFAULTS) PARTITION BY RANGE (period_year)"
    )
    for year in YEARS:
        cursor.execute(
            f"CREATE TABLE history.parted_{year} PARTITION OF history.parted FOR VALUES FROM ({year}) TO ({year + 1})"
        )
    names = ", ".join(f'"{name}"' for name in columns)
    for k, year in enumerate(reversed(YEARS)):
        values = ", ".join(
            MOVED[name].format(k=k, year=year, current=current_period) if name in MOVED else f'e."{name}"'
            for name in columns
        )
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO history.flat ({names}, period_year) SELECT {values}, {year} FROM enrollment_enrollment e"
        )
        print(f"  flat: {year} in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    cursor.execute(f"INSERT INTO history.parted ({names}, period_year) SELECT {names}, period_year FROM history.flat")
    print(f"  partitioned: copied in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    for table, year_key in (("flat", ""), ("parted", ", period_year")):
        cursor.execute(f"ALTER TABLE history.{table} ADD PRIMARY KEY (id{year_key})")
        cursor.execute(f"CREATE INDEX {table}_subtree ON history.{table} (org_path varchar_pattern_ops)")
        cursor.execute(
            f"CREATE UNIQUE INDEX {table}_person ON history.{table} (id_hash, period_id{year_key}) "
            "WHERE status = 'active'"
        )
    print(f"  indexes in {time.perf_counter() - started:.0f} s", flush=True)
    for table in ("flat", "parted"):
        cursor.execute(f"VACUUM ANALYZE history.{table}")


def periods(cursor: Any) -> None:
    """Each year's periods and the plans, for the searches' condition on overlapping periods
    (`enrollment.selectors.period_ids_overlapping`, read here from `history.period`)."""
    years = ", ".join(str(year) for year in YEARS)
    cursor.execute(
        "DROP TABLE IF EXISTS history.period, history.plan;"
        "CREATE TABLE history.plan AS SELECT id, kind FROM enrollment_plan;"
        f"CREATE TABLE history.period AS SELECT {YEAR_PERIOD_ID.format(year='y', period='p.id')} AS id, p.plan_id, "
        "make_date(y, 1, 1) AS starts_on, make_date(y, 12, 31) AS ends_on "
        f"FROM enrollment_period p CROSS JOIN unnest(ARRAY[{years}]) AS y;"
        "ANALYZE history.plan; ANALYZE history.period"
    )


def built(cursor: Any) -> bool:
    cursor.execute(
        "SELECT to_regclass('history.parted') IS NOT NULL AND to_regclass('history.parted_2026') IS NOT NULL"
    )
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT count(*), min(period_id) FROM history.parted_2026")
    year, period = cursor.fetchone()
    if period is None or period < YEARS[-1] * YEAR_PERIOD:  # periods numbered as an earlier bench did
        return False
    cursor.execute("SELECT count(*) FROM enrollment_enrollment")
    return year == cursor.fetchone()[0]


def rollup_sql(province: Any, month: date) -> str:
    """The roll-up's pass over the enrollments as the product sends it (captured, values in)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mutualaid.tenancy import org_scope
    from reporting.figures import Window
    from reporting.overview import _people_groups

    with org_scope(province), CaptureQueriesContext(connection) as queries:
        _people_groups(province, Window(month))
    (sql,) = [q["sql"] for q in queries.captured_queries if '"enrollment_enrollment"' in q["sql"]]
    return sql.split("; ", 1)[-1] if sql.startswith("SELECT set_config") else sql


def timed(cursor: Any, sql: str, params: Any = None, *, runs: int = 3) -> tuple[float, int]:
    """Best of `runs` after one run that reads the table into memory; and the rows it answered."""
    best, rows = float("inf"), 0
    for run in range(runs + 1):
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = len(cursor.fetchall())
        if run:
            best = min(best, time.perf_counter() - started)
    return best, rows


def measure(cursor: Any, province: Any, current_period: Any) -> list[tuple[str, dict[str, float]]]:
    from enrollment.validation import PROVINCE_HOLDINGS_SQL
    from mutualaid import dates

    month = dates.add_months(dates.month_start(dates.business_today()), -1)
    rollup = rollup_sql(province, month)
    floor = "SELECT substr(org_path, 1, 14), count(*), sum(premium) FROM {table} GROUP BY 1"
    cursor.execute(
        f"SELECT id_hash FROM enrollment_enrollment WHERE period_id = %s ORDER BY random() LIMIT {LIST_ROWS // 2}",
        [current_period.pk],
    )
    hashes = [bytes(h) for (h,) in cursor.fetchall()] + [secrets.token_bytes(32) for _ in range(LIST_ROWS // 2)]
    search = {
        "province": province.pk,
        "kinds": [current_period.plan.kind],
        "starts": date(2026, 1, 1),
        "ends": date(2026, 12, 31),
        "hashes": hashes,
        "replaced": None,
    }
    days_only = PROVINCE_HOLDINGS_SQL.replace("AND e.period_id = ANY(%(periods)s)", "")
    assert days_only != PROVINCE_HOLDINGS_SQL
    # The periods of the tables here (`periods`): what `period_ids_overlapping` reads in the product.
    cursor.execute(
        "SELECT p.id FROM history.period p JOIN history.plan k ON k.id = p.plan_id "
        "WHERE k.kind = ANY(%(kinds)s) AND p.starts_on <= %(ends)s AND p.ends_on >= %(starts)s",
        search,
    )
    search["periods"] = [pk for (pk,) in cursor.fetchall()]
    cases: list[tuple[str, str, Any]] = [
        ("floor: GROUP BY city, every year", floor, None),
        ("roll-up's pass, every year (the product's query)", rollup, None),
        (
            "floor: GROUP BY city, period year 2026",
            floor.replace("GROUP BY", "WHERE period_year = 2026 GROUP BY"),
            None,
        ),
        ("roll-up's pass, period year 2026 only", rollup.replace(" WHERE ", " WHERE period_year = 2026 AND ", 1), None),
        ("duplicate search, 100,000 people, by the days only (before)", days_only, search),
        ("duplicate search, told the overlapping periods (the product's)", PROVINCE_HOLDINGS_SQL, search),
        (
            "duplicate search, told the period's year as well",
            PROVINCE_HOLDINGS_SQL + " AND e.period_year = 2026",
            search,
        ),
    ]
    found = []
    for name, sql, params in cases:
        figures: dict[str, float] = {}
        for table in TABLES:
            text = sql.replace('"enrollment_enrollment"', table).replace("enrollment_enrollment", table)
            text = text.replace("{table}", table)
            seconds, rows = timed(cursor, text, params)
            figures[table] = seconds
            figures[f"{table} rows"] = rows
        print(f"  {name}: " + ", ".join(f"{t} {figures[t]:.2f} s" for t in TABLES), flush=True)
        found.append((name, figures))
    return found


def schema_checks(cursor: Any) -> list[tuple[str, str]]:
    """What the product's schema would meet, each tried in a savepoint and undone."""
    from django.db import DatabaseError

    tries = [
        (
            "a statement trigger with transition tables on the partitioned table (the running figures')",
            "CREATE FUNCTION history.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';"
            "CREATE TRIGGER figures AFTER INSERT ON history.parted REFERENCING NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION history.noop()",
        ),
        (
            "a foreign key to the enrollment's id alone (claims, subsidy movements)",
            "CREATE TABLE history.claim (id bigint PRIMARY KEY, enrollment_id bigint REFERENCES history.parted (id))",
        ),
        (
            "a foreign key to (id, period_year)",
            "CREATE TABLE history.claim2 (id bigint PRIMARY KEY, enrollment_id bigint, period_year smallint, "
            "FOREIGN KEY (enrollment_id, period_year) REFERENCES history.parted (id, period_year))",
        ),
        (
            "a unique index of the person and period without the year",
            "CREATE UNIQUE INDEX person_alone ON history.parted (id_hash, period_id) WHERE status = 'active'",
        ),
    ]
    answers = []
    for name, sql in tries:
        cursor.execute("SAVEPOINT try_it")
        try:
            cursor.execute(sql)
            answers.append((name, "accepted"))
        except DatabaseError as error:  # a measurement: PostgreSQL's answer is the result
            answers.append((name, "refused: " + str(error).splitlines()[0]))
        cursor.execute("ROLLBACK TO SAVEPOINT try_it")
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="build the two tables again")
    args = parser.parse_args()
    url = eb._database_url()
    eb._ensure_database_exists(url)
    eb._setup_django(url)
    from django.db import connection, transaction

    from enrollment.models import Enrollment, Period
    from mutualaid.models import Organisation
    from mutualaid.tenancy import unscoped

    load_before = os.getloadavg()[0]
    with unscoped():
        if not Enrollment.objects.exists():
            raise SystemExit("build the province first: make bench, then bench/reporting_bench.py --skip-load")
        province = Organisation.objects.get(parent=None)
        current_period = Period.objects.select_related("plan").get(starts_on=date(2026, 1, 1), org=province)
    with connection.cursor() as cursor:
        if args.rebuild or not built(cursor):
            print("building four years of history, 20,000,000 enrollments, twice; this is done once…", flush=True)
            started = time.perf_counter()
            build(cursor, current_period.pk)
            print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
        periods(cursor)
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('history.flat')), "
            "(SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'history.parted'::regclass)"
        )
        sizes = cursor.fetchone()
        with transaction.atomic():
            found = measure(cursor, province, current_period)
            checks = schema_checks(cursor)
    print()
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at "
        f"the end; 20,000,000 enrollments over period years {YEARS[0]}–{YEARS[-1]}; sizes with indexes: one table "
        f"{sizes[0]}, partitioned {sizes[1]}"
    )
    print(f"{'seconds, best of 3':62} {'one table':>10} {'partitioned':>12} {'ratio':>6} {'rows':>8}")
    for name, figures in found:
        flat, parted = figures["history.flat"], figures["history.parted"]
        rows = int(figures["history.parted rows"])
        same = "" if rows == figures["history.flat rows"] else f"  DIFFERENT: {int(figures['history.flat rows']):,}"
        print(f"{name:62} {flat:10.2f} {parted:12.2f} {flat / parted:5.1f}x {rows:8,}{same}")
    print()
    print("the product's schema on a partitioned table:")
    for name, answer in checks:
        print(f"  {name}: {answer}")


if __name__ == "__main__":
    main()

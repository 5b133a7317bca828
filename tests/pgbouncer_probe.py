"""Run by tests/test_pgbouncer.py with DATABASE_URL pointing at a real PgBouncer in transaction
pooling with ONE server connection: two offices' whole month (enrollment with its COPY and
counters, cards, a claim through three levels, payment, the books, a roll-up, an export) built
at once from two threads, every transaction of both taking turns on that one connection. Prints a
JSON line: the errors, and what the server connection holds afterwards."""

from __future__ import annotations

import json
import threading
import traceback
from typing import Any

import django

django.setup()

from django.db import connection, connections  # noqa: E402

from config.celery import app  # noqa: E402
from enrollment.models import Enrollment  # noqa: E402
from mutualaid.models import OrgKind  # noqa: E402
from mutualaid.tenancy import unscoped  # noqa: E402
from tests.conftest import _city  # noqa: E402
from tests.factories import OrganisationFactory  # noqa: E402

app.conf.task_always_eager = True  # no worker here: jobs run in the thread that sends them
errors: list[str] = []
cursors_seen_while_iterating: list[int] = []


def _month(city: Any, offset: int) -> None:
    try:
        city.with_enrollment(offset).with_claim().with_finance()
    except Exception:
        errors.append(traceback.format_exc())
    finally:
        connections.close_all()


def _iterate_while_another_looks() -> None:
    """A long read the product does with `.iterator()` (member PDFs, cards), with another thread
    looking at the server's open cursors half-way."""
    try:
        with unscoped():
            for i, _row in enumerate(Enrollment.objects.order_by("pk").iterator(chunk_size=1)):
                if i == 1:
                    looker = threading.Thread(target=_count_cursors)
                    looker.start()
                    looker.join()
    except Exception:
        errors.append(traceback.format_exc())
    finally:
        connections.close_all()


def _count_cursors() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        cursors_seen_while_iterating.append(cursor.fetchone()[0])
    connections.close_all()


def main() -> dict[str, Any]:
    with unscoped():
        province = OrganisationFactory(code="P62", name="池化省办事处", kind=OrgKind.PROVINCE)
        cities = [_city(province, "XA", "甲XA西安"), _city(province, "BJ", "乙BJ宝鸡")]
    threads = [threading.Thread(target=_month, args=(city, 100 * (i + 1))) for i, city in enumerate(cities)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = threading.Thread(target=_iterate_while_another_looks)
    reader.start()
    reader.join()
    with connection.cursor() as cursor:  # the one server connection, as both threads left it
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),"
            " (SELECT count(*) FROM pg_prepared_statements), (SELECT count(*) FROM pg_cursors),"
            " current_setting('pghistory.context_id', true), current_setting('pgtrigger.ignore', true),"
            " current_setting('TimeZone'), pg_backend_pid()"
        )
        locks, prepared, cursors, context, ignore, zone, pid = cursor.fetchone()
    with unscoped():
        enrolled = Enrollment.objects.filter(org_path__startswith=province.path).count()
    return {
        "errors": errors,
        "advisory_locks": locks,
        "prepared_statements": prepared,
        "open_cursors": cursors,
        "cursors_seen_while_iterating": cursors_seen_while_iterating,
        "history_context_left": context or "",
        "trigger_ignore_left": ignore or "",
        "time_zone": zone,
        "server_pid": pid,
        "enrolled": enrolled,
    }


if __name__ == "__main__":
    print(json.dumps(main()))

"""Run beside tests/test_replica.py as an office's server runs: DATABASE_URL is the primary,
DATABASE_REPLICA_URL its streaming replica. Reads one command a line from stdin (a JSON list) and
answers each with one JSON line on stdout:

    ["read", token]            the reporting API and another API, and which database served each query
    ["snapshots", token]       the snapshots the provincial pull API lists
    ["rollup", office, day]    roll a month up (a write: on the primary)
    ["snapshot-isolation"]     the transaction replica reads run in
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import django

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

SEEN: Counter[str] = Counter()


def _counting(alias: str) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        SEEN[alias] += 1
        return execute(sql, params, many, context)

    return wrapper


def _watch() -> None:
    for alias in ("default", "replica"):
        connections[alias].execute_wrappers.append(_counting(alias))


def read(token: str) -> dict[str, Any]:
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    out = {}
    for name, url in {
        "overview_api": reverse("api_reporting_overview", kwargs={"version": "v1"}),
        "snapshots_api": reverse("api_reporting_snapshots", kwargs={"version": "v1"}),
        "policies_api_not_reporting": reverse("api_policy_list", kwargs={"version": "v1"}),
    }.items():
        SEEN.clear()
        status = client.get(url).status_code
        out[name] = {"status": status, **SEEN}
    return out


def snapshots(token: str) -> list[int]:
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    response = client.get(reverse("api_reporting_snapshots", kwargs={"version": "v1"}))
    return [row["office"] for row in response.json()["results"]]


def rollup(office_id: str, period: str) -> str:
    from datetime import date

    from mutualaid.models import Organisation
    from mutualaid.tenancy import org_scope, unscoped
    from reporting import services

    with unscoped():  # a command of the test's own: the office is named by the test
        office = Organisation.objects.get(pk=int(office_id))
    with org_scope(office):
        snapshot, _created = services.snapshot_rollup(office=office, period=date.fromisoformat(period))
    return str(snapshot.pk)


def snapshot_isolation() -> list[str]:
    from mutualaid.replica import REPLICA, replica_reads

    with replica_reads(), connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")
        return list(cursor.fetchone())


if __name__ == "__main__":
    _watch()
    handlers: dict[str, Callable[..., Any]] = {
        "read": read,
        "snapshots": snapshots,
        "rollup": rollup,
        "snapshot-isolation": snapshot_isolation,
    }
    for line in sys.stdin:
        command, *args = json.loads(line)
        print(json.dumps(handlers[command](*args)), flush=True)

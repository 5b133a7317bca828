"""Every page of the menu at province scale: the time and the queries of each, in process.

Issue 20 asks that no page of the product take more than 1 s at a province of 5,000,000
enrollments. This opens every entry of the menu, as it is drawn for a province account of each
office role, on the bench's province (`make bench` builds its enrollments, `bench/reporting_bench.py`
its claims, snapshots and targets: run both once first), one request at a time through Django's
test client in this process (no server: what is timed is the page's own work, its queries
included), and then the pages a person reaches from the menu with the figures that make them
heavy (the rankings of the plan, a member search by a unit's name and by part of a name).

Each page is opened twice: the first time with every cache empty (what the first leader of the
morning waits for), the second as the next person sees it. Pages over 1 s are marked.

It is a measurement, not a test: it exits 0 even when a page is over its goal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 1.0
BENCH_DB = "mutualaid_bench"


def _setup(database: str = BENCH_DB) -> None:
    base = os.environ.get("DATABASE_URL")
    if base:
        url = base.rsplit("/", 1)[0] + "/" + database
    else:
        from config.devdb import ensure_database

        url = ensure_database(database)
    os.environ["DATABASE_URL"] = url
    # As the bench's servers run (bench/reporting_bench.py): production settings, not DEBUG.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings", MUTUALAID_TESTING="1", ALLOWED_HOSTS="testserver", HTTPS_ONLY="0"
    )
    os.environ.pop("DEBUG", None)
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # the test client then hands back each page's template context


def _accounts() -> list[Any]:
    """One account per office role at the province, each with a confirmed authenticator."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mutualaid.models import Organisation, User
    from mutualaid.roles import OFFICE_ROLES
    from mutualaid.services import user_create
    from mutualaid.tenancy import unscoped

    found = []
    with unscoped():
        province = Organisation.objects.get(parent=None)
        for role in sorted(OFFICE_ROLES):
            username = f"bench_pages_{role}"
            user = User.auth_objects.filter(username=username).first() or user_create(
                username=username, password="Bench-2026-pages", org=province, roles=[role]
            )
            TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
                user=user, name="bench", confirmed=True
            )
            found.append(user)
    return found


def _client(user: Any) -> Any:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mutualaid.twofactor import CONFIRMED_AT

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session[CONFIRMED_AT] = time.time()
    session.save()
    return client


def _menu(client: Any) -> list[tuple[str, str]]:
    """The menu the home page draws for the client's account: (label, address)."""
    answer = client.get("/")
    assert answer.status_code == 200, answer.status_code
    return [(str(item["label"]), str(item["url"])) for item in answer.context["nav_items"]]


def _deep_pages() -> list[tuple[str, str, dict[str, str], str]]:
    """Pages one click past the menu that read the most at province scale."""
    from django.urls import reverse

    from mutualaid.models import Organisation
    from mutualaid.tenancy import org_scope, unscoped
    from reporting.rankings import ranking_plan_list

    with unscoped():
        province = Organisation.objects.get(parent=None)
    with org_scope(province):
        plan = ranking_plan_list(node=province)[0]
    rankings = reverse("reporting:rankings")
    members = reverse("enrollment:member_search")
    return [
        ("rankings of the first plan, this year", rankings, {"plan": str(plan.pk)}, "get"),
        (
            "rankings by renewal, state-owned units",
            rankings,
            {"plan": str(plan.pk), "sort": "renewal", "unit_type": "state"},
            "get",
        ),
        ("member search: units named 单位", members, {"unit_name": "单位"}, "get"),
        # A part of a name is POSTed (it may be an ID number), as the page's search box sends it.
        ("member search: a name containing 张", members, {"q": "张"}, "post"),
    ]


def _audit_pages(auditor: Any) -> list[tuple[str, str, Any, dict[str, str]]]:
    """The audit trail narrowed as an auditor narrows it, and as a city's auditor sees it: with
    millions of events (bench/audit_events.sql adds them to a copy of the bench database) each
    reads the event tables on their indexes."""
    from django.urls import reverse

    from mutualaid.models import Organisation, User
    from mutualaid.services import user_create
    from mutualaid.tenancy import unscoped

    with unscoped():
        city = Organisation.objects.filter(kind="city").order_by("path").first()
        person = User.auth_objects.filter(username="bench_agent").first()
        at_city = User.auth_objects.filter(username="bench_pages_auditor_city").first() or user_create(
            username="bench_pages_auditor_city", password="Bench-2026-pages", org=city, roles=["auditor"]
        )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=at_city, name="bench", defaults={"confirmed": True})
    audit = reverse("audit_list")
    pages = [
        ("audit trail: full ID numbers shown", {"action": "id_revealed"}),
        ("audit trail: one person's", {"actor": str(person.pk) if person else ""}),
        ("audit trail: one city's", {"office": str(city.pk) if city else ""}),
        ("audit trail: two days in January", {"at_min": "2026-01-01", "at_max": "2026-01-02"}),
        ("audit trail: organisations, by person", {"model": "mutualaid.Organisation", "sort": "actor"}),
        (
            "audit trail: two days, downloaded (refused: over 10,000)",
            {"at_min": "2026-01-01", "at_max": "2026-01-02", "export": "xlsx"},
        ),
        ("audit trail: one day, downloaded", {"at_min": "2026-01-05", "at_max": "2026-01-05", "export": "xlsx"}),
    ]
    found = [(label, audit, auditor, params) for label, params in pages]
    return [*found, ("audit trail of a city's auditor", audit, at_city, {})]


def _time(client: Any, url: str, params: dict[str, str], method: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        answer = getattr(client, method)(url, params)
        seconds = time.perf_counter() - started
    return seconds, answer.status_code, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="open only the pages whose address contains this")
    parser.add_argument(
        "--database",
        default=BENCH_DB,
        help="the database of the bench province (a copy with more rows, e.g. bench/audit_events.sql's)",
    )
    args = parser.parse_args()
    _setup(args.database)
    from django.core.cache import cache

    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores)")
    pages: dict[str, tuple[str, Any, dict[str, str], str]] = {}
    accounts = _accounts()
    for user in accounts:
        client = _client(user)
        for label, url in _menu(client):
            pages.setdefault(url, (f"{label} ({user.username.removeprefix('bench_pages_')})", client, {}, "get"))
    head = _client(next(u for u in accounts if u.username.endswith("office_head")))
    for label, url, params, method in _deep_pages():
        pages[f"{url}?{params}"] = (label, head, params, method)
    auditor = next(u for u in accounts if u.username.endswith("_auditor"))
    for label, url, user, params in _audit_pages(auditor):
        pages[f"{url}?{label}"] = (label, _client(user), params, "get")

    rows = []
    for key, (label, client, params, method) in pages.items():
        url = key.split("?", 1)[0]
        if args.only and args.only not in url:
            continue
        cache.clear()
        first = _time(client, url, params, method)
        again = _time(client, url, params, method)
        rows.append((label, url, first, again))
        mark = "  OVER 1 s" if first[0] > GOAL_SECONDS else ""
        print(f"{first[0]:7.2f} s {again[0]:7.2f} s {first[2]:4d} q  {first[1]}  {label}  {url}{mark}", flush=True)

    over = [row for row in rows if row[2][0] > GOAL_SECONDS]
    print()
    print(f"{len(rows)} pages; {len(over)} over {GOAL_SECONDS:.0f} s on their first opening; slowest:")
    for label, url, first, again in sorted(rows, key=lambda row: -row[2][0])[:10]:
        print(f"  {first[0]:7.2f} s (again {again[0]:.2f} s, {first[2]} queries)  {label}  {url}")
    if not args.only:
        _after_rollup(head)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


def _after_rollup(client: Any) -> None:
    """The first request for the latest rolled-up month after its roll-up against a cached one
    (issue 20: no slower than 3x). A roll-up gives the month a new snapshot, which the kept
    dashboard's key names: what the first leader after it reads is an empty cache's page."""
    from statistics import median

    from django.core.cache import cache

    from mutualaid.tenancy import unscoped
    from reporting.models import Snapshot, SnapshotKind

    with unscoped():
        latest = Snapshot.objects.filter(org__parent=None, kind=SnapshotKind.MONTHLY).order_by("-period_start").first()
    if latest is None:
        print("no rolled-up month: run bench/reporting_bench.py first")
        return
    month = f"{latest.period_start:%Y-%m}"
    print()
    print(f"the first request for {month} after its roll-up (caches empty) against the same request cached:")
    for label, url in (
        ("overview page", "/reporting/overview/"),
        ("overview API", "/api/v1/reporting/overview/"),
        ("dashboard", "/reporting/dashboard/"),
    ):
        params = {"month": month}
        cache.clear()
        first = _time(client, url, params, "get")[0]
        cached = median(_time(client, url, params, "get")[0] for _ in range(5))
        verdict = "met" if first <= 3 * cached else "MISSED"
        print(
            f"  {label:14} first {first * 1000:6.0f} ms, cached {cached * 1000:5.0f} ms (median of 5): "
            f"{first / cached:4.1f}x (goal <= 3x: {verdict})"
        )


if __name__ == "__main__":
    main()

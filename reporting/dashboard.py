"""The leaders' dashboard (领导驾驶舱) of one node for a month: a closed one, or the current one to date.

What a leader needs on the 1st of the month, at a glance: the year so far against the same
period last year, twelve months of trend, the child offices and plans side by side, how fast
claims were paid, premium held back below and the open risk flags. Every figure comes from a
grouped query over the tree under the node (the materialised path), so the number of queries is
the same for ten members or a million; `tests/test_dashboard.py` pins it.

The result is plain JSON-able data (amounts and ratios as strings, as in `overview`), read by the
page, its `json_script` for the charts, and any later export.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from claims.lifecycle import CLOCK_RUNNING
from claims.models import Claim, ClaimStatus
from claims.selectors import risk_list
from enrollment.models import Enrollment
from finance.selectors.remittances import remittance_warning_list
from finance.selectors.solvency import solvency_warnings
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.tenantcache import remember
from reporting import running
from reporting.figures import ZERO, Window, money, ratio
from reporting.models import Snapshot, SnapshotKind
from reporting.selectors import overview_figures_get
from reporting.turnaround import turnaround

TREND_MONTHS = 12


def _change(value: Decimal | int, before: Decimal | int) -> str | None:
    """The relative change against last year (0.25 = a quarter more), or None without a base."""
    if not before:
        return None
    return str(((Decimal(value) - Decimal(before)) / Decimal(before)).quantize(Decimal("0.0001")))


def dashboard(*, node: Organisation, month: date, today: date) -> dict[str, Any]:
    """The dashboard of `node` for `month` (any day of it); `today` dates the live figures
    (claims past their target now, remittances outstanding now).

    Kept in the cache for DASHBOARD_CACHE_SECONDS per viewer's subtree, node, month, day and the
    month's latest snapshot (mutualaid/tenantcache.py): a leader's page and the colleagues who
    open it in the same minute read it once, a new roll-up or revision shows at once, and
    `read_at` says when the figures were read."""
    window = Window(month.replace(day=1))
    submitted = (
        Snapshot.objects.filter(org=node, kind=SnapshotKind.MONTHLY, period_start=window.month)
        .order_by("-revision")
        .values_list("pk", flat=True)
        .first()
    )
    return remember(
        node,
        ("dashboard", f"{window.month:%Y-%m}", today.isoformat(), submitted or "live"),
        lambda: _dashboard(node, window, today),
        seconds=settings.DASHBOARD_CACHE_SECONDS,
    )


def _solvency(node: Organisation, window: Window, today: date) -> list[dict[str, Any]]:
    """The plans whose fund has left its band of reasonable surplus (合理结余) at the month's end,
    or today in a month not yet over, as the books stand."""
    return solvency_warnings(node=node, on=min(today, window.end - timedelta(days=1)))


def _dashboard(node: Organisation, window: Window, today: date) -> dict[str, Any]:
    last_year = Window(date(window.month.year - 1, window.month.month, 1))
    submitted = _snapshot_year_to_date(
        node, [dates.add_months(last_year.year_start, n) for n in range(-1, 12 + window.month.month)]
    )
    buckets = _by_month(node, start=last_year.year_start, end=window.end, submitted=submitted)

    def year_to_date(span: Window, key: str) -> Any:
        if span.month in submitted:  # as the office submitted it
            return submitted[span.month][key]
        return sum(
            (row[key] for bucket, row in buckets.items() if span.year_start <= bucket < span.end),
            ZERO if key in {"premium", "paid"} else 0,
        )

    now = {key: year_to_date(window, key) for key in ("people", "premium", "claims", "paid")}
    before = {key: year_to_date(last_year, key) for key in ("people", "premium", "claims", "paid")}
    loss_now = ratio(now["paid"], now["premium"])
    loss_before = ratio(before["paid"], before["premium"])
    figures, snapshot = overview_figures_get(node=node, month=window.month)
    warnings = held_back(node=node, today=today)
    outstanding = sum((Decimal(w["outstanding"]) for w in warnings), ZERO)
    flagged, codes = _risk_flags(node)
    clock = Claim.objects.filter(org_path__startswith=node.path, status__in=CLOCK_RUNNING).aggregate(
        overdue=Count("pk", filter=Q(target_due_on__lt=today)),
        past_limit=Count("pk", filter=Q(limit_due_on__lt=today)),
    )
    return {
        "office": {"id": node.pk, "name": node.name},
        "month": f"{window.month:%Y-%m}",
        "year": window.month.year,
        "read_at": timezone.now().isoformat(timespec="seconds"),
        "headline": {
            "people": _compare(now, before, "people"),
            "premium": _compare(now, before, "premium"),
            "claims": _compare(now, before, "claims"),
            "paid": _compare(now, before, "paid"),
            "loss_ratio": {
                "value": loss_now,
                "before": loss_before,
                # In points of the ratio (0.0500 = five percentage points), not relative.
                "change": str(Decimal(loss_now) - Decimal(loss_before)) if loss_now and loss_before else None,
            },
            "remittances_outstanding": {
                "value": money(outstanding),
                "offices": len({w["office_id"] for w in warnings if Decimal(w["outstanding"]) > 0}),
            },
            "risk_flags": {"value": flagged},
            "overdue": {"value": clock["overdue"], "past_limit": clock["past_limit"]},
        },
        "trends": [
            {
                "month": f"{bucket:%Y-%m}",
                "people": buckets[bucket]["people"],
                "premium": money(buckets[bucket]["premium"]),
                "claims": buckets[bucket]["claims"],
                "paid": money(buckets[bucket]["paid"]),
            }
            for bucket in (dates.add_months(window.month, n) for n in range(1 - TREND_MONTHS, 1))
        ],
        "children": _children(figures, node),
        "solvency": _solvency(node, window, today),
        "plans": [
            {
                "id": row["plan_id"],
                "name": row["plan_name"],
                "people_year": row["people_year"],
                "premium_year": row["premium_year"],
                "claims_year": row["claims_year"],
                "paid_year": row["paid_year"],
                "loss_ratio": row["loss_ratio"],
            }
            for row in figures["totals"]
        ],
        "turnaround": _turnaround(node, window, snapshot),
        "remittances": warnings,
        "risk_flags": [{"code": code, "claims": count} for code, count in codes.most_common()],
    }


def _turnaround(node: Organisation, window: Window, snapshot: Snapshot | None) -> dict[str, Any]:
    """How fast the month's claims were paid: a rolled-up month's as its roll-up found it (kept
    with the snapshot, as its other figures), otherwise counted from the month's paid claims."""
    if snapshot is not None and snapshot.turnaround is not None:
        return dict(snapshot.turnaround)
    return turnaround(node=node, window=window)


def _compare(now: dict[str, Any], before: dict[str, Any], key: str) -> dict[str, Any]:
    """A year-to-date figure, the same period of last year, and the change."""
    value, prior = now[key], before[key]
    shown = money if isinstance(value, Decimal) else int
    return {"value": shown(value), "before": shown(prior), "change": _change(value, prior)}


FLOWS = ("people", "premium", "claims", "paid")
# A snapshot's year-to-date figure (its totals rows) → the month's flow it adds up to.
YEAR_TO_DATE = {"people": "people_year", "premium": "premium_year", "claims": "claims_year", "paid": "paid_year"}


def _empty() -> dict[str, Any]:
    return {"people": 0, "premium": ZERO, "claims": 0, "paid": ZERO}


def _by_month(
    node: Organisation, *, start: date, end: date, submitted: dict[date, dict[str, Any]]
) -> dict[date, dict[str, Any]]:
    """People and premium by month enrolled, claims and payouts by month paid, for the months
    from `start` to before `end`: the difference of two consecutive snapshots' year-to-date
    figures (`submitted`) where the node has them, the other months from the node's running
    figures (one query)."""
    months = []
    month = start
    while month < end:
        months.append(month)
        month = dates.add_months(month, 1)
    buckets: dict[date, dict[str, Any]] = {}
    missing = []
    for month in months:
        now = submitted.get(month)
        before = _empty() if month.month == 1 else submitted.get(dates.add_months(month, -1))
        if now is None or before is None:
            missing.append(month)
            continue
        buckets[month] = {key: now[key] - before[key] for key in FLOWS}
    if missing:
        live = _live_by_month(node, start=missing[0], end=dates.add_months(missing[-1], 1))
        for month in missing:
            buckets[month] = live.get(month, _empty())
    return buckets


def _snapshot_year_to_date(node: Organisation, months: list[date]) -> dict[date, dict[str, Any]]:
    """The year-to-date totals of the node's latest snapshot of each of `months` that has one
    (one query, reading only the totals of each snapshot)."""
    found: dict[date, dict[str, Any]] = {}
    rows = (
        Snapshot.objects.filter(org=node, kind=SnapshotKind.MONTHLY, period_start__in=months)
        .order_by("period_start", "revision")
        .values_list("period_start", "figures__totals")
    )
    for month, totals in rows:  # later revisions overwrite earlier ones
        found[month] = {
            key: sum(
                (Decimal(row[figure]) if key in {"premium", "paid"} else int(row[figure]) for row in totals or []),
                ZERO if key in {"premium", "paid"} else 0,
            )
            for key, figure in YEAR_TO_DATE.items()
        }
    return found


def _live_by_month(node: Organisation, *, start: date, end: date) -> dict[date, dict[str, Any]]:
    """The monthly figures of the node from its running figures (`reporting.running`: kept by the
    database as lists are approved and claims paid), one indexed read whatever the size of the
    tree; from the rows themselves with `REPORTING_FROM_ROWS`."""
    if settings.REPORTING_FROM_ROWS:
        return _rows_by_month(node, start=start, end=end)
    buckets: dict[date, dict[str, Any]] = defaultdict(_empty)
    buckets.update(running.monthly_flows(node, start=start, end=end))
    return buckets


def _rows_by_month(node: Organisation, *, start: date, end: date) -> dict[date, dict[str, Any]]:
    """The monthly figures computed from the rows under the node: two grouped queries."""
    month_of = {"output_field": DateField()}
    buckets: dict[date, dict[str, Any]] = defaultdict(_empty)
    window = Window(start)
    enrolled = (
        Enrollment.objects.filter(
            org_path__startswith=node.path, created_at__gte=window.aware(start), created_at__lt=window.aware(end)
        )
        .annotate(bucket=TruncMonth("created_at", **month_of))
        .values("bucket")
        .annotate(people=Count("pk"), premium=Sum("premium"))
        .order_by()
    )
    for row in enrolled:
        buckets[row["bucket"]].update(people=row["people"], premium=row["premium"] or ZERO)
    paid = (
        Claim.objects.filter(
            org_path__startswith=node.path, status=ClaimStatus.PAID, paid_on__gte=start, paid_on__lt=end
        )
        .annotate(bucket=TruncMonth("paid_on", **month_of))
        .values("bucket")
        .annotate(claims=Count("pk"), paid=Sum("payout"))
        .order_by()
    )
    for claims in paid:
        buckets[claims["bucket"]].update(claims=claims["claims"], paid=claims["paid"] or ZERO)
    return buckets


def _children(figures: dict[str, Any], node: Organisation) -> list[dict[str, Any]]:
    """The overview's rows (child office × plan) summed by child office."""
    found: dict[int, dict[str, Any]] = {}
    for row in figures["rows"]:
        child = found.setdefault(
            row["office_id"],
            {
                "office_id": row["office_id"],
                "office_name": row["office_name"],
                "people_year": 0,
                "premium_year": ZERO,
                "paid_year": ZERO,
                "target_people": None,
            },
        )
        child["people_year"] += row["people_year"]
        child["premium_year"] += Decimal(row["premium_year"])
        child["paid_year"] += Decimal(row["paid_year"])
        if row["target_people"] is not None:
            child["target_people"] = (child["target_people"] or 0) + row["target_people"]
    children = []
    for child in found.values():
        child["completion_people"] = ratio(child["people_year"], child["target_people"])
        child["loss_ratio"] = ratio(child["paid_year"], child["premium_year"])
        child["premium_year"] = money(child["premium_year"])
        child["paid_year"] = money(child["paid_year"])
        child["is_node"] = child["office_id"] == node.pk
        children.append(child)
    return children


def held_back(*, node: Organisation, today: date, months: int = 6) -> list[dict[str, Any]]:
    """Premium held back below the node (保费滞留), as finance finds it, in plain data."""
    return [
        {
            "office_id": warning.office.pk,
            "office_name": warning.office.name,
            "month": f"{warning.month:%Y-%m}",
            "problem": warning.problem,
            "amount_due": money(warning.amount_due),
            "outstanding": money(warning.outstanding),
        }
        for warning in remittance_warning_list(office=node, months=months, today=today)
    ]


def _risk_flags(node: Organisation) -> tuple[int, Counter[str]]:
    """Open flagged claims in the tree (one query), and how many of them carry each kind of flag."""
    claims = list(risk_list().filter(org_path__startswith=node.path).values_list("flags", flat=True))
    codes: Counter[str] = Counter()
    for flags in claims:
        codes.update({flag.get("code", "") for flag in flags})
    return len(claims), codes

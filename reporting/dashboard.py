"""The leaders' dashboard (领导驾驶舱) of one node for a closed month.

What a leader needs on the 1st of the month, at a glance: the year so far against the same
period last year, twelve months of trend, the child offices and plans side by side, how fast
claims were paid, premium held back below and the open risk flags. Every figure comes from a
grouped query over the tree under the node (the materialised path), so the number of queries is
the same for ten members or a million; `tests/test_dashboard.py` pins it.

The result is plain JSON-able data (amounts and ratios as strings, as in `overview`), read by the
page, its `json_script` for the charts, and any later export.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from claims.models import Claim, ClaimSettings, ClaimStatus, OfficeDay
from claims.selectors import CLOCK_RUNNING, risk_list
from claims.workdays import WorkdayCalendar
from enrollment.models import Enrollment
from finance.selectors.remittances import remittance_warning_list
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.tenancy import unscoped
from mutualaid.tenantcache import remember
from reporting.models import Snapshot, SnapshotKind
from reporting.overview import ZERO, Window, _ratio
from reporting.services import figures_for

TREND_MONTHS = 12
CENT = Decimal("0.01")


def _money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(CENT))


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
    loss_now = _ratio(now["paid"], now["premium"])
    loss_before = _ratio(before["paid"], before["premium"])
    figures, _snapshot = figures_for(node=node, month=window.month)
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
                "value": _money(outstanding),
                "offices": len({w["office_id"] for w in warnings if Decimal(w["outstanding"]) > 0}),
            },
            "risk_flags": {"value": flagged},
            "overdue": {"value": clock["overdue"], "past_limit": clock["past_limit"]},
        },
        "trends": [
            {
                "month": f"{bucket:%Y-%m}",
                "people": buckets[bucket]["people"],
                "premium": _money(buckets[bucket]["premium"]),
                "claims": buckets[bucket]["claims"],
                "paid": _money(buckets[bucket]["paid"]),
            }
            for bucket in (dates.add_months(window.month, n) for n in range(1 - TREND_MONTHS, 1))
        ],
        "children": _children(figures, node),
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
        "turnaround": _turnaround(node, window),
        "remittances": warnings,
        "risk_flags": [{"code": code, "claims": count} for code, count in codes.most_common()],
    }


def _compare(now: dict[str, Any], before: dict[str, Any], key: str) -> dict[str, Any]:
    """A year-to-date figure, the same period of last year, and the change."""
    value, prior = now[key], before[key]
    shown = _money if isinstance(value, Decimal) else int
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
    figures (`submitted`) where the node has them, the other months from the live rows (two
    queries)."""
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
    for row in paid:
        buckets[row["bucket"]].update(claims=row["claims"], paid=row["paid"] or ZERO)
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
        child["completion_people"] = _ratio(child["people_year"], child["target_people"])
        child["loss_ratio"] = _ratio(child["paid_year"], child["premium_year"])
        child["premium_year"] = _money(child["premium_year"])
        child["paid_year"] = _money(child["paid_year"])
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
            "amount_due": _money(warning.amount_due),
            "outstanding": _money(warning.outstanding),
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


def percentile(claims_by_days: Counter[int], share: Decimal) -> int:
    """The nearest-rank percentile of the days claims took (share 0.9: 90 % took at most this
    long), from how many claims took each number of days."""
    return _at_rank(claims_by_days, max(1, math.ceil(share * sum(claims_by_days.values()))))


def median(claims_by_days: Counter[int]) -> float:
    """The median of the days claims took (the mean of the two middle claims for an even count,
    as `statistics.median`), from how many claims took each number of days."""
    count = sum(claims_by_days.values())
    return (_at_rank(claims_by_days, (count + 1) // 2) + _at_rank(claims_by_days, count // 2 + 1)) / 2


def _at_rank(claims_by_days: Counter[int], rank: int) -> int:
    """The days of the `rank`-th quickest claim (from 1)."""
    seen = 0
    for days in sorted(claims_by_days):
        seen += claims_by_days[days]
        if seen >= rank:
            return days
    raise ValueError("rank beyond the number of claims")


def _days(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 1)


def _turnaround(node: Organisation, window: Window) -> dict[str, Any]:
    """Working days from complete documents to payment of the claims paid in the month, by
    reviewing office, against that office's target.

    The days and targets are read for all reviewing offices at once (three queries) rather than
    through `office_settings`/`calendar_for` per office, which would cost two
    queries for each city under a province; the calendar rule is the same (the office's days and
    those its ancestors declare on top of the statutory calendar) and so is `between`.
    """
    # Claims with the same office and dates take the same number of days: counted once each
    # (a province pays tens of thousands of claims a month over a few dozen dates).
    rows = list(
        Claim.objects.filter(
            org_path__startswith=node.path,
            status=ClaimStatus.PAID,
            paid_on__gte=window.month,
            paid_on__lt=window.end,
            documents_complete_on__isnull=False,
        )
        .values_list("review_office_id", "documents_complete_on", "paid_on")
        .annotate(claims=Count("*"))
        .order_by()
    )  # read from the covering index alone, joined to nothing: a few milliseconds at a province
    with unscoped():  # the reviewing office may be above the node (the province for its plans)
        offices = {
            pk: (name, path)
            for pk, name, path in Organisation.objects.filter(pk__in={row[0] for row in rows}).values_list(
                "pk", "name", "path"
            )
        }
    default_target = ClaimSettings._meta.get_field("target_days").get_default()
    # The ids from the root down to each reviewing office, read off its path as Organisation does.
    ancestors = {pk: [int(step) for step in path.split(".") if step] for pk, (_name, path) in offices.items()}
    targets: dict[int, int] = {}
    declared: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    if offices:
        # Reviewing offices (a city, or the province for its own plans) and the offices above
        # them lie outside a city's scope: read only their settings and declared days.
        with unscoped():
            targets = dict(ClaimSettings.objects.filter(org_id__in=offices).values_list("org_id", "target_days"))
            above = {pk for ids in ancestors.values() for pk in ids}
            for org_id, day, is_workday in OfficeDay.objects.filter(org_id__in=above).values_list(
                "org_id", "day", "is_workday"
            ):
                declared[org_id].append((day, is_workday))
    calendars = {}
    for office_id, ids in ancestors.items():
        days = [entry for pk in ids for entry in declared.get(pk, [])]
        calendars[office_id] = WorkdayCalendar(
            closed=[d for d, open_ in days if not open_], open_days=[d for d, open_ in days if open_]
        )
    # How many claims of each reviewing office took each number of working days.
    taken: dict[int, Counter[int]] = defaultdict(Counter)
    for office_id, complete, paid, claims in rows:
        taken[office_id][calendars[office_id].between(complete, paid)] += claims
    by_office = []
    everything: Counter[int] = Counter()
    within_all = 0
    for office_id, days in sorted(taken.items(), key=lambda item: offices[item[0]][1]):
        target = targets.get(office_id, default_target)
        within = sum(claims for taken_days, claims in days.items() if taken_days <= target)
        within_all += within
        everything.update(days)
        count = sum(days.values())
        by_office.append(
            {
                "office_id": office_id,
                "office_name": offices[office_id][0],
                "claims": count,
                "median": _days(median(days)),
                "p90": percentile(days, Decimal("0.9")),
                "target_days": target,
                "within_target": within,
                "share_within": _ratio(within, count),
            }
        )
    count = sum(everything.values())
    return {
        "claims": count,
        "median": _days(median(everything)) if everything else None,
        "p90": percentile(everything, Decimal("0.9")) if everything else None,
        "within_target": within_all,
        "share_within": _ratio(within_all, count),
        "offices": by_office,
    }

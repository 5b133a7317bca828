"""How fast claims were paid (理赔时效), for the leaders' dashboard: working days from complete
documents to payment of the claims paid in a month, by reviewing office, against that office's
target.

The days and targets are read for all reviewing offices at once (three queries) rather than
through `office_settings`/`calendar_for` per office, which would cost two queries for each city
under a province; the calendar rule is the same (the office's days and those its ancestors
declare on top of the statutory calendar) and so is `between`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count

from claims.models import Claim, ClaimSettings, ClaimStatus, OfficeDay
from claims.workdays import WorkdayCalendar
from mutualaid.models import Organisation
from mutualaid.tenancy import subtree, unscoped
from reporting.figures import Window, ratio

NINETIETH = Decimal("0.9")


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


def turnaround(*, node: Organisation, window: Window) -> dict[str, Any]:
    """The claims of the node's tree paid in the month: how many working days they took, in all
    and by reviewing office, and how many within the office's target."""
    rows = _paid_claims(node, window)
    offices = _reviewing_offices({row[0] for row in rows})
    calendars, targets = _calendars_and_targets(offices)
    # How many claims of each reviewing office took each number of working days.
    taken: dict[int, Counter[int]] = defaultdict(Counter)
    for office_id, complete, paid, claims in rows:
        taken[office_id][calendars[office_id].between(complete, paid)] += claims
    default_target = ClaimSettings._meta.get_field("target_days").get_default()
    by_office = []
    everything: Counter[int] = Counter()
    for office_id, days in sorted(taken.items(), key=lambda item: offices[item[0]][1]):
        by_office.append(_office_row(office_id, offices[office_id][0], days, targets.get(office_id, default_target)))
        everything.update(days)
    count = sum(everything.values())
    within_all = sum(row["within_target"] for row in by_office)
    return {
        "claims": count,
        "median": _days(median(everything)) if everything else None,
        "p90": percentile(everything, NINETIETH) if everything else None,
        "within_target": within_all,
        "share_within": ratio(within_all, count),
        "offices": by_office,
    }


def _paid_claims(node: Organisation, window: Window) -> list[tuple[int, date, date, int]]:
    """(reviewing office, documents complete on, paid on, claims) of the month's paid claims.

    Claims with the same office and dates take the same number of days: counted once each (a
    province pays tens of thousands of claims a month over a few dozen dates). Read from the
    covering index alone, joined to nothing: a few milliseconds at a province."""
    return list(
        Claim.objects.filter(
            subtree(node),
            status=ClaimStatus.PAID,
            paid_on__gte=window.month,
            paid_on__lt=window.end,
            documents_complete_on__isnull=False,
        )
        .values_list("review_office_id", "documents_complete_on", "paid_on")
        .annotate(claims=Count("*"))
        .order_by()
    )


def _reviewing_offices(office_ids: set[int]) -> dict[int, tuple[str, str]]:
    """The name and path of each reviewing office."""
    with unscoped():  # the reviewing office may be above the node (the province for its plans)
        return {
            pk: (name, path)
            for pk, name, path in Organisation.objects.filter(pk__in=office_ids).values_list("pk", "name", "path")
        }


def _calendars_and_targets(
    offices: dict[int, tuple[str, str]],
) -> tuple[dict[int, WorkdayCalendar], dict[int, int]]:
    """Each reviewing office's working-day calendar and the target it has set, if any."""
    # The ids from the root down to each reviewing office, read off its path as Organisation does.
    ancestors = {pk: [int(step) for step in path.split(".") if step] for pk, (_name, path) in offices.items()}
    targets: dict[int, int] = {}
    declared: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    if offices:
        with unscoped():  # reviewing offices and those above them lie outside a city's scope
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
    return calendars, targets


def _office_row(office_id: int, name: str, days: Counter[int], target: int) -> dict[str, Any]:
    within = sum(claims for taken_days, claims in days.items() if taken_days <= target)
    count = sum(days.values())
    return {
        "office_id": office_id,
        "office_name": name,
        "claims": count,
        "median": _days(median(days)),
        "p90": percentile(days, NINETIETH),
        "target_days": target,
        "within_target": within,
        "share_within": ratio(within, count),
    }

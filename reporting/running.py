"""The running monthly figures (reporting.MonthFigure) read as the report builders need them.

The database keeps them in the transaction of every write to the enrollments and the claims
(reporting/migrations/0003_month_figures.py), for every node above the rows: a node's figures of
a month are its own row, its children's are the rows whose `parent_path` is its path. So the
overview of a province reads a few hundred rows, whatever the number of enrollments under it,
and the current month is as fast as a rolled-up one; the result is the same as grouping the rows
themselves (`reporting.overview` with `from_rows=True`, which the roll-up uses and checks these
against: `tests/test_running_figures.py`).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Sum

from claims.models import CallbackOutcome
from finance.selectors.remittances import levels_money_by_child_and_month, owed_by_child_and_month
from mutualaid.models import Organisation
from reporting.figures import Window
from reporting.models import MonthFigure

log = logging.getLogger(__name__)
FIGURES = ("people", "shares", "premium", "claims", "paid")


def _sums() -> dict[str, Sum]:
    return {figure: Sum(figure) for figure in FIGURES}


def overview_groups(node: Organisation, window: Window) -> list[dict[str, Any]]:
    """The node's figures up to the end of the window by child (its path), period and whether the
    month is in the window's year, as `overview._groups` gives them from the rows: the children's
    rows, and the node's own rows (members held by the node itself) as the node's figures less its
    children's. Two indexed reads."""
    in_year = ExpressionWrapper(Q(month__gte=window.year_start), output_field=BooleanField())
    children = list(
        MonthFigure.objects.filter(parent_path=node.path, month__lt=window.end)
        .annotate(in_year=in_year)
        .values("org_path", "period_id", "in_year")
        .annotate(**_sums())
        .order_by()
    )
    whole = (
        MonthFigure.objects.filter(org_path=node.path, month__lt=window.end)
        .annotate(in_year=in_year)
        .values("period_id", "in_year")
        .annotate(**_sums())
        .order_by()
    )
    own: dict[tuple[int, bool], dict[str, Any]] = {}
    for row in whole:
        totals: dict[str, Any] = dict(row)
        own[(totals["period_id"], totals["in_year"])] = {figure: totals[figure] or 0 for figure in FIGURES}
    groups: list[dict[str, Any]] = []
    for row in children:
        group: dict[str, Any] = dict(row)
        key = (group["period_id"], group["in_year"])
        if key in own:
            for figure in FIGURES:
                own[key][figure] -= group[figure] or 0
        group["child"] = group.pop("org_path")
        groups.append(group)
    for (period_id, year), figures in own.items():
        if figures["people"] or figures["claims"]:
            groups.append({"child": node.path, "period_id": period_id, "in_year": year, **figures})
    return groups


def monthly_flows(node: Organisation, *, start: date, end: date) -> dict[date, dict[str, Any]]:
    """The node's people and premium taken on and claims and payouts paid, by month from `start`
    to before `end` (one indexed read)."""
    rows = (
        MonthFigure.objects.filter(org_path=node.path, month__gte=start, month__lt=end)
        .values("month")
        .annotate(people=Sum("people"), premium=Sum("premium"), claims=Sum("claims"), paid=Sum("paid"))
        .order_by()
    )
    return {
        row["month"]: {
            "people": int(row["people"] or 0),
            "premium": row["premium"] or Decimal("0.00"),
            "claims": int(row["claims"] or 0),
            "paid": row["paid"] or Decimal("0.00"),
        }
        for row in rows
    }


# One column of figures per outcome (reporting/migrations/0006): a new outcome needs its column.
CALLBACK_OUTCOMES = tuple(CallbackOutcome.values)


def callback_counts(node: Organisation, window: Window) -> dict[str, dict[str, int]]:
    """The claims paid under the node in the window's month and in its year so far by the outcome
    of their phone callback ("none": not called yet), as `overview._callbacks` counts them from
    the claims: one indexed read of the node's own rows."""
    in_month = Q(month__gte=window.month)
    fields = ("claims", *(f"callbacks_{outcome}" for outcome in CALLBACK_OUTCOMES))
    sums = MonthFigure.objects.filter(org_path=node.path, month__gte=window.year_start, month__lt=window.end).aggregate(
        **{f"year_{field}": Sum(field) for field in fields},
        **{f"month_{field}": Sum(field, filter=in_month) for field in fields},
    )
    found: dict[str, dict[str, int]] = {}
    for span in ("month", "year"):
        counts = {outcome: int(sums[f"{span}_callbacks_{outcome}"] or 0) for outcome in CALLBACK_OUTCOMES}
        counts["none"] = int(sums[f"{span}_claims"] or 0) - sum(counts.values())
        found[span] = counts
    return found


def premium_owed(
    office: Organisation, children: list[Organisation], months: list[date]
) -> dict[tuple[str, date], Decimal] | None:
    """What each office below owes for each month (finance's remittance warnings, registered with
    `finance.selectors.remittances`): the premium it holds of the members still active, taken on
    in the month under each child, for plans run by `office` or above (their premium less the
    union levels' part), plus the levels' money the child's tree received less what it paid back
    to them in the month. One query: the children's rows read with the levels' money; None (read
    the enrollments) with `REPORTING_FROM_ROWS`."""
    if settings.REPORTING_FROM_ROWS:
        return None
    held = (
        MonthFigure.objects.filter(
            parent_path=office.path,
            org_path__in=[child.path for child in children],
            month__in=months,
            period__plan__org_id__in=office.ancestor_ids(),
        )
        .values(child=F("org_path"), bucket=F("month"), plan_key=F("period__plan_id"))
        .annotate(amount=Sum(F("premium_active") - F("levels_part_active")))
        .order_by()
    )
    owed = owed_by_child_and_month(held.union(levels_money_by_child_and_month(office, children, months), all=True))
    return {key: amount for key, amount in owed.items() if amount}


@transaction.atomic
def rebuild() -> int:
    """Every node's running figures computed again from the enrollments and the claims (under a
    lock that makes concurrent writers wait and then add their rows on top); returns the number
    of rows written. For rows loaded with the triggers off (a bulk load in replica mode), and the
    roll-up's repair when its check finds a difference."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporting_month_figures_rebuild()")
        (written,) = cursor.fetchone() or (0,)
    return int(written)

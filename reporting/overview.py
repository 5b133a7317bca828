"""The monthly enrollment and claims overview (参保、理赔情况一览表) of one node.

For a node and a month: by child office (or unit) and plan, the people, shares and premium
enrolled in all years and in the year so far, the year's target and its completion, the claims
paid in all years and in the year, the loss ratio, and each child's remittance for the month.
The figures are read from the running monthly figures the database keeps for every node
(`reporting.running`: the node's children's rows, a few hundred at a province), so the current
month answers as fast as a closed one. `from_rows=True` groups the enrollments and claims
themselves instead (one grouped query over the tree under each table, the materialised path
giving the child of every row by its prefix): the full recomputation the roll-up freezes, and
against which it checks the running figures.

The result is plain JSON-able data (amounts as strings), the same for the page, the exports, the
API and the frozen snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum

from claims.models import CallbackOutcome, Claim, ClaimStatus
from enrollment.models import Enrollment, Period
from finance.models import Remittance
from mutualaid.models import Organisation
from mutualaid.tenancy import subtree, unscoped
from reporting import running
from reporting.figures import Window, child_path, ratio
from reporting.models import Target

# A grouped row of enrollments or claims, and the cell figures each of its sums adds to.
Group = tuple[Mapping[str, Any], dict[str, tuple[str, str]]]


def overview(*, node: Organisation, month: date, from_rows: bool | None = None) -> dict[str, Any]:
    """The overview of `node` for `month` (any day of it), from the running figures, or
    recomputed from the rows with `from_rows` (by default as `REPORTING_FROM_ROWS` says)."""
    window = Window(month.replace(day=1))
    if from_rows is None:
        from_rows = settings.REPORTING_FROM_ROWS
    children = {
        child.path: child
        for child in Organisation.objects.filter(parent=node).order_by("path").only("pk", "name", "path")
    }
    if from_rows:
        people, claims = _people_groups(node, window), _claim_groups(node, window)
        groups: list[Group] = [(row, _PEOPLE) for row in people] + [(row, _CLAIMS) for row in claims]
        callbacks = _callbacks(claims)
    else:
        groups = [(row, _BOTH) for row in running.overview_groups(node, window)]
        callbacks = running.callback_counts(node, window)
    targets = {
        (t.target_org_id, t.plan_id): t
        for t in Target.objects.filter(target_org__parent=node, year=window.month.year).select_related("plan")
    }
    remittances = {
        r.org_id: r for r in Remittance.objects.filter(org__parent=node, month=window.month).only("org_id", "status")
    }
    periods = _periods_and_plans({row["period_id"] for row, _keys in groups})
    plans = {plan_id: name for plan_id, name in periods.values()}
    plans.update((t.plan_id, t.plan.name) for t in targets.values())
    cells = _cells(groups, periods)
    plan_ids = sorted({plan for _child, plan in cells} | {plan for _org, plan in targets})
    rows = _child_rows(children, cells, plan_ids, plans, targets, remittances)
    # Rows of the node itself (policies of units directly below are under their child path; a
    # node's own rows exist only for a unit node).
    for cell in (cell for (path, _plan), cell in cells.items() if path not in children):
        plan_id = cell["period__plan_id"]
        row = _row(cell, None)
        row.update(office_id=node.pk, office_name=node.name, plan_id=plan_id, plan_name=plans.get(plan_id, ""))
        rows.append(row)
    return {
        "office": {"id": node.pk, "name": node.name},
        "month": f"{window.month:%Y-%m}",
        "year": window.month.year,
        "plans": [{"id": plan_id, "name": plans.get(plan_id, "")} for plan_id in plan_ids],
        "rows": rows,
        "totals": _total_rows(node, window, rows, plan_ids, plans),
        "callbacks": callbacks,
    }


def _callbacks(claims: list[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """The phone callbacks (回访) of the claims paid under the node in the month and in the year so
    far, by outcome ("none": paid and not called yet), added up from the claims' groups (the full
    recomputation; the pages read `running.callback_counts`)."""
    in_year = [row for row in claims if row["in_year"]]
    found: dict[str, dict[str, int]] = {}
    for span, paid_key in (("month", "month_claims"), ("year", "claims")):
        counts = {outcome: sum(row[f"{span}_{outcome}"] for row in in_year) for outcome in CallbackOutcome.values}
        found[span] = {**counts, "none": sum(row[paid_key] for row in in_year) - sum(counts.values())}
    return found


def _people_groups(node: Organisation, window: Window) -> list[Mapping[str, Any]]:
    """The enrollments under the node, grouped by child, period and whether the row falls in the
    year, each with the figures it adds to.

    One pass over the table: three sums per row instead of six, no join, and few enough groups
    for PostgreSQL to hash them (grouping by the period's plan through a join made it estimate
    hundreds of thousands of groups and sort every row on disk). The halves are added up by
    `_cells`. At the scope's own office no second prefix test of every row (`subtree`)."""
    in_year = ExpressionWrapper(Q(created_at__gte=window.aware(window.year_start)), output_field=BooleanField())
    return list(
        Enrollment.objects.filter(subtree(node), created_at__lt=window.aware(window.end))
        .annotate(child=child_path(node), in_year=in_year)
        .values("child", "period_id", "in_year")
        .annotate(people=Count("*"), shares=Sum("shares"), premium=Sum("premium"))
        .order_by()
    )


def _claim_groups(node: Organisation, window: Window) -> list[Mapping[str, Any]]:
    """The paid claims under the node, grouped as the enrollments are, with how many of them
    were paid in the month and called back with each outcome (in the month and in all): one pass
    gives both the overview's claims and its callbacks. Counted with filters rather than grouped
    by outcome and month: five keys made PostgreSQL expect a hundred thousand groups and sort
    every claim on disk."""
    in_year = ExpressionWrapper(Q(paid_on__gte=window.year_start), output_field=BooleanField())
    in_month = Q(paid_on__gte=window.month)
    outcomes = {}
    for outcome in CallbackOutcome.values:
        outcomes[f"year_{outcome}"] = Count("pk", filter=Q(callback_outcome=outcome))
        outcomes[f"month_{outcome}"] = Count("pk", filter=Q(callback_outcome=outcome) & in_month)
    return list(
        Claim.objects.filter(subtree(node), status=ClaimStatus.PAID, paid_on__lt=window.end)
        .annotate(child=child_path(node), in_year=in_year)
        .values("child", "period_id", "in_year")
        .annotate(claims=Count("*"), paid=Sum("payout"), month_claims=Count("pk", filter=in_month), **outcomes)
        .order_by()
    )


def _periods_and_plans(period_ids: set[int]) -> dict[int, tuple[int, str]]:
    """Each period's plan and the plan's name."""
    with unscoped():  # periods and plans belong to the offices above, which run them
        return {
            pk: (plan_id, name)
            for pk, plan_id, name in Period.objects.filter(pk__in=period_ids).values_list("pk", "plan_id", "plan__name")
        }


def _cells(groups: list[Group], periods: dict[int, tuple[int, str]]) -> dict[tuple[str, int], dict[str, Any]]:
    """The groups added up by child and plan, over all years and over the year so far."""
    cells: dict[tuple[str, int], dict[str, Any]] = {}
    for row, keys in groups:
        plan_id = periods[row["period_id"]][0]
        cell = cells.setdefault((row["child"], plan_id), {"child": row["child"], "period__plan_id": plan_id})
        for figure, (every, year) in keys.items():
            value = row[figure] or 0
            cell[every] = cell.get(every, 0) + value
            if row["in_year"]:
                cell[year] = cell.get(year, 0) + value
    return cells


def _child_rows(
    children: dict[str, Organisation],
    cells: dict[tuple[str, int], dict[str, Any]],
    plan_ids: list[int],
    plans: dict[int, str],
    targets: dict[tuple[int, int], Target],
    remittances: dict[int, Remittance],
) -> list[dict[str, Any]]:
    """A row per child office and plan with figures or a target, with the child's remittance of
    the month."""
    rows = []
    for path, child in children.items():
        for plan_id in plan_ids:
            cell = cells.get((path, plan_id), {})
            target = targets.get((child.pk, plan_id))
            if not cell and target is None:
                continue
            row = _row(cell, target)
            report = remittances.get(child.pk)
            row.update(
                office_id=child.pk,
                office_name=child.name,
                plan_id=plan_id,
                plan_name=plans.get(plan_id, ""),
                remittance=report.status if report else None,
            )
            rows.append(row)
    return rows


def _total_rows(
    node: Organisation, window: Window, rows: list[dict[str, Any]], plan_ids: list[int], plans: dict[int, str]
) -> list[dict[str, Any]]:
    """A row per plan: the rows of the plan added up, against the node's own target."""
    totals: dict[int, dict[str, Any]] = {}
    for row in rows:
        _add(totals.setdefault(row["plan_id"], {}), row)
    node_targets = {t.plan_id: t for t in Target.objects.filter(target_org=node, year=window.month.year)}
    total_rows = []
    for plan_id in plan_ids:
        summed = totals.get(plan_id, {})
        total = _row({key: summed.get(key, 0) for key in _SUMMED}, node_targets.get(plan_id))
        total.update(plan_id=plan_id, plan_name=plans.get(plan_id, ""))
        total_rows.append(total)
    return total_rows


# The figure of a group → the cell's figure over all years and over the year so far.
_PEOPLE = {
    "people": ("people_all", "people_year"),
    "shares": ("shares_all", "shares_year"),
    "premium": ("premium_all", "premium_year"),
}
_CLAIMS = {"claims": ("claims_all", "claims_year"), "paid": ("paid_all", "paid_year")}
_BOTH = _PEOPLE | _CLAIMS  # a running figure carries both
_SUMMED = (
    "people_all",
    "shares_all",
    "premium_all",
    "people_year",
    "shares_year",
    "premium_year",
    "claims_all",
    "paid_all",
    "claims_year",
    "paid_year",
)


def _row(cell: dict[str, Any], target: Target | None) -> dict[str, Any]:
    def number(key: str) -> Any:
        value = cell.get(key) or 0
        return str(Decimal(value).quantize(Decimal("0.01"))) if key.startswith(("premium", "paid")) else int(value)

    row = {key: number(key) for key in _SUMMED}
    row["target_people"] = target.people if target else None
    row["target_premium"] = str(target.premium) if target and target.premium is not None else None
    row["completion_people"] = ratio(row["people_year"], target.people if target else None)
    row["completion_premium"] = ratio(Decimal(row["premium_year"]), target.premium if target else None)
    row["loss_ratio"] = ratio(Decimal(row["paid_year"]), Decimal(row["premium_year"]))
    return row


def _add(total: dict[str, Any], row: dict[str, Any]) -> None:
    for key in _SUMMED:
        value = Decimal(row[key]) if isinstance(row[key], str) else row[key]
        total[key] = total.get(key, 0) + value

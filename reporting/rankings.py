"""The year's rankings (年度考核排名) of a node's child offices (or units) in one plan.

For each child: the people and premium enrolled in the year against its targets, the coverage of
the union members (people enrolled in the year over the headcount of the units under it), the
growth on last year to the same month, the renewal rate and the loss ratio. The definitions:

- "Enrolled in the year" is what the monthly overview counts: enrollments made (approved) from
  January 1st to the end of the month reached (December for a past year), so the rankings'
  completion is the overview's.
- Growth compares that with the enrollments of last year to the end of the same month.
- Renewal: of the people of the plan's previous period (those starting last year) under the
  child, the share who hold an active enrollment in this year's period under the same child,
  matched by the blind index of the ID number (Enrollment.id_hash).
- Loss ratio: claims paid in the year (to the end of the month reached) over the year's premium.

Every figure is one grouped query over the node's subtree, the child of a row read off its
materialised path, so the cost is a fixed number of queries whatever the size of the tree.
The result is plain JSON-able data (amounts and ratios as strings) for the page, the exports and
the background jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Plan, Policy
from mutualaid.models import Organisation, OrgKind, UnitType
from mutualaid.tenancy import unscoped
from reporting.figures import CENT, child_path, ratio
from reporting.models import MonthFigure, Target
from reporting.renewals import renewals_kept

# What the rankings may be sorted by (highest first), with its label.
SORTS: dict[str, Any] = {
    "completion_people": _("Completion (people)"),
    "completion_premium": _("Completion (premium)"),
    "coverage": _("Coverage rate"),
    "growth": _("Growth on last year"),
    "renewal": _("Renewal rate"),
    "people_year": _("Enrolled this year"),
    "premium_year": _("Premium this year"),
}
DEFAULT_SORT = "completion_people"


@dataclass(frozen=True)
class Year:
    """A ranking year, reached up to the end of `through` (a month of the year)."""

    year: int
    through: int  # the last month counted

    @classmethod
    def of(cls, year: int, today: date) -> Year:
        if year < today.year:
            return cls(year, 12)
        return cls(year, today.month if year == today.year else 12)

    def end_day(self, back: int = 0) -> date:
        """The first day after the month reached, `back` years earlier."""
        year = self.year - back
        return date(year + (self.through == 12), self.through % 12 + 1, 1)

    def months(self, back: int = 0) -> Q:
        """The running figures' months from January to the month reached, `back` years earlier."""
        return Q(month__gte=date(self.year - back, 1, 1), month__lt=self.end_day(back))


def ranking_plan_list(*, node: Organisation) -> list[Plan]:
    """The plans a node's figures can be ranked in: those run by the node and the offices above
    it, and those run by offices below it (a city's own plans, for the province); of these, as
    every plan filter of the product (enrollment/listing.py), those that are active or that the
    node's tree holds policies in: an inactive plan it never joined has no figure to rank."""
    ancestors = node.ancestor_ids()
    # The plans the node's tree holds policies in come first: the page's default has figures.
    held = Exists(Policy.objects.filter(org_path__startswith=node.path, period__plan=OuterRef("pk")))
    with unscoped():  # the plans of the offices above the node, which run them, lie outside its scope;
        # the policies read are the node's tree's, by its path
        above = list(Plan.objects.filter(org_id__in=ancestors).annotate(held=held))
    below = list(Plan.objects.filter(org_path__startswith=node.path).exclude(org_id__in=ancestors).annotate(held=held))
    relevant = [p for p in above + below if p.is_active or getattr(p, "held", False)]
    return sorted(relevant, key=lambda p: (not getattr(p, "held", False), not p.is_active, p.name, p.pk))


def rankings(
    *,
    node: Organisation,
    plan: Plan,
    year: int,
    today: date | None = None,
    sort: str = DEFAULT_SORT,
    unit_type: str = "",
    wait_for_renewals: bool = False,
) -> dict[str, Any]:
    """The ranked children of `node` in `plan` for `year` (to the current month for this year).
    With `unit_type` every figure counts only the units of that type (机关事业、国有企业…) under each
    child, and the targets, set for a child as a whole, are left out.

    The renewal rates are those kept for the current figures, or the last ones counted while a
    new count is made in the background (`renewals_counted_at`, `renewals_recounting`;
    reporting/renewals.py); with `wait_for_renewals` (the downloads) they are counted now when
    none is kept for the current figures."""
    window = Year.of(year, today or timezone.localdate())
    sort = sort if sort in SORTS else DEFAULT_SORT
    children = list(
        Organisation.objects.filter(parent=node).order_by("path").only("pk", "name", "path", "kind", "headcount")
    )
    headcounts = _headcounts(node, Q(unit_type=unit_type) if unit_type else Q())
    enrolled = _enrolled(node, plan, window, unit_type)
    paid = _paid(node, plan, window, unit_type)
    renewals = renewals_kept(node, plan, year, unit_type, wait=wait_for_renewals)
    unknown = {"base": None, "renewed": None}
    targets = (
        {t.target_org_id: t for t in Target.objects.filter(target_org__parent=node, plan=plan, year=year)}
        if not unit_type
        else {}
    )
    rows = []
    for child in children:
        figures = enrolled.get(child.path, {})
        rows.append(
            _row(
                people_year=figures.get("people_year", 0),
                premium_year=figures.get("premium_year"),
                people_last_year=figures.get("people_last_year", 0),
                headcount=headcounts.get(child.path) or 0,
                renewal=renewals.by_child.get(child.path, {}) if renewals.by_child is not None else unknown,
                paid_year=paid.get(child.path),
                target=targets.get(child.pk),
            )
            | {"office_id": child.pk, "office_name": child.name, "office_kind": child.kind}
        )
    _rank(rows, sort)
    return {
        "office": {"id": node.pk, "name": node.name},
        "plan": {"id": plan.pk, "name": plan.name},
        "year": year,
        "through": f"{year}-{window.through:02d}",
        "sort": sort,
        "unit_type": unit_type,
        "unit_type_label": str(UnitType(unit_type).label) if unit_type else "",
        "rows": rows,
        "total": _total(rows),
        "by_unit_type": _by_unit_type(node, plan, window),
        "renewals_counted_at": renewals.counted_at.isoformat() if renewals.counted_at else None,
        "renewals_recounting": renewals.recounting,
    }


def _by_unit_type(node: Organisation, plan: Plan, window: Year) -> list[dict[str, Any]]:
    """The year's figures of the node's units by type of unit (two grouped queries): people and
    premium enrolled this year and last, headcount and coverage; units with no type recorded last.
    Read from the units' running monthly figures, not their members."""
    this_year, last_year = window.months(), window.months(1)
    enrolled = {
        row["org__unit_type"]: row
        for row in MonthFigure.objects.filter(org_path__startswith=node.path, org__kind=OrgKind.UNIT, period__plan=plan)
        .filter(this_year | last_year)
        .values("org__unit_type")
        .annotate(
            people_year=Coalesce(Sum("people", filter=this_year), 0),
            premium_year=Sum("premium", filter=this_year),
            people_last_year=Coalesce(Sum("people", filter=last_year), 0),
        )
        .order_by()
    }
    headcounts = dict(
        Organisation.objects.filter(path__startswith=node.path, kind=OrgKind.UNIT, headcount__isnull=False)
        .values("unit_type")
        .annotate(total=Sum("headcount"))
        .values_list("unit_type", "total")
        .order_by()
    )
    rows = []
    for value, label in [*UnitType.choices, ("", _("Type not recorded"))]:
        figures: Mapping[str, Any] = enrolled.get(value, {})
        people, last = figures.get("people_year", 0), figures.get("people_last_year", 0)
        headcount = headcounts.get(value) or 0
        if not (people or last or headcount):
            continue
        rows.append(
            {
                "unit_type": value,
                "unit_type_label": str(label),
                "people_year": people,
                "premium_year": str((figures.get("premium_year") or Decimal(0)).quantize(CENT)),
                "people_last_year": last,
                "growth": ratio(people - last, last),
                "headcount": headcount,
                "coverage": ratio(people, headcount),
            }
        )
    return rows


def _headcounts(node: Organisation, of_type: Q) -> dict[str, int]:
    """The staff headcount of the units (of the type asked) under each child."""
    return dict(
        Organisation.objects.filter(path__startswith=node.path, kind=OrgKind.UNIT, headcount__isnull=False)
        .filter(of_type)
        .annotate(child=child_path(node, "path"))
        .values("child")
        .annotate(total=Sum("headcount"))
        .values_list("child", "total")
    )


def _figures(node: Organisation, plan: Plan, unit_type: str) -> QuerySet[MonthFigure]:
    """The running monthly figures (`MonthFigure`, kept by the database with every write to the
    enrollments and the claims) the rankings add up: the children's own rows, or with `unit_type`
    the rows of the units of that type under the node (a unit holds only its own members)."""
    figures = MonthFigure.objects.filter(period__plan=plan)
    if unit_type:
        return figures.filter(org_path__startswith=node.path, org__kind=OrgKind.UNIT, org__unit_type=unit_type)
    return figures.filter(parent_path=node.path)


def _enrolled(node: Organisation, plan: Plan, window: Year, unit_type: str) -> dict[str, Mapping[str, Any]]:
    """People and premium enrolled this year, and people enrolled last year to the same month."""
    this_year, last_year = window.months(), window.months(1)
    return {
        row["child"]: row
        for row in _figures(node, plan, unit_type)
        .filter(this_year | last_year)
        .annotate(child=child_path(node))
        .values("child")
        .annotate(
            people_year=Coalesce(Sum("people", filter=this_year), 0),
            premium_year=Sum("premium", filter=this_year),
            people_last_year=Coalesce(Sum("people", filter=last_year), 0),
        )
        .order_by()
    }


def _paid(node: Organisation, plan: Plan, window: Year, unit_type: str) -> dict[str, Decimal]:
    """Claims paid in the year, to the end of the month reached."""
    return dict(
        _figures(node, plan, unit_type)
        .filter(window.months())
        .annotate(child=child_path(node))
        .values("child")
        .annotate(total=Sum("paid"))
        .values_list("child", "total")
        .order_by()
    )


def _row(
    *,
    people_year: int,
    premium_year: Decimal | None,
    people_last_year: int,
    headcount: int,
    renewal: Mapping[str, Any],
    paid_year: Decimal | None,
    target: Target | None,
) -> dict[str, Any]:
    premium = (premium_year or Decimal(0)).quantize(CENT)
    paid = (paid_year or Decimal(0)).quantize(CENT)
    target_people = target.people if target else None
    target_premium = target.premium if target else None
    target_coverage = target.coverage_rate if target else None
    base, renewed = renewal.get("base", 0), renewal.get("renewed", 0)  # None: not counted yet
    return {
        "people_year": people_year,
        "premium_year": str(premium),
        "target_people": target_people,
        "target_premium": str(target_premium) if target_premium is not None else None,
        "completion_people": ratio(people_year, target_people),
        "completion_premium": ratio(premium, target_premium),
        "headcount": headcount,
        "coverage": ratio(people_year, headcount),
        "target_coverage": str(target_coverage) if target_coverage is not None else None,
        "people_last_year": people_last_year,
        "growth": ratio(people_year - people_last_year, people_last_year),
        "renewal_base": base,
        "renewed": renewed,
        "renewal": ratio(renewed, base),
        "paid_year": str(paid),
        "loss_ratio": ratio(paid, premium),
    }


def _sort_value(row: dict[str, Any], key: str) -> Decimal | None:
    value = row.get(key)
    return None if value is None else Decimal(value)


def _rank(rows: list[dict[str, Any]], key: str) -> None:
    """Highest first, children without the figure last; equal figures share a rank (1, 2, 2, 4)."""
    rows.sort(key=lambda r: (_sort_value(r, key) is None, -(_sort_value(r, key) or 0)))
    previous: Decimal | None = None
    for position, row in enumerate(rows, start=1):
        value = _sort_value(row, key)
        if value is None:
            row["rank"] = None
            continue
        row["rank"] = rows[position - 2]["rank"] if position > 1 and value == previous else position
        previous = value


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def add(key: str) -> Any:
        values = [row[key] for row in rows if row[key] is not None]
        if not values:
            return None
        return sum((Decimal(v) if isinstance(v, str) else v for v in values), start=0)

    target_people = add("target_people")
    target_premium = add("target_premium")
    return _row(
        people_year=add("people_year") or 0,
        premium_year=add("premium_year"),
        people_last_year=add("people_last_year") or 0,
        headcount=add("headcount") or 0,
        renewal={"base": add("renewal_base"), "renewed": add("renewed")},  # None: not counted yet
        paid_year=add("paid_year"),
        target=Target(people=target_people, premium=target_premium) if target_people or target_premium else None,
    ) | {"rank": None, "office_name": ""}

"""Reads of premium remittances: an office's own reports, those sent to it, and the premium held
back below it (保费滞留)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case, DateField, DecimalField, F, Func, OuterRef, Q, QuerySet, Sum, When
from django.db.models.functions import Cast, Coalesce, Substr, TruncMonth
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentStatus
from finance.models import (
    Remittance,
    RemittanceSettlement,
    RemittanceStatus,
    SubsidyMovement,
    SubsidyMovementKind,
)
from finance.rules import MONEY_OFFICES, ZERO, remittance_due_dates
from mutualaid import dates
from mutualaid.models import Organisation

# What each office below owes by month (keyed by its path and the month), from figures kept by an
# app above (reporting registers its running monthly figures from its AppConfig.ready()), or None
# to read the enrollments themselves. Every page of a province reads it (the home page's warning,
# the remittances page, the dashboard): the rows are the months' millions of members.
PremiumSource = Callable[[Organisation, list[Organisation], list[date]], "dict[tuple[str, date], Decimal] | None"]
_premium_sources: list[PremiumSource] = []


def register_premium_source(source: PremiumSource) -> None:
    """Read what the offices below owe from `source` (loading an app twice registers it once)."""
    if source not in _premium_sources:
        _premium_sources.append(source)


def remittance_list(*, office: Organisation) -> QuerySet[Remittance]:
    """The office's own reports, newest month first."""
    return Remittance.objects.filter(org=office).order_by("-month")


@dataclass(frozen=True)
class RemittanceRow:
    """A line of a report as its page and paper print it: a plan's premium of the month, the
    union levels' part of it and what the levels paid (finance/services/remittances.py), the
    premium the office holds (`amount`), what it nets of earlier premium for members a correction
    ended, and what is due."""

    plan_name: str
    policies: int
    members: int
    shares: int
    premium: Decimal
    levels_part: Decimal
    levels_paid: Decimal
    amount: Decimal
    settled: Decimal

    @property
    def net(self) -> Decimal:
        return self.amount - self.settled


def remittance_rows(*, report: Remittance) -> list[RemittanceRow]:
    return [
        RemittanceRow(
            plan_name=line["plan_name"],
            policies=line["policies"],
            members=line["members"],
            shares=line["shares"],
            # Reports drafted before the union levels' part held the premium alone.
            premium=Decimal(line.get("premium") or line["amount"]),
            levels_part=Decimal(line.get("levels_part") or ZERO),
            levels_paid=Decimal(line.get("levels_paid") or ZERO),
            amount=Decimal(line["amount"]),
            settled=Decimal(line.get("settled") or ZERO),
        )
        for line in report.lines
    ]


def settlement_list(*, office: Organisation) -> QuerySet[RemittanceSettlement]:
    """The settlements of premium remitted for members a correction ended that the office is
    owed (by the office it remits to) or owes (to the offices below it), oldest first."""
    return (
        RemittanceSettlement.objects.filter(Q(org=office) | Q(to_office=office))
        .select_related("org", "to_office", "plan", "endorsement", "netted_in", "carried_in")
        .order_by("month", "pk")
    )


def remittance_incoming_list(*, office: Organisation) -> QuerySet[Remittance]:
    """The reports of the offices below sent to this office."""
    return Remittance.objects.filter(to_office=office).select_related("org").order_by("-month", "org__path")


@dataclass(frozen=True)
class RemittanceWarning:
    office: Organisation
    month: date
    problem: str  # missing | late | short
    amount_due: Decimal
    outstanding: Decimal
    report: Remittance | None


def remittance_warning_list(
    *, office: Organisation, months: int = 6, today: date | None = None, levels_since: bool = True
) -> list[RemittanceWarning]:
    """Premium held back below the office (保费滞留): for each money-holding office directly below
    and each of the last `months` finished months, a report not drafted or not remitted after its
    due day (the office's own, or by default the 15th from agent points, the 25th from cities),
    remitted short, or late.

    Four queries whatever the number of offices below (the finance page and the leaders'
    dashboard of a province read it): the office's settings, the offices, their reports, and what
    a report not drafted would ask (`premium_by_child_and_month`: the premium held, less the union
    levels' part, with the levels' money of the month), grouped by office and month. Read in the
    caller's scope, which holds the office (its own page, or a dashboard of a node of the caller's
    tree). `levels_since=False` leaves out the union levels' money booked since each office's
    latest report (news, not a report missing, late or short: the home page's count), and with it
    the largest part of the reports' query.
    """
    today = today or dates.business_today()
    checked = [dates.add_months(dates.month_start(today), -back) for back in range(1, months + 1)]
    children = list(Organisation.objects.filter(parent=office, kind__in=MONEY_OFFICES).order_by("path"))
    read = Remittance.objects.filter(org__in=children, month__in=checked).order_by()
    since_parts: dict[int, list[Decimal]] = {}  # per report, the levels' money booked since, by plan
    reports: dict[tuple[int, date], Remittance]
    if levels_since:
        annotated = list(read.annotate(levels_since=levels_since_parts(plans_above=office.ancestor_ids())))
        since_parts = {r.pk: r.levels_since or [] for r in annotated}
        reports = {(r.org_id, r.month): r for r in annotated}
    else:
        reports = {(r.org_id, r.month): r for r in read}
    premium = premium_by_child_and_month(office, children, checked) if children else {}
    due_on = dict(zip(checked, remittance_due_dates(checked, receiver=office), strict=True))
    found: list[RemittanceWarning] = []
    for child in children:
        for month in checked:
            warning = _warning(child, month, reports.get((child.pk, month)), premium, today, due_on[month])
            if warning is not None:
                found.append(warning)
        if not levels_since:
            continue
        # The union levels' money booked after the child's latest report was drafted, for months
        # that report covers: no report asks it until the next one is drafted, so it is named here.
        latest = next((reports[(child.pk, month)] for month in checked if (child.pk, month) in reports), None)
        since = sum((max(part, ZERO) for part in since_parts[latest.pk]), ZERO) if latest is not None else ZERO
        if latest is not None and since > 0:
            found.append(RemittanceWarning(child, latest.month, LEVELS_SINCE, since, since, latest))
    return found


# A warning's problem: the union levels' money booked after the office's latest report was drafted
# (for its month or before), which only the next report carries.
LEVELS_SINCE = "levels_since"


def _levels_money_since(office_path: Any, drafted: Any, month_end: Any, plans_above: list[int]) -> QuerySet[Any]:
    """The union levels' money (received less paid back) of plans run above the office, booked in
    the office's tree after `drafted` for a day before `month_end` (what a report drafted at that
    moment could not carry)."""
    return SubsidyMovement.objects.filter(
        org_path__startswith=office_path,
        created_at__gt=drafted,
        moved_on__lt=month_end,
        kind__in=[SubsidyMovementKind.RECEIVED, SubsidyMovementKind.REFUNDED],
        plan__org_id__in=plans_above,
    )


def levels_since_parts(*, plans_above: list[int]) -> ArraySubquery:
    """Per report (an annotation of `Remittance`), by plan, the union levels' money booked in its
    office's tree after the report was drafted, for days of its month or before: received less
    paid back, one figure per plan (read in the reports' own query: the warnings stay four
    queries)."""
    moved = (
        _levels_money_since(
            OuterRef("org_path"),
            Coalesce(OuterRef("drafted_at"), OuterRef("created_at")),
            Func(OuterRef("month"), template="(%(expressions)s + interval '1 month')::date", output_field=DateField()),
            plans_above,
        )
        .values("plan_id")
        .annotate(net=Sum(_signed_amount()))
        .values("net")
        .order_by()
    )
    return ArraySubquery(moved)


def _signed_amount() -> Case:
    return Case(
        When(kind=SubsidyMovementKind.REFUNDED, then=-F("amount")),
        default=F("amount"),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


@dataclass(frozen=True)
class LevelsMoneySince:
    """A union level's payment or refund booked after a report was drafted, for a day the report's
    month covers: the report does not carry it; `carried_in` is the office's later report that
    does (drafted after it was booked), or None until one is drafted."""

    plan_name: str
    payer: str
    kind: str
    moved_on: date
    amount: Decimal  # signed: a refund to the level is negative
    carried_in: Remittance | None


def levels_money_since_list(*, report: Remittance) -> list[LevelsMoneySince]:
    """The union levels' money booked in the report's office tree after the report was drafted,
    for days up to its month's end, plan run above the office (what the report page names, for
    the office and the office above: the next report carries it). Two queries; read in the
    caller's scope, which holds the report's office."""
    drafted = report.drafted_at or report.created_at
    plans_above = [pk for pk in report.org.ancestor_ids() if pk != report.org_id]
    moved = list(
        _levels_money_since(report.org_path, drafted, dates.add_months(report.month, 1), plans_above)
        .select_related("plan", "subsidy__payer")
        .order_by("created_at", "pk")
    )
    if not moved:
        return []
    later = list(
        Remittance.objects.filter(org_id=report.org_id, month__gt=report.month, drafted_at__isnull=False).order_by(
            "month"
        )
    )
    return [
        LevelsMoneySince(
            plan_name=m.plan.name,
            payer=m.subsidy.payer_label,
            kind=m.get_kind_display(),
            moved_on=m.moved_on,
            amount=-m.amount if m.kind == SubsidyMovementKind.REFUNDED else m.amount,
            carried_in=next((r for r in later if r.drafted_at and r.drafted_at > m.created_at), None),
        )
        for m in moved
    ]


def _warning(
    child: Organisation,
    month: date,
    report: Remittance | None,
    premium: dict[tuple[str, date], Decimal],
    today: date,
    due_on: date,
) -> RemittanceWarning | None:
    if report is None or report.status == RemittanceStatus.DRAFT:
        if today <= due_on:
            return None
        due = (
            premium.get((child.path, month), ZERO)
            if report is None
            else sum((Decimal(line["amount"]) - Decimal(line.get("settled") or ZERO) for line in report.lines), ZERO)
        )
        return RemittanceWarning(child, month, "missing", due, due, report) if due > 0 else None
    if report.amount_remitted < report.amount_due:
        outstanding = report.amount_due - report.amount_remitted
        return RemittanceWarning(child, month, "short", report.amount_due, outstanding, report)
    if report.remitted_on and report.remitted_on > due_on:
        return RemittanceWarning(child, month, "late", report.amount_due, ZERO, report)
    return None


def premium_by_child_and_month(
    office: Organisation, children: list[Organisation], months: list[date]
) -> dict[tuple[str, date], Decimal]:
    """What each child office owes for each of `months` (most recent first), as the drafting of a
    report (finance.services.remittances) counts it office by office: the premium it holds of the
    active members stored in the month (by a policy's issue or by an endorsement) in its tree for
    plans run by `office` or above, that is their premium less the union levels' part (theirs to
    pay), plus the levels' money its tree received less what it paid back to them in the month
    (`levels_money_by_child_and_month`); keyed by the child's path and the month. From the
    registered figures, or else one grouped query of the enrollments; either way one query."""
    for source in _premium_sources:
        found = source(office, children, months)
        if found is not None:
            return found
    return premium_by_child_and_month_from_rows(office, children, months)


def premium_by_child_and_month_from_rows(
    office: Organisation, children: list[Organisation], months: list[date]
) -> dict[tuple[str, date], Decimal]:
    """`premium_by_child_and_month` grouped from the enrollments themselves (the figures a
    registered source must equal)."""
    start = timezone.make_aware(datetime.combine(months[-1], time.min))
    end = timezone.make_aware(datetime.combine(dates.add_months(months[0], 1), time.min))
    held = (
        Enrollment.objects.filter(
            org_path__startswith=office.path,
            status=EnrollmentStatus.ACTIVE,
            created_at__gte=start,
            created_at__lt=end,
            period__plan__org_id__in=office.ancestor_ids(),
        )
        .values(
            child=Substr("org_path", 1, len(children[0].path)),
            # A date in the SQL itself: the union's column takes the type of its two sides.
            bucket=Cast(TruncMonth("created_at", output_field=DateField()), DateField()),
            plan_key=F("period__plan_id"),
        )
        .annotate(amount=Sum(F("premium") - F("levels_part")))
        .order_by()
    )
    return owed_by_child_and_month(held.union(levels_money_by_child_and_month(office, children, months), all=True))


def levels_money_by_child_and_month(
    office: Organisation, children: list[Organisation], months: list[date]
) -> QuerySet[SubsidyMovement, Any]:
    """The union levels' money each child office's tree received less what it paid back to them,
    by the month it moved (Asia/Shanghai), for plans run by `office` or above: rows of `child`,
    `bucket` (the month) and `amount`, to be read in one query with the premium held
    (`owed_by_child_and_month`). The report of a month carries the levels' money moved to its end
    and not carried by another report (`remittable_levels_money`); reports drafted month by month
    carry each month's own, which is what a report not drafted yet is expected to carry."""
    return (
        SubsidyMovement.objects.filter(
            reduce(or_, (Q(org_path__startswith=child.path) for child in children)),
            moved_on__gte=months[-1],
            moved_on__lt=dates.add_months(months[0], 1),
            kind__in=[SubsidyMovementKind.RECEIVED, SubsidyMovementKind.REFUNDED],
            plan__org_id__in=office.ancestor_ids(),
        )
        .values(
            child=Substr("org_path", 1, len(children[0].path)),
            bucket=Cast(TruncMonth("moved_on", output_field=DateField()), DateField()),
            plan_key=F("plan_id"),
        )
        .annotate(amount=Sum(_signed_amount()))
        .order_by()
    )


def owed_by_child_and_month(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, date], Decimal]:
    """The rows of `child`, `bucket`, `plan_key` and `amount` (the premium held, the levels' money)
    added up by child and month, each plan's part floored at zero first, as a report floors each
    plan's line (`levels_paid_in_line`: refunds to the levels larger than a plan's premium held are
    carried on, never taken off another plan's): a plan's negative part never hides what another
    plan owes."""
    by_plan: dict[tuple[str, date, int], Decimal] = {}
    for row in rows:
        key = (row["child"], row["bucket"], row["plan_key"])
        by_plan[key] = by_plan.get(key, ZERO) + (row["amount"] or ZERO)
    owed: dict[tuple[str, date], Decimal] = {}
    for (child, bucket, _plan), amount in by_plan.items():
        owed[(child, bucket)] = owed.get((child, bucket), ZERO) + max(amount, ZERO)
    return owed


def remittable_enrollments(*, office: Organisation, month: date) -> QuerySet[Enrollment]:
    """The rows the office's own report of `month` carries: the active members stored in the
    month (Shanghai) in its tree for plans run above it, whether by the list that issued their
    policy or by an endorsement (批单) of a policy issued earlier. Read in the caller's scope."""
    start = timezone.make_aware(datetime.combine(month, time.min))
    end = timezone.make_aware(datetime.combine(dates.add_months(month, 1), time.min))
    return Enrollment.objects.filter(
        org_path__startswith=office.path,
        status=EnrollmentStatus.ACTIVE,
        created_at__gte=start,
        created_at__lt=end,
        period__plan__org_id__in=[pk for pk in office.ancestor_ids() if pk != office.pk],
    ).order_by()


@dataclass(frozen=True)
class LevelsMoney:
    """A plan's union levels' money the office's tree holds and has not remitted yet: what the
    levels paid against their receivables less what was paid back to them (for members cancelled
    since), through a month, less what the office's other reports carried already."""

    plan_name: str
    net: Decimal


def remittable_levels_money(*, office: Organisation, month: date) -> dict[int, LevelsMoney]:
    """By plan run above the office, the union levels' money to carry in the office's report of
    `month`: their payments received, less the refunds paid to them, by the offices of its tree
    that collect units' premium, to the end of the month (the day the money moved, Asia/Shanghai),
    less what its other reports carried (`levels_paid` of their lines). So a level's part is
    remitted up once it arrives, a payment booked late is carried by the next report, and a
    refund larger than a month holds is carried on. One query, and one more where a level's money
    moved; read in the caller's scope."""
    rows = list(
        SubsidyMovement.objects.filter(
            org_path__startswith=office.path,
            moved_on__lt=dates.add_months(month, 1),
            kind__in=[SubsidyMovementKind.RECEIVED, SubsidyMovementKind.REFUNDED],
            plan__org_id__in=[pk for pk in office.ancestor_ids() if pk != office.pk],
        )
        .values("plan_id", "plan__name")
        .annotate(
            received=Sum("amount", filter=Q(kind=SubsidyMovementKind.RECEIVED)),
            refunded=Sum("amount", filter=Q(kind=SubsidyMovementKind.REFUNDED)),
        )
        .order_by()
    )
    carried: dict[int, Decimal] = {}
    reports = Remittance.objects.filter(org=office).exclude(month=month) if rows else Remittance.objects.none()
    for lines in reports.values_list("lines", flat=True):
        for line in lines:
            carried[line["plan"]] = carried.get(line["plan"], ZERO) + Decimal(line.get("levels_paid", "0"))
    found = {}
    for row in rows:
        net = (row["received"] or ZERO) - (row["refunded"] or ZERO) - carried.get(row["plan_id"], ZERO)
        if net:
            found[row["plan_id"]] = LevelsMoney(row["plan__name"], net)
    return found


def levels_paid_in_line(*, premium: Decimal, levels_part: Decimal, levels: Decimal) -> Decimal:
    """What of the levels' money a plan's line carries: all of it, except that refunds to the
    levels never take the line below zero (the rest is carried by the next report)."""
    return max(levels, levels_part - premium)


def remittance_premium_due(*, office: Organisation, month: date) -> Decimal:
    """What the office's own report of `month` would carry (finance.services.remittances drafts
    it from the same rows): the premium the tree holds, that is the month's premium less the
    union levels' parts (theirs to pay), plus the levels' money received and not yet remitted
    (`remittable_levels_money`). Zero: there is no report to draft. Two queries, three where a
    level's money moved."""
    held: dict[int, tuple[Decimal, Decimal]] = {
        row["period__plan_id"]: (row["premium"] or ZERO, row["levels_part"] or ZERO)
        for row in remittable_enrollments(office=office, month=month)
        .values("period__plan_id")
        .annotate(premium=Sum("premium"), levels_part=Sum("levels_part"))
        .order_by()
    }
    levels = remittable_levels_money(office=office, month=month)
    total = ZERO
    for plan_id in held.keys() | levels.keys():
        premium, part = held.get(plan_id, (ZERO, ZERO))
        money = levels[plan_id].net if plan_id in levels else ZERO
        total += premium - part + levels_paid_in_line(premium=premium, levels_part=part, levels=money)
    return total

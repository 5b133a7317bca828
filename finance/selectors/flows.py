"""The figures of each kind of payment and income (奖补、会员活动、帮扶、退费、追回、工会拨入、
each union level's subsidy, interest …) per office and plan, read off the journal lines alone, so
that they agree with the books to the fen.

Each kind is the movement of one account of the chart on the kind's own side, narrowed where
the account holds more than one kind (the reserve fund 2701 holds the unions' contributions and
the draws on it; 1131 the recoveries booked and their repayments) to the entries of that kind and
their reversals. The subsidies (6051) are split by the union level of the income record that
booked them; what a policy's premium carried as the union's part is the grassroots union's.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db.models import Case, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Concat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from finance.models import Account, EntryKind, IncomeRecord, JournalLine, UnionLevel
from finance.rules import ZERO
from mutualaid.models import Organisation

INCOME, PAYMENT, RECEIVABLE = "income", "payment", "receivable"
SUBSIDY_PREFIX = "subsidy_"  # a union level's subsidy kind: the prefix and the level
DIRECTIONS: list[tuple[str, Promise]] = [
    (INCOME, _("Income")),
    (PAYMENT, _("Payment")),
    (RECEIVABLE, _("Recovery of overpaid claims")),
]


@dataclass(frozen=True)
class FlowKind:
    code: str
    label: Promise
    direction: str
    account: str
    entry_kinds: tuple[str, ...] = ()  # none: every entry on the account
    union_level: str = ""

    @property
    def debit_side(self) -> bool:
        """Whether the kind's figure is the account's debits less its credits."""
        return self.direction == PAYMENT or self.code == "recovery_booked"


_LEVELS = {
    UnionLevel.NATIONAL: _("Subsidy from the national federation"),
    UnionLevel.PROVINCE: _("Subsidy from the provincial federation"),
    UnionLevel.CITY: _("Subsidy from the city federation"),
    UnionLevel.COUNTY: _("Subsidy from the county or district federation"),
    UnionLevel.UNIT: _("Subsidy from grassroots unions and employers"),
}

FLOW_KINDS: tuple[FlowKind, ...] = (
    FlowKind("premium", _("Premium income"), INCOME, Account.PREMIUM_INCOME),
    FlowKind(
        "union_contribution",
        _("Union contribution to the reserve (工会拨入)"),
        INCOME,
        Account.RESERVE_FUND,
        (EntryKind.UNION_CONTRIBUTION,),
    ),
    *(
        FlowKind(f"{SUBSIDY_PREFIX}{level}", label, INCOME, Account.SUBSIDY_INCOME, union_level=level)
        for level, label in _LEVELS.items()
    ),
    FlowKind("interest", _("Interest"), INCOME, Account.INTEREST_INCOME),
    FlowKind("allocation_in", _("Funds allocated by the office above (上级拨入)"), INCOME, Account.ALLOCATIONS_IN),
    FlowKind("claims_paid", _("Claims paid"), PAYMENT, Account.CLAIMS_PAID, (EntryKind.CLAIMS_PAID,)),
    FlowKind("incentive_grant", _("Incentive grants to agent points (奖补)"), PAYMENT, Account.INCENTIVE_GRANTS),
    FlowKind("member_activity", _("Member activities"), PAYMENT, Account.MEMBER_ACTIVITIES),
    FlowKind("hardship_aid", _("Hardship aid (帮扶)"), PAYMENT, Account.HARDSHIP_AID),
    FlowKind("premium_refund", _("Premium refunds on cancellation (退费)"), PAYMENT, Account.PREMIUM_REFUNDS),
    FlowKind("management_fee", _("Management fees"), PAYMENT, Account.MANAGEMENT_FEE),
    FlowKind("allocation_out", _("Funds allocated to offices below (拨出)"), PAYMENT, Account.ALLOCATIONS_OUT),
    FlowKind("reserve_draw", _("Drawn on the reserve fund"), PAYMENT, Account.RESERVE_FUND, (EntryKind.RESERVE_DRAW,)),
    FlowKind(
        "recovery_booked",
        _("Overpaid claims to recover (追回)"),
        RECEIVABLE,
        Account.RECOVERY_RECEIVABLE,
        (EntryKind.RECOVERY_BOOKED,),
    ),
    FlowKind(
        "recovery_repaid",
        _("Overpaid claims repaid"),
        RECEIVABLE,
        Account.RECOVERY_RECEIVABLE,
        (EntryKind.RECOVERY_REPAID,),
    ),
)
FLOW_BY_CODE = {kind.code: kind for kind in FLOW_KINDS}
FLOW_CHOICES = [(kind.code, kind.label) for kind in FLOW_KINDS]


def flow_label(code: str) -> str:
    kind = FLOW_BY_CODE.get(code)
    return str(kind.label) if kind else code


def _condition(kind: FlowKind) -> Q:
    """The lines of the kind's account and entries, whatever union level booked them."""
    condition = Q(account=kind.account)
    if kind.entry_kinds:
        condition &= Q(entry__kind__in=kind.entry_kinds) | Q(entry__reverses__kind__in=kind.entry_kinds)
    return condition


def _by_account_and_entry(kinds: Iterable[FlowKind]) -> list[FlowKind]:
    """The kinds with the first of each union level's kinds standing for all of them (they share
    the account, the direction and the side)."""
    first: dict[tuple[str, tuple[str, ...]], FlowKind] = {}
    for kind in kinds:
        first.setdefault((kind.account, kind.entry_kinds), kind)
    return list(first.values())


def _union_level() -> Coalesce:
    """The union level of the income record that booked the line's entry, or of the entry it
    reverses; a line of no income record (a policy's union part) is the grassroots union's."""
    records = IncomeRecord.objects.exclude(union_level="")
    booked_by = records.filter(entry_id=OuterRef("entry_id")).values("union_level")[:1]
    reversed_from = records.filter(entry_id=OuterRef("entry__reverses_id")).values("union_level")[:1]
    return Coalesce(Subquery(booked_by), Subquery(reversed_from), Value(UnionLevel.UNIT), output_field=CharField())


def flow_line_list() -> QuerySet[Any]:
    """The journal lines of the caller's scope that belong to a kind, each with its kind's code
    (`flow`), direction and amount on the kind's side (`signed`).

    Each expression is written from the lines' own columns: Django writes an annotation out in
    full wherever another refers to it, and kinds defined on the kind (`flow`) made the query
    74 KB of SQL with 209 subqueries, seconds to plan and compile on every flows page."""
    kinds = _by_account_and_entry(FLOW_KINDS)
    flow = Case(
        *(
            When(_condition(kind), then=Concat(Value(SUBSIDY_PREFIX), _union_level()))
            if kind.union_level
            else When(_condition(kind), then=Value(kind.code))
            for kind in kinds
        ),
        output_field=CharField(),
    )
    direction = Case(*(When(_condition(kind), then=Value(kind.direction)) for kind in kinds), output_field=CharField())
    signed = Case(
        *(
            When(_condition(kind), then=F("debit") - F("credit") if kind.debit_side else F("credit") - F("debit"))
            for kind in kinds
        )
    )
    return (
        JournalLine.objects.filter(reduce(operator.or_, (_condition(kind) for kind in kinds)))
        .annotate(flow=flow)
        .annotate(direction=direction, signed=signed)
    )


def flow_figure_list(lines: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """One row per office, plan and kind: the amount and the number of entries (rows are dicts)."""
    lines = flow_line_list() if lines is None else lines
    rows: QuerySet[Any] = (
        lines.values("org_id", "org__name", "org__path", "plan_id", "plan__name", "flow", "direction")
        .annotate(amount=Sum("signed"), entries=Count("entry_id", distinct=True))
        .order_by("org__path", "plan__name", "flow")
    )
    return rows


@dataclass(frozen=True)
class FlowTotals:
    income: Decimal
    payments: Decimal
    recoveries_booked: Decimal
    recoveries_repaid: Decimal

    @property
    def net(self) -> Decimal:
        return self.income - self.payments


def flow_totals(rows: Iterable[dict[str, Any]]) -> FlowTotals:
    """The income and payments of the rows shown (a filtered view of `flow_figure_list`)."""
    sums = {INCOME: ZERO, PAYMENT: ZERO, "recovery_booked": ZERO, "recovery_repaid": ZERO}
    for row in rows:
        key = row["flow"] if row["direction"] == RECEIVABLE else row["direction"]
        sums[key] = sums.get(key, ZERO) + (row["amount"] or ZERO)
    return FlowTotals(sums[INCOME], sums[PAYMENT], sums["recovery_booked"], sums["recovery_repaid"])


def flow_kind_totals(
    *, office: Organisation, starts_on: date, ends_on: date, plan_id: int | None = None, tree: bool = False
) -> list[dict[str, Any]]:
    """Each kind's total over a period in the office's books (with `tree`, its whole tree's), in
    the order of the kinds, the kinds without a figure left out: for the monthly statement and
    the fund statement."""
    lines = flow_line_list().filter(posted_on__gte=starts_on, posted_on__lte=ends_on)
    lines = lines.filter(org_path__startswith=office.path) if tree else lines.filter(org=office)
    if plan_id is not None:
        lines = lines.filter(plan_id=plan_id)
    sums = {
        row["flow"]: row["amount"] or ZERO for row in lines.values("flow").annotate(amount=Sum("signed")).order_by()
    }
    return [
        {"code": kind.code, "label": str(kind.label), "direction": kind.direction, "amount": sums[kind.code]}
        for kind in FLOW_KINDS
        if sums.get(kind.code)
    ]

"""Solvency (偿付能力) of each plan's fund in each office's books, against the office's band of
reasonable surplus (合理结余).

Read off the ledger alone, so the figures agree with the books to the fen:
- **fund balance**: what the plan's books hold, net: every asset account (1xxx: the bank, what
  units and offices below owe, deposits) less every liability (2xxx) but the reserve fund, which
  is the fund's own (the reserve is part of the balance, and also shown apart);
- **reserve ratio**: the reserve fund (2701) against the premium and subsidies of the last twelve
  months (6001 + 6051); at least the share the office sets aside (`FinanceSettings.reserve_ratio`);
- **months of payouts covered**: the fund balance against the average month of claims paid
  (6401) in the last twelve months (none for an overdrawn fund);
- **loss ratio** (赔付率): claims paid against premium and subsidies, the same twelve months.
The twelve months are the month of `on` and the eleven before it, to `on`.

Rows are the plans an office runs (its pooled premium) or pays claims of; an office that only
passes premium up holds no fund of its own. Two queries whatever the size of the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from finance.models import Account, FinanceSettings, JournalLine
from finance.rules import ZERO
from mutualaid import dates, numbers
from mutualaid.models import Organisation

RATIO = Decimal("0.0001")
TENTH = Decimal("0.1")
INCOME = (Account.PREMIUM_INCOME, Account.SUBSIDY_INCOME)
WITHIN, BELOW, ABOVE = "within", "below", "above"


@dataclass(frozen=True)
class Band:
    """An office's band of reasonable surplus (its finance settings, or the defaults)."""

    months_min: Decimal
    months_max: Decimal
    loss_min: Decimal
    loss_max: Decimal
    reserve_min: Decimal

    @classmethod
    def of(cls, row: FinanceSettings) -> Band:
        return cls(
            row.surplus_months_min, row.surplus_months_max, row.loss_ratio_min, row.loss_ratio_max, row.reserve_ratio
        )


@dataclass
class Solvency:
    office_id: int
    office_name: str
    plan_id: int
    plan_name: str
    pools: bool  # the office runs the plan: premium is its income, the reserve is set aside here
    bank: Decimal = ZERO
    fund_balance: Decimal = ZERO
    reserve: Decimal = ZERO
    income_12m: Decimal = ZERO
    claims_12m: Decimal = ZERO
    reserve_ratio: Decimal | None = None
    months_covered: Decimal | None = None
    loss_ratio: Decimal | None = None
    band: Band | None = None
    status: str = WITHIN
    problems: list[str] = field(default_factory=list)

    @property
    def out_of_band(self) -> bool:
        return self.status != WITHIN


def _share(part: Decimal, whole: Decimal, step: Decimal = RATIO) -> Decimal | None:
    return (part / whole).quantize(step, rounding=ROUND_HALF_UP) if whole > 0 else None


def _judge(row: Solvency, band: Band) -> None:
    """Where the row stands against its band, with a sentence per reason it leaves it."""
    row.band = band
    reserve = row.reserve_ratio if row.pools else None
    row.status, row.problems = band_judge(
        band=band,
        fund_balance=row.fund_balance,
        months_covered=row.months_covered,
        loss_ratio=row.loss_ratio,
        reserve_ratio=reserve,
    )


def band_judge(
    *,
    band: Band,
    fund_balance: Decimal,
    months_covered: Decimal | None,
    loss_ratio: Decimal | None,
    reserve_ratio: Decimal | None = None,
) -> tuple[str, list[str]]:
    """Where a fund stands against a band of reasonable surplus (WITHIN, BELOW or ABOVE), with a
    sentence per reason it leaves it: below when overdrawn, covering fewer months of payouts than
    the band's least, paying out more than its highest loss ratio, or holding less reserve than
    the share set aside (`reserve_ratio` None: not judged); above when it covers more months or
    pays out less than the band's lowest loss ratio. The solvency page and the simulator's
    projection of a proposal (reporting/simulations.py) read a fund the same way."""
    below: list[str] = []
    above: list[str] = []
    if fund_balance < 0:
        below.append(_("the fund is overdrawn by %(amount)s yuan") % {"amount": numbers.money_text(-fund_balance)})
    if months_covered is not None and fund_balance >= 0:  # an overdraft is said above
        months = {"months": months_covered, "min": band.months_min, "max": band.months_max}
        if months_covered < band.months_min:
            below.append(_("it covers %(months)s months of payouts, fewer than %(min)s") % months)
        elif months_covered > band.months_max:
            above.append(_("it covers %(months)s months of payouts, more than %(max)s") % months)
    if loss_ratio is not None:
        ratios = {
            "ratio": numbers.percent_text(loss_ratio),
            "min": numbers.percent_text(band.loss_min),
            "max": numbers.percent_text(band.loss_max),
        }
        if loss_ratio > band.loss_max:
            below.append(_("the loss ratio is %(ratio)s, above %(max)s") % ratios)
        elif loss_ratio < band.loss_min:
            above.append(_("the loss ratio is %(ratio)s, below %(min)s") % ratios)
    if reserve_ratio is not None and reserve_ratio < band.reserve_min:
        below.append(
            _("the reserve is %(ratio)s of the year's premium, less than the %(min)s set aside")
            % {"ratio": numbers.percent_text(reserve_ratio), "min": numbers.percent_text(band.reserve_min)}
        )
    return (BELOW if below else ABOVE if above else WITHIN), below + above


def share_of(part: Decimal, whole: Decimal, step: Decimal = RATIO) -> Decimal | None:
    """`part` as a share of `whole`, to `step` (a loss ratio to 0.0001, months to 0.1); None without a whole."""
    return _share(part, whole, step)


def solvency_list(*, node: Organisation, on: date | None = None, every: bool = False) -> list[Solvency]:
    """Each plan's fund in the books of `node` and of every office under it, as of `on` (today by
    default), judged against the band of the office that keeps the books. Read in the caller's
    scope, which holds the node. With `every`, also the books that hold a plan's money without
    pooling it or paying its claims yet (an allocation received, not spent): for sums over a tree."""
    on = on or dates.business_today()
    since = dates.add_months(dates.month_start(on), -11)
    recent = Q(posted_on__gte=since)
    grouped = (
        JournalLine.objects.filter(org_path__startswith=node.path, posted_on__lte=on)
        .values("org_id", "org__name", "org__path", "plan_id", "plan__name", "plan__org_id", "account")
        .annotate(
            debits=Sum("debit"),
            credits=Sum("credit"),
            debits_12=Sum("debit", filter=recent),
            credits_12=Sum("credit", filter=recent),
        )
        .order_by("org__path", "plan__name", "plan_id")
    )
    rows: dict[tuple[int, int], Solvency] = {}
    for line in grouped:
        key = (line["org_id"], line["plan_id"])
        row = rows.get(key)
        if row is None:
            row = rows[key] = Solvency(
                line["org_id"],
                line["org__name"],
                line["plan_id"],
                line["plan__name"],
                line["plan__org_id"] == line["org_id"],
            )
        _add(row, line["account"], line["debits"] or ZERO, line["credits"] or ZERO, dict(line))
    kept = [row for row in rows.values() if every or row.pools or row.claims_12m > 0]
    settings = {s.org_id: s for s in FinanceSettings.objects.filter(org_id__in={row.office_id for row in kept})}
    for row in kept:
        row.reserve_ratio = _share(row.reserve, row.income_12m)
        row.loss_ratio = _share(row.claims_12m, row.income_12m)
        # An overdrawn fund covers no month of payouts, never a negative number of them.
        row.months_covered = _share(max(row.fund_balance, ZERO) * 12, row.claims_12m, TENTH)
        _judge(row, Band.of(settings.get(row.office_id) or FinanceSettings()))
    return kept


def _add(row: Solvency, account: str, debit: Decimal, credit: Decimal, line: dict[str, Any]) -> None:
    recent = (line["debits_12"] or ZERO, line["credits_12"] or ZERO)
    if account == Account.RESERVE_FUND:
        row.reserve += credit - debit
    elif account.startswith("1"):
        row.fund_balance += debit - credit
    elif account.startswith("2"):
        row.fund_balance -= credit - debit
    if account == Account.BANK:
        row.bank += debit - credit
    if account in INCOME:
        row.income_12m += recent[1] - recent[0]
    if account == Account.CLAIMS_PAID:
        row.claims_12m += recent[0] - recent[1]


def solvency_warnings(*, node: Organisation, on: date | None = None) -> list[dict[str, Any]]:
    """The plans out of their band under `node`, as the dashboard and the overview show them
    (plain strings: the dashboard keeps its figures as JSON in the cache)."""
    return [
        {
            "office": row.office_name,
            "plan": row.plan_name,
            "status": row.status,
            "fund_balance": str(row.fund_balance),
            "months_covered": "" if row.months_covered is None else str(row.months_covered),
            "loss_ratio": "" if row.loss_ratio is None else str(row.loss_ratio),
            "problems": row.problems,
        }
        for row in solvency_list(node=node, on=on)
        if row.out_of_band
    ]

"""Budgets of an office per plan, year and account, and the budget set against what the books
show (预算执行情况).

The actual figure of an account is the net of its journal lines of the year on the account's
normal side, the same sign rule as the balances, so a budget for premium income is compared
with income and a budget for claims paid with claims paid. Reads go through the scoped
managers: an office only ever compares its own books.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import DEBIT_NORMAL, Account, Budget, JournalLine
from finance.selectors import book_plans
from finance.services import CENT, MONEY_OFFICES, ZERO
from mutualaid.models import Organisation, User

FIRST_YEAR, LAST_YEAR = 2000, 2100
# DecimalField(max_digits=14, decimal_places=2): twelve digits before the point.
MONEY_LIMIT = Decimal("1000000000000")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class BudgetRow:
    account: str
    label: str
    budget: Decimal | None  # None: no budget set for the account
    actual: Decimal
    difference: Decimal | None  # budget − actual: what is left (negative: over budget)
    percent_used: Decimal | None  # actual ÷ budget × 100, one decimal; None without a budget above 0


def parse_amount(value: object) -> Decimal | None:
    """A yuan amount as typed (thousands separators allowed), or None when it is not a number."""
    if isinstance(value, Decimal):
        return value
    try:
        found = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def _normal(account: str, debit: Decimal, credit: Decimal) -> Decimal:
    return debit - credit if account in DEBIT_NORMAL else credit - debit


@transaction.atomic
def budget_set(*, actor: User, plan: Plan, year: int, account: str, amount: Decimal) -> Budget:
    """Set (or change) the budget of the actor's office for a plan, year and account."""
    if not actor.has_perm("finance.configure"):
        raise PermissionDenied(_("Your roles do not allow this."))
    office: Organisation = actor.org
    if office is None or office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books."))
    errors: dict[str, str] = {}
    if plan is None or plan.pk not in {p.pk for p in book_plans(office=office)}:
        errors["plan"] = _("Choose a plan your office keeps books for.")
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = _("Enter a year between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
    if account not in Account.values:
        errors["account"] = _("Choose an account of the chart.")
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount < 0
        or amount != amount.quantize(CENT)
        or amount >= MONEY_LIMIT
    ):
        errors["amount"] = _("Enter the budget in yuan: a number of 0 or more with at most two decimals.")
    if errors:
        raise ValidationError(errors)
    budget, _created = Budget.objects.update_or_create(
        org=office, plan=plan, year=year, account=account, defaults={"amount": amount.quantize(CENT)}
    )
    return budget


def budget_vs_actual(*, office: Organisation, plan: Plan, year: int) -> list[BudgetRow]:
    """Every account with a budget or with postings in the year, in the order of the chart: two
    queries whatever the number of entries."""
    budgets = dict(
        Budget.objects.filter(org=office, plan=plan, year=year).values_list("account", "amount"),
    )
    sums = {
        row["account"]: _normal(row["account"], row["d"] or ZERO, row["c"] or ZERO)
        for row in JournalLine.objects.filter(org=office, plan=plan, posted_on__year=year)
        .values("account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    }
    rows = []
    for account, label in Account.choices:
        if account not in budgets and account not in sums:
            continue
        budget = budgets.get(account)
        actual = sums.get(account, ZERO)
        percent = None
        if budget is not None and budget > 0:
            percent = (actual * 100 / budget).quantize(TENTH, rounding=ROUND_HALF_UP)
        rows.append(
            BudgetRow(
                account=account,
                label=str(label),
                budget=budget,
                actual=actual,
                difference=None if budget is None else budget - actual,
                percent_used=percent,
            )
        )
    return rows

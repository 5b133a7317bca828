"""The budget of an office's plan and year set against what its books show (预算执行情况).

The actual figure of an account is the net of its journal lines of the year on the account's
normal side, the same sign rule as the balances, so a budget for premium income is compared
with income and a budget for claims paid with claims paid. Reads go through the scoped
managers: an office only ever compares its own books.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from enrollment.models import Plan
from finance.models import Account, Budget, JournalLine
from finance.rules import ZERO, normal_balance
from mutualaid.models import Organisation

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class BudgetRow:
    account: str
    label: str
    budget: Decimal | None  # None: no budget set for the account
    actual: Decimal
    difference: Decimal | None  # budget − actual: what is left (negative: over budget)
    percent_used: Decimal | None  # actual ÷ budget × 100, one decimal; None without a budget above 0


def budget_execution_list(*, office: Organisation, plan: Plan, year: int) -> list[BudgetRow]:
    """Every account with a budget or with postings in the year, in the order of the chart: two
    queries whatever the number of entries."""
    budgets = dict(
        Budget.objects.filter(org=office, plan=plan, year=year).values_list("account", "amount"),
    )
    sums = {
        row["account"]: normal_balance(row["account"], row["d"] or ZERO, row["c"] or ZERO)
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

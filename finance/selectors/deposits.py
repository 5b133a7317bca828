"""Reads of deposits and bonds, and the fund's money shown apart: cash at the bank, time
deposits, treasury bonds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import QuerySet, Sum

from enrollment.models import Plan
from finance.models import Account, Deposit, DepositStatus, JournalLine
from finance.rules import ZERO, normal_balance
from mutualaid import dates
from mutualaid.models import Organisation

# A deposit shows on the home page from this many days before it matures.
REMIND_DAYS = 30


def deposit_list() -> QuerySet[Deposit]:
    """Deposits and bonds of the caller's tree, the next to mature first."""
    return Deposit.objects.select_related("org", "plan", "placed_by").order_by("status", "matures_on", "pk")


def deposit_due_list(*, office: Organisation) -> QuerySet[Deposit]:
    """The office's deposits still placed that mature within REMIND_DAYS or have matured unbooked."""
    horizon = dates.business_today() + timedelta(days=REMIND_DAYS)
    return Deposit.objects.filter(org=office, status=DepositStatus.PLACED, matures_on__lte=horizon)


@dataclass(frozen=True)
class Holdings:
    cash: Decimal
    time_deposits: Decimal
    treasury_bonds: Decimal

    @property
    def total(self) -> Decimal:
        return self.cash + self.time_deposits + self.treasury_bonds


def holdings_get(*, office: Organisation, plan: Plan | None = None) -> Holdings:
    """The fund's money in the office's books, cash and deposits apart (one grouped query)."""
    accounts = [Account.BANK, Account.TIME_DEPOSITS, Account.TREASURY_BONDS]
    lines = JournalLine.objects.filter(org=office, account__in=accounts)
    if plan is not None:
        lines = lines.filter(plan=plan)
    found = {
        row["account"]: normal_balance(row["account"], row["d"] or ZERO, row["c"] or ZERO)
        for row in lines.values("account").annotate(d=Sum("debit"), c=Sum("credit"))
    }
    return Holdings(
        cash=found.get(Account.BANK, ZERO),
        time_deposits=found.get(Account.TIME_DEPOSITS, ZERO),
        treasury_bonds=found.get(Account.TREASURY_BONDS, ZERO),
    )

"""The bookkeeping rules the writes and the reads of finance share: money to the fen, which
offices keep books, the side an account's balance stands on, and when a month's premium is due
above."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from finance.models import DEBIT_NORMAL, Account, FinanceSettings
from mutualaid import dates, numbers
from mutualaid.models import Organisation, OrgKind
from mutualaid.officesettings import office_settings
from mutualaid.tenancy import unscoped

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The fewest characters of the reason for paying out of a bank account that goes below zero.
OVERDRAW_REASON_MIN = 5
# The kinds of office that hold plan money and so keep books.
MONEY_OFFICES = (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.INDUSTRY, OrgKind.COUNTY)
# The accounts of the chart that hold money at the bank or in cash: their balance may not go
# below zero unseen (the chart has one, the dedicated bank account).
CASH_ACCOUNTS = frozenset({Account.BANK})


def money_text(value: Decimal) -> str:
    """An amount as a person reads it everywhere in the product: 12,345.60 (and -12,345.60)."""
    return numbers.money_text(value)


def normal_balance(account: str, debits: Decimal, credits: Decimal) -> Decimal:
    """A balance on the account's normal side: assets and expenses debit, the rest credit."""
    return debits - credits if account in DEBIT_NORMAL else credits - debits


# By default an agent point remits a month's premium to its city by the 15th of the following
# month and the city its consolidated report to the province by the 25th, after its agent points;
# the office above may set its own day (FinanceSettings.remittance_due_day).
REMITTANCE_DUE_DAY: dict[str, int] = {OrgKind.CITY: 15, OrgKind.INDUSTRY: 15, OrgKind.PROVINCE: 25}


def default_due_day(receiver: Organisation) -> int:
    """The default day by which the offices below `receiver` remit (the 25th for a province)."""
    return REMITTANCE_DUE_DAY.get(receiver.kind, 25)


def remittance_due_dates(months: list[date], *, receiver: Organisation) -> list[date]:
    """The days by which each month's premium reaches `receiver`, the office above the one
    remitting (one query: the receiver's settings)."""
    day = office_settings(FinanceSettings, receiver).remittance_due_day or default_due_day(receiver)
    return [dates.add_months(month, 1).replace(day=day) for month in months]


def remittance_due_date(month: date, *, receiver: Organisation) -> date:
    """The day by which a month's premium reaches `receiver`, the office above the one remitting."""
    return remittance_due_dates([month], receiver=receiver)[0]


def own_remittance_due_date(month: date, *, office: Organisation) -> date:
    """The day by which `office`'s own report of `month` reaches the office above it."""
    if office.parent_id is None:
        raise ValueError("an office without one above remits nothing")
    with unscoped():  # the office above, whose day governs the report, lies outside the office's scope
        receiver = Organisation.objects.get(pk=office.parent_id)
    return remittance_due_date(month, receiver=receiver)

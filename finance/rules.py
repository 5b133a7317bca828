"""The bookkeeping rules the writes and the reads of finance share: money to the fen, which
offices keep books, the side an account's balance stands on, and when a month's premium is due
above."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from finance.models import DEBIT_NORMAL, Account
from mutualaid import dates, numbers
from mutualaid.models import OrgKind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
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


def remittance_due_date(month: date) -> date:
    """A month's premium is remitted to the office above by the 25th of the following month."""
    return dates.add_months(month, 1).replace(day=25)

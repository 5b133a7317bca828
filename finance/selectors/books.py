"""Reads of an office's books: the balances of each account for a month, the month's entries,
the offices and plans there are books for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from enrollment.models import Plan, Policy
from finance.models import Account, JournalEntry, JournalLine
from finance.rules import CASH_ACCOUNTS, MONEY_OFFICES, ZERO, normal_balance
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.tenancy import unscoped


@dataclass(frozen=True)
class AccountRow:
    account: str
    label: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal

    @property
    def overdrawn(self) -> bool:
        """A bank or cash account that stands below zero at the end of the month shown."""
        return self.account in CASH_ACCOUNTS and self.closing < 0


def account_balance_list(*, office: Organisation, plan: Plan | None, month: date) -> list[AccountRow]:
    """Each account's opening balance, the month's debits and credits, and its closing balance:
    two grouped queries, whatever the number of entries."""
    following = dates.add_months(month, 1)
    lines = JournalLine.objects.filter(org=office)
    if plan is not None:
        lines = lines.filter(plan=plan)
    before = {
        row["account"]: (row["d"] or ZERO, row["c"] or ZERO)
        for row in lines.filter(posted_on__lt=month).values("account").annotate(d=Sum("debit"), c=Sum("credit"))
    }
    during = {
        row["account"]: (row["d"] or ZERO, row["c"] or ZERO)
        for row in lines.filter(posted_on__gte=month, posted_on__lt=following)
        .values("account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    }
    rows = []
    for account, label in Account.choices:
        opening = normal_balance(account, *before.get(account, (ZERO, ZERO)))
        debit, credit = during.get(account, (ZERO, ZERO))
        if not (opening or debit or credit):
            continue
        closing = opening + normal_balance(account, debit, credit)
        rows.append(AccountRow(account, str(label), opening, debit, credit, closing))
    return rows


def entry_list(*, office: Organisation, plan: Plan | None, month: date) -> QuerySet[JournalEntry]:
    """The month's entries of the office's books, in the order they were posted."""
    entries = JournalEntry.objects.filter(org=office, posted_on__gte=month, posted_on__lt=dates.add_months(month, 1))
    if plan is not None:
        entries = entries.filter(plan=plan)
    return (
        entries.select_related("plan", "created_by", "reverses").prefetch_related("lines").order_by("posted_on", "pk")
    )


def book_office_list(*, root: Organisation) -> QuerySet[Organisation]:
    """The offices in the caller's tree that keep books."""
    return Organisation.objects.filter(kind__in=MONEY_OFFICES, path__startswith=root.path).order_by("path")


def book_plan_list(*, office: Organisation) -> list[Plan]:
    """Plans the office has books for, or may have: its own and those of the offices above, but
    not a plan no longer offered (inactive: a region's example) that it has neither books nor
    policies in. Those with books or policies of the office's tree come first, so that a page's
    default plan is one with data for the office. One query."""
    booked = JournalLine.objects.filter(org=office, plan=OuterRef("pk"))
    held = Policy.objects.filter(org_path__startswith=office.path, period__plan=OuterRef("pk"))
    with unscoped():  # the plans of the offices above the office, which run them, lie outside its scope;
        # the books and policies read are the office's own, by its id and path
        plans = (
            Plan.objects.filter(org_id__in=office.ancestor_ids())
            .annotate(has_data=Exists(booked) | Exists(held))
            .filter(Q(is_active=True) | Q(has_data=True))
            .order_by("-has_data", "name", "pk")
        )
        return list(plans)


def trial_balance_get(*, office: Organisation) -> tuple[Decimal, Decimal]:
    """The debits and credits of every entry of the office's books, which must be equal."""
    sums = JournalLine.objects.filter(org=office).aggregate(d=Sum("debit"), c=Sum("credit"))
    return sums["d"] or ZERO, sums["c"] or ZERO

"""Reads of bank reconciliation: an office's imported statements, and what is left unmatched on
either side (in the bank but not in the books, and the other way round).

Signs: a bank line is + for money in and - for money out; a ledger bank line's debit is money in
and its credit money out, so its signed amount is debit - credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum

from finance.models import Account, BankLine, BankStatement, JournalLine
from finance.rules import ZERO
from mutualaid.models import Organisation

LIST_LIMIT = 500  # rows shown of each unmatched side; the totals count them all


def signed_amount(line: JournalLine) -> Decimal:
    """A ledger bank line's money as the bank shows it: + in, - out."""
    return line.debit - line.credit


def bank_line_unmatched_list(*, office: Organisation) -> QuerySet[BankLine]:
    """In the bank, not in the books."""
    return (
        BankLine.objects.filter(org=office, matched__isnull=True)
        .select_related("statement")
        .order_by("booked_on", "row_number", "pk")
    )


def statement_coverage_get(*, office: Organisation) -> tuple[date | None, date | None]:
    """The first and last dates of the office's imported statement lines."""
    found = BankLine.objects.filter(org=office).aggregate(first=Min("booked_on"), last=Max("booked_on"))
    return found["first"], found["last"]


def ledger_line_unmatched_list(*, office: Organisation) -> QuerySet[JournalLine]:
    """In the books, not in the bank: the unmatched ledger bank lines dated within the period the
    imported statements cover. Before the first statement's lines the bank has not been shown, and
    after its last one the money may simply not have arrived yet; neither is a difference."""
    first, last = statement_coverage_get(office=office)
    lines = JournalLine.objects.filter(org=office, account=Account.BANK, bank_line__isnull=True)
    if first is None or last is None:
        return lines.none()
    return (
        lines.filter(posted_on__gte=first, posted_on__lte=last)
        .select_related("entry", "plan")
        .annotate(amount=F("debit") - F("credit"))
        .order_by("posted_on", "pk")
    )


@dataclass(frozen=True)
class Side:
    lines: list[Any]
    count: int
    total: Decimal


@dataclass(frozen=True)
class Reconciliation:
    covered_from: date | None
    covered_to: date | None
    in_bank_only: Side
    in_books_only: Side


def reconciliation_get(*, office: Organisation) -> Reconciliation:
    """Both unmatched sides, each with its count and total over all its lines."""
    bank = bank_line_unmatched_list(office=office)
    books = ledger_line_unmatched_list(office=office)
    bank_sums = bank.aggregate(count=Count("pk"), total=Sum("amount"))
    book_sums = books.order_by().aggregate(count=Count("pk"), debit=Sum("debit"), credit=Sum("credit"))
    first, last = statement_coverage_get(office=office)
    return Reconciliation(
        covered_from=first,
        covered_to=last,
        in_bank_only=Side(list(bank[:LIST_LIMIT]), bank_sums["count"], bank_sums["total"] or ZERO),
        in_books_only=Side(
            list(books[:LIST_LIMIT]),
            book_sums["count"],
            (book_sums["debit"] or ZERO) - (book_sums["credit"] or ZERO),
        ),
    )


def statement_list(*, office: Organisation) -> QuerySet[BankStatement]:
    return (
        BankStatement.objects.filter(org=office)
        .select_related("imported_by")
        .annotate(
            matched_count=Count("lines", filter=Q(lines__matched__isnull=False)),
            first_day=Min("lines__booked_on"),
            last_day=Max("lines__booked_on"),
        )
        .order_by("-imported_at", "-pk")
    )


def statement_line_list(*, statement: BankStatement) -> QuerySet[BankLine]:
    return statement.lines.select_related("matched__entry").order_by("row_number")


def ledger_line_unmatched_by_amount(*, office: Organisation, amounts: set[Decimal]) -> dict[Decimal, list[JournalLine]]:
    """The unmatched ledger bank lines of the office, by signed amount, for the manual match."""
    if not amounts:
        return {}
    lines = (
        JournalLine.objects.filter(org=office, account=Account.BANK, bank_line__isnull=True)
        .filter(Q(debit__in=[a for a in amounts if a > 0]) | Q(credit__in=[-a for a in amounts if a < 0]))
        .select_related("entry")
        .order_by("posted_on", "pk")
    )
    found: dict[Decimal, list[JournalLine]] = {}
    for line in lines:
        found.setdefault(signed_amount(line), []).append(line)
    return found

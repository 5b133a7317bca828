"""Bank reconciliation of an office's dedicated account: imported statements, their lines matched
to the ledger's bank lines (account 1001), and what is left unmatched on either side.

A bank line is the money of at most one ledger line, and a ledger line the money of at most one
bank line (a one-to-one key on BankLine.matched): the database refuses a double match whatever
the code does. Matching for one office is serialised by an advisory lock held to the end of the
transaction, so an import and a manual match made at the same moment cannot interleave.

Signs: a bank line is + for money in and - for money out; a ledger bank line's debit is money in
and its credit money out, so its signed amount is debit - credit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import bankstatement
from finance.models import Account, BankLine, BankStatement, JournalLine
from finance.services import MONEY_OFFICES, ZERO
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission

MATCH_DAYS = 3  # how far apart the bank's date and the books' date may be for a match by amount
LIST_LIMIT = 500  # rows shown of each unmatched side; the totals count them all


def _own_office(actor: User) -> Organisation:
    office = actor.org
    if office is None or office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books, so it has no dedicated account to reconcile."))
    return office


def _lock(office: Organisation) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"bank-match:{office.pk}"])


def _signed(line: JournalLine) -> Decimal:
    return line.debit - line.credit


# Import ---------------------------------------------------------------------------------------------


def _already_imported(statement: BankStatement) -> ValidationError:
    imported_at = timezone.localtime(statement.imported_at)
    return ValidationError(
        _(
            "This file was already imported on %(date)s as “%(name)s”: its lines are in the reconciliation. "
            "To import a later period, export a new statement from online banking."
        )
        % {"date": f"{imported_at:%Y-%m-%d %H:%M}", "name": statement.original_name}
    )


def _check_not_imported_before(office: Organisation, rows: list[bankstatement.StatementRow]) -> None:
    """A line already in an earlier statement (an overlapping export) would be counted twice."""
    keyed = {(row.booked_on, row.amount, row.reference[:60]): row for row in rows if row.reference}
    if not keyed:
        return
    earlier = (
        BankLine.objects.filter(
            org=office,
            reference__in={reference for _day, _amount, reference in keyed},
            booked_on__in={day for day, _amount, _reference in keyed},
        )
        .select_related("statement")
        .order_by("booked_on", "pk")
    )
    for line in earlier:
        row = keyed.get((line.booked_on, line.amount, line.reference))
        if row is not None:
            raise ValidationError(
                _(
                    "Row %(row)s (date %(date)s, amount %(amount)s, reference %(reference)s) was already imported "
                    "with the statement “%(name)s” (its row %(earlier_row)s). Export the statement from the day "
                    "after the last one imported, or delete the lines already imported from the file."
                )
                % {
                    "row": row.row_number,
                    "date": row.booked_on.isoformat(),
                    "amount": row.amount,
                    "reference": row.reference,
                    "name": line.statement.original_name,
                    "earlier_row": line.row_number,
                }
            )


@transaction.atomic
def statement_import(*, actor: User, data: bytes, filename: str) -> BankStatement:
    """Store a statement of the actor's office and match its lines; all or nothing."""
    require_permission(actor, "finance.post")
    office = _own_office(actor)
    digest = hashlib.sha256(data).hexdigest()
    try:
        rows = bankstatement.parse(data, filename)  # before the lock: a large file takes a moment
    except bankstatement.StatementError as error:
        raise ValidationError(error.message) from None
    _lock(office)
    earlier = BankStatement.objects.filter(org=office, sha256=digest).first()
    if earlier is not None:
        raise _already_imported(earlier)
    _check_not_imported_before(office, rows)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                org=office,
                original_name=filename[:200],
                sha256=digest,
                imported_by=actor,
                line_count=len(rows),
            )
    except IntegrityError:
        # The same file, sent at the same moment by another request (the lock makes this rare).
        found = BankStatement.objects.filter(org=office, sha256=digest).first()
        if found is None:
            raise
        raise _already_imported(found) from None
    BankLine.objects.bulk_create(
        BankLine(
            org=office,
            org_path=office.path,
            statement=statement,
            row_number=row.row_number,
            booked_on=row.booked_on,
            amount=row.amount,
            reference=row.reference[:60],
            counterparty=row.counterparty[:100],
            description=row.description[:200],
        )
        for row in rows
    )
    match(office=office)
    return statement


# Matching -------------------------------------------------------------------------------------------


def _ledger_candidates(office: Organisation) -> list[JournalLine]:
    return list(
        JournalLine.objects.filter(org=office, account=Account.BANK, bank_line__isnull=True)
        .select_related("entry")
        .order_by("posted_on", "pk")
    )


def _pick(line: BankLine, candidates: list[JournalLine]) -> JournalLine | None:
    """The closest in date, then the lowest id: the same statement always matches the same way."""
    if not candidates:
        return None
    return min(candidates, key=lambda ledger: (abs((ledger.posted_on - line.booked_on).days), ledger.pk))


@transaction.atomic
def match(*, office: Organisation) -> int:
    """Match the office's unmatched bank lines to its unmatched ledger bank lines: first by the
    bank's reference with the same signed amount, then by the same signed amount within
    MATCH_DAYS days. Each ledger line is used once. Returns how many bank lines were matched."""
    _lock(office)
    bank_lines = list(
        BankLine.objects.filter(org=office, matched__isnull=True).order_by("booked_on", "row_number", "pk")
    )
    if not bank_lines:
        return 0
    ledger = _ledger_candidates(office)
    by_amount: dict[Decimal, list[JournalLine]] = {}
    for line in ledger:
        by_amount.setdefault(_signed(line), []).append(line)
    used: set[int] = set()
    matched: list[BankLine] = []

    def take(line: BankLine, candidates: list[JournalLine]) -> None:
        chosen = _pick(line, [c for c in candidates if c.pk not in used])
        if chosen is not None:
            used.add(chosen.pk)
            line.matched = chosen
            matched.append(line)

    for line in bank_lines:
        if line.reference:
            take(line, [c for c in by_amount.get(line.amount, []) if c.entry.bank_reference == line.reference])
    for line in bank_lines:
        if line.matched_id is None:
            take(
                line,
                [c for c in by_amount.get(line.amount, []) if abs((c.posted_on - line.booked_on).days) <= MATCH_DAYS],
            )
    BankLine.objects.bulk_update(matched, ["matched"])
    return len(matched)


@transaction.atomic
def rematch(*, actor: User) -> int:
    """Match again, after entries were posted for lines of statements already imported."""
    require_permission(actor, "finance.post")
    return match(office=_own_office(actor))


@transaction.atomic
def unmatch(*, actor: User, bank_line: BankLine) -> BankLine:
    """Undo a wrong match; both lines are unmatched again."""
    require_permission(actor, "finance.post")
    office = _own_office(actor)
    if bank_line.org_id != office.pk:
        raise PermissionDenied(_("Only the office whose statement it is can change its matches."))
    _lock(office)
    locked = BankLine.objects.select_for_update().get(pk=bank_line.pk)
    if locked.matched_id is None:
        raise ValidationError(_("Row %(row)s is not matched.") % {"row": locked.row_number})
    locked.matched = None
    locked.save(update_fields=["matched"])
    return locked


@transaction.atomic
def match_manually(*, actor: User, bank_line: BankLine, ledger_line: JournalLine) -> BankLine:
    """Match a bank line to a ledger bank line of the same office and the same signed amount,
    whatever their dates and references."""
    require_permission(actor, "finance.post")
    office = _own_office(actor)
    if bank_line.org_id != office.pk or ledger_line.org_id != office.pk:
        raise PermissionDenied(_("Only lines of your own office's statement and books can be matched."))
    if ledger_line.account != Account.BANK:
        raise ValidationError(_("Only a line of account 1001, the dedicated bank account, can be matched."))
    if _signed(ledger_line) != bank_line.amount:
        raise ValidationError(
            _(
                "The amounts differ: %(bank)s in the bank, %(books)s in the books. Only lines of the same amount "
                "are matched; correct the books with a reversing entry if the posting is wrong."
            )
            % {"bank": bank_line.amount, "books": _signed(ledger_line)}
        )
    _lock(office)
    locked = BankLine.objects.select_for_update().get(pk=bank_line.pk)
    if locked.matched_id is not None:
        raise ValidationError(_("Row %(row)s is already matched: undo that match first.") % {"row": locked.row_number})
    taken = BankLine.objects.filter(matched=ledger_line).select_related("statement").first()
    if taken is not None:
        raise ValidationError(
            _("That ledger line is already matched to row %(row)s of “%(name)s”: undo that match first.")
            % {"row": taken.row_number, "name": taken.statement.original_name}
        )
    locked.matched = ledger_line
    locked.save(update_fields=["matched"])
    return locked


# Reads ----------------------------------------------------------------------------------------------


def unmatched_bank_lines(*, office: Organisation) -> QuerySet[BankLine]:
    """In the bank, not in the books."""
    return (
        BankLine.objects.filter(org=office, matched__isnull=True)
        .select_related("statement")
        .order_by("booked_on", "row_number", "pk")
    )


def covered_period(*, office: Organisation) -> tuple[date | None, date | None]:
    """The first and last dates of the office's imported statement lines."""
    found = BankLine.objects.filter(org=office).aggregate(first=Min("booked_on"), last=Max("booked_on"))
    return found["first"], found["last"]


def unmatched_ledger_lines(*, office: Organisation) -> QuerySet[JournalLine]:
    """In the books, not in the bank: the unmatched ledger bank lines dated within the period the
    imported statements cover. Before the first statement's lines the bank has not been shown, and
    after its last one the money may simply not have arrived yet; neither is a difference."""
    first, last = covered_period(office=office)
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


def reconciliation(*, office: Organisation) -> Reconciliation:
    """Both unmatched sides, each with its count and total over all its lines."""
    bank = unmatched_bank_lines(office=office)
    books = unmatched_ledger_lines(office=office)
    bank_sums = bank.aggregate(count=Count("pk"), total=Sum("amount"))
    book_sums = books.order_by().aggregate(count=Count("pk"), debit=Sum("debit"), credit=Sum("credit"))
    first, last = covered_period(office=office)
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


def statement_lines(*, statement: BankStatement) -> QuerySet[BankLine]:
    return statement.lines.select_related("matched__entry").order_by("row_number")


def match_choices(*, office: Organisation, amounts: set[Decimal]) -> dict[Decimal, list[JournalLine]]:
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
        found.setdefault(_signed(line), []).append(line)
    return found

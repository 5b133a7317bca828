"""Bank reconciliation of an office's dedicated account: statements imported, and their lines
matched to the ledger's bank lines (account 1001). What is left unmatched on either side is read
by finance.selectors.bank.

A bank line is the money of at most one ledger line, and a ledger line the money of at most one
bank line (a one-to-one key on BankLine.matched): the database refuses a double match whatever
the code does. Matching for one office is serialised by an advisory lock held to the end of the
transaction, so an import and a manual match made at the same moment cannot interleave.

Signs: a bank line is + for money in and - for money out; a ledger bank line's debit is money in
and its credit money out, so its signed amount is debit - credit.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from finance import bankstatement
from finance.models import Account, BankLine, BankStatement, JournalLine
from finance.rules import MONEY_OFFICES
from finance.selectors.bank import signed_amount
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission

MATCH_DAYS = 3  # how far apart the bank's date and the books' date may be for a match by amount


def _own_office(actor: User) -> Organisation:
    office = actor.org
    if office is None or office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books, so it has no dedicated account to reconcile."))
    return office


def _lock(office: Organisation) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"bank-match:{office.pk}"])


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
    bank_lines_match(office=office)
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
def bank_lines_match(*, office: Organisation) -> int:
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
    for candidate in ledger:
        by_amount.setdefault(signed_amount(candidate), []).append(candidate)
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
def bank_lines_rematch(*, actor: User) -> int:
    """Match again, after entries were posted for lines of statements already imported."""
    require_permission(actor, "finance.post")
    return bank_lines_match(office=_own_office(actor))


@transaction.atomic
def bank_line_unmatch(*, actor: User, bank_line: BankLine) -> BankLine:
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
def bank_line_match(*, actor: User, bank_line: BankLine, ledger_line: JournalLine) -> BankLine:
    """Match a bank line to a ledger bank line of the same office and the same signed amount,
    whatever their dates and references."""
    require_permission(actor, "finance.post")
    office = _own_office(actor)
    if bank_line.org_id != office.pk or ledger_line.org_id != office.pk:
        raise PermissionDenied(_("Only lines of your own office's statement and books can be matched."))
    if ledger_line.account != Account.BANK:
        raise ValidationError(_("Only a line of account 1001, the dedicated bank account, can be matched."))
    if signed_amount(ledger_line) != bank_line.amount:
        raise ValidationError(
            _(
                "The amounts differ: %(bank)s in the bank, %(books)s in the books. Only lines of the same amount "
                "are matched; correct the books with a reversing entry if the posting is wrong."
            )
            % {"bank": bank_line.amount, "books": signed_amount(ledger_line)}
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

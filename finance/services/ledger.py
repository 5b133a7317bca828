"""The ledger's primitives: every posting goes through `entry_post`, every correction through
`entry_reverse`.

`entry_post` refuses an unbalanced entry and a closed month with a message, writes the entry and
its lines once (an idempotency key makes a repeated request return the first entry), and has the
database check the balance before the transaction ends. Postings to one office's plan are
serialised by an advisory lock (`books_lock`), so a cap checked before a posting still holds
when it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import Account, ClosedMonth, EntryKind, JournalEntry, JournalLine
from finance.rules import CENT, ZERO, normal_balance
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.numbers import month_text
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


def acting_office(actor: User) -> Organisation:
    """The office the actor acts for; an account without one (a superuser) books nothing."""
    if actor.org is None:
        raise PermissionDenied(_("Your account is not attached to an office."))
    return actor.org


def number_next(*, sequence: str, prefix: str) -> str:
    """The next number of a database sequence, as the offices write it: prefix, year, seven digits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (value,) = cursor.fetchone()
    return f"{prefix}{dates.business_today():%Y}{value:07d}"


def books_lock(*, office: Organisation, plan: Plan) -> None:
    """Serialise postings to one office's books of one plan until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"books:{office.pk}:{plan.pk}"])


def office_pools(*, office: Organisation, plan: Plan) -> bool:
    """Whether the office runs the plan, so that premium is income in its books (not due above)."""
    return plan.org_id == office.pk


# Posting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def debit(account: str, amount: Decimal) -> Leg:
    return Leg(account=account, debit=amount)


def credit(account: str, amount: Decimal) -> Leg:
    return Leg(account=account, credit=amount)


def _check_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise ValidationError(_("An entry needs at least one debit and one credit."))
    for number, leg in enumerate(legs, start=1):
        if leg.account not in Account.values:
            raise ValidationError(
                _("Line %(number)s: unknown account %(account)s.") % {"number": number, "account": leg.account}
            )
        for amount in (leg.debit, leg.credit):
            if not isinstance(amount, Decimal) or amount < 0 or amount != amount.quantize(CENT):
                raise ValidationError(
                    _("Line %(number)s: amounts are yuan with at most two decimals, 0 or more.") % {"number": number}
                )
        if (leg.debit > 0) == (leg.credit > 0):
            raise ValidationError(
                _("Line %(number)s: enter either a debit or a credit, not both and not neither.") % {"number": number}
            )
    debits = sum((leg.debit for leg in legs), ZERO)
    credits = sum((leg.credit for leg in legs), ZERO)
    if debits != credits:
        raise ValidationError(
            _("The entry does not balance: debits %(debits)s, credits %(credits)s (a difference of %(diff)s).")
            % {"debits": debits, "credits": credits, "diff": debits - credits}
        )


def _check_open(office: Organisation, posted_on: date) -> None:
    with unscoped():  # the office posted into may lie above the actor's (a remittance in transit)
        closed = ClosedMonth.objects.filter(org=office, month=dates.month_start(posted_on)).exists()
    if closed:
        raise ValidationError(
            _("The books of %(office)s for %(month)s are closed: post into the current month instead.")
            % {"office": office.name, "month": month_text(posted_on)}
        )


def _entry_with_key(key: str) -> JournalEntry | None:
    with unscoped():  # a key is unique across all books; its entry may lie above the actor's scope
        return JournalEntry.objects.filter(idempotency_key=key).first()


@transaction.atomic
def entry_post(
    *,
    actor: User,
    office: Organisation,
    plan: Plan,
    kind: str,
    posted_on: date,
    memo: str,
    legs: Sequence[Leg],
    key: str,
    bank_reference: str = "",
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry into the office's books for the plan, once per `key`."""
    existing = _entry_with_key(key)
    if existing is not None:
        return existing
    _check_legs(legs)
    if posted_on > dates.business_today():
        raise ValidationError(_("An entry cannot be dated in the future."))
    _check_open(office, posted_on)
    books_lock(office=office, plan=plan)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                org=office,
                plan=plan,
                number=number_next(sequence="finance_entry_number_seq", prefix="JZ"),
                kind=kind,
                posted_on=posted_on,
                memo=memo[:200],
                idempotency_key=key,
                reverses=reverses,
                bank_reference=bank_reference[:60],
                created_by=actor,
            )
    except IntegrityError:
        # The same request, sent at the same moment by another worker, was first.
        found = _entry_with_key(key)
        if found is None:
            raise
        return found
    JournalLine.objects.bulk_create(
        JournalLine(
            org=office,
            org_path=office.path,
            entry=entry,
            plan=plan,
            posted_on=posted_on,
            account=leg.account,
            debit=leg.debit,
            credit=leg.credit,
        )
        for leg in legs
    )
    with connection.cursor() as cursor:  # the database's own balance check, now rather than at commit
        cursor.execute("SET CONSTRAINTS finance_entry_balanced IMMEDIATE")
    return entry


@transaction.atomic
def entry_reverse(*, actor: User, entry: JournalEntry, reason: str, on: date | None = None) -> JournalEntry:
    """Correct a posted entry by its mirror image, which points at it; the original stays."""
    require_permission(actor, "finance.post")
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError(_("A reversal is not reversed again: post a new entry instead."))
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("Entry %(number)s has already been reversed.") % {"number": entry.number})
    legs = [Leg(account=line.account, debit=line.credit, credit=line.debit) for line in entry.lines.all()]
    return entry_post(
        actor=actor,
        office=entry.org,
        plan=entry.plan,
        kind=EntryKind.REVERSAL,
        posted_on=on or dates.business_today(),
        memo=_("Reversal of %(number)s: %(reason)s") % {"number": entry.number, "reason": reason.strip()},
        legs=legs,
        key=f"reversal:{entry.pk}",
        reverses=entry,
    )


def balance_get(*, office: Organisation, plan: Plan | None, account: str, upto: date | None = None) -> Decimal:
    """An account's balance in the office's books, on its normal side; read in the caller's
    scope (the payments that check it are made by the office itself)."""
    lines = JournalLine.objects.filter(org=office, account=account)
    if plan is not None:
        lines = lines.filter(plan=plan)
    if upto is not None:
        lines = lines.filter(posted_on__lte=upto)
    sums = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return normal_balance(account, sums["debit"] or ZERO, sums["credit"] or ZERO)


@transaction.atomic
def month_close(*, actor: User, month: date) -> ClosedMonth:
    """Close a finished month of the actor's office's books: nothing more is posted into it."""
    require_permission(actor, "finance.configure")
    month = dates.month_start(month)
    if month >= dates.month_start(dates.business_today()):
        raise ValidationError(_("Only a finished month can be closed."))
    entry, _created = ClosedMonth.objects.get_or_create(
        org=acting_office(actor), month=month, defaults={"closed_by": actor}
    )
    return entry

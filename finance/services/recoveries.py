"""Recoveries of overpaid claims (追回): a receivable in the books of the office that paid the
claim (`Claim.pay_office`), booked when a re-check finds the overpayment (claims publishes
OverpaymentFound, finance subscribes: claims sits below finance), and followed to repayment. A
claim paid for the office that pools the plan (seed 000's women workers' plan) is recovered by
the office that paid it and owed on to the pooling office, whose claim cost it was.

Booking the overpayment: debit 1231 Overpaid claims to recover, credit 6401 Claims paid (the
claim cost less than was booked). A repayment: debit 1001 Bank, credit 1231. Both through
`entry_post`, balanced and idempotent; the repayments' own rows are never changed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from claims.events import OverpaymentFound
from claims.models import Claim
from enrollment.rules import money
from finance.models import Account, EntryKind, JournalEntry, Recovery, RecoveryRepayment
from finance.services.ledger import credit, debit, entry_post, number_next
from mutualaid import dates
from mutualaid.models import User
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


def on_overpayment_found(event: OverpaymentFound) -> None:
    """Book the overpayment as a receivable of the office that paid the claim, once per finding."""
    recovery_book(
        actor=event.actor, claim=event.claim, amount=event.amount, reference=event.reference, reason=event.note
    )


def _recovery_with_reference(reference: str) -> Recovery | None:
    with unscoped():  # a reference is unique across all books; the paying office may lie outside the finder's tree
        return Recovery.objects.filter(reference=reference).first()


@transaction.atomic
def recovery_book(*, actor: User, claim: Claim, amount: Decimal, reference: str, reason: str) -> Recovery:
    """The receivable of one overpaid claim, in the paying office's books of the claim's plan."""
    existing = _recovery_with_reference(reference)
    if existing is not None:
        return existing
    if amount <= 0 or amount != money(amount):
        raise ValidationError({"overpaid": _("Enter the amount paid too much, more than 0, in yuan and fen.")})
    office, plan = claim.pay_office, claim.period.plan
    memo = _("Overpaid claim %(number)s to recover") % {"number": claim.number}
    if claim.paid_on_behalf and plan.org_id != office.pk:
        entry = _book_on_behalf(actor=actor, claim=claim, amount=amount, reference=reference, memo=memo)
    else:
        entry = entry_post(
            actor=actor,
            office=office,
            plan=plan,
            kind=EntryKind.RECOVERY_BOOKED,
            posted_on=dates.business_today(),
            memo=memo,
            legs=[debit(Account.RECOVERY_RECEIVABLE, amount), credit(Account.CLAIMS_PAID, amount)],
            key=f"recovery:{reference}",
        )
    return Recovery.objects.create(
        org=office,
        number=number_next(sequence="finance_recovery_number_seq", prefix="ZH"),
        claim=claim,
        plan=plan,
        amount=amount,
        reason=reason[:500] or memo,
        reference=reference,
        entry=entry,
        created_by=actor,
    )


def _book_on_behalf(*, actor: User, claim: Claim, amount: Decimal, reference: str, memo: str) -> JournalEntry:
    """A claim the paying office paid for the office that pools the plan: the member repays the
    paying office, which owes it on (debit 1131, credit 2242); the claim cost comes off the pooling
    office's books (debit 1231 funds allocated below, credit 6401)."""
    plan = claim.period.plan
    pool = plan.org
    entry = entry_post(
        actor=actor,
        office=claim.pay_office,
        plan=plan,
        kind=EntryKind.RECOVERY_BOOKED,
        posted_on=dates.business_today(),
        memo=memo,
        legs=[debit(Account.RECOVERY_RECEIVABLE, amount), credit(Account.ALLOCATED_FROM_ABOVE, amount)],
        key=f"recovery:{reference}",
    )
    entry_post(
        actor=actor,
        office=pool,
        plan=plan,
        kind=EntryKind.RECOVERY_BOOKED,
        posted_on=dates.business_today(),
        memo=_("%(memo)s, by %(office)s") % {"memo": memo, "office": claim.pay_office.name},
        legs=[debit(Account.ALLOCATED_BELOW, amount), credit(Account.CLAIMS_PAID, amount)],
        key=f"recovery-pooled:{reference}",
    )
    return entry


def _repayment_with_key(key: str) -> RecoveryRepayment | None:
    with unscoped():  # a key is unique across all books
        return RecoveryRepayment.objects.filter(idempotency_key=key).first()


@transaction.atomic
def recovery_repay(
    *, actor: User, recovery: Recovery, amount: Decimal, received_on: date, bank_reference: str = "", key: str
) -> RecoveryRepayment:
    """Book money the member paid back: to the bank, off the receivable, never above what is
    outstanding; the same request (`key`) books once."""
    require_permission(actor, "finance.post")
    existing = _repayment_with_key(key)
    if existing is not None:
        return existing
    if actor.org_id != recovery.org_id:
        raise PermissionDenied(
            _("Repayments are booked by the office that paid the claim (%(office)s).") % {"office": recovery.org.name}
        )
    locked = Recovery.objects.select_for_update().select_related("claim", "plan", "org").get(pk=recovery.pk)
    if amount <= 0 or amount != money(amount):
        raise ValidationError({"amount": _("Enter the amount repaid, more than 0, in yuan and fen.")})
    if amount > locked.outstanding:
        raise ValidationError(
            {
                "amount": _("Recovery %(number)s has %(left)s outstanding: the repayment of %(amount)s is more.")
                % {"number": locked.number, "left": locked.outstanding, "amount": amount}
            }
        )
    if received_on > dates.business_today():
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    entry = entry_post(
        actor=actor,
        office=locked.org,
        plan=locked.plan,
        kind=EntryKind.RECOVERY_REPAID,
        posted_on=received_on,
        memo=_("Repayment of overpaid claim %(number)s") % {"number": locked.claim.number},
        legs=[debit(Account.BANK, amount), credit(Account.RECOVERY_RECEIVABLE, amount)],
        key=f"recovery-repayment:{key}",
        bank_reference=bank_reference.strip(),
    )
    try:
        with transaction.atomic():
            repayment = RecoveryRepayment.objects.create(
                org=locked.org,
                recovery=locked,
                amount=amount,
                received_on=received_on,
                bank_reference=bank_reference.strip()[:60],
                idempotency_key=key[:120],
                entry=entry,
                recorded_by=actor,
            )
    except IntegrityError:
        found = _repayment_with_key(key)
        if found is None:
            raise
        return found
    locked.repaid += amount
    locked.save(update_fields=["repaid"])
    return repayment

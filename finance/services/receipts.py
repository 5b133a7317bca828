"""Receipts (收据) for the premium a unit pays, numbered per office and year without gaps.

A receipt is written in the same transaction as the entry that books the money into the bank,
so a receipt never exists without its money nor money without its receipt. Its number is the
next of the office's year under an advisory lock held to the end of the transaction: two
payments booked at once wait for each other, and a payment rolled back takes its number with it,
so the numbers run without a gap. A refund is a red receipt (红字收据) of its own, pointing at
the receipt it pays back; nothing written is ever changed (the database refuses it).

A refund is booked by one path only, and each path pays back its own members. Premium of members
cancelled one by one is paid back by a payment of the kind premium refund, approved in layers
(finance/services/payments.py): its entry books it (6011) and its red receipts, one against each
of the unit's receipts it reverses, point at that same entry (`refund_receipts_for_payment`),
booking nothing of their own. Members ended by a correction list had their premium taken off what the unit owes by the
correction's endorsement (off premium income too, where the collecting office pools the plan): a
red receipt made here, from the receipt, pays back what the unit paid beyond its premium, back
onto the receivable (1122), and the payment path refuses them, so the premium is never taken off
the books twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _

from enrollment.models import Endorsement, Policy
from finance.models import (
    Account,
    EntryKind,
    JournalEntry,
    PaymentRequest,
    PremiumReceipt,
    ReceiptKind,
)
from finance.rules import CENT, ZERO
from finance.services.ledger import acting_office, balance_get, books_lock, credit, debit, entry_post
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission


def receipt_number_lock(*, office: Organisation, year: int) -> None:
    """Serialise the numbering of one office's receipts of a year until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"receipts:{office.pk}:{year}"])


def receipt_number_next(*, office: Organisation, year: int) -> int:
    """The next sequence number of the office's receipts of the year: one more than the last."""
    receipt_number_lock(office=office, year=year)
    last = PremiumReceipt.objects.filter(org=office, year=year).aggregate(last=Max("sequence"))["last"]
    return (last or 0) + 1


def premium_paid_get(*, policy: Policy, endorsement: Endorsement | None) -> Decimal:
    """What the unit has paid of the policy's issue (or of one endorsement), refunds taken off."""
    receipts = PremiumReceipt.objects.filter(policy=policy)
    receipts = receipts.filter(endorsement=endorsement) if endorsement else receipts.filter(endorsement__isnull=True)
    sums = receipts.aggregate(
        paid=Sum("amount", filter=Q(kind=ReceiptKind.RECEIPT)),
        refunded=Sum("amount", filter=Q(kind=ReceiptKind.REFUND)),
    )
    return (sums["paid"] or ZERO) - (sums["refunded"] or ZERO)


def _receipt_write(
    *,
    actor: User,
    office: Organisation,
    entry: JournalEntry,
    policy: Policy,
    endorsement: Endorsement | None,
    amount: Decimal,
    premium_due: Decimal,
    outstanding_after: Decimal,
    kind: str = ReceiptKind.RECEIPT,
    original: PremiumReceipt | None = None,
    reason: str = "",
) -> PremiumReceipt:
    year = entry.posted_on.year
    sequence = receipt_number_next(office=office, year=year)
    return PremiumReceipt.objects.create(
        org=office,
        number=f"{office.code}-{year}-{sequence:06d}",
        year=year,
        sequence=sequence,
        kind=kind,
        plan=policy.period.plan,
        unit=policy.org,
        policy=policy,
        endorsement=endorsement,
        amount=amount,
        premium_due=premium_due,
        outstanding_after=outstanding_after,
        received_on=entry.posted_on,
        bank_reference=entry.bank_reference,
        original=original,
        reason=reason,
        entry=entry,
        issued_by=actor,
    )


def _amount_checked(amount: Decimal, outstanding: Decimal, what: str) -> Decimal:
    if outstanding <= 0:
        raise ValidationError(
            {"amount": _("The premium of %(what)s has been paid in full: nothing is owed.") % {"what": what}}
        )
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Enter the amount received in yuan, above 0, with at most two decimals.")})
    if amount > outstanding:
        raise ValidationError(
            {
                "amount": _(
                    "%(what)s owes %(outstanding)s yuan: the %(amount)s yuan entered is more. "
                    "Enter at most what is owed."
                )
                % {"what": what, "outstanding": outstanding, "amount": amount}
            }
        )
    return amount


@transaction.atomic
def premium_payment_book(
    *,
    actor: User,
    office: Organisation,
    policy: Policy,
    endorsement: Endorsement | None,
    due: Decimal,
    amount: Decimal | None,
    received_on: date,
    bank_reference: str,
    base_key: str,
    memo: str,
) -> JournalEntry:
    """Book one payment by the unit (the whole of what it owes, or a part) into the bank, and
    give its receipt. The same bank reference for the same premium is the same payment: sent
    twice (a double click, a retry), it is booked and numbered once."""
    reference = bank_reference.strip()
    books_lock(office=office, plan=policy.period.plan)  # one payment of a plan's premium at a time
    for key in (base_key, f"{base_key}:{reference}"):
        found = JournalEntry.objects.filter(idempotency_key=key, bank_reference=reference).first()
        if found is not None:
            return found
    paid = premium_paid_get(policy=policy, endorsement=endorsement)
    what = endorsement.number if endorsement else policy.number
    amount = _amount_checked(due - paid if amount is None else amount, due - paid, what)
    first = not PremiumReceipt.objects.filter(policy=policy, endorsement=endorsement).exists()
    entry = entry_post(
        actor=actor,
        office=office,
        plan=policy.period.plan,
        kind=EntryKind.PREMIUM_RECEIVED,
        posted_on=received_on,
        memo=memo,
        legs=[debit(Account.BANK, amount), credit(Account.PREMIUM_RECEIVABLE, amount)],
        # The whole premium paid at once keeps the key it always had; a part, its bank reference.
        key=base_key if first and amount == due else f"{base_key}:{reference}",
        bank_reference=reference,
    )
    _receipt_write(
        actor=actor,
        office=office,
        entry=entry,
        policy=policy,
        endorsement=endorsement,
        amount=amount,
        premium_due=due,
        outstanding_after=due - paid - amount,
    )
    return entry


def unit_credit_get(*, policy: Policy) -> Decimal:
    """What the unit has paid on the policy beyond its premium (its active members' now, after
    the corrections' endorsements), less what red receipts made from a receipt paid back already:
    the most a red receipt made from a receipt pays back. A premium refund paid as a payment pays
    back members cancelled one by one, whose premium the policy still counts; it does not touch
    this credit (finance/services/payments.py, `_refundable`)."""
    receipts = PremiumReceipt.objects.filter(policy=policy)
    sums = receipts.aggregate(
        paid=Sum("amount", filter=Q(kind=ReceiptKind.RECEIPT)),
        returned=Sum("amount", filter=Q(kind=ReceiptKind.REFUND, entry__kind=EntryKind.PREMIUM_REFUNDED)),
    )
    owed = policy.premium - policy.levels_part  # the union levels' part is theirs to pay
    return (sums["paid"] or ZERO) - (sums["returned"] or ZERO) - owed


def _receipt_left(receipt: PremiumReceipt) -> Decimal:
    """What of a receipt's money has not been paid back by a red receipt yet."""
    return receipt.amount - (receipt.refunds.aggregate(total=Sum("amount"))["total"] or ZERO)


def refund_receipts_for_payment(*, actor: User, payment: PaymentRequest, entry: JournalEntry) -> list[PremiumReceipt]:
    """The red receipts of a premium refund paid as a payment: against the unit's receipts of the
    policy it reverses, the latest first, each for what is left of it until the refund is
    covered, so a unit that paid in parts gets back one red receipt per receipt, each naming its
    original's number. Given by the paying office or an agent point below it (the agent point
    collected, its city pays back), numbered in the giver's sequence without gaps; each points at
    the payment's entry and books nothing. None where the unit's receipts do not cover the refund
    (the payment, its approvals and its entry are then the record)."""
    policy = payment.policy
    if policy is None:
        return []
    candidates = PremiumReceipt.objects.filter(
        policy=policy, org_path__startswith=payment.org.path, kind=ReceiptKind.RECEIPT
    ).select_related("org", "endorsement")
    slices: list[tuple[PremiumReceipt, Decimal]] = []
    still = payment.amount
    for receipt in candidates.order_by("-year", "-sequence"):
        part = min(_receipt_left(receipt), still)
        if part > 0:
            slices.append((receipt, part))
            still -= part
        if still == 0:
            break
    if still > 0:
        return []
    reason = (_("Payment %(number)s: %(purpose)s") % {"number": payment.number, "purpose": payment.purpose})[:200]
    written = []
    for receipt, part in slices:
        paid = premium_paid_get(policy=policy, endorsement=receipt.endorsement)
        written.append(
            _receipt_write(
                actor=actor,
                office=receipt.org,
                entry=entry,
                policy=policy,
                endorsement=receipt.endorsement,
                amount=part,
                premium_due=receipt.premium_due,
                outstanding_after=receipt.premium_due - paid + part,
                kind=ReceiptKind.REFUND,
                original=receipt,
                reason=reason,
            )
        )
    return written


def _refund_checks(actor: User, receipt: PremiumReceipt, bank_reference: str, reason: str) -> Organisation:
    require_permission(actor, "finance.remit")  # who books a unit's premium books its refund
    office = acting_office(actor)
    if receipt.org_id != office.pk:
        raise PermissionDenied(
            _("Receipt %(number)s was given by %(office)s: only that office pays it back.")
            % {"number": receipt.number, "office": receipt.org.name}
        )
    if receipt.kind != ReceiptKind.RECEIPT:
        raise ValidationError(
            _("%(number)s is itself a refund: refund the receipt it points at.") % {"number": receipt.number}
        )
    if not bank_reference.strip():
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the refund transfer.")})
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": _("Say why the premium is paid back (for example, members cancelled).")})
    return office


@transaction.atomic
def receipt_refund(
    *, actor: User, receipt: PremiumReceipt, amount: Decimal, refunded_on: date, bank_reference: str, reason: str
) -> PremiumReceipt:
    """Pay back to the unit all or part of a receipt's money, with a red receipt that points at
    it: out of the bank, back onto what the unit owes (cancelled members' premium was taken off
    the receivable by their endorsement, so the refund settles it)."""
    office = _refund_checks(actor, receipt, bank_reference, reason)
    reference = bank_reference.strip()
    books_lock(office=office, plan=receipt.plan)
    key = f"premium-refund:{receipt.pk}:{reference}"
    done = PremiumReceipt.objects.filter(entry__idempotency_key=key).first()
    if done is not None:
        return done
    refunded = receipt.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    left = receipt.amount - refunded
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Enter the amount paid back in yuan, above 0, with at most two decimals.")})
    if amount > left:
        raise ValidationError(
            {
                "amount": _("Receipt %(number)s has %(left)s yuan left to pay back: %(amount)s yuan is more.")
                % {"number": receipt.number, "left": left, "amount": amount}
            }
        )
    credit_left = unit_credit_get(policy=receipt.policy)
    if amount > credit_left:
        raise ValidationError(
            {
                "amount": _(
                    "The unit has paid %(credit)s yuan more than the premium of policy %(policy)s: a red receipt "
                    "from here pays back no more. The premium of cancelled members is paid back by a payment "
                    "for a premium refund (Payments page), approved in layers; its red receipt is written when "
                    "it is paid."
                )
                % {"credit": max(credit_left, ZERO), "policy": receipt.policy.number}
            }
        )
    bank = balance_get(office=office, plan=None, account=Account.BANK, upto=refunded_on)
    if bank < amount:
        raise ValidationError(
            {
                "amount": _(
                    "The dedicated bank account holds %(bank)s yuan on %(day)s, "
                    "less than the %(amount)s yuan to pay back."
                )
                % {"bank": bank, "day": refunded_on, "amount": amount}
            }
        )
    policy, endorsement = receipt.policy, receipt.endorsement
    entry = entry_post(
        actor=actor,
        office=office,
        plan=receipt.plan,
        kind=EntryKind.PREMIUM_REFUNDED,
        posted_on=refunded_on,
        memo=_("Premium paid back to %(unit)s, receipt %(number)s: %(reason)s")
        % {"unit": receipt.unit.name, "number": receipt.number, "reason": reason.strip()},
        legs=[debit(Account.PREMIUM_RECEIVABLE, amount), credit(Account.BANK, amount)],
        key=key,
        bank_reference=reference,
    )
    paid = premium_paid_get(policy=policy, endorsement=endorsement)
    return _receipt_write(
        actor=actor,
        office=office,
        entry=entry,
        policy=policy,
        endorsement=endorsement,
        amount=amount,
        premium_due=receipt.premium_due,
        outstanding_after=receipt.premium_due - paid + amount,
        kind=ReceiptKind.REFUND,
        original=receipt,
        reason=reason.strip(),
    )

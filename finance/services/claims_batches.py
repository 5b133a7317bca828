"""What is particular to paying a claims batch. Finance owns the batch's payment like any other
(finance/services/payments.py: prepared, approved in layers, paid); for a batch the payment's
amount, payee and purpose come from the batch, the bank receives a transfer file of the batch's
payees, and when the bank has paid, the claims are settled (claims' own service) and the payouts
booked per plan out of the dedicated account, in one transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from claims.exports import transfer_workbook
from claims.models import PaymentBatch
from claims.services.payment import batch_settle
from enrollment.models import Plan
from finance.models import Account, EntryKind, JournalEntry, PaymentRequest
from finance.rules import ZERO
from finance.services.ledger import credit, debit, entry_post
from mutualaid.models import User
from mutualaid.tenancy import unscoped


def batch_payment_defaults(*, batch: PaymentBatch) -> tuple[Decimal, str, str, Plan | None]:
    """The amount, payee, purpose and plan of a batch's payment: nothing is typed by hand."""
    plan_ids = set(batch.claims.values_list("period__plan_id", flat=True))
    plan = None
    if len(plan_ids) == 1:
        with unscoped():  # a plan is run by the office that pools it, often above the paying office
            plan = Plan.objects.get(pk=plan_ids.pop())
    payee = _("Members of claims batch %(number)s") % {"number": batch.number}
    purpose = _("Claims payment batch %(number)s") % {"number": batch.number}
    return batch.total, payee[:100], purpose[:200], plan


def batch_transfer_file(*, payment: PaymentRequest) -> bytes:
    """The bank-transfer workbook of the batch the payment pays (full account numbers: it goes to
    the bank)."""
    batch = payment.claims_batch
    if batch is None:
        raise ValidationError(_("Only a claims batch's payment has a transfer file."))
    return transfer_workbook(batch, batch.claims.order_by("number"))


def batch_payment_book(
    *, actor: User, payment: PaymentRequest, paid_on: date, bank_reference: str
) -> JournalEntry | None:
    """The bank paid the batch: its claims are settled, and the payouts booked out of the
    dedicated account, one entry per plan. Returns the first entry (the payment's link to the books)."""
    batch = payment.claims_batch
    if batch is None:
        raise ValidationError(_("Only a claims batch's payment has a transfer file."))
    batch_settle(actor=actor, batch=batch, paid_on=paid_on, bank_reference=bank_reference)
    by_plan: dict[int, Decimal] = {}
    for plan_id, payout in batch.claims.values_list("period__plan_id", "payout"):
        by_plan[plan_id] = by_plan.get(plan_id, ZERO) + payout
    with unscoped():  # a plan is run by the office that pools it, often above the paying office
        plans = Plan.objects.in_bulk(list(by_plan))
    entries = [
        entry_post(
            actor=actor,
            office=batch.org,
            plan=plans[plan_id],
            kind=EntryKind.CLAIMS_PAID,
            posted_on=paid_on,
            memo=_("Claims payment batch %(number)s") % {"number": batch.number},
            legs=[debit(Account.CLAIMS_PAID, amount), credit(Account.BANK, amount)],
            key=f"claims-batch:{batch.pk}:{plan_id}",
            bank_reference=bank_reference,
        )
        for plan_id, amount in sorted(by_plan.items())
    ]
    return entries[0] if entries else None

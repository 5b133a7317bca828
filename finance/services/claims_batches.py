"""What finance does when claims pays a batch: the batch goes to the bank only once its payment
is approved in layers, and the bank's payment is booked out of the dedicated account.

Both subscribers run inside the publisher's transaction, in the scope of the office that pays
the batch (claims lets only that office export it or mark it paid), where the batch's payment
request lies too.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from claims.events import ClaimsBatchExporting, ClaimsBatchPaid
from enrollment.models import Plan
from finance.models import Account, EntryKind, JournalEntry, PaymentRequest, PaymentStatus
from finance.rules import ZERO
from finance.services.ledger import credit, debit, entry_post
from mutualaid.tenancy import unscoped


def on_claims_batch_exporting(event: ClaimsBatchExporting) -> None:
    """A claims batch goes to the bank only once its payment is approved in layers."""
    batch = event.batch
    payment = PaymentRequest.objects.filter(claims_batch=batch).first()
    if payment is None or payment.status not in (PaymentStatus.APPROVED, PaymentStatus.PAID):
        raise ValidationError(
            _(
                "The payment of batch %(number)s has not been approved by the office head, the finance head and the "
                "leader: prepare it under Finance → Payments first."
            )
            % {"number": batch.number}
        )


def on_claims_batch_paid(event: ClaimsBatchPaid) -> None:
    """The bank paid a claims batch: claims paid out of the dedicated account, per plan."""
    batch, actor = event.batch, event.actor
    if batch.paid_on is None:
        raise ValueError("a claims batch is dated before it is published as paid")
    by_plan: dict[int, Decimal] = {}
    for plan_id, payout in batch.claims.values_list("period__plan_id", "payout"):
        by_plan[plan_id] = by_plan.get(plan_id, ZERO) + payout
    with unscoped():  # a plan is run by the office that pools it, often above the paying office
        plans = Plan.objects.in_bulk(list(by_plan))
    payment = PaymentRequest.objects.select_for_update().filter(claims_batch=batch).first()
    entries: list[JournalEntry] = []
    for plan_id, amount in sorted(by_plan.items()):
        entries.append(
            entry_post(
                actor=actor,
                office=batch.org,
                plan=plans[plan_id],
                kind=EntryKind.CLAIMS_PAID,
                posted_on=batch.paid_on,
                memo=_("Claims payment batch %(number)s") % {"number": batch.number},
                legs=[debit(Account.CLAIMS_PAID, amount), credit(Account.BANK, amount)],
                key=f"claims-batch:{batch.pk}:{plan_id}",
                bank_reference=batch.bank_reference,
            )
        )
    if payment is not None and payment.status == PaymentStatus.APPROVED:
        PaymentRequest.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.PAID, entry=entries[0] if entries else None, version=payment.version + 1
        )

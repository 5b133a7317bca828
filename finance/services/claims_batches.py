"""What is particular to paying a claims batch. Finance owns the batch's payment like any other
(finance/services/payments.py: prepared, approved in layers, paid); for a batch the payment's
amount, payee and purpose come from the batch, the bank receives a transfer file of the batch's
payees, and when the bank has paid, the claims are settled (claims' own service) and the payouts
booked per plan out of the dedicated account, in one transaction.

Claims the office pays for the office that pools the plan and reviewed them (seed 000: the
province reviews the women workers' plan, the city pays it from the province's allocation) are
that office's cost: the paying office books debit 2242 funds allocated by the office above,
credit 1001 bank; the pooling office debit 6401 claims paid, credit 1231 funds allocated below.
The allocation that brought the money (finance/services/allocations.py) stays due to / due from
until then, and this closes it.
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
    dedicated account, one entry per plan (and, for claims paid on behalf of the office that
    pools the plan, one in each office's books). Returns the first entry (the payment's link to
    the books)."""
    batch = payment.claims_batch
    if batch is None:
        raise ValidationError(_("Only a claims batch's payment has a transfer file."))
    batch_settle(actor=actor, batch=batch, paid_on=paid_on, bank_reference=bank_reference)
    sums = _batch_sums(batch)
    with unscoped():  # a plan is run by the office that pools it, often above the paying office
        plans = Plan.objects.select_related("org").in_bulk(list({plan_id for plan_id, _behalf in sums}))
    entries = []
    for (plan_id, behalf), amount in sorted(sums.items()):
        plan = plans[plan_id]
        if behalf and plan.org_id != batch.org_id:
            entries.append(
                _book_on_behalf(
                    actor=actor, batch=batch, plan=plan, amount=amount, paid_on=paid_on, bank_reference=bank_reference
                )
            )
            continue
        entries.append(
            entry_post(
                actor=actor,
                office=batch.org,
                plan=plan,
                kind=EntryKind.CLAIMS_PAID,
                posted_on=paid_on,
                memo=_("Claims payment batch %(number)s") % {"number": batch.number},
                legs=[debit(Account.CLAIMS_PAID, amount), credit(Account.BANK, amount)],
                key=f"claims-batch:{batch.pk}:{plan_id}",
                bank_reference=bank_reference,
            )
        )
    return entries[0] if entries else None


def _batch_sums(batch: PaymentBatch) -> dict[tuple[int, bool], Decimal]:
    """The batch's payouts per plan, apart for the claims paid on behalf of the office that
    reviewed them (Claim.paid_on_behalf: seed 000's women workers' plan)."""
    sums: dict[tuple[int, bool], Decimal] = {}
    rows = batch.claims.values_list("period__plan_id", "payout", "pay_office_id", "review_office_id")
    for plan_id, payout, pay_office_id, review_office_id in rows:
        key = (plan_id, pay_office_id != review_office_id)
        sums[key] = sums.get(key, ZERO) + payout
    return sums


def _book_on_behalf(
    *, actor: User, batch: PaymentBatch, plan: Plan, amount: Decimal, paid_on: date, bank_reference: str
) -> JournalEntry:
    """Claims the pooling office reviewed and the batch's office paid for it: the claims are the
    pooling office's cost (debit 6401, credit 1231 funds allocated below), the paying office's bank
    paid out of what it holds for the pooling office (debit 2242, credit 1001)."""
    pool = plan.org
    paid = entry_post(
        actor=actor,
        office=batch.org,
        plan=plan,
        kind=EntryKind.CLAIMS_PAID,
        posted_on=paid_on,
        memo=_("Claims payment batch %(number)s, paid for %(office)s") % {"number": batch.number, "office": pool.name},
        legs=[debit(Account.ALLOCATED_FROM_ABOVE, amount), credit(Account.BANK, amount)],
        key=f"claims-batch:{batch.pk}:{plan.pk}:on-behalf",
        bank_reference=bank_reference,
    )
    entry_post(
        actor=actor,
        office=pool,
        plan=plan,
        kind=EntryKind.CLAIMS_PAID,
        posted_on=paid_on,
        memo=_("Claims of batch %(number)s paid by %(office)s") % {"number": batch.number, "office": batch.org.name},
        legs=[debit(Account.CLAIMS_PAID, amount), credit(Account.ALLOCATED_BELOW, amount)],
        key=f"claims-batch-pooled:{batch.pk}:{plan.pk}",
        bank_reference=bank_reference,
    )
    return paid

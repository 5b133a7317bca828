"""Reads of outgoing payments and of the claims batches still to be paid."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from claims.models import PaymentBatch
from enrollment.models import Plan
from finance.models import (
    APPROVAL_LAYERS,
    Account,
    JournalLine,
    PaymentApproval,
    PaymentRequest,
    PaymentStatus,
    RemittanceSettlement,
    SettlementStatus,
)
from finance.rules import ZERO, normal_balance
from finance.selectors.allocations import allocations_committed
from mutualaid.models import Organisation, User

# Approved and on its way out of the bank account, not yet booked as paid.
UNPAID = (PaymentStatus.APPROVED, PaymentStatus.SENT)


def payment_list(*, office: Organisation | None = None) -> QuerySet[PaymentRequest]:
    """Payments of the caller's tree (or of one office), newest first."""
    qs = PaymentRequest.objects.select_related("org", "plan", "prepared_by", "claims_batch")
    if office is not None:
        qs = qs.filter(org=office)
    return qs.order_by("-prepared_at")


def payment_queue_mine(*, actor: User) -> QuerySet[PaymentRequest]:
    """The office's pending payments whose next layer is one the actor signs, that the actor
    neither prepared nor signed already (as finance.services.payments.payment_approve checks).
    The layers are signed in order, so a payment with n signatures waits for layer n: the home
    page counts these, and the payments list's "waiting for me" shows them."""
    layers = [place for place, (_name, perm) in enumerate(APPROVAL_LAYERS) if actor.has_perm(perm)]
    if actor.org_id is None or not layers:
        return PaymentRequest.objects.none()
    signed_by_me = PaymentApproval.objects.filter(payment=OuterRef("pk"), approver_id=actor.pk)
    return (
        PaymentRequest.objects.filter(org_id=actor.org_id, status=PaymentStatus.PENDING)
        .exclude(prepared_by_id=actor.pk)
        .annotate(signed=Count("approvals"))
        .filter(signed__in=layers)
        .exclude(Exists(signed_by_me))
    )


def claims_batch_unpaid_list(*, office: Organisation) -> QuerySet[PaymentBatch]:
    """The office's claims batches without a payment under way (none yet, or only rejected ones)."""
    live = PaymentRequest.objects.filter(claims_batch=OuterRef("pk")).exclude(status=PaymentStatus.REJECTED)
    return PaymentBatch.objects.filter(org=office).exclude(Exists(live)).order_by("-created_at")


def batch_payment_get(*, batch: PaymentBatch) -> PaymentRequest | None:
    """The batch's payment under way or made (a rejected one only if nothing replaced it)."""
    payments = PaymentRequest.objects.filter(claims_batch=batch).select_related("prepared_by", "sent_by", "paid_by")
    return payments.exclude(status=PaymentStatus.REJECTED).first() or payments.order_by("-prepared_at").first()


@dataclass(frozen=True)
class Overdraft:
    """What paying a payment does to its office's dedicated bank account: the balance booked now
    (every plan's share of the one account), the other approved payments not yet paid out of it,
    and this payment."""

    account: str
    balance: Decimal
    committed: Decimal
    amount: Decimal

    @property
    def after(self) -> Decimal:
        return self.balance - self.committed - self.amount

    @property
    def shortfall(self) -> Decimal:
        return max(-self.after, ZERO)


def payment_overdraft_get(*, payment: PaymentRequest) -> Overdraft:
    """The bank account's balance against this payment, the others approved but not yet paid and
    the allocations to offices below approved and not yet transferred (read in the caller's scope:
    the office paying is the caller's own). The service that books the payment reads it again
    under the office's lock."""
    return bank_overdraft_get(office=payment.org, amount=payment.amount, besides=payment.pk)


def bank_overdraft_get(
    *,
    office: Organisation,
    amount: Decimal,
    besides: int | None = None,
    settlement: int | None = None,
    plan: Plan | None = None,
) -> Overdraft:
    """What paying `amount` out of the office's dedicated bank account leaves: its balance, less
    the payments approved and not yet paid (other than the payment `besides`), the allocations
    approved and not yet transferred, and the settlements the offices below asked it to pay (other
    than `settlement`: finance/services/settlements.py reads it when paying one). With `plan`, the
    plan's share of the account against the plan's own commitments (a deposit places one plan's
    money: finance/services/deposits.py)."""
    lines = JournalLine.objects.filter(org_id=office.pk, account=Account.BANK)
    others = PaymentRequest.objects.filter(org_id=office.pk, status__in=UNPAID)
    asked = RemittanceSettlement.objects.filter(to_office_id=office.pk, status=SettlementStatus.REQUESTED)
    if plan is not None:
        lines, others, asked = lines.filter(plan=plan), others.filter(plan=plan), asked.filter(plan=plan)
    sums = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    if besides is not None:
        others = others.exclude(pk=besides)
    if settlement is not None:
        asked = asked.exclude(pk=settlement)
    committed = (others.aggregate(total=Sum("amount"))["total"] or ZERO) + (
        asked.aggregate(total=Sum("amount"))["total"] or ZERO
    )
    return Overdraft(
        account=Account.BANK,
        balance=normal_balance(Account.BANK, sums["debit"] or ZERO, sums["credit"] or ZERO),
        committed=committed + allocations_committed(office=office, plan=plan),
        amount=amount,
    )

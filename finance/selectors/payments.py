"""Reads of outgoing payments and of the claims batches still to be paid."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from claims.models import PaymentBatch
from finance.models import PaymentRequest, PaymentStatus
from mutualaid.models import Organisation


def payment_list(*, office: Organisation | None = None) -> QuerySet[PaymentRequest]:
    """Payments of the caller's tree (or of one office), newest first."""
    qs = PaymentRequest.objects.select_related("org", "plan", "prepared_by", "claims_batch")
    if office is not None:
        qs = qs.filter(org=office)
    return qs.order_by("-prepared_at")


def claims_batch_unpaid_list(*, office: Organisation) -> QuerySet[PaymentBatch]:
    """The office's claims batches without a payment under way (none yet, or only rejected ones)."""
    live = PaymentRequest.objects.filter(claims_batch=OuterRef("pk")).exclude(status=PaymentStatus.REJECTED)
    return PaymentBatch.objects.filter(org=office).exclude(Exists(live)).order_by("-created_at")


def batch_payment_get(*, batch: PaymentBatch) -> PaymentRequest | None:
    """The batch's payment under way or made (a rejected one only if nothing replaced it)."""
    payments = PaymentRequest.objects.filter(claims_batch=batch).select_related("prepared_by", "sent_by", "paid_by")
    return payments.exclude(status=PaymentStatus.REJECTED).first() or payments.order_by("-prepared_at").first()

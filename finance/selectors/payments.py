"""Reads of outgoing payments and of the claims batches still to be paid."""

from __future__ import annotations

from django.db.models import QuerySet

from claims.models import BatchStatus, PaymentBatch
from finance.models import PaymentRequest
from mutualaid.models import Organisation


def payment_list(*, office: Organisation | None = None) -> QuerySet[PaymentRequest]:
    """Payments of the caller's tree (or of one office), newest first."""
    qs = PaymentRequest.objects.select_related("org", "plan", "prepared_by", "claims_batch")
    if office is not None:
        qs = qs.filter(org=office)
    return qs.order_by("-prepared_at")


def claims_batch_unpaid_list(*, office: Organisation) -> QuerySet[PaymentBatch]:
    """The office's claims batches that have no payment yet and are not paid."""
    return PaymentBatch.objects.filter(org=office, payment_request__isnull=True).exclude(status=BatchStatus.PAID)

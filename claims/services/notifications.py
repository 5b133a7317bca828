"""The message that tells a member their claim has been paid, sent by a task after the payment
has committed (claims/tasks.py), so that a failing provider cannot undo a payment. It is one kind
of the product's notices (claims/notices.py, mutualaid/notices.py): the office's wording, the log
and its retries."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from claims.models import Claim
from claims.notices import notice_claims_paid
from mutualaid.models import Notice, NoticeStatus
from mutualaid.notices import notices_deliver


def claim_notify_paid(*, claim_ids: list[int]) -> int:
    """Tell each member their payout. A claim's notice is logged once (by its key), so two runs of
    the task (a retry, a duplicate) never send it twice; a failed send stays failed for the retry
    and raises. Returns how many messages were sent."""
    claims = list(Claim.objects.filter(pk__in=claim_ids).select_related("enrollment", "org"))
    notice_claims_paid(claims=claims)
    due = Notice.objects.filter(
        key__in=[f"claim_paid:{c.pk}" for c in claims], status__in=[NoticeStatus.PENDING, NoticeStatus.FAILED]
    )
    try:
        return notices_deliver(notice_ids=list(due.values_list("pk", flat=True)))
    finally:
        told = Notice.objects.filter(
            Q(status=NoticeStatus.SENT) | Q(status=NoticeStatus.NO_PHONE),
            key__in=[f"claim_paid:{c.pk}" for c in claims],
        ).values_list("key", flat=True)
        done = [int(key.rsplit(":", 1)[1]) for key in told]
        Claim.objects.filter(pk__in=done, notified_at__isnull=True).update(notified_at=timezone.now())

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from claims.events import ClaimsBatchPaid
from claims.services.notifications import claim_notify_paid
from mutualaid.scopedtask import ScopedTask


@shared_task(base=ScopedTask, name="claims.notify_paid", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_paid(*, org_id: int, claim_ids: list[int], actor_id: int | None = None) -> int:
    """Tell the members of a paid batch; a member already told is not told again, so a retry
    after a provider's failure sends only what is still due."""
    return claim_notify_paid(claim_ids=claim_ids)


def notify_members_when_paid(event: ClaimsBatchPaid) -> None:
    """Subscribed to ClaimsBatchPaid: once the payment has committed, tell the batch's members, so
    that a failing provider cannot undo a payment."""
    ids = list(event.batch.claims.values_list("pk", flat=True))
    office, actor = event.actor.org_id, event.actor.pk
    transaction.on_commit(lambda: notify_paid.delay(org_id=office, claim_ids=ids, actor_id=actor))

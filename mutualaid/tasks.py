from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task

from mutualaid.scopedtask import ScopedTask
from mutualaid.selectors import org_get, org_subtree_stats


@shared_task(base=ScopedTask, name="mutualaid.org_stats")
def org_stats(*, org_id: int, actor_id: int | None = None) -> dict[str, Any]:
    """The figures of an office's subtree (nodes, units, headcount, accounts), computed in its scope."""
    return asdict(org_subtree_stats(root=org_get(pk=org_id)))


@shared_task(name="mutualaid.retention_all")
def retention_all() -> int:
    """Beat, daily: one retention run per province, city and industry office, each in its own
    scope (a province's run leaves its cities' subtrees to theirs). Reads only the offices' ids."""
    from mutualaid.retention import run_offices

    offices = run_offices()
    for office_id in offices:
        retention_office.delay(org_id=office_id)
    return len(offices)


@shared_task(base=ScopedTask, name="mutualaid.retention_office", acks_late=True)
def retention_office(*, org_id: int, actor_id: int | None = None) -> dict[str, int]:
    """Anonymise what has expired in one office's part of the tree. Idempotent: a second run,
    or a run delivered again after a lost worker, finds nothing left to do."""
    from mutualaid.retention import retention_apply

    return retention_apply(office=org_get(pk=org_id))


@shared_task(
    base=ScopedTask,
    name="mutualaid.deliver_notices",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
    acks_late=True,
)
def deliver_notices(*, org_id: int, notice_ids: list[int], actor_id: int | None = None) -> int:
    """Send the notices of these ids still due. A backend's failure leaves them failed and raises,
    and the task runs again after 30 s, 1, 2, 4 … minutes; what was sent is never sent again."""
    from mutualaid.notices import notices_deliver

    return notices_deliver(notice_ids=notice_ids)


@shared_task(name="mutualaid.resend_notices_all")
def resend_notices_all() -> int:
    """Beat, hourly: one resend run per province, each in its own scope (its subtree holds every
    notice of its offices). Reads only the provinces' ids."""
    from mutualaid.models import Organisation
    from mutualaid.tenancy import unscoped

    with unscoped():  # beat has no office: it reads the ids of the tree's roots, to start each one's run
        roots = list(Organisation.objects.filter(parent__isnull=True).order_by("pk").values_list("pk", flat=True))
    for office_id in roots:
        resend_notices_office.delay(org_id=office_id)
    return len(roots)


@shared_task(base=ScopedTask, name="mutualaid.resend_notices_office", acks_late=True)
def resend_notices_office(*, org_id: int, actor_id: int | None = None) -> int:
    """Send again, in one office's subtree, the notices due for it (mutualaid/notices.py); each is
    taken by a conditional update, so a run delivered twice sends nothing twice."""
    from django.utils import timezone

    from mutualaid.notices import notices_resend

    return notices_resend(now=timezone.now())

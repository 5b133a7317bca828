from __future__ import annotations

from celery import shared_task
from django.core.exceptions import ValidationError

from finance.rules import MONEY_OFFICES
from finance.services.remittances import remittance_draft
from mutualaid import dates
from mutualaid.models import Organisation, OrgKind
from mutualaid.scopedtask import ScopedTask
from mutualaid.tenancy import unscoped


@shared_task(name="finance.draft_all_remittances")
def draft_all_remittances() -> int:
    """Beat, on the 1st: start one province's drafting per province. Reads only the provinces'
    ids; each province's work runs in its own scope."""
    with unscoped():  # a beat fan-out: no office asks, and it reads only the provinces' ids
        provinces = list(Organisation.objects.filter(kind=OrgKind.PROVINCE).values_list("pk", flat=True))
    for province_id in provinces:
        draft_remittances.delay(org_id=province_id)
    return len(provinces)


@shared_task(base=ScopedTask, name="finance.draft_remittances")
def draft_remittances(*, org_id: int, actor_id: int | None = None) -> int:
    """Draft last month's premium remittance report of every agent point and city office of the
    province that issued policies; running it again redrafts the same reports (idempotent)."""
    month = dates.last_month()
    drafted = 0
    offices = Organisation.objects.filter(kind__in=MONEY_OFFICES).exclude(parent__isnull=True).order_by("-depth")
    for office in offices:
        try:
            remittance_draft(actor=None, office=office, month=month)
        except ValidationError:  # nothing to remit this month
            continue
        drafted += 1
    return drafted

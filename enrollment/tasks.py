from __future__ import annotations

from celery import shared_task
from django.db import transaction

from enrollment.events import EndorsementIssued, PolicyIssued
from enrollment.models import CardPrintJob, MemberList, Policy
from enrollment.services.cards import card_job_run
from enrollment.services.member_lists import member_list_check
from mutualaid.models import Organisation
from mutualaid.scopedtask import ScopedTask


@shared_task(base=ScopedTask, name="enrollment.check_member_list")
def check_member_list(*, org_id: int, member_list_id: int, actor_id: int | None = None) -> str:
    """Check an uploaded list in the uploader's scope; running it again gives the same report."""
    member_list = MemberList.objects.get(pk=member_list_id)
    checked = member_list_check(member_list=member_list, viewer=Organisation.objects.get(pk=org_id))
    return checked.status


@shared_task(base=ScopedTask, name="enrollment.print_cards")
def print_cards(*, org_id: int, job_id: int, actor_id: int | None = None) -> str:
    return card_job_run(job=CardPrintJob.objects.get(pk=job_id)).status


@shared_task(base=ScopedTask, name="enrollment.notify_enrolled", acks_late=True)
def notify_enrolled(*, org_id: int, member_list_id: int, actor_id: int | None = None) -> int:
    """Confirm their cover to the members of an approved list; run again, it sends nothing twice."""
    from enrollment.notices import list_notify_enrolled

    office = Organisation.objects.get(pk=org_id)
    return list_notify_enrolled(member_list=MemberList.objects.get(pk=member_list_id), office=office)


def on_list_approved(event: PolicyIssued | EndorsementIssued) -> None:
    """Subscribed to PolicyIssued and EndorsementIssued: once the approval has committed, confirm
    the list's members their cover, in a task (a list may hold 100,000 members)."""
    if isinstance(event, PolicyIssued):
        found = MemberList.objects.filter(policy=event.policy).order_by("pk").values_list("pk", flat=True).first()
    else:
        found = event.endorsement.member_list_id
    if found is None or event.actor.org_id is None:
        return
    office, actor, list_id = event.actor.org_id, event.actor.pk, found
    transaction.on_commit(lambda: notify_enrolled.delay(org_id=office, member_list_id=list_id, actor_id=actor))


@shared_task(name="enrollment.renewal_notices_all")
def renewal_notices_all() -> int:
    """Beat, daily: one run per office that issued a policy still running, each in its own scope.
    Reads only the offices' ids."""
    from mutualaid import dates
    from mutualaid.tenancy import unscoped

    with unscoped():  # beat has no office: it reads which offices issued running policies, to start each one's run
        running = Policy.objects.filter(ends_on__gte=dates.business_today()).values("issued_by_office_id")
        # Each office once (a DISTINCT over the policies' default ordering repeated an office per policy).
        offices = list(Organisation.objects.filter(pk__in=running).order_by("pk").values_list("pk", flat=True))
    for office_id in offices:
        renewal_notices_office.delay(org_id=office_id)
    return len(offices)


@shared_task(base=ScopedTask, name="enrollment.renewal_notices_office", acks_late=True)
def renewal_notices_office(*, org_id: int, actor_id: int | None = None) -> int:
    """The renewal notices one office owes today; idempotent (once per unit and period)."""
    from enrollment.notices import renewal_notices_send
    from mutualaid import dates

    return renewal_notices_send(office=Organisation.objects.get(pk=org_id), today=dates.business_today())

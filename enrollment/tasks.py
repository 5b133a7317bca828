from __future__ import annotations

from celery import shared_task

from enrollment.models import CardPrintJob, MemberList
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

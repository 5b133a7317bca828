"""What waits in enrollment for the person on the home page (registered with mutualaid.todo)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from enrollment.models import LIST_WAITING, ListStatus, MemberList
from mutualaid.models import User
from mutualaid.todo import Todo


def enrollment_todo(user: User) -> list[Todo]:
    """For an approving office, the member lists submitted below it; for whoever uploads lists, the
    lists checked and ready to submit and those with errors to correct. One aggregate query in the
    user's scope (the lists of the units below)."""
    office = user.org
    if office is None:
        return []
    approver = user.has_perm("enrollment.approve") and office.is_office
    uploader = user.has_perm("enrollment.upload")
    if not (approver or uploader):
        return []
    # Read through the index of the waiting lists (member_list_waiting_subtree), not every list.
    counts = MemberList.objects.filter(status__in=LIST_WAITING).aggregate(
        submitted=Count("pk", filter=Q(status=ListStatus.SUBMITTED)),
        valid=Count("pk", filter=Q(status=ListStatus.VALID)),
        invalid=Count("pk", filter=Q(status=ListStatus.INVALID)),
    )
    lists = reverse("enrollment:list_list")
    found = []
    if approver:
        found.append(
            Todo(
                "underwriting",
                _("Member lists waiting for your approval"),
                counts["submitted"],
                f"{lists}?{urlencode({'status': ListStatus.SUBMITTED})}",
            )
        )
    if uploader:
        found += [
            Todo(
                "underwriting",
                _("Member lists ready to submit"),
                counts["valid"],
                f"{lists}?{urlencode({'status': ListStatus.VALID})}",
            ),
            Todo(
                "underwriting",
                _("Member lists with errors to correct"),
                counts["invalid"],
                f"{lists}?{urlencode({'status': ListStatus.INVALID})}",
                urgent=True,
            ),
        ]
    return found

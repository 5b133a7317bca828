"""What waits in reporting for the person on the home page (registered with mutualaid.todo)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from mutualaid import dates
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.numbers import month_text
from mutualaid.todo import Todo
from reporting.models import Snapshot, SnapshotKind
from reporting.services import REPORTING_OFFICES


def reports_todo(user: User) -> list[Todo]:
    """Last month's roll-up not yet submitted: for a city office its own, for the province the
    cities that have not sent theirs (逾期未上报 once the month is over). One query."""
    office = user.org
    if office is None or office.kind not in REPORTING_OFFICES or not user.has_perm("reporting.rollup"):
        return []
    month = dates.last_month()
    url = reverse("reporting:snapshots") + "?" + urlencode({"month": month.strftime("%Y-%m")}) + "#submissions"
    submitted = Snapshot.objects.filter(org=OuterRef("pk"), kind=SnapshotKind.MONTHLY, period_start=month)
    if office.parent_id is None:
        label = _("Cities whose monthly roll-up is not yet submitted")
        offices = Organisation.objects.filter(parent=office, kind__in=[OrgKind.CITY, OrgKind.INDUSTRY])
    else:
        label = _("Your monthly roll-up not yet submitted")
        offices = Organisation.objects.filter(pk=office.pk)
    count = offices.exclude(Exists(submitted)).count()
    return [Todo("reports", label, count, url, urgent=True, note=month_text(month))]


def findings_todo(user: User) -> list[Todo]:
    """Audit findings past their deadline and not rectified (in red), and those waiting for the
    person: to rectify as the one responsible, or to verify. One aggregate query."""
    from django.db.models import Count, Q

    from reporting.models import AuditFinding, FindingStatus

    if user.org is None or not user.has_perm("oversight.view"):
        return []
    today = dates.business_today()
    verify = Q(status=FindingStatus.RECTIFIED) & ~Q(owner=user) if user.has_perm("oversight.record") else Q(pk=None)
    counts = AuditFinding.objects.aggregate(
        overdue=Count("pk", filter=Q(status=FindingStatus.OPEN, deadline__lt=today)),
        mine=Count("pk", filter=Q(status=FindingStatus.OPEN, owner=user)),
        verify=Count("pk", filter=verify),
    )
    base = reverse("reporting:finding_list")
    items = []
    if counts["overdue"]:
        items.append(
            Todo(
                "reports",
                _("Audit findings past their deadline"),
                counts["overdue"],
                base + "?state=overdue",
                urgent=True,
            )
        )
    if counts["mine"]:
        items.append(Todo("reports", _("Audit findings you must rectify"), counts["mine"], base + "?state=mine"))
    if counts["verify"]:
        items.append(Todo("reports", _("Rectified findings to verify"), counts["verify"], base + "?state=rectified"))
    return items

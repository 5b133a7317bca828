"""An office's claims settings and calendar: its targets and abnormal-claim thresholds, the local
holidays it closes and the extra working days it opens. A change moves the due dates of the
claims whose clock runs, so that they follow the office's latest calendar and targets."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimSettings, ClaimStatus, OfficeDay
from claims.selectors import office_calendar
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission


def _office_of(actor: User, refusal: str) -> Organisation:
    """The actor's office, refused with `refusal` for someone who is not at a provincial or city office."""
    require_permission(actor, "claims.configure")
    office = actor.org
    if office is None or not office.is_office:
        raise PermissionDenied(refusal)
    return office


@transaction.atomic
def claim_settings_save(*, actor: User, **values: Any) -> ClaimSettings:
    office = _office_of(actor, _("Claims settings belong to a provincial or city office."))
    current = ClaimSettings.objects.select_for_update().filter(org=office).first() or ClaimSettings(org=office)
    for key, value in values.items():
        setattr(current, key, value)
    current.full_clean(exclude=["org_path"], validate_unique=False)
    current.save()
    _reschedule_open_claims(office)
    return current


@transaction.atomic
def office_day_set(*, actor: User, day: date, is_workday: bool, note: str = "") -> OfficeDay:
    office = _office_of(actor, _("Holidays are declared by a provincial or city office."))
    entry, _created = OfficeDay.objects.update_or_create(
        org=office, day=day, defaults={"is_workday": is_workday, "note": note.strip()[:100]}
    )
    _reschedule_open_claims(office)
    return entry


@transaction.atomic
def office_day_remove(*, actor: User, day: date) -> None:
    require_permission(actor, "claims.configure")
    office = actor.org
    if office is None:
        raise PermissionDenied(_("Holidays are declared by a provincial or city office."))
    OfficeDay.objects.filter(org=office, day=day).delete()
    _reschedule_open_claims(office)


def _reschedule_open_claims(office: Organisation) -> None:
    """The due dates of claims whose clock runs follow the office's latest calendar and targets."""
    running = Claim.objects.filter(
        review_office__path__startswith=office.path, documents_complete_on__isnull=False
    ).exclude(status__in=[ClaimStatus.PAID, ClaimStatus.REJECTED])
    for claim in running.select_related("review_office"):
        reviewer = claim.review_office
        calendar, targets = office_calendar(office=reviewer), office_settings(ClaimSettings, reviewer)
        started = claim.documents_complete_on
        if started is None:  # excluded by the query; the check tells the type checker so
            continue
        claim.target_due_on = calendar.add(started, targets.target_days)
        claim.limit_due_on = calendar.add(started, targets.limit_days)
        claim.save(update_fields=["target_due_on", "limit_due_on"])

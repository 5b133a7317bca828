"""A period's benefit schedule: the rules the office that runs the plan enters, stored as the JSON
the engine (claims/benefits/) writes back, so that what is stored is what was checked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError
from claims.benefits.schedule import Schedule
from claims.models import BenefitSchedule
from enrollment.models import Period
from mutualaid.models import User
from mutualaid.roles import require_permission


@transaction.atomic
def schedule_save(*, actor: User, period: Period, rules_data: dict[str, Any]) -> BenefitSchedule:
    """Validate and store a period's rules; refused once a claim has been paid under them."""
    require_permission(actor, "plans.manage")
    if period.plan.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that runs the plan sets its benefit schedule."))
    try:
        parsed = Schedule.from_dict(rules_data)
    except ScheduleError as error:
        raise ValidationError({"rules": error.message}) from None
    existing = BenefitSchedule.objects.select_for_update().filter(period=period).first()
    if existing is None:
        return BenefitSchedule.objects.create(
            org=period.plan.org, period=period, rules=parsed.to_dict(), updated_by=actor
        )
    if existing.frozen_at:
        raise ValidationError(
            _("Claims have been paid under this schedule, so it is frozen: create a new period for new rules.")
        )
    existing.rules, existing.updated_by, existing.version = parsed.to_dict(), actor, existing.version + 1
    existing.save()
    return existing

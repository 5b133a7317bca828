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
    schedule_check_period(parsed, period)
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


def schedule_check_period(schedule: Schedule, period: Period) -> None:
    """What only the period can tell: each version starts inside it, and the waiting period is the
    period's own (a kind or a variant may replace it, the schedule as a whole may not, so that
    there is one place to read it)."""
    if schedule.waiting_days is not None:
        raise ValidationError(
            {
                "rules": _(
                    "waiting_days (the waiting period) is set on the period, not in the schedule: remove it here "
                    "and enter %(days)s days on the period's form; kinds and variants may still replace it."
                )
                % {"days": schedule.waiting_days}
            }
        )
    for number, version in enumerate(schedule.versions, start=1):
        if not period.starts_on < version.starts_on <= period.ends_on:
            raise ValidationError(
                {
                    "rules": _(
                        "versions, item %(number)s: starts_on (effective from) %(date)s is outside the period "
                        "%(start)s to %(end)s, or on its first day: choose a date inside it, after its first day."
                    )
                    % {"number": number, "date": version.starts_on, "start": period.starts_on, "end": period.ends_on}
                }
            )

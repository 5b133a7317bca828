"""Plans and their periods, set up by the office that runs the plan. A period's rules are frozen
once a policy has been issued under it: a member's premium and cover never change afterwards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.models import Period, Plan
from mutualaid.models import User
from mutualaid.roles import require_permission

FROZEN_FIELDS = [
    "starts_on",
    "ends_on",
    "premium_per_share",
    "max_shares",
    "min_age",
    "max_age",
    "requires_basic_insurance",
    "gender",
    "max_age_female",
    "max_age_male",
    "retirement_limit",
    "employment_statuses",
    "unit_types",
    "min_participation",
    "waiting_days",
    "subsidy_kind",
    "subsidy_amount",
    "subsidy_stages",
    "unit_ratio",
]


@transaction.atomic
def plan_create(
    *,
    actor: User,
    name: str,
    kind: str,
    description: str = "",
    claims_reviewed_by: str = "city",
    claims_paid_by: str = "reviewer",
    large_claim_amount: Decimal | None = None,
    insures_children: bool = False,
    is_active: bool = True,
) -> Plan:
    """A plan of the actor's office; `is_active=False` keeps it (its periods and schedules, to
    read and try) without offering it to the offices and units below."""
    require_permission(actor, "plans.manage")
    office = actor.org
    if office is None or not office.is_office:
        raise PermissionDenied(_("Plans are configured by a provincial or city office."))
    if Plan.objects.filter(org=office, name=name.strip()).exists():
        raise ValidationError({"name": _("Your office already has a plan of this name.")})
    plan = Plan(
        org=office,
        name=name.strip(),
        kind=kind,
        description=description,
        claims_reviewed_by=claims_reviewed_by,
        claims_paid_by=claims_paid_by,
        large_claim_amount=large_claim_amount,
        insures_children=insures_children,
        is_active=is_active,
    )
    plan.full_clean(exclude=["org_path"])
    plan.save()
    return plan


@transaction.atomic
def period_create(*, actor: User, plan: Plan, **settings: Any) -> Period:
    require_permission(actor, "plans.manage")
    if actor.org_id is None or plan.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that owns the plan sets its periods."))
    period = Period(org=plan.org, plan=plan, **settings)
    period.full_clean(exclude=["org_path"])
    overlapping = Period.objects.filter(plan=plan, starts_on__lte=period.ends_on, ends_on__gte=period.starts_on)
    if overlapping.exists():
        raise ValidationError(_("This period overlaps another period of the same plan."))
    period.save()
    return period


@transaction.atomic
def period_update(*, actor: User, period: Period, **changes: Any) -> Period:
    """Change a period's rules while no policy has been issued under it."""
    require_permission(actor, "plans.manage")
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that owns the plan sets its periods."))
    # Nor its plan (and with it the kind its members hold): the province-wide duplicate search
    # reads the periods whose days overlap (selectors.period_ids_overlapping).
    if locked.frozen_at and any(key in (*FROZEN_FIELDS, "plan") for key in changes):
        raise ValidationError(
            _("Policies have been issued under this period, so its rules are frozen; create a new period instead.")
        )
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.full_clean(exclude=["org_path"])
    locked.save()
    return locked

"""Subsidies from several union levels: recorded on a period by the office that runs the plan
(until the period is frozen), and, when a list is approved, what each level owes for the list's
members (`SubsidyShare`), which finance books to a receivable per level."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.models import Endorsement, MemberList, Period, PeriodSubsidy, Policy, SubsidyShare, UnionLevel
from enrollment.rules import PremiumSplit
from mutualaid.models import Organisation, User
from mutualaid.numbers import money_text
from mutualaid.roles import require_permission

CENT = Decimal("0.01")


def _subsidy_errors(
    period: Period, level: str, payer: Organisation | None, payer_name: str, per_share: Decimal | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if level not in UnionLevel.values:
        errors["level"] = _("Choose the union level that pays the subsidy.")
    elif PeriodSubsidy.objects.filter(period=period, level=level).exists():
        errors["level"] = _("This period already has a subsidy from %(level)s: one subsidy per level.") % {
            "level": UnionLevel(level).label
        }
    if payer is None and not payer_name.strip():
        errors["payer_name"] = _("Choose the paying office or enter the name of the union that pays.")
    elif len(payer_name.strip()) > 100:
        errors["payer_name"] = _("Enter the payer's name in at most 100 characters.")
    if per_share is None or not per_share.is_finite() or per_share <= 0 or per_share != per_share.quantize(CENT):
        errors["per_share"] = _("Enter the subsidy per share: an amount above 0, in yuan with at most two decimals.")
    elif per_share > period.premium_per_share:
        errors["per_share"] = _("The subsidy per share cannot exceed the premium per share (%(premium)s yuan).") % {
            "premium": money_text(period.premium_per_share)
        }
    return errors


@transaction.atomic
def period_subsidy_add(
    *,
    actor: User,
    period: Period,
    level: str,
    per_share: Decimal | None,
    payer: Organisation | None = None,
    payer_name: str = "",
) -> PeriodSubsidy:
    """Record one union level's subsidy per share on a period not yet frozen."""
    require_permission(actor, "plans.manage")
    if actor.org_id is None or period.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that runs the plan records its periods' subsidies."))
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.frozen_at is not None:
        raise ValidationError(
            _("Period %(period)s is frozen since a policy was issued under it: set the subsidies on a new period.")
            % {"period": locked.label}
        )
    errors = _subsidy_errors(locked, level, payer, payer_name, per_share)
    if errors or per_share is None:
        raise ValidationError(errors)
    return PeriodSubsidy.objects.create(
        org=locked.org,
        period=locked,
        level=level,
        payer=payer,
        payer_name="" if payer is not None else payer_name.strip(),
        per_share=per_share,
    )


def subsidy_shares_record(
    *,
    policy: Policy,
    member_list: MemberList,
    endorsement: Endorsement | None,
    split: PremiumSplit,
    stored: int,
    original: MemberList | None = None,
    ended: int = 0,
) -> list[SubsidyShare]:
    """What each union level owes for the members a list just approved took on. A correction's
    share is the net change: the members it ended (of `original`) are taken off at what their
    list had granted each of them."""
    granted: dict[int, Decimal] = {}
    if original is not None and ended:
        granted = dict(
            SubsidyShare.objects.filter(member_list=original).values_list("subsidy_id", "per_member").order_by()
        )
    shares = [
        SubsidyShare(
            org=policy.org,
            org_path=policy.org.path,
            policy=policy,
            endorsement=endorsement,
            member_list=member_list,
            subsidy_id=level_id,
            per_member=per_member,
            members=stored,
            amount=per_member * stored - granted.get(level_id, Decimal("0")) * ended,
        )
        for level_id, per_member in split.levels
    ]
    return SubsidyShare.objects.bulk_create(shares)

"""The office's decision on a submitted list. Approval issues the unit's policy (or, for a unit
that has one for the period, records the list as its endorsement), freezes the period's rules
and turns the passing rows into enrollments in one transaction; the province-wide duplicate
check is repeated under a lock when another list may have enrolled the same people since this
one was checked. Sending back needs a reason for the unit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import eligibility, selectors
from enrollment.events import EndorsementIssued, PolicyIssued
from enrollment.models import (
    ApprovalWatermark,
    Enrollment,
    EnrollmentStatus,
    ListRow,
    ListStatus,
    MemberList,
    Period,
    Policy,
    PolicySequence,
)
from enrollment.rules import PremiumSplit
from enrollment.services import corrections, subsidies
from enrollment.services.endorsements import endorsement_record
from mutualaid import dates, events
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


@transaction.atomic
def member_list_reject(*, actor: User, member_list: MemberList, reason: str) -> MemberList:
    require_permission(actor, "enrollment.approve")
    locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
    _check_approver(actor, locked)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the list is sent back, so the unit can correct it.")})
    locked.status = ListStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), reason.strip()[:300]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    ListRow.objects.filter(member_list=locked).delete()
    return locked


@transaction.atomic
def member_list_approve(*, actor: User, member_list: MemberList) -> Policy:
    """Issue the unit's policy (or endorse the one it has) and store the passing rows as
    enrollments, numbered after the policy's highest member number."""
    require_permission(actor, "enrollment.approve")
    locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
    office = _check_approver(actor, locked)
    original = corrections.original_lock(locked)
    replaced = original if original is not None and original.status == ListStatus.APPROVED else None
    with unscoped():  # the period belongs to the office that pools the plan, maybe above the approver
        period = Period.objects.select_related("plan").select_for_update(of=("self",)).get(pk=locked.period_id)
    today = dates.business_today()
    now = timezone.now()
    if today > period.ends_on:
        raise ValidationError(_("The period has ended; lists can no longer be approved for it."))
    policy, starts_on, issued_now = _policy_issue_or_extend(
        actor=actor, office=office, unit=locked.org, period=period, today=today, now=now
    )
    if period.frozen_at is None:
        period.frozen_at = now
        period.save(update_fields=["frozen_at"])
    split = selectors.member_list_premium_split(member_list=locked, period=period, today=today)
    province_id = locked.org.ancestor_ids()[0]
    _refuse_people_enrolled_meanwhile(locked, period, province_id, replaced)
    refusals = eligibility.list_refusals(member_list=locked, period=period)
    if refusals:
        raise ValidationError(
            [
                *refusals,
                _("Nothing was stored: send the list back with these rows named, so the unit corrects them."),
            ]
        )
    replacement = (
        corrections.original_members_replace(correction=locked, original=replaced, today=today)
        if replaced is not None
        else None
    )
    first_number = policy.last_member_number + 1
    stored = _enrollments_insert(
        locked, period, policy, province_id=province_id, starts_on=starts_on, split=split, now=now
    )
    policy.last_member_number += stored
    _policy_totals_update(policy)
    locked.status = ListStatus.APPROVED
    locked.decided_by, locked.decided_at, locked.policy = actor, now, policy
    locked.save(update_fields=["status", "decided_by", "decided_at", "policy"])
    ListRow.objects.filter(member_list=locked).delete()
    if original is not None:
        corrections.original_supersede(original=original, correction=locked)
    endorsement = (
        None
        if issued_now
        else endorsement_record(
            actor=actor, policy=policy, member_list=locked, first_number=first_number, now=now, replacement=replacement
        )
    )
    subsidies.subsidy_shares_record(
        policy=policy,
        member_list=locked,
        endorsement=endorsement,
        split=split,
        stored=stored,
        original=replaced,
        ended=replacement.ended if replacement else 0,
    )
    if endorsement is None:
        events.publish(PolicyIssued(policy=policy, actor=actor))
    else:
        events.publish(EndorsementIssued(endorsement=endorsement, actor=actor))
    return policy


def _check_approver(actor: User, member_list: MemberList) -> Organisation:
    """The approving office: one above the list's unit, and the list waiting for its decision."""
    if member_list.status != ListStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted list can be approved or sent back."))
    office = actor.org
    if office is None or not office.is_office or not member_list.org.path.startswith(office.path):
        raise PermissionDenied(_("Lists are approved by an office above the unit."))
    return office


def _policy_issue_or_extend(
    *, actor: User, office: Organisation, unit: Organisation, period: Period, today: date, now: datetime
) -> tuple[Policy, date, bool]:
    """The unit's policy for the period, issued now if it has none, the day the list's members
    are covered from (the period's start for a new policy, else today at the earliest), and
    whether the policy was issued now (otherwise the list endorses it)."""
    policy = Policy.objects.select_for_update().filter(org=unit, period=period).first()
    if policy is not None:
        return policy, max(period.starts_on, today), False
    policy = Policy.objects.create(
        org=unit,
        number=_next_policy_number(office, now.astimezone(timezone.get_current_timezone()).year),
        period=period,
        issued_by_office=office,
        issued_by=actor,
        issued_at=now,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )
    return policy, period.starts_on, True


def _next_policy_number(office: Organisation, year: int) -> str:
    """Office code + year + a gap-free sequence: the counter row is locked until commit."""
    PolicySequence.objects.get_or_create(office=office, year=year)
    sequence = PolicySequence.objects.select_for_update().get(office=office, year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{office.code}-{year}-{sequence.last_value:06d}"


def _enrolled_meanwhile_message() -> str:
    return _(
        "Some people on this list were enrolled through another list in the meantime. "
        "Nothing was stored: the unit must upload the list again to have it re-checked."
    )


def _refuse_people_enrolled_meanwhile(
    member_list: MemberList, period: Period, province_id: int, replaced: MemberList | None
) -> None:
    """The province-wide duplicate check again, at approval, under a transaction lock per
    province and kind of plan: two approvals that could enrol the same person wait for each
    other, and the second sees what the first stored. (The unique index catches the same
    period even without the lock; the lock extends the guarantee to overlapping periods of other
    plans of the same kind and to mutually exclusive plans.)

    When no list of these kinds was approved in the province since this list was checked (the
    approval counters are unchanged), the check's own search still holds and is not repeated.
    """
    kinds = selectors.plan_kinds_exclusive(plan=period.plan)
    with connection.cursor() as cursor:
        for kind in kinds:  # always in the same order, so two approvals cannot deadlock
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"enrollment:{province_id}:{kind}"])
    unchanged = member_list.checked_versions == selectors.approval_watermark_versions(
        province_id=province_id, kinds=kinds
    )
    for kind in kinds:
        ApprovalWatermark.objects.get_or_create(province_id=province_id, plan_kind=kind)
        ApprovalWatermark.objects.filter(province_id=province_id, plan_kind=kind).update(
            version=models.F("version") + 1
        )
    # A correction checked before its original's approval finds the counters changed by it, and
    # is searched again here, without the people of the list it replaces.
    if unchanged:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.row_number FROM enrollment_listrow r
            WHERE r.member_list_id = %(list)s AND r.ok AND EXISTS (
                SELECT 1 FROM enrollment_enrollment e
                WHERE e.id_hash = r.id_hash AND e.province_id = %(province)s AND e.status = 'active'
                  AND e.plan_kind = ANY(%(kinds)s) AND e.starts_on <= %(ends)s AND e.ends_on >= %(starts)s
                  AND e.member_list_id IS DISTINCT FROM %(replaced)s
                  AND e.period_id = ANY(%(periods)s))
            LIMIT 1
            """,
            {
                "list": member_list.pk,
                "province": province_id,
                "kinds": kinds,
                "starts": period.starts_on,
                "ends": period.ends_on,
                "replaced": replaced.pk if replaced else None,
                "periods": selectors.period_ids_overlapping(
                    kinds=kinds, starts_on=period.starts_on, ends_on=period.ends_on
                ),
            },
        )
        if cursor.fetchone():
            raise ValidationError(_enrolled_meanwhile_message())


def _enrollments_insert(
    member_list: MemberList,
    period: Period,
    policy: Policy,
    *,
    province_id: int,
    starts_on: date,
    split: PremiumSplit,
    now: datetime,
) -> int:
    """The passing staging rows become enrollments in one INSERT … SELECT, numbered on the
    policy after its highest number so far in the workbook's order (the policy row is locked);
    the database's one-active-enrollment index refuses a person enrolled through another list
    meanwhile. Returns how many were stored."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO enrollment_enrollment (
                    org_id, org_path, province_id, period_id, plan_kind, policy_id, member_list_id, row_number,
                    number, name, id_cipher, id_hash, id_masked, gender, birth_date, phone_cipher, phone_tail_hash,
                    shares, employment_status, parent_id_hash, parent_name,
                    starts_on, ends_on, premium, member_part, unit_part, union_part, levels_part, status, cancel_reason,
                    created_at)
                SELECT org_id, org_path, %s, %s, %s, %s, member_list_id, row_number,
                       %s + row_number() OVER (ORDER BY row_number),
                       name, id_cipher, id_hash, id_masked, gender, birth_date, phone_cipher, phone_tail_hash,
                       shares, employment_status, parent_id_hash, parent_name,
                       %s, %s, %s, %s, %s, %s, %s, 'active', '', %s
                FROM enrollment_listrow WHERE member_list_id = %s AND ok
                """,
                [
                    province_id,
                    period.pk,
                    period.plan.kind,
                    policy.pk,
                    policy.last_member_number,
                    starts_on,
                    period.ends_on,
                    split.premium,
                    split.member_part,
                    split.unit_part,
                    split.union_part,
                    split.levels_part,
                    now,
                    member_list.pk,
                ],
            )
            stored: int = cursor.rowcount
    except IntegrityError as error:
        if "one_active_enrollment" not in str(error):
            raise
        raise ValidationError(_enrolled_meanwhile_message()) from error
    return stored


def _policy_totals_update(policy: Policy) -> None:
    """The policy's members, shares and premium parts, summed again over its active enrollments."""
    totals = Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.ACTIVE).aggregate(
        members=Count("id"),
        shares=Sum("shares"),
        premium=Sum("premium"),
        member_part=Sum("member_part"),
        unit_part=Sum("unit_part"),
        union_part=Sum("union_part"),
        levels_part=Sum("levels_part"),
    )
    policy.member_count = totals["members"]
    policy.share_count = totals["shares"] or 0
    for part in ("premium", "member_part", "unit_part", "union_part", "levels_part"):
        setattr(policy, part, totals[part] or Decimal("0"))
    policy.save()

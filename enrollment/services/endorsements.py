"""Endorsements (批单): a supplementary list approved into a policy already issued is recorded
with its own number, effective date and premium month, so that its members and premium count
in the month it took effect, not in the policy's month of issue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from enrollment.models import Endorsement, Enrollment, MemberList, Policy
from enrollment.services.corrections import Replacement
from mutualaid import dates
from mutualaid.models import User


def endorsement_number(*, policy: Policy, sequence: int) -> str:
    """The policy's number and the endorsement's place on it: 'XA-2026-000001-P01'."""
    return f"{policy.number}-P{sequence:02d}"


def endorsement_record(
    *,
    actor: User,
    policy: Policy,
    member_list: MemberList,
    first_number: int,
    now: datetime,
    replacement: Replacement | None = None,
) -> Endorsement:
    """The endorsement of a list just stored into `policy` (locked by the approval, so two
    endorsements of one policy take their sequence one after the other). It takes effect on the
    business date of `now`, the moment the approval wrote on its members (`Enrollment.created_at`):
    an approval that runs across midnight dates both on the same side of it. A correction's
    endorsement also records the members it ended and corrected; its premium is then the net
    change (what it adds less what it ends)."""
    today = timezone.localdate(now)
    ended = replacement or Replacement()
    sequence = Endorsement.objects.filter(policy=policy).count() + 1
    totals = Enrollment.objects.filter(member_list=member_list, policy=policy).aggregate(
        members=Count("id"),
        shares=Sum("shares"),
        premium=Sum("premium"),
        member_part=Sum("member_part"),
        unit_part=Sum("unit_part"),
        union_part=Sum("union_part"),
        levels_part=Sum("levels_part"),
    )
    return Endorsement.objects.create(
        org=policy.org,
        policy=policy,
        member_list=member_list,
        sequence=sequence,
        number=endorsement_number(policy=policy, sequence=sequence),
        effective_on=today,
        premium_month=dates.month_start(today),
        member_count=totals["members"],
        share_count=totals["shares"] or 0,
        premium=(totals["premium"] or Decimal("0")) - ended.ended_premium,
        member_part=(totals["member_part"] or Decimal("0")) - ended.ended_parts["member_part"],
        unit_part=(totals["unit_part"] or Decimal("0")) - ended.ended_parts["unit_part"],
        union_part=(totals["union_part"] or Decimal("0")) - ended.ended_parts["union_part"],
        levels_part=(totals["levels_part"] or Decimal("0")) - ended.ended_parts["levels_part"],
        ended_count=ended.ended,
        ended_premium=ended.ended_premium,
        corrected_count=ended.corrected,
        first_member_number=first_number,
        last_member_number=max(first_number, policy.last_member_number),
        issued_by=actor,
        issued_at=now,
    )

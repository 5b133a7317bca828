"""A claim's payout and its abnormal-claim flags, computed from its current figures whenever they
change before approval (registration, amendment) and once more when a reviewer passes it.

Both look at the same person's other claims across the province, whichever office holds them,
because caps, claim limits and re-used invoices know no office boundary; only counts, sums and
(within the reviewing office's tree) claim numbers leave these functions, never another office's
rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from claims.benefits.calculate import Claim as ClaimFacts
from claims.benefits.calculate import Earlier, Result, calculate
from claims.benefits.schedule import Schedule
from claims.lifecycle import ACCEPTED_STATUSES
from claims.models import Claim, ClaimInvoice, ClaimSettings, ClaimStatus
from claims.selectors import period_schedule
from claims.services.figures import OTHER_PAYER_FIELDS
from enrollment.models import Enrollment
from mutualaid.idcheck import age_on
from mutualaid.numbers import money_text
from mutualaid.officesettings import office_settings
from mutualaid.tenancy import unscoped


def _others(claim: Claim) -> QuerySet[Claim]:
    """The same person's other claims in the province (to be read unscoped by the caller)."""
    return Claim.objects.filter(province_id=claim.province_id, id_hash=claim.id_hash).exclude(pk=claim.pk)


def _membership_year(claim: Claim) -> int:
    """How many periods of this plan, up to this one, the person has been enrolled in."""
    with unscoped():  # the person may have been enrolled by another unit of the province: a count only
        return (
            Enrollment.objects.filter(
                id_hash=claim.id_hash,
                province_id=claim.province_id,
                period__plan_id=claim.period.plan_id,
                period__starts_on__lte=claim.period.starts_on,
            )
            .values("period_id")
            .distinct()
            .count()
        ) or 1


def _earlier(claim: Claim) -> tuple[Earlier, ...]:
    """The person's accepted claims of this plan in the period, and those of its other periods
    admitted in the same calendar year (for a per-year threshold): kind, payout, base, date."""
    with unscoped():  # the person's claims held by other offices count too: figures only
        rows = (
            _others(claim)
            .filter(status__in=ACCEPTED_STATUSES, period__plan_id=claim.period.plan_id)
            .filter(Q(period=claim.period) | Q(admitted_on__year=claim.admitted_on.year))
            .values_list("care_type", "payout", "benefit_base", "self_paid", "admitted_on", "period_id")
        )
        return tuple(
            Earlier(
                care_type=kind,
                paid=paid,
                base=self_paid if base is None else base,
                admitted_on=admitted,
                in_period=period_id == claim.period_id,
            )
            for kind, paid, base, self_paid, admitted, period_id in rows
        )


def _kinds_paid_before(claim: Claim) -> tuple[str, ...]:
    """The kinds the person has been paid for in the plan's earlier periods, for a kind paid once
    per member for life (a critical illness lump sum on first diagnosis)."""
    with unscoped():  # the person's claims held by other offices count too: kinds only
        kinds = (
            _others(claim)
            .filter(status__in=ACCEPTED_STATUSES, period__plan_id=claim.period.plan_id, payout__gt=0)
            .exclude(period=claim.period)
            .values_list("care_type", flat=True)
            .distinct()
        )
        return tuple(sorted(kinds))


def _age(claim: Claim) -> int | None:
    """The member's age on admission (None: a date before the birth date, which the figures refuse)."""
    born = claim.enrollment.birth_date
    return age_on(born, claim.admitted_on) if claim.admitted_on >= born else None


def _facts(claim: Claim) -> ClaimFacts:
    """The claim's figures as the engine reads them, with what the member had before in the period."""
    with unscoped():  # the person's claims held by other offices count against the cap: sums and counts only
        same_period = _others(claim).filter(period=claim.period)
        accepted = same_period.filter(status__in=ACCEPTED_STATUSES).aggregate(
            paid=Sum("payout"), count=Count("pk"), self_paid=Sum("self_paid")
        )
        earlier = (
            same_period.exclude(status=ClaimStatus.REJECTED)
            .filter(Q(admitted_on__lt=claim.admitted_on) | Q(admitted_on=claim.admitted_on, pk__lt=claim.pk or 0))
            .count()
        )
    cover_starts = claim.enrollment.starts_on
    return ClaimFacts(
        self_paid=claim.self_paid,
        deductible_part=claim.deductible_part,
        days_in_hospital=claim.days_in_hospital,
        shares=claim.enrollment.shares,
        membership_year=_membership_year(claim),
        paid_before_in_period=accepted["paid"] or Decimal(0),
        claims_before_in_period=accepted["count"],
        self_paid_before_in_period=accepted["self_paid"] or Decimal(0),
        care_type=claim.care_type,
        days_since_cover_start=max(0, (claim.admitted_on - cover_starts).days),
        days_before_cover=max(0, (cover_starts - claim.admitted_on).days),
        waiting_days=claim.period.waiting_days,
        admission_order=earlier + 1,
        member_category=claim.member_category,
        severity=claim.severity,
        illness_days=claim.illness_days,
        admitted_on=claim.admitted_on,
        total_cost=claim.total_cost,
        fund_paid=claim.insurance_paid,
        not_covered=claim.not_covered,
        other_payers=tuple((name, getattr(claim, name)) for name in OTHER_PAYER_FIELDS),
        earlier=_earlier(claim),
        disability_grade=claim.disability_grade,
        gender=claim.enrollment.gender,
        age=_age(claim),
        kinds_paid_before=_kinds_paid_before(claim),
    )


def claim_calculate(*, claim: Claim) -> Result:
    """Apply the period's schedule to the claim, with what the member was paid before; the payout,
    its lines and the schedule's version are set on the claim (the caller saves it)."""
    schedule_row = period_schedule(period=claim.period, unit=claim.org)
    result = calculate(Schedule.from_dict(schedule_row.rules), _facts(claim))
    claim.payout = result.payout
    claim.calculation = [{"label": line.label, "amount": str(line.amount)} for line in result.lines]
    claim.cap_left_after = result.cap_left_after
    claim.refused_reason = result.refused_reason or ""
    claim.schedule_version = schedule_row.version
    claim.benefit_base = result.base
    return result


def _flag(code: str, message: str, *, blocking: bool = False) -> dict[str, Any]:
    return {"code": code, "message": message, "blocking": blocking}


def claim_flags(*, claim: Claim, invoices: Sequence[str]) -> list[dict[str, Any]]:
    """The abnormal-claim signs a reviewer must look at; a re-used invoice blocks the claim.

    The other claims are searched across the province, but a flag names one only when it lies in
    the reviewing office's tree; otherwise it says "another office", so no office learns another
    office's claim numbers from a flag.
    """
    thresholds = office_settings(ClaimSettings, claim.review_office)
    found = []
    tree = claim.review_office.path

    def named(other_number: str, other_path: str) -> str:
        return other_number if other_path.startswith(tree) else _("a claim of another office")

    with unscoped():  # re-used invoices and overlapping stays across the province; see the docstring
        live = _others(claim).exclude(status=ClaimStatus.REJECTED)
        reused = (
            ClaimInvoice.objects.filter(province_id=claim.province_id, number__in=invoices)
            .exclude(claim_id=claim.pk)
            .exclude(claim__status=ClaimStatus.REJECTED)
            .select_related("claim")
        )
        for invoice in reused:
            found.append(
                _flag(
                    "invoice_reused",
                    _("Invoice %(number)s is already used in claim %(claim)s: a bill can be paid once only.")
                    % {"number": invoice.number, "claim": named(invoice.claim.number, invoice.claim.org_path)},
                    blocking=True,
                )
            )
        in_period = live.filter(period=claim.period).count() + 1
        end = claim.discharged_on or claim.admitted_on
        overlaps = list(
            live.filter(admitted_on__lte=end)
            .filter(
                Q(discharged_on__gte=claim.admitted_on)
                | Q(discharged_on__isnull=True, admitted_on__gte=claim.admitted_on)
            )
            .values_list("number", "org_path")
        )
    overlapping = [named(number, path) for number, path in overlaps]
    days_covered = (claim.admitted_on - claim.enrollment.starts_on).days
    if days_covered < thresholds.early_claim_days:
        found.append(
            _flag(
                "early_claim",
                _("Admitted %(days)s days after the coverage started (flagged under %(limit)s days).")
                % {"days": days_covered, "limit": thresholds.early_claim_days},
            )
        )
    if in_period > thresholds.claims_per_member:
        found.append(
            _flag(
                "many_claims",
                _("This is the member's claim no. %(count)s in the period (flagged above %(limit)s).")
                % {"count": in_period, "limit": thresholds.claims_per_member},
            )
        )
    if claim.payout > thresholds.large_amount:
        found.append(
            _flag(
                "large_amount",
                _("The payout of %(amount)s yuan is above %(limit)s yuan.")
                % {"amount": money_text(claim.payout), "limit": money_text(thresholds.large_amount)},
            )
        )
    if overlapping:
        found.append(
            _flag(
                "overlapping_stay",
                _("The dates overlap the member's claim %(claims)s: check both hospital records.")
                % {"claims": ", ".join(overlapping)},
            )
        )
    return found


def claim_refresh(*, claim: Claim) -> None:
    """Recompute the payout and the flags from the claim's current figures."""
    claim_calculate(claim=claim)
    claim.flags = claim_flags(claim=claim, invoices=list(claim.invoices.values_list("number", flat=True)))

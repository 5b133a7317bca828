"""Reads of claims, in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from claims.models import BenefitSchedule, Claim, ClaimStatus, PaymentBatch
from claims.services import REVIEW_LEVELS
from enrollment.models import Enrollment, Period
from enrollment.selectors import period_list_offered
from mutualaid import dates, idcheck, pii
from mutualaid.models import Organisation, User
from mutualaid.tenancy import unscoped

OPEN = [ClaimStatus.INCOMPLETE, *REVIEW_LEVELS, ClaimStatus.APPROVED, ClaimStatus.IN_BATCH]
CLOCK_RUNNING = [*REVIEW_LEVELS, ClaimStatus.APPROVED, ClaimStatus.IN_BATCH]


def claim_list(*, status: str = "", search: str = "", queue: str = "", actor: User | None = None) -> QuerySet[Claim]:
    """Claims in scope, newest first; `queue="mine"` is what waits for the actor's own levels at
    their office, `queue="overdue"` what has passed its target date."""
    qs = Claim.objects.select_related("org", "review_office", "period__plan")
    if status:
        qs = qs.filter(status=status)
    if queue == "mine" and actor is not None:
        statuses = [s for s, (_level, perm) in REVIEW_LEVELS.items() if actor.has_perm(perm)]
        if actor.has_perm("claims.pay"):
            statuses.append(ClaimStatus.APPROVED)
        qs = qs.filter(review_office_id=actor.org_id, status__in=statuses)
    elif queue == "overdue":
        qs = qs.filter(status__in=CLOCK_RUNNING, target_due_on__lt=dates.business_today())
    search = search.strip()
    if search:
        try:
            number = idcheck.parse_resident_id(search).number
        except idcheck.IdError:
            qs = qs.filter(Q(number=search) | Q(name=search))
        else:
            qs = qs.filter(id_hash=pii.blind_index(number))
    return qs.order_by("-registered_at", "-pk")


def claim_get(*, pk: int) -> Claim:
    return Claim.objects.select_related(
        "org", "review_office", "period__plan", "enrollment__policy", "registered_by", "batch"
    ).get(pk=pk)


def person_claims(*, enrollment: Enrollment) -> QuerySet[Claim]:
    """The same person's claims in scope, for the member page."""
    return (
        Claim.objects.filter(id_hash=bytes(enrollment.id_hash), province_id=enrollment.province_id)
        .select_related("period__plan")
        .order_by("-admitted_on")
    )


def enrollments_for_claim(*, id_number: str) -> QuerySet[Enrollment]:
    """The enrollments in scope of the person with this full ID number, newest first."""
    number = idcheck.parse_resident_id(id_number.strip()).number
    return (
        Enrollment.objects.filter(id_hash=pii.blind_index(number))
        .select_related("org", "period__plan", "policy")
        .order_by("-starts_on")
    )


def risk_list() -> QuerySet[Claim]:
    """Claims with an abnormal-claim flag that are not closed, blocking ones first."""
    return (
        Claim.objects.exclude(flags=[])
        .exclude(status__in=[ClaimStatus.REJECTED, ClaimStatus.PAID])
        .select_related("org", "review_office", "period__plan")
        .order_by("-registered_at")
    )


@dataclass(frozen=True)
class DeadlineSummary:
    office: Organisation
    running: int
    overdue: int
    past_limit: int
    due_soon: int


def deadline_summary(*, office: Organisation, today: date | None = None) -> DeadlineSummary:
    today = today or dates.business_today()
    running = Claim.objects.filter(review_office=office, status__in=CLOCK_RUNNING)
    return DeadlineSummary(
        office=office,
        running=running.count(),
        overdue=running.filter(target_due_on__lt=today).count(),
        past_limit=running.filter(limit_due_on__lt=today).count(),
        due_soon=running.filter(target_due_on__gte=today, target_due_on__lte=today).count(),
    )


def deadlines_by_office() -> list[dict[str, object]]:
    """Every reviewing office in scope with its running, overdue and past-limit claims: one
    grouped query, for the offices above that watch their cities."""
    today = dates.business_today()
    return list(
        Claim.objects.filter(status__in=CLOCK_RUNNING)
        .values("review_office_id", "review_office__name")
        .annotate(
            running=Count("pk"),
            overdue=Count("pk", filter=Q(target_due_on__lt=today)),
            past_limit=Count("pk", filter=Q(limit_due_on__lt=today)),
        )
        .order_by("-overdue", "review_office__name")
    )


def overdue_claims(*, office: Organisation) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(review_office=office, status__in=CLOCK_RUNNING, target_due_on__lt=dates.business_today())
        .select_related("org", "period__plan")
        .order_by("limit_due_on", "target_due_on")
    )


def payable_claims(*, office: Organisation) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(review_office=office, status=ClaimStatus.APPROVED)
        .select_related("org", "period__plan")
        .order_by("approved_at")
    )


def batch_list() -> QuerySet[PaymentBatch]:
    return PaymentBatch.objects.select_related("org", "created_by").order_by("-created_at")


def schedule_periods(*, org: Organisation) -> list[tuple[Period, BenefitSchedule | None]]:
    """Every period offered to the office's tree with its schedule (or None), for the schedules
    page: an office sees the rules of the plans it runs, of those offered from above, and (as an
    ancestor reads its descendants) of those its offices below run."""
    periods = period_list_offered(org=org)
    with unscoped():
        own = Period.objects.filter(org_path__startswith=org.path).select_related("plan")
        schedules = {s.period_id: s for s in BenefitSchedule.objects.filter(period__in=[*periods, *own])}
    merged = {p.pk: p for p in [*periods, *own]}
    return [(p, schedules.get(p.pk)) for p in sorted(merged.values(), key=lambda p: (p.plan.name, p.starts_on))]


def period_for_schedule(*, org: Organisation, pk: int) -> Period:
    """A period whose schedule the office may read: one of its own plans or offered to it."""
    for period, _schedule in schedule_periods(org=org):
        if period.pk == pk:
            return period
    raise Period.DoesNotExist

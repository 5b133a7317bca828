"""Reads of claims, in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Max, Q, QuerySet, Sum, When
from django.utils.translation import gettext as _
from django_stubs_ext import WithAnnotations

from claims.lifecycle import CLOCK_RUNNING, REQUIRED_DOCUMENTS, REVIEW_LEVELS, barred_from_level, round_start_in
from claims.models import (
    BenefitSchedule,
    Claim,
    ClaimDocument,
    ClaimStatus,
    ClaimStep,
    HospitalCheck,
    HospitalCheckDocument,
    Level,
    OfficeDay,
    PaymentBatch,
    PendingUpload,
    Recheck,
    RecheckFinding,
    RecheckItem,
)
from claims.workdays import WorkdayCalendar
from enrollment.models import Enrollment, Period
from enrollment.selectors import period_list_offered
from mutualaid import dates, idcheck, pii
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import roles_holding
from mutualaid.tenancy import unscoped

# Claims -----------------------------------------------------------------------------------------


def claim_list(*, status: str = "", search: str = "", queue: str = "", actor: User | None = None) -> QuerySet[Claim]:
    """Claims in scope, newest first; `queue="mine"` is what waits for the actor's own levels at
    their office (or was handed to them), `queue="overdue"` what has passed its target date."""
    qs = Claim.objects.select_related("org", "review_office", "pay_office", "period__plan")
    if status:
        qs = qs.filter(status=status)
    if queue == "mine" and actor is not None:
        qs = qs.filter(claim_queue_mine(actor=actor))
    elif queue == "overdue":
        qs = qs.filter(claim_deadline("overdue"))
    qs = claim_search(qs, search=search)
    return qs.order_by("-registered_at", "-pk")


def claim_queue_mine(*, actor: User) -> Q:
    """What waits for the actor: the claims at their own levels at their office, or handed to
    them, and for whoever pays, the approved claims their office pays (the claims list's queue
    "mine" and the home page's count)."""
    statuses = [s for s, (_level, perm) in REVIEW_LEVELS.items() if actor.has_perm(perm)]
    # A level handed to one person is in their queue alone, whatever their roles.
    handed = Q(assigned_status=F("status"))
    mine = (Q(review_office_id=actor.org_id, status__in=statuses) & ~(handed & ~Q(assignee_id=actor.pk))) | (
        handed & Q(assignee_id=actor.pk)
    )
    if actor.has_perm("claims.pay"):
        mine |= Q(pay_office_id=actor.org_id, status=ClaimStatus.APPROVED)
    return mine


# An approved claim waits for its paying office, which may not be the office that reviewed it.
PAYMENT_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.IN_BATCH)


def claim_waits_at(office_id: int) -> Q:
    """The claims whose turn it is at the office: under review at the reviewing office, approved
    and not yet paid at the paying office (the deadlines page, the overdue list)."""
    return (Q(review_office_id=office_id) & ~Q(status__in=PAYMENT_STATUSES)) | Q(
        pay_office_id=office_id, status__in=PAYMENT_STATUSES
    )


def claim_queue_applies(*, actor: User) -> bool:
    """Whether a claim can ever wait for the actor (a review level or the payment): an agent or
    an auditor has no queue "waiting for me" to open."""
    return actor.has_perm("claims.pay") or any(actor.has_perm(perm) for _level, perm in REVIEW_LEVELS.values())


def claim_search(qs: QuerySet[Claim], *, search: str) -> QuerySet[Claim]:
    """`qs` narrowed to a claim number, a full name, or a full ID number (by its blind index)."""
    search = search.strip()
    if not search:
        return qs
    try:
        number = idcheck.parse_resident_id(search).number
    except idcheck.IdError:
        return qs.filter(Q(number=search) | Q(name=search))
    return qs.filter(id_hash=pii.blind_index(number))


def claim_get(*, pk: int) -> Claim:
    return Claim.objects.select_related(
        "org", "review_office", "pay_office", "period__plan", "enrollment__policy", "registered_by", "batch"
    ).get(pk=pk)


def claim_diagnosis(*, claim: Claim) -> str:
    return pii.decrypt(claim.diagnosis_cipher)


def claim_missing_documents(*, claim: Claim) -> list[str]:
    """The kinds of the required documents the claim does not have yet."""
    present = set(claim.documents.values_list("kind", flat=True))
    return [kind for kind in REQUIRED_DOCUMENTS[claim.care_type] if kind not in present]


@dataclass(frozen=True)
class ReviewAccess:
    """Whether a reader may review a claim where it waits, and if not because of the rule that one
    person acts at one level of a claim only."""

    level: Level | None  # the level the claim waits at (None: it waits for no review)
    acted_elsewhere: bool
    can_review: bool


def claim_review_access(*, claim: Claim, actor: User) -> ReviewAccess:
    waiting = REVIEW_LEVELS.get(claim.status)
    if waiting is None:
        return ReviewAccess(level=None, acted_elsewhere=False, can_review=False)
    level, perm = waiting
    steps = list(claim.steps.order_by("pk"))
    acted_elsewhere = actor.pk in barred_from_level(steps, level, round_start_in(steps))
    handed_to = claim.handed_to_id
    if handed_to is None:
        allowed = actor.has_perm(perm)
    else:  # the level was handed to one person (claims/services/handoff.py)
        allowed = handed_to == actor.pk and actor.has_perm("claims.override" if claim.assignee_overrides else perm)
    # The head of the office above who overrode a level its own heads may not decide (escalated).
    here = actor.org_id == claim.review_office_id or (handed_to == actor.pk and claim.assignee_overrides)
    can_review = allowed and here and not acted_elsewhere
    return ReviewAccess(level=level, acted_elsewhere=acted_elsewhere, can_review=can_review)


def claim_next_to_review(*, actor: User, status: str, after: Claim) -> Claim | None:
    """The next claim waiting for `actor` at the level they just acted at (`status`): in their
    queue, earliest target date first, one they may review (they have not acted at another level
    of it). None when none is left. A few candidates are read, each checked as its page checks."""
    candidates = (
        claim_list(queue="mine", actor=actor)
        .filter(status=status)
        .exclude(pk=after.pk)
        .order_by(F("target_due_on").asc(nulls_last=True), "registered_at", "pk")
    )
    for claim in candidates[:10]:
        if claim_review_access(claim=claim, actor=actor).can_review:
            return claim
    return None


def document_content(*, document: ClaimDocument) -> bytes:
    """A scanned document as it was uploaded (stored encrypted)."""
    with document.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())


def person_claims(*, enrollment: Enrollment) -> QuerySet[Claim]:
    """The same person's claims in scope, for the member page."""
    return (
        Claim.objects.filter(id_hash=bytes(enrollment.id_hash), province_id=enrollment.province_id)
        .select_related("period__plan")
        .order_by("-admitted_on")
    )


def person_enrollments(*, id_number: str) -> QuerySet[Enrollment]:
    """The enrollments in scope of the person with this full ID number, newest first."""
    number = idcheck.parse_resident_id(id_number.strip()).number
    return (
        Enrollment.objects.filter(id_hash=pii.blind_index(number))
        .select_related("org", "period__plan", "policy")
        .order_by("-starts_on")
    )


def member_enrollments(*, enrollment: Enrollment) -> QuerySet[Enrollment]:
    """The enrollments in scope of the person of `enrollment`, newest first (registration from
    the member page, where the full ID number is not typed again)."""
    return (
        Enrollment.objects.filter(id_hash=enrollment.id_hash)
        .select_related("org", "period__plan", "policy")
        .order_by("-starts_on")
    )


def pending_uploads(*, actor: User, draft: str) -> QuerySet[PendingUpload]:
    """The scans kept for one registration form of this user at their office: nobody else's."""
    return PendingUpload.objects.filter(uploaded_by=actor, org_id=actor.org_id, draft=draft)


def pending_content(*, pending: PendingUpload) -> bytes:
    with pending.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())


def risk_list() -> QuerySet[Claim]:
    """Claims with an abnormal-claim flag that are not closed, blocking ones first."""
    return (
        Claim.objects.exclude(flags=[])
        .exclude(status__in=[ClaimStatus.REJECTED, ClaimStatus.PAID])
        .select_related("org", "review_office", "period__plan")
        .order_by("-registered_at")
    )


def claim_list_overdue(*, office: Organisation) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(
            claim_waits_at(office.pk), status__in=CLOCK_RUNNING, target_due_on__lt=dates.business_today()
        )
        .select_related("org", "period__plan")
        .order_by("limit_due_on", "target_due_on")
    )


# "Near": a claim whose target date falls within this many days from today (the home page's
# to-do and the deadlines page's filter say the same).
NEAR_DAYS = 3
DEADLINE_FILTERS = ("overdue", "past_limit", "near", "today")


def claim_deadline(due: str, *, today: date | None = None) -> Q:
    """Claims on the clock, narrowed to those past their target (`overdue`), past the hard limit
    (`past_limit`), due from today to NEAR_DAYS ahead (`near`) or due today (`today`)."""
    today = today or dates.business_today()
    running = Q(status__in=CLOCK_RUNNING)
    if due == "overdue":
        return running & Q(target_due_on__lt=today)
    if due == "past_limit":
        return running & Q(limit_due_on__lt=today)
    if due == "near":
        return running & Q(target_due_on__gte=today, target_due_on__lte=today + timedelta(days=NEAR_DAYS))
    if due == "today":
        return running & Q(target_due_on=today)
    return running


def claim_list_running() -> QuerySet[Claim]:
    """The claims on the clock in scope, the nearest target date first (the deadlines page)."""
    return (
        Claim.objects.filter(status__in=CLOCK_RUNNING)
        .select_related("org", "review_office", "period__plan")
        .order_by("target_due_on", "pk")
    )


def claim_list_payable(*, office: Organisation) -> QuerySet[Claim]:
    """The approved claims the office pays, whoever reviewed them."""
    return (
        Claim.objects.filter(pay_office=office, status=ClaimStatus.APPROVED)
        .select_related("org", "period__plan", "review_office")
        .order_by("approved_at")
    )


# Deadlines and the office's calendar ------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineSummary:
    office: Organisation
    running: int
    overdue: int
    past_limit: int
    due_soon: int


def deadline_summary(*, office: Organisation, today: date | None = None) -> DeadlineSummary:
    """The clock of the claims waiting at `office` (under its review, or approved for it to pay);
    for a unit or an agent point, which review and pay none, the clock of the claims of its members
    (its tree, whoever reviews them), as its list shows."""
    today = today or dates.business_today()
    running = Claim.objects.filter(status__in=CLOCK_RUNNING)
    if office.kind not in {OrgKind.UNIT, OrgKind.COUNTY}:
        running = running.filter(claim_waits_at(office.pk))
    return DeadlineSummary(
        office=office,
        running=running.count(),
        overdue=running.filter(target_due_on__lt=today).count(),
        past_limit=running.filter(limit_due_on__lt=today).count(),
        due_soon=running.filter(target_due_on__gte=today, target_due_on__lte=today).count(),
    )


class OfficeDeadlines(TypedDict):
    office_id: int
    office_name: str
    running: int
    overdue: int
    past_limit: int


def deadline_list_by_office() -> list[OfficeDeadlines]:
    """Every office in scope where claims wait (under review at the reviewing office, approved at
    the paying office) with its running, overdue and past-limit claims: one grouped query, for the
    offices above that watch their cities."""
    today = dates.business_today()
    paying = Q(status__in=PAYMENT_STATUSES)
    return list(
        Claim.objects.filter(status__in=CLOCK_RUNNING)
        .annotate(
            office_id=Case(When(paying, then=F("pay_office_id")), default=F("review_office_id")),
            office_name=Case(When(paying, then=F("pay_office__name")), default=F("review_office__name")),
        )
        .values("office_id", "office_name")
        .annotate(
            running=Count("pk"),
            overdue=Count("pk", filter=Q(target_due_on__lt=today)),
            past_limit=Count("pk", filter=Q(limit_due_on__lt=today)),
        )
        .order_by("-overdue", "office_name")
    )


def office_calendar(*, office: Organisation) -> WorkdayCalendar:
    """The statutory calendar plus the days declared by the office and the offices above it."""
    with unscoped():  # the days the offices above declared lie outside the caller's subtree
        days = list(OfficeDay.objects.filter(org_id__in=office.ancestor_ids()).values_list("day", "is_workday"))
    return WorkdayCalendar(closed=[d for d, open_ in days if not open_], open_days=[d for d, open_ in days if open_])


def office_day_list(*, office: Organisation) -> QuerySet[OfficeDay]:
    """The days the office itself declared (those of the offices above are theirs to change)."""
    return OfficeDay.objects.filter(org=office)


# Payment batches --------------------------------------------------------------------------------


class BatchFigures(TypedDict):
    """What `batch_list` adds to each batch."""

    paid_on: date | None
    awaiting: int


def batch_list() -> QuerySet[WithAnnotations[PaymentBatch, BatchFigures]]:
    """The batches of the caller's tree, newest first, each with `paid_on`: the day its claims
    were paid, or None while they await payment (the payment itself is finance's)."""
    return (
        PaymentBatch.objects.select_related("org", "created_by")
        .annotate(
            paid_on=Max("claims__paid_on"), awaiting=Count("claims", filter=Q(claims__status=ClaimStatus.IN_BATCH))
        )
        .order_by("-created_at")
    )


# Benefit schedules ------------------------------------------------------------------------------


def period_schedule(*, period: Period, unit: Organisation) -> BenefitSchedule:
    """The period's schedule, which must belong to an office above the member's unit; refused
    with what to do when there is none."""
    with unscoped():  # the schedule is kept by the office that runs the plan, above the member's unit
        schedule = BenefitSchedule.objects.filter(period=period).first()
    if schedule is None:
        raise ValidationError(
            _("No benefit schedule has been entered for %(period)s yet: ask %(office)s to enter it, then register.")
            % {"period": period, "office": period.plan.org.name}
        )
    if schedule.org_id not in unit.ancestor_ids():
        raise ValidationError(
            _("This schedule belongs to another province's plan and cannot pay this member: choose the member's plan.")
        )
    return schedule


def schedule_list(*, org: Organisation) -> list[tuple[Period, BenefitSchedule | None]]:
    """Every period offered to the office's tree with its schedule (or None), for the schedules
    page: an office sees the rules of the plans it runs, of those offered from above, and (as an
    ancestor reads its descendants) of those its offices below run."""
    periods = period_list_offered(org=org)
    own = list(Period.objects.filter(org_path__startswith=org.path).select_related("plan"))
    with unscoped():  # the schedules of periods offered from above are kept by the offices above
        schedules = {s.period_id: s for s in BenefitSchedule.objects.filter(period__in=[*periods, *own])}
    merged = {p.pk: p for p in [*periods, *own]}
    return [(p, schedules.get(p.pk)) for p in sorted(merged.values(), key=lambda p: (p.plan.name, p.starts_on))]


def schedule_rows(*, org: Organisation) -> tuple[QuerySet[Period], dict[int, BenefitSchedule]]:
    """schedule_list as rows to sort, filter and page, and the schedule of each period by its id."""
    found = schedule_list(org=org)
    rows = (
        Period.objects.with_scopes_disabled()  # the ids come from schedule_list: offered to the office or its own
        .filter(pk__in=[period.pk for period, _schedule in found])
        .select_related("plan__org")
        .order_by("plan__name", "starts_on", "pk")
    )
    return rows, {period.pk: schedule for period, schedule in found if schedule is not None}


def schedule_period_get(*, org: Organisation, pk: int) -> Period:
    """A period whose schedule the office may read: one of its own plans or offered to it."""
    for period, _schedule in schedule_list(org=org):
        if period.pk == pk:
            return period
    raise Period.DoesNotExist


# Who may decide a claim's level (small offices) ------------------------------------------------


def _deciders(office: Organisation) -> list[User]:
    """The office's active people who hold a review role, for the hand-offs."""
    return _deciders_of(office.pk)


def _deciders_of(office_id: int) -> list[User]:
    review_roles = {role for _level, perm in REVIEW_LEVELS.values() for role in roles_holding(perm)}
    return list(
        User.objects.filter(org_id=office_id, is_active=True, roles__overlap=sorted(review_roles)).order_by(
            "display_name", "username"
        )
    )


def _candidates(claim: Claim, steps: list[ClaimStep], deciders: list[User], status: str = "") -> list[User]:
    waiting = REVIEW_LEVELS.get(status or claim.status)
    if waiting is None:
        return []
    level, perm = waiting
    barred = barred_from_level(steps, level, round_start_in(steps))
    roles = roles_holding(perm)
    return [user for user in deciders if roles.intersection(user.roles) and user.pk not in barred]


def level_candidates(*, claim: Claim, status: str = "") -> list[User]:
    """The people of the reviewing office who may decide the level the claim waits at (or the
    level of `status`): they hold the level's role and did not act on the claim at another level
    (one person, one level)."""
    steps = list(claim.steps.order_by("pk"))
    return _candidates(claim, steps, _deciders(claim.review_office), status)


@dataclass(frozen=True)
class HandOff:
    """What a claim's page offers the office head or the supervisor for the level it waits at."""

    allowed: bool  # the reader may hand the level on
    candidates: list[User]  # the people it may be handed to
    may_override: bool  # nobody may decide it, and the reader is an office head


def claim_handoff(*, claim: Claim, actor: User) -> HandOff:
    if claim.status not in REVIEW_LEVELS or not actor.has_perm("claims.assign"):
        return HandOff(allowed=False, candidates=[], may_override=False)
    if actor.org_id != claim.review_office_id:
        # The office above overrides a level the reviewing office's own heads may not decide.
        escalated = actor.org_id == claim.review_office.parent_id and not level_candidates(claim=claim)
        may = escalated and actor.has_perm("claims.override") and claim_override_office_id(claim=claim) == actor.org_id
        return HandOff(allowed=may, candidates=[], may_override=may)
    candidates = level_candidates(claim=claim)
    return HandOff(
        allowed=True, candidates=candidates, may_override=not candidates and actor.has_perm("claims.override")
    )


def _overriders(offices: list[int]) -> dict[int, list[User]]:
    """The active people of these offices who may override (the office heads)."""
    found: dict[int, list[User]] = {pk: [] for pk in offices}
    roles = sorted(roles_holding("claims.override"))
    for user in User.objects.filter(org_id__in=offices, is_active=True, roles__overlap=roles).order_by("pk"):
        found[user.org_id].append(user)  # type: ignore[index]
    return found


def _override_office_id(claim: Claim, steps: list[ClaimStep], overriders: list[User]) -> int:
    """Where the override of the level a claim waits at is made: its reviewing office, unless
    every office head there acted on the claim at another level (the head registered it, say);
    then the office directly above, so that the claim always has a way out."""
    level = REVIEW_LEVELS[claim.status][0]
    barred = barred_from_level(steps, level, round_start_in(steps))
    parent = claim.review_office.parent_id
    if parent is None or any(user.pk not in barred for user in overriders):
        return claim.review_office_id
    return parent


def claim_override_office_id(*, claim: Claim) -> int:
    """The office whose head may override the level the claim waits at (`_override_office_id`)."""
    steps = list(claim.steps.order_by("pk"))
    return _override_office_id(claim, steps, _overriders([claim.review_office_id])[claim.review_office_id])


def claim_list_nobody_can_take(*, office: Organisation, limit: int = 500) -> list[Claim]:
    """The office's claims waiting at a level that nobody who holds its role may decide (the
    registrar was the only one, say): for the office head, who hands the level on or decides it;
    and the claims of the offices directly below whose own heads may not override them (escalated
    here, `_override_office_id`). A few queries, whatever the number of claims."""
    waiting = list(REVIEW_LEVELS)
    claims = list(
        Claim.objects.filter(Q(review_office=office) | Q(review_office__parent=office), status__in=waiting)
        .select_related("org", "period__plan", "assignee", "review_office")
        .order_by("registered_at", "pk")[:limit]
    )
    steps: dict[int, list[ClaimStep]] = {claim.pk: [] for claim in claims}
    for step in ClaimStep.objects.filter(claim__in=claims).order_by("pk"):
        steps[step.claim_id].append(step)
    offices = sorted({claim.review_office_id for claim in claims})
    deciders = {pk: _deciders_of(pk) for pk in offices} if offices else {}
    overriders = _overriders(offices)
    stuck = []
    for claim in claims:
        if _candidates(claim, steps[claim.pk], deciders[claim.review_office_id]):
            continue
        escalated = claim.review_office_id != office.pk
        if escalated and _override_office_id(claim, steps[claim.pk], overriders[claim.review_office_id]) != office.pk:
            continue
        claim.escalated = escalated  # type: ignore[attr-defined] # for the page and the API
        stuck.append(claim)
    return stuck


def claim_rows_nobody_can_take(*, office: Organisation) -> QuerySet[Claim]:
    """claim_list_nobody_can_take as rows to sort, filter and page, each with `escalated`."""
    ids = [claim.pk for claim in claim_list_nobody_can_take(office=office)]
    return (
        Claim.objects.filter(pk__in=ids)
        .annotate(escalated=ExpressionWrapper(~Q(review_office_id=office.pk), output_field=BooleanField()))
        .select_related("org", "period__plan", "assignee", "review_office")
        .order_by("registered_at", "pk")
    )


def office_people(*, office: Organisation, role: str) -> list[User]:
    """The office's active people who hold the role (the office heads a warning names)."""
    return list(User.objects.filter(org=office, is_active=True, roles__contains=[role]).order_by("pk"))


# Oversight: hospital checks and re-checks of paid claims ---------------------------------------


def claim_hospital_checks(*, claim: Claim) -> list[HospitalCheck]:
    return list(HospitalCheck.objects.filter(claim=claim).select_related("recorded_by").prefetch_related("documents"))


def check_document_content(*, document: HospitalCheckDocument) -> bytes:
    """A scan from a hospital check as it was uploaded (stored encrypted)."""
    with document.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())


def recheck_offices(*, office: Organisation) -> list[Organisation]:
    """The offices below `office` whose paid claims it may re-check (not units: they pay nothing)."""
    return list(
        Organisation.objects.filter(path__startswith=office.path, is_active=True)
        .exclude(pk=office.pk)
        .exclude(kind=OrgKind.UNIT)
        .order_by("path")
    )


def recheck_list() -> QuerySet[Any]:
    """The re-checks in scope, with how many claims each holds and how many are reviewed."""
    return Recheck.objects.select_related("drawn_by_office", "target", "drawn_by").annotate(
        claim_count=Count("items"),
        reviewed=Count("items", filter=~Q(items__finding=RecheckFinding.PENDING)),
        overpaid_total=Sum("items__overpaid"),
    )


def recheck_items(*, recheck: Recheck) -> QuerySet[RecheckItem]:
    return recheck.items.select_related("claim__org", "claim__review_office", "reviewed_by").order_by(
        "claim__paid_on", "claim__number"
    )


def claim_recheck_items(*, claim: Claim) -> list[RecheckItem]:
    """The re-checks that sampled this claim, as far as the reader's scope holds them."""
    return list(RecheckItem.objects.filter(claim=claim).select_related("recheck__drawn_by_office", "reviewed_by"))

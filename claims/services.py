"""Writes of claims: registration with documents, the calculation, review, payment.

A claim moves incomplete → first_review → second_review → final_review (→ leader_review for a
large claim) → approved → in_batch → paid, or to rejected from any review level; a reviewer may
also return it to incomplete for more documents. Every move happens under a row lock on the
claim and only from the version the reviewer saw, so of two reviewers acting at the same moment
one wins and the other is told; nothing is applied twice. The person who acted at one level of a
claim (registration included) may act at no other level of it.

The working-day clock starts when the last required document is in, and stops at payment.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import rules
from claims.events import ClaimsBatchExporting, ClaimsBatchPaid
from claims.models import (
    BatchStatus,
    BenefitSchedule,
    CallbackOutcome,
    CareType,
    Claim,
    ClaimDocument,
    ClaimInvoice,
    ClaimSettings,
    ClaimStatus,
    ClaimStep,
    DocumentKind,
    Level,
    OfficeDay,
    PaymentBatch,
    StepAction,
)
from claims.workdays import WorkdayCalendar
from enrollment.models import Enrollment, EnrollmentStatus, Period
from mutualaid import dates, events, notify, pii
from mutualaid.audit import records_refusals
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped

# The review levels in order, the status a claim waits in at each, and who may act there.
REVIEW_LEVELS: dict[str, tuple[str, str]] = {
    ClaimStatus.FIRST_REVIEW: (Level.FIRST, "claims.review_first"),
    ClaimStatus.SECOND_REVIEW: (Level.SECOND, "claims.review_second"),
    ClaimStatus.FINAL_REVIEW: (Level.FINAL, "claims.review_final"),
    ClaimStatus.LEADER_REVIEW: (Level.LEADER, "claims.review_leader"),
}
NEXT_STATUS = {
    ClaimStatus.FIRST_REVIEW: ClaimStatus.SECOND_REVIEW,
    ClaimStatus.SECOND_REVIEW: ClaimStatus.FINAL_REVIEW,
    ClaimStatus.LEADER_REVIEW: ClaimStatus.APPROVED,
}
# Before approval the figures may change and the payout is recomputed; after it, never.
OPEN_STATUSES = frozenset({ClaimStatus.INCOMPLETE, *REVIEW_LEVELS})
# Claims that count against the member's cap and claim limit in the period.
ACCEPTED_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.IN_BATCH, ClaimStatus.PAID)

# The documents without which a claim cannot be reviewed, by kind of care.
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    CareType.INPATIENT: (DocumentKind.DISCHARGE, DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.RADIOTHERAPY: (DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.CHEMOTHERAPY: (DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.DIALYSIS: (DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.CRITICAL_ILLNESS: (DocumentKind.DIAGNOSIS,),
    CareType.DEATH: (DocumentKind.DEATH,),
}
MEDICAL_CARE = frozenset({CareType.INPATIENT, CareType.RADIOTHERAPY, CareType.CHEMOTHERAPY, CareType.DIALYSIS})

# What a scanned document may be, recognised by its first bytes rather than its name.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
SETTLEMENT_FIELDS = ("total_cost", "insurance_paid", "deductible_part", "self_paid", "not_covered")


# Settings, calendar, schedule --------------------------------------------------------------


def calendar_for(office: Organisation) -> WorkdayCalendar:
    """The statutory calendar plus the days declared by the office and the offices above it."""
    with unscoped():
        days = list(OfficeDay.objects.filter(org_id__in=office.ancestor_ids()).values_list("day", "is_workday"))
    return WorkdayCalendar(closed=[d for d, open_ in days if not open_], open_days=[d for d, open_ in days if open_])


def review_office_for(enrollment: Enrollment) -> Organisation:
    """The office that reviews and pays a claim, by the plan's routing: the city (or industry
    branch) above the member's unit, or the office that runs the plan."""
    plan = enrollment.period.plan
    if plan.claims_reviewed_by == "city":
        with unscoped():
            offices = Organisation.objects.filter(
                pk__in=enrollment.org.ancestor_ids(), kind__in=[OrgKind.CITY, OrgKind.INDUSTRY]
            ).order_by("-depth")
            office = offices.first()
        if office is not None:
            return office
    return plan.org


def schedule_for(period: Period, unit: Organisation) -> BenefitSchedule:
    """The period's schedule, which must belong to an office above the member's unit."""
    with unscoped():
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


@transaction.atomic
def schedule_save(*, actor: User, period: Period, rules_data: dict[str, Any]) -> BenefitSchedule:
    """Validate and store a period's rules; refused once a claim has been paid under them."""
    require_permission(actor, "plans.manage")
    if period.plan.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that runs the plan sets its benefit schedule."))
    try:
        parsed = rules.Schedule.from_dict(rules_data)
    except rules.ScheduleError as error:
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


# Documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A scanned document as checked, before anything is stored."""

    kind: str
    name: str
    data: bytes
    content_type: str


def check_document(*, kind: str, upload: UploadedFile) -> Upload:
    """Refuse anything but a PDF, JPG or PNG scan within the size limit, recognised by content."""
    name = upload.name or "?"
    if kind not in DocumentKind.values:
        raise ValidationError(_("Document “%(name)s”: choose what kind of document it is.") % {"name": name})
    limit = settings.CLAIM_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("Document “%(name)s” is %(size)s MB; the limit is %(limit)s MB: scan it at a lower resolution.")
            % {"name": name, "size": f"{upload.size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"}
        )
    data = upload.read()
    if not data:
        raise ValidationError(_("Document “%(name)s” is empty: scan it again.") % {"name": name})
    content_type = next((ctype for magic, ctype in _SIGNATURES if data.startswith(magic)), None)
    if content_type is None or (content_type != "application/pdf" and not _image_opens(data)):
        raise ValidationError(
            _("Document “%(name)s” is not a PDF, JPG or PNG scan: scan it again as one of these.") % {"name": name}
        )
    return Upload(kind=kind, name=name[:200], data=data, content_type=content_type)


def _image_opens(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True


def _store_documents(claim: Claim, uploads: Iterable[Upload], actor: User) -> None:
    for upload in uploads:
        document = ClaimDocument(
            org=claim.org,
            claim=claim,
            kind=upload.kind,
            original_name=upload.name,
            content_type=upload.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            uploaded_by=actor,
        )
        document.file.save(f"{claim.number}-{upload.kind}.bin", ContentFile(pii.encrypt_bytes(upload.data)), save=False)
        document.save()


def document_content(document: ClaimDocument) -> bytes:
    with document.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())


def missing_documents(claim: Claim) -> list[str]:
    present = set(claim.documents.values_list("kind", flat=True))
    return [kind for kind in REQUIRED_DOCUMENTS[claim.care_type] if kind not in present]


def _start_clock_if_complete(claim: Claim) -> None:
    """Documents complete: the claim goes to first review and the working-day clock starts."""
    if claim.status != ClaimStatus.INCOMPLETE or missing_documents(claim):
        return
    rules = office_settings(ClaimSettings, claim.review_office)
    calendar = calendar_for(claim.review_office)
    today = dates.business_today()
    claim.status = ClaimStatus.FIRST_REVIEW
    claim.documents_complete_on = today
    claim.target_due_on = calendar.add(today, rules.target_days)
    claim.limit_due_on = calendar.add(today, rules.limit_days)


# The claim's figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What the window types in from the member's papers."""

    care_type: str
    admitted_on: date
    discharged_on: date | None
    hospital: str
    diagnosis: str
    total_cost: Decimal
    insurance_paid: Decimal
    deductible_part: Decimal
    self_paid: Decimal
    not_covered: Decimal
    invoices: Sequence[str] = ()
    member_category: str = ""
    severity: str = ""
    illness_days: int = 0


@dataclass(frozen=True)
class Payee:
    name: str
    bank_name: str
    account_number: str


def _check_figures(figures: Figures, enrollment: Enrollment) -> list[str]:
    """Everything wrong with the figures at once, each naming the field and what to do; returns
    the cleaned invoice numbers."""
    errors: dict[str, str] = {}
    if figures.care_type not in CareType.values:
        errors["care_type"] = _("Choose the kind of care.")
    today = dates.business_today()
    if figures.admitted_on > today:
        errors["admitted_on"] = _("The admission date %(date)s is in the future: check the discharge record.") % {
            "date": figures.admitted_on
        }
    elif not enrollment.starts_on <= figures.admitted_on <= enrollment.ends_on:
        errors["admitted_on"] = _(
            "The admission date %(date)s is outside the member's coverage (%(start)s to %(end)s): "
            "check the date or choose the enrollment that covers it."
        ) % {"date": figures.admitted_on, "start": enrollment.starts_on, "end": enrollment.ends_on}
    if enrollment.status == EnrollmentStatus.CANCELLED and (
        enrollment.cancelled_on is None or figures.admitted_on >= enrollment.cancelled_on
    ):
        errors["admitted_on"] = _(
            "The member's enrollment was cancelled on %(date)s (%(reason)s); care from that day on is not covered."
        ) % {"date": enrollment.cancelled_on, "reason": enrollment.cancel_reason}
    if figures.care_type == CareType.INPATIENT and figures.discharged_on is None:
        errors["discharged_on"] = _("Enter the discharge date of the hospital stay.")
    if figures.discharged_on is not None:
        if figures.discharged_on < figures.admitted_on:
            errors["discharged_on"] = _(
                "The discharge date %(discharged)s is before the admission date %(admitted)s: check both dates."
            ) % {"discharged": figures.discharged_on, "admitted": figures.admitted_on}
        elif figures.discharged_on > today:
            errors["discharged_on"] = _("The discharge date is in the future: register the claim after discharge.")
    if not figures.hospital.strip():
        errors["hospital"] = _("Enter the hospital.")
    if not figures.diagnosis.strip():
        errors["diagnosis"] = _("Enter the diagnosis from the discharge record.")
    for name in SETTLEMENT_FIELDS:
        value = getattr(figures, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            errors[name] = _("Enter an amount of 0 or more, as printed on the settlement statement.")
        elif value != value.quantize(Decimal("0.01")):
            errors[name] = _("Enter the amount in yuan with at most two decimals (fen).")
    if not any(name in errors for name in SETTLEMENT_FIELDS):
        parts = figures.insurance_paid + figures.deductible_part + figures.self_paid + figures.not_covered
        if parts != figures.total_cost:
            errors["total_cost"] = _(
                "The parts add up to %(parts)s yuan but the total is %(total)s yuan (a difference of %(diff)s): "
                "copy the figures again from the settlement statement."
            ) % {"parts": parts, "total": figures.total_cost, "diff": figures.total_cost - parts}
    invoices = [number.strip() for number in figures.invoices if number.strip()]
    if figures.care_type in MEDICAL_CARE and not invoices:
        errors["invoices"] = _("Enter the invoice numbers of the hospital bills, one per line.")
    elif len(set(invoices)) != len(invoices):
        errors["invoices"] = _("An invoice number is entered twice: enter each invoice once.")
    elif any(len(number) > 40 for number in invoices):
        errors["invoices"] = _("An invoice number is longer than 40 characters: check it.")
    if figures.illness_days < 0:
        errors["illness_days"] = _("Enter 0 or more days.")
    if errors:
        raise ValidationError(errors)
    return invoices


def _check_payee(payee: Payee) -> str:
    errors = {}
    account = payee.account_number.replace(" ", "")
    if not payee.name.strip():
        errors["payee_name"] = _("Enter the name of the account holder.")
    if not payee.bank_name.strip():
        errors["bank_name"] = _("Enter the bank and branch of the account.")
    if not (account.isdigit() and 8 <= len(account) <= 30):
        errors["account_number"] = _("The account number must be 8 to 30 digits: copy it from the bank card.")
    if errors:
        raise ValidationError(errors)
    return account


def _mask_account(account: str) -> str:
    return account[:4] + "*" * (len(account) - 8) + account[-4:]


def _next_number(sequence: str, prefix: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (value,) = cursor.fetchone()
    return f"{prefix}{dates.business_today():%Y}{value:07d}"


def _lock_person(claim: Claim) -> None:
    """Serialise what depends on one person's other claims (caps, limits, invoice re-use) for the
    rest of the transaction, across every office of the province."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"claims-person:{claim.id_hash.hex()}"]
        )


def _lock_invoices(province_id: int, numbers: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for number in sorted(numbers):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"invoice:{province_id}:{number}"])


# Calculation and flags ---------------------------------------------------------------------


def _others(claim: Claim) -> Any:
    """The same person's other claims in the province, whichever office holds them: only counts
    and sums leave this function, never another office's rows."""
    return Claim.objects.filter(province_id=claim.province_id, id_hash=claim.id_hash).exclude(pk=claim.pk)


def _membership_year(claim: Claim) -> int:
    """How many periods of this plan, up to this one, the person has been enrolled in."""
    with unscoped():
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


def calculate(claim: Claim) -> rules.Result:
    """Apply the period's schedule to the claim, with what the member was paid before."""
    schedule_row = schedule_for(claim.period, claim.org)
    schedule = rules.Schedule.from_dict(schedule_row.rules)
    with unscoped():
        same_period = _others(claim).filter(period=claim.period)
        accepted = same_period.filter(status__in=ACCEPTED_STATUSES).aggregate(
            paid=Sum("payout"), count=Count("pk"), self_paid=Sum("self_paid")
        )
        earlier = (
            same_period.exclude(status=ClaimStatus.REJECTED)
            .filter(Q(admitted_on__lt=claim.admitted_on) | Q(admitted_on=claim.admitted_on, pk__lt=claim.pk or 0))
            .count()
        )
    facts = rules.Claim(
        self_paid=claim.self_paid,
        deductible_part=claim.deductible_part,
        days_in_hospital=claim.days_in_hospital,
        shares=claim.enrollment.shares,
        membership_year=_membership_year(claim),
        paid_before_in_period=accepted["paid"] or Decimal(0),
        claims_before_in_period=accepted["count"],
        self_paid_before_in_period=accepted["self_paid"] or Decimal(0),
        care_type=claim.care_type,
        days_since_cover_start=(claim.admitted_on - claim.enrollment.starts_on).days,
        admission_order=earlier + 1,
        member_category=claim.member_category,
        severity=claim.severity,
        illness_days=claim.illness_days,
    )
    result = rules.calculate(schedule, facts)
    claim.payout = result.payout
    claim.calculation = [{"label": line.label, "amount": str(line.amount)} for line in result.lines]
    claim.cap_left_after = result.cap_left_after
    claim.refused_reason = result.refused_reason or ""
    claim.schedule_version = schedule_row.version
    return result


def _flag(code: str, message: str, *, blocking: bool = False) -> dict[str, Any]:
    return {"code": code, "message": message, "blocking": blocking}


def flags_for(claim: Claim, invoices: Sequence[str]) -> list[dict[str, Any]]:
    """The abnormal-claim signs a reviewer must look at; a re-used invoice blocks the claim.

    The other claims are searched across the province, but a flag names one only when it lies in
    the reviewing office's tree; otherwise it says "another office", so no office learns another
    office's claim numbers from a flag.
    """
    rules = office_settings(ClaimSettings, claim.review_office)
    found = []
    tree = claim.review_office.path

    def named(other_number: str, other_path: str) -> str:
        return other_number if other_path.startswith(tree) else _("a claim of another office")

    with unscoped():
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
        overlapping = list(
            live.filter(admitted_on__lte=end)
            .filter(
                Q(discharged_on__gte=claim.admitted_on)
                | Q(discharged_on__isnull=True, admitted_on__gte=claim.admitted_on)
            )
            .values_list("number", "org_path")
        )
    overlapping = [named(number, path) for number, path in overlapping]
    days_covered = (claim.admitted_on - claim.enrollment.starts_on).days
    if days_covered < rules.early_claim_days:
        found.append(
            _flag(
                "early_claim",
                _("Admitted %(days)s days after the coverage started (flagged under %(limit)s days).")
                % {"days": days_covered, "limit": rules.early_claim_days},
            )
        )
    if in_period > rules.claims_per_member:
        found.append(
            _flag(
                "many_claims",
                _("This is the member's claim no. %(count)s in the period (flagged above %(limit)s).")
                % {"count": in_period, "limit": rules.claims_per_member},
            )
        )
    if claim.payout > rules.large_amount:
        found.append(
            _flag(
                "large_amount",
                _("The payout of %(amount)s yuan is above %(limit)s yuan.")
                % {"amount": claim.payout, "limit": rules.large_amount},
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


def _refresh(claim: Claim) -> None:
    """Recompute the payout and the flags from the claim's current figures."""
    calculate(claim)
    claim.flags = flags_for(claim, list(claim.invoices.values_list("number", flat=True)))


def _step(claim: Claim, *, level: str, action: str, actor: User, note: str = "") -> None:
    ClaimStep.objects.create(org=claim.org, claim=claim, level=level, action=action, actor=actor, note=note[:300])


def _set_invoices(claim: Claim, invoices: Sequence[str]) -> None:
    claim.invoices.all().delete()
    ClaimInvoice.objects.bulk_create(
        ClaimInvoice(org=claim.org, org_path=claim.org_path, claim=claim, province_id=claim.province_id, number=n)
        for n in invoices
    )


# Registration ------------------------------------------------------------------------------


@transaction.atomic
def claim_register(
    *, actor: User, enrollment: Enrollment, figures: Figures, payee: Payee, documents: Sequence[Upload] = ()
) -> Claim:
    """Register a claim for an enrolled member, with whatever documents are at hand; checked in
    full before anything is stored, so a refused claim leaves nothing behind."""
    require_permission(actor, "claims.register")
    invoices = _check_figures(figures, enrollment)
    account = _check_payee(payee)
    schedule_for(enrollment.period, enrollment.org)
    claim = Claim(
        org=enrollment.org,
        province_id=enrollment.province_id,
        enrollment=enrollment,
        period=enrollment.period,
        review_office=review_office_for(enrollment),
        id_hash=bytes(enrollment.id_hash),
        name=enrollment.name,
        id_masked=enrollment.id_masked,
        care_type=figures.care_type,
        admitted_on=figures.admitted_on,
        discharged_on=figures.discharged_on,
        hospital=figures.hospital.strip()[:100],
        diagnosis_cipher=pii.encrypt(figures.diagnosis.strip()),
        member_category=figures.member_category.strip(),
        severity=figures.severity.strip(),
        illness_days=figures.illness_days,
        payee_name=payee.name.strip()[:50],
        bank_name=payee.bank_name.strip()[:60],
        account_cipher=pii.encrypt(account),
        account_masked=_mask_account(account),
        registered_by=actor,
        **{name: getattr(figures, name) for name in SETTLEMENT_FIELDS},
    )
    _lock_person(claim)
    _lock_invoices(claim.province_id, invoices)
    claim.number = _next_number("claims_claim_number_seq", "LP")
    claim.save()
    _set_invoices(claim, invoices)
    _store_documents(claim, documents, actor)
    _step(claim, level=Level.INTAKE, action=StepAction.REGISTER, actor=actor)
    _refresh(claim)
    _start_clock_if_complete(claim)
    claim.save()
    return claim


def _lock(claim: Claim, version: int | None) -> Claim:
    locked = (
        Claim.objects.select_for_update().select_related("review_office", "period__plan", "enrollment").get(pk=claim.pk)
    )
    if version is not None and locked.version != version:
        raise ValidationError(
            _(
                "Someone else changed claim %(number)s a moment ago (it is now: %(status)s); nothing was applied. "
                "Reload the page and check it again."
            )
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    return locked


def _acting_level(actor: User, claim: Claim) -> str:
    """The level at which the actor changes a claim before approval: the review level it waits at
    if they review there, otherwise intake."""
    level_perm = REVIEW_LEVELS.get(claim.status)
    if level_perm and actor.has_perm(level_perm[1]) and actor.org_id == claim.review_office_id:
        return level_perm[0]
    require_permission(actor, "claims.register")
    return Level.INTAKE


def _check_one_level(actor: User, claim: Claim, level: str) -> None:
    other = ClaimStep.objects.filter(claim=claim, actor=actor).exclude(level=level).exclude(level=Level.PAYMENT)
    earlier = other.first()
    if earlier is not None:
        raise PermissionDenied(
            _(
                "You already acted on this claim at the level “%(level)s”; one person may act at one level only. "
                "Another colleague must do this."
            )
            % {"level": earlier.get_level_display()}
        )


@transaction.atomic
def claim_add_documents(*, actor: User, claim: Claim, documents: Sequence[Upload]) -> Claim:
    if not documents:
        raise ValidationError({"documents": _("Choose at least one scanned document to add.")})
    locked = _lock(claim, None)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(_("Documents can be added until the claim is approved."))
    level = _acting_level(actor, locked)
    _check_one_level(actor, locked, level)
    _store_documents(locked, documents, actor)
    names = ", ".join(str(DocumentKind(d.kind).label) for d in documents)
    _step(locked, level=level, action=StepAction.DOCUMENTS, actor=actor, note=names)
    _start_clock_if_complete(locked)
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def claim_amend(*, actor: User, claim: Claim, version: int, figures: Figures, note: str = "") -> Claim:
    """Correct the figures before approval; the payout and the flags are computed again."""
    locked = _lock(claim, version)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(_("The claim is approved; its figures can no longer change."))
    level = _acting_level(actor, locked)
    _check_one_level(actor, locked, level)
    invoices = _check_figures(figures, locked.enrollment)
    _lock_person(locked)
    _lock_invoices(locked.province_id, invoices)
    before = locked.payout
    for name in (*SETTLEMENT_FIELDS, "care_type", "admitted_on", "discharged_on", "member_category", "severity"):
        setattr(locked, name, getattr(figures, name))
    locked.hospital = figures.hospital.strip()[:100]
    locked.diagnosis_cipher = pii.encrypt(figures.diagnosis.strip())
    locked.illness_days = figures.illness_days
    _set_invoices(locked, invoices)
    _refresh(locked)
    text = _("Payout %(before)s → %(after)s yuan") % {"before": before, "after": locked.payout}
    _step(locked, level=level, action=StepAction.AMEND, actor=actor, note=f"{text}. {note}".strip())
    locked.version += 1
    locked.save()
    return locked


# Review ------------------------------------------------------------------------------------


@records_refusals("claims.review", target="claim")
@transaction.atomic
def claim_review(*, actor: User, claim: Claim, version: int, action: str, reason: str = "") -> Claim:
    """Pass, return or reject the claim at the level it waits at."""
    locked = _lock(claim, version)
    if locked.status not in REVIEW_LEVELS:
        raise ValidationError(
            _("Claim %(number)s is not waiting for review (it is: %(status)s).")
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    level, perm = REVIEW_LEVELS[locked.status]
    require_permission(actor, perm)
    if actor.org_id != locked.review_office_id:
        raise PermissionDenied(
            _("Claims of this plan are reviewed by %(office)s.") % {"office": locked.review_office.name}
        )
    _check_one_level(actor, locked, level)
    reason = reason.strip()
    if action == "pass":
        _pass(locked)
    elif action in ("return", "reject"):
        if not reason:
            raise ValidationError({"reason": _("Write the reason; the member will read it.")})
        locked.reason = reason[:300]
        if action == "return":
            locked.status = ClaimStatus.INCOMPLETE
            locked.documents_complete_on = locked.target_due_on = locked.limit_due_on = None
        else:
            locked.status = ClaimStatus.REJECTED
    else:
        raise ValidationError(_("Unknown action: pass, return or reject."))
    step_action = {"pass": StepAction.PASS, "return": StepAction.RETURN, "reject": StepAction.REJECT}[action]
    _step(locked, level=level, action=step_action, actor=actor, note=reason)
    locked.version += 1
    locked.save()
    return locked


def _pass(claim: Claim) -> None:
    # The caps and the claim limit depend on the member's other claims: serialise with them and
    # compute once more, so that two claims approved at once cannot both use the same room.
    _lock_person(claim)
    _refresh(claim)
    if claim.blocking_flags:
        raise ValidationError(
            _("The claim is blocked: %(reasons)s Reject it, or return it to have the figures corrected.")
            % {"reasons": " ".join(flag["message"] for flag in claim.blocking_flags)}
        )
    if claim.status in (ClaimStatus.FINAL_REVIEW, ClaimStatus.LEADER_REVIEW) and claim.payout <= 0:
        raise ValidationError(
            _("The calculation pays nothing (%(reason)s): reject the claim with the reason.")
            % {"reason": claim.refused_reason or _("no amount under the rules")}
        )
    if claim.status == ClaimStatus.FINAL_REVIEW:
        threshold = claim.period.plan.large_claim_amount
        claim.needs_leader = threshold is not None and claim.payout >= threshold
        claim.status = ClaimStatus.LEADER_REVIEW if claim.needs_leader else ClaimStatus.APPROVED
    else:
        claim.status = NEXT_STATUS[claim.status]
    if claim.status == ClaimStatus.APPROVED:
        claim.approved_at = timezone.now()


@transaction.atomic
def claim_callback(*, actor: User, claim: Claim, outcome: str, note: str = "") -> Claim:
    """The phone call to a paid member (回访)."""
    require_permission(actor, "claims.callback")
    locked = _lock(claim, None)
    if locked.status != ClaimStatus.PAID:
        raise ValidationError(_("A callback is recorded after the claim is paid."))
    if outcome not in CallbackOutcome.values:
        raise ValidationError({"outcome": _("Choose how the call went.")})
    locked.callback_at, locked.callback_by = timezone.now(), actor
    locked.callback_outcome, locked.callback_note = outcome, note.strip()[:300]
    _step(
        locked, level=Level.PAYMENT, action=StepAction.CALLBACK, actor=actor, note=locked.get_callback_outcome_display()
    )
    locked.save()
    return locked


def claim_diagnosis(claim: Claim) -> str:
    return pii.decrypt(claim.diagnosis_cipher)


# Payment -----------------------------------------------------------------------------------


@transaction.atomic
def batch_create(*, actor: User, claim_ids: Iterable[int]) -> PaymentBatch:
    """Gather approved claims of the actor's office into one payment batch."""
    require_permission(actor, "claims.pay")
    ids = sorted(set(claim_ids))
    if not ids:
        raise ValidationError(_("Tick the approved claims to put in the batch."))
    claims = list(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(claims) != len(ids):
        raise ValidationError(_("Some of the ticked claims are not in your office's tree: reload the page."))
    for claim in claims:
        if claim.review_office_id != actor.org_id:
            raise PermissionDenied(_("Claim %(number)s is paid by another office.") % {"number": claim.number})
        if claim.status != ClaimStatus.APPROVED:
            raise ValidationError(
                _("Claim %(number)s is no longer awaiting payment (it is: %(status)s): reload the page.")
                % {"number": claim.number, "status": claim.get_status_display()}
            )
    batch = PaymentBatch.objects.create(
        org=actor.org,
        number=_next_number("claims_batch_number_seq", "PC"),
        claim_count=len(claims),
        total=sum((c.payout for c in claims), Decimal("0.00")),
        created_by=actor,
    )
    for claim in claims:
        claim.batch, claim.status, claim.version = batch, ClaimStatus.IN_BATCH, claim.version + 1
        claim.save(update_fields=["batch", "status", "version"])
        _step(claim, level=Level.PAYMENT, action=StepAction.BATCH, actor=actor, note=batch.number)
    return batch


@transaction.atomic
def batch_export(*, actor: User, batch: PaymentBatch) -> bytes:
    """The bank-transfer workbook of the batch (full account numbers: it goes to the bank)."""
    require_permission(actor, "claims.pay")
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("The batch belongs to another office."))
    from claims.exports import transfer_workbook

    events.publish(ClaimsBatchExporting(batch=locked, actor=actor))
    data = transfer_workbook(locked, locked.claims.order_by("number"))
    if locked.status == BatchStatus.OPEN:
        locked.status = BatchStatus.EXPORTED
    locked.exported_at = timezone.now()
    locked.save()
    return data


@transaction.atomic
def batch_mark_paid(*, actor: User, batch: PaymentBatch, paid_on: date, bank_reference: str) -> PaymentBatch:
    """The bank confirmed the transfer: every claim of the batch is paid, its members notified,
    and the schedules they were paid under are frozen."""
    require_permission(actor, "claims.pay")
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("The batch belongs to another office."))
    if locked.status == BatchStatus.PAID:
        raise ValidationError(_("Batch %(number)s is already marked paid.") % {"number": locked.number})
    if locked.status != BatchStatus.EXPORTED:
        raise ValidationError(_("Download the transfer workbook and send it to the bank first."))
    if not bank_reference.strip():
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the transfer.")})
    if paid_on > dates.business_today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    locked.status, locked.paid_on, locked.confirmed_by = BatchStatus.PAID, paid_on, actor
    locked.bank_reference = bank_reference.strip()[:60]
    locked.save()
    claims = list(locked.claims.select_for_update().select_related("enrollment"))
    now = timezone.now()
    for claim in claims:
        claim.status, claim.paid_on, claim.version = ClaimStatus.PAID, paid_on, claim.version + 1
        claim.save(update_fields=["status", "paid_on", "version"])
        _step(claim, level=Level.PAYMENT, action=StepAction.PAID, actor=actor, note=locked.bank_reference)
    with unscoped():
        BenefitSchedule.objects.filter(period_id__in={c.period_id for c in claims}, frozen_at__isnull=True).update(
            frozen_at=now
        )
    # Members are told after the commit (claims.tasks.notify_members_when_paid listens).
    events.publish(ClaimsBatchPaid(batch=locked, actor=actor))
    return locked


def claims_notify_paid(*, claim_ids: list[int]) -> int:
    """Tell each member their payout; runs as a task after the commit, so a failing provider
    cannot undo a payment. Each claim is taken by a conditional update before its message goes
    out, so two runs of the task (a retry, a duplicate) never send it twice; a failed send gives
    it back for the retry. Returns how many messages were sent."""
    sent = 0
    for claim in Claim.objects.filter(pk__in=claim_ids, notified_at__isnull=True).select_related("enrollment"):
        if not Claim.objects.filter(pk=claim.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
            continue  # another run has taken it
        cipher = claim.enrollment.phone_cipher
        text = _("[Workers' mutual aid] %(name)s, your claim %(number)s has been paid: %(amount)s yuan.") % {
            "name": claim.name,
            "number": claim.number,
            "amount": claim.payout,
        }
        try:
            sent += notify.send(phone=pii.decrypt(cipher) if cipher else "", text=text, reference=claim.number)
        except Exception:
            Claim.objects.filter(pk=claim.pk).update(notified_at=None)
            raise
    return sent


# Office settings ---------------------------------------------------------------------------


@transaction.atomic
def claim_settings_save(*, actor: User, **values: Any) -> ClaimSettings:
    require_permission(actor, "claims.configure")
    office = actor.org
    if office is None or not office.is_office:
        raise PermissionDenied(_("Claims settings belong to a provincial or city office."))
    current = ClaimSettings.objects.select_for_update().filter(org=office).first() or ClaimSettings(org=office)
    for key, value in values.items():
        setattr(current, key, value)
    current.full_clean(exclude=["org_path"], validate_unique=False)
    current.save()
    _reschedule_open_claims(office)
    return current


@transaction.atomic
def office_day_set(*, actor: User, day: date, is_workday: bool, note: str = "") -> OfficeDay:
    require_permission(actor, "claims.configure")
    office = actor.org
    if office is None or not office.is_office:
        raise PermissionDenied(_("Holidays are declared by a provincial or city office."))
    entry, _created = OfficeDay.objects.update_or_create(
        org=office, day=day, defaults={"is_workday": is_workday, "note": note.strip()[:100]}
    )
    _reschedule_open_claims(office)
    return entry


@transaction.atomic
def office_day_remove(*, actor: User, day: date) -> None:
    require_permission(actor, "claims.configure")
    OfficeDay.objects.filter(org=actor.org, day=day).delete()
    _reschedule_open_claims(actor.org)


def _reschedule_open_claims(office: Organisation) -> None:
    """The due dates of claims whose clock runs follow the office's latest calendar and targets."""
    running = Claim.objects.filter(
        review_office__path__startswith=office.path, documents_complete_on__isnull=False
    ).exclude(status__in=[ClaimStatus.PAID, ClaimStatus.REJECTED])
    for claim in running.select_related("review_office"):
        reviewer = claim.review_office
        calendar, targets = calendar_for(reviewer), office_settings(ClaimSettings, reviewer)
        claim.target_due_on = calendar.add(claim.documents_complete_on, targets.target_days)
        claim.limit_due_on = calendar.add(claim.documents_complete_on, targets.limit_days)
        claim.save(update_fields=["target_due_on", "limit_due_on"])

"""Registering a claim for an enrolled member, and correcting its figures before approval.

A claim is checked in full before anything is stored, so a refused claim leaves nothing behind;
its payout and flags are computed as it is stored, and again whenever its figures change.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from claims.lifecycle import OPEN_STATUSES
from claims.models import CareType, Claim, ClaimInvoice, Level, StepAction
from claims.notices import notice_claim_registered
from claims.selectors import claim_diagnosis, claim_missing_documents, period_schedule
from claims.services._shared import (
    acting_level,
    check_one_level,
    lock_claim,
    lock_invoices,
    lock_person,
    next_number,
    record_step,
    reopen_after_change,
)
from claims.services.calculation import claim_refresh
from claims.services.documents import Upload, clock_start_if_complete, documents_store
from claims.services.figures import (
    OTHER_PAYER_FIELDS,
    SETTLEMENT_FIELDS,
    Figures,
    Payee,
    account_mask,
    figures_check,
    payee_check,
)
from enrollment.models import Enrollment
from enrollment.routing import ClaimsPaidBy, ClaimsReviewedBy
from mutualaid import pii
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.noticesend import deliver_after_commit
from mutualaid.numbers import money_text
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


def _city_above(enrollment: Enrollment) -> Organisation | None:
    """The city office (or industry branch) above the member's unit."""
    with unscoped():  # the city above the unit lies outside the scope of a unit or county agent
        return (
            Organisation.objects.filter(pk__in=enrollment.org.ancestor_ids(), kind__in=[OrgKind.CITY, OrgKind.INDUSTRY])
            .order_by("-depth")
            .first()
        )


def _offices(enrollment: Enrollment) -> tuple[Organisation, Organisation]:
    """The office that reviews a claim and the office that pays it, by the plan's routing: the
    city (or industry branch) above the member's unit, or the office that runs the plan, reviews;
    the reviewing office pays, or the city above the unit pays what the plan's office reviewed
    (seed 000: 女职工安康互助保障金由省互助会审核后划拨代办处给付参保人)."""
    plan = enrollment.period.plan
    wants_city = plan.claims_reviewed_by == ClaimsReviewedBy.CITY or plan.claims_paid_by == ClaimsPaidBy.CITY
    city = _city_above(enrollment) if wants_city else None
    review = city if city is not None and plan.claims_reviewed_by == ClaimsReviewedBy.CITY else plan.org
    pay = city if city is not None and plan.claims_paid_by == ClaimsPaidBy.CITY else review
    return review, pay


def _set_invoices(claim: Claim, invoices: Sequence[str]) -> None:
    claim.invoices.all().delete()
    ClaimInvoice.objects.bulk_create(
        ClaimInvoice(org=claim.org, org_path=claim.org_path, claim=claim, province_id=claim.province_id, number=n)
        for n in invoices
    )


@transaction.atomic
def claim_register(
    *, actor: User, enrollment: Enrollment, figures: Figures, payee: Payee, documents: Sequence[Upload] = ()
) -> Claim:
    """Register a claim for an enrolled member, with whatever documents are at hand; checked in
    full before anything is stored, so a refused claim leaves nothing behind."""
    require_permission(actor, "claims.register")
    invoices = figures_check(figures=figures, enrollment=enrollment)
    account = payee_check(payee=payee)
    period_schedule(period=enrollment.period, unit=enrollment.org)
    review_office, pay_office = _offices(enrollment)
    claim = Claim(
        org=enrollment.org,
        province_id=enrollment.province_id,
        enrollment=enrollment,
        period=enrollment.period,
        review_office=review_office,
        pay_office=pay_office,
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
        disability_grade=figures.disability_grade,
        **{name: getattr(figures, name) for name in OTHER_PAYER_FIELDS},
        payee_name=payee.name.strip()[:50],
        bank_name=payee.bank_name.strip()[:60],
        account_cipher=pii.encrypt(account),
        account_masked=account_mask(account=account),
        registered_by=actor,
        **{name: getattr(figures, name) for name in SETTLEMENT_FIELDS},
    )
    lock_person(claim)
    lock_invoices(claim.province_id, invoices)
    claim.number = next_number("claims_claim_number_seq", "LP")
    claim.save()
    _set_invoices(claim, invoices)
    documents_store(claim=claim, uploads=documents, actor=actor)
    record_step(claim, level=Level.INTAKE, action=StepAction.REGISTER, actor=actor)
    claim_refresh(claim=claim)
    clock_start_if_complete(claim=claim)
    claim.save()
    told = notice_claim_registered(claim=claim, missing=claim_missing_documents(claim=claim))
    deliver_after_commit(office_id=actor.org_id or claim.org_id, notice_ids=told, actor_id=actor.pk)
    return claim


# The figures an amendment may change besides the amounts, with how each is written in the history.
_OTHER_FIELDS = (
    "care_type",
    "admitted_on",
    "discharged_on",
    "hospital",
    "member_category",
    "severity",
    "illness_days",
    "disability_grade",
    *OTHER_PAYER_FIELDS,
)


def _label(name: str) -> str:
    field = Claim._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _shown(name: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if name in (*SETTLEMENT_FIELDS, *OTHER_PAYER_FIELDS, "payout"):
        return money_text(value)
    if name == "care_type":
        return str(CareType(str(value)).label)
    return str(value)


def _figure_changes(claim: Claim, figures: Figures, invoices: Sequence[str]) -> list[str]:
    """What an amendment changes, each as "field old → new" for the claim's history; the
    diagnosis is named but not quoted (it is sensitive and stored encrypted)."""
    changes = []
    for name in (*SETTLEMENT_FIELDS, *_OTHER_FIELDS):
        old, new = getattr(claim, name), getattr(figures, name)
        if isinstance(new, str):
            new = new.strip()
        if old != new:
            changes.append(
                _("%(field)s %(old)s → %(new)s")
                % {
                    "field": _label(name),
                    "old": _shown(name, old),
                    "new": _shown(name, new),
                }
            )
    if claim_diagnosis(claim=claim) != figures.diagnosis.strip():
        changes.append(_("Diagnosis changed"))
    before = list(claim.invoices.order_by("pk").values_list("number", flat=True))
    if added := [number for number in invoices if number not in before]:
        changes.append(_("Invoices added: %(numbers)s") % {"numbers": ", ".join(added)})
    if removed := [number for number in before if number not in invoices]:
        changes.append(_("Invoices removed: %(numbers)s") % {"numbers": ", ".join(removed)})
    return changes


@transaction.atomic
def claim_amend(*, actor: User, claim: Claim, version: int, figures: Figures, note: str = "") -> Claim:
    """Correct the figures before approval; the payout and the flags are computed again, the
    history names every figure changed (old → new), and a claim a reviewer had passed goes back to
    the first level, since that pass covered figures the reviewer never saw."""
    locked = lock_claim(claim, version)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(_("The claim is approved; its figures can no longer change."))
    level = acting_level(actor, locked)
    check_one_level(actor, locked, level)
    invoices = figures_check(figures=figures, enrollment=locked.enrollment)
    lock_person(locked)
    lock_invoices(locked.province_id, invoices)
    changes = _figure_changes(locked, figures, invoices)
    if not changes:
        raise ValidationError(_("Nothing was changed: correct a figure, or go back to the claim."))
    before = locked.payout
    for name in (
        *SETTLEMENT_FIELDS,
        *OTHER_PAYER_FIELDS,
        "care_type",
        "admitted_on",
        "discharged_on",
        "member_category",
        "severity",
        "disability_grade",
    ):
        setattr(locked, name, getattr(figures, name))
    locked.hospital = figures.hospital.strip()[:100]
    locked.diagnosis_cipher = pii.encrypt(figures.diagnosis.strip())
    locked.illness_days = figures.illness_days
    _set_invoices(locked, invoices)
    claim_refresh(claim=locked)
    changes.append(
        _("Payout %(before)s → %(after)s yuan")
        % {"before": _shown("payout", before), "after": _shown("payout", locked.payout)}
    )
    text = "; ".join([*changes, note.strip()] if note.strip() else changes)
    record_step(locked, level=level, action=StepAction.AMEND, actor=actor, note=text)
    reopen_after_change(locked, actor=actor, level=level)
    locked.version += 1
    locked.save()
    return locked

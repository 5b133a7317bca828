"""Paying approved claims: a payment batch gathers the office's approved claims; once finance has
had the batch's payment approved, sent the transfer file (claims/exports.py) and booked the
bank's payment, it settles the batch here, which pays every claim of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.events import ClaimsBatchPaid
from claims.models import BenefitSchedule, Claim, ClaimStatus, Level, PaymentBatch, StepAction
from claims.services._shared import next_number, record_step
from mutualaid import dates, events
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


@transaction.atomic
def batch_create(*, actor: User, claim_ids: Iterable[int]) -> PaymentBatch:
    """Gather approved claims the actor's office pays into one payment batch (the office that
    reviewed them may be another: Claim.pay_office)."""
    require_permission(actor, "claims.pay")
    ids = sorted(set(claim_ids))
    if not ids:
        raise ValidationError(_("Tick the approved claims to put in the batch."))
    claims = list(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    offices = Organisation.objects.in_bulk({claim.pay_office_id for claim in claims})
    if len(claims) != len(ids):
        raise ValidationError(_("Some of the ticked claims are not in your office's tree: reload the page."))
    for claim in claims:
        if claim.pay_office_id != actor.org_id:
            payer = offices.get(claim.pay_office_id)
            raise PermissionDenied(
                _("Claim %(number)s is paid by %(office)s: only that office puts it in a payment batch.")
                % {"number": claim.number, "office": payer.name if payer else _("another office")}
            )
        if claim.status != ClaimStatus.APPROVED:
            raise ValidationError(
                _("Claim %(number)s is no longer awaiting payment (it is: %(status)s): reload the page.")
                % {"number": claim.number, "status": claim.get_status_display()}
            )
    if actor.org is None:
        raise PermissionDenied(_("Your account is not attached to an office."))
    batch = PaymentBatch.objects.create(
        org=actor.org,
        number=next_number("claims_batch_number_seq", "PC"),
        claim_count=len(claims),
        total=sum((c.payout for c in claims), Decimal("0.00")),
        created_by=actor,
    )
    for claim in claims:
        claim.batch, claim.status, claim.version = batch, ClaimStatus.IN_BATCH, claim.version + 1
        claim.save(update_fields=["batch", "status", "version"])
        record_step(claim, level=Level.PAYMENT, action=StepAction.BATCH, actor=actor, note=batch.number)
    return batch


@transaction.atomic
def batch_settle(*, actor: User, batch: PaymentBatch, paid_on: date, bank_reference: str) -> PaymentBatch:
    """The bank has paid the batch's transfer: every claim of it is paid on that day, its members
    are told, and the schedules they were paid under are frozen.

    Called by finance when it books the batch's payment (finance owns the payment: its approval,
    the transfer file sent to the bank, the booking); whoever confirms the bank's payment must
    hold claims' payment permission too. Every claim must still be awaiting payment, so a batch
    is never settled twice.
    """
    require_permission(actor, "claims.pay")
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("The batch belongs to another office."))
    if paid_on > dates.business_today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    claims = list(locked.claims.select_for_update().order_by("pk"))
    if any(claim.status != ClaimStatus.IN_BATCH for claim in claims):
        raise ValidationError(_("Batch %(number)s is already marked paid.") % {"number": locked.number})
    reference = bank_reference.strip()[:60]
    for claim in claims:
        claim.status, claim.paid_on, claim.version = ClaimStatus.PAID, paid_on, claim.version + 1
        claim.save(update_fields=["status", "paid_on", "version"])
        record_step(claim, level=Level.PAYMENT, action=StepAction.PAID, actor=actor, note=reference)
    with unscoped():  # the schedule may be kept by the office above the one that pays (the plan's)
        BenefitSchedule.objects.filter(period_id__in={c.period_id for c in claims}, frozen_at__isnull=True).update(
            frozen_at=timezone.now()
        )
    # Members are told after the commit (claims.tasks.notify_members_when_paid listens).
    events.publish(ClaimsBatchPaid(batch=locked, actor=actor, paid_on=paid_on, bank_reference=reference))
    return locked

"""One person's enrollment after approval: a cancellation (a leaver, a death, a mistake), and the
audited reveal of the full ID number."""

from __future__ import annotations

from datetime import date

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.events import EnrollmentCancelled
from enrollment.models import Enrollment, EnrollmentStatus
from mutualaid import dates, events, pii
from mutualaid.audit import records_refusals
from mutualaid.models import User
from mutualaid.roles import require_permission


@transaction.atomic
def enrollment_cancel(*, actor: User, enrollment: Enrollment, reason: str, on: date | None = None) -> Enrollment:
    """Cancel an enrollment (a leaver, a death, a mistake) with its reason and date."""
    require_permission(actor, "enrollment.cancel")
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.status != EnrollmentStatus.ACTIVE:
        raise ValidationError(_("This enrollment is already cancelled."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the cancellation.")})
    on = on or dates.business_today()
    if not locked.starts_on <= on <= locked.ends_on:
        raise ValidationError({"on": _("The cancellation date must lie within the coverage.")})
    locked.status, locked.cancelled_on, locked.cancel_reason = EnrollmentStatus.CANCELLED, on, reason.strip()[:200]
    locked.save(update_fields=["status", "cancelled_on", "cancel_reason"])
    events.publish(EnrollmentCancelled(enrollment=locked, actor=actor))
    return locked


@records_refusals("pii.reveal", target="enrollment")
def enrollment_reveal_id(*, actor: User, enrollment: Enrollment) -> str:
    """The full ID number, for a role that may see it; the reveal is recorded (who, when, from
    which node, which record) in the append-only audit trail before the number is returned."""
    require_permission(actor, "pii.reveal")
    pghistory.create_event(enrollment, label="id_revealed")
    return pii.decrypt(enrollment.id_cipher)

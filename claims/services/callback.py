"""The phone call to a paid member (回访): how it went, recorded on the claim and in its steps."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import CallbackOutcome, Claim, ClaimStatus, Level, StepAction
from claims.services._shared import lock_claim, record_step
from mutualaid.models import User
from mutualaid.roles import require_permission


@transaction.atomic
def claim_callback(*, actor: User, claim: Claim, outcome: str, note: str = "") -> Claim:
    """The phone call to a paid member (回访)."""
    require_permission(actor, "claims.callback")
    locked = lock_claim(claim, None)
    if locked.status != ClaimStatus.PAID:
        raise ValidationError(_("A callback is recorded after the claim is paid."))
    if outcome not in CallbackOutcome.values:
        raise ValidationError({"outcome": _("Choose how the call went.")})
    locked.callback_at, locked.callback_by = timezone.now(), actor
    locked.callback_outcome, locked.callback_note = outcome, note.strip()[:300]
    record_step(
        locked, level=Level.PAYMENT, action=StepAction.CALLBACK, actor=actor, note=locked.get_callback_outcome_display()
    )
    locked.save()
    return locked

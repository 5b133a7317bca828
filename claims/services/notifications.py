"""The message that tells a member their claim has been paid, sent by a task after the payment
has committed (claims/tasks.py), so that a failing provider cannot undo a payment."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim
from mutualaid import notify, pii


def claim_notify_paid(*, claim_ids: list[int]) -> int:
    """Tell each member their payout. Each claim is taken by a conditional update before its
    message goes out, so two runs of the task (a retry, a duplicate) never send it twice; a failed
    send gives it back for the retry. Returns how many messages were sent."""
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

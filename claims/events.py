"""Events claims publishes (mutualaid/events.py); `manage.py list_events` shows who listens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from claims.models import PaymentBatch
from mutualaid.events import Event
from mutualaid.models import User


@dataclass(frozen=True)
class ClaimsBatchPaid(Event):
    """The bank paid a claims batch and finance booked it: the batch's claims are paid. Inside the
    booking's transaction."""

    batch: PaymentBatch
    actor: User  # who recorded the bank's payment
    paid_on: date  # the day the bank paid
    bank_reference: str  # the bank's reference of the transfer

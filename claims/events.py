"""Events claims publishes (mutualaid/events.py); `manage.py list_events` shows who listens."""

from __future__ import annotations

from dataclasses import dataclass

from claims.models import PaymentBatch
from mutualaid.events import Event
from mutualaid.models import User


@dataclass(frozen=True)
class ClaimsBatchExporting(Event):
    """A claims batch's bank-transfer workbook is about to be produced; a subscriber that raises
    (a `ValidationError` saying why) refuses it. The batch row is locked."""

    batch: PaymentBatch
    actor: User  # who asked for the workbook


@dataclass(frozen=True)
class ClaimsBatchPaid(Event):
    """The bank confirmed a claims batch: its claims are paid, `batch.paid_on` and
    `batch.bank_reference` are set. Inside the confirmation's transaction."""

    batch: PaymentBatch
    actor: User  # who recorded the bank's confirmation

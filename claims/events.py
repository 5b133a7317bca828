"""Events claims publishes (mutualaid/events.py); `manage.py list_events` shows who listens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from claims.models import Claim, PaymentBatch
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


@dataclass(frozen=True)
class OverpaymentFound(Event):
    """A re-check of a paid claim found it overpaid: the amount is to be recovered (追回) from the
    member by the office that paid it. Inside the transaction that records the finding; a
    subscriber that refuses refuses the finding."""

    claim: Claim  # the paid claim; its `pay_office` paid it (`review_office` reviewed it)
    amount: Decimal  # what was paid too much, > 0
    actor: User  # who recorded the finding
    reference: str  # unique per finding ("recheck-item:<id>"): the same finding books once
    note: str  # the re-check's finding, in the reviewer's words

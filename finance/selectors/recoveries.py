"""Reads of the recoveries of overpaid claims, in the caller's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from claims.models import Claim
from finance.models import Recovery, RecoveryRepayment


def recovery_list() -> QuerySet[Recovery]:
    return Recovery.objects.select_related("org", "claim", "plan", "created_by")


def recovery_get(*, pk: int) -> Recovery:
    return recovery_list().get(pk=pk)


def recovery_repayments(*, recovery: Recovery) -> QuerySet[RecoveryRepayment]:
    return recovery.repayments.select_related("recorded_by", "entry")


def claim_recoveries(*, claim: Claim) -> list[Recovery]:
    return list(Recovery.objects.filter(claim=claim).select_related("org").prefetch_related("repayments"))

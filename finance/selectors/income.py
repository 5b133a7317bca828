"""Reads of income other than premium."""

from __future__ import annotations

from django.db.models import QuerySet

from finance.models import IncomeRecord


def income_list() -> QuerySet[IncomeRecord]:
    """Income of the caller's tree, latest first."""
    return IncomeRecord.objects.select_related("org", "plan", "recorded_by", "entry").order_by("-received_on", "-pk")

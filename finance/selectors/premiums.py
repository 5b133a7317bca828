"""Reads of the premiums an office collects from its units."""

from __future__ import annotations

from django.db.models import QuerySet

from enrollment.models import Policy
from finance.models import JournalEntry
from mutualaid.models import Organisation


def receivable_list(*, office: Organisation) -> QuerySet[Policy]:
    """Policies whose premium this office collects, newest first, with whether it has arrived."""
    received = JournalEntry.objects.filter(idempotency_key__startswith="premium:").values_list(
        "idempotency_key", flat=True
    )
    keys = set(received)
    policies = (
        Policy.objects.filter(org__parent=office).select_related("org", "period__plan").order_by("-issued_at")[:300]
    )
    for policy in policies:
        # The flag rides on the row for the template; Policy (enrollment's) declares no such field.
        policy.received = f"premium:{policy.pk}" in keys  # type: ignore[attr-defined]
    return policies

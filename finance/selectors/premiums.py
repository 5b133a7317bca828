"""Reads of the premiums an office collects from its units."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from enrollment.models import Endorsement, Policy
from finance.models import JournalEntry
from mutualaid.models import Organisation


def receivable_list(*, office: Organisation) -> QuerySet[Policy]:
    """Policies whose premium this office collects, newest first, with whether it has arrived."""
    received = JournalEntry.objects.filter(idempotency_key__startswith="premium:").values_list(
        "idempotency_key", flat=True
    )
    keys = set(received)
    policies = (
        Policy.objects.filter(org__parent=office)
        .select_related("org", "period__plan")
        .annotate(added=Sum("endorsements__premium"))
        .order_by("-issued_at")[:300]
    )
    for policy in policies:
        # The flag rides on the row for the template; Policy (enrollment's) declares no such field.
        policy.received = f"premium:{policy.pk}" in keys  # type: ignore[attr-defined]
        # What the issue made receivable: the premium less what its endorsements added.
        policy.issue_premium = policy.premium - (policy.added or 0)  # type: ignore[attr-defined]
    return policies


def endorsement_receivable_list(*, office: Organisation) -> list[Endorsement]:
    """Endorsements whose premium this office collects, newest first, with whether it arrived."""
    endorsements = list(
        Endorsement.objects.filter(policy__org__parent=office, premium__gt=0)
        .select_related("policy__org", "policy__period__plan")
        .order_by("-issued_at")[:300]
    )
    keys = set(
        JournalEntry.objects.filter(
            idempotency_key__in=[f"endorsement-premium:{e.pk}" for e in endorsements]
        ).values_list("idempotency_key", flat=True)
    )
    for endorsement in endorsements:
        # The flag rides on the row for the template, as on the policies above.
        endorsement.received = f"endorsement-premium:{endorsement.pk}" in keys  # type: ignore[attr-defined]
    return endorsements

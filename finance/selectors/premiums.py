"""Reads of the premiums an office collects from its units: what each policy's issue and each
endorsement made receivable, what its receipts say the unit has paid, and what is still owed."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum

from enrollment.models import Endorsement, Policy
from finance.models import JournalEntry, PaymentKind, PaymentRequest, PremiumReceipt, ReceiptKind
from finance.rules import ZERO
from mutualaid.models import Organisation


def _paid_by(policies: list[int]) -> dict[tuple[int, int | None], Decimal]:
    """What the receipts say each policy's issue (endorsement None) and endorsement was paid."""
    rows = (
        PremiumReceipt.objects.filter(policy_id__in=policies)
        .values("policy_id", "endorsement_id")
        .annotate(
            paid=Sum("amount", filter=Q(kind=ReceiptKind.RECEIPT)),
            refunded=Sum("amount", filter=Q(kind=ReceiptKind.REFUND)),
        )
        .order_by()
    )
    found: dict[tuple[int, int | None], Decimal] = {}
    for row in rows:
        found[(row["policy_id"], row["endorsement_id"])] = (row["paid"] or ZERO) - (row["refunded"] or ZERO)
    return found


def receivable_list(*, office: Organisation) -> QuerySet[Policy]:
    """Policies whose premium this office collects, newest first, with what was paid and is owed."""
    policies = (
        Policy.objects.filter(org__parent=office)
        .select_related("org", "period__plan")
        .annotate(added=Sum(F("endorsements__premium") - F("endorsements__levels_part")))
        .order_by("-issued_at")[:300]
    )
    paid = _paid_by([p.pk for p in policies])
    # Booked before receipts were numbered: the whole premium, received once under its own key.
    earlier = set(
        JournalEntry.objects.filter(idempotency_key__in=[f"premium:{p.pk}" for p in policies]).values_list(
            "idempotency_key", flat=True
        )
    )
    for policy in policies:
        # The figures ride on the row for the template; Policy (enrollment's) declares no such field.
        # What the unit owes: the premium less the union levels' subsidies, each level owing its own.
        issue = policy.premium - policy.levels_part - (policy.added or 0)
        policy.issue_premium = issue  # type: ignore[attr-defined]
        got = paid.get((policy.pk, None))
        if got is None:
            got = issue if f"premium:{policy.pk}" in earlier else ZERO
        policy.paid = got  # type: ignore[attr-defined]
        policy.outstanding = issue - got  # type: ignore[attr-defined]
        policy.received = issue - got <= 0  # type: ignore[attr-defined]
    return policies


def endorsement_receivable_list(*, office: Organisation) -> list[Endorsement]:
    """Endorsements whose premium this office collects, newest first, with what is still owed."""
    endorsements = list(
        Endorsement.objects.filter(policy__org__parent=office, premium__gt=0)
        .select_related("policy__org", "policy__period__plan")
        .order_by("-issued_at")[:300]
    )
    paid = _paid_by(list({e.policy_id for e in endorsements}))
    earlier = set(
        JournalEntry.objects.filter(
            idempotency_key__in=[f"endorsement-premium:{e.pk}" for e in endorsements]
        ).values_list("idempotency_key", flat=True)
    )
    for endorsement in endorsements:
        due = endorsement.premium - endorsement.levels_part
        got = paid.get((endorsement.policy_id, endorsement.pk))
        if got is None:
            got = due if f"endorsement-premium:{endorsement.pk}" in earlier else ZERO
        # The figures ride on the row for the template, as on the policies above.
        endorsement.due = due  # type: ignore[attr-defined]
        endorsement.paid = got  # type: ignore[attr-defined]
        endorsement.outstanding = due - got  # type: ignore[attr-defined]
        endorsement.received = due - got <= 0  # type: ignore[attr-defined]
    return endorsements


def receipt_list(*, office: Organisation | None = None) -> QuerySet[PremiumReceipt]:
    """Receipts in the caller's scope (of one office when given), newest first."""
    receipts = PremiumReceipt.objects.select_related("org", "unit", "plan", "policy", "endorsement", "original")
    if office is not None:
        receipts = receipts.filter(org=office)
    return receipts.order_by("-year", "-sequence")


def payment_red_receipts(*, payment: PaymentRequest) -> list[PremiumReceipt]:
    """The red receipts a premium refund paid as a payment wrote, one per receipt it reversed, in
    the order they were numbered. Read in the caller's scope (the paying office's tree)."""
    if payment.entry_id is None or payment.kind != PaymentKind.PREMIUM_REFUND:
        return []
    found = PremiumReceipt.objects.filter(entry_id=payment.entry_id, kind=ReceiptKind.REFUND)
    return list(found.select_related("original").order_by("year", "sequence"))

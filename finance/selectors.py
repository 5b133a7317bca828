"""Reads of finance, in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from enrollment.models import Plan, Policy
from finance.models import DEBIT_NORMAL, Account, JournalEntry, JournalLine, PaymentRequest, Remittance
from finance.services import MONEY_OFFICES, ZERO, due_date
from mutualaid.models import Organisation
from mutualaid.tenancy import unscoped


@dataclass(frozen=True)
class AccountRow:
    account: str
    label: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal


def _normal(account: str, debit: Decimal, credit: Decimal) -> Decimal:
    return debit - credit if account in DEBIT_NORMAL else credit - debit


def account_rows(*, office: Organisation, plan: Plan | None, month: date) -> list[AccountRow]:
    """Each account's opening balance, the month's debits and credits, and its closing balance:
    two grouped queries, whatever the number of entries."""
    following = due_date(month).replace(day=1)
    lines = JournalLine.objects.filter(org=office)
    if plan is not None:
        lines = lines.filter(plan=plan)
    before = {
        row["account"]: row
        for row in lines.filter(posted_on__lt=month).values("account").annotate(d=Sum("debit"), c=Sum("credit"))
    }
    during = {
        row["account"]: row
        for row in lines.filter(posted_on__gte=month, posted_on__lt=following)
        .values("account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    }
    rows = []
    for account, label in Account.choices:
        b, m = before.get(account, {}), during.get(account, {})
        opening = _normal(account, b.get("d") or ZERO, b.get("c") or ZERO)
        debit, credit = m.get("d") or ZERO, m.get("c") or ZERO
        if not (opening or debit or credit):
            continue
        rows.append(AccountRow(account, str(label), opening, debit, credit, opening + _normal(account, debit, credit)))
    return rows


def month_entries(*, office: Organisation, plan: Plan | None, month: date) -> QuerySet[JournalEntry]:
    following = due_date(month).replace(day=1)
    entries = JournalEntry.objects.filter(org=office, posted_on__gte=month, posted_on__lt=following)
    if plan is not None:
        entries = entries.filter(plan=plan)
    return (
        entries.select_related("plan", "created_by", "reverses").prefetch_related("lines").order_by("posted_on", "pk")
    )


def book_offices(*, root: Organisation) -> QuerySet[Organisation]:
    """The offices in the caller's tree that keep books."""
    return Organisation.objects.filter(kind__in=MONEY_OFFICES, path__startswith=root.path).order_by("path")


def book_plans(*, office: Organisation) -> list[Plan]:
    """Plans the office has books for, or may have: its own and those of the offices above."""
    with unscoped():
        return list(Plan.objects.filter(org_id__in=office.ancestor_ids()).order_by("name"))


def receivables(*, office: Organisation) -> QuerySet[Policy]:
    """Policies whose premium this office collects, newest first, with whether it has arrived."""
    received = JournalEntry.objects.filter(idempotency_key__startswith="premium:").values_list(
        "idempotency_key", flat=True
    )
    keys = set(received)
    policies = (
        Policy.objects.filter(org__parent=office).select_related("org", "period__plan").order_by("-issued_at")[:300]
    )
    for policy in policies:
        policy.received = f"premium:{policy.pk}" in keys  # type: ignore[attr-defined]
    return policies


def remittances_of(*, office: Organisation) -> QuerySet[Remittance]:
    return Remittance.objects.filter(org=office).order_by("-month")


def remittances_to(*, office: Organisation) -> QuerySet[Remittance]:
    return Remittance.objects.filter(to_office=office).select_related("org").order_by("-month", "org__path")


def payment_list(*, office: Organisation | None = None) -> QuerySet[PaymentRequest]:
    qs = PaymentRequest.objects.select_related("org", "plan", "prepared_by", "claims_batch")
    if office is not None:
        qs = qs.filter(org=office)
    return qs.order_by("-prepared_at")


def unpaid_batches(*, office: Organisation) -> QuerySet:
    from claims.models import PaymentBatch

    return PaymentBatch.objects.filter(org=office, payment_request__isnull=True).exclude(status="paid")


def trial_balance(*, office: Organisation) -> tuple[Decimal, Decimal]:
    sums = JournalLine.objects.filter(org=office).aggregate(d=Sum("debit"), c=Sum("credit"))
    return sums["d"] or ZERO, sums["c"] or ZERO


def entries_for(*, q: str) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(Q(number=q) | Q(bank_reference=q))

"""The pack for an audit of a leader leaving office (离任审计, seed 004: 对互助保障组织负责人任期内、
离任时进行审计): for one office that keeps books and the leader's term, the fund's position at the
start and the end of the term by plan and account, what came in and went out during it, the
term's large decisions (payments that needed a collective decision, large claims the leader
approved), the recoveries still outstanding and the audit findings not yet closed. Read in the
caller's scope; rendered as a PDF to hand to the auditors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimStatus
from enrollment.models import Plan
from finance.models import Account, FinanceSettings, JournalLine, PaymentRequest, PaymentStatus, Recovery
from finance.rules import MONEY_OFFICES, ZERO, normal_balance
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.paperwork import report_signatures
from reporting.models import AuditFinding, FindingStatus

LABELS = dict(Account.choices)


@dataclass(frozen=True)
class Position:
    plan: str
    account: str
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal


def _positions(office: Organisation, start: date, end: date) -> list[Position]:
    """Each plan's accounts at the start and the end of the term, with the term's movements: two
    grouped queries."""
    lines = JournalLine.objects.filter(org=office)
    before = {
        (row["plan"], row["account"]): (row["d"] or ZERO, row["c"] or ZERO)
        for row in lines.filter(posted_on__lt=start).values("plan", "account").annotate(d=Sum("debit"), c=Sum("credit"))
    }
    during = {
        (row["plan"], row["account"]): (row["d"] or ZERO, row["c"] or ZERO)
        for row in lines.filter(posted_on__gte=start, posted_on__lte=end)
        .values("plan", "account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    }
    plans = dict(Plan.objects.filter(pk__in={plan for plan, _a in before | during}).values_list("pk", "name"))
    found = []
    for plan, account in sorted(set(before) | set(during), key=lambda key: (plans.get(key[0], ""), key[1])):
        opening = normal_balance(account, *before.get((plan, account), (ZERO, ZERO)))
        debits, credits = during.get((plan, account), (ZERO, ZERO))
        closing = opening + normal_balance(account, debits, credits)
        found.append(
            Position(plans.get(plan, ""), str(LABELS.get(account, account)), opening, debits, credits, closing)
        )
    return found


def leaving_audit_figures(*, office: Organisation, start: date, end: date, leader: str) -> dict[str, Any]:
    """What the pack shows; refused for a term that ends before it starts or in the future."""
    if office.kind not in MONEY_OFFICES:
        raise ValidationError({"office": _("Choose an office that keeps books.")})
    if end < start:
        raise ValidationError({"end": _("The term ends before it starts.")})
    if end > dates.business_today():
        raise ValidationError({"end": _("The term cannot end in the future.")})
    if not leader.strip():
        raise ValidationError({"leader": _("Name the leader whose term is audited.")})
    threshold = office_settings(FinanceSettings, office).collective_decision_from
    payments = (
        PaymentRequest.objects.filter(org=office, prepared_at__date__gte=start, prepared_at__date__lte=end)
        .filter(Q(amount__gte=threshold) | ~Q(meeting=""))
        .exclude(status=PaymentStatus.REJECTED)
        .select_related("plan", "prepared_by")
        .order_by("prepared_at")
    )
    large_claims = (
        Claim.objects.filter(review_office=office, needs_leader=True, status=ClaimStatus.PAID)
        .filter(paid_on__gte=start, paid_on__lte=end)
        .select_related("period__plan", "org")
        .order_by("paid_on", "number")
    )
    recoveries = [r for r in Recovery.objects.filter(org=office).select_related("claim") if not r.settled]
    findings = (
        AuditFinding.objects.filter(org_path__startswith=office.path)
        .exclude(status=FindingStatus.CLOSED)
        .select_related("org", "owner")
        .order_by("deadline")
    )
    return {
        "office": office,
        "start": start,
        "end": end,
        "leader": leader.strip()[:60],
        "positions": _positions(office, start, end),
        "threshold": threshold,
        "payments": list(payments),
        "large_claims": list(large_claims),
        "recoveries": recoveries,
        "findings": list(findings),
    }


def leaving_audit_pdf(*, actor: User, office: Organisation, start: date, end: date, leader: str) -> bytes:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    context = leaving_audit_figures(office=office, start=start, end=end, leader=leader)
    context.update(printed=timezone.localdate(), signatures=report_signatures(filled_by=actor))
    pdf: bytes = HTML(string=render_to_string("reporting/pdf/leaving_audit.html", context), base_url=None).write_pdf()
    return pdf


def default_term(today: date) -> tuple[date, date]:
    """The year so far, as the form proposes it."""
    return today.replace(month=1, day=1), today

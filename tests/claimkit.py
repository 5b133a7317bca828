"""Builds claims for the tests through the services: a schedule, reviewers, scans, a claim."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from claims.models import BenefitSchedule, Claim
from claims.services.documents import Upload, document_check
from claims.services.figures import Figures, Payee
from claims.services.payment import batch_create
from claims.services.registration import claim_register
from claims.services.review import claim_review
from claims.services.schedules import schedule_save
from enrollment.models import Enrollment, Period
from mutualaid.models import Organisation, User
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope
from tests.factories import UserFactory

# Shaoxing (seed): 80 % of the self-paid amount, 25 yuan a day in hospital, 50,000 a year.
SHAOXING = {
    "segments": [{"upto": None, "ratio": "0.8"}],
    "daily_allowance": "25",
    "cap_per_period": "50000",
    "rounding": "yuan_half_up",
}


def pdf_scan(text: str = "scan") -> bytes:
    """A real one-page PDF, as a scanner would send it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def png_scan() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(kind: str, data: bytes | None = None, name: str | None = None) -> Upload:
    payload = data if data is not None else pdf_scan()
    return document_check(kind=kind, upload=SimpleUploadedFile(name or f"{kind}.pdf", payload))


def full_documents() -> list[Upload]:
    return [upload("discharge"), upload("invoice"), upload("settlement")]


def set_schedule(office_head: User, period: Period, rules: dict[str, Any] | None = None) -> BenefitSchedule:
    with org_scope(office_head.org, actor_id=office_head.pk):
        return schedule_save(actor=office_head, period=period, rules_data=rules or SHAOXING)


FIGURES = Figures(
    care_type="inpatient",
    admitted_on=date(2026, 3, 2),
    discharged_on=date(2026, 3, 12),
    hospital="西安市第一医院",
    diagnosis="肺炎",
    total_cost=Decimal("10000.00"),
    insurance_paid=Decimal("7000.00"),
    deductible_part=Decimal("600.00"),
    self_paid=Decimal("2287.99"),
    not_covered=Decimal("112.01"),
    invoices=("INV0001",),
)
PAYEE = Payee(name="收款人", bank_name="中国工商银行西安分行", account_number="6222020200112233445")


# What the window types in from the member's papers, in the form and in the API alike.
PAPERS: dict[str, object] = {
    "care_type": "inpatient",
    "admitted_on": "2026-03-02",
    "discharged_on": "2026-03-12",
    "hospital": "西安市第一医院",
    "diagnosis": "肺炎",
    "total_cost": "10000.00",
    "insurance_paid": "7000.00",
    "deductible_part": "600.00",
    "self_paid": "2287.99",
    "not_covered": "112.01",
    "payee_name": "收款人",
    "bank_name": "中国工商银行西安分行",
}


def figures(**changes: Any) -> Figures:
    return replace(FIGURES, **changes)


def register(
    actor: User,
    enrollment: Enrollment,
    *,
    documents: list[Upload] | None = None,
    payee: Payee = PAYEE,
    **changes: Any,
) -> Claim:
    with org_scope(actor.org, actor_id=actor.pk):
        return claim_register(
            actor=actor,
            enrollment=enrollment,
            figures=figures(**changes),
            payee=payee,
            documents=full_documents() if documents is None else documents,
        )


@dataclass
class Reviewers:
    officer: User
    supervisor: User
    compliance: User
    leader: User
    finance: User
    head: User
    finance_head: User


def reviewers(office: Organisation, prefix: str) -> Reviewers:
    def user(role: Role, label: str) -> User:
        return UserFactory(username=f"{prefix}_{role.value}", display_name=f"{prefix}{label}", org=office, roles=[role])

    return Reviewers(
        officer=user(Role.CLAIMS_OFFICER, "理赔员"),
        supervisor=user(Role.CLAIMS_SUPERVISOR, "主管"),
        compliance=user(Role.COMPLIANCE, "合规"),
        leader=user(Role.LEADER, "分管领导"),
        finance=user(Role.FINANCE_OFFICER, "出纳"),
        head=user(Role.OFFICE_HEAD, "主任"),
        finance_head=user(Role.FINANCE_HEAD, "财务负责人"),
    )


def act(user: User, claim: Claim, action: str = "pass", reason: str = "") -> Claim:
    with org_scope(user.org, actor_id=user.pk):
        current = Claim.objects.get(pk=claim.pk)
        return claim_review(actor=user, claim=current, version=current.version, action=action, reason=reason)


def approve(people: Reviewers, claim: Claim) -> Claim:
    for user in (people.officer, people.supervisor, people.compliance):
        claim = act(user, claim)
    return claim


def approve_payment(people: Reviewers, batch: Any) -> Any:
    """The batch's payment, prepared by finance (from the batch: nothing typed) and approved by
    three other people in layers."""
    from finance.services import payments as finance

    with org_scope(people.finance.org, actor_id=people.finance.pk):
        payment = finance.payment_prepare(
            actor=people.finance,
            plan=None,
            kind="claims_batch",
            amount=None,
            payee="",
            purpose="",
            claims_batch=batch,
            meeting="2026年第11次主任办公会",
            meeting_on=date(2026, 11, 2),
        )
    for approver in (people.head, people.finance_head, people.leader):
        with org_scope(approver.org, actor_id=approver.pk):
            payment = finance.payment_approve(actor=approver, payment=payment, version=payment.version)
    return payment


def pay(people: Reviewers, claims: list[Claim], on: date = date(2026, 11, 20)) -> Any:
    """Claims paid as an office pays them: a batch, its payment approved in layers, the transfer
    file sent to the bank, the bank's payment booked. Returns the batch."""
    from finance.services import payments as finance_payments

    finance = people.finance
    with org_scope(finance.org, actor_id=finance.pk):
        batch = batch_create(actor=finance, claim_ids=[c.pk for c in claims])
    payment = approve_payment(people, batch)
    with org_scope(finance.org, actor_id=finance.pk):
        finance_payments.payment_transfer_file(actor=finance, payment=payment)
        payment = finance_payments.payment_mark_sent(actor=finance, payment=payment, version=payment.version)
        # A city that pays claims of a plan pooled above goes below zero in its bank account: confirmed.
        finance_payments.payment_mark_paid(
            actor=finance, payment=payment, paid_on=on, bank_reference="BANK-REF-1", overdraw_reason="理赔先行垫付"
        )
    return batch

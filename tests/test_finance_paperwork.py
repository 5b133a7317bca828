"""The payment approval form (付款审批单) and the signature blocks (填表人/审核人/负责人) on the member
list (一览表), the monthly statement and the reports: read from the PDF's text."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from claims.services.payment import batch_create
from finance.models import PaymentRequest
from finance.services import payments
from mutualaid.models import User
from mutualaid.numbers import money_capitals, money_text
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.test_claims_paperwork import pdf_text


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(user: User, payment: PaymentRequest) -> object:
    return _login(user).get(reverse("finance:payment_approval_form", kwargs={"payment_pk": payment.pk}))


@pytest.fixture
def batch_payment(claims_ready: Tree) -> PaymentRequest:
    """Two approved claims in a batch, its payment prepared from the batch with the record of the
    office meeting, and approved by the office head, the finance head and the leader."""
    people = claims_ready.a.reviewers
    with unscoped():
        enrollments = list(claims_ready.a.policy.enrollments.order_by("number")[:2])
    claims = [
        claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, e, invoices=(f"PAY-INV{e.number}",)))
        for e in enrollments
    ]
    with org_scope(people.finance.org, actor_id=people.finance.pk):
        batch = batch_create(actor=people.finance, claim_ids=[c.pk for c in claims])
    return claimkit.approve_payment(people, batch)


def test_the_payment_approval_form_has_payee_amount_claims_approvals_and_the_meeting(
    claims_ready: Tree, batch_payment: PaymentRequest
) -> None:
    people = claims_ready.a.reviewers
    response = _form(people.finance, batch_payment)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith(
        "filename*=UTF-8''" + quote(f"付款审批单-{batch_payment.number}.pdf")
    )
    text = pdf_text(response.content)
    assert "付款审批单" in text and claims_ready.a.city.name in text and batch_payment.number in text
    assert batch_payment.payee.replace(" ", "") in text and batch_payment.purpose.replace(" ", "") in text
    amount = batch_payment.amount
    assert money_text(amount) in text and money_capitals(amount) in text
    with unscoped():
        claims = list(Claim.objects.filter(batch=batch_payment.claims_batch))
    assert len(claims) == 2 and sum(c.payout for c in claims) == amount
    for claim in claims:  # each claim it pays, with the member masked
        assert claim.number in text and claim.name in text and claim.id_masked in text
    for member in claims_ready.a.members:
        assert member["id_number"] not in text
    assert batch_payment.claims_batch.number in text
    # Each layer: the person and the decision; the collective decision with its date.
    layers = (("代办处负责人", people.head), ("财务负责人", people.finance_head), ("分管领导", people.leader))
    for label, person in layers:
        assert label in text and str(person) in text
    assert text.count("同意") >= 3
    assert "集体决策" in text and "2026年第11次主任办公会" in text and "2026年11月2日" in text
    # Signatures: prepared by the finance officer, then the three layers, each with a date line.
    assert "经办人：" in text and str(people.finance) in text and text.count("日期：") == 4


def test_a_rejected_payment_s_form_names_who_refused_it_and_why(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    with org_scope(people.finance.org, actor_id=people.finance.pk):
        payment = payments.payment_prepare(
            actor=people.finance,
            plan=claims_ready.a.plan,
            kind="management_fee",
            amount=Decimal("4.50"),
            payee="办公用品供应商",
            purpose="办公用品",
        )
    with org_scope(people.head.org, actor_id=people.head.pk):
        payment = payments.payment_approve(actor=people.head, payment=payment, version=payment.version)
    with org_scope(people.finance_head.org, actor_id=people.finance_head.pk):
        payments.payment_reject(actor=people.finance_head, payment=payment, version=payment.version, reason="发票不全")
    text = pdf_text(_form(people.finance, payment).content)
    assert "肆元伍角整" in text and "4.50" in text
    assert "已驳回" in text and "发票不全" in text and str(people.finance_head) in text
    assert "尚未审批" in text  # the leader was never asked
    assert "不需要（低于100,000.00元）" in text  # no collective decision below the office's threshold


def test_a_sibling_office_gets_404_and_the_province_may_print(
    claims_ready: Tree, batch_payment: PaymentRequest
) -> None:
    response = _form(claims_ready.b.office_user, batch_payment)
    assert response.status_code == 404 and batch_payment.number not in response.content.decode()
    assert _form(claims_ready.province_user, batch_payment).status_code == 200


def test_the_payment_page_links_its_approval_form(claims_ready: Tree, batch_payment: PaymentRequest) -> None:
    page = _login(claims_ready.a.reviewers.finance).get(
        reverse("finance:payment_detail", kwargs={"payment_pk": batch_payment.pk})
    )
    assert reverse("finance:payment_approval_form", kwargs={"payment_pk": batch_payment.pk}) in page.content.decode()


# Signature blocks on the lists and reports an office files ---------------------------------------


def test_the_member_list_pdf_is_signed_by_who_filled_it_in_and_who_approved_it(claims_ready: Tree) -> None:
    policy = claims_ready.a.policy
    url = reverse("enrollment:policy_document", kwargs={"policy_pk": policy.pk, "document": "members.pdf"})
    text = pdf_text(_login(claims_ready.a.office_user).get(url).content)
    assert "填表人：" in text and "审核人：" in text and "负责人：" in text and text.count("日期：") == 3
    assert str(claims_ready.a.unit_agent) in text and str(claims_ready.a.office_user) in text


def test_the_statement_pdf_is_signed_by_whoever_prints_it(claims_ready: Tree) -> None:
    finance = claims_ready.a.reviewers.finance
    text = pdf_text(_login(finance).get(reverse("finance:statement_pdf")).content)
    assert "填表人：" in text and "审核人：" in text and "负责人：" in text and str(finance) in text

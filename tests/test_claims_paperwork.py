"""A claim's paperwork: the claim approval form (理赔审批表) and the payout notice (赔付通知书), as
an office prints, signs and files them: read from the PDF's text, in the caller's tree only."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from claims.models import Claim, ClaimStatus
from claims.services.handoff import claim_override
from mutualaid.models import User
from mutualaid.numbers import money_capitals, money_text
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(data: bytes) -> str:
    """The text of every page, without the line breaks a table cell may add."""
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return "".join((page.extract_text() or "") for page in reader.pages).replace("\n", "").replace(" ", "")


def _fresh(claim: Claim) -> Claim:
    with unscoped():
        return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def overridden(claims_ready: Tree) -> Claim:
    """A claim the only claims officer registered: the office head decided its first review after an
    override with a written reason, then the supervisor and compliance passed it; not yet paid."""
    people = claims_ready.a.reviewers
    with unscoped():
        user = claims_ready.a.office_user
        user.is_active = False
        user.save()
    claim = claimkit.register(people.officer, claims_ready.a.enrollment)
    with org_scope(people.head.org, actor_id=people.head.pk):
        claim_override(actor=people.head, claim=_fresh(claim), version=_fresh(claim).version, reason="本处仅一名理赔员")
    claim = claimkit.act(people.head, claim)
    claim = claimkit.act(people.supervisor, claim, reason="材料齐全")
    claim = claimkit.act(people.compliance, claim)
    assert claim.status == ClaimStatus.APPROVED
    return _fresh(claim)


def _get(user: User, name: str, claim: Claim) -> object:
    return _login(user).get(reverse(f"claims:{name}", kwargs={"claim_pk": claim.pk}))


def test_the_approval_form_has_the_claim_its_calculation_each_level_and_the_override(
    claims_ready: Tree, overridden: Claim
) -> None:
    people = claims_ready.a.reviewers
    response = _get(people.compliance, "claim_approval_form", overridden)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    filename = quote(f"理赔审批表-{overridden.number}.pdf")
    assert response["Content-Disposition"].endswith(f"filename*=UTF-8''{filename}")
    text = pdf_text(response.content)
    assert "理赔审批表" in text and claims_ready.a.city.name in text and overridden.number in text
    member = claims_ready.a.members[0]
    assert overridden.name in text and overridden.id_masked in text and member["id_number"] not in text
    assert "住院" in text and "2026年3月2日" in text and "2026年3月12日" in text
    assert "10,000.00" in text and "2,287.99" in text  # the expenses
    for line in overridden.calculation:  # the stored calculation, line by line
        assert line["label"].replace(" ", "") in text
    payout = overridden.payout
    assert payout > 0 and money_text(payout) in text and money_capitals(payout) in text
    # Each level: the person and the decision, with the comment; the override and its reason.
    for person in (people.head, people.supervisor, people.compliance):
        assert str(person) in text
    assert "材料齐全" in text and "本处仅一名理赔员" in text and "特批审核" in text
    # The signature blocks: registered by the officer, reviewed by the head and supervisor, approved by compliance.
    assert "经办人" in text and "审核人" in text and "审批人" in text and "年月日" in text.replace("_", "")
    assert str(people.officer) in text


def test_the_payout_notice_gives_the_amount_in_figures_and_capitals_and_a_masked_account(
    claims_ready: Tree, overridden: Claim
) -> None:
    response = _get(claims_ready.a.reviewers.officer, "claim_notice", overridden)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].endswith(
        "filename*=UTF-8''" + quote(f"赔付通知书-{overridden.number}-{overridden.name}.pdf")
    )
    text = pdf_text(response.content)
    assert "赔付通知书" in text and overridden.name in text and overridden.number in text
    assert claims_ready.a.city.name in text and "（盖章）" in text
    assert money_text(overridden.payout) in text and money_capitals(overridden.payout) in text
    assert overridden.account_masked in text and "6222020200112233445" not in text
    assert overridden.calculation[0]["label"].replace(" ", "") in text


def test_a_paid_claim_s_notice_says_when_it_was_transferred(claims_ready: Tree, overridden: Claim) -> None:
    claimkit.pay(claims_ready.a.reviewers, [overridden])
    text = pdf_text(_get(claims_ready.a.unit_agent, "claim_notice", overridden).content)
    assert "2026年11月20日" in text and "已于" in text


def test_a_claim_under_review_has_no_notice_and_the_page_says_why(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.act(people.officer, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    response = _get(people.supervisor, "claim_notice", claim)
    assert response.status_code == 409
    page = response.content.decode()
    assert f"理赔 {claim.number} 经审批后才能打印赔付通知书" in page and "待复审" in page
    # The claim page names the same reason instead of a link; the approval form prints meanwhile.
    detail = _get(people.supervisor, "claim_detail", claim).content.decode()
    assert 'data-testid="notice"' not in detail and "经审批后才能打印赔付通知书" in detail
    text = pdf_text(_get(people.supervisor, "claim_approval_form", claim).content)
    assert "审核未结束" in text and str(people.officer) in text


def test_a_rejected_claim_has_no_notice(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    claim = claimkit.act(people.officer, claim, action="reject", reason="不在保障期内")
    page = _get(people.officer, "claim_notice", claim).content.decode()
    assert "已被拒赔" in page
    text = pdf_text(_get(people.officer, "claim_approval_form", claim).content)
    assert "不在保障期内" in text and "拒赔" in text


def test_whoever_sees_the_claim_may_print_it_and_a_sibling_office_gets_404(
    claims_ready: Tree, overridden: Claim
) -> None:
    for user in (claims_ready.a.unit_agent, claims_ready.a.county_agent, claims_ready.province_user):
        assert _get(user, "claim_approval_form", overridden).status_code == 200
    for name in ("claim_approval_form", "claim_notice"):
        response = _get(claims_ready.b.office_user, name, overridden)
        assert response.status_code == 404
        assert overridden.name not in response.content.decode()


def test_the_claim_page_links_both_forms_once_approved(claims_ready: Tree, overridden: Claim) -> None:
    page = _get(claims_ready.a.reviewers.officer, "claim_detail", overridden).content.decode()
    assert reverse("claims:claim_approval_form", kwargs={"claim_pk": overridden.pk}) in page
    assert reverse("claims:claim_notice", kwargs={"claim_pk": overridden.pk}) in page

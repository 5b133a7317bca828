"""Over the API: the scans kept with a claim are listed and downloaded in the caller's scope (an
ID card or bank card copy only by whoever may see full numbers, and recorded), and a member list
is withdrawn with its reason, as on its page."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.test import Client

from enrollment.models import ListStatus, MemberList
from enrollment.services.member_lists import member_list_submit
from mutualaid.models import AuditNote, User
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.lists import offer_plan, person, upload_and_check

DOCUMENTS = "/api/v1/claims/{pk}/documents/"
WITHDRAW = "/api/v1/member-lists/{pk}/withdraw/"


def _api(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def claim(claims_ready: Tree) -> Any:
    a = claims_ready.a
    scans = [
        claimkit.upload("discharge", claimkit.pdf_scan(), "出院小结.pdf"),
        claimkit.upload("invoice", claimkit.png_scan(), "发票.png"),
        claimkit.upload("settlement"),
        claimkit.upload("id_card", claimkit.png_scan(), "身份证.png"),
    ]
    return claimkit.register(a.unit_agent, a.enrollment, documents=scans)


def test_an_officer_lists_a_claim_s_scans_and_downloads_one_as_it_was_uploaded(claims_ready: Tree, claim: Any) -> None:
    client = _api(claims_ready.a.reviewers.officer)
    response = client.get(DOCUMENTS.format(pk=claim.pk))
    assert response.status_code == 200
    listed = response.json()
    assert [d["name"] for d in listed] == ["出院小结.pdf", "发票.png", "settlement.pdf", "身份证.png"]
    invoice = next(d for d in listed if d["kind"] == "invoice")
    assert invoice["kind_label"] == "医疗费发票" and invoice["content_type"] == "image/png"
    assert not invoice["full_numbers"]
    file = client.get(invoice["download"])
    assert file.status_code == 200 and file["Content-Type"] == "image/png"
    assert file.content == claimkit.png_scan()
    assert "attachment" in file["Content-Disposition"] and "%E5%8F%91%E7%A5%A8.png" in file["Content-Disposition"]


def test_an_id_card_copy_goes_only_to_whoever_may_see_full_numbers_and_is_recorded(
    claims_ready: Tree, claim: Any
) -> None:
    a = claims_ready.a
    listed = _api(a.unit_agent).get(DOCUMENTS.format(pk=claim.pk)).json()
    copy = next(d for d in listed if d["kind"] == "id_card")
    assert copy["full_numbers"]
    refused = _api(a.unit_agent).get(copy["download"])
    assert refused.status_code == 403
    assert "完整号码" in refused.json()["detail"], refused.json()
    with unscoped():
        assert not AuditNote.objects.filter(action="pii.disclosed").exists()
    given = _api(a.reviewers.officer).get(copy["download"])
    assert given.status_code == 200 and given.content == claimkit.png_scan()
    with unscoped():
        note = AuditNote.objects.get(action="pii.disclosed")
    assert note.actor_id == a.reviewers.officer.pk and note.detail["numbers"] == ["id_number"]


def test_another_office_neither_lists_nor_downloads_a_claim_s_scans(claims_ready: Tree, claim: Any) -> None:
    officer = _api(claims_ready.a.reviewers.officer)
    listed = officer.get(DOCUMENTS.format(pk=claim.pk)).json()
    stranger = _api(claims_ready.b.office_user)
    assert stranger.get(DOCUMENTS.format(pk=claim.pk)).status_code == 404
    for document in listed:
        assert stranger.get(document["download"]).status_code == 404
    # A document reached through another claim's address is not found either.
    other = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment, invoices=("INV-OTHER",))
    wrong = f"{DOCUMENTS.format(pk=other.pk)}{listed[0]['id']}/"
    assert officer.get(wrong).status_code == 404


def test_the_schema_documents_the_scans_and_the_withdrawal(claims_ready: Tree) -> None:
    client = _api(claims_ready.province_user)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    listed = schema["paths"]["/api/v1/claims/{claim_pk}/documents/"]["get"]["responses"]["200"]
    assert "application/json" in listed["content"]
    file = schema["paths"]["/api/v1/claims/{claim_pk}/documents/{document_pk}/"]["get"]["responses"]["200"]
    assert {"application/pdf", "image/png", "image/jpeg"} <= set(file["content"])
    withdraw = schema["paths"]["/api/v1/member-lists/{list_pk}/withdraw/"]["post"]
    assert "reason" in yaml.safe_dump(withdraw["requestBody"]) or "Withdraw" in yaml.safe_dump(schema["components"])


def _submitted(tree: Tree) -> MemberList:
    a = tree.a
    period = offer_plan(a.office_user).period
    checked = upload_and_check(a.unit_agent, a.unit, period, [person(i) for i in range(3)])
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        return member_list_submit(actor=a.unit_agent, member_list=checked)


def test_an_agent_withdraws_a_submitted_list_with_its_reason_over_the_api(tree: Tree) -> None:
    member_list = _submitted(tree)
    client = _api(tree.a.unit_agent)
    blank = client.post(WITHDRAW.format(pk=member_list.pk), {"reason": "  "}, content_type="application/json")
    assert blank.status_code == 400
    with unscoped():
        assert MemberList.objects.get(pk=member_list.pk).status == ListStatus.SUBMITTED
    stranger = _api(tree.b.unit_agent).post(
        WITHDRAW.format(pk=member_list.pk), {"reason": "不是我的"}, content_type="application/json"
    )
    assert stranger.status_code == 404
    reason = {"reason": "人数少报了两人"}
    done = client.post(WITHDRAW.format(pk=member_list.pk), reason, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == ListStatus.WITHDRAWN
    with unscoped():
        stored = MemberList.objects.get(pk=member_list.pk)
    assert stored.withdrawal_reason == "人数少报了两人" and stored.withdrawn_by_id == tree.a.unit_agent.pk
    again = client.post(WITHDRAW.format(pk=member_list.pk), {"reason": "再撤一次"}, content_type="application/json")
    assert again.status_code == 400 and "已撤回" in str(again.json())


def test_an_approved_list_is_not_withdrawn_but_corrected(claims_ready: Tree) -> None:
    a = claims_ready.a
    response = _api(a.unit_agent).post(
        WITHDRAW.format(pk=a.member_list.pk), {"reason": "发现错误"}, content_type="application/json"
    )
    assert response.status_code == 400 and "更正" in str(response.json())
    with unscoped():
        assert MemberList.objects.get(pk=a.member_list.pk).status == ListStatus.APPROVED

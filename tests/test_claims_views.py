"""Claims pages and API, as their users reach them."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from claims.models import Claim, ClaimStatus
from finance.services import payments
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _token(user: object) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def _form(enrollment_pk: int, id_number: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        **claimkit.PAPERS,
        "id_number": id_number,
        "enrollment": enrollment_pk,
        "invoices": "INV0001\nINV0002",
        "account_number": "6222 0202 0011 2233 445",
        "doc_discharge": SimpleUploadedFile("出院小结.pdf", claimkit.pdf_scan()),
        "doc_invoice": [
            SimpleUploadedFile("发票1.pdf", claimkit.pdf_scan()),
            SimpleUploadedFile("发票2.png", claimkit.png_scan()),
        ],
        "doc_settlement": SimpleUploadedFile("结算单.pdf", claimkit.pdf_scan()),
    }
    data.update(changes)
    return data


def test_an_agent_finds_the_member_by_id_and_registers_a_claim_with_documents(claims_ready: Tree) -> None:
    agent = _login(claims_ready.a.county_agent)
    number = claims_ready.a.members[0]["id_number"]
    page = agent.post(reverse("claims:claim_register"), {"step": "find", "id_number": number})
    assert page.status_code == 200
    body = page.content.decode()
    assert (claims_ready.a.members[0]["name"] in body and "登记理赔" in body) or "Register the claim" in body
    response = agent.post(reverse("claims:claim_register"), _form(claims_ready.a.enrollment.pk, number))
    assert response.status_code == 302, response.content.decode()[-2000:]
    with unscoped():
        claim = Claim.objects.get()
        assert claim.documents.count() == 4
        assert sorted(claim.invoices.values_list("number", flat=True)) == ["INV0001", "INV0002"]
    assert claim.status == ClaimStatus.FIRST_REVIEW and claim.payout == Decimal("2080")
    detail = agent.get(response["Location"]).content.decode()
    assert "2,080.00" in detail and "6222***********3445" in detail and "6222020200112233445" not in detail


def test_a_bad_form_names_the_field_and_saves_nothing(claims_ready: Tree) -> None:
    agent = _login(claims_ready.a.county_agent)
    number = claims_ready.a.members[0]["id_number"]
    response = agent.post(
        reverse("claims:claim_register"),
        _form(
            claims_ready.a.enrollment.pk,
            number,
            discharged_on="2026-03-01",
            doc_invoice=SimpleUploadedFile("x.pdf", b"nope"),
        ),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "x.pdf" in body
    response = agent.post(
        reverse("claims:claim_register"), _form(claims_ready.a.enrollment.pk, number, discharged_on="2026-03-01")
    )
    assert "field-error" in response.content.decode()
    with unscoped():
        assert not Claim.objects.exists()


def test_a_stranger_searching_our_member_finds_nobody(enrolled_tree: Tree) -> None:
    stranger = _login(enrolled_tree.b.county_agent)
    number = enrolled_tree.a.members[0]["id_number"]
    page = stranger.post(reverse("claims:claim_register"), {"step": "find", "id_number": number})
    body = page.content.decode()
    assert enrolled_tree.a.members[0]["name"] not in body
    assert 'name="enrollment"' not in body


def test_the_three_levels_by_page_and_the_conflict_message(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    url = reverse("claims:claim_review", kwargs={"claim_pk": claim.pk})
    officer, supervisor = _login(people.officer), _login(people.supervisor)
    page = officer.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    assert 'data-testid="review"' in page
    assert (
        'data-testid="review"'
        not in supervisor.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    )
    officer.post(url, {"version": claim.version, "action": "pass"})
    stale = supervisor.post(url, {"version": claim.version, "action": "pass"}, follow=True)
    assert (
        "Someone else changed" in stale.content.decode()
        or "刚刚" in stale.content.decode()
        or "其他人" in stale.content.decode()
    )
    supervisor.post(url, {"version": claim.version + 1, "action": "pass"})
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.FINAL_REVIEW
    # The officer who passed level one sees a note instead of the buttons at level two.
    assert (
        'data-testid="review"'
        not in officer.get(reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})).content.decode()
    )


def test_the_claim_list_pages_are_a_fixed_number_of_queries(claims_ready: Tree, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        claimkit.register(
            claims_ready.a.unit_agent,
            claims_ready.a.enrollment,
            invoices=(f"INV-Q{i}",),
            admitted_on=date(2026, 4, 1 + 5 * i),
            discharged_on=date(2026, 4, 3 + 5 * i),
        )
    client = _login(claims_ready.a.office_user)
    for name in ("claims:claim_list", "claims:risk", "claims:deadlines", "claims:batch_list"):
        with django_assert_max_num_queries(15):  # 14 + the office head's authenticator (two-factor)
            assert client.get(reverse(name)).status_code == 200


def test_the_member_page_lists_the_person_s_claims(claims_ready: Tree) -> None:
    claim = claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    page = _login(claims_ready.a.office_user).get(
        reverse("enrollment:member", kwargs={"enrollment_pk": claims_ready.a.enrollment.pk})
    )
    body = page.content.decode()
    assert 'data-testid="member-claims"' in body and claim.number in body


def test_a_batch_is_submitted_for_payment_from_its_page_then_sent_and_marked_paid(claims_ready: Tree) -> None:
    from finance.models import PaymentRequest, PaymentStatus

    people = claims_ready.a.reviewers
    claim = claimkit.approve(people, claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment))
    finance = _login(people.finance)
    # The approved claim's page, opened from the finance officer's queue, says where it goes on.
    claim_url = reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})
    waiting = finance.get(claim_url).content.decode()
    assert 'data-testid="to-batch"' in waiting and reverse("claims:batch_list") in waiting
    assert 'data-testid="to-batch"' not in _login(people.officer).get(claim_url).content.decode()
    response = finance.post(reverse("claims:batch_list"), {"claim": [claim.pk]})
    assert response.status_code == 302
    detail_url = response["Location"]
    batch_pk = int(detail_url.rstrip("/").split("/")[-1])
    assert 'data-testid="to-batch"' not in finance.get(claim_url).content.decode()  # batched now
    page = finance.get(detail_url).content.decode()
    assert 'data-testid="prepare-payment"' in page and 'data-testid="transfer-link"' not in page
    submitted = finance.post(reverse("finance:batch_payment", kwargs={"batch_pk": batch_pk}))
    assert submitted.status_code == 302 and submitted["Location"] == detail_url
    with unscoped():
        payment = PaymentRequest.objects.get(claims_batch_id=batch_pk)
    assert payment.amount == Decimal("2080") and payment.status == PaymentStatus.PENDING
    page = finance.get(detail_url).content.decode()
    assert "审批" in page and 'data-testid="transfer-link"' not in page  # said why, offered nothing yet
    transfer = reverse("finance:payment_transfer", kwargs={"payment_pk": payment.pk})
    assert finance.get(transfer).status_code == 302  # refused with the reason before approval
    for approver in (people.head, people.finance_head, people.leader):
        with org_scope(approver.org, actor_id=approver.pk):
            payments.payment_approve(actor=approver, payment=payment, version=payment.version)
            payment.refresh_from_db()
    workbook = finance.get(transfer)
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet["A1"].value.startswith("付款批次") or "batch" in sheet["A1"].value.lower()
    assert sheet["D4"].value == "6222020200112233445" and sheet["D4"].number_format == "@"
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == PaymentStatus.APPROVED  # the GET changed nothing
    pay_url = reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})
    sent = finance.post(pay_url, {"action": "sent", "version": payment.version, "back": "batch"})
    assert sent["Location"] == detail_url
    paid = {"action": "paid", "paid_on": "2026-11-02", "bank_reference": "ICBC-20261102-01"}
    refused = finance.post(pay_url, paid, follow=True).content.decode()  # the city's bank account is empty
    assert "低于零" in refused and 'data-testid="overdraw-reason"' in refused
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_BATCH
    finance.post(pay_url, {**paid, "overdraw_reason": "省级统筹，理赔先行垫付"})
    with unscoped():
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PAID
        assert PaymentRequest.objects.get(pk=payment.pk).status == PaymentStatus.PAID
    assert 'data-testid="batch-status"' in finance.get(detail_url).content.decode()


def test_the_schedule_editor_validates_previews_and_saves(claims_ready: Tree) -> None:
    url = reverse("claims:schedule_edit", kwargs={"period_pk": claims_ready.a.period.pk})
    head = _login(claims_ready.a.office_user)
    page = head.get(url, {"preset": "jinhua"})
    assert page.status_code == 200 and "segments" in page.content.decode()
    bad = head.post(url, {"rules": '{"segments": [{"upto": 5000, "ratio": 0.5}]}', "action": "preview"})
    assert "upto" in bad.content.decode() and 'data-testid="schedule-problem"' in bad.content.decode()
    broken = head.post(url, {"rules": "{", "action": "preview"})
    assert 'data-testid="schedule-problem"' in broken.content.decode()
    rules = json.dumps({"segments": [{"upto": None, "ratio": "0.8"}], "rounding": "yuan_half_up"})
    preview = head.post(url, {"rules": rules, "action": "preview", "self_paid": "2287.99", "care_type": "inpatient"})
    assert 'data-testid="preview"' in preview.content.decode() and "1,830.00" in preview.content.decode()
    saved = head.post(url, {"rules": rules, "action": "save"})
    assert saved.status_code == 302
    from claims.models import BenefitSchedule

    with unscoped():
        assert BenefitSchedule.objects.get(period=claims_ready.a.period).version == 2
    # A county agent may read the rules but not change them.
    agent = _login(claims_ready.a.county_agent)
    assert agent.get(url).status_code == 200
    agent.post(url, {"rules": rules, "action": "save"})
    with unscoped():
        assert BenefitSchedule.objects.get(period=claims_ready.a.period).version == 2


def test_settings_and_office_days_by_the_office_head(claims_ready: Tree) -> None:
    head = _login(claims_ready.a.office_user)
    url = reverse("claims:settings")
    response = head.post(
        url,
        {
            "action": "settings",
            "target_days": 3,
            "limit_days": 2,
            "early_claim_days": 30,
            "claims_per_member": 5,
            "large_amount": "20000",
        },
    )
    assert response.status_code == 200 and "field-error" in response.content.decode()
    head.post(url, {"action": "add_day", "day": "2026-12-24", "is_workday": "0", "note": "地方假日"})
    assert "2026-12-24" in head.get(url).content.decode()
    assert _login(claims_ready.a.county_agent).get(url).status_code == 403


# API -------------------------------------------------------------------------------------------


def test_the_api_registers_adds_documents_and_reviews_with_a_409_on_a_stale_version(claims_ready: Tree) -> None:
    people = claims_ready.a.reviewers
    agent = _token(claims_ready.a.county_agent)
    payload = {
        **claimkit.PAPERS,
        "enrollment": claims_ready.a.enrollment.pk,
        "invoices": ["API-1"],
        "account_number": "6222020200112233445",
    }
    created = agent.post(reverse("api_claim_list", kwargs={"version": "v1"}), payload, content_type="application/json")
    assert created.status_code == 201, created.content
    claim = created.json()
    assert claim["status"] == "incomplete" and Decimal(claim["payout"]) == 2080
    assert "6222020200112233445" not in created.content.decode()
    docs_url = reverse("api_claim_documents", kwargs={"version": "v1", "claim_pk": claim["id"]})
    for kind in ("discharge", "invoice", "settlement"):
        added = agent.post(docs_url, {"kind": kind, "file": SimpleUploadedFile(f"{kind}.pdf", claimkit.pdf_scan())})
        assert added.status_code == 201, added.content
    assert added.json()["status"] == "first_review"
    refused = agent.post(docs_url, {"kind": "other", "file": SimpleUploadedFile("a.pdf", b"not a pdf")})
    assert refused.status_code == 400
    review_url = reverse("api_claim_review", kwargs={"version": "v1", "claim_pk": claim["id"]})
    version = added.json()["version"]
    # Reviewers act through the API signed in (password and code): an approver's token cannot
    # approve (tests/test_api_tokens.py).
    officer, supervisor = Client(), Client()
    officer.force_login(people.officer)
    supervisor.force_login(people.supervisor)
    assert (
        officer.post(review_url, {"action": "pass", "version": version}, content_type="application/json").status_code
        == 200
    )
    stale = supervisor.post(review_url, {"action": "pass", "version": version}, content_type="application/json")
    assert stale.status_code == 409
    detail = officer.get(reverse("api_claim_detail", kwargs={"version": "v1", "claim_pk": claim["id"]})).json()
    assert detail["diagnosis"] == "肺炎" and [s["action"] for s in detail["steps"]][-1] == "pass"


def test_the_api_refuses_a_member_outside_the_tree_and_bad_figures(enrolled_tree: Tree) -> None:
    agent = _token(enrolled_tree.b.county_agent)
    url = reverse("api_claim_list", kwargs={"version": "v1"})
    response = agent.post(
        url, {"enrollment": enrolled_tree.a.enrollment.pk, "care_type": "inpatient"}, content_type="application/json"
    )
    assert response.status_code == 400
    body = {
        "enrollment": enrolled_tree.b.enrollment.pk,
        "care_type": "inpatient",
        "admitted_on": "2026-03-12",
        "discharged_on": "2026-03-02",
        "hospital": "医院",
        "diagnosis": "肺炎",
        "total_cost": "100.00",
        "insurance_paid": "0",
        "deductible_part": "0",
        "self_paid": "90.00",
        "not_covered": "0",
        "invoices": ["B-1"],
        "payee_name": "收款人",
        "bank_name": "银行",
        "account_number": "6222020200112233445",
    }
    refused = agent.post(url, body, content_type="application/json")
    assert refused.status_code == 400
    assert {"discharged_on", "total_cost"} <= set(refused.json())


def test_schedules_are_read_and_written_by_api(claims_ready: Tree) -> None:
    head = _token(claims_ready.a.office_user)
    url = reverse("api_schedule_detail", kwargs={"version": "v1", "period_pk": claims_ready.a.period.pk})
    assert head.get(url).json()["rules"]["daily_allowance"] in ("25", 25)
    bad = head.put(url, {"segments": "all"}, content_type="application/json")
    assert bad.status_code == 400
    good = head.put(url, {**claimkit.SHAOXING, "daily_allowance": "30"}, content_type="application/json")
    assert good.status_code == 200 and good.json()["version"] == 2
    listed = head.get(reverse("api_schedule_list", kwargs={"version": "v1"})).json()
    assert [row["period"] for row in listed] == [claims_ready.a.period.pk]
    assert (
        _token(claims_ready.a.county_agent).put(url, claimkit.SHAOXING, content_type="application/json").status_code
        == 403
    )


def test_the_claims_api_is_in_the_schema(tree: Tree) -> None:
    schema = yaml.safe_load(_token(tree.province_user).get(reverse("api_schema")).content)
    assert {"/api/v1/claims/", "/api/v1/claims/{claim_pk}/review/", "/api/v1/claim-schedules/{period_pk}/"} <= set(
        schema["paths"]
    )


def test_the_province_sees_each_city_s_clock(claims_ready: Tree) -> None:
    claimkit.register(claims_ready.a.unit_agent, claims_ready.a.enrollment)
    page = _login(claims_ready.province_user).get(reverse("claims:deadlines")).content.decode()
    assert 'data-testid="offices"' in page and claims_ready.a.city.name in page


def test_an_auditor_reads_a_claim_without_buttons_to_correct_it_or_add_documents(claims_ready: Tree) -> None:
    from mutualaid.roles import Role
    from tests.factories import UserFactory

    a = claims_ready.a
    claim = claimkit.register(a.unit_agent, a.enrollment)
    with unscoped():
        auditor = UserFactory(username="xa_auditor", org=a.city, roles=[Role.AUDITOR])
    url = reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})
    read = _login(auditor).get(url).content.decode()
    assert claim.number in read and "更正数据" not in read and "补充材料" not in read
    agent = _login(a.unit_agent).get(url).content.decode()
    assert "更正数据" in agent and "补充材料" in agent
    # Nothing ever waits for an auditor or an agent: no "waiting for me" tab to open on an empty list.
    listed = reverse("claims:claim_list")
    assert 'data-testid="queue-mine"' not in _login(auditor).get(listed).content.decode()
    assert 'data-testid="queue-mine"' not in _login(a.unit_agent).get(listed).content.decode()
    assert 'data-testid="queue-mine"' in _login(a.office_user).get(listed).content.decode()

"""The rectification ledger of audit findings (owner required, deadline, evidence, verification by
someone else, overdue warnings on the home page) and the pack for an audit of a leader leaving
office, opened as a PDF."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from rest_framework.authtoken.models import Token

from claims.services.documents import document_check
from mutualaid import dates
from mutualaid.models import User
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope, unscoped
from reporting.models import AuditFinding, FindingEvidence, FindingStatus
from reporting.rectification import finding_record, finding_rectify, finding_verify
from tests import claimkit
from tests.conftest import Tree
from tests.factories import UserFactory


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _todo_links(user: User) -> dict[str, int]:
    page = _login(user).get(reverse("home")).content.decode()
    items = re.findall(r'<a href="([^"]+)">\s*<span class="todo-count">([\d,]+)</span>', page)
    return {href.replace("&amp;", "&"): int(count.replace(",", "")) for href, count in items}


def _owner(tree: Tree) -> User:
    return UserFactory(username="xa_cashier", display_name="甲XA出纳", org=tree.a.city, roles=[Role.FINANCE_OFFICER])


def _record(tree: Tree, owner: User | None, **changes: object) -> AuditFinding:
    auditor = tree.province_user
    args: dict[str, object] = {
        "office": tree.a.city,
        "source": "inspection",
        "title": "备用金未按月对账",
        "detail": "2026年10月现金日记账与银行对账单不符。",
        "owner": owner,
        "deadline": dates.business_today() + timedelta(days=10),
    }
    args.update(changes)
    with org_scope(tree.province, actor_id=auditor.pk):
        return finding_record(actor=auditor, **args)  # type: ignore[arg-type]


def test_a_finding_without_an_owner_is_refused_with_a_message_and_nothing_is_recorded(tree: Tree) -> None:
    with pytest.raises(ValidationError) as refused:
        _record(tree, None)
    assert "owner" in refused.value.message_dict
    page = _login(tree.province_user).post(
        reverse("reporting:finding_list"),
        {
            "office": tree.a.city.pk,
            "source": "inspection",
            "title": "无责任人",
            "deadline": str(dates.business_today() + timedelta(days=3)),
        },
        follow=True,
    )
    assert page.status_code == 200 and "msg error" in page.content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=tree.province_user).key}")
    answer = api.post(
        reverse("api_reporting_findings", kwargs={"version": "v1"}),
        {"office": tree.a.city.pk, "found_by": "inspection", "title": "无责任人", "deadline": "2099-01-01"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "owner" in answer.json()
    # A deadline already past, and an owner of a sibling office, are refused too.
    with pytest.raises(ValidationError):
        _record(tree, _owner(tree), deadline=dates.business_today() - timedelta(days=1))
    with pytest.raises(ValidationError):
        _record(tree, tree.b.office_user)
    with unscoped():
        assert not AuditFinding.objects.exists()


def test_the_owner_rectifies_with_evidence_and_someone_else_verifies_and_closes(tree: Tree) -> None:
    owner = _owner(tree)
    finding = _record(tree, owner)
    assert _todo_links(owner).get("/reporting/findings/?state=mine") == 1
    pdf = claimkit.pdf_scan()
    with org_scope(tree.a.city, actor_id=owner.pk):
        with pytest.raises(ValidationError):  # what was done, and the evidence, are required
            finding_rectify(actor=owner, finding=finding, rectification="", evidence=[])
        evidence = document_check(kind="other", upload=SimpleUploadedFile("对账单.pdf", pdf))
        finding = finding_rectify(actor=owner, finding=finding, rectification="已补记并逐月对账", evidence=[evidence])
        with pytest.raises(PermissionDenied):
            finding_verify(actor=owner, finding=finding, accept=True)
    assert finding.status == FindingStatus.RECTIFIED
    with unscoped():
        stored = FindingEvidence.objects.get(finding=finding)
        raw = stored.file.read()
    assert b"%PDF" not in raw and stored.sha256 == hashlib.sha256(pdf).hexdigest()
    auditor = _login(tree.province_user)
    shown = auditor.get(
        reverse("reporting:finding_evidence", kwargs={"finding_pk": finding.pk, "evidence_pk": stored.pk})
    )
    assert shown.content == pdf
    assert _todo_links(tree.province_user).get("/reporting/findings/?state=rectified") == 1
    closed = auditor.post(reverse("reporting:finding_detail", kwargs={"finding_pk": finding.pk}), {"action": "accept"})
    assert closed.status_code == 302
    with unscoped():
        assert AuditFinding.objects.get(pk=finding.pk).status == FindingStatus.CLOSED


def test_a_finding_past_its_deadline_is_a_red_warning_on_the_home_page(tree: Tree) -> None:
    owner = _owner(tree)
    finding = _record(tree, owner)
    with unscoped():
        AuditFinding.objects.filter(pk=finding.pk).update(deadline=dates.business_today() - timedelta(days=1))
    assert _todo_links(tree.a.office_user).get("/reporting/findings/?state=overdue") == 1
    assert _todo_links(tree.b.office_user).get("/reporting/findings/?state=overdue") is None  # not theirs
    listed = _login(tree.a.office_user).get(reverse("reporting:finding_list") + "?state=overdue").content.decode()
    assert "备用金未按月对账" in listed
    detail = _login(owner).get(reverse("reporting:finding_detail", kwargs={"finding_pk": finding.pk}))
    assert 'data-testid="overdue"' in detail.content.decode()


def test_the_leaving_audit_pack_is_a_pdf_of_the_funds_position_and_the_terms_large_decisions(tree: Tree) -> None:
    tree.a.with_enrollment(100).with_claim()
    _record(tree, _owner(tree))
    client = _login(tree.a.office_user)
    form = client.get(reverse("reporting:leaving_audit"))
    assert form.status_code == 200
    # The term it proposes is in the pickers, written as <input type=date> takes it (not 2026/01/01,
    # the Chinese input format, which the browser shows as an empty field).
    today = dates.business_today()
    assert f'name="start" value="{today.year}-01-01"' in form.content.decode()
    assert f'name="end" value="{today:%Y-%m-%d}"' in form.content.decode()
    response = client.get(
        reverse("reporting:leaving_audit"),
        {"office": tree.a.city.pk, "leader": "张离任", "start": "2026-01-01", "end": str(dates.business_today())},
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "张离任" in text and tree.a.city.name in text
    assert "2026年第11次主任办公会" in text  # the claims batch's payment, decided at a meeting
    assert "备用金未按月对账" in text  # the finding not yet closed
    bad = client.get(
        reverse("reporting:leaving_audit"),
        {"office": tree.a.city.pk, "leader": "张离任", "start": "2026-06-01", "end": "2026-01-01"},
    )
    assert bad.status_code == 400 and "msg error" in bad.content.decode()

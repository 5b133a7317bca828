"""Full ID, phone and bank account numbers, one person's or many, are handed out on the terms of
revealing one ID number: a password (and code) confirmed within REAUTH_SECONDS, and a record in
the audit trail of who got which document of which record with how many people's numbers.

The documents that carry them: a member list's checked workbook and its rows to correct (every
row's ID and phone), a claims batch's bank-transfer workbook (every payee's account), a claim's
ID card and bank card copies. The walk at the end finds every response that carries a full number
and checks it is one of these. See SECURITY.md (Full ID, phone and account numbers).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.models import ClaimDocument
from claims.services.payment import batch_create
from enrollment.models import MemberList
from finance.models import PaymentRequest
from mutualaid import reveal, twofactor
from mutualaid.audit import audit_event_list
from mutualaid.models import AuditNote, AuditNoteKind
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import PASSWORD, UserFactory
from tests.lists import person, upload_and_check
from tests.test_isolation import POLICY_DOCUMENTS, _text, _url, all_routes
from tests.twofactor import code_for, confirmed_device

ACCOUNT = "6222020200112233445"  # claimkit's payee


def _client(user: Any, *, fresh: bool) -> Client:
    """Logged in; `fresh`: the password confirmed just now, else longer ago than REAUTH_SECONDS."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[twofactor.CONFIRMED_AT] = time.time() - (0 if fresh else settings.REAUTH_SECONDS + 1)
    session.save()
    return client


def _disclosures() -> list[AuditNote]:
    with unscoped():
        return list(AuditNote.objects.filter(kind=AuditNoteKind.DISCLOSED).order_by("pk"))


def _asks_to_confirm(response: Any, back_to: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == reverse("reauth") + "?" + urlencode({"next": back_to})


def _list_to_correct(tree: Tree) -> Any:
    """A list of city A's county agent with one row to correct (an ID number that cannot exist)."""
    rows = [person(300), person(301, id_number="610113198001010000")]
    return upload_and_check(tree.a.county_agent, tree.a.unit, tree.a.period, rows)


@pytest.mark.parametrize(
    ("name", "people"),
    [("enrollment:list_annotated", 2), ("enrollment:list_failed_rows", 1)],
)
def test_a_member_lists_workbook_asks_for_a_fresh_confirmation_and_is_recorded(
    tree: Tree, name: str, people: int
) -> None:
    """Both workbooks of a member list carry full ID and phone numbers: without a recent
    confirmation the agent is sent to confirm and back to the list's page, and gets no file and
    no record; after confirming, the file, and the audit page says who got which document of
    which list with how many people's numbers."""
    tree.a.with_enrollment(100)
    member_list = _list_to_correct(tree)
    agent = tree.a.county_agent
    url = reverse(name, kwargs={"list_pk": member_list.pk})
    detail = reverse("enrollment:list_detail", kwargs={"list_pk": member_list.pk})
    client = _client(agent, fresh=False)

    refused = client.get(url)
    _asks_to_confirm(refused, detail)
    assert person(300)["id_number"] not in _text(refused) and not _disclosures()

    back = client.post(refused["Location"], {"password": PASSWORD})
    assert back["Location"] == detail  # the list's page, where the link is
    response = client.get(url)
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    text = _text(response)
    assert person(301)["phone"] in text and ("610113198001010000" in text)
    assert (person(300)["id_number"] in text) == (people == 2)

    [note] = _disclosures()
    assert (note.actor_id, note.org_id, note.target) == (
        agent.pk,
        tree.a.unit.pk,
        f"enrollment.MemberList:{member_list.pk}",
    )
    assert note.detail["people"] == people and note.detail["numbers"] == ["id_number", "phone"]
    page = _client(tree.a.office_user, fresh=True).get(reverse("audit_list")).content.decode()
    document = "名单核对结果工作簿" if people == 2 else "名单待更正行工作簿"
    assert f"{document}「名单.xlsx」：{people} 人的完整身份证号码、电话号码" in page
    assert "查看或下载完整个人信息" in page and agent.display_name in page


def test_whoever_may_not_have_the_workbook_is_refused_without_being_asked_to_confirm(tree: Tree) -> None:
    """An auditor may read the list's report but not its workbook: a 403 (and the refusal in the
    audit trail) whether or not the password was confirmed lately; nothing handed out."""
    tree.a.with_enrollment(100)
    member_list = _list_to_correct(tree)
    with unscoped():
        auditor = UserFactory(username="xa_auditor", org=tree.a.city, roles=[Role.AUDITOR])
    for fresh in (False, True):
        response = _client(auditor, fresh=fresh).get(
            reverse("enrollment:list_annotated", kwargs={"list_pk": member_list.pk})
        )
        assert response.status_code == 403
    assert not _disclosures()
    with unscoped():
        assert AuditNote.objects.filter(kind=AuditNoteKind.REFUSED, actor=auditor).count() == 2


def _approved_payment(tree: Tree, enrollment: Any) -> tuple[Any, Any]:
    """A claim of city A with every kind of scan, in a batch whose payment is approved in layers."""
    people = tree.a.reviewers
    documents = [*claimkit.full_documents(), claimkit.upload("id_card"), claimkit.upload("bank_card")]
    claim = claimkit.approve(people, claimkit.register(tree.a.unit_agent, enrollment, documents=documents))
    with org_scope(people.finance.org, actor_id=people.finance.pk):
        batch = batch_create(actor=people.finance, claim_ids=[claim.pk])
    return claim, claimkit.approve_payment(people, batch)


def test_the_transfer_file_asks_the_finance_officer_to_confirm_and_is_recorded(claims_ready: Tree) -> None:
    """Every payee's full account number: the finance officer confirms password and code first
    (and comes back to the payment's page); then the file, and the record names the batch."""
    _claim, payment = _approved_payment(claims_ready, claims_ready.a.enrollment)
    finance = claims_ready.a.reviewers.finance
    url = reverse("finance:payment_transfer", kwargs={"payment_pk": payment.pk})
    detail = reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})
    client = _client(finance, fresh=False)

    refused = client.get(url)
    _asks_to_confirm(refused, detail)
    assert not _disclosures()
    back = client.post(refused["Location"], {"password": PASSWORD, "token": code_for(confirmed_device(finance))})
    assert back["Location"] == detail
    response = client.get(url)
    assert response.status_code == 200 and ACCOUNT in _text(response)

    [note] = _disclosures()
    assert (note.actor_id, note.target) == (finance.pk, f"finance.PaymentRequest:{payment.pk}")
    assert note.detail == {
        "document": "Bank-transfer workbook of payment batch",
        "label": payment.claims_batch.number,
        "people": 1,
        "numbers": ["account"],
    }
    with org_scope(claims_ready.a.city):
        [row] = [r for r in audit_event_list() if r.action == "disclosed"]
    assert row.actor == finance.display_name and row.object_id == str(payment.pk)
    assert f"「{payment.claims_batch.number}」：1 人的完整银行账号" in row.object_label


def test_an_id_card_or_bank_card_copy_asks_for_a_fresh_confirmation_and_is_recorded(claims_ready: Tree) -> None:
    """The copies whose content is a full number are given like a revealed ID number; the other
    scans of the claim (discharge record, invoice, settlement) open as before, unrecorded."""
    claim, _payment = _approved_payment(claims_ready, claims_ready.a.enrollment)
    with unscoped():
        scans = {d.kind: d for d in ClaimDocument.objects.filter(claim=claim)}
    detail = reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk})
    stale = _client(claims_ready.a.unit_agent, fresh=False)
    for kind in ("discharge", "invoice", "settlement"):
        url = reverse("claims:claim_document", kwargs={"claim_pk": claim.pk, "document_pk": scans[kind].pk})
        assert stale.get(url).status_code == 200
    assert not _disclosures()
    fresh = _client(claims_ready.a.unit_agent, fresh=True)
    for kind, number in (("id_card", "id_number"), ("bank_card", "account")):
        url = reverse("claims:claim_document", kwargs={"claim_pk": claim.pk, "document_pk": scans[kind].pk})
        response = stale.get(url)
        _asks_to_confirm(response, detail)
        assert not response.content.startswith(b"%PDF")
        assert fresh.get(url).content.startswith(b"%PDF")
        note = _disclosures()[-1]
        assert note.target == f"claims.ClaimDocument:{scans[kind].pk}" and note.detail["numbers"] == [number]
        assert (note.actor_id, note.detail["label"], note.detail["people"]) == (
            claims_ready.a.unit_agent.pk,
            claim.number,
            1,
        )
    assert len(_disclosures()) == 2


def test_the_api_never_hands_out_full_numbers_even_to_a_confirmed_session(tree: Tree) -> None:
    """There is no second factor behind a token, so the API refuses full numbers outright: asked
    on an /api/ path, the check answers 403 with the reason in Chinese, confirmed or not (the walk
    below finds no API response carrying one)."""
    request = RequestFactory().get("/api/v1/enrollments/")
    request.session = _client(tree.a.office_user, fresh=True).session
    request.user = tree.a.office_user
    answer = reveal.confirmation_needed(request, back_to="/")
    assert answer is not None and answer.status_code == 403
    assert "接口不提供完整的身份证号码" in json.loads(answer.content)["detail"]


def _secrets(tree: Tree) -> list[str]:
    return [m[k] for m in tree.a.members for k in ("id_number", "phone")] + [
        person(300)["id_number"],
        person(300)["phone"],
        ACCOUNT,
    ]


def _every_response(tree: Tree) -> list[str]:
    """Every GET of the product as city A's office user: each route with city A's objects, each
    printed document and finished job, every scan and every list's workbooks of city A."""
    routes = all_routes()
    urls = [_url(route, tree.a) for route in routes]
    urls += [
        reverse("enrollment:policy_document", kwargs={"policy_pk": tree.a.policy.pk, "document": d})
        for d in POLICY_DOCUMENTS
    ]
    urls += [_url(r, tree.a) + "?download=1" for r in routes if r.name in {"enrollment:card_job", "reporting:export"}]
    with unscoped():
        scans = list(ClaimDocument.objects.filter(org_path__startswith=tree.a.city.path))
        lists = list(MemberList.objects.filter(org_path__startswith=tree.a.city.path))
    urls += [reverse("claims:claim_document", kwargs={"claim_pk": d.claim_id, "document_pk": d.pk}) for d in scans]
    urls += [
        reverse(n, kwargs={"list_pk": m.pk})
        for m in lists
        for n in ("enrollment:list_annotated", "enrollment:list_failed_rows")
    ]
    with unscoped():
        payments = list(PaymentRequest.objects.filter(org_path__startswith=tree.a.city.path))
    urls += [reverse("finance:payment_transfer", kwargs={"payment_pk": p.pk}) for p in payments]
    return list(dict.fromkeys(urls))


def test_every_response_with_full_numbers_asks_for_a_fresh_confirmation_and_is_recorded(enrolled_tree: Tree) -> None:
    """City A's office user holds every role (it may reveal ID numbers and post payments). Without
    a recent confirmation, no response of the product (pages, the API by session and by token,
    printed documents, jobs, scans, workbooks) carries a full ID, phone or account number, and
    nothing is recorded; the guarded documents ask to confirm instead. Confirmed, every response
    that carries a full number is one of those that asked, and each of those left one record."""
    tree = enrolled_tree
    tree.a.with_stewardship().with_oversight()  # every route's object exists: receipts, re-checks, findings…
    _list_to_correct(tree)
    with unscoped():
        second = tree.a.policy.enrollments.order_by("number")[1]
    _approved_payment(tree, second)
    urls = _every_response(tree)
    with unscoped():
        token = Token.objects.create(user=tree.a.office_user).key
    by_token = Client(headers={"Authorization": f"Token {token}"})
    secrets = [m[k] for m in tree.a.members for k in ("id_number", "phone")]
    secrets += [person(300)["id_number"], person(301)["phone"], ACCOUNT]

    stale = _client(tree.a.office_user, fresh=False)
    asked = set()
    for url in urls:
        for client in (stale, by_token) if url.startswith("/api/") else (stale,):
            response = client.get(url)
            assert not [s for s in secrets if s in _text(response)], f"{url} carries a full number unconfirmed"
            if response.get("Location", "").startswith(reverse("reauth")):
                asked.add(url)
    assert not _disclosures()
    kinds = {url.split("/")[1] for url in asked}
    assert kinds == {"enrollment", "finance", "claims"}, asked  # workbooks, transfer files, copies

    fresh = _client(tree.a.office_user, fresh=True)
    carrying = set()
    for url in urls:
        response = fresh.get(url)
        assert response.status_code == 200 or url not in asked, url
        if [s for s in secrets if s in _text(response)]:
            carrying.add(url)
    assert carrying and carrying <= asked, carrying - asked
    notes = _disclosures()
    assert len(notes) == len(asked) and {note.actor_id for note in notes} == {tree.a.office_user.pk}

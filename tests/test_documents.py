"""Printed documents: member cards, application form, member list; and city-wide card printing."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from enrollment.models import CardPrintJob, JobStatus
from mutualaid import pii
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.factories import OrganisationFactory
from tests.lists import enrol, offer_plan, person


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def policy(tree: Tree):  # type: ignore[no-untyped-def]
    offer = offer_plan(tree.a.office_user)
    return enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(i) for i in range(10)])


def _get(tree: Tree, policy, document: str):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(tree.a.office_user)
    url = reverse("enrollment:policy_document", kwargs={"policy_pk": policy.pk, "document": document})
    return client.get(url)


def test_member_cards_show_the_masked_id_never_the_full_one(tree: Tree, policy) -> None:  # type: ignore[no-untyped-def]
    response = _get(tree, policy, "cards.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "互助保障卡" in text and "职工3" in text and pii.mask_id(person(3)["id_number"]) in text
    assert person(3)["id_number"] not in text
    assert f"{policy.number}-00005" in text  # card numbers follow the list's rows
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 2  # 10 cards, 8 to a page


def test_the_application_form_carries_the_unit_and_the_premium(tree: Tree, policy) -> None:  # type: ignore[no-untyped-def]
    text = pdf_text(_get(tree, policy, "application.pdf").content)
    assert "投保单" in text and tree.a.unit.name in text and tree.a.unit.credit_code in text
    assert policy.number in text and "500.00" in text


def test_the_member_list_comes_as_pdf_and_xlsx(tree: Tree, policy) -> None:  # type: ignore[no-untyped-def]
    assert "职工9" in pdf_text(_get(tree, policy, "members.pdf").content)
    sheet = load_workbook(io.BytesIO(_get(tree, policy, "members.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "姓名" and rows[2][1] == "职工0" and len(rows) == 12


def test_an_office_prints_all_its_cards_in_one_background_job(  # type: ignore[no-untyped-def]
    tree: Tree, policy, django_capture_on_commit_callbacks, settings
) -> None:
    settings.CARD_RENDER_PROCESSES = 1  # as in production: each document in a process of its own
    client = Client()
    client.force_login(tree.a.office_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enrollment:card_jobs"), {"period": policy.period_id})
    assert response.status_code == 302
    with org_scope(tree.a.city):
        job = CardPrintJob.objects.get()
    assert (job.status, job.card_count, job.progress) == (JobStatus.DONE, 10, 100)
    download = client.get(reverse("enrollment:card_job", kwargs={"job_pk": job.pk}) + "?download=1")
    assert "职工0" in pdf_text(download.content)


def test_a_large_policy_s_cards_are_printed_as_a_job_from_its_page(  # type: ignore[no-untyped-def]
    tree: Tree, policy, django_capture_on_commit_callbacks, settings, monkeypatch
) -> None:
    """Past CARDS_IN_PAGE members a policy's page does not draw its cards while the person waits:
    its button starts a card job of the unit and period (the policy's members, no more), the old
    address answers 400 in Chinese saying what to do, and a small policy keeps its direct link."""
    from enrollment import documents

    settings.CARD_RENDER_PROCESSES = 1
    client = Client()
    client.force_login(tree.a.office_user)
    page_url = reverse("enrollment:policy_detail", kwargs={"policy_pk": policy.pk})
    assert 'data-testid="cards-link"' in client.get(page_url).content.decode()
    monkeypatch.setattr(documents, "CARDS_IN_PAGE", 9)
    page = client.get(page_url).content.decode()
    assert 'data-testid="cards-link"' not in page and 'data-testid="cards-job"' in page
    form = page.split('data-testid="cards-job"', 1)[0].rsplit("<form", 1)[1]
    fields = dict(re.findall(r'name="(period|unit)" value="(\d+)"', form))
    assert fields == {"period": str(policy.period_id), "unit": str(policy.org_id)}
    refused = _get(tree, policy, "cards.pdf")
    assert refused.status_code == 400 and "作为任务打印" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("enrollment:card_jobs"), fields)
    assert started.status_code == 302
    with org_scope(tree.a.city):
        job = CardPrintJob.objects.get()
    assert (job.unit_id, job.period_id, job.status, job.card_count) == (
        policy.org_id,
        policy.period_id,
        JobStatus.DONE,
        10,
    )


def test_a_large_policy_s_member_list_is_printed_as_a_job_from_its_page(  # type: ignore[no-untyped-def]
    tree: Tree, policy, django_capture_on_commit_callbacks, settings, monkeypatch
) -> None:
    """Past MEMBER_LIST_IN_PAGE members a policy's page does not draw its member list (一览表)
    while the person waits: its button starts a print job of the policy's list (every member,
    a cancelled one too, as the small list shows them), the old address answers 400 in Chinese
    saying what to do, and the job's file is named after the policy."""
    from enrollment import documents
    from enrollment.models import Enrollment, EnrollmentStatus

    settings.CARD_RENDER_PROCESSES = 1
    client = Client()
    client.force_login(tree.a.office_user)
    page_url = reverse("enrollment:policy_detail", kwargs={"policy_pk": policy.pk})
    assert 'data-testid="member-list-link"' in client.get(page_url).content.decode()
    monkeypatch.setattr(documents, "MEMBER_LIST_IN_PAGE", 9)
    page = client.get(page_url).content.decode()
    assert 'data-testid="member-list-link"' not in page and 'data-testid="member-list-job"' in page
    assert 'data-testid="cards-link"' in page  # ten cards are still drawn at once
    form = page.split('data-testid="member-list-job"', 1)[0].rsplit("<form", 1)[1]
    fields = dict(re.findall(r'name="(period|unit|document)" value="(\w+)"', form))
    assert fields == {"period": str(policy.period_id), "unit": str(policy.org_id), "document": "members"}
    refused = _get(tree, policy, "members.pdf")
    assert refused.status_code == 400 and "作为任务打印" in refused.content.decode()
    with org_scope(tree.a.city):
        Enrollment.objects.filter(policy=policy, number=10).update(status=EnrollmentStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("enrollment:card_jobs"), fields)
    assert started.status_code == 302
    with org_scope(tree.a.city):
        job = CardPrintJob.objects.get()
    assert (job.document, job.unit_id, job.status, job.card_count) == ("members", policy.org_id, JobStatus.DONE, 10)
    download = client.get(reverse("enrollment:card_job", kwargs={"job_pk": job.pk}) + "?download=1")
    assert policy.number in download["Content-Disposition"]
    text = pdf_text(download.content)
    assert "参保人员名单" in text and "职工0" in text and "职工9" in text and "已退保" in text
    assert "互助保障卡" not in text
    jobs_page = client.get(reverse("enrollment:card_jobs")).content.decode()
    assert "参保人员名单" in jobs_page and tree.a.unit.name in jobs_page


def test_a_member_list_job_needs_its_unit_and_a_print_job_a_known_document(tree: Tree, policy) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(tree.a.office_user)
    url = reverse("enrollment:card_jobs")
    no_unit = client.post(url, {"period": policy.period_id, "document": "members"})
    assert no_unit.status_code == 400 and "选择要打印其参保人员名单的单位" in no_unit.content.decode()
    unknown = client.post(url, {"period": policy.period_id, "document": "=1+1"})
    assert unknown.status_code == 400 and "选择要打印的内容" in unknown.content.decode()
    # A unit of the tree that has no policy in the period: its list is not there to print, said
    # as such (not the cards' "no active member").
    with unscoped():
        bare = OrganisationFactory(name="无保单单位", parent=tree.a.county)
    none = client.post(url, {"period": policy.period_id, "document": "members", "unit": bare.pk})
    assert none.status_code == 400 and "该单位在本保障期没有保单，没有参保人员名单可打印" in none.content.decode()
    with org_scope(tree.a.city):
        assert not CardPrintJob.objects.exists()


def test_a_print_job_runs_once_even_if_the_task_is_delivered_twice(tree: Tree, policy) -> None:  # type: ignore[no-untyped-def]
    from enrollment.services.cards import card_job_create, card_job_run

    with org_scope(tree.a.city):
        job = card_job_create(actor=tree.a.office_user, period=policy.period)
        first = card_job_run(job=job)
        name = first.file.name
        second = card_job_run(job=job)
    assert second.file.name == name and second.status == JobStatus.DONE


def test_past_the_units_a_select_lists_the_card_page_says_where_another_unit_s_cards_are_printed(
    tree: Tree,
    policy,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from enrollment import card_views

    client = Client()
    client.force_login(tree.a.office_user)
    url = reverse("enrollment:card_jobs")
    page = client.get(url).content.decode()
    assert f'value="{tree.a.unit.pk}"' in page and 'data-testid="units-beyond"' not in page
    monkeypatch.setattr(card_views, "UNITS_LISTED", 0)
    page = client.get(url).content.decode()
    assert f'value="{tree.a.unit.pk}"' not in page and 'data-testid="units-beyond"' in page
    assert "保障卡（PDF）" in page

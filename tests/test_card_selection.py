"""Card printing for one unit, only the members new since the last print, or one endorsement;
the page is busy while a job runs, and asking for the same cards again answers with that job."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from enrollment.models import CardPrintJob, Endorsement, JobStatus
from enrollment.services.cards import card_job_file_read, card_job_request, card_job_run
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.lists import enrol, person


@pytest.fixture
def printed(tree: Tree, settings: Any, tmp_path: Path) -> Tree:
    """City A's unit: two members printed once (a whole-tree job, done), then three more by a
    supplementary list (an endorsement)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    a = tree.a.with_enrollment(0).with_cards()
    enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(100 + i, name=f"新会员{i}") for i in range(3)])
    with unscoped():
        a.endorsement = Endorsement.objects.get(policy=a.policy)
    return tree


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _jobs() -> int:
    with unscoped():
        return CardPrintJob.objects.count()


def _names(job: CardPrintJob) -> str:
    reader = PdfReader(io.BytesIO(card_job_file_read(job=job)))
    return "".join(page.extract_text() for page in reader.pages)


def test_only_the_members_new_since_the_last_print_are_printed(printed: Tree) -> None:
    a = printed.a
    with org_scope(a.city, actor_id=a.office_user.pk):
        job, created = card_job_request(actor=a.office_user, period=a.period, only_new=True)
        assert created and job.since == a.card_job.created_at
        done = card_job_run(job=job)
        text = _names(done)
    assert done.card_count == 3 and "新会员0" in text and a.members[0]["name"] not in text


def test_nothing_new_since_the_last_print_is_refused_with_a_chinese_message(printed: Tree) -> None:
    a = printed.a
    with org_scope(a.city, actor_id=a.office_user.pk):
        card_job_run(job=card_job_request(actor=a.office_user, period=a.period, only_new=True)[0])
    before = _jobs()
    response = _login(a.office_user).post(reverse("enrollment:card_jobs"), {"period": a.period.pk, "only_new": "1"})
    assert response.status_code == 400 and "没有新参保的会员" in response.content.decode()
    assert _jobs() == before


def test_one_unit_or_one_endorsement_is_printed_alone(printed: Tree) -> None:
    a = printed.a
    with org_scope(a.city, actor_id=a.office_user.pk):
        unit_job = card_job_run(job=card_job_request(actor=a.office_user, period=a.period, unit=a.unit)[0])
        endorsed, _created = card_job_request(actor=a.office_user, period=a.period, endorsement=a.endorsement)
        endorsed = card_job_run(job=endorsed)
    assert unit_job.card_count == 5 and unit_job.unit_id == a.unit.pk
    assert endorsed.card_count == a.endorsement.member_count == 3 and endorsed.unit_id == a.unit.pk
    page = _login(a.office_user).get(reverse("enrollment:card_jobs"), {"endorsement": a.endorsement.pk})
    assert page.status_code == 200 and a.endorsement.number in page.content.decode()


def test_a_unit_or_endorsement_of_another_office_is_refused_and_nothing_is_written(printed: Tree) -> None:
    a, b = printed.a, printed.b.with_enrollment(50)
    before = _jobs()
    client = _login(a.office_user)
    response = client.post(reverse("enrollment:card_jobs"), {"period": a.period.pk, "unit": b.unit.pk})
    assert response.status_code == 400 and "请选择本办事处辖内的单位" in response.content.decode()
    response = client.post(reverse("enrollment:card_jobs"), {"period": a.period.pk, "unit": "x1"})
    assert response.status_code == 400
    with org_scope(a.city, actor_id=a.office_user.pk), pytest.raises(ValidationError):
        card_job_request(actor=a.office_user, period=a.period, unit=a.city)
    assert _jobs() == before
    # A job of city A is not found from city B.
    assert (
        _login(b.office_user).get(reverse("enrollment:card_job", kwargs={"job_pk": a.card_job.pk})).status_code == 404
    )


def test_the_page_is_busy_while_a_job_runs_and_a_second_request_answers_with_it(printed: Tree) -> None:
    a = printed.a
    client = _login(a.office_user)
    url = reverse("enrollment:card_jobs")
    assert 'data-testid="busy"' not in client.get(url).content.decode()
    first = client.post(url, {"period": a.period.pk, "unit": a.unit.pk}, follow=True)
    assert first.status_code == 200
    with unscoped():
        job = CardPrintJob.objects.latest("pk")
    assert job.status == JobStatus.QUEUED  # the task runs after the commit, which a test never reaches
    again = client.post(url, {"period": a.period.pk, "unit": a.unit.pk}, follow=True)
    html = again.content.decode()
    assert "正在打印" in html and 'data-testid="busy"' in html and "disabled" in html
    with unscoped():
        assert CardPrintJob.objects.filter(status=JobStatus.QUEUED).count() == 1
    state = client.get(reverse("enrollment:card_job", kwargs={"job_pk": job.pk})).json()
    assert state["status"] == "queued" and state["done"] is False
    # Another selection is another job.
    client.post(url, {"period": a.period.pk})
    with unscoped():
        assert CardPrintJob.objects.filter(status=JobStatus.QUEUED).count() == 2

"""A whole office's cards: documents drawn side by side by CARD_RENDER_PROCESSES renderers, joined
in order into one PDF; a renderer that dies fails the job in Chinese and leaves no file."""

from __future__ import annotations

import io
import os
import re
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path
from typing import Any

import psutil
import pytest
from pypdf import PageObject, PdfReader

from enrollment import carddraw, cardrender
from enrollment.cardrender import Card, cards_pdf_chunks, document_size
from enrollment.models import CardPrintJob, JobStatus
from enrollment.services.cards import card_job_create, card_job_run
from mutualaid.tenancy import org_scope
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person

MEMBERS = 90  # 12 pages: the last holds 2 cards


@pytest.fixture
def office(tree: Tree, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Tree:
    """An office of 90 members, its cards in documents of 24 drawn by two renderers."""
    offer = offer_plan(tree.a.office_user)
    enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, [person(i) for i in range(MEMBERS)])
    settings.CARD_RENDER_PROCESSES = 2
    monkeypatch.setattr(cardrender, "DOCUMENT_MOST", 24)
    tree.a.period = offer.period
    return tree


def _names(page: PageObject) -> list[int]:
    return [int(n) for n in re.findall(r"职工(\d+)", page.extract_text())]


def _renderers_left() -> list[psutil.Process]:
    """Processes of this test's tree other than its own children (the fork server and its
    resource tracker live as long as the test process): renderers still running."""
    return [p for p in psutil.Process().children(recursive=True) if p.ppid() != os.getpid()]


def test_a_document_is_whole_pages_and_the_renderers_share_the_work_evenly() -> None:
    assert document_size(10_000, 2) == 192  # 53 documents: 27 and 26, the last of 16 cards
    assert document_size(1_000, 2) == 168 and document_size(10, 2) == 16  # a small job is one document
    for total in (1, 7, 8, 90, 999, 1_000, 1_100, 10_000, 100_000):
        for processes in (1, 2, 3):
            size = document_size(total, processes)
            assert size % 8 == 0 and size <= 192
            documents = [size] * (total // size) + ([total % size] if total % size else [])
            loads = [0] * processes
            for cards in documents:  # each document to the renderer free first
                loads[loads.index(min(loads))] += cards
            assert max(loads) <= total / processes + size  # the last to finish ends within a document of even
            if total >= 1_000 and processes == 2:
                assert max(loads) <= 1.03 * total / processes


def test_a_job_joins_every_card_in_order_into_one_pdf(office: Tree) -> None:
    with org_scope(office.a.city, actor_id=office.a.office_user.pk):
        job = card_job_run(job=card_job_create(actor=office.a.office_user, period=office.a.period))
    assert (job.status, job.card_count, job.progress) == (JobStatus.DONE, MEMBERS, 100)
    from enrollment.services.cards import card_job_file_read

    pages = PdfReader(io.BytesIO(card_job_file_read(job=job))).pages
    assert len(pages) == 12  # 90 cards, 8 to a page: no half-empty page where two documents meet
    for number, page in enumerate(pages):
        assert _names(page) == list(range(8 * number, min(8 * number + 8, MEMBERS)))


@pytest.mark.parametrize("processes", [1, 2])
def test_the_renderers_at_once_are_as_many_as_the_setting_says(processes: int, settings: Any) -> None:
    settings.CARD_RENDER_PROCESSES = processes
    day = date(2026, 1, 1)
    cards = [Card(f"6101-1-{i:05d}", f"职工{i}", "6101**1X", "互助", 1, "2026", day, day, "工会") for i in range(160)]
    documents = list(cards_pdf_chunks(cards, office="代办处", chunk=40))
    assert len(documents) == 4
    assert len({d.process for d in documents}) == 4 and os.getpid() not in {d.process for d in documents}
    events = sorted([(d.started, 1) for d in documents] + [(d.ended, -1) for d in documents])
    at_once = most = 0
    for _, step in events:
        at_once += step
        most = max(most, at_once)
    assert most == processes


def test_a_renderer_that_dies_fails_the_job_in_chinese_and_leaves_no_file(
    office: Tree, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setenv("MUTUALAID_FAULT_CRASH", "enrollment.cards.document-3")  # as the OOM killer would
    with org_scope(office.a.city, actor_id=office.a.office_user.pk):
        job = card_job_create(actor=office.a.office_user, period=office.a.period)
        with pytest.raises(BrokenProcessPool):
            card_job_run(job=job)
        job = CardPrintJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED and not job.file and job.card_count == 0
    assert "绘制保障卡的进程中途停止" in job.error and "没有生成文件" in job.error
    assert not list(Path(settings.MEDIA_ROOT).rglob(f"cards-{job.pk}-*"))
    assert _renderers_left() == []


def test_a_failure_while_drawing_here_fails_the_job_in_chinese(
    office: Tree, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.CARD_RENDER_PROCESSES = 0

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("font missing")

    monkeypatch.setattr(carddraw, "card_pdf", broken)
    with org_scope(office.a.city, actor_id=office.a.office_user.pk):
        job = card_job_create(actor=office.a.office_user, period=office.a.period)
        with pytest.raises(RuntimeError):
            card_job_run(job=job)
        job = CardPrintJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.FAILED and not job.file
    assert "保障卡未能生成" in job.error and "font missing" not in job.error

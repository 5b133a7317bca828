"""Background jobs run inside the scope of the office they were started for."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from pypdf import PdfReader

from enrollment.models import CardPrintJob
from enrollment.services.cards import card_job_create
from enrollment.tasks import print_cards
from mutualaid import pii
from mutualaid.tasks import org_stats
from mutualaid.tenancy import ScopeError, org_scope, unscoped
from tests.conftest import Tree
from tests.workers import database_url, worker_command

ROOT = Path(__file__).resolve().parent.parent


def test_a_task_computes_in_its_office_scope_only(tree: Tree) -> None:
    result = org_stats.apply(kwargs={"org_id": tree.a.city.pk}).get()
    assert result == {"offices": 1, "counties": 1, "units": 1, "headcount": 300, "users": 3}


def test_a_task_started_without_an_office_refuses_to_run(tree: Tree) -> None:
    with pytest.raises(ScopeError):
        org_stats.apply(kwargs={}).get()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_task_through_redis(tree: Tree) -> None:
    if not settings.REDIS_URL:
        from tests.conftest import require_service

        require_service("REDIS_URL")
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        worker_command(hostname=f"test-{os.getpid()}@%h"),
        cwd=ROOT,
        env=env,
    )
    try:
        async_result = org_stats.delay(org_id=tree.b.city.pk)
        assert not settings.CELERY_TASK_ALWAYS_EAGER
        result = async_result.get(timeout=90)
        assert result == {"offices": 1, "counties": 1, "units": 1, "headcount": 300, "users": 3}
        assert async_result.successful()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        time.sleep(0.1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_prints_cards_in_render_processes_of_its_own(
    tree: Tree, settings: Any, tmp_path: Path
) -> None:
    """As docker-compose runs the worker: the task runs in a pool process (a daemon, by billiard's
    key), which starts the card renderer's short-lived processes (CARD_RENDER_PROCESSES)."""
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker is given the same folder
    tree.a.with_enrollment(100)
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        job = card_job_create(actor=tree.a.office_user, period=tree.a.period)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CARD_RENDER_PROCESSES": "1",
    }
    worker = subprocess.Popen(
        worker_command(hostname=f"prefork-{os.getpid()}@%h", pool="prefork"),
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: the render processes end with it
    )
    try:
        outcome = print_cards.delay(org_id=tree.a.city.pk, job_id=job.pk, actor_id=tree.a.office_user.pk)
        assert outcome.get(timeout=90) == "done"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    with unscoped():
        job = CardPrintJob.objects.get(pk=job.pk)
    assert (job.status, job.card_count) == ("done", 2)
    pdf = PdfReader(io.BytesIO(pii.decrypt_bytes((Path(settings.MEDIA_ROOT) / str(job.file.name)).read_bytes())))
    assert tree.a.members[0]["name"] in "".join(page.extract_text() for page in pdf.pages)

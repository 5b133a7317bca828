"""Background jobs run inside the scope of the office they were started for."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from mutualaid.tasks import org_stats
from mutualaid.tenancy import ScopeError
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

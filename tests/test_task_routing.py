"""Each kind of work waits on a queue of its own: a long print run never delays the roll-up."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from config.celery import WORK_KINDS, app, queue_of
from enrollment.tasks import print_cards
from reporting.tasks import rollup_office


def test_every_task_has_a_kind_of_work_and_every_kind_a_queue() -> None:
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert ours - set(WORK_KINDS) == set(), "name the kind of work of each new task in config/celery.py"
    assert set(WORK_KINDS) - ours == set(), "WORK_KINDS names tasks that no longer exist"
    assert set(WORK_KINDS.values()) <= {"default", *settings.WORK_QUEUE_KINDS}


def test_each_kind_routes_to_its_own_queue_of_this_deployment() -> None:
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    route = app.amqp.router.route
    assert route({}, "enrollment.print_cards")["queue"].name == f"{default}.documents"
    assert route({}, "enrollment.check_member_list")["queue"].name == f"{default}.imports"
    assert route({}, "reporting.rollup_office")["queue"].name == f"{default}.reports"
    assert route({}, "claims.notify_paid")["queue"].name == f"{default}.notifications"
    assert route({}, "mutualaid.org_stats")["queue"].name == default
    # A queue named by the caller wins (the fault tests send to a queue of their own).
    try:
        assert route({"queue": "elsewhere"}, "enrollment.print_cards")["queue"].name == "elsewhere"
    finally:
        app.amqp.queues.pop("elsewhere", None)  # the router declared it in this process


def test_a_worker_without_queues_named_consumes_every_kind() -> None:
    consumed = {queue.name for queue in app.conf.task_queues}
    assert consumed == {queue_of("default"), *(queue_of(kind) for kind in settings.WORK_QUEUE_KINDS)}


@pytest.mark.worker
def test_a_print_run_and_a_rollup_wait_on_different_queues_in_redis() -> None:
    """Sent through the real broker with no worker running: each message lies in its own list."""
    if not settings.REDIS_URL:
        from tests.conftest import require_service

        require_service("REDIS_URL")
    broker = redis.Redis.from_url(settings.REDIS_URL)
    documents, reports = queue_of("documents"), queue_of("reports")
    broker.delete(documents, reports)
    try:
        for job in range(3):
            print_cards.delay(org_id=1, job_id=job, actor_id=1)
        rollup_office.delay(org_id=1, period="2026-11-01")
        assert broker.llen(documents) == 3
        assert broker.llen(reports) == 1
        assert broker.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 0
    finally:
        broker.delete(documents, reports)

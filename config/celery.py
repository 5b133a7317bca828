"""The Celery app of the project. Tasks are declared in each app's `tasks.py` with
`shared_task(base=mutualaid.scopedtask.ScopedTask)`, and found here by autodiscovery.

Every task has a kind of work, and each kind its own queue (settings WORK_QUEUE_KINDS): member
lists being checked (imports), cards and PDFs (documents), roll-ups, remittance drafts and exports
(reports), messages to members and units (notifications); the rest (small housekeeping) stays on
the default queue. WORK_KINDS names every task: tests/test_task_routing.py fails on a task it does
not name, so that the queue of a new task is a decision, not an accident."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.process import AuthenticationString  # type: ignore[attr-defined] # private: typeshed omits it
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

WORK_KINDS: dict[str, str] = {
    "enrollment.check_member_list": "imports",
    "enrollment.print_cards": "documents",
    "reporting.rollup_all": "reports",
    "reporting.rollup_office": "reports",
    "reporting.consolidate_province": "reports",
    "reporting.export": "reports",
    "reporting.simulate": "reports",
    "reporting.count_renewals": "reports",
    "finance.draft_all_remittances": "reports",
    "finance.draft_remittances": "reports",
    "claims.notify_paid": "notifications",
    "mutualaid.deliver_notices": "notifications",
    "enrollment.notify_enrolled": "notifications",
    "enrollment.renewal_notices_all": "notifications",
    "enrollment.renewal_notices_office": "notifications",
    "mutualaid.resend_notices_all": "notifications",
    "mutualaid.resend_notices_office": "notifications",
    "mutualaid.org_stats": "default",
    "mutualaid.retention_all": "default",
    "mutualaid.retention_office": "default",
}


def queue_of(kind: str) -> str:
    """The queue of a kind of work in this deployment (its default queue's name, a dot, the kind)."""
    from django.conf import settings

    default: str = settings.CELERY_TASK_DEFAULT_QUEUE
    return default if kind == "default" else f"{default}.{kind}"


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_kw: Any) -> dict[str, str] | None:
    """Celery's router (settings CELERY_TASK_ROUTES): a task's queue from its kind of work. A queue
    named by the caller (`apply_async(queue=…)`) wins; Celery's own tasks keep the default queue."""
    kind = WORK_KINDS.get(name)
    return {"queue": queue_of(kind)} if kind else None


app = Celery("mutualaid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def pool_processes_may_start_processes(**_kwargs: Any) -> None:
    """Card printing renders each document in a short-lived process of its own, which it waits
    for before the task ends (enrollment/documents.py). A prefork pool process (the worker as an
    office runs it) is a daemon, which Python forbids to start processes, and carries billiard's
    key, which Python's own `spawn` refuses to hand on: it becomes an ordinary parent."""
    process = multiprocessing.current_process()
    # `_config` is multiprocessing's private state of a process, which typeshed does not declare.
    process._config["daemon"] = False  # type: ignore[attr-defined] # private, see above
    process._config["authkey"] = AuthenticationString(process.authkey)  # type: ignore[attr-defined] # private

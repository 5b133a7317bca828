"""The Celery app of the project. Tasks are declared in each app's `tasks.py` with
`shared_task(base=mutualaid.scopedtask.ScopedTask)`, and found here by autodiscovery."""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.process import AuthenticationString  # type: ignore[attr-defined] # private: typeshed omits it
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

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

"""The Celery app of the project. Tasks are declared in each app's `tasks.py` with
`shared_task(base=mutualaid.scopedtask.ScopedTask)`, and found here by autodiscovery."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("mutualaid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

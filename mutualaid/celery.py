"""The Celery app. Tasks are another interface to the services: they take ids, re-enter the
scope of the office they were started for, and call a service."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.settings")

app = Celery("mutualaid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class ScopedTask(Task):  # type: ignore[misc]
    """A task that runs inside one office's scope, given as the keyword argument `org_id`.

    A task started without an office fails before it touches any data.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from mutualaid.models import Organisation
        from mutualaid.tenancy import ScopeError, org_scope, unscoped

        org_id = kwargs.get("org_id")
        if not org_id:
            raise ScopeError(f"Task {self.name} was started without org_id; refusing to run unscoped.")
        with unscoped():
            org = Organisation.objects.get(pk=org_id)
        with org_scope(org, actor_id=kwargs.get("actor_id")):
            return super().__call__(*args, **kwargs)

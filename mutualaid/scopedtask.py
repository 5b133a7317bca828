"""The base of every task that touches an office's data. Tasks are another interface to the
services: they take ids, re-enter the scope of the office they were started for, and call a
service. The Celery app itself is the project's (config/celery.py)."""

from __future__ import annotations

from typing import Any

from celery import Task


class ScopedTask(Task[Any, Any]):
    """A task that runs inside one office's scope, given as the keyword argument `org_id`.

    A task started without an office fails before it touches any data. An `actor_id`, when
    given, must be a user of that office or of an office above it: a forged or stale actor from
    another tree, or from below the office (which would widen what that user could reach), fails
    too, so the audit trail never names someone who could not have done the work.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from mutualaid.models import Organisation, User
        from mutualaid.tenancy import ScopeError, org_scope, unscoped

        org_id = kwargs.get("org_id")
        if not org_id:
            raise ScopeError(f"Task {self.name} was started without org_id; refusing to run unscoped.")
        actor_id = kwargs.get("actor_id")
        with unscoped():  # the office and the actor, to enter the office's scope and check the actor
            org = Organisation.objects.get(pk=org_id)
            actor = User.auth_objects.select_related("org").filter(pk=actor_id).first() if actor_id else None
        if actor_id and (actor is None or actor.org is None or not org.path.startswith(actor.org.path)):
            raise ScopeError(
                f"Task {self.name}: user {actor_id} is not in the tree of office {org_id}; refusing to run."
            )
        with org_scope(org, actor_id=actor_id):
            return super().__call__(*args, **kwargs)

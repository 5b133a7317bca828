"""Reporting reads on a streaming replica, when there is one.

With `DATABASE_REPLICA_URL` set, the `replica` database is a PostgreSQL hot standby of the primary
(streaming replication). Pages and API calls that only read figures — dashboards, overviews,
rankings, their downloads, the provincial pull API — are registered by their app
(`register_replica_routes` from its `AppConfig.ready()`); `ReplicaMiddleware` runs such a request's
view inside `replica_reads()`, where `ReplicaRouter` sends every ORM read to the replica. Everything
else stays on the primary: writes always, the login and session (read before the view runs), every
page that writes, and everything outside a registered route, so a person always sees their own
writes.

A replica replays the primary's transactions whole and in order, and `replica_reads()` holds one
read-only REPEATABLE READ transaction for the whole request: every query of a page sees the same
moment of the primary. A replica that lags shows the month as it stood a moment ago — before a
roll-up or after it, never half of one, and never one query's figures from before and another's
from after.

Without `DATABASE_REPLICA_URL` all of this does nothing: there is one database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

REPLICA = "replica"
# Who is asking is always read on the primary, even inside a replica route: a token, a session or
# an authenticator made a moment ago must work at once (DRF authenticates inside the view).
PRIMARY_ONLY = frozenset({"authtoken", "sessions", "otp_totp", "otp_static", "axes"})
_reading: ContextVar[bool] = ContextVar("replica_reads", default=False)
_routes: set[str] = set()


def register_replica_routes(*view_names: str) -> None:
    """Routes (namespaced URL names) whose GET only reads figures: they may read from the replica."""
    _routes.update(view_names)


def replica_routes() -> frozenset[str]:
    return frozenset(_routes)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside, ORM reads go to the replica, all in one read-only snapshot; a no-op without one."""
    if not configured() or _reading.get():
        yield
        return
    token = _reading.set(True)
    try:
        with transaction.atomic(using=REPLICA):
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    finally:
        _reading.reset(token)


class ReplicaRouter:
    """Django's database router (settings DATABASE_ROUTERS): reads inside `replica_reads()` go to
    the replica, everything else (and every write) to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if not _reading.get() or model is None:
            return None
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY or meta.label == settings.AUTH_USER_MODEL:
            return None
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # a standby is read-only: it gets its schema by replication


class ReplicaMiddleware:
    """Runs a GET or HEAD of a registered route inside `replica_reads()`. Last in MIDDLEWARE: the
    session, the user and the office scope are read from the primary before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not configured() or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            return self.get_response(request)
        if view_name not in _routes:
            return self.get_response(request)
        _ = request.user.is_authenticated  # load the session and the user from the primary first
        with replica_reads():
            return self.get_response(request)

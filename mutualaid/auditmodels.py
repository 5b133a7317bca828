"""The audit trail's rows as a queryset that scales with the page, not with the trail (issue 20).

django-pghistory's `Events` is a UNION over every event table that builds each event's whole
`pgh_data` and its `pgh_diff` against the object's previous event for every event, and only then
filters and sorts: at millions of events the audit page took minutes. `AuditEvent` is the same
UNION ALL with only each event table's own columns (when, which label, which context, which
object, and the tracked record's place in the tree: `path` for nodes, `org_path` for the rest), as
a common table expression in front of the query, the way pghistory's `Events` puts its own. It is
inlined by PostgreSQL, so every condition on it (the scope, the filters) is applied in each event
table on its own indexes, and "newest first, 50 rows" is a merge of each table's index on
(`pgh_created_at`, `pgh_id`) that stops after 50 rows. The whole event (its data and its diff,
from pghistory's `Events`) is then built for the rows shown only (mutualaid/audit.py).

Columns that are constant in a table (the kind of record, the labels its trackers record) let
PostgreSQL drop a table that cannot match a filter before reading it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import gettext_lazy as _

from mutualaid.tenancy import _scoped_manager_class

TABLE = "mutualaid_auditevent"
# The only event table with a column filtered by value beyond the shared ones: a note's kind.
NOTE_KIND = {"mutualaid.AuditNote": "kind"}


def event_models() -> list[Any]:
    """Every event model whose tracked record has a place in the tree (all of them today)."""
    from pghistory.models import Event

    found = []
    for model in apps.get_models():
        if issubclass(model, Event) and not model._meta.proxy and scope_column(model):
            found.append(model)
    return found


def scope_column(event_model: Any) -> str:
    """The column of `event_model` holding its record's place in the tree ("" for none)."""
    names = {field.name for field in event_model._meta.fields}
    return "path" if "path" in names else "org_path" if "org_path" in names else ""


def tracked_labels(event_model: Any) -> list[str]:
    """The labels the trackers of `event_model` record (insert, update, a manual event's)."""
    return sorted({tracker.label for tracker in event_model.pgh_trackers or []})


def _literal(text: str) -> str:
    # Model labels and tracker labels are identifiers of the code, never input; quoted all the same.
    return "'" + text.replace("'", "''") + "'"


def _select(event_model: Any) -> str:
    label = event_model._meta.label
    tracked = event_model.pgh_tracked_model._meta.label
    labels = ", ".join(_literal(name) for name in tracked_labels(event_model))
    kind = NOTE_KIND.get(tracked)
    # The code's own table, column and label names, never input.
    return f"""
        SELECT {_literal(label)}::text || ':' || pgh_id::text AS pgh_slug,
          {_literal(label)}::text AS pgh_model,
          {_literal(tracked)}::text AS pgh_obj_model,
          ARRAY[{labels}]::text[] AS pgh_labels,
          pgh_id, pgh_created_at, pgh_label,
          {"pgh_obj_id::text" if hasattr(event_model, "pgh_obj") else "NULL::text"} AS pgh_obj_id,
          {"pgh_context_id" if hasattr(event_model, "pgh_context") else "NULL::uuid"} AS pgh_context_id,
          {scope_column(event_model)}::varchar AS scope_path,
          {f"{kind}::varchar" if kind else "NULL::varchar"} AS note_kind
        FROM "{event_model._meta.db_table}"
    """  # noqa: S608


@functools.cache
def union_sql() -> str:
    """The UNION ALL of every event table's own columns (made once: the models do not change)."""
    selects = [_select(model) for model in event_models()]
    return "\nUNION ALL\n".join(selects)


class AuditEventCompiler(SQLCompiler):
    """A select of `AuditEvent` with the union in front (an aggregate wraps it as a subquery)."""

    def as_sql(self, *args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = super().as_sql(*args, **kwargs)
        explain = ""
        if info := self.query.explain_info:  # EXPLAIN goes before the WITH
            explain = self.connection.ops.explain_query_prefix(info.format, **info.options)
            sql = sql.removeprefix(explain)
        return f"{explain} WITH {TABLE} AS (\n{union_sql()}\n)\n{sql}".lstrip(), tuple(params)


_COMPILERS: dict[type[SQLCompiler], type[SQLCompiler]] = {}


def _with_union(compiler_class: type[SQLCompiler]) -> type[SQLCompiler]:
    # The backend's own compiler of selects (PostgreSQL has one), with the union in front.
    if compiler_class not in _COMPILERS:
        _COMPILERS[compiler_class] = type("AuditEventCompiler", (AuditEventCompiler, compiler_class), {})
    return _COMPILERS[compiler_class]


class AuditEventQuery(Query):
    def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
        compiler = super().get_compiler(*args, **kwargs)
        if type(compiler).__name__ == "SQLCompiler":  # a select (not an insert, update or delete)
            compiler.__class__ = _with_union(type(compiler))
        return compiler


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def __init__(self, model: Any = None, query: Any = None, using: Any = None, hints: Any = None) -> None:
        super().__init__(model, query or AuditEventQuery(model), using, hints)


if TYPE_CHECKING:

    class AuditEventManager(models.Manager["AuditEvent"]):
        """Events on records in the active scope (see below)."""

else:
    # Scoped as every tenant's rows (tenancy fails closed): without a scope it refuses to read,
    # in one it gives the events on records of that part of the tree only.
    class AuditEventManager(_scoped_manager_class("scope_path", models.Manager.from_queryset(AuditEventQuerySet))):
        """Events on records in the active scope."""

        use_in_migrations = False


class AuditEvent(models.Model):
    """One event of the trail, by its event table's own columns (see the module's docstring)."""

    pgh_slug = models.TextField(primary_key=True)
    pgh_model = models.TextField()
    pgh_obj_model = models.TextField()
    pgh_labels = ArrayField(models.TextField())
    pgh_id = models.IntegerField()
    pgh_created_at = models.DateTimeField()
    pgh_label = models.TextField()
    pgh_obj_id = models.TextField(null=True)
    pgh_context_id = models.UUIDField(null=True)
    scope_path = models.CharField(max_length=255)
    note_kind = models.CharField(max_length=12, null=True)

    objects = AuditEventManager()

    class Meta:
        managed = False
        db_table = TABLE
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ()

    def __str__(self) -> str:
        return self.pgh_slug

"""The audit trail: who did what, when, from which node, with the values before and after.

Changes are captured by django-pghistory's database triggers, so every insert and update is
recorded whatever code path made it (ORM, bulk writes, COPY, raw SQL), and the event tables are
append-only (PGHISTORY_APPEND_ONLY installs triggers that refuse UPDATE and DELETE). The acting
user and node are attached by `org_scope` through pghistory's context. This module reads the
trail back, limited to the caller's subtree, and records what is not a change of a row: an
authorisation refused on a sensitive action, what a retention run anonymised, and a document with
full ID, phone or account numbers handed out (AuditNote).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ParamSpec, TypeVar

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Case, F, Model, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pghistory.models import Context, Events

from mutualaid.audit_display import change_rows
from mutualaid.auditmodels import AuditEvent
from mutualaid.models import AuditNote, AuditNoteKind, Organisation, User
from mutualaid.tenancy import TenantOwned, current_org_path, unscoped

EVENT_LABELS = {
    "insert": "created",
    "update": "changed",
    "delete": "deleted",
    "id_revealed": "id_revealed",
    "list_downloaded": "list_downloaded",
    "otp_reset": "otp_reset",
}
DISCLOSED = "disclosed"  # the action of a row for a document with full numbers handed out
# The actions the audit page filters by, in words.
ACTION_CHOICES = [
    ("created", gettext_lazy("created")),
    ("changed", gettext_lazy("changed")),
    ("deleted", gettext_lazy("deleted")),
    ("id_revealed", gettext_lazy("full ID number shown")),
    (DISCLOSED, gettext_lazy("full personal data handed out")),
    ("list_downloaded", gettext_lazy("member list with full ID numbers downloaded")),
    ("otp_reset", gettext_lazy("authenticator reset")),
]

# The full numbers a document may carry, as the audit page names them.
FULL_NUMBERS = {
    "id_number": gettext_lazy("ID numbers"),
    "phone": gettext_lazy("phone numbers"),
    "account": gettext_lazy("bank account numbers"),
}

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    action: str
    model: str
    object_id: str
    object_label: str
    actor: str
    actor_org: str
    changes: list[tuple[str, str, str]]


def _model_label(model_path: str) -> str:
    try:
        return str(apps.get_model(model_path)._meta.verbose_name)
    except LookupError:
        return model_path


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page is narrowed to: a person (user id), an action (a key of
    `ACTION_CHOICES`), a kind of record (app_label.Model) and a range of days (business dates)."""

    actor: int | None = None
    action: str = ""
    model: str = ""
    since: date | None = None
    until: date | None = None


def audit_events_narrowed(qs: Any, filters: AuditFilters) -> Any:
    """`qs` (rows of `AuditEvent`) narrowed to `filters`, each a condition on an event table's own
    columns: PostgreSQL applies it in every table on its indexes, and drops a table that cannot
    match (another kind of record, a label its trackers never record) without reading it."""
    if filters.model:
        qs = qs.filter(pgh_obj_model=filters.model)
    if filters.actor is not None:
        # The person is kept in the context of the change (a number, or its text: both match).
        contexts = Context.objects.annotate(person=KeyTextTransform("user", "metadata"))
        qs = qs.filter(pgh_context_id__in=contexts.filter(person=str(filters.actor)).values("pk"))
    if filters.action == DISCLOSED:
        qs = qs.filter(pgh_obj_model=AuditNote._meta.label, note_kind=AuditNoteKind.DISCLOSED)
    elif filters.action:
        labels = [label for label, action in EVENT_LABELS.items() if action == filters.action]
        qs = qs.filter(pgh_label__in=labels, pgh_labels__overlap=labels)
    if filters.since is not None:
        qs = qs.filter(pgh_created_at__gte=_start_of(filters.since))
    if filters.until is not None:
        qs = qs.filter(pgh_created_at__lt=_start_of(filters.until + timedelta(days=1)))
    return qs


def audit_events_under(qs: Any, office: Organisation) -> Any:
    """`qs` (rows of `AuditEvent`) of records in `office`'s part of the tree."""
    return qs.filter(scope_path__startswith=office.path)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Newest first; events of one transaction share their moment, then the newest of each table first.
NEWEST_FIRST = ("-pgh_created_at", "-pgh_id", "-pgh_model")


def audit_event_queryset() -> QuerySet[AuditEvent]:
    """The events on records inside the active scope, newest first, as a queryset to narrow,
    sort and page: each with `actor_name` (the acting person's name, to sort by).

    Rows of `AuditEvent` (mutualaid/auditmodels.py): each event table's own columns, so that the
    scope, the filters and the order run on the tables' indexes; `audit_rows_of` then reads the
    whole events of the rows shown. A record's place in the tree is its own (`path` for nodes,
    `org_path` for everything tenant-owned), so an event is shown to the offices above the record.
    The person may sit above the caller's scope (a province officer changing a city's record): the
    accounts' own manager (not scoped, as authentication needs it) names them. No scope: an error.
    """
    root = current_org_path()
    person = Context.objects.filter(pk=OuterRef("pgh_context_id")).annotate(person=KeyTextTransform("user", "metadata"))
    actor_id = Case(When(Q(actor_key__regex=r"^[0-9]{1,18}$"), then=Cast(F("actor_key"), BigIntegerField())))
    name = User.auth_objects.filter(pk=OuterRef("actor_id")).annotate(
        shown=Coalesce(NullIf(F("display_name"), Value("")), F("username"))
    )
    return (
        AuditEvent.objects.filter(scope_path__startswith=root)
        .annotate(actor_key=Subquery(person.values("person")[:1]))
        .annotate(actor_id=actor_id)
        .annotate(actor_name=Subquery(name.values("shown")[:1]))
        .order_by(*NEWEST_FIRST)
    )


def audit_event_list(*, model: str = "", filters: AuditFilters | None = None, limit: int = 200) -> list[AuditRow]:
    """The most recent events on records inside the active scope, newest first."""
    qs = audit_events_narrowed(audit_event_queryset(), filters or AuditFilters(model=model))
    return audit_rows_of(list(qs[:limit]))


def audit_rows_of(refs: Sequence[AuditEvent]) -> list[AuditRow]:
    """The rows `refs` (of `AuditEvent`) in words, in their order: the whole events (their data
    and their change against the record's previous event) read through pghistory's `Events`, one
    query per event table among them, for these rows only."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for ref in refs:
        wanted[ref.pgh_model].append(ref.pgh_id)
    events: dict[tuple[str, int], Any] = {}
    for label, ids in wanted.items():
        events_of = Events.objects.across(label)  # type: ignore[no-untyped-call] # pghistory leaves it unannotated
        for event in events_of.filter(pgh_id__in=ids):
            events[label, event.pgh_id] = event
    return audit_rows([events[ref.pgh_model, ref.pgh_id] for ref in refs])


def audit_rows(events: Sequence[Any]) -> list[AuditRow]:
    """Each event in words: who, from which office, what, which record, each field before and
    after; the people and offices named in two queries for all of them."""
    contexts = [e.pgh_context or {} for e in events]
    user_ids = {int(c["user"]) for c in contexts if c.get("user")}
    org_ids = {int(c["org"]) for c in contexts if c.get("org")}
    for event in events:  # people and offices a change points to, named on the page
        for field, values in (event.pgh_diff or {}).items():
            ids = {int(v) for v in values if isinstance(v, int) or (isinstance(v, str) and v.isdigit())}
            if field in {"org_id", "parent_id", "target_org_id", "issued_by_office_id"}:
                org_ids |= ids
            elif field.endswith("_by_id") or field in {"user_id", "actor_id"}:
                user_ids |= ids
    # Names of actors and of their nodes may sit above the caller's scope (a province officer
    # changing a city's record): they are shown, the records of other offices are not.
    with unscoped():
        users = {u.pk: str(u) for u in User.auth_objects.filter(pk__in=user_ids)} if user_ids else {}
        orgs = {o.pk: o.name for o in Organisation.objects.filter(pk__in=org_ids)} if org_ids else {}
    names = {("mutualaid.User", pk): name for pk, name in users.items()}
    names |= {("mutualaid.Organisation", pk): name for pk, name in orgs.items()}

    return [_row(event, context, users, orgs, names) for event, context in zip(events, contexts, strict=True)]


def _row(
    event: Any,
    context: dict[str, Any],
    users: dict[int, str],
    orgs: dict[int, str],
    names: dict[tuple[str, int], str],
) -> AuditRow:
    data = event.pgh_data or {}
    diff = event.pgh_diff or {}
    action = EVENT_LABELS.get(event.pgh_label, event.pgh_label)
    model, object_id = event.pgh_obj_model, str(event.pgh_obj_id)
    changes = change_rows(model, diff, names=names)
    label = str(data.get("name") or data.get("username") or data.get("code") or data.get("target") or "")
    if model == AuditNote._meta.label and data.get("kind") == AuditNoteKind.DISCLOSED:
        # Shown as what happened to the record whose numbers went out, not as a note created.
        model, _sep, object_id = str(data.get("target", "")).partition(":")
        action, label, changes = DISCLOSED, _disclosure(data.get("detail") or {}), []
    return AuditRow(
        at=event.pgh_created_at,
        action=action,
        model=_model_label(model),
        object_id=object_id,
        object_label=label,
        actor=users.get(int(context.get("user") or 0), ""),
        actor_org=orgs.get(int(context.get("org") or 0), ""),
        changes=changes,
    )


def audit_model_choices() -> list[tuple[str, str]]:
    """The kinds of record the trail holds (app_label.Model, and its name), by name."""
    from pghistory.models import Event

    tracked: dict[str, str] = {}
    for model in apps.get_models():
        target: Any = getattr(model, "pgh_tracked_model", None) if issubclass(model, Event) else None
        if target is not None:
            tracked[target._meta.label] = str(target._meta.verbose_name)
    return sorted(tracked.items(), key=lambda item: item[1])


def _disclosure(detail: dict[str, Any]) -> str:
    """Which document of which record, and how many people's full numbers, in the reader's language."""
    numbers = _(", ").join(str(FULL_NUMBERS[n]) for n in detail.get("numbers", []) if n in FULL_NUMBERS)
    document = str(detail.get("document") or "")
    values = {"document": _(document) if document else "", "label": detail.get("label", ""), "numbers": numbers}
    if detail.get("people") is None:
        return _("%(document)s “%(label)s”: the full %(numbers)s of every row of the uploaded file") % values
    return _("%(document)s “%(label)s”: the full %(numbers)s of %(people)s people") % {
        **values,
        "people": detail["people"],
    }


def audit_refusal(*, actor: User, action: str, target: Model | None = None, reason: str = "") -> AuditNote:
    """Record that `actor` was refused `action` on `target` (who, when, from which node, what)."""
    with unscoped():  # the note belongs to the actor's node, which may lie outside the record's
        return AuditNote.objects.create(
            kind=AuditNoteKind.REFUSED,
            org_id=actor.org_id,
            actor_id=actor.pk,
            action=action,
            target=f"{target._meta.label}:{target.pk}" if target is not None else "",
            detail={"reason": reason[:300]},
        )


def records_refusals(action: str, *, target: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service whose `actor` may be refused: every PermissionDenied it raises is
    recorded, then raised again. Put it outside `@transaction.atomic`, so that the note is
    written after the service's own transaction has rolled back, not inside it."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return service(*args, **kwargs)
            except PermissionDenied as refusal:
                actor = kwargs.get("actor")
                if isinstance(actor, User) and actor.pk:
                    record = kwargs.get(target)
                    audit_refusal(
                        actor=actor,
                        action=action,
                        target=record if isinstance(record, Model) else None,
                        reason=" ".join(str(arg) for arg in refusal.args),
                    )
                raise

        return wrapper

    return decorate


def retention_recorded(*, office: Organisation, counts: dict[str, int]) -> AuditNote:
    """Record what one retention run anonymised in `office`'s part of the tree, kind by kind."""
    return AuditNote.objects.create(
        kind=AuditNoteKind.RETENTION, org=office, action="retention.apply", detail={"counts": counts}
    )


def audit_disclosure(
    *, actor: User, record: TenantOwned, document: str, label: str, people: int | None, numbers: Sequence[str]
) -> AuditNote:
    """Record that `actor` was handed `document` of `record` (shown as `label`) with the full
    `numbers` of `people` people (None: not known, for a file that could not be read as a list).
    `document` is an English msgid the caller marks with gettext_noop: it is stored as written and
    shown in the reader's language. The note belongs to the record's office, so that office and
    every office above it (the downloader's among them) see it on the audit page."""
    if not numbers or set(numbers) - FULL_NUMBERS.keys():
        raise ValueError(f"numbers must be some of {sorted(FULL_NUMBERS)}, not {numbers!r}")
    return AuditNote.objects.create(
        kind=AuditNoteKind.DISCLOSED,
        org_id=record.org_id,
        actor_id=actor.pk,
        action="pii.disclosed",
        target=f"{record._meta.label}:{record.pk}",
        detail={"document": document, "label": label[:200], "people": people, "numbers": list(numbers)},
    )

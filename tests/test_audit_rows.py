"""The audit page finds its rows on the event tables' own columns (mutualaid/auditmodels.py), not
through django-pghistory's `Events`, which builds every event's data and diff first (issue 20):
the same rows in the same order as that query under every filter, never a sibling's events, a
count that stops at its cap, bad filter values answered in Chinese, and the indexes the query
runs on present on every event table."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from pghistory.models import Events

from mutualaid import dates
from mutualaid.audit import (
    EVENT_LABELS,
    AuditFilters,
    _start_of,
    audit_event_queryset,
    audit_events_narrowed,
    audit_events_under,
    audit_refusal,
    audit_rows,
    audit_rows_of,
)
from mutualaid.audit_views import AuditListView
from mutualaid.auditmodels import AuditEvent, event_models, scope_column, tracked_labels
from mutualaid.models import AuditNote, AuditNoteKind, Organisation
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree


def _changes(tree: Tree) -> None:
    """A few changes in both cities, by people of both, through the pages; a refusal and a
    document with full numbers handed out (notes) in city A."""
    for user, other in ((tree.a.office_user, tree.a.unit_agent), (tree.b.office_user, tree.b.unit_agent)):
        client = Client()
        client.force_login(user)
        client.post(reverse("user_toggle_active", kwargs={"user_pk": other.pk}))
        client.post(reverse("user_toggle_active", kwargs={"user_pk": other.pk}))
    audit_refusal(actor=tree.a.unit_agent, action="claim.review", target=tree.a.unit)
    with unscoped():
        AuditNote.objects.create(
            kind=AuditNoteKind.DISCLOSED,
            org=tree.a.unit,
            actor=tree.a.office_user,
            action="pii.disclosed",
            target=f"mutualaid.Organisation:{tree.a.unit.pk}",
            detail={"document": "member list", "label": "x", "people": 3, "numbers": ["id_number"]},
        )


def _old(root: str, filters: AuditFilters, office: Organisation | None = None) -> list[tuple[str, int]]:
    """The rows as the page found them before: pghistory's `Events` filtered on each event's data."""
    qs = Events.objects.filter(Q(pgh_data__path__startswith=root) | Q(pgh_data__org_path__startswith=root))
    if office is not None:
        qs = qs.filter(Q(pgh_data__path__startswith=office.path) | Q(pgh_data__org_path__startswith=office.path))
    if filters.model:
        qs = qs.filter(pgh_obj_model=filters.model)
    if filters.actor is not None:
        qs = qs.filter(Q(pgh_context__user=filters.actor) | Q(pgh_context__user=str(filters.actor)))
    if filters.action == "disclosed":
        qs = qs.filter(pgh_obj_model=AuditNote._meta.label, pgh_data__kind="disclosed")
    elif filters.action:
        qs = qs.filter(pgh_label__in=[label for label, action in EVENT_LABELS.items() if action == filters.action])
    if filters.since is not None:
        qs = qs.filter(pgh_created_at__gte=_start_of(filters.since))
    if filters.until is not None:
        qs = qs.filter(pgh_created_at__lt=_start_of(filters.until + timedelta(days=1)))
    order = qs.order_by("-pgh_created_at", "-pgh_id", "-pgh_model")
    return [(event.pgh_model, event.pgh_id) for event in order]


def _new(filters: AuditFilters, office: Organisation | None = None) -> list[tuple[str, int]]:
    qs = audit_events_narrowed(audit_event_queryset(), filters)
    if office is not None:
        qs = audit_events_under(qs, office)
    return [(row.pgh_model, row.pgh_id) for row in qs]


def test_the_rows_filters_and_order_are_those_of_the_events_query(tree: Tree) -> None:
    _changes(tree)
    today = dates.business_today()
    cases: list[AuditFilters] = [
        AuditFilters(),
        AuditFilters(action="changed"),
        AuditFilters(action="created"),
        AuditFilters(action="id_revealed"),
        AuditFilters(action="disclosed"),
        AuditFilters(model="mutualaid.User"),
        AuditFilters(model="mutualaid.Organisation"),
        AuditFilters(actor=tree.a.office_user.pk),
        AuditFilters(actor=tree.b.office_user.pk),
        AuditFilters(since=today, until=today),
        AuditFilters(since=today + timedelta(days=1)),
        AuditFilters(until=today - timedelta(days=1)),
        AuditFilters(actor=tree.a.office_user.pk, action="changed", model="mutualaid.User", since=today),
    ]
    for node in (tree.province, tree.a.city, tree.b.city, tree.a.county):
        with org_scope(node):
            for filters in cases:
                assert _new(filters) == _old(node.path, filters), (node.name, filters)
            for office in (tree.a.city, tree.a.unit, tree.b.county):
                assert _new(AuditFilters(), office) == _old(node.path, AuditFilters(), office), (node.name, office)
    with org_scope(tree.province):
        everything = _new(AuditFilters())
        assert len(everything) > 15 and len({model for model, _id in everything}) > 2


def test_the_rows_shown_read_as_the_events_query_s(tree: Tree) -> None:
    _changes(tree)
    with org_scope(tree.a.city):
        refs = list(audit_event_queryset()[:50])
        old = Events.objects.filter(
            Q(pgh_data__path__startswith=tree.a.city.path) | Q(pgh_data__org_path__startswith=tree.a.city.path)
        ).order_by("-pgh_created_at", "-pgh_id", "-pgh_model")
        assert audit_rows_of(refs) == audit_rows(list(old[:50]))


def test_a_city_never_sees_a_sibling_s_events(tree: Tree) -> None:
    _changes(tree)
    with org_scope(tree.a.city):
        rows = list(audit_event_queryset())
        assert rows and all(row.scope_path.startswith(tree.a.city.path) for row in rows)
        assert not audit_events_under(audit_event_queryset(), tree.b.city).exists()
        assert not AuditEvent.objects.filter(scope_path__startswith=tree.b.city.path).exists()
    with org_scope(tree.b.city):
        assert all(row.scope_path.startswith(tree.b.city.path) for row in audit_event_queryset())
    client = Client()
    client.force_login(tree.a.office_user)
    html = client.get(reverse("audit_list")).content.decode()
    assert tree.b.unit_agent.username not in html and tree.a.unit_agent.username in html
    refused = client.get(reverse("audit_list"), {"office": tree.b.city.pk}).content.decode()
    assert 'role="alert"' in refused and tree.b.unit_agent.username not in refused


def test_without_a_scope_the_trail_is_refused(db: None) -> None:
    from mutualaid.tenancy import ScopeError

    with pytest.raises(ScopeError):
        audit_event_queryset()
    with pytest.raises(ScopeError):
        list(AuditEvent.objects.all())


@pytest.mark.parametrize(
    "query",
    [
        {"action": "nothing"},
        {"model": "auth.Permission"},
        {"at_min": "2026-13-45"},
        {"at_min": "2026-12-06", "at_max": "2026-12-01"},
    ],
)
def test_a_bad_filter_value_is_named_in_chinese_and_shows_nothing(tree: Tree, query: dict[str, str]) -> None:
    _changes(tree)
    client = Client()
    client.force_login(tree.a.office_user)
    response = client.get(reverse("audit_list"), query)
    assert response.status_code in {200, 400}
    html = response.content.decode()
    alert = re.search(r'role="alert"[^>]*>(.*?)</', html, flags=re.S)
    assert alert and re.search("[\u4e00-\u9fff]", alert.group(1)), html[:3000]
    assert tree.a.unit_agent.username not in html.split("<tbody", 1)[-1]


def test_a_bad_person_or_page_is_answered_400_or_its_last_page(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    assert client.get(reverse("audit_list"), {"actor": "x1"}).status_code == 400
    assert client.get(reverse("audit_list"), {"page": "99999"}).status_code == 200


def test_past_its_cap_the_trail_shows_the_newest_and_offers_no_sort_or_download(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    _changes(tree)
    monkeypatch.setattr(AuditListView, "count_cap", 3)
    client = Client()
    client.force_login(tree.a.office_user)
    response = client.get(reverse("audit_list"), {"sort": "actor"})
    html = response.content.decode()
    assert "超过 3 条" in html and "sort=" not in html.split("<thead", 1)[1].split("</thead>", 1)[0]
    with org_scope(tree.a.city):
        newest = [str(row.pgh_created_at) for row in audit_event_queryset()[:3]]
    assert len(re.findall(r"<tr[^>]*>", html.split("<tbody", 1)[1])) >= 3 and newest
    refused = client.get(reverse("audit_list"), {"export": "xlsx"})
    assert refused.status_code == 400 and "超过" in refused.content.decode()
    narrowed = client.get(reverse("audit_list"), {"actor": tree.a.office_user.pk, "action": "created"})
    assert "超过" not in narrowed.content.decode()


def _indexes() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()")
        found: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            found.setdefault(table, set()).add(name)
    return found


@pytest.mark.django_db
def test_every_event_table_has_the_indexes_the_page_runs_on() -> None:
    """A newly tracked model needs them too: a migration as mutualaid 0007 (its `audit_index_sql`)."""
    found = _indexes()
    models: list[Any] = event_models()
    assert len(models) > 40
    for model in models:
        table = model._meta.db_table
        assert scope_column(model)
        wanted = {f"{table}_pgh_at", f"{table}_pgh_place"}
        if set(tracked_labels(model)) - {"insert", "update"}:
            wanted.add(f"{table}_pgh_label_at")
        assert wanted <= found.get(table, set()), f"{table} lacks {wanted - found.get(table, set())}"
    assert "pghistory_context_user" in found["pghistory_context"]

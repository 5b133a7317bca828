"""The audit trail page, a list page as the others (mutualaid/listing.py): newest first, sorted by
time, person, action or kind of record; narrowed by person, action, kind of record, office and
days; the total, pages, and the view downloaded as a workbook.

The page finds its rows on the event tables' own columns and indexes (mutualaid/auditmodels.py)
and builds the whole events (data, changes, names) for the rows it shows only. Like the member
search it counts at most `count_cap` rows: past that (a province's whole trail) it says "more
than 10,000", shows the newest first and offers neither sorting nor a download until a filter
narrows it; within the cap every sort and the download are as before."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mutualaid.audit import (
    ACTION_CHOICES,
    DISCLOSED,
    NEWEST_FIRST,
    AuditFilters,
    AuditRow,
    audit_event_queryset,
    audit_events_narrowed,
    audit_events_under,
    audit_model_choices,
    audit_rows_of,
)
from mutualaid.listing import ListFilter, ListPage, ListTable, office_filter
from mutualaid.numbers import datetime_text
from mutualaid.selectors import user_list

# The actions a person should notice at a glance: full personal data seen or handed out.
SENSITIVE = {"id_revealed", DISCLOSED, "list_downloaded", "otp_reset"}
ACTION_WORDS = dict(ACTION_CHOICES)


def _row(record: Any) -> AuditRow:
    row: AuditRow = record.audit  # set by AuditListView.prepare, for the shown rows only
    return row


class SecondColumn(tables.Column):
    """A moment to the second (the trail orders what happened within a minute): 2026年12月6日
    14:05:09 on the page, a date and time in the workbook."""

    number_format = "yyyy-mm-dd hh:mm:ss"

    def render(self, value: Any) -> str:
        return datetime_text(value, seconds=True)

    def value(self, value: Any) -> Any:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None) if value else None


class AuditTable(ListTable):
    at = SecondColumn(
        _("Time"), accessor="pgh_created_at", order_by=("pgh_created_at", "pgh_id"), attrs={"td": {"class": "nowrap"}}
    )
    # empty_values=(): a change made by no person (a migration, a scheduled job) reads "System".
    actor = tables.Column(
        _("Who"),
        accessor="actor_name",
        order_by=("actor_name", "pgh_created_at"),
        empty_values=(),
        attrs={"td": {"class": "nowrap"}},
    )
    office = tables.Column(
        _("From"),
        accessor="pgh_context_id",
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "nowrap", "data-testid": "audit-office"}},
    )
    action = tables.Column(
        _("Action"),
        accessor="pgh_label",
        order_by=("pgh_label", "pgh_created_at"),
        attrs={"td": {"class": "nowrap"}},
    )
    record = tables.Column(_("Record"), accessor="pgh_obj_model", order_by=("pgh_obj_model", "pgh_obj_id"))
    changes = tables.Column(
        _("Changes"), accessor="pgh_id", orderable=False, empty_values=(), attrs={"td": {"class": "changes"}}
    )

    class Meta(ListTable.Meta):
        attrs = {"class": "table audit", "data-testid": "audit"}

    def render_actor(self, record: Any) -> str:
        return _row(record).actor or str(_("System"))

    def value_actor(self, record: Any) -> str:
        return self.render_actor(record)

    def render_office(self, record: Any) -> str:
        return _row(record).actor_org or "—"

    def value_office(self, record: Any) -> str:
        return _row(record).actor_org

    def render_action(self, record: Any) -> str:
        action = _row(record).action
        words = ACTION_WORDS.get(action, action)
        return format_html("<strong>{}</strong>", words) if action in SENSITIVE else format_html("{}", words)

    def value_action(self, record: Any) -> str:
        action = _row(record).action
        return str(ACTION_WORDS.get(action, action))

    def value_record(self, record: Any) -> str:
        row = _row(record)
        return f"{row.model} #{row.object_id} {row.object_label}".strip()

    def render_record(self, record: Any) -> str:
        return self.value_record(record)

    def render_changes(self, record: Any) -> str:
        changes = _row(record).changes
        if not changes:
            return "—"
        return format_html_join(
            "", '<div class="diff"><span class="field">{}</span>：{} → {}</div>', ((f, b, a) for f, b, a in changes)
        )

    def value_changes(self, record: Any) -> str:
        return "\n".join(f"{field}：{before} → {after}" for field, before, after in _row(record).changes)


def _actor(queryset: QuerySet[Any], name: str, person: Any) -> Any:
    return audit_events_narrowed(queryset, AuditFilters(actor=person.pk)) if person is not None else queryset


def _action(queryset: QuerySet[Any], name: str, value: str) -> Any:
    return audit_events_narrowed(queryset, AuditFilters(action=value)) if value else queryset


def _model(queryset: QuerySet[Any], name: str, value: str) -> Any:
    return audit_events_narrowed(queryset, AuditFilters(model=value)) if value else queryset


def _office(queryset: QuerySet[Any], name: str, office: Any) -> Any:
    return audit_events_under(queryset, office) if office is not None else queryset


def _days(queryset: QuerySet[Any], name: str, days: Any) -> Any:
    # From the first moment of the first day to the first of the day after the last (business
    # time), on the tables' index of moments: not each moment's day compared.
    if not days:
        return queryset
    return audit_events_narrowed(queryset, AuditFilters(since=days.start, until=days.stop))


class AuditFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        days = cleaned.get("at")
        if days is not None and days.start and days.stop and days.start > days.stop:
            self.add_error("at", _("The last day is before the first: swap them or pick another day."))
        return cleaned


class AuditFilter(ListFilter):
    """Who (the people of the caller's tree), what, which kind of record, where, which days."""

    actor = django_filters.ModelChoiceFilter(
        queryset=lambda request: user_list(), method=_actor, label=_("Who"), empty_label=_("Everyone")
    )
    action = django_filters.ChoiceFilter(
        choices=ACTION_CHOICES, method=_action, label=_("Action"), empty_label=_("Every action")
    )
    model = django_filters.ChoiceFilter(
        choices=audit_model_choices, method=_model, label=_("Kind of record"), empty_label=_("Every kind of record")
    )
    office = office_filter(method=_office)
    at = django_filters.DateFromToRangeFilter(
        method=_days, label=_("Date"), widget=django_filters.widgets.RangeWidget(attrs={"type": "date"})
    )

    class Meta:
        form = AuditFilterForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.form.fields["actor"]
        field.label_from_instance = lambda u: f"{u} · {u.org.name if u.org else ''}"


class AuditListView(ListPage):
    """Every creation and change of a record in the caller's tree, and every full number seen or
    handed out; the auditor of an office sees its part of the tree only, as the scope holds it."""

    template_name = "mutualaid/audit_list.html"
    permission_required = "audit.view"
    table_class = AuditTable
    filter_class = AuditFilter
    title = _("Audit trail")
    export_name = _("Audit trail")
    count_cap = 10_000
    capped_order = NEWEST_FIRST

    def queryset(self) -> QuerySet[Any]:
        events: QuerySet[Any] = audit_event_queryset()
        return events

    def within_cap(self, rows: QuerySet[Any], found: list[Any]) -> QuerySet[Any]:
        return rows  # every filter is on the event tables' indexes; their keys are not

    def prepare(self, records: list[Any]) -> None:
        for record, row in zip(records, audit_rows_of(records), strict=True):
            record.audit = row

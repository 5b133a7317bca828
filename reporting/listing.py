"""The columns and filters of the reporting list pages (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mutualaid.listing import (
    CountColumn,
    JobStatusColumn,
    ListFilter,
    ListTable,
    MomentColumn,
    MonthColumn,
    date_range,
    office_filter,
)
from reporting.models import ExportJob, ExportKind, ExportStatus, Snapshot, SnapshotKind


class SnapshotTable(ListTable):
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    kind = tables.Column(_("Kind"))
    period_start = MonthColumn(_("Period"))
    revision = CountColumn(_("Revision"))
    computed_at = MomentColumn(_("Computed at"))
    checksum = tables.Column(_("Checksum"), orderable=False)
    reason = tables.Column(_("Reason"), orderable=False)

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "snapshots"}

    def render_checksum(self, value: str) -> str:
        return value[:12]


class SnapshotFilter(ListFilter):
    kind = django_filters.ChoiceFilter(choices=SnapshotKind.choices, label=_("Kind"), empty_label=_("Every kind"))
    office = office_filter()
    period = date_range("period_start", _("Period"))

    class Meta:
        model = Snapshot
        fields: list[str] = []


class ExportTable(ListTable):
    created_at = MomentColumn(_("Started"))
    kind = tables.Column(_("Kind"))
    title = tables.Column(_("Export"))
    status = JobStatusColumn(_("Status"))
    download = tables.Column("", accessor="pk", orderable=False, exclude_from_export=True)

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "exports"}
        row_attrs = {"data-job-url": lambda record: reverse("reporting:export", kwargs={"export_pk": record.pk})}

    def render_download(self, record: ExportJob) -> Any:
        if record.status != ExportStatus.DONE or not record.file:
            return ""
        url = reverse("reporting:export", kwargs={"export_pk": record.pk})
        return format_html('<a href="{}?download=1" data-testid="export-download">{}</a>', url, _("Download"))


class ExportFilter(ListFilter):
    kind = django_filters.ChoiceFilter(choices=ExportKind.choices, label=_("Kind"), empty_label=_("Every kind"))
    status = django_filters.ChoiceFilter(choices=ExportStatus.choices, label=_("Status"), empty_label=_("All statuses"))
    office = office_filter()
    started = date_range("created_at", _("Started"))

    class Meta:
        model = ExportJob
        fields: list[str] = []

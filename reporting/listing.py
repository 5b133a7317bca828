"""The columns and filters of the reporting list pages (see mutualaid/listing.py)."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from mutualaid.listing import CountColumn, ListFilter, ListTable, MomentColumn, MonthColumn, date_range, office_filter
from reporting.models import Snapshot, SnapshotKind


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


__all__ = ["SnapshotFilter", "SnapshotTable"]

"""The columns and filters of the claims' list pages (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from claims.models import Claim, ClaimStatus, PaymentBatch
from enrollment.listing import period_filter, plan_filter
from mutualaid import dates
from mutualaid.listing import (
    CountColumn,
    DayColumn,
    ListFilter,
    ListTable,
    MoneyColumn,
    StatusColumn,
    date_range,
    office_filter,
)


class ClaimTable(ListTable):
    number = tables.Column(_("Claim"), linkify=("claims:claim_detail", {"claim_pk": tables.A("pk")}))
    name = tables.Column(_("Member"))
    id_masked = tables.Column(_("ID number"), orderable=False)
    unit = tables.Column(_("Unit"), accessor="org__name")
    plan = tables.Column(_("Plan"), accessor="period__plan__name")
    admitted_on = DayColumn(_("Admitted"))
    payout = MoneyColumn(_("Payout (yuan)"))
    target_due_on = DayColumn(_("Target date"))
    registered_at = DayColumn(_("Registered"))
    status = StatusColumn(_("Status"))

    class Meta(ListTable.Meta):
        sequence = (
            "number",
            "name",
            "id_masked",
            "unit",
            "plan",
            "admitted_on",
            "payout",
            "target_due_on",
            "registered_at",
            "status",
        )

    def render_number(self, value: str, record: Claim) -> Any:
        if not record.flags:
            return value
        kind = "block" if record.blocking_flags else "warn"
        title = " ".join(str(flag.get("message", "")) for flag in record.flags)
        return format_html('{} <span class="tag {}" title="{}">{}</span>', value, kind, title, _("flagged"))

    def value_number(self, value: str) -> str:
        return value

    def render_target_due_on(self, value: Any, record: Claim) -> Any:
        if record.status in {ClaimStatus.PAID, ClaimStatus.REJECTED}:
            return "—"
        shown = DayColumn().render(value)
        if value < dates.business_today():
            return format_html('<span class="overdue">{}</span>', shown)
        return shown

    def value_target_due_on(self, value: Any) -> Any:
        return value


class ClaimFilter(ListFilter):
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices, label=_("Status"), empty_label=_("All statuses"))
    office = office_filter()
    plan = plan_filter()
    period = period_filter()
    registered = date_range("registered_at", _("Registered"))
    admitted = date_range("admitted_on", _("Admitted"))

    class Meta:
        model = Claim
        fields: list[str] = []


class BatchTable(ListTable):
    number = tables.Column(_("Batch"), linkify=("claims:batch_detail", {"batch_pk": tables.A("pk")}))
    office = tables.Column(_("Office"), accessor="org__name")
    created_at = DayColumn(_("Prepared"))
    created_by = tables.Column(_("Prepared by"), accessor="created_by", order_by=("created_by__username",))
    claim_count = CountColumn(_("Claims"))
    total = MoneyColumn(_("Total (yuan)"))
    paid_on = DayColumn(_("Paid on"))
    state = tables.Column(_("Status"), accessor="awaiting", order_by=("-awaiting",))

    def render_state(self, value: int) -> Any:
        if value:
            return format_html('<span class="tag status-open">{}</span>', _("Awaiting payment"))
        return format_html('<span class="tag status-paid">{}</span>', _("Paid"))

    def value_state(self, value: int) -> str:
        return str(_("Awaiting payment") if value else _("Paid"))


def _batch_state(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    if value == "awaiting":
        return queryset.filter(awaiting__gt=0)
    if value == "paid":
        return queryset.filter(awaiting=0)
    return queryset


class BatchFilter(ListFilter):
    state = django_filters.ChoiceFilter(
        choices=[("awaiting", _("Awaiting payment")), ("paid", _("Paid"))],
        method=_batch_state,
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    office = office_filter()
    prepared = date_range("created_at", _("Prepared"))

    class Meta:
        model = PaymentBatch
        fields: list[str] = []

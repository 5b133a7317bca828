"""The columns and filters of the claims' list pages (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from claims.lifecycle import CLOCK_RUNNING, REVIEW_LEVELS
from claims.models import Claim, ClaimStatus, PaymentBatch
from claims.selectors import DEADLINE_FILTERS, NEAR_DAYS, claim_deadline
from enrollment.listing import period_filter, plan_filter
from enrollment.models import Period
from enrollment.routing import ClaimsPaidBy
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
from mutualaid.numbers import money_text


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
        # The status beside the number: the first thing a reviewer looks for, in sight on a laptop
        # (last, it was past the table's box at 1366 px, behind the box's scroll).
        sequence = (
            "number",
            "status",
            "name",
            "id_masked",
            "unit",
            "plan",
            "admitted_on",
            "payout",
            "target_due_on",
            "registered_at",
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


# --- The office's clock, risk flags, claims nobody can review -----------------------------------


CLOSED = {ClaimStatus.PAID, ClaimStatus.REJECTED}


def _limit_cell(value: Any) -> Any:
    shown = DayColumn().render(value)
    return format_html('<span class="overdue">{}</span>', shown) if value < dates.business_today() else shown


class DeadlineTable(ListTable):
    number = tables.Column(_("Claim"), linkify=("claims:claim_detail", {"claim_pk": tables.A("pk")}))
    name = tables.Column(_("Member"))
    unit = tables.Column(_("Unit"), accessor="org__name")
    review_office = tables.Column(_("Reviewing office"), accessor="review_office__name")
    documents_complete_on = DayColumn(_("Documents complete on"))
    target_due_on = DayColumn(_("Target date"))
    limit_due_on = DayColumn(_("Hard limit"))
    status = StatusColumn(_("Status"))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "deadlines"}

    def render_target_due_on(self, value: Any) -> Any:
        return _limit_cell(value)

    def render_limit_due_on(self, value: Any) -> Any:
        return _limit_cell(value)


def _deadline(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    return queryset.filter(claim_deadline(value)) if value in DEADLINE_FILTERS else queryset


class DeadlineFilter(ListFilter):
    due = django_filters.ChoiceFilter(
        choices=[
            ("overdue", _("Past the target")),
            ("past_limit", _("Past the hard limit")),
            ("near", _("Due within %(days)s days") % {"days": NEAR_DAYS}),
            ("today", _("Due today")),
        ],
        method=_deadline,
        label=_("Due"),
        empty_label=_("Every claim on the clock"),
    )
    status = django_filters.ChoiceFilter(
        choices=[(s, ClaimStatus(s).label) for s in CLOCK_RUNNING], label=_("Status"), empty_label=_("All statuses")
    )
    office = office_filter()
    target = date_range("target_due_on", _("Target date"))

    class Meta:
        model = Claim
        fields: list[str] = []


class RiskTable(ListTable):
    number = tables.Column(_("Claim"), linkify=("claims:claim_detail", {"claim_pk": tables.A("pk")}))
    name = tables.Column(_("Member"))
    id_masked = tables.Column(_("ID number"), orderable=False)
    unit = tables.Column(_("Unit"), accessor="org__name")
    review_office = tables.Column(_("Reviewing office"), accessor="review_office__name")
    payout = MoneyColumn(_("Payout (yuan)"))
    flags = tables.Column(_("Signs"), orderable=False)
    registered_at = DayColumn(_("Registered"))
    status = StatusColumn(_("Status"))

    def render_flags(self, value: list[dict[str, Any]]) -> Any:
        items = format_html_join(
            "",
            "<li{}>{}</li>",
            ((' class="blocking"' if f.get("blocking") else "", f.get("message", "")) for f in value),
        )
        return format_html('<ul class="flags">{}</ul>', items)

    def value_flags(self, value: list[dict[str, Any]]) -> str:
        return "; ".join(str(f.get("message", "")) for f in value)


def _blocking(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    if value == "block":
        return queryset.filter(flags__contains=[{"blocking": True}])
    if value == "warn":
        return queryset.exclude(flags__contains=[{"blocking": True}])
    return queryset


class RiskFilter(ListFilter):
    kind = django_filters.ChoiceFilter(
        choices=[("block", _("Blocking")), ("warn", _("Warning only"))],
        method=_blocking,
        label=_("Signs"),
        empty_label=_("Every sign"),
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in ClaimStatus if s not in CLOSED],
        label=_("Status"),
        empty_label=_("All statuses"),
    )
    office = office_filter()
    plan = plan_filter()
    registered = date_range("registered_at", _("Registered"))

    class Meta:
        model = Claim
        fields: list[str] = []


class NobodyTable(ListTable):
    number = tables.Column(_("Claim"), linkify=("claims:claim_detail", {"claim_pk": tables.A("pk")}))
    name = tables.Column(_("Member"))
    id_masked = tables.Column(_("ID number"), orderable=False)
    unit = tables.Column(_("Unit"), accessor="org__name")
    status = tables.Column(_("Waiting at"), accessor="status")
    registered_at = DayColumn(_("Registered"))
    assignee = tables.Column(_("Decided by"), accessor="assignee", order_by=("assignee__display_name",))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "nobody"}

    def render_status(self, value: str, record: Claim) -> Any:
        level = REVIEW_LEVELS[value][0].label if value in REVIEW_LEVELS else record.get_status_display()
        if not getattr(record, "escalated", False):
            return level
        note = _("escalated from %(office)s: its office head acted on the claim at another level") % {
            "office": record.review_office.name
        }
        return format_html('{}<br><span class="tag" data-testid="escalated">{}</span>', level, note)

    def value_status(self, value: str, record: Claim) -> str:
        return str(REVIEW_LEVELS[value][0].label) if value in REVIEW_LEVELS else record.get_status_display()

    def render_assignee(self, value: Any, record: Claim) -> Any:
        if not record.handed_to_id:
            return format_html('<span class="overdue">{}</span>', _("nobody yet"))
        if record.assignee_overrides:
            return format_html("{} ({})", value, _("override"))
        return str(value)

    def value_assignee(self, value: Any, record: Claim) -> str:
        return str(value) if record.handed_to_id else ""


class NobodyFilter(ListFilter):
    status = django_filters.ChoiceFilter(
        choices=[(s, level.label) for s, (level, _perm) in REVIEW_LEVELS.items()],
        label=_("Waiting at"),
        empty_label=_("Every level"),
    )
    office = office_filter()
    registered = date_range("registered_at", _("Registered"))

    class Meta:
        model = Claim
        fields: list[str] = []


class ScheduleTable(ListTable):
    plan = tables.Column(_("Plan"), accessor="plan__name")
    label = tables.Column(_("Period"))
    starts_on = DayColumn(_("Starts on"))
    ends_on = DayColumn(_("Ends on"))
    office = tables.Column(_("Office"), accessor="plan__org__name")
    reviewed_by = tables.Column(_("Claims reviewed by"), accessor="plan__claims_reviewed_by")
    schedule = tables.Column(_("Schedule"), accessor="pk", orderable=False)

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "schedules"}

    def render_reviewed_by(self, record: Any) -> Any:
        shown = record.plan.get_claims_reviewed_by_display()
        notes = []
        if record.plan.claims_paid_by != ClaimsPaidBy.REVIEWER:
            notes.append(_("paid by: %(office)s") % {"office": record.plan.get_claims_paid_by_display()})
        if record.plan.large_claim_amount:
            notes.append(_("leader from %(amount)s yuan") % {"amount": money_text(record.plan.large_claim_amount)})
        if not notes:
            return shown
        return format_html('{}<br><span class="muted small">{}</span>', shown, "；".join(str(n) for n in notes))

    def value_reviewed_by(self, record: Any) -> str:
        return str(record.plan.get_claims_reviewed_by_display())

    def _words(self, record: Any) -> str:
        schedule = getattr(record, "schedule", None)
        if schedule is None:
            return str(_("not entered"))
        shown = str(_("version %(version)s") % {"version": schedule.version})
        return " ".join((shown, str(_("frozen")))) if schedule.frozen_at else shown

    def render_schedule(self, record: Any) -> Any:
        url = reverse("claims:schedule_edit", kwargs={"period_pk": record.pk})
        kind = "warn" if getattr(record, "schedule", None) is None else ""
        return format_html('<a href="{}"><span class="tag {}">{}</span></a>', url, kind, self._words(record))

    def value_schedule(self, record: Any) -> str:
        return self._words(record)


class ScheduleFilter(ListFilter):
    plan = plan_filter(field_name="plan")
    office = office_filter()
    starts = date_range("starts_on", _("Starts on"))

    class Meta:
        model = Period
        fields: list[str] = []

"""The columns and filters of enrollment's list pages (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from enrollment import selectors
from enrollment.listing import period_filter, plan_filter
from enrollment.models import (
    CardPrintJob,
    Enrollment,
    EnrollmentStatus,
    JobStatus,
    ListStatus,
    MemberList,
    Plan,
    PlanKind,
    Policy,
)
from mutualaid.listing import (
    CountColumn,
    DayColumn,
    JobStatusColumn,
    ListFilter,
    ListTable,
    MomentColumn,
    MoneyColumn,
    StatusColumn,
    date_range,
    office_filter,
)
from mutualaid.numbers import date_text, money_text, percent_text


class MemberListTable(ListTable):
    created_at = DayColumn(_("Uploaded"))
    unit = tables.Column(_("Unit"), accessor="org__name")
    period = tables.Column(_("Plan and period"), accessor="period", order_by=("period__plan__name", "period__label"))
    original_name = tables.Column(_("File"), linkify=("enrollment:list_detail", {"list_pk": tables.A("pk")}))
    row_count = CountColumn(_("Rows"))
    error_row_count = CountColumn(_("Rows with errors"))
    status = StatusColumn(_("Status"))

    def render_period(self, record: MemberList) -> str:
        return f"{record.period.plan.name} · {record.period.label}"

    def value_period(self, record: MemberList) -> str:
        return self.render_period(record)


class MemberListFilter(ListFilter):
    status = django_filters.ChoiceFilter(choices=ListStatus.choices, label=_("Status"), empty_label=_("All statuses"))
    office = office_filter()
    plan = plan_filter()
    period = period_filter()
    uploaded = date_range("created_at", _("Uploaded"))

    class Meta:
        model = MemberList
        fields: list[str] = []


class PolicyTable(ListTable):
    number = tables.Column(
        _("Policy number"),
        linkify=("enrollment:policy_detail", {"policy_pk": tables.A("pk")}),
        attrs={"td": {"class": "nowrap"}},  # on one line, not broken at a hyphen
    )
    unit = tables.Column(_("Unit"), accessor="org__name")
    period = tables.Column(_("Plan and period"), accessor="period", order_by=("period__plan__name", "period__label"))
    member_count = CountColumn(_("Members"))
    share_count = CountColumn(_("Shares"))
    premium = MoneyColumn(_("Premium (yuan)"))
    renewal = tables.Column(_("Renewal rate"), accessor="pk", orderable=False, attrs={"td": {"class": "num"}})
    issued_at = DayColumn(_("Issued at"))

    def render_period(self, record: Policy) -> str:
        return f"{record.period.plan.name} · {record.period.label}"

    def value_period(self, record: Policy) -> str:
        return self.render_period(record)

    def render_renewal(self, record: Policy) -> str:
        rate = getattr(record, "renewal", None)
        return percent_text(rate.share, blank="—") if rate else "—"

    def value_renewal(self, record: Policy) -> str:
        return self.render_renewal(record)


def _number_or_unit(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    value = value.strip()
    return queryset.filter(Q(number__icontains=value) | Q(org__name__icontains=value)) if value else queryset


class PolicyFilter(ListFilter):
    q = django_filters.CharFilter(method=_number_or_unit, label=_("Policy number or unit"))
    office = office_filter()
    plan = plan_filter()
    period = period_filter()
    issued = date_range("issued_at", _("Issued at"))

    class Meta:
        model = Policy
        fields: list[str] = []


class MemberTable(ListTable):
    name = tables.Column(_("Full name"), linkify=("enrollment:member", {"enrollment_pk": tables.A("pk")}))
    id_masked = tables.Column(_("ID number"), orderable=False)
    phone = tables.Column(_("Phone"), accessor="pk", orderable=False)
    unit = tables.Column(_("Unit"), accessor="org__name")
    period = tables.Column(_("Plan and period"), accessor="period", order_by=("period__plan__name", "period__label"))
    shares = CountColumn(_("Shares"))
    starts_on = DayColumn(_("Covered from"))
    ends_on = DayColumn(_("Covered until"))
    policy = tables.Column(
        _("Policy"),
        accessor="policy__number",
        attrs={"td": {"class": "nowrap"}},  # 6101-2026-000001 on one line, not broken at a hyphen
        linkify=lambda record: reverse("enrollment:policy_detail", kwargs={"policy_pk": record.policy_id}),
    )
    status = StatusColumn(_("Status"))

    def render_period(self, record: Enrollment) -> str:
        return f"{record.period.plan.name} · {record.period.label}"

    def value_period(self, record: Enrollment) -> str:
        return self.render_period(record)

    def render_phone(self, record: Enrollment) -> str:
        return getattr(record, "phone_masked", "") or "—"

    def value_phone(self, record: Enrollment) -> str:
        return getattr(record, "phone_masked", "")


PHONE_TAIL = RegexValidator(r"^[0-9]{4}$", _("Enter the last four digits of the phone, in the digits 0 to 9."))


def _unit_name(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    value = value.strip()
    return selectors.member_unit_named(queryset, text=value) if value else queryset


def _phone_tail(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    return selectors.member_with_phone_tail(queryset, digits=value) if value else queryset


class MemberFilter(ListFilter):
    unit_name = django_filters.CharFilter(method=_unit_name, label=_("Unit name"))
    phone = django_filters.CharFilter(
        method=_phone_tail, label=_("Last 4 digits of the phone"), validators=[PHONE_TAIL], max_length=4
    )
    status = django_filters.ChoiceFilter(
        choices=EnrollmentStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    office = office_filter()
    plan = plan_filter()
    period = period_filter()

    class Meta:
        model = Enrollment
        fields: list[str] = []


class CardJobTable(ListTable):
    created_at = MomentColumn(_("Started"))
    period = tables.Column(
        _("Plan and period"), accessor="period__plan__name", order_by=("period__plan__name", "period__starts_on")
    )
    document = tables.Column(_("Document"))
    cards_of = tables.Column(_("Cards of"), accessor="pk", orderable=False)
    card_count = CountColumn(_("Members printed"))
    status = JobStatusColumn(_("Status"))
    download = tables.Column("", accessor="pk", orderable=False, exclude_from_export=True)

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "card-jobs"}
        row_attrs = {"data-job-url": lambda record: reverse("enrollment:card_job", kwargs={"job_pk": record.pk})}

    def render_period(self, value: str, record: CardPrintJob) -> str:
        return f"{value} · {record.period.label}"

    def value_period(self, value: str, record: CardPrintJob) -> str:
        return self.render_period(value, record)

    def render_cards_of(self, record: CardPrintJob) -> str:
        if record.endorsement_id:
            endorsement = str(_("Endorsement"))
            shown = " ".join((endorsement, record.endorsement.number)) if record.endorsement else ""
        elif record.unit_id:
            shown = record.unit.name if record.unit else ""
        else:
            shown = str(_("Every unit"))
        return " · ".join((shown, str(_("new since the last print")))) if record.only_new else shown

    def value_cards_of(self, record: CardPrintJob) -> str:
        return self.render_cards_of(record)

    def render_download(self, record: CardPrintJob) -> Any:
        if not record.file:
            return ""
        url = reverse("enrollment:card_job", kwargs={"job_pk": record.pk})
        return format_html('<a href="{}?download=1">{}</a>', url, _("Download"))


class CardJobFilter(ListFilter):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices, label=_("Status"), empty_label=_("All statuses"))
    office = office_filter()
    plan = plan_filter()
    started = date_range("created_at", _("Started"))

    class Meta:
        model = CardPrintJob
        fields: list[str] = []


class PolicyMemberTable(ListTable):
    number = CountColumn(_("Member No."))
    name = tables.Column(_("Full name"), linkify=("enrollment:member", {"enrollment_pk": tables.A("pk")}))
    id_masked = tables.Column(_("ID number"), orderable=False)
    gender = tables.Column(_("Gender"))
    shares = CountColumn(_("Shares"))
    premium = MoneyColumn(_("Premium (yuan)"))
    starts_on = DayColumn(_("Covered from"))
    ends_on = DayColumn(_("Covered until"))
    status = StatusColumn(_("Status"))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "members"}

    def render_gender(self, value: str) -> str:
        return str(_("Male") if value == "M" else _("Female"))

    def value_gender(self, value: str) -> str:
        return self.render_gender(value)


class PolicyMemberFilter(ListFilter):
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains", label=_("Part of the name"))
    status = django_filters.ChoiceFilter(
        choices=EnrollmentStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    covered = date_range("starts_on", _("Covered from"))

    class Meta:
        model = Enrollment
        fields: list[str] = []


class PlanTable(ListTable):
    name = tables.Column(_("Plan"))
    kind = tables.Column(_("Kind"))
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    periods = tables.Column(_("Periods"), accessor="pk", orderable=False)
    actions = tables.Column("", accessor="pk", orderable=False, exclude_from_export=True)

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "plans"}

    def render_periods(self, record: Plan) -> Any:
        periods = getattr(record, "shown_periods", [])
        if not periods:
            return format_html('<span class="muted">{}</span>', _("No period yet."))
        template = reverse("enrollment:template")
        items = format_html_join(
            "",
            '<li>{} <span class="muted small">{} — {} · {} {}</span>{} <a href="{}?period={}">{}</a>'
            ' <a href="{}">{}</a>{}</li>',
            (
                (
                    period.label,
                    date_text(period.starts_on),
                    date_text(period.ends_on),
                    money_text(period.premium_per_share),
                    _("yuan per share"),
                    format_html(' <span class="tag off">{}</span>', _("Frozen")) if period.frozen_at else "",
                    template,
                    period.pk,
                    _("Template"),
                    reverse("enrollment:period_subsidies", kwargs={"period_pk": period.pk}),
                    _("Union level subsidies"),
                    format_html(' <span class="small" data-testid="period-levels">{}</span>', period.levels_text)
                    if getattr(period, "levels_text", "")
                    else "",
                )
                for period in periods
            ),
        )
        return format_html('<ul class="periods">{}</ul>', items)

    def value_periods(self, record: Plan) -> str:
        return "; ".join(
            " ".join((period.label, date_text(period.starts_on), "—", date_text(period.ends_on)))
            for period in getattr(record, "shown_periods", [])
        )

    def render_actions(self, record: Plan) -> Any:
        if not getattr(record, "may_add_period", False):
            return ""
        url = reverse("enrollment:period_create", kwargs={"plan_pk": record.pk})
        return format_html('<a class="button" href="{}">{}</a>', url, _("New period"))


class PlanFilter(ListFilter):
    # A plan's name (名称), not a person's (姓名).
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains", label=_("Part of the plan's name"))
    kind = django_filters.ChoiceFilter(choices=PlanKind.choices, label=_("Kind"), empty_label=_("Every kind"))
    office = office_filter()

    class Meta:
        model = Plan
        fields: list[str] = []

"""The columns and filters of finance's list pages (see mutualaid/listing.py)."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from enrollment.listing import plan_filter
from finance.models import (
    Allocation,
    AllocationPurpose,
    AllocationStatus,
    BankStatement,
    Deposit,
    DepositKind,
    DepositStatus,
    FundStatement,
    IncomeKind,
    IncomeRecord,
    JournalLine,
    PaymentKind,
    PaymentRequest,
    PaymentStatus,
    PremiumReceipt,
    ReceiptKind,
    Remittance,
    RemittanceStatus,
    StatementPeriod,
    StatementStatus,
)
from finance.selectors.allocations import allocation_queue
from finance.selectors.deposits import deposit_due_list
from finance.selectors.flows import DIRECTIONS, FLOW_CHOICES, flow_label
from mutualaid.listing import (
    CountColumn,
    DayColumn,
    ListFilter,
    ListTable,
    MomentColumn,
    MoneyColumn,
    MonthColumn,
    StatusColumn,
    date_range,
    office_filter,
)


class PaymentTable(ListTable):
    number = tables.Column(_("Payment"), linkify=("finance:payment_detail", {"payment_pk": tables.A("pk")}))
    office = tables.Column(_("Office"), accessor="org__name")
    kind = tables.Column(_("For"))
    batch = tables.Column(_("Claims batch"), accessor="claims_batch__number", default="")
    plan = tables.Column(_("Plan"), accessor="plan__name", default="")
    payee = tables.Column(_("Payee"))
    amount = MoneyColumn(_("Amount (yuan)"))
    prepared_at = DayColumn(_("Prepared"))
    prepared_by = tables.Column(_("Prepared by"), accessor="prepared_by", order_by=("prepared_by__username",))
    status = StatusColumn(_("Status"))


class PaymentFilter(ListFilter):
    status = django_filters.ChoiceFilter(
        choices=PaymentStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices, label=_("For"), empty_label=_("All kinds"))
    office = office_filter()
    plan = plan_filter(field_name="plan")
    prepared = date_range("prepared_at", _("Prepared"))

    class Meta:
        model = PaymentRequest
        fields: list[str] = []


class RemittanceTable(ListTable):
    month = MonthColumn(_("Month"), linkify=("finance:remittance_detail", {"remittance_pk": tables.A("pk")}))
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    amount_due = MoneyColumn(_("Due (yuan)"))
    amount_remitted = MoneyColumn(_("Remitted (yuan)"))
    due_on = DayColumn(_("Due by"))
    remitted_on = DayColumn(_("Remitted on"), default="")
    bank_reference = tables.Column(_("Bank reference"), default="")
    status = StatusColumn(_("Status"))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "incoming"}

    def render_remitted_on(self, value: Any) -> str:
        return DayColumn().render(value)


class RemittanceFilter(ListFilter):
    status = django_filters.ChoiceFilter(
        choices=RemittanceStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    office = office_filter()
    months = date_range("month", _("Month"))

    class Meta:
        model = Remittance
        fields: list[str] = []


class BankStatementTable(ListTable):
    original_name = tables.Column(_("File"), linkify=("finance:bank_detail", {"statement_pk": tables.A("pk")}))
    first_day = DayColumn(_("First day"))
    last_day = DayColumn(_("Last day"))
    line_count = CountColumn(_("Statement lines"))
    matched_count = CountColumn(_("Matched"))
    imported_at = MomentColumn(_("Imported"))
    imported_by = tables.Column(_("Imported by"), order_by=("imported_by__display_name",))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "bank-statements"}


class BankStatementFilter(ListFilter):
    office = office_filter()
    imported = date_range("imported_at", _("Imported"))

    class Meta:
        model = BankStatement
        fields: list[str] = []


class ReceiptTable(ListTable):
    # A receipt's and a policy's number on one line, not broken at a hyphen (610113-2026- / 000001).
    number = tables.Column(
        _("Receipt number"),
        linkify=("finance:receipt_detail", {"receipt_pk": tables.A("pk")}),
        attrs={"td": {"class": "nowrap"}},
    )
    kind = StatusColumn(_("Kind"))
    # 收款机构 beside 单位: "Office" reads 单位 too, and the page had two columns of that name.
    office = tables.Column(_("Receiving office"), accessor="org__name", order_by=("org__path",))
    unit = tables.Column(_("Unit"), accessor="unit__name")
    plan = tables.Column(_("Plan"), accessor="plan__name")
    policy = tables.Column(_("Policy"), accessor="policy__number", attrs={"td": {"class": "nowrap"}})
    received_on = DayColumn(_("Date"))
    amount = MoneyColumn(_("Amount (yuan)"), accessor="signed_amount", order_by=("amount",))
    outstanding_after = MoneyColumn(_("Still owed (yuan)"))
    bank_reference = tables.Column(_("Bank reference"))


class ReceiptFilter(ListFilter):
    kind = django_filters.ChoiceFilter(choices=ReceiptKind.choices, label=_("Kind"), empty_label=_("All kinds"))
    office = office_filter()
    plan = plan_filter(field_name="plan")
    received = date_range("received_on", _("Date"))

    class Meta:
        model = PremiumReceipt
        fields: list[str] = []


class AllocationTable(ListTable):
    number = tables.Column(_("Allocation"), linkify=("finance:allocation_detail", {"allocation_pk": tables.A("pk")}))
    office = tables.Column(_("Asked for by"), accessor="org__name", order_by=("org__path",))
    pooling = tables.Column(_("Allocated by"), accessor="pooling_office__name")
    plan = tables.Column(_("Plan"), accessor="plan__name")
    purpose = tables.Column(_("For"))
    batch = tables.Column(_("Claims batch"), accessor="claims_batch__number", default="")
    amount = MoneyColumn(_("Amount (yuan)"))
    requested_at = DayColumn(_("Asked on"))
    status = StatusColumn(_("Status"))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "allocations"}


class AllocationFilter(ListFilter):
    queue = django_filters.ChoiceFilter(
        choices=[
            ("sign", _("Waiting for my signature")),
            ("send", _("Approved, for my office to transfer")),
            ("receive", _("In transit, for my office to confirm")),
        ],
        method="filter_queue",
        label=_("Waiting for me"),
        empty_label=_("All allocations"),
    )
    status = django_filters.ChoiceFilter(
        choices=AllocationStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    purpose = django_filters.ChoiceFilter(
        choices=AllocationPurpose.choices, label=_("For"), empty_label=_("All purposes")
    )
    office = office_filter()
    plan = plan_filter(field_name="plan")
    requested = date_range("requested_at", _("Asked on"))

    class Meta:
        model = Allocation
        fields: list[str] = []

    def filter_queue(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(pk__in=allocation_queue(user=self.request.user, queue=value).values("pk"))


class IncomeTable(ListTable):
    number = tables.Column(_("Income"))
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    plan = tables.Column(_("Plan"), accessor="plan__name")
    kind = tables.Column(_("Kind"))
    union_level = tables.Column(_("Union level"), default="")
    payer = tables.Column(_("Paid by"))
    amount = MoneyColumn(_("Amount (yuan)"))
    received_on = DayColumn(_("Received on"))
    bank_reference = tables.Column(_("Bank reference"))
    entry = tables.Column(
        _("Entry"), accessor="entry__number", linkify=("finance:entry", {"entry_pk": tables.A("entry_id")})
    )


class IncomeFilter(ListFilter):
    kind = django_filters.ChoiceFilter(choices=IncomeKind.choices, label=_("Kind"), empty_label=_("All kinds"))
    office = office_filter()
    plan = plan_filter(field_name="plan")
    received = date_range("received_on", _("Received on"))

    class Meta:
        model = IncomeRecord
        fields: list[str] = []


class DepositTable(ListTable):
    number = tables.Column(_("Deposit"), linkify=("finance:deposit_detail", {"deposit_pk": tables.A("pk")}))
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    plan = tables.Column(_("Plan"), accessor="plan__name")
    kind = tables.Column(_("Kind"))
    institution = tables.Column(_("Bank or issuer"))
    amount = MoneyColumn(_("Principal (yuan)"))
    starts_on = DayColumn(_("Starts on"))
    matures_on = DayColumn(_("Matures on"))
    interest = MoneyColumn(_("Interest (yuan)"), default="")
    status = StatusColumn(_("Status"))


class DepositFilter(ListFilter):
    due = django_filters.ChoiceFilter(
        choices=[("soon", _("Maturing within a month, or matured and not yet booked back"))],
        method="filter_due",
        label=_("Due"),
        empty_label=_("All deposits and bonds"),
    )
    status = django_filters.ChoiceFilter(
        choices=DepositStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    kind = django_filters.ChoiceFilter(choices=DepositKind.choices, label=_("Kind"), empty_label=_("All kinds"))
    office = office_filter()
    plan = plan_filter(field_name="plan")
    matures = date_range("matures_on", _("Matures on"))

    class Meta:
        model = Deposit
        fields: list[str] = []

    def filter_due(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        office = self.request.user.org
        return queryset.filter(pk__in=deposit_due_list(office=office).values("pk")) if office else queryset.none()


class FlowKindColumn(tables.Column):  # type: ignore[misc]  # django-tables2 ships no types
    """A kind of payment or income by its name, on the page and in the workbook."""

    def render(self, value: Any) -> str:
        return flow_label(value)

    def value(self, value: Any) -> Any:
        return flow_label(value)


class DirectionColumn(tables.Column):  # type: ignore[misc]  # django-tables2 ships no types
    def render(self, value: Any) -> str:
        return str(dict(DIRECTIONS).get(value, value))

    def value(self, value: Any) -> Any:
        return self.render(value)


class FlowTable(ListTable):
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    plan = tables.Column(_("Plan"), accessor="plan__name")
    direction = DirectionColumn(_("In or out"))
    flow = FlowKindColumn(_("Kind"))
    entries = CountColumn(_("Entries"))
    amount = MoneyColumn(_("Amount (yuan)"))

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "flows"}


class FlowFilter(ListFilter):
    flow = django_filters.ChoiceFilter(choices=FLOW_CHOICES, label=_("Kind"), empty_label=_("All kinds"))
    direction = django_filters.ChoiceFilter(
        choices=DIRECTIONS, label=_("In or out"), empty_label=_("Income and payments")
    )
    office = office_filter()
    plan = plan_filter(field_name="plan")
    period = date_range("posted_on", _("Booked"))

    class Meta:
        model = JournalLine
        fields: list[str] = []


class FundStatementTable(ListTable):
    statement = tables.Column(
        _("Statement to members"),
        accessor="ends_on",
        linkify=("finance:fund_statement_detail", {"fund_statement_pk": tables.A("pk")}),
        order_by=("ends_on", "period", "org__path"),
        attrs={"td": {"class": "nowrap"}},
    )
    office = tables.Column(_("Office"), accessor="org__name", order_by=("org__path",))
    starts_on = DayColumn(_("First day of the period"))
    ends_on = DayColumn(_("Last day of the period"))
    status = StatusColumn(_("Status"))
    drafted_by = tables.Column(_("Drafted by"), order_by=("drafted_by__display_name",))
    approved_by = tables.Column(_("Approved by"), default="", order_by=("approved_by__display_name",))
    published_at = DayColumn(_("Published on"), default="")

    class Meta(ListTable.Meta):
        attrs = {"class": "table", "data-testid": "fund-statements"}
        empty_text = _("No statement yet: finance staff draft one from the books on this page.")

    def render_statement(self, record: FundStatement) -> str:
        return str(record)

    def value_statement(self, record: FundStatement) -> str:
        return str(record)

    def render_published_at(self, value: Any) -> str:
        return DayColumn().render(value)


class FundStatementFilter(ListFilter):
    status = django_filters.ChoiceFilter(
        choices=StatementStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    period = django_filters.ChoiceFilter(
        choices=StatementPeriod.choices, label=_("Period"), empty_label=_("Quarters and years")
    )
    office = office_filter()
    ends = date_range("ends_on", _("Period ending"))

    class Meta:
        model = FundStatement
        fields: list[str] = []

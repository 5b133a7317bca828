"""The finance API (`/api/v1/finance/…`), in the caller's scope: the journal with its lines, the
balances of an office's books for a month, the premium remittance reports and the payments with
their approvals; one write, booking an approved payment as paid. Every read goes through the
scoped managers, so another office's rows cannot come back, whatever the filters say."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finance.apis_recoveries import api_urls as recovery_api_urls
from finance.models import (
    Account,
    JournalEntry,
    JournalLine,
    PaymentApproval,
    PaymentRequest,
    Remittance,
    RemittanceSettlement,
)
from finance.selectors.books import account_balance_list, book_office_list, book_plan_list
from finance.selectors.payments import payment_list
from finance.selectors.remittances import remittance_rows
from finance.services.payments import payment_mark_paid
from mutualaid import dates
from mutualaid.badinput import whole_number
from mutualaid.drf import BoundedJSONParser, HasPermission, money_field
from mutualaid.models import Organisation, User
from mutualaid.requests import request_office, request_user

FILTERS = [
    OpenApiParameter("office", OpenApiTypes.INT, description="An office of your tree that keeps books."),
    OpenApiParameter("plan", OpenApiTypes.INT, description="A plan; all plans when left out."),
    OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; the current month when left out."),
]


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    number = whole_number(value)
    if number is None:
        raise ApiValidationError({name: [_("Give the id as a whole number.")]})
    return number


def _month_param(request: Request) -> Any:
    value = request.query_params.get("month", "").strip()
    if not value:
        return None
    month = dates.parse_month(value)
    if month is None:
        raise ApiValidationError({"month": [_("Choose a month as YYYY-MM.")]})
    return month


class LineSerializer(serializers.ModelSerializer[JournalLine]):
    account_label = serializers.CharField(source="get_account_display", read_only=True)

    class Meta:
        model = JournalLine
        fields = ["account", "account_label", "debit", "credit"]


class OfficePlanFields(serializers.Serializer[Any]):
    """The office a row belongs to and the plan it is for, by id and by name (a claims batch's
    payment may pay several plans: no plan)."""

    office: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="org", read_only=True
    )
    office_name = serializers.CharField(source="org.name", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True, default=None, allow_null=True)


class JournalEntrySerializer(OfficePlanFields, serializers.ModelSerializer[JournalEntry]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    reverses = serializers.CharField(source="reverses.number", read_only=True, default=None, allow_null=True)
    lines = LineSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "number",
            "office",
            "office_name",
            "plan",
            "plan_name",
            "kind",
            "kind_label",
            "posted_on",
            "memo",
            "bank_reference",
            "reverses",
            "created_at",
            "lines",
        ]


def _entries() -> QuerySet[JournalEntry]:
    return JournalEntry.objects.select_related("org", "plan", "reverses").prefetch_related(
        Prefetch("lines", queryset=JournalLine.objects.order_by("pk"))
    )


class FinanceReading(APIView):
    """The finance API is read by whoever may see the books of the caller's tree."""

    permission_classes = [HasPermission]
    required_permission = "finance.view"


class EntryList(FinanceReading, generics.ListAPIView[JournalEntry]):
    """Journal entries of the offices in your tree, newest first, each with its lines."""

    serializer_class = JournalEntrySerializer

    def get_queryset(self) -> QuerySet[JournalEntry]:
        entries = _entries().order_by("-posted_on", "-pk")
        office, plan = _int_param(self.request, "office"), _int_param(self.request, "plan")
        month = _month_param(self.request)
        if office is not None:
            entries = entries.filter(org_id=office)
        if plan is not None:
            entries = entries.filter(plan_id=plan)
        if month is not None:
            entries = entries.filter(posted_on__gte=month, posted_on__lt=dates.add_months(month, 1))
        return entries

    @extend_schema(parameters=FILTERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class EntryDetail(FinanceReading, generics.RetrieveAPIView[JournalEntry]):
    serializer_class = JournalEntrySerializer
    lookup_url_kwarg = "entry_pk"

    def get_queryset(self) -> QuerySet[JournalEntry]:
        return _entries()


class BalanceRowSerializer(serializers.Serializer[Any]):
    account = serializers.ChoiceField(choices=Account.choices)
    # Named like Field.label, which it does not replace: DRF's metaclass takes fields off the class.
    label = serializers.CharField()  # type: ignore[assignment]
    opening = money_field()
    debit = money_field()
    credit = money_field()
    closing = money_field()
    overdrawn = serializers.BooleanField(help_text="A bank or cash account below zero at the month's end.")


class BalancesSerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField(source="office.pk")
    office_name = serializers.CharField(source="office.name")
    plan = serializers.IntegerField(source="plan.pk", allow_null=True, default=None)
    month = serializers.CharField()
    rows = BalanceRowSerializer(many=True)


class Balances(FinanceReading):
    """Each account's opening balance, the month's debits and credits, and the closing balance,
    on the account's normal side (as on the books page)."""

    @extend_schema(parameters=FILTERS, responses={200: BalancesSerializer})
    def get(self, request: Request, version: str = "v1") -> Response:
        own = request_office(request)
        offices = list(book_office_list(root=own))
        office_pk = _int_param(request, "office")
        wanted = own.pk if office_pk is None else office_pk
        office = next((o for o in offices if o.pk == wanted), None)
        if office is None and office_pk is None and offices:
            office = offices[0]
        if office is None:
            raise Http404
        plan_pk = _int_param(request, "plan")
        plan = None
        if plan_pk is not None:
            plan = next((p for p in book_plan_list(office=office) if p.pk == plan_pk), None)
            if plan is None:
                raise Http404
        month = _month_param(request) or dates.month_start(dates.business_today())
        rows = account_balance_list(office=office, plan=plan, month=month)
        data = {"office": office, "plan": plan, "month": f"{month:%Y-%m}", "rows": rows}
        return Response(BalancesSerializer(data).data)


class RemittanceLineSerializer(serializers.Serializer[Any]):
    plan = serializers.IntegerField()
    plan_name = serializers.CharField()
    policies = serializers.IntegerField()
    members = serializers.IntegerField()
    shares = serializers.IntegerField()
    premium = money_field(help_text="The plan's premium of the month.")
    levels_part = money_field(help_text="The union levels' part of that premium (theirs to pay).")
    levels_paid = money_field(
        help_text="The levels' money carried: what they paid less what was paid back to them (may be negative)."
    )
    amount = money_field(help_text="The premium the office holds: premium - levels_part + levels_paid.")
    settled = money_field(
        help_text="Premium remitted earlier for members a correction ended, netted here (更正退费结算)."
    )
    net = money_field(help_text="What the line transfers: amount - settled.")


class RemittanceSettlementSerializer(serializers.ModelSerializer[RemittanceSettlement]):
    """A settlement netted in the report: premium of members a correction ended after their month
    was remitted, owed back by the office the report goes to."""

    endorsement_number = serializers.CharField(source="endorsement.number", read_only=True)
    owed_by: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="to_office", read_only=True
    )

    class Meta:
        model = RemittanceSettlement
        fields = ["id", "endorsement_number", "plan", "month", "carried_in", "amount", "owed_by", "status"]


# The figures of a line as the page prints them (finance/selectors/remittances.py: RemittanceRow).
FIGURES = ("premium", "levels_part", "levels_paid", "amount", "settled")


class RemittanceSerializer(serializers.ModelSerializer[Remittance]):
    office: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="org", read_only=True
    )
    office_name = serializers.CharField(source="org.name", read_only=True)
    to_office_name = serializers.CharField(source="to_office.name", read_only=True)
    lines = serializers.SerializerMethodField()
    settlements = RemittanceSettlementSerializer(
        many=True, read_only=True, help_text="The settlements this report nets (its lines' `settled`)."
    )
    settlements_found = RemittanceSettlementSerializer(
        source="found_settlements",
        many=True,
        read_only=True,
        help_text="Corrections found since against this report's month: premium it carried, owed back.",
    )

    class Meta:
        model = Remittance
        fields = [
            "id",
            "office",
            "office_name",
            "month",
            "to_office",
            "to_office_name",
            "status",
            "due_on",
            "lines",
            "settlements",
            "settlements_found",
            "amount_due",
            "amount_remitted",
            "bank_reference",
            "remitted_on",
            "overdraw_reason",
            "overdraw_shortfall",
            "received_on",
            "created_at",
        ]

    @extend_schema_field(RemittanceLineSerializer(many=True))
    def get_lines(self, report: Remittance) -> Any:
        """The stored lines with the figures the page shows (remittance_rows fills what reports
        drafted before the levels' part or the settlements did not store)."""
        rows = [
            {**line, **{name: getattr(row, name) for name in FIGURES}, "net": row.net}
            for line, row in zip(report.lines, remittance_rows(report=report), strict=True)
        ]
        return RemittanceLineSerializer(rows, many=True).data


class RemittanceList(FinanceReading, generics.ListAPIView[Remittance]):
    """The premium remittance reports of the offices in your tree, newest month first, each line
    with what it nets of earlier premium and the settlements netted."""

    serializer_class = RemittanceSerializer

    def get_queryset(self) -> QuerySet[Remittance]:
        netted = RemittanceSettlement.objects.select_related("endorsement").order_by("month", "pk")
        return (
            Remittance.objects.select_related("org", "to_office")
            .prefetch_related(Prefetch("settlements", queryset=netted), Prefetch("found_settlements", queryset=netted))
            .order_by("-month", "org_path", "pk")
        )


class ApprovalSerializer(serializers.ModelSerializer[PaymentApproval]):
    approver: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = PaymentApproval
        fields = ["layer", "approver", "approved_at"]


class PaymentSerializer(OfficePlanFields, serializers.ModelSerializer[PaymentRequest]):
    claims_batch = serializers.CharField(source="claims_batch.number", read_only=True, default=None, allow_null=True)
    policy = serializers.CharField(source="policy.number", read_only=True, default=None, allow_null=True)
    prepared_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    entry = serializers.CharField(source="entry.number", read_only=True, default=None, allow_null=True)
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = PaymentRequest
        fields = [
            "id",
            "number",
            "office",
            "office_name",
            "plan",
            "plan_name",
            "kind",
            "amount",
            "payee",
            "purpose",
            "claims_batch",
            "policy",
            "meeting",
            "meeting_on",
            "status",
            "version",
            "prepared_by",
            "prepared_at",
            "reason",
            "sent_at",
            "paid_on",
            "bank_reference",
            "entry",
            "overdraw_reason",
            "overdraw_shortfall",
            "approvals",
        ]


class PaymentList(FinanceReading, generics.ListAPIView[PaymentRequest]):
    """Payments of the offices in your tree, newest first, with the approvals signed so far."""

    serializer_class = PaymentSerializer

    def get_queryset(self) -> QuerySet[PaymentRequest]:
        approvals = PaymentApproval.objects.select_related("approver").order_by("approved_at", "pk")
        return (
            payment_list()
            .select_related("entry")
            .prefetch_related(Prefetch("approvals", queryset=approvals))
            .order_by("-prepared_at", "-pk")
        )


class PaidSerializer(serializers.Serializer[Any]):
    paid_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=60)
    overdraw_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PaymentPaid(APIView):
    """The bank made an approved payment: book it as paid (as the payment page's button does). A
    payment that takes the office's bank account below zero, counting the other approved payments
    not yet paid, is refused (400) unless `overdraw_reason` says why, in 5 characters or more."""

    permission_classes = [HasPermission]
    required_permission = "finance.post"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=PaidSerializer, responses={200: PaymentSerializer})
    def post(self, request: Request, payment_pk: int, version: str = "v1") -> Response:
        try:
            payment = payment_list().get(pk=payment_pk)
        except PaymentRequest.DoesNotExist:
            raise Http404 from None
        form = PaidSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            paid = payment_mark_paid(actor=request_user(request), payment=payment, **form.validated_data)
        except ValidationError as error:
            return Response({"detail": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error) or None) from None
        return Response(PaymentSerializer(payment_list().get(pk=paid.pk)).data)


api_urls = [
    path("finance/entries/", EntryList.as_view(), name="api_finance_entries"),
    path("finance/entries/<int:entry_pk>/", EntryDetail.as_view(), name="api_finance_entry"),
    path("finance/balances/", Balances.as_view(), name="api_finance_balances"),
    path("finance/remittances/", RemittanceList.as_view(), name="api_finance_remittances"),
    path("finance/payments/", PaymentList.as_view(), name="api_finance_payments"),
    path("finance/payments/<int:payment_pk>/paid/", PaymentPaid.as_view(), name="api_finance_payment_paid"),
    *recovery_api_urls,
]

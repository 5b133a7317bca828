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
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import PaymentBatch
from enrollment.models import Plan
from finance.models import (
    Account,
    Allocation,
    AllocationApproval,
    Deposit,
    IncomeRecord,
    JournalEntry,
    JournalLine,
    PaymentApproval,
    PaymentRequest,
    Remittance,
)
from finance.selectors.allocations import allocation_list
from finance.selectors.books import account_balance_list, book_office_list, book_plan_list
from finance.selectors.deposits import deposit_list, holdings_get
from finance.selectors.income import income_list
from finance.selectors.payments import payment_list
from finance.services import allocations, deposits
from finance.services.income import income_record
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
    amount = money_field()


class RemittanceSerializer(serializers.ModelSerializer[Remittance]):
    office: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="org", read_only=True
    )
    office_name = serializers.CharField(source="org.name", read_only=True)
    to_office_name = serializers.CharField(source="to_office.name", read_only=True)
    lines = RemittanceLineSerializer(many=True, read_only=True)

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
            "amount_due",
            "amount_remitted",
            "bank_reference",
            "remitted_on",
            "received_on",
            "created_at",
        ]


class RemittanceList(FinanceReading, generics.ListAPIView[Remittance]):
    """The premium remittance reports of the offices in your tree, newest month first."""

    serializer_class = RemittanceSerializer

    def get_queryset(self) -> QuerySet[Remittance]:
        return Remittance.objects.select_related("org", "to_office").order_by("-month", "org_path", "pk")


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


class AllocationApprovalSerializer(serializers.ModelSerializer[AllocationApproval]):
    approver: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = AllocationApproval
        fields = ["layer", "approver", "approved_at"]


class AllocationSerializer(OfficePlanFields, serializers.ModelSerializer[Allocation]):
    pooling_office_name = serializers.CharField(source="pooling_office.name", read_only=True)
    claims_batch = serializers.CharField(source="claims_batch.number", read_only=True, default=None, allow_null=True)
    requested_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    approvals = AllocationApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "number",
            "office",
            "office_name",
            "pooling_office",
            "pooling_office_name",
            "plan",
            "plan_name",
            "purpose",
            "claims_batch",
            "amount",
            "note",
            "status",
            "version",
            "requested_by",
            "requested_at",
            "meeting",
            "meeting_on",
            "reason",
            "transferred_on",
            "bank_reference",
            "received_on",
            "approvals",
        ]


class AllocationRequestSerializer(serializers.Serializer[Any]):
    plan = serializers.IntegerField()
    purpose = serializers.CharField(max_length=16)
    amount = money_field(required=False, allow_null=True, default=None)
    claims_batch = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _allocations() -> QuerySet[Allocation]:
    approvals = AllocationApproval.objects.select_related("approver").order_by("approved_at", "pk")
    return allocation_list().prefetch_related(Prefetch("approvals", queryset=approvals))


def _refused(error: ValidationError | PermissionDenied) -> Response:
    if isinstance(error, PermissionDenied):
        raise ApiPermissionDenied(str(error) or None) from None
    body = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class AllocationList(FinanceReading, generics.ListAPIView[Allocation]):
    """Allocations of your tree, newest first (those your offices asked for, and, where your office
    pools a plan, those asked of it), with the approvals signed so far. POST asks the office that
    pools a plan for funds (`purpose` claims_batch with `claims_batch`, or imprest with `amount`);
    more than it has available for the plan is refused (400), nothing recorded."""

    serializer_class = AllocationSerializer
    parser_classes = [BoundedJSONParser]

    def get_queryset(self) -> QuerySet[Allocation]:
        return _allocations()

    @extend_schema(request=AllocationRequestSerializer, responses={201: AllocationSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        user = request_user(request)
        if not user.has_perm("finance.ask_allocation"):
            raise ApiPermissionDenied(_("Your roles do not allow this."))
        form = AllocationRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        # A plan the caller's office keeps books for (book_plan_list reads those pooled above);
        # the service checks it is pooled above the caller.
        plans = book_plan_list(office=request_office(request))
        plan = next((p for p in plans if p.pk == data["plan"]), None)
        if plan is None:
            return Response({"plan": [_("Choose a plan your office keeps books for.")]}, status=400)
        batch = None
        if data["claims_batch"] is not None:
            batch = PaymentBatch.objects.filter(pk=data["claims_batch"]).first()
            if batch is None:
                return Response({"claims_batch": [_("Choose a payment batch of your office.")]}, status=400)
        try:
            made = allocations.allocation_request(
                actor=user,
                plan=plan,
                purpose=data["purpose"],
                amount=data["amount"],
                claims_batch=batch,
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            return _refused(error)
        return Response(AllocationSerializer(_allocations().get(pk=made.pk)).data, status=status.HTTP_201_CREATED)


class TransferSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    transferred_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=60)


class AllocationTransfer(APIView):
    """The pooling office's bank sent an approved allocation: book the transfer (in transit)."""

    permission_classes = [HasPermission]
    required_permission = "finance.post"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=TransferSerializer, responses={200: AllocationSerializer})
    def post(self, request: Request, allocation_pk: int, version: str = "v1") -> Response:
        allocation = _allocations().filter(pk=allocation_pk).first()
        if allocation is None:
            raise Http404
        form = TransferSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            allocations.allocation_transfer(actor=request_user(request), allocation=allocation, **form.validated_data)
        except (ValidationError, PermissionDenied) as error:
            return _refused(error)
        return Response(AllocationSerializer(_allocations().get(pk=allocation_pk)).data)


class ReceiveSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class AllocationReceive(APIView):
    """The paying office's bank received a transferred allocation: book it received."""

    permission_classes = [HasPermission]
    required_permission = "finance.remit"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=ReceiveSerializer, responses={200: AllocationSerializer})
    def post(self, request: Request, allocation_pk: int, version: str = "v1") -> Response:
        allocation = _allocations().filter(pk=allocation_pk).first()
        if allocation is None:
            raise Http404
        form = ReceiveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            allocations.allocation_receive(actor=request_user(request), allocation=allocation, **form.validated_data)
        except (ValidationError, PermissionDenied) as error:
            return _refused(error)
        return Response(AllocationSerializer(_allocations().get(pk=allocation_pk)).data)


def _plan_of_books(request: Request, plan_id: int) -> Plan | None:
    """A plan the caller's office keeps books for (book_plan_list reads those pooled above)."""
    return next((p for p in book_plan_list(office=request_office(request)) if p.pk == plan_id), None)


class IncomeSerializer(OfficePlanFields, serializers.ModelSerializer[IncomeRecord]):
    entry = serializers.CharField(source="entry.number", read_only=True)

    class Meta:
        model = IncomeRecord
        fields = [
            "id",
            "number",
            "office",
            "office_name",
            "plan",
            "plan_name",
            "kind",
            "amount",
            "payer",
            "union_level",
            "received_on",
            "bank_reference",
            "note",
            "entry",
        ]


class IncomeInSerializer(serializers.Serializer[Any]):
    plan = serializers.IntegerField()
    kind = serializers.CharField(max_length=20)
    amount = money_field()
    payer = serializers.CharField(max_length=100)
    union_level = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    received_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=60)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class IncomeList(FinanceReading, generics.ListAPIView[IncomeRecord]):
    """Income other than premium of your tree (reserve contributions, subsidies, interest). POST
    records and books one; a kind without its account or a subsidy without its union level is
    refused (400), nothing booked; the same bank reference again returns the first record."""

    serializer_class = IncomeSerializer
    parser_classes = [BoundedJSONParser]

    def get_queryset(self) -> QuerySet[IncomeRecord]:
        return income_list()

    @extend_schema(request=IncomeInSerializer, responses={201: IncomeSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        user = request_user(request)
        if not user.has_perm("finance.post"):
            raise ApiPermissionDenied(_("Your roles do not allow this."))
        form = IncomeInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        plan = _plan_of_books(request, data.pop("plan"))
        if plan is None:
            return Response({"plan": [_("Choose a plan your office keeps books for.")]}, status=400)
        try:
            made = income_record(actor=user, plan=plan, **data)
        except (ValidationError, PermissionDenied) as error:
            return _refused(error)
        return Response(IncomeSerializer(income_list().get(pk=made.pk)).data, status=status.HTTP_201_CREATED)


class DepositSerializer(OfficePlanFields, serializers.ModelSerializer[Deposit]):
    class Meta:
        model = Deposit
        fields = [
            "id",
            "number",
            "office",
            "office_name",
            "plan",
            "plan_name",
            "kind",
            "institution",
            "amount",
            "annual_rate",
            "starts_on",
            "matures_on",
            "status",
            "version",
            "bank_reference",
            "meeting",
            "meeting_on",
            "matured_on",
            "interest",
        ]


class DepositInSerializer(serializers.Serializer[Any]):
    plan = serializers.IntegerField()
    kind = serializers.CharField(max_length=20)
    institution = serializers.CharField(max_length=100)
    amount = money_field()
    annual_rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    starts_on = serializers.DateField()
    matures_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=60)
    meeting = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    meeting_on = serializers.DateField(required=False, allow_null=True, default=None)


class DepositList(FinanceReading, generics.ListAPIView[Deposit]):
    """Deposits and bonds of your tree, the next to mature first. POST places one: only a time
    deposit or a treasury bond (stocks, funds, bonds, futures, wealth products are refused, 400),
    maturing after it starts, within the plan's bank balance."""

    serializer_class = DepositSerializer
    parser_classes = [BoundedJSONParser]

    def get_queryset(self) -> QuerySet[Deposit]:
        return deposit_list()

    @extend_schema(request=DepositInSerializer, responses={201: DepositSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        user = request_user(request)
        if not user.has_perm("finance.post"):
            raise ApiPermissionDenied(_("Your roles do not allow this."))
        form = DepositInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        plan = _plan_of_books(request, data.pop("plan"))
        if plan is None:
            return Response({"plan": [_("Choose a plan your office keeps books for.")]}, status=400)
        try:
            made = deposits.deposit_place(actor=user, plan=plan, **data)
        except (ValidationError, PermissionDenied) as error:
            return _refused(error)
        return Response(DepositSerializer(deposit_list().get(pk=made.pk)).data, status=status.HTTP_201_CREATED)


class HoldingsSerializer(serializers.Serializer[Any]):
    cash = money_field()
    time_deposits = money_field()
    treasury_bonds = money_field()
    total = money_field()


class Holdings(FinanceReading):
    """Your office's fund money, cash at the bank and deposits apart (all plans)."""

    @extend_schema(responses={200: HoldingsSerializer})
    def get(self, request: Request, version: str = "v1") -> Response:
        return Response(HoldingsSerializer(holdings_get(office=request_office(request))).data)


api_urls = [
    path("finance/entries/", EntryList.as_view(), name="api_finance_entries"),
    path("finance/entries/<int:entry_pk>/", EntryDetail.as_view(), name="api_finance_entry"),
    path("finance/balances/", Balances.as_view(), name="api_finance_balances"),
    path("finance/remittances/", RemittanceList.as_view(), name="api_finance_remittances"),
    path("finance/payments/", PaymentList.as_view(), name="api_finance_payments"),
    path("finance/allocations/", AllocationList.as_view(), name="api_finance_allocations"),
    path(
        "finance/allocations/<int:allocation_pk>/transfer/",
        AllocationTransfer.as_view(),
        name="api_finance_allocation_transfer",
    ),
    path(
        "finance/allocations/<int:allocation_pk>/receive/",
        AllocationReceive.as_view(),
        name="api_finance_allocation_receive",
    ),
    path("finance/income/", IncomeList.as_view(), name="api_finance_income"),
    path("finance/deposits/", DepositList.as_view(), name="api_finance_deposits"),
    path("finance/holdings/", Holdings.as_view(), name="api_finance_holdings"),
    path("finance/payments/<int:payment_pk>/paid/", PaymentPaid.as_view(), name="api_finance_payment_paid"),
]

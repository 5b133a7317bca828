"""The finance API of allocations and holdings (`/api/v1/finance/…`), in the caller's scope:
allocations down the tree (asked for, transferred, received), income other than premium, deposits
and bonds, and the office's cash and deposits apart. Writes go through the services, which
refuse with a message (400) and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import PaymentBatch
from enrollment.models import Plan
from finance.apis import FinanceReading, OfficePlanFields
from finance.models import Allocation, AllocationApproval, Deposit, IncomeRecord
from finance.selectors.allocations import allocation_list
from finance.selectors.books import book_plan_list
from finance.selectors.deposits import deposit_list, holdings_get
from finance.selectors.income import income_list
from finance.services import allocations, deposits
from finance.services.income import income_record
from mutualaid.drf import BoundedJSONParser, HasPermission, money_field
from mutualaid.models import User
from mutualaid.requests import request_office, request_user


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


def _allocation_step(
    request: Request,
    allocation_pk: int,
    form_class: type[serializers.Serializer[Any]],
    step: Callable[..., Allocation],
) -> Response:
    """One step of an allocation asked through the API: the allocation of the caller's tree (404
    otherwise), its body checked, the service called; a refusal answers 400 (or 403) with the
    service's message and changes nothing."""
    allocation = _allocations().filter(pk=allocation_pk).first()
    if allocation is None:
        raise Http404
    form = form_class(data=request.data)
    form.is_valid(raise_exception=True)
    try:
        step(actor=request_user(request), allocation=allocation, **form.validated_data)
    except (ValidationError, PermissionDenied) as error:
        return _refused(error)
    return Response(AllocationSerializer(_allocations().get(pk=allocation_pk)).data)


class AllocationTransfer(APIView):
    """The pooling office's bank sent an approved allocation: book the transfer (in transit)."""

    permission_classes = [HasPermission]
    required_permission = "finance.post"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=TransferSerializer, responses={200: AllocationSerializer})
    def post(self, request: Request, allocation_pk: int, version: str = "v1") -> Response:
        return _allocation_step(request, allocation_pk, TransferSerializer, allocations.allocation_transfer)


class ReceiveSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class AllocationReceive(APIView):
    """The paying office's bank received a transferred allocation: book it received, which closes
    the pair of due-to and due-from in both offices' books."""

    permission_classes = [HasPermission]
    required_permission = "finance.remit"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=ReceiveSerializer, responses={200: AllocationSerializer})
    def post(self, request: Request, allocation_pk: int, version: str = "v1") -> Response:
        return _allocation_step(request, allocation_pk, ReceiveSerializer, allocations.allocation_receive)


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
]

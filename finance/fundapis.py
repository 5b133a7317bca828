"""The API of the fund's stewardship (`/api/v1/finance/…`), in the caller's scope: the receipts
given to units and the refund of one with a red receipt, each plan's solvency against its band,
and the statements to members (公示)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
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

from finance.apis import FinanceReading
from finance.models import FundStatement, PremiumReceipt
from finance.selectors.flows import DIRECTIONS, FLOW_CHOICES, flow_figure_list, flow_label, flow_totals
from finance.selectors.premiums import receipt_list
from finance.selectors.publication import fund_statement_list
from finance.selectors.solvency import solvency_list
from finance.services.receipts import receipt_refund
from finance.tables import FlowFilter
from mutualaid.drf import BoundedJSONParser, HasPermission, money_field
from mutualaid.requests import request_office, request_user


class ReceiptSerializer(serializers.ModelSerializer[PremiumReceipt]):
    office = serializers.IntegerField(source="org_id", read_only=True)
    office_name = serializers.CharField(source="org.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    policy_number = serializers.CharField(source="policy.number", read_only=True)
    endorsement_number = serializers.CharField(
        source="endorsement.number", read_only=True, default=None, allow_null=True
    )
    refunds_receipt = serializers.CharField(source="original.number", read_only=True, default=None, allow_null=True)
    entry = serializers.CharField(source="entry.number", read_only=True)

    class Meta:
        model = PremiumReceipt
        fields = [
            "id",
            "number",
            "kind",
            "office",
            "office_name",
            "unit",
            "unit_name",
            "plan",
            "plan_name",
            "policy_number",
            "endorsement_number",
            "amount",
            "premium_due",
            "outstanding_after",
            "received_on",
            "bank_reference",
            "refunds_receipt",
            "reason",
            "entry",
            "created_at",
        ]


def _receipts() -> QuerySet[PremiumReceipt]:
    return receipt_list().select_related("entry")


class ReceiptList(FinanceReading, generics.ListAPIView[PremiumReceipt]):
    """Receipts and red receipts given to units in your tree, newest first."""

    serializer_class = ReceiptSerializer

    def get_queryset(self) -> QuerySet[PremiumReceipt]:
        return _receipts()


class ReceiptDetail(FinanceReading, generics.RetrieveAPIView[PremiumReceipt]):
    serializer_class = ReceiptSerializer
    lookup_url_kwarg = "receipt_pk"

    def get_queryset(self) -> QuerySet[PremiumReceipt]:
        return _receipts()


class RefundSerializer(serializers.Serializer[Any]):
    amount = money_field()
    refunded_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=60)
    reason = serializers.CharField(max_length=150)


class ReceiptRefund(APIView):
    """Pay all or part of a receipt's money back to the unit, as the receipt page does: booked out
    of the bank, with a red receipt (201) pointing at it; 400 with the message when refused."""

    permission_classes = [HasPermission]
    required_permission = "finance.remit"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=RefundSerializer, responses={201: ReceiptSerializer})
    def post(self, request: Request, receipt_pk: int, version: str = "v1") -> Response:
        try:
            receipt = _receipts().get(pk=receipt_pk)
        except PremiumReceipt.DoesNotExist:
            raise Http404 from None
        form = RefundSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            red = receipt_refund(actor=request_user(request), receipt=receipt, **form.validated_data)
        except ValidationError as error:
            return Response({"detail": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error) or None) from None
        return Response(ReceiptSerializer(_receipts().get(pk=red.pk)).data, status=status.HTTP_201_CREATED)


class SolvencySerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField(source="office_id")
    office_name = serializers.CharField()
    plan = serializers.IntegerField(source="plan_id")
    plan_name = serializers.CharField()
    pools = serializers.BooleanField(help_text="The office runs the plan (its premium is income here).")
    bank = money_field()
    fund_balance = money_field()
    reserve = money_field()
    income_12m = money_field(help_text="Premium and subsidies of the last twelve months.")
    claims_12m = money_field(help_text="Claims paid in the last twelve months.")
    reserve_ratio = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    months_covered = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    loss_ratio = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    status = serializers.ChoiceField(choices=["within", "below", "above"])
    problems = serializers.ListField(child=serializers.CharField())


class Solvency(FinanceReading):
    """Each plan's fund in your office's books and those below, as of today, against the band of
    reasonable surplus of the office that keeps them."""

    @extend_schema(responses={200: SolvencySerializer(many=True)})
    def get(self, request: Request, version: str = "v1") -> Response:
        return Response(SolvencySerializer(solvency_list(node=request_office(request)), many=True).data)


class FundStatementSerializer(serializers.ModelSerializer[FundStatement]):
    office = serializers.IntegerField(source="org_id", read_only=True)
    office_name = serializers.CharField(source="org.name", read_only=True)
    title = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = FundStatement
        fields = [
            "id",
            "office",
            "office_name",
            "title",
            "period",
            "year",
            "quarter",
            "starts_on",
            "ends_on",
            "status",
            "figures",
            "note",
            "drafted_at",
            "approved_at",
            "published_at",
        ]


class FundStatementList(FinanceReading, generics.ListAPIView[FundStatement]):
    """The statements to members of the offices in your tree, latest period first, with their
    frozen figures (counts and sums per plan, no person)."""

    serializer_class = FundStatementSerializer

    def get_queryset(self) -> QuerySet[FundStatement]:
        return fund_statement_list()


FLOW_FILTERS = [
    OpenApiParameter("office", OpenApiTypes.INT, description="An office of your tree: its books and those below it."),
    OpenApiParameter("plan", OpenApiTypes.INT, description="A plan; all plans when left out."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=[code for code, _label in FLOW_CHOICES], description="A kind."),
    OpenApiParameter("direction", OpenApiTypes.STR, enum=[code for code, _label in DIRECTIONS]),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Booked on or after this day (YYYY-MM-DD)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Booked on or before this day (YYYY-MM-DD)."),
]


class FlowRowSerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField(source="org_id")
    office_name = serializers.CharField(source="org__name")
    plan = serializers.IntegerField(source="plan_id")
    plan_name = serializers.CharField(source="plan__name")
    kind = serializers.ChoiceField(source="flow", choices=FLOW_CHOICES)
    kind_name = serializers.SerializerMethodField()
    direction = serializers.ChoiceField(choices=DIRECTIONS)
    entries = serializers.IntegerField(help_text="The number of journal entries behind the figure.")
    amount = money_field(help_text="The movement of the kind's account on the kind's side, in yuan.")

    def get_kind_name(self, row: dict[str, Any]) -> str:
        return flow_label(row["flow"])


class FlowTotalsSerializer(serializers.Serializer[Any]):
    income = money_field()
    payments = money_field()
    net = money_field(help_text="Income less payments.")
    recoveries_booked = money_field()
    recoveries_repaid = money_field()


class FlowsSerializer(serializers.Serializer[Any]):
    rows = FlowRowSerializer(many=True)
    totals = FlowTotalsSerializer()


def _flow_query(request: Request) -> dict[str, Any]:
    """The filters asked for, as the list page's filter form reads them; a bad one is refused."""
    names = {"office": "office", "plan": "plan", "kind": "flow", "direction": "direction"}
    query = {names[key]: value for key, value in request.query_params.items() if key in names and value}
    for key, field in (("from", "period_after"), ("to", "period_before")):
        value = request.query_params.get(key, "").strip()
        if not value:
            continue
        try:
            query[field] = date.fromisoformat(value).isoformat()
        except ValueError:
            raise ApiValidationError({key: [_("Give the day as YYYY-MM-DD, for example 2026-01-31.")]}) from None
    return query


class Flows(FinanceReading):
    """The figures of each kind of payment and income per office and plan (the offices of your
    tree), as the books hold them, with the totals of the rows; as the page Payments and income
    by kind shows them."""

    @extend_schema(parameters=FLOW_FILTERS, responses={200: FlowsSerializer})
    def get(self, request: Request, version: str = "v1") -> Response:
        filterset = FlowFilter(_flow_query(request), queryset=flow_figure_list(), request=request)
        if not filterset.is_valid():
            raise ApiValidationError(filterset.errors)
        rows = list(filterset.qs)
        return Response(FlowsSerializer({"rows": rows, "totals": flow_totals(rows)}).data)


api_urls = [
    path("finance/flows/", Flows.as_view(), name="api_finance_flows"),
    path("finance/receipts/", ReceiptList.as_view(), name="api_finance_receipts"),
    path("finance/receipts/<int:receipt_pk>/", ReceiptDetail.as_view(), name="api_finance_receipt"),
    path("finance/receipts/<int:receipt_pk>/refund/", ReceiptRefund.as_view(), name="api_finance_receipt_refund"),
    path("finance/solvency/", Solvency.as_view(), name="api_finance_solvency"),
    path("finance/fund-statements/", FundStatementList.as_view(), name="api_finance_fund_statements"),
]

"""The API of the fund's stewardship (`/api/v1/finance/…`), in the caller's scope: the receipts
given to units and the refund of one with a red receipt, each plan's solvency against its band,
and the statements to members (公示)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finance.apis import FinanceReading
from finance.models import FundStatement, PremiumReceipt
from finance.selectors.premiums import receipt_list
from finance.selectors.publication import fund_statement_list
from finance.selectors.solvency import solvency_list
from finance.services.receipts import receipt_refund
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


api_urls = [
    path("finance/receipts/", ReceiptList.as_view(), name="api_finance_receipts"),
    path("finance/receipts/<int:receipt_pk>/", ReceiptDetail.as_view(), name="api_finance_receipt"),
    path("finance/receipts/<int:receipt_pk>/refund/", ReceiptRefund.as_view(), name="api_finance_receipt_refund"),
    path("finance/solvency/", Solvency.as_view(), name="api_finance_solvency"),
    path("finance/fund-statements/", FundStatementList.as_view(), name="api_finance_fund_statements"),
]

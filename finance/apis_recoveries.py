"""The API of the recoveries of overpaid claims (`/api/v1/finance/recoveries/…`), in the caller's
scope: the recoveries with their repayments, and booking a repayment (idempotent by `key`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from finance.models import Recovery, RecoveryRepayment
from finance.selectors.recoveries import recovery_list, recovery_repayments
from finance.services.recoveries import recovery_repay
from mutualaid.drf import BoundedJSONParser, HasPermission, money_field
from mutualaid.requests import request_user


class RepaymentSerializer(serializers.ModelSerializer[RecoveryRepayment]):
    entry_number = serializers.CharField(source="entry.number", read_only=True)

    class Meta:
        model = RecoveryRepayment
        fields = ["id", "amount", "received_on", "bank_reference", "entry", "entry_number", "recorded_at"]


class RecoverySerializer(serializers.ModelSerializer[Recovery]):
    claim_number = serializers.CharField(source="claim.number", read_only=True)
    office_name = serializers.CharField(source="org.name", read_only=True)
    outstanding = money_field(read_only=True)
    settled = serializers.BooleanField(read_only=True)
    repayments = serializers.SerializerMethodField()

    class Meta:
        model = Recovery
        fields = ["id", "number", "org", "office_name", "claim", "claim_number", "plan", "amount", "repaid"]
        fields += ["outstanding", "settled", "reason", "entry", "created_at", "repayments"]

    def get_repayments(self, recovery: Recovery) -> list[dict[str, Any]]:
        return list(RepaymentSerializer(recovery_repayments(recovery=recovery), many=True).data)


class RepaymentInput(serializers.Serializer[Any]):
    amount = money_field()
    received_on = serializers.DateField()
    bank_reference = serializers.CharField(required=False, default="", allow_blank=True, max_length=60)
    key = serializers.CharField(max_length=120, help_text="The same key books the repayment once.")


class RecoveryList(APIView):
    permission_classes = [HasPermission]
    required_permission = "finance.view"

    @extend_schema(responses={200: RecoverySerializer(many=True)})
    def get(self, request: Request, version: str = "v1") -> Response:
        rows = recovery_list().prefetch_related("repayments__entry")[:500]
        return Response(RecoverySerializer(rows, many=True).data)


def _recovery(pk: int) -> Recovery:
    try:
        return recovery_list().get(pk=pk)
    except Recovery.DoesNotExist:
        raise Http404 from None


class RecoveryDetail(APIView):
    permission_classes = [HasPermission]
    required_permission = "finance.view"

    @extend_schema(responses={200: RecoverySerializer})
    def get(self, request: Request, recovery_pk: int, version: str = "v1") -> Response:
        return Response(RecoverySerializer(_recovery(recovery_pk)).data)


class RecoveryRepayments(APIView):
    """Book money the member paid back (never more than is outstanding)."""

    permission_classes = [HasPermission]
    required_permission = "finance.post"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=RepaymentInput, responses={201: RecoverySerializer})
    def post(self, request: Request, recovery_pk: int, version: str = "v1") -> Response:
        recovery = _recovery(recovery_pk)
        form = RepaymentInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            recovery_repay(actor=request_user(request), recovery=recovery, **form.validated_data)
        except ValidationError as error:
            raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from None
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error) or None) from None
        return Response(RecoverySerializer(_recovery(recovery_pk)).data, status=status.HTTP_201_CREATED)


api_urls = [
    path("finance/recoveries/", RecoveryList.as_view(), name="api_finance_recoveries"),
    path("finance/recoveries/<int:recovery_pk>/", RecoveryDetail.as_view(), name="api_finance_recovery"),
    path(
        "finance/recoveries/<int:recovery_pk>/repayments/",
        RecoveryRepayments.as_view(),
        name="api_finance_recovery_repayments",
    ),
]

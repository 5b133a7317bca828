"""The API of the oversight of claims (`/api/v1/…`), in the caller's scope: a claim's hospital
checks, and the re-checks of paid claims with their findings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import selectors
from claims.models import CheckOutcome, Claim, DocumentKind, HospitalCheck, Recheck, RecheckFinding, RecheckItem
from claims.services.documents import document_check
from claims.services.oversight import MAX_SAMPLE, hospital_check_record, recheck_draw, recheck_review
from mutualaid.drf import BoundedJSONParser, HasPermission, WholeNumberField, money_field
from mutualaid.models import Organisation
from mutualaid.requests import request_user


def _api_error(error: ValidationError | PermissionDenied) -> Exception:
    if isinstance(error, PermissionDenied):
        return ApiPermissionDenied(str(error) or None)
    return ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


def _claim(pk: int) -> Claim:
    try:
        return selectors.claim_get(pk=pk)
    except Claim.DoesNotExist:
        raise Http404 from None


class HospitalCheckSerializer(serializers.ModelSerializer[HospitalCheck]):
    recorded_by = serializers.CharField(source="recorded_by.__str__", read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = HospitalCheck
        fields = ["id", "claim", "checked_on", "checker", "place", "outcome", "findings", "recorded_by", "recorded_at"]
        fields += ["documents"]

    def get_documents(self, check: HospitalCheck) -> list[dict[str, Any]]:
        return [
            {"id": d.pk, "name": d.original_name, "size": d.size, "uploaded_at": d.uploaded_at}
            for d in check.documents.all()
        ]


class HospitalCheckInput(serializers.Serializer[Any]):
    checked_on = serializers.DateField()
    checker = serializers.CharField(max_length=100)
    place = serializers.CharField(max_length=150)
    outcome = serializers.ChoiceField(choices=CheckOutcome.choices)
    findings = serializers.CharField(max_length=1000)
    scans = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=20)


class ClaimHospitalChecks(APIView):
    """A claim's hospital checks (查勘); POST (multipart, scans optional) records one."""

    permission_classes = [HasPermission]
    required_permission = "claims.view"
    parser_classes: list[type[BaseParser]] = [MultiPartParser]

    @extend_schema(responses={200: HospitalCheckSerializer(many=True)})
    def get(self, request: Request, claim_pk: int, version: str = "v1") -> Response:
        claim = _claim(claim_pk)
        return Response(HospitalCheckSerializer(selectors.claim_hospital_checks(claim=claim), many=True).data)

    @extend_schema(request=HospitalCheckInput, responses={201: HospitalCheckSerializer})
    def post(self, request: Request, claim_pk: int, version: str = "v1") -> Response:
        claim = _claim(claim_pk)
        form = HospitalCheckInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        try:
            scans = [document_check(kind=DocumentKind.OTHER, upload=upload) for upload in data.pop("scans")]
            check = hospital_check_record(actor=request_user(request), claim=claim, documents=scans, **data)
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(HospitalCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class RecheckItemSerializer(serializers.ModelSerializer[RecheckItem]):
    claim_number = serializers.CharField(source="claim.number", read_only=True)
    paid_on = serializers.DateField(source="claim.paid_on", read_only=True)
    payout = money_field(source="claim.payout", read_only=True)
    recovery_booked = serializers.SerializerMethodField()

    class Meta:
        model = RecheckItem
        fields = ["claim", "claim_number", "paid_on", "payout", "reason", "finding", "overpaid", "note"]
        fields += ["reviewed_at", "recovery_booked"]

    def get_recovery_booked(self, item: RecheckItem) -> bool:
        return item.finding == RecheckFinding.OVERPAID


class RecheckSerializer(serializers.ModelSerializer[Recheck]):
    target_name = serializers.CharField(source="target.name", read_only=True)
    office_name = serializers.CharField(source="drawn_by_office.name", read_only=True)

    class Meta:
        model = Recheck
        fields = [
            "id",
            "drawn_by_office",
            "office_name",
            "target",
            "target_name",
            "paid_from",
            "paid_to",
            "size",
            "seed",
        ]
        fields += ["with_flagged", "note", "drawn_at"]


class RecheckDetailSerializer(RecheckSerializer):
    items = serializers.SerializerMethodField()

    class Meta(RecheckSerializer.Meta):
        fields = [*RecheckSerializer.Meta.fields, "items"]

    def get_items(self, recheck: Recheck) -> list[dict[str, Any]]:
        return list(RecheckItemSerializer(selectors.recheck_items(recheck=recheck), many=True).data)


class RecheckInput(serializers.Serializer[Any]):
    target = WholeNumberField()
    paid_from = serializers.DateField()
    paid_to = serializers.DateField()
    size = WholeNumberField(max_value=MAX_SAMPLE)
    with_flagged = serializers.BooleanField(required=False, default=True)
    seed = WholeNumberField(required=False, allow_null=True, default=None, max_value=2**62)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)


class FindingInput(serializers.Serializer[Any]):
    finding = serializers.ChoiceField(choices=[c for c in RecheckFinding.values if c != RecheckFinding.PENDING])
    overpaid = money_field(required=False, default=Decimal(0), min_value=Decimal(0))
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=500)


class Rechecks(APIView):
    """The re-checks of paid claims in scope; POST draws a sample of an office below's paid claims."""

    permission_classes = [HasPermission]
    required_permission = "claims.recheck"
    parser_classes = [BoundedJSONParser]

    @extend_schema(responses={200: RecheckSerializer(many=True)})
    def get(self, request: Request, version: str = "v1") -> Response:
        return Response(RecheckSerializer(selectors.recheck_list().order_by("-drawn_at")[:200], many=True).data)

    @extend_schema(request=RecheckInput, responses={201: RecheckDetailSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        form = RecheckInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        target = Organisation.objects.filter(pk=data.pop("target")).first()
        if target is None:
            raise ApiValidationError(
                {"target": [_("Choose an office below yours: a re-check samples the claims of an office you oversee.")]}
            )
        try:
            recheck = recheck_draw(actor=request_user(request), target=target, **data)
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(RecheckDetailSerializer(recheck).data, status=status.HTTP_201_CREATED)


def _recheck(pk: int) -> Recheck:
    try:
        found: Recheck = selectors.recheck_list().get(pk=pk)
    except Recheck.DoesNotExist:
        raise Http404 from None
    return found


class RecheckDetail(APIView):
    permission_classes = [HasPermission]
    required_permission = "claims.recheck"

    @extend_schema(responses={200: RecheckDetailSerializer})
    def get(self, request: Request, recheck_pk: int, version: str = "v1") -> Response:
        return Response(RecheckDetailSerializer(_recheck(recheck_pk)).data)


class RecheckFindingApi(APIView):
    """Record the finding on one sampled claim (once); an overpayment becomes a recovery."""

    permission_classes = [HasPermission]
    required_permission = "claims.recheck"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=FindingInput, responses={200: RecheckItemSerializer})
    def post(self, request: Request, recheck_pk: int, claim_pk: int, version: str = "v1") -> Response:
        recheck = _recheck(recheck_pk)
        item = RecheckItem.objects.filter(recheck=recheck, claim_id=claim_pk).select_related("claim").first()
        if item is None:
            raise Http404
        form = FindingInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            item = recheck_review(actor=request_user(request), item=item, **form.validated_data)
        except (ValidationError, PermissionDenied) as error:
            raise _api_error(error) from None
        return Response(RecheckItemSerializer(item).data)


api_urls = [
    path("claims/<int:claim_pk>/hospital-checks/", ClaimHospitalChecks.as_view(), name="api_claim_hospital_checks"),
    path("claim-rechecks/", Rechecks.as_view(), name="api_recheck_list"),
    path("claim-rechecks/<int:recheck_pk>/", RecheckDetail.as_view(), name="api_recheck_detail"),
    path(
        "claim-rechecks/<int:recheck_pk>/claims/<int:claim_pk>/",
        RecheckFindingApi.as_view(),
        name="api_recheck_finding",
    ),
]

"""The API of the rectification ledger (`/api/v1/reporting/findings/…`), in the caller's scope:
the findings with their state, and recording one (an owner is required)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mutualaid.drf import BoundedJSONParser, HasPermission, WholeNumberField
from mutualaid.models import Organisation, User
from mutualaid.requests import request_user
from reporting import rectification
from reporting.models import AuditFinding, FindingSource


class FindingSerializer(serializers.ModelSerializer[AuditFinding]):
    office_name = serializers.CharField(source="org.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = AuditFinding
        fields = ["id", "org", "office_name", "source", "title", "detail", "owner", "owner_name", "deadline"]
        fields += ["status", "rectification", "rectified_on", "closed_at", "raised_at", "evidence"]

    def get_evidence(self, finding: AuditFinding) -> list[dict[str, Any]]:
        return [{"id": e.pk, "name": e.original_name, "size": e.size} for e in finding.evidence.all()]


class AuditFindingInput(serializers.Serializer[Any]):
    office = WholeNumberField()
    found_by = serializers.ChoiceField(choices=FindingSource.choices, source="source")
    title = serializers.CharField(max_length=200)
    detail = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    owner = WholeNumberField(required=False, allow_null=True, default=None)
    deadline = serializers.DateField()


class Findings(APIView):
    """The audit findings in scope; POST records one in your office or an office below it."""

    permission_classes = [HasPermission]
    required_permission = "oversight.view"
    parser_classes = [BoundedJSONParser]

    @extend_schema(responses={200: FindingSerializer(many=True)})
    def get(self, request: Request, version: str = "v1") -> Response:
        rows = rectification.finding_list().prefetch_related("evidence").order_by("deadline", "pk")[:500]
        return Response(FindingSerializer(rows, many=True).data)

    @extend_schema(request=AuditFindingInput, responses={201: FindingSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        form = AuditFindingInput(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        office = Organisation.objects.filter(pk=data.pop("office")).first()
        if office is None:
            raise ApiValidationError({"office": [_("Choose your office or an office below it.")]})
        owner_id = data.pop("owner")
        owner = User.objects.filter(pk=owner_id).first() if owner_id is not None else None
        if owner_id is not None and owner is None:
            raise ApiValidationError({"owner": [_("No such account in your office's tree.")]})
        try:
            finding = rectification.finding_record(actor=request_user(request), office=office, owner=owner, **data)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                raise ApiPermissionDenied(str(error) or None) from None
            raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from None
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class FindingDetail(APIView):
    permission_classes = [HasPermission]
    required_permission = "oversight.view"

    @extend_schema(responses={200: FindingSerializer})
    def get(self, request: Request, finding_pk: int, version: str = "v1") -> Response:
        finding = rectification.finding_list().filter(pk=finding_pk).first()
        if finding is None:
            raise Http404
        return Response(FindingSerializer(finding).data)


api_urls = [
    path("reporting/findings/", Findings.as_view(), name="api_reporting_findings"),
    path("reporting/findings/<int:finding_pk>/", FindingDetail.as_view(), name="api_reporting_finding"),
]

"""The enrollment API (`/api/v1/…`), in the caller's scope. A unit's HR system uploads a member
list here and reads the same row-by-row report as the browser shows, as JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment import selectors
from enrollment.models import Enrollment, MemberList, Period, Policy
from enrollment.services.corrections import member_list_withdraw
from enrollment.services.member_lists import member_list_upload
from enrollment.tasks import check_member_list
from mutualaid.badinput import whole_number
from mutualaid.drf import BoundedJSONParser, HasPermission, WholeNumberField
from mutualaid.models import Organisation, OrgKind
from mutualaid.requests import request_office, request_user


class PeriodSerializer(serializers.ModelSerializer[Period]):
    plan = serializers.CharField(source="plan.name")
    plan_kind = serializers.CharField(source="plan.kind")

    class Meta:
        model = Period
        fields = [
            "id",
            "plan",
            "plan_kind",
            "label",
            "starts_on",
            "ends_on",
            "premium_per_share",
            "max_shares",
            "min_age",
            "max_age",
            "min_participation",
            "frozen_at",
        ]


class MemberListSerializer(serializers.ModelSerializer[MemberList]):
    unit: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="org", read_only=True
    )
    unit_name = serializers.CharField(source="org.name", read_only=True)
    policy = serializers.CharField(source="policy.number", read_only=True, default=None)

    class Meta:
        model = MemberList
        fields = [
            "id",
            "unit",
            "unit_name",
            "period",
            "kind",
            "status",
            "progress",
            "original_name",
            "row_count",
            "error_row_count",
            "list_problems",
            "cell_problems",
            "created_at",
            "policy",
        ]


class UploadSerializer(serializers.Serializer[Any]):
    unit = WholeNumberField()
    period = WholeNumberField()
    file = serializers.FileField()

    def validate_file(self, upload: Any) -> Any:
        # The same limit as the browser's form: without it an HR system could have the server
        # read, encrypt and store a file of any size.
        if upload.size > settings.MEMBER_LIST_MAX_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(mb)s MB: split the list into several files.")
                % {"mb": settings.MEMBER_LIST_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class PolicySerializer(serializers.ModelSerializer[Policy]):
    unit: serializers.PrimaryKeyRelatedField[Organisation] = serializers.PrimaryKeyRelatedField(
        source="org", read_only=True
    )
    unit_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = Policy
        fields = [
            "id",
            "number",
            "unit",
            "unit_name",
            "period",
            "starts_on",
            "ends_on",
            "member_count",
            "share_count",
            "premium",
            "member_part",
            "unit_part",
            "union_part",
            "issued_at",
        ]


class EnrollmentSerializer(serializers.ModelSerializer[Enrollment]):
    """Only the masked ID number leaves the server."""

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "policy",
            "row_number",
            "number",
            "name",
            "id_masked",
            "gender",
            "birth_date",
            "shares",
            "starts_on",
            "ends_on",
            "premium",
            "status",
        ]


class PeriodList(generics.ListAPIView[Period]):
    """Plan periods the caller's node may enrol into."""

    serializer_class = PeriodSerializer
    permission_classes = [HasPermission]
    required_permission = "enrollment.view"
    pagination_class = None

    def get_queryset(self) -> Any:
        return selectors.period_list_offered(org=request_office(self.request))


class MemberListList(generics.ListCreateAPIView[MemberList]):
    """Lists in scope; POST a workbook (multipart: unit, period, file) to have it checked."""

    serializer_class = MemberListSerializer
    permission_classes = [HasPermission]
    required_permission = "enrollment.view"
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> Any:
        return selectors.member_list_list()

    @extend_schema(request=UploadSerializer, responses={201: MemberListSerializer, 200: MemberListSerializer})
    def post(self, request: Request, version: str = "v1") -> Response:
        if not request.user.has_perm("enrollment.upload"):
            raise ApiPermissionDenied()
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        unit = Organisation.objects.filter(pk=form.validated_data["unit"], kind=OrgKind.UNIT).first()
        if unit is None:  # outside the caller's scope, or not a unit: as if it did not exist
            raise ApiValidationError({"unit": [_("No such unit in your office's tree.")]})
        upload = form.validated_data["file"]
        try:
            period = selectors.period_get_offered(unit=unit, period_id=form.validated_data["period"])
            member_list, created = member_list_upload(
                actor=request_user(request), unit=unit, period=period, data=upload.read(), filename=upload.name
            )
        except ValidationError as error:
            raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from None
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from None
        if created:
            user = request_user(request)
            transaction.on_commit(
                lambda: check_member_list.delay(org_id=user.org_id, member_list_id=member_list.pk, actor_id=user.pk)
            )
        return Response(
            MemberListSerializer(member_list).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MemberListDetail(generics.RetrieveAPIView[MemberList]):
    """One list with its row-by-row report."""

    serializer_class = MemberListSerializer
    permission_classes = [HasPermission]
    required_permission = "enrollment.view"
    lookup_url_kwarg = "list_pk"

    def get_queryset(self) -> Any:
        return MemberList.objects.select_related("org", "policy")


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, help_text="Why the list is withdrawn (shown on its page).")


class MemberListWithdraw(APIView):
    """Withdraw a list before its approval, with the reason (its uploader, or an office above its
    unit that approves lists). An approved list is corrected instead: upload its correction."""

    permission_classes = [HasPermission]
    required_permission = "enrollment.view"
    parser_classes = [BoundedJSONParser]

    @extend_schema(request=WithdrawSerializer, responses={200: MemberListSerializer})
    def post(self, request: Request, list_pk: int, version: str = "v1") -> Response:
        member_list = MemberList.objects.select_related("org", "policy").filter(pk=list_pk).first()
        if member_list is None:  # outside the caller's scope: as if it did not exist
            raise Http404
        form = WithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            withdrawn = member_list_withdraw(
                actor=request_user(request), member_list=member_list, reason=form.validated_data["reason"]
            )
        except ValidationError as error:
            raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from None
        except PermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from None
        return Response(MemberListSerializer(withdrawn).data)


@extend_schema_view(
    get=extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="Policy number or unit name.")])
)
class PolicyList(generics.ListAPIView[Policy]):
    serializer_class = PolicySerializer
    permission_classes = [HasPermission]
    required_permission = "enrollment.view"

    def get_queryset(self) -> Any:
        return selectors.policy_list(search=self.request.query_params.get("q", ""))


class PolicyDetail(generics.RetrieveAPIView[Policy]):
    serializer_class = PolicySerializer
    permission_classes = [HasPermission]
    required_permission = "enrollment.view"
    lookup_url_kwarg = "policy_pk"

    def get_queryset(self) -> Any:
        return Policy.objects.select_related("org")


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="A full ID number or an exact name."),
            OpenApiParameter("policy", OpenApiTypes.INT, description="One policy's members."),
        ]
    )
)
class EnrollmentList(generics.ListAPIView[Enrollment]):
    """Enrollments in scope; `?policy=<id>` for one policy's members, `?q=` for a full ID number or
    an exact name."""

    serializer_class = EnrollmentSerializer
    permission_classes = [HasPermission]
    required_permission = "enrollment.view"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        if params.get("q"):
            return selectors.enrollment_search(query=params["q"])
        return selectors.enrollment_list(policy_id=whole_number(params.get("policy", "")))


api_urls = [
    path("periods/", PeriodList.as_view(), name="api_period_list"),
    path("member-lists/", MemberListList.as_view(), name="api_member_list_list"),
    path("member-lists/<int:list_pk>/", MemberListDetail.as_view(), name="api_member_list_detail"),
    path("member-lists/<int:list_pk>/withdraw/", MemberListWithdraw.as_view(), name="api_member_list_withdraw"),
    path("policies/", PolicyList.as_view(), name="api_policy_list"),
    path("policies/<int:policy_pk>/", PolicyDetail.as_view(), name="api_policy_detail"),
    path("enrollments/", EnrollmentList.as_view(), name="api_enrollment_list"),
]

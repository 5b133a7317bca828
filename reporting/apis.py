"""The provincial pull API: the overview and the frozen snapshots of the caller's tree, as JSON
(or as xlsx or PDF with `?export=xlsx|pdf`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mutualaid import dates
from mutualaid.badinput import whole_number
from mutualaid.drf import HasPermission
from mutualaid.models import Organisation
from mutualaid.requests import request_office
from reporting import exports
from reporting.models import Snapshot
from reporting.rankings import ranking_plan_list, rankings
from reporting.selectors import node_get, overview_figures_get


def _node(request: Request) -> Organisation:
    """The node asked for (`?office=`), if it is in the caller's tree; the caller's own otherwise."""
    try:
        return node_get(office=request.query_params.get("office", ""), default=request_office(request))
    except ValidationError:
        raise Http404 from None


class SnapshotSerializer(serializers.ModelSerializer[Snapshot]):
    office = serializers.IntegerField(source="org_id")
    office_name = serializers.CharField(source="org.name")

    class Meta:
        model = Snapshot
        fields = [
            "id",
            "office",
            "office_name",
            "kind",
            "period_start",
            "revision",
            "rules_version",
            "checksum",
            "reason",
            "computed_at",
            "figures",
        ]


class OverviewApi(APIView):
    """The overview of a node of the caller's tree for a month (`?office=&month=YYYY-MM`)."""

    permission_classes = [HasPermission]
    required_permission = "reporting.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("office", OpenApiTypes.INT),
            OpenApiParameter(
                "month",
                OpenApiTypes.STR,
                description="YYYY-MM: the last closed month by default; the current month gives its figures to date",
            ),
            OpenApiParameter("export", OpenApiTypes.STR, enum=["xlsx", "pdf"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, version: str = "v1") -> Any:
        node = _node(request)
        month_text = request.query_params.get("month", "")
        month = dates.parse_month(month_text) if month_text else dates.last_month()
        if month is None:
            raise ApiValidationError({"month": ["Give the month as YYYY-MM."]})
        if month > dates.month_start(dates.business_today()):
            raise ApiValidationError(
                {
                    "month": [
                        _("%(month)s has not begun yet: ask for the current month or an earlier one.")
                        % {"month": month_text}
                    ]
                }
            )
        figures, _snapshot = overview_figures_get(node=node, month=month)
        export = request.query_params.get("export", "")
        if export == "xlsx":
            return HttpResponse(exports.overview_workbook(figures), content_type=exports.XLSX)
        if export == "pdf":
            return HttpResponse(exports.overview_pdf(figures), content_type="application/pdf")
        return Response(figures)


class RankingsApi(APIView):
    """The ranking of the child offices of a node for a plan and year (`?office=&plan=&year=`),
    as JSON, or `&export=xlsx|pdf` for the year-end assessment."""

    permission_classes = [HasPermission]
    required_permission = "reporting.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("office", OpenApiTypes.INT),
            OpenApiParameter("plan", OpenApiTypes.INT, required=True),
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("export", OpenApiTypes.STR, enum=["xlsx", "pdf"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, version: str = "v1") -> Any:
        params = request.query_params
        node = _node(request)
        plan = next((p for p in ranking_plan_list(node=node) if str(p.pk) == params.get("plan", "")), None)
        if plan is None:
            raise ApiValidationError({"plan": ["Choose a plan offered in this tree."]})
        year_text = params.get("year", "")
        year = whole_number(year_text) if year_text else timezone.localdate().year
        if year is None or not 1900 <= year <= 2999:
            raise ApiValidationError({"year": ["Give the year as four digits."]})
        figures = rankings(node=node, plan=plan, year=year)
        export = params.get("export", "")
        if export == "xlsx":
            return HttpResponse(exports.rankings_workbook(figures), content_type=exports.XLSX)
        if export == "pdf":
            return HttpResponse(exports.rankings_pdf(figures), content_type="application/pdf")
        return Response(figures)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("office", OpenApiTypes.INT),
            OpenApiParameter("kind", OpenApiTypes.STR),
            OpenApiParameter("period", OpenApiTypes.STR, description="YYYY-MM"),
        ]
    )
)
class SnapshotList(generics.ListAPIView[Snapshot]):
    """Frozen snapshots of the caller's tree (`?office=&kind=&period=YYYY-MM`), every revision."""

    serializer_class = SnapshotSerializer
    permission_classes = [HasPermission]
    required_permission = "reporting.view"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        qs = Snapshot.objects.select_related("org").order_by("-period_start", "org__path", "-revision")
        if (office := whole_number(params.get("office", ""))) is not None:
            qs = qs.filter(org_id=office)
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("period"):
            month = dates.parse_month(params["period"])
            if month is None:
                raise ApiValidationError({"period": ["Give the period as YYYY-MM."]})
            qs = qs.filter(period_start=month)
        return qs


class SnapshotDetail(generics.RetrieveAPIView[Snapshot]):
    serializer_class = SnapshotSerializer
    permission_classes = [HasPermission]
    required_permission = "reporting.view"
    lookup_url_kwarg = "snapshot_pk"

    def get_queryset(self) -> Any:
        return Snapshot.objects.select_related("org")


api_urls = [
    path("reporting/overview/", OverviewApi.as_view(), name="api_reporting_overview"),
    path("reporting/rankings/", RankingsApi.as_view(), name="api_reporting_rankings"),
    path("reporting/snapshots/", SnapshotList.as_view(), name="api_reporting_snapshots"),
    path("reporting/snapshots/<int:snapshot_pk>/", SnapshotDetail.as_view(), name="api_reporting_snapshot"),
]

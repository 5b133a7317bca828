"""The provincial pull API: the overview and the frozen snapshots of the caller's tree, as JSON
(or as xlsx or PDF with `?export=xlsx|pdf`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path
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
from mutualaid.downloads import attachment, file_name
from mutualaid.drf import HasPermission
from mutualaid.models import Organisation, UnitType
from mutualaid.requests import request_office
from reporting import api_schemas, exports
from reporting.apis_archives import api_urls as archive_api_urls
from reporting.apis_oversight import api_urls as oversight_api_urls
from reporting.models import Snapshot
from reporting.proposal_apis import api_urls as proposal_api_urls
from reporting.rankings import DEFAULT_SORT, ranking_plan_list, rankings
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


def _month(request: Request, key: str) -> date | None:
    """The month asked for as `key=YYYY-MM` (None if not asked); 400 in Chinese for one that is
    no month, or one that has not begun (its figures would be made up of nothing)."""
    text = request.query_params.get(key, "")
    if not text:
        return None
    month = dates.parse_month(text)
    if month is None:
        raise ApiValidationError({key: [_("Give the month as YYYY-MM, for example 2026-11.")]})
    if month > dates.month_start(dates.business_today()):
        raise ApiValidationError(
            {key: [_("%(month)s has not begun yet: ask for this month or one before it.") % {"month": text}]}
        )
    return month


class OverviewApi(APIView):
    """The overview of a node of the caller's tree for a month (`?office=&month=YYYY-MM`)."""

    permission_classes = [HasPermission]
    required_permission = "reporting.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("office", OpenApiTypes.INT, description="An office of your tree; your own by default."),
            OpenApiParameter(
                "month",
                OpenApiTypes.STR,
                description=(
                    "YYYY-MM, not after this month: the last closed month by default; "
                    "the current month gives its figures to date."
                ),
            ),
            api_schemas.EXPORT,
            api_schemas.FILE_NAME,
        ],
        responses=api_schemas.figures_or_file(api_schemas.OverviewSerializer),
    )
    def get(self, request: Request, version: str = "v1") -> Any:
        node = _node(request)
        month = _month(request, "month") or dates.last_month()
        figures, _snapshot = overview_figures_get(node=node, month=month)
        export = request.query_params.get("export", "")
        if export in {"xlsx", "pdf"}:
            name = file_name(_("Enrollment and claims overview"), node.name, f"{month:%Y-%m}", suffix=export)
            if export == "pdf":
                return attachment(exports.overview_pdf(figures), content_type=exports.PDF, name=name)
            return attachment(exports.overview_workbook(figures), content_type=exports.XLSX, name=name)
        return Response(figures)


class RankingsApi(APIView):
    """The ranking of the child offices of a node for a plan and year (`?office=&plan=&year=`),
    as JSON, or `&export=xlsx|pdf` for the year-end assessment."""

    permission_classes = [HasPermission]
    required_permission = "reporting.view"

    @extend_schema(
        parameters=[
            OpenApiParameter("office", OpenApiTypes.INT, description="An office of your tree; your own by default."),
            OpenApiParameter("plan", OpenApiTypes.INT, required=True),
            OpenApiParameter("year", OpenApiTypes.INT, description="This year by default."),
            OpenApiParameter(
                "unit_type", OpenApiTypes.STR, description="public, state, private or social: those units only."
            ),
            api_schemas.EXPORT,
            api_schemas.FILE_NAME,
        ],
        responses=api_schemas.figures_or_file(api_schemas.RankingsSerializer),
    )
    def get(self, request: Request, version: str = "v1") -> Any:
        params = request.query_params
        node = _node(request)
        plan = next((p for p in ranking_plan_list(node=node) if str(p.pk) == params.get("plan", "")), None)
        if plan is None:
            raise ApiValidationError({"plan": [_("Choose a plan offered in this tree.")]})
        year_text = params.get("year", "")
        year = whole_number(year_text) if year_text else dates.business_today().year
        if year is None or not 1900 <= year <= 2999:
            raise ApiValidationError({"year": [_("Give the year as four digits.")]})
        if year > dates.business_today().year:
            raise ApiValidationError(
                {"year": [_("%(year)s has not begun yet: ask for this year or one before it.") % {"year": year}]}
            )
        unit_type = params.get("unit_type", "")
        if unit_type and unit_type not in UnitType.values:
            raise ApiValidationError({"unit_type": [_("Choose a type of unit from the list, or every type.")]})
        export = params.get("export", "")
        if export in {"xlsx", "pdf"}:
            document = exports.rankings_document(
                node=node, plan=plan, year=year, sort=DEFAULT_SORT, pdf=export == "pdf", unit_type=unit_type
            )
            return attachment(document.data, content_type=document.content_type, name=document.filename)
        return Response(rankings(node=node, plan=plan, year=year, unit_type=unit_type))


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
        if (month := _month(self.request, "period")) is not None:
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
    *oversight_api_urls,
]

# The proposals and their simulations (reporting/proposal_apis.py).
api_urls += proposal_api_urls
api_urls += archive_api_urls

"""The API of the archives (`/api/v1/reporting/archives/…`), in the caller's scope: the register
of archive volumes (filtered by year, category and office), one volume with what it holds, and
its cover sheet as a PDF named by its archive number, as the archive pages give them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from mutualaid.badinput import whole_number
from mutualaid.downloads import attachment, file_name
from mutualaid.drf import HasPermission
from mutualaid.models import Organisation
from reporting import archives
from reporting.models import ArchiveCategory, ArchiveVolume

PDF = "application/pdf"


class ArchiveItemSerializer(serializers.Serializer[Any]):
    number = serializers.CharField()
    date = serializers.CharField(help_text="YYYY-MM-DD")
    title = serializers.CharField()


class ArchiveVolumeSerializer(serializers.ModelSerializer[ArchiveVolume]):
    office = serializers.IntegerField(source="org_id", read_only=True)
    office_name = serializers.CharField(source="org.name", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True, default=None, allow_null=True)
    compiled_by = serializers.CharField(source="compiled_by.__str__", read_only=True)

    class Meta:
        model = ArchiveVolume
        fields = ["id", "number", "year", "category", "office", "office_name", "plan", "plan_name", "title"]
        fields += ["item_count", "first_on", "last_on", "keep_years", "compiled_by", "compiled_at"]


class ArchiveVolumeDetailSerializer(ArchiveVolumeSerializer):
    items = ArchiveItemSerializer(many=True, read_only=True)

    class Meta(ArchiveVolumeSerializer.Meta):
        fields = [*ArchiveVolumeSerializer.Meta.fields, "items"]


class ArchiveReading(APIView):
    permission_classes = [HasPermission]
    required_permission = "oversight.view"


def _number(request: Request, name: str, *, most: int) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    number = whole_number(value, most=most)
    if number is None:
        raise ApiValidationError({name: [_("Give a whole number.")]})
    return number


class ArchiveList(ArchiveReading, generics.ListAPIView[ArchiveVolume]):
    """The archive volumes of your tree, latest year first (the archive register)."""

    serializer_class = ArchiveVolumeSerializer

    def get_queryset(self) -> QuerySet[ArchiveVolume]:
        volumes = archives.archive_list()
        year = _number(self.request, "year", most=2999)
        if year is not None:
            volumes = volumes.filter(year=year)
        category = self.request.query_params.get("category", "").strip()
        if category:
            if category not in ArchiveCategory.values:
                raise ApiValidationError({"category": [_("Choose a category from the list.")]})
            volumes = volumes.filter(category=category)
        office_pk = _number(self.request, "office", most=2**31 - 1)
        if office_pk is not None:
            office = Organisation.objects.filter(pk=office_pk).first()  # the caller's scope: another tree's is None
            if office is None:
                raise ApiValidationError({"office": [_("Choose an office of your tree.")]})
            volumes = volumes.filter(org_path__startswith=office.path)
        return volumes.order_by("-year", "org_path", "category", "number")

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("category", OpenApiTypes.STR, enum=ArchiveCategory.values),
            OpenApiParameter("office", OpenApiTypes.INT, description="An office of your tree and those below it."),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)


class ArchiveDetail(ArchiveReading, generics.RetrieveAPIView[ArchiveVolume]):
    """One volume with what it holds, in filing order."""

    serializer_class = ArchiveVolumeDetailSerializer
    lookup_url_kwarg = "volume_pk"

    def get_queryset(self) -> QuerySet[ArchiveVolume]:
        return archives.archive_list()


class ArchiveCover(ArchiveReading):
    """The volume's cover sheet and list of contents as a PDF, named by its archive number
    (Content-Disposition)."""

    @extend_schema(responses={(200, PDF): OpenApiTypes.BINARY})
    def get(self, request: Request, volume_pk: int, version: str = "v1") -> HttpResponse:
        volume = archives.archive_list().filter(pk=volume_pk).first()
        if volume is None:
            raise Http404
        name = file_name(_("Archive cover sheet"), volume.number, suffix="pdf")
        return attachment(archives.cover_pdf(volume), content_type=PDF, name=name)


api_urls = [
    path("reporting/archives/", ArchiveList.as_view(), name="api_reporting_archives"),
    path("reporting/archives/<int:volume_pk>/", ArchiveDetail.as_view(), name="api_reporting_archive"),
    path("reporting/archives/<int:volume_pk>/cover.pdf", ArchiveCover.as_view(), name="api_reporting_archive_cover"),
]

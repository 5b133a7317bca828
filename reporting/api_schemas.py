"""What the reporting API answers, as the OpenAPI schema documents it.

The figures are built as plain dicts by reporting.overview and reporting.rankings (the same dicts
are frozen in snapshots); these serializers only describe them for /api/docs/. Amounts and ratios
are decimal strings ("2500.00", "0.8951": a share, not a percentage), months YYYY-MM."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def _money(help_text: str) -> serializers.CharField:
    return serializers.CharField(help_text=f"{help_text} (yuan, decimal string such as 2500.00)")


def _ratio(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        allow_null=True, help_text=f"{help_text} (a share as a decimal string, 0.8951 = 89.51 %; null without a base)"
    )


class NamedRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField()


class OverviewFiguresSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One plan's figures: a child office's row, or the node's total."""

    plan_id = serializers.IntegerField()
    plan_name = serializers.CharField()
    people_all = serializers.IntegerField(help_text="Enrolled, all years")
    shares_all = serializers.IntegerField(help_text="Shares, all years")
    premium_all = _money("Premium, all years")
    people_year = serializers.IntegerField(help_text="Enrolled this year")
    shares_year = serializers.IntegerField(help_text="Shares this year")
    premium_year = _money("Premium this year")
    claims_all = serializers.IntegerField(help_text="Claims, all years")
    paid_all = _money("Paid, all years")
    claims_year = serializers.IntegerField(help_text="Claims this year")
    paid_year = _money("Paid this year")
    target_people = serializers.IntegerField(allow_null=True, help_text="Target (people) of the year")
    target_premium = serializers.CharField(allow_null=True, help_text="Target (premium) of the year, yuan")
    completion_people = _ratio("Enrolled this year against the target")
    completion_premium = _ratio("Premium this year against the target")
    loss_ratio = _ratio("Claims paid this year against this year's premium")


class OverviewRowSerializer(OverviewFiguresSerializer):
    office_id = serializers.IntegerField()
    office_name = serializers.CharField()
    remittance = serializers.CharField(allow_null=True, help_text="The child's remittance report of the month (key)")


class CallbackCountsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Claims paid, by the outcome of the phone callback (回访); `none`: not called yet."""

    satisfied = serializers.IntegerField()
    complaint = serializers.IntegerField()
    not_reached = serializers.IntegerField()
    none = serializers.IntegerField()


class CallbacksSerializer(serializers.Serializer):  # type: ignore[type-arg]
    month = CallbackCountsSerializer(help_text="Claims paid in the month")
    year = CallbackCountsSerializer(help_text="Claims paid in the year so far")


class OverviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    office = NamedRefSerializer()
    month = serializers.CharField(help_text="YYYY-MM")
    year = serializers.IntegerField()
    plans = NamedRefSerializer(many=True)
    rows = OverviewRowSerializer(many=True)
    totals = OverviewFiguresSerializer(many=True)
    callbacks = CallbacksSerializer(required=False, help_text="Absent from snapshots frozen before it was added")


class RankingFiguresSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rank = serializers.IntegerField(allow_null=True, help_text="1 for the first; equal figures share a rank")
    office_name = serializers.CharField()
    people_year = serializers.IntegerField()
    premium_year = _money("Premium this year")
    target_people = serializers.IntegerField(allow_null=True)
    target_premium = serializers.CharField(allow_null=True)
    completion_people = _ratio("Completion (people)")
    completion_premium = _ratio("Completion (premium)")
    headcount = serializers.IntegerField(help_text="Staff headcount of the units")
    coverage = _ratio("Coverage rate")
    target_coverage = serializers.CharField(allow_null=True)
    people_last_year = serializers.IntegerField()
    growth = _ratio("Growth on last year")
    renewal_base = serializers.IntegerField(
        allow_null=True, help_text="People of last year's period; null while a first count is made"
    )
    renewed = serializers.IntegerField(allow_null=True, help_text="Of them, enrolled again; null as above")
    renewal = _ratio("Renewal rate")
    paid_year = _money("Paid this year")
    loss_ratio = _ratio("Loss ratio")


class RankingRowSerializer(RankingFiguresSerializer):
    office_id = serializers.IntegerField()
    office_kind = serializers.CharField()


class RankingByUnitTypeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    unit_type = serializers.CharField(help_text="public, state, private, social; empty: not recorded")
    unit_type_label = serializers.CharField()
    people_year = serializers.IntegerField()
    premium_year = serializers.DecimalField(max_digits=14, decimal_places=2)
    people_last_year = serializers.IntegerField()
    growth = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    headcount = serializers.IntegerField()
    coverage = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)


class RankingsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    office = NamedRefSerializer()
    plan = NamedRefSerializer()
    year = serializers.IntegerField()
    through = serializers.CharField(help_text="YYYY-MM: the last month counted")
    sort = serializers.CharField(help_text="The figure ranked by")
    unit_type = serializers.CharField(help_text="The type of unit counted only; empty: every unit")
    unit_type_label = serializers.CharField()
    rows = RankingRowSerializer(many=True)
    total = RankingFiguresSerializer()
    by_unit_type = RankingByUnitTypeSerializer(many=True, help_text="The node's units' figures by type of unit")
    renewals_counted_at = serializers.DateTimeField(
        allow_null=True, help_text="When the renewal rates were counted; null while a first count is made"
    )
    renewals_recounting = serializers.BooleanField(
        help_text="The figures have moved since: a new count of the renewal rates is being made"
    )


FILE_NAME = OpenApiParameter(
    "Content-Disposition",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=True,
    description="With ?export=: attachment; filename*=UTF-8''<the file's Chinese name> (RFC 6266).",
)
EXPORT = OpenApiParameter(
    "export", OpenApiTypes.STR, enum=["xlsx", "pdf"], description="A workbook or a PDF of the same figures."
)


def figures_or_file(figures: type[serializers.Serializer]) -> dict[tuple[int, str], object]:  # type: ignore[type-arg]
    """The JSON figures, or with ?export= the same figures as a workbook or a PDF."""
    return {(200, "application/json"): figures, (200, XLSX): OpenApiTypes.BINARY, (200, PDF): OpenApiTypes.BINARY}

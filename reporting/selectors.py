"""Reads of reporting, in the caller's scope: the node of the caller's tree a page or a job asks
for, a month's overview as the office sent it up (or computed live), which cities have submitted
a period, and an office's exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mutualaid import dates
from mutualaid.badinput import whole_number
from mutualaid.models import Organisation, OrgKind
from reporting.models import ExportJob, Snapshot, SnapshotKind
from reporting.overview import overview


def node_get(*, office: object, default: Organisation) -> Organisation:
    """The node asked for (its id, as typed), if the active scope holds it; none asked for means
    `default`."""
    if office in (None, ""):
        return default
    try:
        return Organisation.objects.get(pk=whole_number(office) or 0)  # 0: no row has it
    except Organisation.DoesNotExist:
        raise ValidationError(_("No such office in your tree.")) from None


def overview_figures_get(*, node: Organisation, month: date) -> tuple[dict[str, Any], Snapshot | None]:
    """The overview of a node for a month: the latest submitted snapshot when there is one (the
    figures the office sent up, read in one query), otherwise computed from the live data."""
    start = dates.month_start(month)
    snapshot = (
        Snapshot.objects.filter(org=node, kind=SnapshotKind.MONTHLY, period_start=start).order_by("-revision").first()
    )
    if snapshot is not None:
        return snapshot.figures, snapshot
    return overview(node=node, month=start), None


def snapshot_submission_list(
    *, province: Organisation, period: date, kind: str = SnapshotKind.MONTHLY
) -> list[dict[str, Any]]:
    """Each city's latest snapshot of the period, or None: the province sees who is late. Read in
    the province's scope (its own page, or its consolidation task)."""
    start = dates.quarter_start(period) if kind == SnapshotKind.QUARTERLY_CLAIMS else dates.month_start(period)
    cities = list(
        Organisation.objects.filter(parent=province, kind__in=[OrgKind.CITY, OrgKind.INDUSTRY]).order_by("path")
    )
    latest: dict[int, Snapshot] = {}
    for snapshot in Snapshot.objects.filter(org__in=cities, kind=kind, period_start=start).order_by("revision"):
        latest[snapshot.org_id] = snapshot
    return [{"office": city, "snapshot": latest.get(city.pk)} for city in cities]


def export_job_list(*, office: Organisation) -> QuerySet[ExportJob]:
    """The office's exports, newest first."""
    return ExportJob.objects.filter(org=office).select_related("created_by").order_by("-created_at")

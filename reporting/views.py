"""Thin HTML views of reporting."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from finance.models import RemittanceStatus
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.views import StaffView
from reporting import exports, services
from reporting.models import Snapshot

REMITTANCE_LABELS = dict(RemittanceStatus.choices)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _node(request: HttpRequest) -> Organisation:
    """The node asked for, if it is in the user's tree (the scoped manager decides)."""
    wanted = request.GET.get("office", "")
    if not wanted:
        return request.user.org
    try:
        return Organisation.objects.get(pk=int(wanted))
    except (Organisation.DoesNotExist, ValueError):
        raise Http404(_("No such office in your tree.")) from None


NO_FIGURE = mark_safe('<span class="muted">—</span>')  # a constant


def _cells(row: dict[str, Any], cols: list[tuple[str, str, str]]) -> list[Any]:
    """A row's figures in the order of the columns, a dash where there is none (no target)."""
    return [NO_FIGURE if row.get(key) is None else row[key] for key, _header, _fmt in cols]


class OverviewView(StaffView):
    template_name = "reporting/overview.html"
    permission_required = "reporting.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node = _node(self.request)
        month = dates.parse_month(self.request.GET.get("month", "")) or dates.last_month()
        figures, snapshot = services.figures_for(node=node, month=month)
        cols = exports.columns()
        context.update(
            node=node,
            month=month,
            figures=figures,
            snapshot=snapshot,
            columns=cols,
            rows=[
                (row, _cells(row, cols), REMITTANCE_LABELS.get(row.get("remittance") or "", ""))
                for row in figures["rows"]
            ],
            totals=[(row, _cells(row, cols)) for row in figures["totals"]],
            ratio_keys={"completion_people", "loss_ratio"},
            children=Organisation.objects.filter(parent=node).order_by("path"),
            parent=Organisation.objects.filter(pk=node.parent_id).first() if node.parent_id else None,
        )
        return context


class OverviewWorkbookView(StaffView):
    permission_required = "reporting.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        node = _node(request)
        month = dates.parse_month(request.GET.get("month", "")) or dates.last_month()
        data = exports.overview_workbook(services.figures_for(node=node, month=month)[0])
        response = HttpResponse(data, content_type=XLSX)
        name = _("Enrollment and claims overview") + f"-{node.name}-{month:%Y-%m}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response


class SnapshotListView(StaffView):
    """The office's snapshots and, for a province, which cities have submitted the month."""

    template_name = "reporting/snapshots.html"
    permission_required = "reporting.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = self.request.user.org
        month = dates.parse_month(self.request.GET.get("month", "")) or dates.last_month()
        context.update(
            month=month,
            snapshots=Snapshot.objects.select_related("org", "created_by").order_by(
                "-period_start", "org__path", "-revision"
            )[:200],
            status=services.submission_status(province=office, period=month) if office.parent_id is None else [],
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("reporting.rollup"):
            raise PermissionDenied(_("Your roles do not allow this."))
        month = dates.parse_month(request.POST.get("month", ""))
        try:
            if month is None:
                raise ValidationError(_("Choose the month."))
            office = request.user.org
            if office.parent_id is None:
                snapshot = services.consolidate(province=office, period=month, actor=request.user)  # type: ignore[arg-type]
                created = True
            else:
                snapshot, created = services.rollup(
                    office=office,
                    period=month,
                    actor=request.user,
                    reason=request.POST.get("reason", ""),  # type: ignore[arg-type]
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"{request.path}?month={request.POST.get('month', '')}")
        if created:
            messages.success(
                request,
                _("Revision %(revision)s of %(month)s submitted.")
                % {"revision": snapshot.revision, "month": f"{month:%Y-%m}"},
            )
        else:
            messages.info(
                request, _("The figures are unchanged: revision %(revision)s stands.") % {"revision": snapshot.revision}
            )
        return redirect(f"{request.path}?month={month:%Y-%m}")

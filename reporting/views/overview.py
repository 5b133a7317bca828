"""The monthly overview of a node on screen, and as xlsx and PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from finance.models import RemittanceStatus
from finance.selectors.solvency import solvency_warnings
from mutualaid import dates
from mutualaid.downloads import file_name
from mutualaid.models import Organisation
from mutualaid.views import StaffView
from reporting import exports
from reporting.headers import OVERVIEW, header_rows
from reporting.selectors import overview_figures_get
from reporting.views.base import RefusesFutureMonths, as_of, download, month_asked, node_asked

REMITTANCE_LABELS = dict(RemittanceStatus.choices)
NO_FIGURE = mark_safe('<span class="muted">—</span>')  # a constant


def _cells(row: dict[str, Any], cols: list[tuple[str, str, str]]) -> list[Any]:
    """A row's figures in the order of the columns, in the product's number format (as the PDF
    prints them), a dash where there is none (no target)."""
    return [NO_FIGURE if row.get(key) is None else exports.display(row[key], fmt) for key, _header, fmt in cols]


class OverviewView(RefusesFutureMonths, StaffView):
    template_name = "reporting/overview.html"
    permission_required = "reporting.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node = node_asked(self.request)
        month = month_asked(self.request)
        figures, snapshot = overview_figures_get(node=node, month=month)
        cols = exports.columns()
        context.update(
            node=node,
            month=month,
            as_of=as_of(month),
            latest=dates.month_start(dates.business_today()),
            figures=figures,
            snapshot=snapshot,
            columns=cols,
            header=header_rows(cols, OVERVIEW),
            rows=[
                (row, _cells(row, cols), REMITTANCE_LABELS.get(row.get("remittance") or "", ""))
                for row in figures["rows"]
            ],
            totals=[(row, _cells(row, cols)) for row in figures["totals"]],
            callbacks=exports.callback_rows(figures),
            ratio_keys={"completion_people", "loss_ratio"},
            children=Organisation.objects.filter(parent=node).order_by("path"),
            # The plans whose fund has left its band of reasonable surplus at the month's end
            # (today in a month not yet over), from the books as they stand.
            solvency=solvency_warnings(
                node=node, on=min(dates.business_today(), dates.add_months(month, 1) - timedelta(days=1))
            ),
            parent=Organisation.objects.filter(pk=node.parent_id).first() if node.parent_id else None,
        )
        return context


class OverviewWorkbookView(RefusesFutureMonths, StaffView):
    """The overview as the office sent it up (or live), as xlsx."""

    permission_required = "reporting.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        node = node_asked(request)
        month = month_asked(request)
        figures, _snapshot = overview_figures_get(node=node, month=month)
        name = file_name(_("Enrollment and claims overview"), node.name, f"{month:%Y-%m}", suffix="xlsx")
        return download(exports.Document(exports.overview_workbook(figures), name, exports.XLSX))


class OverviewPdfView(RefusesFutureMonths, StaffView):
    """The overview computed live, as PDF."""

    permission_required = "reporting.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        return download(exports.overview_document(node=node_asked(request), month=month_asked(request), pdf=True))

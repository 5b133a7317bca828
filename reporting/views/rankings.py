"""The year's rankings of a node's children on screen, and as xlsx and PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualaid.models import Organisation, UnitType
from mutualaid.views import StaffView
from reporting import exports, jobs, rankings
from reporting.headers import RANKINGS, header_rows
from reporting.views.base import download, node_asked


def unit_type_asked(request: HttpRequest) -> str:
    """The type of unit the rankings are narrowed to ("" for every unit); another value is a 400."""
    asked = request.GET.get("unit_type", "")
    if asked and asked not in UnitType.values:
        raise BadRequest(_("Choose a type of unit from the list, or every type."))
    return asked


def _ranking_choice(request: HttpRequest) -> tuple[Organisation, Any, int, str, list[Any]]:
    node = node_asked(request)
    year = jobs.parse_year(request.GET.get("year")) or timezone.localdate().year
    plans = rankings.ranking_plan_list(node=node)
    wanted = request.GET.get("plan", "")
    plan = next((p for p in plans if str(p.pk) == wanted), None) if wanted else (plans[0] if plans else None)
    if wanted and plan is None:
        raise Http404(_("Choose a plan."))
    sort = request.GET.get("sort", "")
    return node, plan, year, sort if sort in rankings.SORTS else rankings.DEFAULT_SORT, plans


class RankingsView(StaffView):
    template_name = "reporting/rankings.html"
    permission_required = "reporting.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node, plan, year, sort, plans = _ranking_choice(self.request)
        unit_type = unit_type_asked(self.request)
        figures = rankings.rankings(node=node, plan=plan, year=year, sort=sort, unit_type=unit_type) if plan else None
        cols = exports.ranking_columns()
        context.update(
            node=node,
            plan=plan,
            plans=plans,
            year=year,
            sort=sort,
            sorts=rankings.SORTS,
            unit_type=unit_type,
            unit_types=UnitType.choices,
            figures=figures,
            columns=cols,
            header=header_rows(cols, RANKINGS),
            rows=[(row, [exports.display(row.get(k), f) for k, _h, f in cols]) for row in figures["rows"]]
            if figures
            else [],
            total=[exports.display(figures["total"].get(k), f) for k, _h, f in cols] if figures else [],
            query=urlencode(
                {"office": node.pk, "year": year, "plan": plan.pk if plan else "", "sort": sort, "unit_type": unit_type}
            ),
            parent=Organisation.objects.filter(pk=node.parent_id).first() if node.parent_id else None,
            renewals_counted_at=_moment(figures["renewals_counted_at"]) if figures else None,
        )
        return context


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class RankingsDownloadView(StaffView):
    permission_required = "reporting.view"
    pdf = False

    def get(self, request: HttpRequest) -> HttpResponse:
        node, plan, year, sort, _plans = _ranking_choice(request)
        if plan is None:
            raise Http404(_("Choose a plan."))
        unit_type = unit_type_asked(request)
        return download(
            exports.rankings_document(node=node, plan=plan, year=year, sort=sort, pdf=self.pdf, unit_type=unit_type)
        )

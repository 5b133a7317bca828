"""Solvency of each plan's fund in the office's books and those below, against the band of
reasonable surplus (合理结余)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

from finance.models import FinanceSettings
from finance.selectors.solvency import solvency_list
from mutualaid import dates
from mutualaid.officesettings import office_settings
from mutualaid.requests import request_office
from mutualaid.views import StaffView


class SolvencyView(StaffView):
    """One card per office and plan: fund balance, reserve, months of payouts covered, loss
    ratio, and where each stands in the band; the plans out of it first."""

    template_name = "finance/solvency.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        day = self.request.GET.get("on", "")
        on = dates.business_today()
        if day:
            try:
                on = min(date.fromisoformat(day), on)
            except ValueError:
                raise BadRequest(_("Enter the date as YYYY-MM-DD, for example 2026-06-30.")) from None
        rows = solvency_list(node=office, on=on)
        context.update(
            office=office,
            on=on,
            rows=sorted(rows, key=lambda r: (not r.out_of_band, r.office_name, r.plan_name)),
            out=sum(1 for r in rows if r.out_of_band),
            band=office_settings(FinanceSettings, office),
        )
        return context

"""The figures of each kind of payment and income, per office and plan, for a period."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from finance.selectors.flows import flow_figure_list, flow_totals
from finance.tables import FlowFilter, FlowTable
from mutualaid.listing import ListPage


class FlowListView(ListPage):
    template_name = "finance/flow_list.html"
    permission_required = "finance.view"
    table_class = FlowTable
    filter_class = FlowFilter
    title = gettext_lazy("Payments and income by kind")
    export_name = gettext_lazy("Payments and income by kind")

    def queryset(self) -> QuerySet[Any]:
        return flow_figure_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows, _filterset = self.filtered()
        context["totals"] = flow_totals(rows)
        return context

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
        # The table's rows, all its pages: the lines' query and the filters are not built again
        # (a fifth of the page's time: forty kinds of flow, each written out three times).
        rows = self.filtered_rows if self.filtered_rows is not None else self.filtered()[0]
        context["totals"] = flow_totals(rows)
        return context

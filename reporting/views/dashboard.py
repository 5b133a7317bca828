"""The leaders' dashboard page: the figures of `reporting.dashboard` as text and, where the chart
library is installed, as charts drawn by static/js/dashboard.js."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from mutualaid import dates, numbers
from mutualaid.models import Organisation
from mutualaid.views import StaffView
from reporting.dashboard import dashboard
from reporting.views.base import RefusesFutureMonths, as_of, month_asked, node_asked

ECHARTS = "vendor/echarts/echarts.min.js"

FLAG_LABELS = {
    "invoice_reused": gettext_lazy("Invoice already used in another claim"),
    "early_claim": gettext_lazy("Admitted soon after the coverage started"),
    "many_claims": gettext_lazy("Many claims of one member in the period"),
    "large_amount": gettext_lazy("Payout above the threshold"),
    "overlapping_stay": gettext_lazy("Hospital stays that overlap"),
}
PROBLEM_LABELS = {
    "missing": gettext_lazy("not remitted by the 25th"),
    "short": gettext_lazy("short"),
    "late": gettext_lazy("late"),
    "levels_since": gettext_lazy("union levels' money booked since the report, carried by the next"),
}


def charts_available() -> bool:
    """Whether this checkout has the chart library (scripts/bootstrap.sh copies it from npm); a
    checkout that never ran it still gets every figure, as tables."""
    if not (finders.find(ECHARTS) or staticfiles_storage.exists(ECHARTS)):
        return False
    try:
        static(ECHARTS)
    except ValueError:  # a manifest collected before the file was there
        return False
    return True


def amount(value: str | Decimal) -> str:
    return numbers.money_text(value)


def percent(ratio: str | None) -> str:
    return numbers.percent_text(ratio, blank="—")


def _signed(value: Decimal, suffix: str) -> str:
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}{abs(value):,.1f}{suffix}"


def change(ratio: str | None) -> str | None:
    """+12.5% against the same period last year; None where last year had nothing."""
    return None if ratio is None else _signed(Decimal(ratio) * 100, "%")


def points(difference: str | None) -> str | None:
    if difference is None:
        return None
    return _("%(points)s percentage points") % {"points": _signed(Decimal(difference) * 100, "")}


def headline_cards(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures at the top of the page, in reading order, with the text shown under each."""
    head = figures["headline"]
    turnaround = figures["turnaround"]
    return [
        {
            "key": "people",
            "label": _("Enrolled this year"),
            "value": numbers.count_text(head["people"]["value"]),
            "compare": True,
            "change": change(head["people"]["change"]),
        },
        {
            "key": "premium",
            "label": _("Premium this year"),
            "value": amount(head["premium"]["value"]),
            "unit": _("yuan"),
            "compare": True,
            "change": change(head["premium"]["change"]),
        },
        {
            "key": "paid",
            "label": _("Paid this year"),
            "value": amount(head["paid"]["value"]),
            "unit": _("yuan"),
            "compare": True,
            "change": change(head["paid"]["change"]),
            "note": _("claims: %(count)s") % {"count": head["claims"]["value"]},
        },
        {
            "key": "loss_ratio",
            "label": _("Loss ratio"),
            "value": percent(head["loss_ratio"]["value"]),
            "compare": True,
            "change": points(head["loss_ratio"]["change"]),
        },
        {
            "key": "remittances",
            "label": _("Outstanding (yuan)"),
            "value": amount(head["remittances_outstanding"]["value"]),
            "note": _("offices below holding back premium: %(count)s")
            % {"count": head["remittances_outstanding"]["offices"]},
        },
        {
            "key": "risk",
            "label": _("Risk flags"),
            "value": numbers.count_text(head["risk_flags"]["value"]),
            "note": _("open claims with a flag"),
        },
        {
            "key": "overdue",
            "label": _("Past the target"),
            "value": numbers.count_text(head["overdue"]["value"]),
            "note": _("claims in review now; %(count)s past the hard limit") % {"count": head["overdue"]["past_limit"]},
        },
        {
            "key": "turnaround",
            "label": _("Median working days to payment"),
            "value": "—" if turnaround["median"] is None else str(turnaround["median"]),
            "note": _("90 percent within %(days)s working days") % {"days": turnaround["p90"]}
            if turnaround["p90"] is not None
            else _("no claim paid in the month"),
        },
    ]


def chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    """What static/js/dashboard.js draws, with its labels in the page's language."""
    return {
        "lang": get_language(),
        "labels": {
            "people": _("People enrolled"),
            "premium": _("Premium (yuan)"),
            "paid": _("Paid (yuan)"),
            "claims": _("Number of claims paid"),
            "yuan": _("yuan"),
        },
        "trends": figures["trends"],
        "children": [
            {"name": c["office_name"], "people": c["people_year"], "premium": c["premium_year"], "paid": c["paid_year"]}
            for c in figures["children"]
        ],
        "plans": [{"name": p["name"], "premium": p["premium_year"], "paid": p["paid_year"]} for p in figures["plans"]],
    }


class DashboardView(RefusesFutureMonths, StaffView):
    """The leaders' dashboard of the user's node, or of a node of their tree (`?office=`), for a
    month (`?month=YYYY-MM`): the current month to date by default; a month not yet begun is
    refused with a 400."""

    template_name = "reporting/dashboard.html"
    permission_required = "reporting.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node = node_asked(self.request)
        month = month_asked(self.request)
        figures = dashboard(node=node, month=month, today=dates.business_today())
        turnaround = figures["turnaround"]
        context.update(
            node=node,
            latest=dates.month_start(dates.business_today()),
            as_of=as_of(month, read_at=datetime.fromisoformat(figures["read_at"])),
            figures=figures,
            read_at=datetime.fromisoformat(figures["read_at"]),
            cards=headline_cards(figures),
            chart_data=chart_data(figures),
            charts=charts_available(),
            trends=[
                {**row, "premium": amount(row["premium"]), "paid": amount(row["paid"])} for row in figures["trends"]
            ],
            children=[
                {
                    **row,
                    "premium_year": amount(row["premium_year"]),
                    "paid_year": amount(row["paid_year"]),
                    "completion_people": percent(row["completion_people"]),
                    "loss_ratio": percent(row["loss_ratio"]),
                }
                for row in figures["children"]
            ],
            plans=[
                {
                    **row,
                    "premium_year": amount(row["premium_year"]),
                    "paid_year": amount(row["paid_year"]),
                    "loss_ratio": percent(row["loss_ratio"]),
                }
                for row in figures["plans"]
            ],
            turnaround={**turnaround, "share_within": percent(turnaround["share_within"])},
            turnaround_offices=[{**row, "share_within": percent(row["share_within"])} for row in turnaround["offices"]],
            remittances=[
                {
                    **row,
                    "problem_label": PROBLEM_LABELS.get(row["problem"], row["problem"]),
                    "amount_due": amount(row["amount_due"]),
                    "outstanding": amount(row["outstanding"]),
                }
                for row in figures["remittances"]
            ],
            flags=[{**row, "label": FLAG_LABELS.get(row["code"], row["code"])} for row in figures["risk_flags"]],
            parent=Organisation.objects.filter(pk=node.parent_id).first() if node.parent_id else None,
        )
        return context

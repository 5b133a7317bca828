"""The monthly statement of an office's books, on screen, as xlsx and as PDF (finance.exports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance import exports
from finance.selectors.books import book_office_list, book_plan_list
from mutualaid import dates
from mutualaid.downloads import attachment, file_name
from mutualaid.models import Organisation
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class StatementFilters:
    offices: list[Organisation]
    office: Organisation
    plans: list[Plan]
    plan: Plan | None
    month: date

    @property
    def query(self) -> str:
        return urlencode(
            {"office": self.office.pk, "plan": self.plan.pk if self.plan else "", "month": f"{self.month:%Y-%m}"}
        )


def statement_filters(request: HttpRequest) -> StatementFilters:
    """The office (one of the caller's tree that keeps books), plan and month asked for. An
    office or plan outside what the caller may read is a 404, never a silent other statement."""
    params = request.GET
    own = request_office(request)
    offices = list(book_office_list(root=own))
    chosen = params.get("office", "")
    if chosen:
        office = next((o for o in offices if str(o.pk) == chosen), None)
        if office is None:
            raise Http404(_("No such office keeping books in your office's tree."))
    else:
        office = next((o for o in offices if o.pk == own.pk), offices[0] if offices else None)
        if office is None:
            raise Http404(_("Your office keeps no books."))
    plans = book_plan_list(office=office)
    plan = None
    if params.get("plan", ""):
        plan = next((p for p in plans if str(p.pk) == params["plan"]), None)
        if plan is None:
            raise Http404(_("No such plan in the books of this office."))
    asked = params.get("month", "")
    month = dates.parse_month(asked) if asked else dates.month_start(dates.business_today())
    if month is None:
        raise Http404(_("Choose a month as YYYY-MM."))
    return StatementFilters(offices=offices, office=office, plans=plans, plan=plan, month=month)


def _download(data: bytes, content_type: str, filters: StatementFilters, suffix: str) -> HttpResponse:
    name = file_name(_("Statement"), filters.office.name, f"{filters.month:%Y-%m}", suffix=suffix)
    return attachment(data, content_type=content_type, name=name)


class StatementView(StaffView):
    """The statement of a month on screen, with its downloads."""

    template_name = "finance/statement.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = statement_filters(self.request)
        context.update(
            filters=filters,
            statement=exports.statement_for(office=filters.office, plan=filters.plan, month=filters.month),
            balance_headers=exports.balance_headers(),
            line_headers=exports.line_headers(),
        )
        return context


class StatementXlsxView(StaffView):
    permission_required = "finance.view"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters = statement_filters(request)
        statement = exports.statement_for(office=filters.office, plan=filters.plan, month=filters.month)
        return _download(exports.statement_workbook(statement), XLSX, filters, "xlsx")


class StatementPdfView(StaffView):
    permission_required = "finance.view"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters = statement_filters(request)
        statement = exports.statement_for(office=filters.office, plan=filters.plan, month=filters.month)
        pdf = exports.statement_pdf(statement, filled_by=request_user(request))
        return _download(pdf, "application/pdf", filters, "pdf")

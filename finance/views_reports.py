"""Statements (on screen, as xlsx and as PDF) and budgets against actuals: thin views over
finance.exports and finance.budgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Plan
from finance import budgets, exports, selectors, services
from finance.models import Account
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.views import StaffView, attach_errors

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
    offices = list(selectors.book_offices(root=request.user.org))
    chosen = params.get("office", "")
    if chosen:
        office = next((o for o in offices if str(o.pk) == chosen), None)
        if office is None:
            raise Http404(_("No such office keeping books in your office's tree."))
    else:
        office = next((o for o in offices if o.pk == request.user.org_id), offices[0] if offices else None)
        if office is None:
            raise Http404(_("Your office keeps no books."))
    plans = selectors.book_plans(office=office)
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
    response = HttpResponse(data, content_type=content_type)
    filename = f"{_('Statement')}-{filters.office.name}-{filters.month:%Y-%m}.{suffix}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


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
        return _download(exports.statement_pdf(statement), "application/pdf", filters, "pdf")


AMOUNT_MESSAGE = gettext_lazy("Enter the budget in yuan: a number of 0 or more with at most two decimals.")


class BudgetForm(forms.Form):
    plan = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    year = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=budgets.FIRST_YEAR,
        max_value=budgets.LAST_YEAR,
        error_messages={
            "invalid": gettext_lazy("Enter the year as four digits."),
            "min_value": gettext_lazy("Enter the year as four digits."),
            "max_value": gettext_lazy("Enter the year as four digits."),
        },
    )
    account = forms.ChoiceField(
        label=gettext_lazy("Account"),
        choices=[("", "---------"), *Account.choices],
        error_messages={"invalid_choice": gettext_lazy("Choose an account of the chart.")},
    )
    amount = forms.CharField(label=gettext_lazy("Budget (yuan)"), max_length=30)

    def __init__(self, *args: Any, plans: list[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plans = {p.pk: p for p in plans}
        field = self.fields["plan"]
        field.choices = [(p.pk, p.name) for p in plans]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = _("Choose a plan your office keeps books for.")

    def clean_amount(self) -> Any:
        amount = budgets.parse_amount(self.cleaned_data["amount"])
        if amount is None:
            raise ValidationError(AMOUNT_MESSAGE)
        return amount


class BudgetView(StaffView):
    """The office's budget of a plan and year against its books; office heads and finance heads
    set the budget of an account."""

    template_name = "finance/budget.html"
    permission_required = "finance.view"

    def _office(self) -> Organisation:
        office = self.request.user.org
        if office is None or office.kind not in services.MONEY_OFFICES:
            raise Http404(_("Your office keeps no books."))
        return office

    def _plan_and_year(self, plans: list[Plan]) -> tuple[Plan | None, int]:
        params = self.request.GET
        plan = plans[0] if plans else None
        if params.get("plan", ""):
            plan = next((p for p in plans if str(p.pk) == params["plan"]), None)
            if plan is None:
                raise Http404(_("No such plan in the books of this office."))
        year = dates.business_today().year
        if params.get("year", ""):
            text = params["year"].strip()
            if not (text.isdigit() and budgets.FIRST_YEAR <= int(text) <= budgets.LAST_YEAR):
                raise Http404(_("Enter the year as four digits."))
            year = int(text)
        return plan, year

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = self._office()
        plans = selectors.book_plans(office=office)
        plan, year = self._plan_and_year(plans)
        # After a refused POST the form comes back with its errors; the page stays on the plan
        # and year of the address, which the form was posted to.
        context.setdefault("form", BudgetForm(plans=plans, initial={"plan": plan.pk if plan else None, "year": year}))
        context.update(
            office=office,
            plans=plans,
            plan=plan,
            year=year,
            rows=budgets.budget_vs_actual(office=office, plan=plan, year=year) if plan else [],
            may_set=self.request.user.has_perm("finance.configure") and plan is not None,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        office = self._office()
        if not request.user.has_perm("finance.configure"):
            raise PermissionDenied(_("Your roles do not allow this."))
        form = BudgetForm(request.POST, plans=selectors.book_plans(office=office))
        if form.is_valid():
            data = form.cleaned_data
            try:
                budget = budgets.budget_set(
                    actor=request.user,  # type: ignore[arg-type]
                    plan=form.plans[data["plan"]],
                    year=data["year"],
                    account=data["account"],
                    amount=data["amount"],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Budget of %(account)s for %(year)s set to %(amount)s yuan.")
                    % {"account": budget.get_account_display(), "year": budget.year, "amount": budget.amount},
                )
                url = reverse("finance:budget")
                return redirect(f"{url}?{urlencode({'plan': budget.plan_id, 'year': budget.year})}")
        return self.render_to_response(self.get_context_data(form=form))

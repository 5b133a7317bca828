"""The office's budget of a plan and year against its books; office heads and finance heads set
the budget of an account."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Plan
from finance.models import Account
from finance.selectors.books import book_plan_list
from finance.selectors.budgets import budget_execution_list
from finance.services.budgets import FIRST_YEAR, LAST_YEAR, budget_amount_parse, budget_set
from finance.views.base import books_office
from mutualaid import dates
from mutualaid.badinput import StrictNumbers, whole_number
from mutualaid.requests import request_user
from mutualaid.views import StaffView, attach_errors

AMOUNT_MESSAGE = gettext_lazy("Enter the budget in yuan: a number of 0 or more with at most two decimals.")


class BudgetForm(StrictNumbers, forms.Form):
    plan = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    year = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
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
        field = cast(forms.TypedChoiceField, self.fields["plan"])
        field.choices = [(p.pk, p.name) for p in plans]
        field.error_messages["invalid_choice"] = _("Choose a plan your office keeps books for.")

    def clean_amount(self) -> Any:
        amount = budget_amount_parse(self.cleaned_data["amount"])
        if amount is None:
            raise ValidationError(AMOUNT_MESSAGE)
        return amount


class BudgetView(StaffView):
    """The office's budget of a plan and year against its books; office heads and finance heads
    set the budget of an account."""

    template_name = "finance/budget.html"
    permission_required = "finance.view"

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
            asked = whole_number(text)
            if asked is None or not FIRST_YEAR <= asked <= LAST_YEAR:
                raise Http404(_("Enter the year as four digits."))
            year = asked
        return plan, year

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = books_office(self.request)
        plans = book_plan_list(office=office)
        plan, year = self._plan_and_year(plans)
        # After a refused POST the form comes back with its errors; the page stays on the plan
        # and year of the address, which the form was posted to.
        context.setdefault("form", BudgetForm(plans=plans, initial={"plan": plan.pk if plan else None, "year": year}))
        context.update(
            office=office,
            plans=plans,
            plan=plan,
            year=year,
            rows=budget_execution_list(office=office, plan=plan, year=year) if plan else [],
            may_set=self.request.user.has_perm("finance.configure") and plan is not None,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        office = books_office(self.request)
        if not request.user.has_perm("finance.configure"):
            raise PermissionDenied(_("Your roles do not allow this."))
        form = BudgetForm(request.POST, plans=book_plan_list(office=office))
        if form.is_valid():
            data = form.cleaned_data
            try:
                budget = budget_set(
                    actor=request_user(request),
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

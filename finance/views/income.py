"""Income other than premium: a union's contribution to the reserve, a subsidy, interest."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Plan
from finance.models import IncomeKind, UnionLevel
from finance.selectors.books import book_plan_list
from finance.selectors.income import income_list
from finance.services.income import income_record
from finance.tables import IncomeFilter, IncomeTable
from finance.views.base import show_error
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import DayInput, MoneyField
from mutualaid.listing import ListPage
from mutualaid.models import Organisation
from mutualaid.requests import request_office, request_user
from mutualaid.views import attach_errors


class IncomeForm(StrictNumbers, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=IncomeKind.choices)
    plan: forms.ModelChoiceField[Plan] = forms.ModelChoiceField(
        label=gettext_lazy("Plan"), queryset=Plan.objects.none()
    )
    amount = MoneyField(label=gettext_lazy("Amount (yuan)"))
    payer = forms.CharField(label=gettext_lazy("Paid by"), max_length=100)
    union_level = forms.ChoiceField(
        label=gettext_lazy("Union level (for a subsidy)"),
        choices=[("", "—"), *UnionLevel.choices],
        required=False,
    )
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DayInput())
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, office: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_ids = [p.pk for p in book_plan_list(office=office)]
        # Plans of the offices above, as a form's choices: they lie outside the office's scope.
        plans = Plan.objects.with_scopes_disabled().filter(pk__in=plan_ids)
        cast("forms.ModelChoiceField[Plan]", self.fields["plan"]).queryset = plans


class IncomeListView(ListPage):
    template_name = "finance/income_list.html"
    permission_required = "finance.view"
    table_class = IncomeTable
    filter_class = IncomeFilter
    title = gettext_lazy("Income other than premium")
    export_name = gettext_lazy("Income")

    def queryset(self) -> QuerySet[Any]:
        return income_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", IncomeForm(office=request_office(self.request)))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IncomeForm(request.POST, office=request_office(request))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            made = income_record(actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:income_list")
        messages.success(request, _("Income %(number)s recorded and booked.") % {"number": made.number})
        return redirect("finance:income_list")

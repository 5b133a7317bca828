"""Deposits and bonds: placing plan money, the reminders before maturity, booking the maturity
with its interest, and the fund's cash and deposits shown apart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Plan
from finance.models import Deposit, DepositKind, DepositStatus
from finance.rules import MONEY_OFFICES
from finance.selectors.books import book_plan_list
from finance.selectors.deposits import deposit_list, holdings_get
from finance.services import deposits
from finance.tables import DepositFilter, DepositTable
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import StrictNumbers, whole_number
from mutualaid.forms import DayInput, MoneyField, PercentField
from mutualaid.listing import ListPage
from mutualaid.models import Organisation
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView, attach_errors

DATE = DayInput()


class DepositForm(StrictNumbers, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DepositKind.choices)
    plan: forms.ModelChoiceField[Plan] = forms.ModelChoiceField(
        label=gettext_lazy("Plan"), queryset=Plan.objects.none()
    )
    institution = forms.CharField(label=gettext_lazy("Bank or issuer"), max_length=100)
    amount = MoneyField(label=gettext_lazy("Principal (yuan)"))
    annual_rate = PercentField(
        label=gettext_lazy("Annual rate"),
        most=Decimal(100),
        decimal_places=4,
        help_text=gettext_lazy("As a percentage, as the page shows it: 2.15 for a rate of 2.15 per cent."),
    )
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DATE)
    matures_on = forms.DateField(label=gettext_lazy("Matures on"), widget=DATE)
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)
    meeting = forms.CharField(label=gettext_lazy("Collective decision (meeting)"), max_length=120, required=False)
    meeting_on = forms.DateField(label=gettext_lazy("Meeting date"), widget=DATE, required=False)

    def __init__(self, *args: Any, office: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_ids = [p.pk for p in book_plan_list(office=office)]
        # Plans of the offices above, as a form's choices: they lie outside the office's scope.
        plans = Plan.objects.with_scopes_disabled().filter(pk__in=plan_ids)
        cast("forms.ModelChoiceField[Plan]", self.fields["plan"]).queryset = plans


class DepositListView(ListPage):
    template_name = "finance/deposit_list.html"
    permission_required = "finance.view"
    table_class = DepositTable
    filter_class = DepositFilter
    title = gettext_lazy("Deposits and bonds")
    export_name = gettext_lazy("Deposits and bonds")

    def queryset(self) -> QuerySet[Any]:
        return deposit_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        context.setdefault("form", DepositForm(office=office))
        context["holdings"] = holdings_get(office=office) if office.kind in MONEY_OFFICES else None
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DepositForm(request.POST, office=request_office(request))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            made = deposits.deposit_place(actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:deposit_list")
        messages.success(request, _("Deposit %(number)s placed and booked.") % {"number": made.number})
        return redirect("finance:deposit_detail", deposit_pk=made.pk)


class DepositDetailView(StaffView):
    template_name = "finance/deposit_detail.html"
    permission_required = "finance.view"

    def _deposit(self) -> Deposit:
        try:
            return deposit_list().get(pk=self.kwargs["deposit_pk"])
        except Deposit.DoesNotExist:
            raise Http404(_("No such deposit in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        deposit = self._deposit()
        user = request_user(self.request)
        placed = deposit.status == DepositStatus.PLACED
        context.update(
            deposit=deposit,
            may_mature=placed and user.org_id == deposit.org_id and user.has_perm("finance.post"),
            expected=deposits.deposit_interest_expected(deposit=deposit),
            overdue=placed and deposit.matures_on < dates.business_today(),
            today=dates.business_today(),
        )
        return context

    def post(self, request: HttpRequest, deposit_pk: int) -> HttpResponse:
        deposit = self._deposit()
        version = whole_number(request.POST.get("version"))
        try:
            interest = MoneyField(label=_("Interest credited (yuan)")).clean(request.POST.get("interest", ""))
            deposits.deposit_mature(
                actor=request_user(request),
                deposit=deposit,
                version=-1 if version is None else version,
                matured_on=forms.DateField().clean(request.POST.get("matured_on", "")),
                interest=interest,
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        else:
            messages.success(request, _("Maturity booked: principal and interest are back in the account."))
        return redirect("finance:deposit_detail", deposit_pk=deposit.pk)

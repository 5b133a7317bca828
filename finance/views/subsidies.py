"""What the union levels owe the office's books on the premium, and their payments against it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.rules import money_text
from finance.selectors.subsidies import SubsidyReceivable, subsidy_receivable_list
from finance.services.subsidies import subsidy_payment_receive
from finance.views.base import show_error
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import DayInput
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView, attach_errors


class SubsidyPaymentForm(StrictNumbers, forms.Form):
    subsidy = forms.TypedChoiceField(label=gettext_lazy("Union level's subsidy"), coerce=int, choices=[])
    amount = forms.DecimalField(label=gettext_lazy("Amount (yuan)"), max_digits=14, decimal_places=2)
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DayInput())
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)

    def __init__(self, *args: Any, rows: list[SubsidyReceivable], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (row.subsidy_id, f"{row.plan_name} · {row.period_label} · {row.level} · {row.payer}") for row in rows
        ]
        self.fields["subsidy"].choices = choices  # type: ignore[attr-defined]


class SubsidyReceivableView(StaffView):
    """Each union level's receivable in the office's books (owed, taken back on cancellations,
    received, still owed) and the form that books a level's payment against it."""

    template_name = "finance/subsidy_list.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = subsidy_receivable_list(office=request_office(self.request))
        context.update(rows=rows, may_book=self.request.user.has_perm("finance.remit"))
        context.setdefault("form", SubsidyPaymentForm(rows=rows))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        rows = subsidy_receivable_list(office=request_office(request))
        form = SubsidyPaymentForm(request.POST, rows=rows)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            made = subsidy_payment_receive(
                actor=request_user(request),
                subsidy_id=data["subsidy"],
                amount=data["amount"],
                received_on=data["received_on"],
                bank_reference=data["bank_reference"],
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:subsidy_list")
        messages.success(
            request, _("%(amount)s yuan of union subsidy booked as received.") % {"amount": money_text(made.amount)}
        )
        return redirect("finance:subsidy_list")

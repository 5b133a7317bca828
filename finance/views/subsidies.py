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
from finance.services.subsidies import subsidy_payment_receive, subsidy_refund_overdraft_warning, subsidy_refund_pay
from finance.views.base import show_error
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import DayInput, MoneyField
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView, attach_errors


class SubsidyPaymentForm(StrictNumbers, forms.Form):
    subsidy = forms.TypedChoiceField(label=gettext_lazy("Union level's subsidy"), coerce=int, choices=[])
    amount = MoneyField(label=gettext_lazy("Amount (yuan)"))
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DayInput())
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)

    def __init__(self, *args: Any, rows: list[SubsidyReceivable], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (row.subsidy_id, f"{row.plan_name} · {row.period_label} · {row.level} · {row.payer}") for row in rows
        ]
        self.fields["subsidy"].choices = choices  # type: ignore[attr-defined]


class SubsidyRefundForm(SubsidyPaymentForm):
    """The office pays a level back what it paid for members cancelled since (应退)."""

    prefix = "refund"

    def __init__(self, *args: Any, rows: list[SubsidyReceivable], **kwargs: Any) -> None:
        super().__init__(*args, rows=rows, **kwargs)
        del self.fields["received_on"]
        self.fields["refunded_on"] = forms.DateField(label=gettext_lazy("Paid back on"), widget=DayInput())
        self.fields["overdraw_reason"] = forms.CharField(
            label=gettext_lazy("Reason, if the bank account does not cover the refund"),
            max_length=300,
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )


class SubsidyReceivableView(StaffView):
    """Each union level's receivable in the office's books (owed, taken back on cancellations,
    received, still owed) and the form that books a level's payment against it."""

    template_name = "finance/subsidy_list.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows = subsidy_receivable_list(office=request_office(self.request))
        context.update(rows=rows, may_book=self.request.user.has_perm("finance.remit"))
        context["any_to_refund"] = any(row.to_refund > 0 for row in rows)
        # Above the refund's button: each level owed back whose whole refund the bank account does
        # not cover (the refusal subsidy_refund_pay gives without a written reason).
        office = request_office(self.request)
        context["refund_warnings"] = [
            warning
            for row in rows
            if row.to_refund > 0
            and (warning := subsidy_refund_overdraft_warning(office=office, payer=row.payer, amount=row.to_refund))
        ]
        context.setdefault("form", SubsidyPaymentForm(rows=rows))
        context.setdefault("refund_form", SubsidyRefundForm(rows=[row for row in rows if row.to_refund > 0]))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        rows = subsidy_receivable_list(office=request_office(request))
        if request.POST.get("action") == "refund":
            return self._refund(request, rows)
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

    def _refund(self, request: HttpRequest, rows: list[SubsidyReceivable]) -> HttpResponse:
        form = SubsidyRefundForm(request.POST, rows=rows)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(refund_form=form), status=400)
        data = form.cleaned_data
        try:
            made = subsidy_refund_pay(
                actor=request_user(request),
                subsidy_id=data["subsidy"],
                amount=data["amount"],
                refunded_on=data["refunded_on"],
                bank_reference=data["bank_reference"],
                overdraw_reason=data["overdraw_reason"],
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(refund_form=form), status=400)
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:subsidy_list")
        messages.success(
            request,
            _("%(amount)s yuan of union subsidy booked as paid back.") % {"amount": money_text(made.amount)},
        )
        return redirect("finance:subsidy_list")

"""Outgoing payments: preparing one, signing it layer by layer, and booking it as paid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import PaymentBatch
from enrollment.models import Plan
from finance.models import APPROVAL_LAYERS, PaymentKind, PaymentRequest
from finance.selectors.books import book_plan_list
from finance.selectors.payments import claims_batch_unpaid_list, payment_list
from finance.services import payments
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.requests import request_office, request_user
from mutualaid.twofactor import reauth_redirect
from mutualaid.views import StaffView, attach_errors

DATE = forms.DateInput(attrs={"type": "date"})
LAYER_LABELS = {
    "office_head": gettext_lazy("Office head"),
    "finance_head": gettext_lazy("Finance head"),
    "leader": gettext_lazy("Leader in charge"),
}


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("For"), choices=PaymentKind.choices)
    plan: forms.ModelChoiceField[Plan] = forms.ModelChoiceField(
        label=gettext_lazy("Plan"), queryset=Plan.objects.none()
    )
    claims_batch: forms.ModelChoiceField[PaymentBatch] = forms.ModelChoiceField(
        label=gettext_lazy("Claims payment batch"), queryset=PaymentBatch.objects.none(), required=False
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("For a claims batch the batch's total is taken."),
    )
    payee = forms.CharField(label=gettext_lazy("Payee"), max_length=100)
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200)
    meeting = forms.CharField(label=gettext_lazy("Collective decision (meeting)"), max_length=120, required=False)
    meeting_on = forms.DateField(label=gettext_lazy("Meeting date"), widget=DATE, required=False)

    def __init__(self, *args: Any, office: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_ids = [p.pk for p in book_plan_list(office=office)]
        # Plans belong to the office that runs them, often above this one: the choice is limited
        # to the plans this office keeps books for, read without the scope (the form reads it later).
        self.fields["plan"].queryset = Plan.objects.with_scopes_disabled().filter(pk__in=plan_ids)  # type: ignore[attr-defined]
        self.fields["claims_batch"].queryset = claims_batch_unpaid_list(office=office)  # type: ignore[attr-defined]


class PaymentListView(StaffView):
    template_name = "finance/payment_list.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        context.setdefault("form", PaymentForm(office=office))
        context["payments"] = payment_list()[:200]
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PaymentForm(request.POST, office=request_office(request))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            payment = payments.payment_prepare(actor=request_user(request), **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        except PermissionDenied as error:
            show_error(request, error)
            return redirect("finance:payment_list")
        messages.success(request, _("Payment %(number)s prepared for approval.") % {"number": payment.number})
        return redirect("finance:payment_detail", payment_pk=payment.pk)


class PaymentDetailView(StaffView):
    template_name = "finance/payment_detail.html"
    permission_required = "finance.view"

    def _payment(self) -> PaymentRequest:
        try:
            return payment_list().get(pk=self.kwargs["payment_pk"])
        except PaymentRequest.DoesNotExist:
            raise Http404(_("No such payment in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        payment = self._payment()
        user = request_user(self.request)
        layer = payments.payment_next_layer(payment=payment) if payment.status == "pending" else None
        signed = {a.layer: a for a in payment.approvals.select_related("approver")}
        context.update(
            payment=payment,
            layers=[(name, LAYER_LABELS[name], signed.get(name)) for name, _perm in APPROVAL_LAYERS],
            may_sign=layer is not None
            and user.has_perm(layer[1])
            and user.org_id == payment.org_id
            and user.pk != payment.prepared_by_id
            and user.pk not in {a.approver_id for a in signed.values()},
            layer_label=LAYER_LABELS[layer[0]] if layer else "",
            may_pay=payment.status == "approved"
            and payment.kind != PaymentKind.CLAIMS_BATCH
            and user.has_perm("finance.post")
            and user.org_id == payment.org_id,
            today=dates.business_today(),
        )
        return context

    def post(self, request: HttpRequest, payment_pk: int) -> HttpResponse:
        payment = self._payment()
        action = request.POST.get("action", "")
        version = int(request.POST.get("version", "0") or 0) if request.POST.get("version", "").isdigit() else -1
        try:
            if action == "approve":
                # Signing a payment takes a password and code confirmed within REAUTH_SECONDS.
                if (reauth := reauth_redirect(request, back_to=request.path)) is not None:
                    return reauth
                payments.payment_approve(actor=request_user(request), payment=payment, version=version)
                messages.success(request, _("Approved."))
            elif action == "reject":
                payments.payment_reject(
                    actor=request_user(request),
                    payment=payment,
                    version=version,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Rejected."))
            elif action == "paid":
                payments.payment_mark_paid(
                    actor=request_user(request),
                    payment=payment,
                    paid_on=forms.DateField().clean(request.POST.get("paid_on", "")),
                    bank_reference=request.POST.get("bank_reference", ""),
                )
                messages.success(request, _("Payment booked as paid."))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect("finance:payment_detail", payment_pk=payment.pk)

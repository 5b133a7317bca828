"""Outgoing payments: preparing one, signing it layer by layer, and booking it as paid."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_stubs_ext import WithAnnotations

from claims.models import PaymentBatch
from claims.selectors import BatchFigures, batch_list
from enrollment.models import Plan
from finance.models import (
    APPROVAL_LAYERS,
    LAYER_LABELS,
    Allocation,
    FinanceSettings,
    PaymentKind,
    PaymentRequest,
    PaymentStatus,
)
from finance.paperwork import payment_approval_form_pdf
from finance.rules import OVERDRAW_REASON_MIN, money_text
from finance.selectors.books import book_plan_list
from finance.selectors.payments import (
    batch_payment_get,
    claims_batch_unpaid_list,
    payment_list,
    payment_queue_mine,
)
from finance.selectors.premiums import payment_red_receipts
from finance.services import payments
from finance.tables import PaymentFilter, PaymentTable
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.audit import audit_disclosure
from mutualaid.badinput import StrictNumbers, whole_number
from mutualaid.downloads import attachment, file_name
from mutualaid.forms import DayInput, MoneyField
from mutualaid.listing import ListPage
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.requests import request_office, request_user
from mutualaid.reveal import confirmation_needed
from mutualaid.twofactor import reauth_redirect
from mutualaid.views import StaffView, attach_errors

DATE = DayInput()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The transfer file as the audit page names it (stored in English, shown in the reader's language).
TRANSFER_FILE = gettext_noop("Bank-transfer workbook of payment batch")


class PaymentForm(StrictNumbers, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("For"), choices=PaymentKind.choices)
    plan: forms.ModelChoiceField[Plan] = forms.ModelChoiceField(
        label=gettext_lazy("Plan"),
        queryset=Plan.objects.none(),
        required=False,
        help_text=gettext_lazy("For a claims batch the plan of its claims is taken."),
    )
    claims_batch: forms.ModelChoiceField[PaymentBatch] = forms.ModelChoiceField(
        label=gettext_lazy("Claims payment batch"), queryset=PaymentBatch.objects.none(), required=False
    )
    amount = MoneyField(
        label=gettext_lazy("Amount (yuan)"),
        required=False,
        help_text=gettext_lazy("For a claims batch the batch's total is taken."),
    )
    payee = forms.CharField(label=gettext_lazy("Payee"), max_length=100, required=False)
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200, required=False)
    meeting = forms.CharField(label=gettext_lazy("Collective decision (meeting)"), max_length=120, required=False)
    meeting_on = forms.DateField(label=gettext_lazy("Meeting date"), widget=DATE, required=False)
    policy_number = forms.CharField(
        label=gettext_lazy("Policy number (for a premium refund)"), max_length=40, required=False
    )

    def __init__(self, *args: Any, office: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_ids = [p.pk for p in book_plan_list(office=office)]
        # Plans belong to the office that runs them, often above this one: the choice is limited
        # to the plans this office keeps books for, read without the scope (the form reads it later).
        plans = Plan.objects.with_scopes_disabled().filter(pk__in=plan_ids)
        cast("forms.ModelChoiceField[Plan]", self.fields["plan"]).queryset = plans
        batches = claims_batch_unpaid_list(office=office)
        cast("forms.ModelChoiceField[PaymentBatch]", self.fields["claims_batch"]).queryset = batches


class PaymentListView(ListPage):
    template_name = "finance/payment_list.html"
    permission_required = "finance.view"
    table_class = PaymentTable
    filter_class = PaymentFilter
    title = gettext_lazy("Payments from the dedicated account")
    export_name = gettext_lazy("Payments")

    def queryset(self) -> QuerySet[Any]:
        if self._queue() == "mine":  # the home page's "payments waiting for your approval"
            return payment_list().filter(pk__in=payment_queue_mine(actor=request_user(self.request)).values("pk"))
        return payment_list()

    def _queue(self) -> str:
        return "mine" if self.request.GET.get("queue") == "mine" else ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PaymentForm(office=request_office(self.request)))
        context["queue"] = self._queue()
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
            overdraw_shortfall=money_text(payment.overdraw_shortfall) if payment.overdraw_shortfall else "",
            red_receipts=payment_red_receipts(payment=payment),
            **payment_actions(user, payment),
        )
        return context

    def post(self, request: HttpRequest, payment_pk: int) -> HttpResponse:
        payment = self._payment()
        action = request.POST.get("action", "")
        version = whole_number(request.POST.get("version"))
        version = -1 if version is None else version
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
            elif action == "sent":
                payments.payment_mark_sent(actor=request_user(request), payment=payment, version=version)
                messages.success(request, _("Recorded: the transfer file went to the bank."))
            elif action == "paid":
                payments.payment_mark_paid(
                    actor=request_user(request),
                    payment=payment,
                    paid_on=forms.DateField().clean(request.POST.get("paid_on", "")),
                    bank_reference=request.POST.get("bank_reference", ""),
                    overdraw_reason=request.POST.get("overdraw_reason", ""),
                )
                if payment.kind == PaymentKind.CLAIMS_BATCH:
                    messages.success(request, _("Batch marked paid; the members are being notified."))
                else:
                    messages.success(request, _("Payment booked as paid."))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return _back(request, payment)


def payment_actions(user: User, payment: PaymentRequest) -> dict[str, Any]:
    """What the user may do next with a payment after its approval (the payment page and a claims
    batch's page offer the same)."""
    own = user.org_id == payment.org_id and user.has_perm("finance.post")
    batch = payment.kind == PaymentKind.CLAIMS_BATCH
    status = payment.status
    may_send = own and batch and status == PaymentStatus.APPROVED
    may_pay = own and status == (PaymentStatus.SENT if batch else PaymentStatus.APPROVED)
    # Warned before the transfer file goes and asked for a reason when booking it paid.
    return {
        "may_download": own and batch and status in (PaymentStatus.APPROVED, PaymentStatus.SENT, PaymentStatus.PAID),
        "may_send": may_send,
        "may_pay": may_pay,
        "overdraft_warning": payments.overdraft_warning_for(payment) if may_send or may_pay else "",
        "overdraw_least": OVERDRAW_REASON_MIN,
        "today": dates.business_today(),
    }


def _back(request: HttpRequest, payment: PaymentRequest) -> HttpResponse:
    """Back to the page the action was taken on: the payment's, or its claims batch's."""
    if request.POST.get("back") == "batch" and payment.claims_batch_id:
        return redirect("claims:batch_detail", batch_pk=payment.claims_batch_id)
    return redirect("finance:payment_detail", payment_pk=payment.pk)


class PaymentTransferView(StaffView):
    """The bank-transfer workbook of a claims batch's approved payment: every payee's full bank
    account number, so it is handed out after a fresh confirmation of the password (and code) and
    recorded in the audit trail (mutualaid/reveal.py). Downloading it changes nothing: that it
    went to the bank is recorded by a button (a POST) on the same page."""

    permission_required = "finance.post"

    def get(self, request: HttpRequest, payment_pk: int) -> HttpResponse:
        user = request_user(request)
        try:
            payment = payment_list().get(pk=payment_pk)
            if payment_actions(user, payment)["may_download"]:
                back_to = reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})
                if (confirm := confirmation_needed(request, back_to=back_to)) is not None:
                    return confirm
            data = payments.payment_transfer_file(actor=user, payment=payment)
        except (PaymentRequest.DoesNotExist, PermissionDenied):
            raise Http404(_("No such payment in your office's tree.")) from None
        except ValidationError as error:
            show_error(request, error)
            return redirect("finance:payment_detail", payment_pk=payment_pk)
        batch = payment.claims_batch
        audit_disclosure(
            actor=user,
            record=payment,
            document=TRANSFER_FILE,
            label=batch.number if batch else payment.number,
            people=batch.claims.count() if batch else 0,
            numbers=["account"],
        )
        name = file_name(_("Payment batch"), batch.number if batch else payment.number, suffix="xlsx")
        return attachment(data, content_type=XLSX, name=name)


class BatchPaymentView(StaffView):
    """From a claims batch's page: its payment prepared for approval with the batch's total,
    payee and purpose (nothing typed but the collective decision, where the amount needs one)."""

    permission_required = "finance.prepare"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, batch_pk: int) -> HttpResponse:
        try:
            batch = batch_list().get(pk=batch_pk)
        except PaymentBatch.DoesNotExist:
            raise Http404(_("No such payment batch in your office's tree.")) from None
        meeting_on = forms.DateField(required=False, widget=DATE)
        try:
            payment = payments.payment_prepare(
                actor=request_user(request),
                plan=None,
                kind=PaymentKind.CLAIMS_BATCH,
                amount=None,
                payee="",
                purpose="",
                claims_batch=batch,
                meeting=request.POST.get("meeting", ""),
                meeting_on=meeting_on.clean(request.POST.get("meeting_on", "")),
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        else:
            messages.success(request, _("Payment %(number)s prepared for approval.") % {"number": payment.number})
        return redirect("claims:batch_detail", batch_pk=batch_pk)


def batch_payment_panel(
    request: HttpRequest, batch: WithAnnotations[PaymentBatch, BatchFigures]
) -> tuple[str, dict[str, Any]] | None:
    """The payment part of a claims batch's page (registered for claims' page "claims.batch")."""
    user = request_user(request)
    if not (user.has_perm("finance.view") or user.has_perm("claims.pay")):
        return None
    payment = batch_payment_get(batch=batch)
    context: dict[str, Any] = {"batch": batch, "payment": payment}
    if payment is not None:
        done = {a.layer for a in payment.approvals.all()}
        context["layers"] = [(LAYER_LABELS[name], name in done) for name, _perm in APPROVAL_LAYERS]
        context.update(payment_actions(user, payment))
    live = payment is not None and payment.status != PaymentStatus.REJECTED
    context["may_prepare"] = (
        not live and batch.awaiting > 0 and user.has_perm("finance.prepare") and user.org_id == batch.org_id
    )
    context["decision_from"] = office_settings(FinanceSettings, batch.org).collective_decision_from
    # The funds asked of the office that pools a plan for this batch (finance/services/allocations.py).
    context["allocations"] = list(Allocation.objects.filter(claims_batch=batch).order_by("pk"))
    return "finance/partials/batch_payment.html", context


class PaymentApprovalFormView(StaffView):
    """付款审批单 of a payment of the caller's tree, whatever its state (printed to be signed
    before approval, filed after it)."""

    permission_required = "finance.view"

    def get(self, request: HttpRequest, payment_pk: int) -> HttpResponse:
        try:
            payment = payment_list().get(pk=payment_pk)
        except PaymentRequest.DoesNotExist:
            raise Http404(_("No such payment in your office's tree.")) from None
        name = file_name(_("Payment approval form"), payment.number, suffix="pdf")
        return attachment(payment_approval_form_pdf(payment=payment), content_type="application/pdf", name=name)

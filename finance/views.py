"""Thin HTML views of finance over its services and selectors."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Plan, Policy
from finance import selectors, services
from finance.models import (
    APPROVAL_LAYERS,
    FinanceSettings,
    JournalEntry,
    PaymentKind,
    PaymentRequest,
    Remittance,
    RemittanceStatus,
)
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.officesettings import office_settings
from mutualaid.twofactor import reauth_redirect
from mutualaid.views import StaffView

DATE = forms.DateInput(attrs={"type": "date"})
LAYER_LABELS = {
    "office_head": gettext_lazy("Office head"),
    "finance_head": gettext_lazy("Finance head"),
    "leader": gettext_lazy("Leader in charge"),
}


def _errors(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("Your roles do not allow this."))
    else:
        messages.error(request, " ".join(error.messages))


class BooksView(StaffView):
    """An office's books for a plan and a month: balances by account and the month's entries."""

    template_name = "finance/books.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        params = self.request.GET
        offices = list(selectors.book_offices(root=user.org))
        chosen = params.get("office", "")
        office = next((o for o in offices if str(o.pk) == chosen), None) or (
            user.org if user.org in offices else (offices[0] if offices else None)
        )
        if office is None:
            raise Http404(_("Your office keeps no books."))
        plans = selectors.book_plans(office=office)
        plan = next((p for p in plans if str(p.pk) == params.get("plan", "")), None)
        month = dates.parse_month(params.get("month", "")) or dates.month_start(dates.business_today())
        debits, credits = selectors.trial_balance(office=office)
        context.update(
            offices=offices,
            office=office,
            plans=plans,
            plan=plan,
            month=month,
            rows=selectors.account_rows(office=office, plan=plan, month=month),
            entries=selectors.month_entries(office=office, plan=plan, month=month),
            debits=debits,
            credits=credits,
        )
        return context


class EntryView(StaffView):
    template_name = "finance/entry.html"
    permission_required = "finance.view"

    def _entry(self) -> JournalEntry:
        try:
            return JournalEntry.objects.select_related("org", "plan", "created_by", "reverses").get(
                pk=self.kwargs["entry_pk"]
            )
        except JournalEntry.DoesNotExist:
            raise Http404(_("No such entry in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        entry = self._entry()
        context.update(
            entry=entry,
            lines=list(entry.lines.all()),
            reversed_by=JournalEntry.objects.filter(reverses=entry).first(),
        )
        return context

    def post(self, request: HttpRequest, entry_pk: int) -> HttpResponse:
        entry = self._entry()
        try:
            reversal = services.reverse(actor=request.user, entry=entry, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
            return redirect("finance:entry", entry_pk=entry.pk)
        messages.success(request, _("Reversed by entry %(number)s.") % {"number": reversal.number})
        return redirect("finance:entry", entry_pk=reversal.pk)


class PremiumsView(StaffView):
    """The premiums this office collects from its units, and their arrival in the bank."""

    template_name = "finance/premiums.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(policies=selectors.receivables(office=self.request.user.org), today=dates.business_today())
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            policy = Policy.objects.get(pk=int(request.POST.get("policy", "0") or 0))
        except (Policy.DoesNotExist, ValueError):
            raise Http404(_("No such policy in your office's tree.")) from None
        try:
            received_on = forms.DateField().clean(request.POST.get("received_on", ""))
            services.premium_receive(
                actor=request.user,  # type: ignore[arg-type]
                policy=policy,
                received_on=received_on,
                bank_reference=request.POST.get("bank_reference", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        else:
            messages.success(request, _("Premium of policy %(number)s booked as received.") % {"number": policy.number})
        return redirect("finance:premiums")


class RemittanceListView(StaffView):
    template_name = "finance/remittance_list.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = self.request.user.org
        context.update(
            own=selectors.remittances_of(office=office),
            incoming=selectors.remittances_to(office=office)[:200],
            warnings=services.remittance_warnings(office=office),
            last_month=dates.last_month(),
            may_remit=self.request.user.has_perm("finance.remit") and office.parent_id is not None,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        month = dates.parse_month(request.POST.get("month", ""))
        try:
            if month is None:
                raise ValidationError(_("Choose the month of the report."))
            if not request.user.has_perm("finance.remit"):
                raise PermissionDenied(_("Your roles do not allow this."))
            report = services.remittance_draft(actor=request.user, office=request.user.org, month=month)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
            return redirect("finance:remittance_list")
        return redirect("finance:remittance_detail", remittance_pk=report.pk)


class RemittanceDetailView(StaffView):
    template_name = "finance/remittance_detail.html"
    permission_required = "finance.view"

    def _report(self) -> Remittance:
        try:
            return Remittance.objects.select_related("org", "to_office", "confirmed_by", "received_by").get(
                pk=self.kwargs["remittance_pk"]
            )
        except Remittance.DoesNotExist:
            raise Http404(_("No such remittance in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self._report()
        user = self.request.user
        context.update(
            report=report,
            below=report.consolidates.select_related("org").order_by("org__path"),
            today=dates.business_today(),
            may_confirm=report.status == RemittanceStatus.DRAFT
            and report.org_id == user.org_id
            and user.has_perm("finance.remit"),
            may_receive=report.status == RemittanceStatus.REMITTED
            and report.to_office_id == user.org_id
            and user.has_perm("finance.post"),
        )
        return context

    def post(self, request: HttpRequest, remittance_pk: int) -> HttpResponse:
        report = self._report()
        try:
            if request.POST.get("action") == "receive":
                services.remittance_receive(actor=request.user, remittance=report)  # type: ignore[arg-type]
                messages.success(request, _("Remittance received and booked."))
            else:
                try:
                    amount = Decimal(request.POST.get("amount", "").replace(",", "").strip())
                except InvalidOperation:
                    raise ValidationError({"amount": _("Enter the amount transferred, in yuan.")}) from None
                services.remittance_confirm(
                    actor=request.user,  # type: ignore[arg-type]
                    remittance=report,
                    amount=amount,
                    bank_reference=request.POST.get("bank_reference", ""),
                    remitted_on=forms.DateField().clean(request.POST.get("remitted_on", "")),
                )
                messages.success(request, _("Remittance confirmed and booked."))
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        return redirect("finance:remittance_detail", remittance_pk=report.pk)


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("For"), choices=PaymentKind.choices)
    plan = forms.ModelChoiceField(label=gettext_lazy("Plan"), queryset=Plan.objects.none())
    claims_batch = forms.ModelChoiceField(
        label=gettext_lazy("Claims payment batch"), queryset=PaymentRequest.objects.none(), required=False
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
        from mutualaid.tenancy import unscoped

        with unscoped():
            plan_ids = [p.pk for p in selectors.book_plans(office=office)]
        # Plans belong to the office that runs them, often above this one: the choice is limited
        # to the plans this office keeps books for, read without the scope.
        self.fields["plan"].queryset = Plan._base_manager.filter(pk__in=plan_ids)
        self.fields["claims_batch"].queryset = selectors.unpaid_batches(office=office)


class PaymentListView(StaffView):
    template_name = "finance/payment_list.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = self.request.user.org
        context.setdefault("form", PaymentForm(office=office))
        context["payments"] = selectors.payment_list()[:200]
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PaymentForm(request.POST, office=request.user.org)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            payment = services.payment_prepare(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            from mutualaid.views import attach_errors

            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form))
        except PermissionDenied as error:
            _errors(request, error)
            return redirect("finance:payment_list")
        messages.success(request, _("Payment %(number)s prepared for approval.") % {"number": payment.number})
        return redirect("finance:payment_detail", payment_pk=payment.pk)


class PaymentDetailView(StaffView):
    template_name = "finance/payment_detail.html"
    permission_required = "finance.view"

    def _payment(self) -> PaymentRequest:
        try:
            return selectors.payment_list().get(pk=self.kwargs["payment_pk"])
        except PaymentRequest.DoesNotExist:
            raise Http404(_("No such payment in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        payment = self._payment()
        user = self.request.user
        layer = services.next_layer(payment) if payment.status == "pending" else None
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
                services.payment_approve(actor=request.user, payment=payment, version=version)  # type: ignore[arg-type]
                messages.success(request, _("Approved."))
            elif action == "reject":
                services.payment_reject(
                    actor=request.user,  # type: ignore[arg-type]
                    payment=payment,
                    version=version,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Rejected."))
            elif action == "paid":
                services.payment_mark_paid(
                    actor=request.user,  # type: ignore[arg-type]
                    payment=payment,
                    paid_on=forms.DateField().clean(request.POST.get("paid_on", "")),
                    bank_reference=request.POST.get("bank_reference", ""),
                )
                messages.success(request, _("Payment booked as paid."))
        except (ValidationError, PermissionDenied) as error:
            _errors(request, error)
        return redirect("finance:payment_detail", payment_pk=payment.pk)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = FinanceSettings
        fields = ["reserve_ratio", "fee_cap_ratio", "collective_decision_from"]
        help_texts = {
            "reserve_ratio": gettext_lazy("For example 0.1 sets aside 10 percent of each premium received."),
            "fee_cap_ratio": gettext_lazy("For example 0.05: fees of a plan may not pass 5 percent of its premium."),
        }


class SettingsView(StaffView):
    template_name = "finance/settings.html"
    permission_required = "finance.configure"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        current = office_settings(FinanceSettings, self.request.user.org)
        context.setdefault("form", SettingsForm(instance=current))
        context["last_month"] = dates.last_month()
        from finance.models import ClosedMonth

        context["closed"] = ClosedMonth.objects.filter(org=self.request.user.org).order_by("-month")[:24]
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "close":
            try:
                month = dates.parse_month(request.POST.get("month", ""))
                if month is None:
                    raise ValidationError(_("Choose the month to close."))
                services.month_close(actor=request.user, month=month)  # type: ignore[arg-type]
                messages.success(request, _("The month is closed."))
            except (ValidationError, PermissionDenied) as error:
                _errors(request, error)
            return redirect("finance:settings")
        current = office_settings(FinanceSettings, request.user.org)
        form = SettingsForm(request.POST, instance=current)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        saved = form.save(commit=False)
        saved.org = request.user.org
        saved.save()
        messages.success(request, _("Settings saved."))
        return redirect("finance:settings")

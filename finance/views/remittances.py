"""Premium remittances: an office's own reports and those sent to it, drafting, confirming the
transfer and receiving it, the report's PDF, and the settlements of premium remitted for members
a correction later ended (asked for below, paid above)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.fundpaper import remittance_pdf
from finance.models import Remittance, RemittanceSettlement, RemittanceStatus
from finance.rules import OVERDRAW_REASON_MIN, own_remittance_due_date
from finance.selectors.remittances import (
    levels_money_since_list,
    remittance_incoming_list,
    remittance_list,
    remittance_premium_due,
    remittance_rows,
    remittance_warning_list,
    settlement_list,
)
from finance.services.remittances import (
    remittance_confirm,
    remittance_draft,
    remittance_overdraft_warning,
    remittance_receive,
)
from finance.services.settlements import settlement_overdraft_warning, settlement_pay, settlement_request
from finance.tables import RemittanceFilter, RemittanceTable
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import amount as parse_amount
from mutualaid.downloads import attachment, file_name
from mutualaid.listing import ListPage
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView


class RemittanceListView(ListPage):
    """The office's own reports to the office above, and the reports of the offices below sent to
    it: the list to sort, filter and download."""

    template_name = "finance/remittance_list.html"
    permission_required = "finance.view"
    table_class = RemittanceTable
    filter_class = RemittanceFilter
    title = gettext_lazy("Premium remittances")
    export_name = gettext_lazy("Premium remittances from below")

    def queryset(self) -> QuerySet[Any]:
        return remittance_incoming_list(office=request_office(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        own = remittance_list(office=office).select_related("to_office")
        month = dates.last_month()
        may_remit = self.request.user.has_perm("finance.remit") and office.parent_id is not None
        # Last month's report not drafted while the month has premium to remit: what the home
        # page's "report to draft" counts, named with its amount above the button that drafts it.
        premium = (
            remittance_premium_due(office=office, month=month)
            if may_remit and not any(r.month == month for r in own)
            else None
        )
        user = request_user(self.request)
        settlements = list(settlement_list(office=office))
        may_pay = user.has_perm("finance.post")
        # Beside each settlement the office pays: whether its bank account covers it (the refusal
        # settlement_pay would give without a written reason).
        for settlement in settlements:
            warning = (
                settlement_overdraft_warning(settlement)
                if may_pay and settlement.status == "requested" and settlement.to_office_id == user.org_id
                else ""
            )
            setattr(settlement, "overdraft_warning", warning)  # noqa: B010 (read by the template)
        context.update(
            settlements=settlements,
            may_ask=user.has_perm("finance.remit"),
            may_pay=may_pay,
            overdraw_least=OVERDRAW_REASON_MIN,
            today=dates.business_today(),
            own=own,
            reports_up=office.parent_id is not None,  # the province remits to nobody: no table of its own
            warnings=remittance_warning_list(office=office),
            last_month=month,
            may_remit=may_remit,
            to_draft=premium if premium else None,
            to_draft_due_on=own_remittance_due_date(month, office=office) if premium else None,
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        month = dates.parse_month(request.POST.get("month", ""))
        try:
            if month is None:
                raise ValidationError(_("Choose the month of the report."))
            if not request.user.has_perm("finance.remit"):
                raise PermissionDenied(_("Your roles do not allow this."))
            report = remittance_draft(actor=request_user(request), office=request_office(request), month=month)
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
            return redirect("finance:remittance_list")
        return redirect("finance:remittance_detail", remittance_pk=report.pk)


def _report(pk: int) -> Remittance:
    try:
        return Remittance.objects.select_related("org", "to_office", "confirmed_by", "received_by").get(pk=pk)
    except Remittance.DoesNotExist:
        raise Http404(_("No such remittance in your office's tree.")) from None


class RemittanceDetailView(StaffView):
    template_name = "finance/remittance_detail.html"
    permission_required = "finance.view"

    def _report(self) -> Remittance:
        return _report(self.kwargs["remittance_pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self._report()
        user = request_user(self.request)
        may_confirm = (
            report.status == RemittanceStatus.DRAFT and report.org_id == user.org_id and user.has_perm("finance.remit")
        )
        since = levels_money_since_list(report=report)
        context.update(
            report=report,
            levels_since=since,
            levels_since_total=sum((m.amount for m in since), Decimal("0.00")),
            # Before the person confirms: whether the office's bank account covers the transfer
            # (the refusal remittance_confirm gives without a written reason, word for word).
            overdraft_warning=remittance_overdraft_warning(report) if may_confirm else "",
            overdraw_least=OVERDRAW_REASON_MIN,
            overdraw_by=report.overdraw_by if report.overdraw_reason else None,
            rows=remittance_rows(report=report),
            netted=report.settlements.select_related("endorsement", "plan").order_by("month", "pk"),
            later=RemittanceSettlement.objects.filter(carried_in=report)
            .select_related("endorsement", "plan", "netted_in")
            .order_by("pk"),
            below=report.consolidates.select_related("org").order_by("org__path"),
            today=dates.business_today(),
            may_confirm=may_confirm,
            may_receive=report.status == RemittanceStatus.REMITTED
            and report.to_office_id == user.org_id
            and user.has_perm("finance.post"),
        )
        return context

    def post(self, request: HttpRequest, remittance_pk: int) -> HttpResponse:
        report = self._report()
        try:
            if request.POST.get("action") == "receive":
                remittance_receive(actor=request_user(request), remittance=report)
                messages.success(request, _("Remittance received and booked."))
            else:
                amount = parse_amount(request.POST.get("amount", "").replace(",", ""))
                if amount is None:
                    raise ValidationError({"amount": _("Enter the amount transferred, in yuan.")})
                remittance_confirm(
                    actor=request_user(request),
                    remittance=report,
                    amount=amount,
                    bank_reference=request.POST.get("bank_reference", ""),
                    remitted_on=forms.DateField(
                        error_messages={"required": _("Enter the transfer date."), "invalid": _("Enter a valid date.")}
                    ).clean(request.POST.get("remitted_on", "")),
                    overdraw_reason=request.POST.get("overdraw_reason", ""),
                )
                messages.success(request, _("Remittance confirmed and booked."))
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect("finance:remittance_detail", remittance_pk=report.pk)


class RemittancePdfView(StaffView):
    """上解保费报告书 as filed with the transfer."""

    permission_required = "finance.view"

    def get(self, request: HttpRequest, remittance_pk: int) -> HttpResponse:
        report = _report(remittance_pk)
        name = file_name(_("Premium remittance report"), f"{report.org.name}-{report.month:%Y-%m}", suffix="pdf")
        return attachment(
            remittance_pdf(report=report, printed_by=request_user(request)), content_type="application/pdf", name=name
        )


class SettlementView(StaffView):
    """A settlement of premium remitted for members a correction ended: the office below asks for
    it, the office above pays it (its bank reference and date)."""

    permission_required = "finance.view"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, settlement_pk: int) -> HttpResponse:
        try:
            settlement = RemittanceSettlement.objects.get(pk=settlement_pk)
        except RemittanceSettlement.DoesNotExist:
            raise Http404(_("No such settlement in your office's tree.")) from None
        user = request_user(request)
        try:
            if request.POST.get("action") == "pay":
                paid_on = forms.DateField(
                    error_messages={"required": _("Enter the transfer date."), "invalid": _("Enter a valid date.")}
                ).clean(request.POST.get("paid_on", ""))
                settlement_pay(
                    actor=user,
                    settlement=settlement,
                    bank_reference=request.POST.get("bank_reference", ""),
                    paid_on=paid_on,
                    overdraw_reason=request.POST.get("overdraw_reason", ""),
                )
                messages.success(request, _("Settlement paid and booked in both offices' books."))
            else:
                settlement_request(actor=user, settlement=settlement)
                messages.success(request, _("Settlement asked of %(office)s.") % {"office": settlement.to_office.name})
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        return redirect(reverse("finance:remittance_list") + "#settlements")

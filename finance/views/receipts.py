"""Receipts (收据) given to units for their premium, their PDFs and refunds with a red receipt."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.fundpaper import receipt_pdf
from finance.models import PremiumReceipt
from finance.selectors.premiums import receipt_list
from finance.services.receipts import receipt_refund
from finance.tables import ReceiptFilter, ReceiptTable
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import amount as parse_amount
from mutualaid.downloads import attachment, file_name
from mutualaid.listing import ListPage
from mutualaid.requests import request_user
from mutualaid.views import StaffView


def _receipt(pk: int) -> PremiumReceipt:
    try:
        return receipt_list().get(pk=pk)
    except PremiumReceipt.DoesNotExist:
        raise Http404(_("No such receipt in your office's tree.")) from None


class ReceiptListView(ListPage):
    """Every receipt and red receipt given in the caller's tree, newest first."""

    permission_required = "finance.view"
    table_class = ReceiptTable
    filter_class = ReceiptFilter
    title = gettext_lazy("Premium receipts")
    export_name = gettext_lazy("Premium receipts")

    def queryset(self) -> QuerySet[Any]:
        return receipt_list()


class ReceiptDetailView(StaffView):
    """One receipt: what it says, its refunds, and the form to pay money back."""

    template_name = "finance/receipt_detail.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        receipt = _receipt(self.kwargs["receipt_pk"])
        user = request_user(self.request)
        context.update(
            receipt=receipt,
            refunds=list(receipt.refunds.order_by("sequence")),
            may_refund=user.has_perm("finance.remit") and user.org_id == receipt.org_id and not receipt.original_id,
            today=dates.business_today(),
        )
        return context

    def post(self, request: HttpRequest, receipt_pk: int) -> HttpResponse:
        receipt = _receipt(receipt_pk)
        try:
            value = parse_amount(request.POST.get("amount"))
            if value is None:
                raise ValidationError({"amount": _("Enter the amount paid back in yuan, for example 120.50.")})
            refund = receipt_refund(
                actor=request_user(request),
                receipt=receipt,
                amount=value,
                refunded_on=forms.DateField().clean(request.POST.get("refunded_on", "")),
                bank_reference=request.POST.get("bank_reference", ""),
                reason=request.POST.get("reason", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
            return redirect("finance:receipt_detail", receipt_pk=receipt.pk)
        messages.success(request, _("Refund booked with red receipt %(number)s.") % {"number": refund.number})
        return redirect("finance:receipt_detail", receipt_pk=refund.pk)


class ReceiptPdfView(StaffView):
    """The receipt's PDF, as handed to the unit."""

    permission_required = "finance.view"

    def get(self, request: HttpRequest, receipt_pk: int) -> HttpResponse:
        receipt = _receipt(receipt_pk)
        name = file_name(_("Receipt"), receipt.number, suffix="pdf")
        return attachment(receipt_pdf(receipt=receipt), content_type="application/pdf", name=name)

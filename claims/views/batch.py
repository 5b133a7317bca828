"""Payment batches: the office's batches and the approved claims it may put in one, a batch's
page where the bank's confirmation is recorded, and its bank-transfer workbook."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from claims import selectors
from claims.forms import MarkPaidForm
from claims.models import PaymentBatch
from claims.services.payment import batch_create, batch_export, batch_mark_paid
from claims.views._shared import show_errors
from mutualaid import dates
from mutualaid.views import StaffView

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BatchListView(StaffView):
    template_name = "claims/batch_list.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["batches"] = Paginator(selectors.batch_list(), 50).get_page(self.request.GET.get("page"))
        context["payable"] = (
            list(selectors.claim_list_payable(office=user.org)[:500]) if user.has_perm("claims.pay") else []
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        ids = [int(v) for v in request.POST.getlist("claim") if v.isdigit()]
        try:
            batch = batch_create(actor=request.user, claim_ids=ids)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
            return redirect("claims:batch_list")
        messages.success(request, _("Batch %(number)s prepared.") % {"number": batch.number})
        return redirect("claims:batch_detail", batch_pk=batch.pk)


def _batch(pk: int) -> PaymentBatch:
    try:
        return selectors.batch_list().get(pk=pk)
    except PaymentBatch.DoesNotExist:
        raise Http404(_("No such payment batch in your office's tree.")) from None


class BatchDetailView(StaffView):
    template_name = "claims/batch_detail.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        batch = _batch(self.kwargs["batch_pk"])
        context.update(
            batch=batch,
            claims=batch.claims.select_related("org").order_by("number"),
            today=dates.business_today(),
            may_pay=self.request.user.has_perm("claims.pay") and batch.org_id == self.request.user.org_id,
        )
        return context

    def post(self, request: HttpRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(batch_pk)
        form = MarkPaidForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("Enter the payment date and the bank's reference of the transfer."))
            batch_mark_paid(actor=request.user, batch=batch, **form.cleaned_data)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
        else:
            messages.success(request, _("Batch marked paid; the members are being notified."))
        return redirect("claims:batch_detail", batch_pk=batch_pk)


class BatchTransferView(StaffView):
    """The bank-transfer workbook; downloading it marks the batch as sent to the bank."""

    permission_required = "claims.pay"

    def get(self, request: HttpRequest, batch_pk: int) -> HttpResponse:
        batch = _batch(batch_pk)
        try:
            data = batch_export(actor=request.user, batch=batch)  # type: ignore[arg-type]
        except PermissionDenied:
            raise Http404(_("No such payment batch in your office's tree.")) from None
        response = HttpResponse(data, content_type=XLSX)
        filename = _("Payment batch") + f"-{batch.number}.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response

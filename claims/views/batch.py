"""Payment batches: the office's batches and the approved claims it may put in one, and a batch's
page (with its payment, which finance adds)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import WithAnnotations

from claims import selectors
from claims.listing import BatchFilter, BatchTable
from claims.models import PaymentBatch
from claims.selectors import BatchFigures
from claims.services.payment import batch_create
from claims.views._shared import show_errors
from mutualaid.badinput import whole_numbers
from mutualaid.listing import ListPage
from mutualaid.panels import render_panels
from mutualaid.requests import request_office
from mutualaid.views import StaffView


class BatchListView(ListPage):
    """The payment batches in scope, and for whoever pays, the approved claims to put in one."""

    template_name = "claims/batch_list.html"
    permission_required = "claims.view"
    table_class = BatchTable
    filter_class = BatchFilter
    title = gettext_lazy("Payment batches")
    export_name = gettext_lazy("Payment batches")

    def queryset(self) -> QuerySet[Any]:
        return selectors.batch_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["payable"] = (
            list(selectors.claim_list_payable(office=request_office(self.request))[:500])
            if self.request.user.has_perm("claims.pay")
            else []
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        ids = whole_numbers(request.POST.getlist("claim"))
        try:
            batch = batch_create(actor=self.request.user, claim_ids=ids)
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
            return redirect("claims:batch_list")
        messages.success(request, _("Batch %(number)s prepared.") % {"number": batch.number})
        return redirect("claims:batch_detail", batch_pk=batch.pk)


def _batch(pk: int) -> WithAnnotations[PaymentBatch, BatchFigures]:
    """With the figures of `batch_list`, which finance's panel on the batch's page reads."""
    try:
        return selectors.batch_list().get(pk=pk)
    except PaymentBatch.DoesNotExist:
        raise Http404(_("No such payment batch in your office's tree.")) from None


class BatchDetailView(StaffView):
    """A batch and its claims; its payment (approval, transfer file, the bank's payment) is
    finance's, shown in the panel finance registers for this page."""

    template_name = "claims/batch_detail.html"
    permission_required = "claims.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        batch = _batch(self.kwargs["batch_pk"])
        claims = list(batch.claims.select_related("org", "review_office").order_by("number"))
        context.update(
            batch=batch,
            claims=claims,
            # The offices whose claims the batch pays for them (reviewed there, their cost in their books).
            on_behalf=sorted({c.review_office.name for c in claims if c.paid_on_behalf}),
            panels=render_panels("claims.batch", self.request, batch),
        )
        return context

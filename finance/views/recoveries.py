"""Recoveries of overpaid claims (追回): the list, one recovery with its repayments and the form
that books one, and the panel on the claim's page."""

from __future__ import annotations

import uuid
from typing import Any

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.models import Claim
from finance.models import Recovery
from finance.selectors.recoveries import claim_recoveries, recovery_get, recovery_list, recovery_repayments
from finance.services.recoveries import recovery_repay
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import DayInput, MoneyField
from mutualaid.listing import DayColumn, ListPage, ListTable, MoneyColumn
from mutualaid.requests import request_user
from mutualaid.views import StaffView

DATE = DayInput()


class RepaymentForm(StrictNumbers, forms.Form):
    amount = MoneyField(label=gettext_lazy("Amount repaid (yuan)"), min_value=0)
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=DATE)
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=120)


class RecoveryTable(ListTable):
    number = tables.Column(
        gettext_lazy("Recovery"), linkify=("finance:recovery_detail", {"recovery_pk": tables.A("pk")})
    )
    claim = tables.Column(gettext_lazy("Claim"), accessor="claim__number")
    member = tables.Column(gettext_lazy("Member"), accessor="claim__name")
    office = tables.Column(gettext_lazy("Office"), accessor="org__name")
    plan = tables.Column(gettext_lazy("Plan"), accessor="plan__name")
    created_at = DayColumn(gettext_lazy("Booked"))
    amount = MoneyColumn(gettext_lazy("To recover (yuan)"))
    repaid = MoneyColumn(gettext_lazy("Repaid (yuan)"))


class RecoveryListView(ListPage):
    permission_required = "finance.view"
    table_class = RecoveryTable
    title = gettext_lazy("Recoveries of overpaid claims")
    export_name = gettext_lazy("Recoveries of overpaid claims")

    def queryset(self) -> QuerySet[Any]:
        return recovery_list()


def _recovery(pk: int) -> Recovery:
    try:
        return recovery_get(pk=pk)
    except Recovery.DoesNotExist:
        raise Http404(_("No such recovery in your office's tree.")) from None


class RecoveryDetailView(StaffView):
    template_name = "finance/recovery_detail.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        recovery = _recovery(self.kwargs["recovery_pk"])
        user = request_user(self.request)
        context.update(
            recovery=recovery,
            repayments=list(recovery_repayments(recovery=recovery)),
            may_repay=not recovery.settled and user.has_perm("finance.post") and user.org_id == recovery.org_id,
            form=RepaymentForm(
                initial={
                    "amount": recovery.outstanding,
                    "received_on": dates.business_today(),
                    "key": uuid.uuid4().hex,
                }
            ),
        )
        return context

    def post(self, request: HttpRequest, recovery_pk: int) -> HttpResponse:
        recovery = _recovery(recovery_pk)
        form = RepaymentForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(
                    [f"{form.fields[name].label}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()]
                )
            recovery_repay(actor=request_user(request), recovery=recovery, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        else:
            messages.success(request, _("Repayment booked."))
        return redirect("finance:recovery_detail", recovery_pk=recovery_pk)


def claim_recovery_panel(request: HttpRequest, claim: Claim) -> tuple[str, dict[str, Any]] | None:
    """The recoveries of a claim, on the claim's page (registered for claims' page "claims.claim")."""
    recoveries = claim_recoveries(claim=claim)
    if not recoveries:
        return None
    return "finance/partials/claim_recoveries.html", {"recoveries": recoveries}

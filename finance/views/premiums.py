"""The premiums an office collects from its units, and their arrival in the bank."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from enrollment.models import Endorsement, Policy
from finance.selectors.premiums import endorsement_receivable_list, receivable_list
from finance.services.premiums import endorsement_premium_receive, premium_receive
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import amount as parse_amount
from mutualaid.badinput import whole_number
from mutualaid.requests import request_office, request_user
from mutualaid.views import StaffView


def _amount(request: HttpRequest) -> Decimal | None:
    """The amount of a partial payment as typed; left empty, all that is owed."""
    text = request.POST.get("amount", "").strip()
    if not text:
        return None
    value = parse_amount(text)
    if value is None or value <= 0:
        raise ValidationError(
            {"amount": _("Enter the amount received in yuan, for example 1200.50, or leave it empty.")}
        )
    return value


class PremiumsView(StaffView):
    """The premiums this office collects from its units, and their arrival in the bank."""

    template_name = "finance/premiums.html"
    permission_required = "finance.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        context.update(
            policies=receivable_list(office=office),
            endorsements=endorsement_receivable_list(office=office),
            today=dates.business_today(),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if "endorsement" in request.POST:
            return self._endorsement_received(request)
        try:
            policy = Policy.objects.get(pk=whole_number(request.POST.get("policy")) or 0)
        except Policy.DoesNotExist:
            raise Http404(_("No such policy in your office's tree.")) from None
        try:
            received_on = forms.DateField().clean(request.POST.get("received_on", ""))
            premium_receive(
                actor=request_user(request),
                policy=policy,
                received_on=received_on,
                bank_reference=request.POST.get("bank_reference", ""),
                amount=_amount(request),
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        else:
            messages.success(request, _("Premium of policy %(number)s booked as received.") % {"number": policy.number})
        return redirect("finance:premiums")

    def _endorsement_received(self, request: HttpRequest) -> HttpResponse:
        try:
            endorsement = Endorsement.objects.select_related("policy").get(
                pk=int(request.POST.get("endorsement", "0") or 0)
            )
        except (Endorsement.DoesNotExist, ValueError):
            raise Http404(_("No such endorsement in your office's tree.")) from None
        try:
            received_on = forms.DateField().clean(request.POST.get("received_on", ""))
            endorsement_premium_receive(
                actor=request_user(request),
                endorsement=endorsement,
                received_on=received_on,
                bank_reference=request.POST.get("bank_reference", ""),
                amount=_amount(request),
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(request, error)
        else:
            messages.success(
                request, _("Premium of endorsement %(number)s booked as received.") % {"number": endorsement.number}
            )
        return redirect("finance:premiums")

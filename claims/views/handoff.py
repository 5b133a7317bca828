"""Small offices: handing the level a claim waits at to another person, the office head's
override, the warning at registration and the queue of claims nobody can take."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims import selectors
from claims.listing import NobodyFilter, NobodyTable
from claims.models import Claim
from claims.services.handoff import claim_override, claim_reassign
from claims.views.claim import ClaimDetailView, _claim
from mutualaid.badinput import whole_number
from mutualaid.listing import ListPage
from mutualaid.requests import request_office, request_user


class ClaimHandoffView(ClaimDetailView):
    """POST: hand the level the claim waits at to a person (`action=reassign`, `assignee`) or
    decide it as office head (`action=override`, `reason`). A refusal answers 400 or 403 with the
    claim page and the reason, and changes nothing."""

    permission_required = "claims.assign"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, claim_pk: int) -> HttpResponse:
        claim = _claim(claim_pk)
        version, action = whole_number(request.POST.get("version")), request.POST.get("action", "")
        try:
            if version is None:
                raise ValidationError(_("Reload the page and try again."))
            if action == "reassign":
                assignee = whole_number(request.POST.get("assignee"))
                if assignee is None:
                    raise ValidationError(_("Choose the person who decides this level."))
                claim = claim_reassign(actor=request_user(request), claim=claim, version=version, assignee_id=assignee)
                messages.success(request, _("The level was handed to %(name)s.") % {"name": claim.assignee})
            elif action == "override":
                claim = claim_override(
                    actor=request_user(request),
                    claim=claim,
                    version=version,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("You decide this level now: review the claim below."))
            else:
                raise ValidationError(_("Unknown action: hand on or override."))
        except (ValidationError, PermissionDenied) as error:
            status = 403 if isinstance(error, PermissionDenied) else 400
            problem = (
                str(error) or _("Your roles do not allow this.")
                if isinstance(error, PermissionDenied)
                else " ".join(error.messages)
            )
            messages.error(request, problem)
            return self.render_to_response(self.get_context_data(), status=status)
        return redirect("claims:claim_detail", claim_pk=claim_pk)


class NobodyCanTakeView(ListPage):
    """无人可审的理赔: the office's claims waiting at a level nobody who holds its role may decide."""

    template_name = "claims/nobody.html"
    permission_required = "claims.assign"
    table_class = NobodyTable
    filter_class = NobodyFilter
    title = gettext_lazy("Claims nobody can review")
    export_name = gettext_lazy("Claims nobody can review")

    def queryset(self) -> QuerySet[Claim]:
        return selectors.claim_rows_nobody_can_take(office=request_office(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "office": request_office(self.request)}

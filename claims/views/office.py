"""The office's clock (what runs, what is past its target and its hard limit) and its claims
settings (targets, flag thresholds, its own closed and open days)."""

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
from claims.forms import OfficeDayForm, SettingsForm
from claims.listing import DeadlineFilter, DeadlineTable
from claims.models import Claim, ClaimSettings
from claims.services.office import claim_settings_save, office_day_remove, office_day_set
from claims.views._shared import show_errors
from mutualaid import dates
from mutualaid.listing import ListPage
from mutualaid.officesettings import office_settings
from mutualaid.requests import request_office
from mutualaid.views import StaffView


class DeadlinesView(ListPage):
    """The office's clock: its figures, the reviewing offices of the tree, and the claims on the
    clock to sort and filter (past the target, past the hard limit, due within a few days: the
    home page's to-do opens it filtered to those)."""

    template_name = "claims/deadlines.html"
    permission_required = "claims.view"
    table_class = DeadlineTable
    filter_class = DeadlineFilter
    title = gettext_lazy("Claims deadlines")
    export_name = gettext_lazy("Claims deadlines")

    def queryset(self) -> QuerySet[Claim]:
        return selectors.claim_list_running()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        context.update(
            summary=selectors.deadline_summary(office=office),
            settings=office_settings(ClaimSettings, office),
            offices=selectors.deadline_list_by_office(),
            today=dates.business_today(),
            calendar_known=selectors.office_calendar(office=office).knows_year(dates.business_today().year),
        )
        return context


class SettingsView(StaffView):
    """The office's targets, flag thresholds and its own closed and open days."""

    template_name = "claims/settings.html"
    permission_required = "claims.configure"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        current = office_settings(ClaimSettings, office)
        fields = ("target_days", "limit_days", "early_claim_days", "claims_per_member", "large_amount")
        context.setdefault("form", SettingsForm(initial={name: getattr(current, name) for name in fields}))
        context.setdefault("day_form", OfficeDayForm())
        context["days"] = selectors.office_day_list(office=office)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "")
        try:
            if action == "settings":
                form = SettingsForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                claim_settings_save(actor=self.request.user, **form.cleaned_data)
                messages.success(request, _("Settings saved; the due dates of running claims follow them."))
            elif action == "add_day":
                day_form = OfficeDayForm(request.POST)
                if not day_form.is_valid():
                    return self.render_to_response(self.get_context_data(day_form=day_form))
                office_day_set(actor=self.request.user, **day_form.cleaned_data)
                messages.success(request, _("Day saved."))
            elif action == "remove_day":
                day = OfficeDayForm(request.POST).fields["day"].clean(request.POST.get("day", ""))
                office_day_remove(actor=self.request.user, day=day)
                messages.success(request, _("Day removed."))
        except (ValidationError, PermissionDenied) as error:
            show_errors(request, error)
        return redirect("claims:settings")

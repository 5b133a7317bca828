"""The office's renewal notices (续保通知): how many days ahead they go, the units whose period
ends soon with their contact and what was sent, and sending today's now rather than at 08:00."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Policy, RenewalSettings, UnitContact
from enrollment.notices import renewal_settings_save, unit_contact_save
from enrollment.tasks import renewal_notices_office
from mutualaid import dates
from mutualaid.badinput import StrictNumbers, whole_number
from mutualaid.models import Notice, Organisation, OrgKind
from mutualaid.officesettings import office_settings
from mutualaid.requests import request_office
from mutualaid.views import StaffView

LOOK_AHEAD_DAYS = 120  # the page shows this far ahead, so an office sees what comes after its window


class RenewalSettingsForm(StrictNumbers, forms.Form):
    days_before = forms.IntegerField(
        label=gettext_lazy("Days before the period ends"),
        min_value=1,
        max_value=180,
        help_text=gettext_lazy("Each unit receives its notice once, this many days before its period ends."),
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Contact person"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30)


class RenewalNoticesView(StaffView):
    template_name = "enrollment/renewal_notices.html"
    permission_required = "notices.manage"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        today = dates.business_today()
        days = office_settings(RenewalSettings, office).days_before
        policies = list(
            Policy.objects.filter(
                issued_by_office=office, ends_on__gte=today, ends_on__lte=today + timedelta(days=LOOK_AHEAD_DAYS)
            )
            .select_related("org", "period__plan")
            .order_by("ends_on", "number")[:500]
        )
        contacts = {c.org_id: c for c in UnitContact.objects.filter(org_id__in=[p.org_id for p in policies])}
        keys = [f"renewal_notice:{p.org_id}:{p.period_id}" for p in policies]
        sent = {n.key: n for n in Notice.objects.filter(key__in=keys)}
        rows = [
            {
                "policy": p,
                "contact": contacts.get(p.org_id),
                "notice": sent.get(f"renewal_notice:{p.org_id}:{p.period_id}"),
                "due": (p.ends_on - today).days <= days,
                "days_left": (p.ends_on - today).days,
            }
            for p in policies
        ]
        context.setdefault("form", RenewalSettingsForm(initial={"days_before": days}))
        context.setdefault("contact_form", ContactForm())
        context.update(office=office, rows=rows, days=days, today=today)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "")
        try:
            if action == "settings":
                form = RenewalSettingsForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form), status=400)
                renewal_settings_save(actor=self.request.user, days_before=form.cleaned_data["days_before"])
                messages.success(
                    request,
                    _("Saved: units receive their notice %(days)d days ahead.")
                    % {"days": form.cleaned_data["days_before"]},
                )
            elif action == "contact":
                return self._contact(request)
            elif action == "send":
                office = request_office(request)
                renewal_notices_office.delay(org_id=office.pk, actor_id=self.request.user.pk)
                messages.success(request, _("The renewal notices due today are being sent; each unit once."))
            else:
                raise Http404
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return self.render_to_response(self.get_context_data(), status=400)
        return redirect("enrollment:renewal_notices")

    def _contact(self, request: HttpRequest) -> HttpResponse:
        unit_id = whole_number(request.POST.get("unit"))
        unit = Organisation.objects.filter(pk=unit_id or 0, kind=OrgKind.UNIT).first()
        if unit is None:
            raise Http404(_("No such unit in your office's tree."))
        form = ContactForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(contact_form=form, contact_unit=unit), status=400)
        try:
            unit_contact_save(actor=self.request.user, unit=unit, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in (
                error.message_dict.items() if hasattr(error, "error_dict") else [("phone", error.messages)]
            ):
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return self.render_to_response(self.get_context_data(contact_form=form, contact_unit=unit), status=400)
        messages.success(request, _("Contact of %(unit)s saved.") % {"unit": unit.name})
        return redirect("enrollment:renewal_notices")


def unit_contact_panel(request: HttpRequest, org: Organisation) -> tuple[str, dict[str, Any]] | None:
    """On a unit's page: who receives its notices, with the form to change it for whoever
    keeps the office's notices."""
    if org.kind != OrgKind.UNIT or not request.user.has_perm("notices.view"):
        return None
    contact = UnitContact.objects.filter(org=org).first()
    form = ContactForm(initial={"name": contact.name} if contact else None)
    return "enrollment/partials/unit_contact.html", {"unit": org, "contact": contact, "contact_form": form}


class UnitContactView(StaffView):
    """A unit's contact for its notices, from the unit's page; a notice that waited for want of
    one goes with the next hourly resend."""

    template_name = "enrollment/unit_contact.html"
    permission_required = "notices.manage"

    def _unit(self) -> Organisation:
        unit = Organisation.objects.filter(pk=self.kwargs["unit_pk"], kind=OrgKind.UNIT).first()
        if unit is None:
            raise Http404(_("No such unit in your office's tree."))
        return unit

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit = self._unit()
        contact = UnitContact.objects.filter(org=unit).first()
        context.setdefault("contact_form", ContactForm(initial={"name": contact.name} if contact else None))
        context.update(unit=unit, contact=contact)
        return context

    def post(self, request: HttpRequest, unit_pk: int) -> HttpResponse:
        unit = self._unit()
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                unit_contact_save(actor=self.request.user, unit=unit, **form.cleaned_data)
            except ValidationError as error:
                problems = error.message_dict.items() if hasattr(error, "error_dict") else [("phone", error.messages)]
                for field, messages_ in problems:
                    for problem in messages_:
                        form.add_error(field if field in form.fields else None, problem)
            except PermissionDenied as error:
                form.add_error(None, str(error))
        if form.errors:
            return self.render_to_response(self.get_context_data(contact_form=form), status=400)
        messages.success(request, _("Contact of %(unit)s saved.") % {"unit": unit.name})
        return redirect("org_detail", org_pk=unit.pk)

"""The audit trail page: newest first, narrowed by person, action, kind of record and days."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mutualaid.audit import ACTION_CHOICES, AuditFilters, audit_event_list, audit_model_choices
from mutualaid.forms import DayInput
from mutualaid.selectors import user_list
from mutualaid.views import StaffView


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=_("Action"), required=False)
    model = forms.ChoiceField(label=_("Kind of record"), required=False)
    since = forms.DateField(label=_("First day"), required=False, widget=DayInput())
    until = forms.DateField(label=_("Last day"), required=False, widget=DayInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people: list[tuple[object, str]] = [("", str(_("Everyone")))]
        people += [(u.pk, f"{u} · {u.org.name if u.org else ''}") for u in user_list()]
        self._choose("actor", people)
        self._choose("action", [("", _("Every action")), *ACTION_CHOICES])
        self._choose("model", [("", _("Every kind of record")), *audit_model_choices()])

    def _choose(self, name: str, choices: list[Any]) -> None:
        field = self.fields[name]
        if isinstance(field, forms.ChoiceField):
            field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The last day is before the first: swap them or pick another day."))
        return cleaned

    def filters(self) -> AuditFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilters(
            actor=data.get("actor"),
            action=data.get("action") or "",
            model=data.get("model") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


class AuditListView(StaffView):
    template_name = "mutualaid/audit_list.html"
    permission_required = "audit.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = AuditFilterForm(self.request.GET or None)
        context["form"] = form
        context["filtered"] = form.is_bound and form.is_valid() and any(form.cleaned_data.values())
        context["rows"] = audit_event_list(filters=form.filters()) if form.is_bound else audit_event_list()
        return context

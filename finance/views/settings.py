"""An office's finance settings, and closing a month of its books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finance.models import ClosedMonth, FinanceSettings
from finance.rules import default_due_day
from finance.services.ledger import month_close
from finance.views.base import show_error
from mutualaid import dates
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import MoneyField, PercentField
from mutualaid.models import Organisation
from mutualaid.numbers import percent_text
from mutualaid.officesettings import office_settings
from mutualaid.requests import request_office, request_user
from mutualaid.tenancy import unscoped
from mutualaid.views import StaffView

RATIOS = ("reserve_ratio", "fee_cap_ratio", "loss_ratio_min", "loss_ratio_max")


class SettingsForm(StrictNumbers, forms.ModelForm[FinanceSettings]):
    class Meta:
        model = FinanceSettings
        fields = [
            "reserve_ratio",
            "fee_cap_ratio",
            "collective_decision_from",
            "remittance_due_day",
            "surplus_months_min",
            "surplus_months_max",
            "loss_ratio_min",
            "loss_ratio_max",
        ]
        # The shares are kept as 0.1 (and so given by the API) but read and typed as percentages.
        # The amount from which a payment needs a collective decision is money, typed and shown as
        # every page writes it (100,000.00), not in a number box.
        field_classes = {**{name: PercentField for name in RATIOS}, "collective_decision_from": MoneyField}
        help_texts = {
            "reserve_ratio": gettext_lazy(
                "A percentage: for example 10 sets aside 10 percent of each premium received."
            ),
            "fee_cap_ratio": gettext_lazy(
                "A percentage: for example 5, fees of a plan may not pass 5 percent of its premium."
            ),
            "surplus_months_min": gettext_lazy("A fund covering fewer months of claims paid is warned about."),
            "surplus_months_max": gettext_lazy("A fund covering more months holds members' money idle: warned about."),
            "loss_ratio_min": gettext_lazy(
                "A percentage: for example 50, a plan paying back less than half its premium is warned about."
            ),
            "loss_ratio_max": gettext_lazy(
                "A percentage: for example 90, a plan paying out more than 90 percent of its premium is warned about."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A share goes up to what its column allows: 100% set aside at most, a loss ratio up to 500%.
        for name in RATIOS:
            column = cast("models.DecimalField[Decimal, Decimal]", FinanceSettings._meta.get_field(name))
            cast(PercentField, self.fields[name]).most = 100 * max(
                Decimal(v.limit_value) for v in column.validators if isinstance(v, MaxValueValidator)
            )
        # A number of months as a person writes it (3), not as the column keeps it (3.0).
        for name, field in self.fields.items():
            value = self.initial.get(name)
            if isinstance(field, forms.DecimalField) and isinstance(value, Decimal):
                self.initial[name] = format(value.normalize(), "f")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("surplus_months_min"), data.get("surplus_months_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "surplus_months_max", _("The most months must be at least the fewest (%(low)s).") % {"low": low}
            )
        low, high = data.get("loss_ratio_min"), data.get("loss_ratio_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "loss_ratio_max",
                _("The highest loss ratio must be at least the lowest (%(low)s).") % {"low": percent_text(low)},
            )
        return data

    def clean_remittance_due_day(self) -> int | None:
        """Agent points report to their city before the city reports to the province: a city's day
        for its agent points falls before the day its own office above set for it."""
        day: int | None = self.cleaned_data.get("remittance_due_day")
        office = self.instance.org
        if day is None or office.parent_id is None:
            return day
        with unscoped():  # the office above's settings: its due day governs this office's own report
            parent = Organisation.objects.get(pk=office.parent_id)
        parent_day = office_settings(FinanceSettings, parent).remittance_due_day or default_due_day(parent)
        if day >= parent_day:
            raise ValidationError(
                _(
                    "Offices below must remit before your own report is due to %(office)s on day %(day)s of the "
                    "month: choose a day before %(day)s."
                )
                % {"office": parent.name, "day": parent_day}
            )
        return day


class SettingsView(StaffView):
    template_name = "finance/settings.html"
    permission_required = "finance.configure"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = request_office(self.request)
        context.setdefault("form", SettingsForm(instance=office_settings(FinanceSettings, office)))
        context["last_month"] = dates.last_month()
        context["closed"] = ClosedMonth.objects.filter(org=office).order_by("-month")[:24]
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "close":
            try:
                month = dates.parse_month(request.POST.get("month", ""))
                if month is None:
                    raise ValidationError(_("Choose the month to close."))
                month_close(actor=request_user(request), month=month)
                messages.success(request, _("The month is closed."))
            except (ValidationError, PermissionDenied) as error:
                show_error(request, error)
            return redirect("finance:settings")
        office = request_office(request)
        form = SettingsForm(request.POST, instance=office_settings(FinanceSettings, office))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        saved = form.save(commit=False)
        saved.org = office
        saved.save()
        messages.success(request, _("Settings saved."))
        return redirect("finance:settings")

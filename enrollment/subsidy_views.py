"""A period's subsidies from several union levels: the levels recorded, and the form that adds
one while the period is not frozen (the office that runs the plan)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment import selectors
from enrollment.models import Period, UnionLevel
from enrollment.services.subsidies import period_subsidy_add
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import MoneyField
from mutualaid.models import Organisation, OrgKind
from mutualaid.requests import request_user
from mutualaid.views import StaffView, attach_errors

OFFICE_KINDS = (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.INDUSTRY, OrgKind.COUNTY)


class PeriodSubsidyForm(StrictNumbers, forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Union level"), choices=UnionLevel.choices)
    payer: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=gettext_lazy("Paying office"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=gettext_lazy("An office of your tree, or leave empty and name the union below."),
    )
    payer_name = forms.CharField(label=gettext_lazy("Paid by (name)"), max_length=100, required=False)
    per_share = MoneyField(label=gettext_lazy("Subsidy per share (yuan)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offices = Organisation.objects.filter(kind__in=OFFICE_KINDS).order_by("path")  # in the user's scope
        cast("forms.ModelChoiceField[Organisation]", self.fields["payer"]).queryset = offices


class PeriodSubsidyView(StaffView):
    template_name = "enrollment/period_subsidies.html"
    permission_required = "enrollment.view"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            try:
                self.period = Period.objects.select_related("plan").get(pk=kwargs["period_pk"])
            except Period.DoesNotExist:
                raise Http404(_("No such period in your office's tree.")) from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            period=self.period,
            subsidies=selectors.period_subsidy_list(period=self.period),
            may_add=self.request.user.has_perm("plans.manage")
            and self.period.org_id == getattr(self.request.user, "org_id", None),
        )
        context.setdefault("form", PeriodSubsidyForm())
        return context

    def post(self, request: HttpRequest, period_pk: int) -> HttpResponse:
        form = PeriodSubsidyForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            period_subsidy_add(actor=request_user(request), period=self.period, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("enrollment:period_subsidies", period_pk=self.period.pk)
        messages.success(request, _("Union level subsidy recorded on the period."))
        return redirect("enrollment:period_subsidies", period_pk=self.period.pk)

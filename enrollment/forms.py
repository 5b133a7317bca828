from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from enrollment.models import EmploymentStatus, Period, PlanKind, SubsidyKind
from enrollment.routing import ClaimsPaidBy, ClaimsReviewedBy
from enrollment.services.plans import FROZEN_FIELDS
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import DayInput, MoneyField, PercentField
from mutualaid.models import Organisation, OrgKind, UnitType


class PlanForm(StrictNumbers, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanKind.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    claims_reviewed_by = forms.ChoiceField(
        label=_("Claims reviewed by"), choices=ClaimsReviewedBy.choices, initial=ClaimsReviewedBy.CITY
    )
    claims_paid_by = forms.ChoiceField(
        label=_("Claims paid by"),
        choices=ClaimsPaidBy.choices,
        initial=ClaimsPaidBy.REVIEWER,
        help_text=_(
            "The city office above the member's unit pays the claims the reviewing office approved, from the "
            "funds this office allocates to it (the women workers' plan: reviewed by the province, paid by the city)."
        ),
    )
    large_claim_amount = MoneyField(
        label=_("Leader approval from this payout (yuan)"),
        required=False,
        min_value=0,
        help_text=_("Large claims (大额理赔) above this payout also need the leader in charge; leave empty for none."),
    )
    insures_children = forms.BooleanField(
        label=_("Insures members' children"),
        required=False,
        help_text=_(
            "A children's plan: each row of a list is a child, with the relationship and the parent member, "
            "who must be enrolled through the same unit."
        ),
    )


class PeriodForm(StrictNumbers, forms.ModelForm[Period]):
    employment_statuses = forms.MultipleChoiceField(
        label=_("Employment statuses that may join"),
        choices=EmploymentStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: not asked. Ticked: the list asks each member's status and refuses the others."),
    )
    unit_types = forms.MultipleChoiceField(
        label=_("Types of unit that may join"),
        choices=UnitType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every unit."),
    )

    class Meta:
        model = Period
        fields = ["label", *FROZEN_FIELDS]  # every rule of a period, frozen once a policy is issued
        field_classes = {
            "premium_per_share": MoneyField,
            "subsidy_amount": MoneyField,
            # Shares typed and shown as percentages, as every ratio a person types (one number format).
            "min_participation": PercentField,
            "unit_ratio": PercentField,
        }
        widgets = {
            "starts_on": DayInput(),
            "ends_on": DayInput(),
            "subsidy_stages": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "min_participation": _("A percentage: 75 when three quarters of a unit's staff must join, 0 for none."),
            "subsidy_stages": _('Staged subsidy only, e.g. [{"until": "2026-07-31", "amount": "30"}]'),
            "unit_ratio": _("Percentage of the premium, after the union subsidy, that the unit pays (0 to 100)."),
            "max_age_female": _("Empty: the maximum age above applies to women too."),
            "max_age_male": _("Empty: the maximum age above applies to men too."),
            "retirement_limit": _(
                "Members must be below the statutory retirement age on the period's first day, with its "
                "gradual raise from 2025."
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("subsidy_kind") == SubsidyKind.STAGED:
            stages = data.get("subsidy_stages") or []
            if not isinstance(stages, list) or not all(
                isinstance(s, dict) and {"until", "amount"} <= set(s) for s in stages
            ):
                self.add_error("subsidy_stages", _('List the stages as [{"until": "YYYY-MM-DD", "amount": "30"}].'))
        return data


class UploadForm(StrictNumbers, forms.Form):
    unit: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Unit"), queryset=Organisation.objects.none()
    )
    period = forms.TypedChoiceField(label=_("Plan and period"), coerce=int)
    file = forms.FileField(label=_("Member list (xlsx)"))
    # The list this upload corrects (a correction of list X), set from that list's page.
    corrects = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, periods: list[Period], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Scoped: a unit outside the user's tree is "not a valid choice".
        units = Organisation.objects.filter(kind=OrgKind.UNIT).order_by("path")
        cast("forms.ModelChoiceField[Organisation]", self.fields["unit"]).queryset = units
        choices = [(p.pk, f"{p.plan.name} · {p.label}") for p in periods]
        cast(forms.TypedChoiceField, self.fields["period"]).choices = choices

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MEMBER_LIST_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB: split the list into several files.")
                % {"mb": settings.MEMBER_LIST_MAX_BYTES // (1024 * 1024)}
            )
        return upload

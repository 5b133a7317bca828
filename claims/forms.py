from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from claims.models import CallbackOutcome, CareType, CheckOutcome, DocumentKind, RecheckFinding
from claims.services.figures import OTHER_PAYER_FIELDS, Figures, Payee
from mutualaid.badinput import StrictNumbers
from mutualaid.forms import DayInput, MoneyField

DATE = DayInput()


def _amount(label: StrOrPromise, *, initial: int | None = None, required: bool = True) -> forms.DecimalField:
    """An amount in yuan as the money columns hold it (mutualaid/money.py), never negative."""
    return MoneyField(label=label, initial=initial, min_value=0, required=required)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several scans of one kind at once (a stack of invoices); type and size are checked by the
    service, which reads the content rather than trusting the name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class FiguresForm(StrictNumbers, forms.Form):
    """The figures of a claim, as on the discharge record and the settlement statement."""

    care_type = forms.ChoiceField(label=_("Kind of care"), choices=CareType.choices, initial=CareType.INPATIENT)
    admitted_on = forms.DateField(label=_("Admission date (diagnosis date, date of death)"), widget=DATE)
    discharged_on = forms.DateField(label=_("Discharge date"), widget=DATE, required=False)
    hospital = forms.CharField(label=_("Hospital"), max_length=100)
    diagnosis = forms.CharField(label=_("Diagnosis"), max_length=200)
    total_cost = _amount(_("Total cost"))
    insurance_paid = _amount(_("Paid by basic medical insurance"))
    deductible_part = _amount(_("Deductible (起付) part"), initial=0)
    self_paid = _amount(_("Self-paid by ratio (自付)"), initial=0)
    not_covered = _amount(_("Not covered (自费)"), initial=0)
    invoices = forms.CharField(
        label=_("Invoice numbers"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One per line, as printed on the hospital invoices."),
    )
    member_category = forms.CharField(label=_("Member category"), max_length=30, required=False)
    severity = forms.CharField(label=_("Severity (critical illness)"), max_length=30, required=False)
    illness_days = forms.IntegerField(label=_("Days of illness allowance"), min_value=0, initial=0, required=False)
    disability_grade = forms.IntegerField(
        label=_("Disability grade (1 to 10)"), min_value=0, max_value=10, initial=0, required=False
    )
    serious_illness_paid = _amount(_("Paid by critical-illness insurance (大病保险)"), initial=0, required=False)
    medical_assistance_paid = _amount(_("Paid by medical assistance (医疗救助)"), initial=0, required=False)
    other_mutual_aid_paid = _amount(_("Paid by another mutual-aid plan"), initial=0, required=False)
    commercial_insurance_paid = _amount(_("Paid by commercial insurance"), initial=0, required=False)

    def figures(self) -> Figures:
        data = self.cleaned_data
        return Figures(
            care_type=data["care_type"],
            admitted_on=data["admitted_on"],
            discharged_on=data.get("discharged_on"),
            hospital=data["hospital"],
            diagnosis=data["diagnosis"],
            total_cost=data["total_cost"],
            insurance_paid=data["insurance_paid"],
            deductible_part=data["deductible_part"],
            self_paid=data["self_paid"],
            not_covered=data["not_covered"],
            invoices=[line.strip() for line in data.get("invoices", "").replace(",", "\n").splitlines()],
            member_category=data.get("member_category", ""),
            severity=data.get("severity", ""),
            illness_days=data.get("illness_days") or 0,
            disability_grade=data.get("disability_grade") or 0,
            **{name: data.get(name) or Decimal(0) for name in OTHER_PAYER_FIELDS},
        )


class DocumentsForm(StrictNumbers, forms.Form):
    """One file input per kind of document, so that the kind is never guessed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in DocumentKind.choices:
            self.fields[f"doc_{kind}"] = MultipleFileField(label=label)

    def uploads(self) -> list[tuple[str, Any]]:
        return [(kind, upload) for kind in DocumentKind.values for upload in self.cleaned_data.get(f"doc_{kind}") or []]


class ClaimForm(FiguresForm, DocumentsForm):
    payee_name = forms.CharField(label=_("Account holder"), max_length=50)
    bank_name = forms.CharField(label=_("Bank and branch"), max_length=60)
    account_number = forms.CharField(label=_("Account number"), max_length=40)

    def payee(self) -> Payee:
        data = self.cleaned_data
        return Payee(name=data["payee_name"], bank_name=data["bank_name"], account_number=data["account_number"])


class CallbackForm(StrictNumbers, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class SettingsForm(StrictNumbers, forms.Form):
    target_days = forms.IntegerField(label=_("Target in working days"), min_value=1, max_value=60)
    limit_days = forms.IntegerField(label=_("Hard limit in working days"), min_value=1, max_value=120)
    early_claim_days = forms.IntegerField(
        label=_("Flag an admission within this many days of the coverage start"), min_value=0, max_value=365
    )
    claims_per_member = forms.IntegerField(
        label=_("Flag more than this many claims by one member in a period"), min_value=1, max_value=100
    )
    large_amount = _amount(_("Flag a payout above this amount (yuan)"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("target_days") and data.get("limit_days") and data["limit_days"] < data["target_days"]:
            self.add_error("limit_days", _("The hard limit must not be shorter than the target."))
        return data


class OfficeDayForm(StrictNumbers, forms.Form):
    day = forms.DateField(label=_("Date"), widget=DATE)
    is_workday = forms.TypedChoiceField(
        label=_("The office is"),
        choices=[("0", _("Closed (local holiday)")), ("1", _("Open (extra working day)"))],
        coerce=lambda value: value == "1",
    )
    note = forms.CharField(label=_("Note"), max_length=100, required=False)


class HospitalCheckForm(StrictNumbers, forms.Form):
    """A visit to the hospital (查勘), with the scans brought back."""

    checked_on = forms.DateField(label=_("Date of the visit"), widget=DATE)
    checker = forms.CharField(label=_("Who went"), max_length=100)
    place = forms.CharField(label=_("Where (hospital, ward)"), max_length=150)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CheckOutcome.choices)
    findings = forms.CharField(label=_("Findings"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    scans = MultipleFileField(label=_("Scans (PDF, JPG or PNG)"))


class RecheckForm(StrictNumbers, forms.Form):
    """Draw a sample of an office below's paid claims."""

    target = forms.TypedChoiceField(label=_("Office re-checked"), coerce=int)
    paid_from = forms.DateField(label=_("Paid from"), widget=DATE)
    paid_to = forms.DateField(label=_("Paid to"), widget=DATE)
    size = forms.IntegerField(label=_("Claims drawn at random"), min_value=0, max_value=500, initial=10)
    with_flagged = forms.BooleanField(
        label=_("Add every claim with a risk flag or a leader's approval"), required=False, initial=True
    )
    seed = forms.IntegerField(
        label=_("Random seed (empty: a new one, recorded)"), required=False, min_value=0, max_value=2**62
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, offices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = offices  # type: ignore[attr-defined]


class FindingForm(StrictNumbers, forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"), choices=[c for c in RecheckFinding.choices if c[0] != RecheckFinding.PENDING]
    )
    overpaid = _amount(_("Overpaid amount (yuan)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

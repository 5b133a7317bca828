"""What the window types in from the member's papers (the figures of the hospital settlement
statement, the invoices, the payee's account), checked in full before anything is stored: every
problem at once, each naming the field and what to do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError
from claims.benefits.schedule import MEDICAL_CARE, Schedule
from claims.models import BenefitSchedule, CareType
from enrollment.models import Enrollment, EnrollmentStatus
from mutualaid import dates
from mutualaid.tenancy import unscoped

# The amounts of the settlement statement, which add up to its total.
SETTLEMENT_FIELDS = ("total_cost", "insurance_paid", "deductible_part", "self_paid", "not_covered")
# What other payers paid of the member's burden, from their own papers.
OTHER_PAYER_FIELDS = (
    "serious_illness_paid",
    "medical_assistance_paid",
    "other_mutual_aid_paid",
    "commercial_insurance_paid",
)


@dataclass(frozen=True)
class Figures:
    """What the window types in from the member's papers."""

    care_type: str
    admitted_on: date
    discharged_on: date | None
    hospital: str
    diagnosis: str
    total_cost: Decimal
    insurance_paid: Decimal
    deductible_part: Decimal
    self_paid: Decimal
    not_covered: Decimal
    invoices: Sequence[str] = ()
    member_category: str = ""
    severity: str = ""
    illness_days: int = 0
    serious_illness_paid: Decimal = Decimal(0)
    medical_assistance_paid: Decimal = Decimal(0)
    other_mutual_aid_paid: Decimal = Decimal(0)
    commercial_insurance_paid: Decimal = Decimal(0)
    disability_grade: int = 0


@dataclass(frozen=True)
class Payee:
    """The bank account the payout is transferred to."""

    name: str
    bank_name: str
    account_number: str


def figures_check(*, figures: Figures, enrollment: Enrollment) -> list[str]:
    """Everything wrong with the figures at once, each naming the field and what to do; returns
    the cleaned invoice numbers."""
    errors: dict[str, str] = {}
    if figures.care_type not in CareType.values:
        errors["care_type"] = _("Choose the kind of care.")
    today = dates.business_today()
    if figures.admitted_on > today:
        errors["admitted_on"] = _("The admission date %(date)s is in the future: check the discharge record.") % {
            "date": figures.admitted_on
        }
    elif not enrollment.starts_on <= figures.admitted_on <= enrollment.ends_on and not _stay_into_cover(
        figures, enrollment
    ):
        errors["admitted_on"] = _(
            "The admission date %(date)s is outside the member's coverage (%(start)s to %(end)s): "
            "check the date or choose the enrollment that covers it."
        ) % {"date": figures.admitted_on, "start": enrollment.starts_on, "end": enrollment.ends_on}
    if enrollment.status == EnrollmentStatus.CANCELLED and (
        enrollment.cancelled_on is None or figures.admitted_on >= enrollment.cancelled_on
    ):
        errors["admitted_on"] = _(
            "The member's enrollment was cancelled on %(date)s (%(reason)s); care from that day on is not covered."
        ) % {"date": enrollment.cancelled_on, "reason": enrollment.cancel_reason}
    if figures.care_type == CareType.INPATIENT and figures.discharged_on is None:
        errors["discharged_on"] = _("Enter the discharge date of the hospital stay.")
    if figures.discharged_on is not None:
        if figures.discharged_on < figures.admitted_on:
            errors["discharged_on"] = _(
                "The discharge date %(discharged)s is before the admission date %(admitted)s: check both dates."
            ) % {"discharged": figures.discharged_on, "admitted": figures.admitted_on}
        elif figures.discharged_on > today:
            errors["discharged_on"] = _("The discharge date is in the future: register the claim after discharge.")
    if not figures.hospital.strip():
        errors["hospital"] = _("Enter the hospital.")
    if not figures.diagnosis.strip():
        errors["diagnosis"] = _("Enter the diagnosis from the discharge record.")
    for name in SETTLEMENT_FIELDS:
        value = getattr(figures, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            errors[name] = _("Enter an amount of 0 or more, as printed on the settlement statement.")
        elif value != value.quantize(Decimal("0.01")):
            errors[name] = _("Enter the amount in yuan with at most two decimals (fen).")
    if not any(name in errors for name in SETTLEMENT_FIELDS):
        parts = figures.insurance_paid + figures.deductible_part + figures.self_paid + figures.not_covered
        if parts != figures.total_cost:
            errors["total_cost"] = _(
                "The parts add up to %(parts)s yuan but the total is %(total)s yuan (a difference of %(diff)s): "
                "copy the figures again from the settlement statement."
            ) % {"parts": parts, "total": figures.total_cost, "diff": figures.total_cost - parts}
    invoices = [number.strip() for number in figures.invoices if number.strip()]
    if figures.care_type in MEDICAL_CARE and not invoices:
        errors["invoices"] = _("Enter the invoice numbers of the hospital bills, one per line.")
    elif len(set(invoices)) != len(invoices):
        errors["invoices"] = _("An invoice number is entered twice: enter each invoice once.")
    elif any(len(number) > 40 for number in invoices):
        errors["invoices"] = _("An invoice number is longer than 40 characters: check it.")
    if figures.illness_days < 0:
        errors["illness_days"] = _("Enter 0 or more days.")
    _check_other_payers(figures, errors)
    if figures.care_type == CareType.DISABILITY and not 1 <= figures.disability_grade <= 10:
        errors["disability_grade"] = _("Enter the disability grade from the appraisal, 1 (heaviest) to 10.")
    elif not 0 <= figures.disability_grade <= 10:
        errors["disability_grade"] = _("The disability grade is 1 to 10, or 0 when there is none: check it.")
    if errors:
        raise ValidationError(errors)
    return invoices


def _stay_into_cover(figures: Figures, enrollment: Enrollment) -> bool:
    """A hospital stay that began before the cover and ended inside it, of a kind whose schedule
    pays such a stay (stay_before_cover from_cover_date or in_full): accepted here, and the
    calculation says how much of it is paid. Under not_paid it is refused as outside the cover."""
    discharged = figures.discharged_on
    if not (
        figures.care_type in MEDICAL_CARE
        and figures.admitted_on < enrollment.starts_on
        and discharged is not None
        and enrollment.starts_on <= discharged <= enrollment.ends_on
    ):
        return False
    with unscoped():  # the schedule is kept by the office above the member's unit
        row = BenefitSchedule.objects.filter(period_id=enrollment.period_id).first()
    if row is None:
        return False
    try:
        _version, dated = Schedule.from_dict(row.rules).for_date(figures.admitted_on)
        _terms, rules = dated.for_kind(figures.care_type)
    except ScheduleError:
        return False
    return rules.stay_before_cover != "not_paid"


def _check_other_payers(figures: Figures, errors: dict[str, str]) -> None:
    """Each other payer's amount is a sum of money, and together they cannot exceed what the
    member bore after the fund (total cost less the basic insurance's payment)."""
    for name in OTHER_PAYER_FIELDS:
        value = getattr(figures, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            errors[name] = _("Enter an amount of 0 or more, as printed on the other payer's settlement.")
        elif value != value.quantize(Decimal("0.01")):
            errors[name] = _("Enter the amount in yuan with at most two decimals (fen).")
    if any(name in errors for name in (*OTHER_PAYER_FIELDS, "total_cost", "insurance_paid")):
        return
    others = sum((getattr(figures, name) for name in OTHER_PAYER_FIELDS), Decimal(0))
    bore = figures.total_cost - figures.insurance_paid
    if others > bore:
        errors["serious_illness_paid"] = _(
            "The other payers paid %(others)s yuan in all, more than the %(bore)s yuan left after the basic "
            "insurance (total cost less its payment): check the other payers' settlements."
        ) % {"others": others, "bore": bore}


def payee_check(*, payee: Payee) -> str:
    """The account number without spaces, once the payee is complete."""
    errors = {}
    account = payee.account_number.replace(" ", "")
    if not payee.name.strip():
        errors["payee_name"] = _("Enter the name of the account holder.")
    if not payee.bank_name.strip():
        errors["bank_name"] = _("Enter the bank and branch of the account.")
    if not (account.isascii() and account.isdigit() and 8 <= len(account) <= 30):  # "６２２２" is no account
        errors["account_number"] = _("The account number must be 8 to 30 digits: copy it from the bank card.")
    if errors:
        raise ValidationError(errors)
    return account


def account_mask(*, account: str) -> str:
    """The account number as every page and list shows it: the first and last four digits."""
    return account[:4] + "*" * (len(account) - 8) + account[-4:]

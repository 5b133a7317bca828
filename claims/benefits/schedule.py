"""A region's reimbursement rules as data: the `Schedule`.

Every region words its reimbursement rules differently (flat 80 %, progressive slices, bands, a
daily hospital allowance, caps per share, a minimum payout, a critical-illness lump sum, a death
condolence…). Writing code per region would make each new region a programming job and each rule
change a deployment, so the rules are a `Schedule`: frozen data built from the JSON that the
office stores with its plan (`from_dict`, parse.py) and written back by `to_dict`, checked as it
is built, and applied to a claim by calculate.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError, check_amount, check_count, check_ratio, in_variant, listing
from claims.benefits.money import ROUNDINGS, ZERO, Rounding
from claims.benefits.parse import AMOUNT_FIELDS, BOOL_FIELDS, FIELDS, parse_fields, unknown_field
from claims.benefits.sections import (
    CriticalIllness,
    Death,
    Segment,
    Variant,
    VariantFacts,
    check_segments,
    dump_field,
)

SegmentMode = Literal["progressive", "band"]
ThresholdBasis = Literal["per_admission", "cumulative"]

SEGMENT_MODES: tuple[str, ...] = ("progressive", "band")
THRESHOLD_BASES: tuple[str, ...] = ("per_admission", "cumulative")

CARE_TYPES: tuple[str, ...] = (
    "inpatient",
    "outpatient_radiotherapy",
    "outpatient_chemotherapy",
    "dialysis",
    "critical_illness",
    "death",
)
# The care types paid from the hospital settlement statement (segments, deductible, allowance).
MEDICAL_CARE: tuple[str, ...] = CARE_TYPES[:4]


@dataclass(frozen=True)
class Schedule:
    """A region's reimbursement rules as data; validated on construction so that a bad schedule
    is refused when the office saves it, not when the first member claims."""

    segments: tuple[Segment, ...] = ()
    segment_mode: SegmentMode = "progressive"
    deductible_ratio: Decimal = ZERO
    plan_deductible: Decimal = ZERO
    cap_per_share_per_period: Decimal | None = None
    cap_per_period: Decimal | None = None
    minimum_payout: Decimal = ZERO
    daily_allowance: Decimal = ZERO
    allowance_by_membership_year: tuple[Decimal, ...] = ()
    allowance_from_day: int = 1
    allowance_max_days: int | None = None
    allowance_per_share: bool = False
    caps_include_allowance: bool = True
    multiply_by_shares: bool = False
    rounding: Rounding = "fen_half_up"
    max_claims_per_period: int | None = None
    covered_care: tuple[str, ...] = ("inpatient",)
    waiting_days: int = 0
    threshold_basis: ThresholdBasis = "per_admission"
    variants: tuple[Variant, ...] = ()
    allowance_max_amount: Decimal | None = None
    critical_illness: CriticalIllness | None = None
    death: Death | None = None

    def __post_init__(self) -> None:
        check_segments(self.segments)
        if self.segment_mode not in SEGMENT_MODES:
            raise ScheduleError(
                _("Unknown segment_mode %(value)s: use progressive or band.") % {"value": self.segment_mode}
            )
        if self.rounding not in ROUNDINGS:
            raise ScheduleError(
                _("Unknown rounding %(value)s: use fen_half_up, jiao_half_up, yuan_half_up or yuan_down.")
                % {"value": self.rounding}
            )
        check_ratio("deductible_ratio", self.deductible_ratio)
        for name in AMOUNT_FIELDS[1:]:
            value = getattr(self, name)
            if value is not None:
                check_amount(name, value)
        for amount in self.allowance_by_membership_year:
            check_amount("allowance_by_membership_year", amount)
        check_count("allowance_from_day", self.allowance_from_day, minimum=1)
        if self.allowance_max_days is not None:
            check_count("allowance_max_days", self.allowance_max_days, minimum=0)
        if self.max_claims_per_period is not None:
            check_count("max_claims_per_period", self.max_claims_per_period, minimum=1)
        check_count("waiting_days", self.waiting_days, minimum=0)
        for name in BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ScheduleError(_("%(name)s must be true or false: check the value.") % {"name": name})
        self._check_care()
        if self.threshold_basis not in THRESHOLD_BASES:
            raise ScheduleError(
                _("Unknown threshold_basis %(value)s: use per_admission or cumulative.")
                % {"value": self.threshold_basis}
            )
        if self.threshold_basis == "cumulative" and self.segment_mode != "progressive":
            # With bands one more yuan in the period could re-rate everything paid before it.
            raise ScheduleError(
                _(
                    "threshold_basis cumulative works only with segment_mode progressive: change segment_mode to "
                    "progressive or threshold_basis to per_admission."
                )
            )
        for number, variant in enumerate(self.variants, start=1):
            try:
                self._apply(variant)
            except ScheduleError as error:
                raise in_variant(number, error) from None

    def _check_care(self) -> None:
        if not self.covered_care:
            raise ScheduleError(_("covered_care must name at least one care type: add inpatient or another."))
        for care in self.covered_care:
            if care not in CARE_TYPES:
                raise ScheduleError(
                    _("Unknown care type %(value)s in covered_care: use %(known)s.")
                    % {"value": care, "known": listing(CARE_TYPES)}
                )
        if len(set(self.covered_care)) != len(self.covered_care):
            raise ScheduleError(_("covered_care names a care type twice: keep each once."))
        for name, section in (("critical_illness", self.critical_illness), ("death", self.death)):
            if name in self.covered_care and section is None:
                raise ScheduleError(
                    _(
                        "covered_care includes %(name)s but the schedule has no %(name)s section: add the section "
                        "or remove %(name)s from covered_care."
                    )
                    % {"name": name}
                )

    def _apply(self, variant: Variant) -> Schedule:
        """This schedule with the variant's fields in place of its own (validated as it is built)."""
        for name, _value in variant.set:
            if name == "variants":
                raise ScheduleError(_("set cannot contain variants: list every variant at the top level."))
            if name not in FIELDS:
                raise unknown_field(name)
        return replace(self, variants=(), **dict(variant.set))

    def for_claim(self, claim: VariantFacts) -> tuple[int | None, Schedule]:
        """The number of the first variant that matches the claim (None: none), and the rules it makes."""
        for number, variant in enumerate(self.variants, start=1):
            if variant.when.matches(claim):
                return number, self._apply(variant)
        return None, self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Build a schedule from the JSON stored with a plan; unknown fields are refused because a
        misspelt field silently ignored would pay members by the wrong rule."""
        return cls(**parse_fields(data))

    def to_dict(self) -> dict[str, Any]:
        """The schedule as JSON-able data (amounts as strings) that `from_dict` reads back to an
        equal schedule; every field is written, so a later change of default cannot re-rate it."""
        return {name: dump_field(name, getattr(self, name)) for name in FIELD_ORDER}


FIELD_ORDER: tuple[str, ...] = tuple(Schedule.__dataclass_fields__)

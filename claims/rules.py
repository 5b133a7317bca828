"""Benefit calculator for mutual-aid claims: a schedule of rules (data) applied to one claim.

Every region words its reimbursement rules differently (flat 80 %, progressive slices, bands, a
daily hospital allowance, caps per share, a minimum payout, a critical-illness lump sum, a death
condolence…). Writing code per region would make each new region a programming job and each rule
change a deployment, so the rules are a `Schedule` — frozen data built from the JSON that the
office stores with its plan — and one pure function, `calculate`, applies any schedule to a `Claim`.

This module is pure Python on purpose: no model, no database, no clock. That keeps it testable
with property-based tests and lets the same function serve the claim form, the batch payout and
the "what would this cost" preview without side effects. Money is `Decimal` throughout, never
float, because a fen lost to binary rounding is a complaint from a member.

Each `Line` of the result is one item of the settlement form, already rounded by the schedule's
rule, and the lines add up exactly to the payout so that a member can check the sum by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SegmentMode = Literal["progressive", "band"]
Rounding = Literal["fen_half_up", "jiao_half_up", "yuan_half_up", "yuan_down"]
ThresholdBasis = Literal["per_admission", "cumulative"]

ZERO = Decimal(0)
ONE = Decimal(1)

# The unit each rounding rule rounds to, and how. The only table of rounding in the module.
_ROUNDING: dict[str, tuple[Decimal, str]] = {
    "fen_half_up": (Decimal("0.01"), ROUND_HALF_UP),
    "jiao_half_up": (Decimal("0.1"), ROUND_HALF_UP),
    "yuan_half_up": (Decimal("1"), ROUND_HALF_UP),
    "yuan_down": (Decimal("1"), ROUND_DOWN),
}
SEGMENT_MODES: tuple[str, ...] = ("progressive", "band")
ROUNDINGS: tuple[str, ...] = tuple(_ROUNDING)
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
CARE_TYPE_LABELS: dict[str, Promise] = {
    "inpatient": gettext_lazy("inpatient care"),
    "outpatient_radiotherapy": gettext_lazy("outpatient radiotherapy"),
    "outpatient_chemotherapy": gettext_lazy("outpatient chemotherapy"),
    "dialysis": gettext_lazy("dialysis"),
    "critical_illness": gettext_lazy("critical illness"),
    "death": gettext_lazy("death"),
}

# A claim that does not say how long its member has been covered has been covered long enough.
LONG_COVERED = 10**6


class ScheduleError(ValueError):
    """A schedule that cannot be applied; the message tells the office what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def round_money(amount: Decimal, rule: str, *, down: bool = False) -> Decimal:
    """Round `amount` to the unit of `rule` (fen, jiao or yuan), the one place money is rounded.

    `down=True` rounds toward zero whatever the rule says: it is used for limits (the cap left),
    because rounding a limit up would pay more than the limit allows.
    """
    unit, mode = _ROUNDING[rule]
    return amount.quantize(unit, rounding=ROUND_DOWN if down else mode)


def _rounding_words(rule: str) -> str:
    return {
        "fen_half_up": _("rounded to the fen"),
        "jiao_half_up": _("rounded to the jiao"),
        "yuan_half_up": _("rounded to the yuan"),
        "yuan_down": _("rounded down to the yuan"),
    }[rule]


def _rounded_line(label: str, amount: Decimal, rule: str) -> Line:
    """A line rounded by the schedule's rule; when rounding changed the amount, the label keeps
    the exact figure and says how it was rounded, so the member can redo the sum."""
    rounded = round_money(amount, rule)
    if rounded != amount:
        label = _("%(line)s = %(exact)s yuan, %(how)s") % {
            "line": label,
            "exact": _yuan(amount),
            "how": _rounding_words(rule),
        }
    return Line(label, rounded)


def _yuan(amount: Decimal) -> str:
    """An amount for a label: thousands separators, no exponent, no needless trailing zeros."""
    return f"{amount.normalize():,f}"


def _percent(ratio: Decimal) -> str:
    """A ratio for a label, 0.8 → "80%", because the offices' rule books speak in percent."""
    return f"{(ratio * 100).normalize():f}%"


def _listing(values: tuple[object, ...] | list[object]) -> str:
    """Values named in a message, joined by a slash that reads the same in Chinese and English."""
    return "/".join(str(value) for value in values)


# --- Schedule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One slice (progressive) or band of the self-paid amount, up to `upto` yuan (None: no end)."""

    upto: Decimal | None
    ratio: Decimal


@dataclass(frozen=True)
class Band:
    """A critical-illness lump sum paid when the claim's self-paid amount is at most `upto`."""

    upto: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class CriticalIllness:
    """What a critical-illness claim pays: at most one form of lump sum, and a monthly allowance
    prorated by day (Huzhou: 3,000 on first diagnosis, 1,000 a month for up to 6 months)."""

    lump_sum: Decimal | None = None
    lump_sums_by_severity: tuple[tuple[str, Decimal], ...] = ()
    lump_sum_bands: tuple[Band, ...] = ()
    monthly_allowance: Decimal | None = None
    allowance_months: int | None = None
    days_per_month: int = 30

    def __post_init__(self) -> None:
        forms = [self.lump_sum is not None, bool(self.lump_sums_by_severity), bool(self.lump_sum_bands)]
        if sum(forms) > 1:
            raise ScheduleError(
                _(
                    "critical_illness may give only one of lump_sum, lump_sums_by_severity and lump_sum_bands: "
                    "keep the one the plan uses."
                )
            )
        if not any(forms) and self.monthly_allowance is None:
            raise ScheduleError(
                _(
                    "critical_illness pays nothing: give lump_sum, lump_sums_by_severity, lump_sum_bands or "
                    "monthly_allowance."
                )
            )
        if self.lump_sum is not None:
            _check_amount("critical_illness.lump_sum", self.lump_sum)
        for severity, amount in self.lump_sums_by_severity:
            if not isinstance(severity, str) or not severity.strip():
                raise ScheduleError(
                    _("critical_illness.lump_sums_by_severity has an empty severity: name every severity.")
                )
            _check_amount(f"critical_illness.lump_sums_by_severity.{severity}", amount)
        if len({severity for severity, _amount in self.lump_sums_by_severity}) != len(self.lump_sums_by_severity):
            raise ScheduleError(
                _("critical_illness.lump_sums_by_severity names a severity twice: keep one amount for each.")
            )
        for band in self.lump_sum_bands:
            _check_amount("critical_illness.lump_sum_bands.amount", band.amount)
        _check_bands(self.lump_sum_bands)
        if self.monthly_allowance is not None:
            _check_amount("critical_illness.monthly_allowance", self.monthly_allowance)
            if self.allowance_months is None:
                raise ScheduleError(
                    _(
                        "critical_illness.allowance_months is missing: give the most months the monthly_allowance "
                        "is paid for, such as 6."
                    )
                )
        if self.allowance_months is not None:
            if self.monthly_allowance is None:
                raise ScheduleError(
                    _(
                        "critical_illness.allowance_months is only used with monthly_allowance: add "
                        "monthly_allowance or remove allowance_months."
                    )
                )
            _check_count("critical_illness.allowance_months", self.allowance_months, minimum=1)
        _check_count("critical_illness.days_per_month", self.days_per_month, minimum=1)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.lump_sum is not None:
            data["lump_sum"] = str(self.lump_sum)
        if self.lump_sums_by_severity:
            data["lump_sums_by_severity"] = {severity: str(amount) for severity, amount in self.lump_sums_by_severity}
        if self.lump_sum_bands:
            data["lump_sum_bands"] = [
                {"upto": None if band.upto is None else str(band.upto), "amount": str(band.amount)}
                for band in self.lump_sum_bands
            ]
        if self.monthly_allowance is not None:
            data["monthly_allowance"] = str(self.monthly_allowance)
            data["allowance_months"] = self.allowance_months
        data["days_per_month"] = self.days_per_month
        return data


@dataclass(frozen=True)
class Death:
    """What a death claim pays: a condolence, or a top-up of the period's payouts to a total; with
    both, the larger of the two."""

    condolence: Decimal | None = None
    top_up_to: Decimal | None = None

    def __post_init__(self) -> None:
        if self.condolence is None and self.top_up_to is None:
            raise ScheduleError(_("death pays nothing: give condolence, top_up_to or both."))
        if self.condolence is not None:
            _check_amount("death.condolence", self.condolence)
        if self.top_up_to is not None:
            _check_amount("death.top_up_to", self.top_up_to)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.condolence is not None:
            data["condolence"] = str(self.condolence)
        if self.top_up_to is not None:
            data["top_up_to"] = str(self.top_up_to)
        return data


_CONDITIONS = ("admission_order", "admission_order_from", "member_category")


@dataclass(frozen=True)
class Conditions:
    """When a variant applies; every condition given must hold (None: not a condition)."""

    admission_order: tuple[int, ...] | None = None
    admission_order_from: int | None = None
    member_category: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if all(getattr(self, name) is None for name in _CONDITIONS):
            raise ScheduleError(
                _(
                    "when has no condition, so the variant would replace the rules for every claim: add "
                    "admission_order, admission_order_from or member_category, or move its set fields to the top "
                    "level."
                )
            )
        for name in ("admission_order", "member_category"):
            values = getattr(self, name)
            if values is not None and not values:
                raise ScheduleError(
                    _("when.%(name)s must list at least one value: add one or remove the condition.") % {"name": name}
                )
        for order in self.admission_order or ():
            _check_count("when.admission_order", order, minimum=1)
        if self.admission_order_from is not None:
            _check_count("when.admission_order_from", self.admission_order_from, minimum=1)
        for category in self.member_category or ():
            if not isinstance(category, str) or not category.strip():
                raise ScheduleError(
                    _("when.member_category has an empty category: name each member category, such as retired.")
                )

    def matches(self, claim: Claim) -> bool:
        if self.admission_order is not None and claim.admission_order not in self.admission_order:
            return False
        if self.admission_order_from is not None and claim.admission_order < self.admission_order_from:
            return False
        return self.member_category is None or claim.member_category in self.member_category

    def describe(self) -> str:
        """The conditions as words for the settlement line that says which rules applied."""
        parts = []
        if self.admission_order is not None:
            parts.append(_("admission no. %(orders)s in the period") % {"orders": _listing(self.admission_order)})
        if self.admission_order_from is not None:
            parts.append(_("admission no. %(order)s or later in the period") % {"order": self.admission_order_from})
        if self.member_category is not None:
            parts.append(_("member category %(categories)s") % {"categories": _listing(self.member_category)})
        text = parts[0]
        for part in parts[1:]:
            text = _("%(first)s and %(second)s") % {"first": text, "second": part}
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.admission_order is not None:
            data["admission_order"] = list(self.admission_order)
        if self.admission_order_from is not None:
            data["admission_order_from"] = self.admission_order_from
        if self.member_category is not None:
            data["member_category"] = list(self.member_category)
        return data


@dataclass(frozen=True)
class Variant:
    """Rules for some claims only (the 2nd admission, retired members…): `set` holds parsed
    schedule fields, as (name, value) pairs, that replace the schedule's own for a matching claim."""

    when: Conditions
    set: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"when": self.when.to_dict(), "set": {name: _dump(name, value) for name, value in self.set}}


_AMOUNT_FIELDS = (
    "deductible_ratio",
    "plan_deductible",
    "cap_per_share_per_period",
    "cap_per_period",
    "minimum_payout",
    "daily_allowance",
    "allowance_max_amount",
)
_NULLABLE_AMOUNTS = frozenset({"cap_per_share_per_period", "cap_per_period", "allowance_max_amount"})
_INT_FIELDS = ("allowance_from_day", "allowance_max_days", "max_claims_per_period", "waiting_days")
_NULLABLE_INTS = frozenset({"allowance_max_days", "max_claims_per_period"})
_BOOL_FIELDS = ("allowance_per_share", "caps_include_allowance", "multiply_by_shares")
_FIELDS = frozenset(
    {
        "segments",
        "segment_mode",
        *_AMOUNT_FIELDS,
        "allowance_by_membership_year",
        *_INT_FIELDS,
        *_BOOL_FIELDS,
        "rounding",
        "covered_care",
        "threshold_basis",
        "variants",
        "critical_illness",
        "death",
    }
)


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
        _check_segments(self.segments)
        if self.segment_mode not in SEGMENT_MODES:
            raise ScheduleError(
                _("Unknown segment_mode %(value)s: use progressive or band.") % {"value": self.segment_mode}
            )
        if self.rounding not in _ROUNDING:
            raise ScheduleError(
                _("Unknown rounding %(value)s: use fen_half_up, jiao_half_up, yuan_half_up or yuan_down.")
                % {"value": self.rounding}
            )
        _check_ratio("deductible_ratio", self.deductible_ratio)
        for name in _AMOUNT_FIELDS[1:]:
            value = getattr(self, name)
            if value is not None:
                _check_amount(name, value)
        for amount in self.allowance_by_membership_year:
            _check_amount("allowance_by_membership_year", amount)
        _check_count("allowance_from_day", self.allowance_from_day, minimum=1)
        if self.allowance_max_days is not None:
            _check_count("allowance_max_days", self.allowance_max_days, minimum=0)
        if self.max_claims_per_period is not None:
            _check_count("max_claims_per_period", self.max_claims_per_period, minimum=1)
        _check_count("waiting_days", self.waiting_days, minimum=0)
        for name in _BOOL_FIELDS:
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
                raise _in_variant(number, error) from None

    def _check_care(self) -> None:
        if not self.covered_care:
            raise ScheduleError(_("covered_care must name at least one care type: add inpatient or another."))
        for care in self.covered_care:
            if care not in CARE_TYPES:
                raise ScheduleError(
                    _("Unknown care type %(value)s in covered_care: use %(known)s.")
                    % {"value": care, "known": _listing(CARE_TYPES)}
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
            if name not in _FIELDS:
                raise _unknown_field(name)
        return replace(self, variants=(), **dict(variant.set))

    def for_claim(self, claim: Claim) -> tuple[int | None, Schedule]:
        """The number of the first variant that matches the claim (None: none), and the rules it makes."""
        for number, variant in enumerate(self.variants, start=1):
            if variant.when.matches(claim):
                return number, self._apply(variant)
        return None, self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Build a schedule from the JSON stored with a plan; unknown fields are refused because a
        misspelt field silently ignored would pay members by the wrong rule."""
        return cls(**_parse_fields(data))

    def to_dict(self) -> dict[str, Any]:
        """The schedule as JSON-able data (amounts as strings) that `from_dict` reads back to an
        equal schedule; every field is written, so a later change of default cannot re-rate it."""
        return {name: _dump(name, getattr(self, name)) for name in _FIELD_ORDER}


_FIELD_ORDER: tuple[str, ...] = tuple(Schedule.__dataclass_fields__)


def _unknown_field(name: str) -> ScheduleError:
    return ScheduleError(
        _("Unknown field %(name)s in the schedule: check its spelling against the schedule fields.") % {"name": name}
    )


def _in_variant(number: int, error: ScheduleError) -> ScheduleError:
    return ScheduleError(_("variants, item %(number)s: %(message)s") % {"number": number, "message": error.message})


def _dump(name: str, value: Any) -> Any:
    """One schedule field as JSON: Decimals as strings so that no float ever holds money."""
    if value is None:
        return None
    if name == "segments":
        return [{"upto": None if s.upto is None else str(s.upto), "ratio": str(s.ratio)} for s in value]
    if name == "allowance_by_membership_year":
        return [str(amount) for amount in value]
    if name == "covered_care":
        return list(value)
    if name == "variants":
        return [variant.to_dict() for variant in value]
    if isinstance(value, CriticalIllness | Death):
        return value.to_dict()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- Parsing JSON ------------------------------------------------------------------------------


def _parse_fields(data: object) -> dict[str, Any]:
    """The keyword arguments of a `Schedule` (or of a variant's `set`) from JSON."""
    if not isinstance(data, Mapping):
        raise ScheduleError(_("The schedule must be a JSON object of field names and values: check the schedule."))
    for name in data:
        if name not in _FIELDS:
            raise _unknown_field(name)
    kwargs: dict[str, Any] = {}
    if "segments" in data:
        kwargs["segments"] = _parse_segments(data["segments"])
    for name in _AMOUNT_FIELDS:
        if name in data:
            value = data[name]
            kwargs[name] = None if (value is None and name in _NULLABLE_AMOUNTS) else _parse_decimal(name, value)
    if "allowance_by_membership_year" in data:
        years = data["allowance_by_membership_year"]
        if years is None:
            years = []
        if not isinstance(years, list | tuple):
            raise ScheduleError(
                _(
                    "allowance_by_membership_year must be a list of daily amounts, one for each membership year: "
                    "check the schedule."
                )
            )
        kwargs["allowance_by_membership_year"] = tuple(
            _parse_decimal("allowance_by_membership_year", amount) for amount in years
        )
    for name in _INT_FIELDS:
        if name in data:
            value = data[name]
            kwargs[name] = None if (value is None and name in _NULLABLE_INTS) else _parse_int(name, value)
    for name in ("segment_mode", "rounding", "threshold_basis", *_BOOL_FIELDS):
        if name in data:
            kwargs[name] = data[name]
    if "covered_care" in data:
        care = data["covered_care"]
        if not isinstance(care, list | tuple) or not all(isinstance(item, str) for item in care):
            raise ScheduleError(
                _("covered_care must be a list of care types, such as inpatient and dialysis: check the schedule.")
            )
        kwargs["covered_care"] = tuple(care)
    if "critical_illness" in data:
        kwargs["critical_illness"] = _parse_critical_illness(data["critical_illness"])
    if "death" in data:
        kwargs["death"] = _parse_death(data["death"])
    if "variants" in data:
        kwargs["variants"] = _parse_variants(data["variants"])
    return kwargs


def _parse_decimal(name: str, value: object) -> Decimal:
    """Accept numbers as JSON gives them; a float goes through its shortest text (0.8 → "0.8")
    so that no binary artefact such as 0.8000000000000000444 reaches the money arithmetic."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ScheduleError(_("%(name)s must be an amount such as 5000 or 0.8: check the value.") % {"name": name})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ScheduleError(_("%(name)s must be an amount such as 5000 or 0.8: check the value.") % {"name": name})
    return number


def _parse_int(name: str, value: object) -> int:
    """Day numbers and claim counts are whole numbers; 3.0 from a spreadsheet export is accepted."""
    try:
        number = None if isinstance(value, bool) else _parse_decimal(name, value)
    except ScheduleError:
        number = None
    if number is None or number != number.to_integral_value():
        raise ScheduleError(_("%(name)s must be a whole number: check the value.") % {"name": name})
    return int(number)


def _parse_segments(value: object) -> tuple[Segment, ...]:
    """Segments are written as [{"upto": 5000, "ratio": 0.5}, …, {"upto": null, "ratio": 0.7}]."""
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("segments must be a list of entries with upto and ratio: check the schedule."))
    segments = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping) or set(entry) != {"upto", "ratio"}:
            raise ScheduleError(
                _("Segment %(number)s must have exactly the fields upto and ratio: check the schedule.")
                % {"number": number}
            )
        upto = None if entry["upto"] is None else _parse_decimal("upto", entry["upto"])
        segments.append(Segment(upto=upto, ratio=_parse_decimal("ratio", entry["ratio"])))
    return tuple(segments)


def _check_keys(section: str, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for name in data:
        if name not in known:
            raise ScheduleError(
                _("Unknown field %(name)s in %(section)s: use %(known)s.")
                % {"name": name, "section": section, "known": _listing(known)}
            )


_CRITICAL_ILLNESS_KEYS = (
    "lump_sum",
    "lump_sums_by_severity",
    "lump_sum_bands",
    "monthly_allowance",
    "allowance_months",
    "days_per_month",
)


def _parse_critical_illness(value: object) -> CriticalIllness | None:
    """{"lump_sum": 3000, "monthly_allowance": 1000, "allowance_months": 6}, or with
    "lump_sums_by_severity": {"severe": 5000} or "lump_sum_bands": [{"upto": 10000, "amount": 2000}, …]."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScheduleError(
            _("critical_illness must be an object such as one with lump_sum, or null: check the schedule.")
        )
    _check_keys("critical_illness", value, _CRITICAL_ILLNESS_KEYS)
    kwargs: dict[str, Any] = {}
    for name in ("lump_sum", "monthly_allowance"):
        if value.get(name) is not None:
            kwargs[name] = _parse_decimal(f"critical_illness.{name}", value[name])
    for name in ("allowance_months", "days_per_month"):
        if value.get(name) is not None:
            kwargs[name] = _parse_int(f"critical_illness.{name}", value[name])
    severities = value.get("lump_sums_by_severity")
    if severities is not None:
        if not isinstance(severities, Mapping) or not severities:
            raise ScheduleError(
                _(
                    "critical_illness.lump_sums_by_severity must be an object of severities and amounts, such as "
                    "severe 5000 and mild 2000: check the schedule."
                )
            )
        kwargs["lump_sums_by_severity"] = tuple(
            (str(severity), _parse_decimal(f"critical_illness.lump_sums_by_severity.{severity}", amount))
            for severity, amount in severities.items()
        )
    bands = value.get("lump_sum_bands")
    if bands is not None:
        kwargs["lump_sum_bands"] = _parse_bands(bands)
    return CriticalIllness(**kwargs)


def _parse_bands(value: object) -> tuple[Band, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ScheduleError(
            _(
                "critical_illness.lump_sum_bands must be a list of entries with upto and amount, the last with "
                "upto null: check the schedule."
            )
        )
    bands = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping) or set(entry) != {"upto", "amount"}:
            raise ScheduleError(
                _(
                    "critical_illness.lump_sum_bands, band %(number)s must have exactly the fields upto and amount: "
                    "check the schedule."
                )
                % {"number": number}
            )
        upto = None if entry["upto"] is None else _parse_decimal("critical_illness.lump_sum_bands.upto", entry["upto"])
        amount = _parse_decimal("critical_illness.lump_sum_bands.amount", entry["amount"])
        bands.append(Band(upto=upto, amount=amount))
    return tuple(bands)


def _parse_death(value: object) -> Death | None:
    """{"condolence": 3000} and/or {"top_up_to": 10000}."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScheduleError(
            _("death must be an object with condolence, top_up_to or both, or null: check the schedule.")
        )
    _check_keys("death", value, ("condolence", "top_up_to"))
    return Death(
        **{
            name: _parse_decimal(f"death.{name}", value[name])
            for name in ("condolence", "top_up_to")
            if value.get(name) is not None
        }
    )


def _parse_variants(value: object) -> tuple[Variant, ...]:
    """[{"when": {"admission_order": [2]}, "set": {"segments": […]}}, …]: the first that matches wins."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("variants must be a list of entries with when and set: check the schedule."))
    variants = []
    for number, entry in enumerate(value, start=1):
        try:
            variants.append(_parse_variant(entry))
        except ScheduleError as error:
            raise _in_variant(number, error) from None
    return tuple(variants)


def _parse_variant(entry: object) -> Variant:
    if not isinstance(entry, Mapping) or set(entry) != {"when", "set"}:
        raise ScheduleError(_("a variant must have exactly the fields when and set: check the schedule."))
    when, changes = entry["when"], entry["set"]
    if not isinstance(when, Mapping):
        raise ScheduleError(_("when must be an object of conditions, such as admission_order: check the schedule."))
    _check_keys("when", when, _CONDITIONS)
    conditions: dict[str, Any] = {}
    for name in ("admission_order", "member_category"):
        if name not in when:
            continue
        values = when[name]
        if not isinstance(values, list | tuple):
            raise ScheduleError(
                _("when.%(name)s must be a list, such as %(example)s: check the value.")
                % {"name": name, "example": "[2]" if name == "admission_order" else '["retired"]'}
            )
        if name == "admission_order":
            conditions[name] = tuple(_parse_int("when.admission_order", order) for order in values)
        else:
            if not all(isinstance(category, str) for category in values):
                raise ScheduleError(
                    _("when.%(name)s must be a list, such as %(example)s: check the value.")
                    % {"name": name, "example": '["retired"]'}
                )
            conditions[name] = tuple(values)
    if "admission_order_from" in when:
        conditions["admission_order_from"] = _parse_int("when.admission_order_from", when["admission_order_from"])
    if not isinstance(changes, Mapping):
        raise ScheduleError(_("set must be an object of schedule fields and their values: check the schedule."))
    if "variants" in changes:
        raise ScheduleError(_("set cannot contain variants: list every variant at the top level."))
    return Variant(when=Conditions(**conditions), set=tuple(_parse_fields(changes).items()))


# --- Validation --------------------------------------------------------------------------------


def _check_amount(name: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ScheduleError(_("%(name)s must be an amount such as 5000 or 0.8: check the value.") % {"name": name})
    if value < 0:
        raise ScheduleError(_("%(name)s must not be negative: enter 0 or a positive amount.") % {"name": name})


def _check_ratio(name: str, value: object) -> None:
    _check_amount(name, value)
    if isinstance(value, Decimal) and value > ONE:
        raise ScheduleError(
            _("%(name)s must be a ratio between 0 and 1, such as 0.8 for 80 percent: check the value.") % {"name": name}
        )


def _check_count(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(_("%(name)s must be a whole number: check the value.") % {"name": name})
    if value < minimum:
        raise ScheduleError(
            _("%(name)s must be %(minimum)s or more: check the value.") % {"name": name, "minimum": minimum}
        )


def _check_segments(segments: tuple[Segment, ...]) -> None:
    """Segments must tile the whole self-paid amount: ascending limits, no two with the same
    limit, and an open-ended last one, so every amount falls in exactly one segment."""
    previous: Decimal = ZERO
    for number, segment in enumerate(segments, start=1):
        _check_ratio("ratio", segment.ratio)
        if segment.upto is None:
            if number != len(segments):
                raise ScheduleError(
                    _("Only the last segment may be open-ended (upto null): give segment %(number)s an upper limit.")
                    % {"number": number}
                )
            continue
        _check_amount("upto", segment.upto)
        if segment.upto <= 0:
            raise ScheduleError(_("Segment %(number)s must end above 0 yuan: check its upto.") % {"number": number})
        if segment.upto < previous:
            raise ScheduleError(
                _("Segment %(number)s ends below the segment before it: list the segments in ascending order of upto.")
                % {"number": number}
            )
        if segment.upto == previous:
            raise ScheduleError(
                _(
                    "Segment %(number)s ends at the same amount as the segment before it, so the two overlap: "
                    "merge them or change one upto."
                )
                % {"number": number}
            )
        previous = segment.upto
    if segments and segments[-1].upto is not None:
        raise ScheduleError(
            _(
                "The last segment must be open-ended (upto null) so that every amount falls in a segment: "
                "set its upto to null."
            )
        )


def _check_bands(bands: tuple[Band, ...]) -> None:
    """Lump-sum bands tile the self-paid amount like segments do, for the same reason."""
    previous: Decimal = ZERO
    for number, band in enumerate(bands, start=1):
        if band.upto is None:
            if number != len(bands):
                raise ScheduleError(
                    _(
                        "critical_illness.lump_sum_bands: only the last band may be open-ended (upto null): give "
                        "band %(number)s an upper limit."
                    )
                    % {"number": number}
                )
            continue
        _check_amount("critical_illness.lump_sum_bands.upto", band.upto)
        if band.upto <= 0:
            raise ScheduleError(
                _("critical_illness.lump_sum_bands, band %(number)s must end above 0 yuan: check its upto.")
                % {"number": number}
            )
        if band.upto <= previous:
            raise ScheduleError(
                _(
                    "critical_illness.lump_sum_bands, band %(number)s does not end above the band before it: list "
                    "the bands in ascending order of upto, each with its own upto."
                )
                % {"number": number}
            )
        previous = band.upto
    if bands and bands[-1].upto is not None:
        raise ScheduleError(
            _(
                "critical_illness.lump_sum_bands: the last band must be open-ended (upto null) so that every "
                "self-paid amount falls in a band: set its upto to null."
            )
        )


# --- Claim and result --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The figures of one claim that the rules need; the caller reads them from the claim file.

    `self_paid_before_in_period` (the member's self-paid amounts of earlier claims in the period)
    matters only with `threshold_basis` cumulative; `severity` and `illness_days` only for
    critical illness; `admission_order` and `member_category` only for variants.
    """

    self_paid: Decimal = ZERO
    days_in_hospital: int = 0
    shares: int = 1
    deductible_part: Decimal = ZERO
    membership_year: int = 1
    paid_before_in_period: Decimal = ZERO
    claims_before_in_period: int = 0
    care_type: str = "inpatient"
    days_since_cover_start: int = LONG_COVERED
    self_paid_before_in_period: Decimal = ZERO
    admission_order: int = 1
    member_category: str = ""
    severity: str = ""
    illness_days: int = 0

    def __post_init__(self) -> None:
        # Programming errors, not office input: plain English ValueErrors.
        for name in ("self_paid", "deductible_part", "paid_before_in_period", "self_paid_before_in_period"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a non-negative Decimal, not {value!r}")
        for name, minimum in (
            ("days_in_hospital", 0),
            ("shares", 1),
            ("membership_year", 1),
            ("claims_before_in_period", 0),
            ("days_since_cover_start", 0),
            ("admission_order", 1),
            ("illness_days", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an int of at least {minimum}, not {value!r}")
        if self.care_type not in CARE_TYPES:
            raise ValueError(f"care_type must be one of {CARE_TYPES}, not {self.care_type!r}")
        for name in ("member_category", "severity"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a str")


@dataclass(frozen=True)
class Line:
    """One item of the settlement form: what it is, and what it adds to (or takes off) the payout."""

    label: str
    amount: Decimal


@dataclass(frozen=True)
class Result:
    """The payout and its explanation; `cap_left_after` is None when the schedule has no cap."""

    payout: Decimal
    lines: list[Line] = field(default_factory=list)
    cap_left_after: Decimal | None = None
    refused_reason: str | None = None


# --- Calculation -------------------------------------------------------------------------------


def period_cap(schedule: Schedule, shares: int) -> Decimal | None:
    """The member's cap for the period: the lower of the per-share cap × shares and the flat cap."""
    caps = []
    if schedule.cap_per_share_per_period is not None:
        caps.append(schedule.cap_per_share_per_period * shares)
    if schedule.cap_per_period is not None:
        caps.append(schedule.cap_per_period)
    return min(caps) if caps else None


def _segment_lines(schedule: Schedule, base: Decimal) -> list[tuple[str, Decimal]]:
    """(label, unrounded amount) for the self-paid amount after the plan deductible."""
    parts: list[tuple[str, Decimal]] = []
    low = ZERO
    for segment in schedule.segments:
        high = segment.upto
        if schedule.segment_mode == "progressive":
            if base <= low:
                break
            portion = base - low if high is None else min(base, high) - low
            if high is None and low == ZERO:  # one flat ratio on the whole self-paid amount
                label = _("Self-paid amount × %(ratio)s") % {"ratio": _percent(segment.ratio)}
            elif high is None:
                label = _("Self-paid part above %(low)s yuan × %(ratio)s") % {
                    "low": _yuan(low),
                    "ratio": _percent(segment.ratio),
                }
            else:
                label = _("Self-paid %(low)s–%(high)s yuan part × %(ratio)s") % {
                    "low": _yuan(low),
                    "high": _yuan(high),
                    "ratio": _percent(segment.ratio),
                }
            parts.append((label, portion * segment.ratio))
        elif high is None or base <= high:
            if base > 0:
                values = {"amount": _yuan(base), "low": _yuan(low), "ratio": _percent(segment.ratio)}
                if high is None:
                    label = (
                        _("Whole self-paid amount of %(amount)s yuan (band above %(low)s yuan) × %(ratio)s") % values
                    )
                else:
                    values["high"] = _yuan(high)
                    label = (
                        _("Whole self-paid amount of %(amount)s yuan (band %(low)s–%(high)s yuan) × %(ratio)s") % values
                    )
                parts.append((label, base * segment.ratio))
            break
        low = high if high is not None else low
    return parts


def _cumulative_lines(schedule: Schedule, claim: Claim) -> tuple[list[str], list[tuple[str, Decimal]]]:
    """Notes and (label, unrounded amount) when thresholds apply to the period's cumulative
    self-paid amount: this claim pays f(before + this) − f(before), which for progressive segments
    is, slice by slice, the part of the slice that this claim's self-paid amount fills."""
    before, this = claim.self_paid_before_in_period, claim.self_paid
    total = before + this
    notes = [
        _("Cumulative self-paid in the period %(total)s yuan, of which this claim %(amount)s yuan")
        % {"total": _yuan(total), "amount": _yuan(this)}
    ]
    deductible = schedule.plan_deductible
    if deductible > 0:
        taken = min(deductible, total) - min(deductible, before)
        notes.append(
            _(
                "Plan deductible on the cumulative self-paid amount: the first %(amount)s yuan in the period is not "
                "paid, %(taken)s yuan of it in this claim"
            )
            % {"amount": _yuan(deductible), "taken": _yuan(taken)}
        )
    start, end = max(ZERO, before - deductible), max(ZERO, total - deductible)
    parts: list[tuple[str, Decimal]] = []
    low = ZERO
    for segment in schedule.segments:
        high = segment.upto
        portion = (end if high is None else min(end, high)) - max(start, low)
        if portion > 0:
            values = {"portion": _yuan(portion), "low": _yuan(low), "ratio": _percent(segment.ratio)}
            if high is None and low == ZERO:
                label = _("Self-paid %(portion)s yuan of this claim × %(ratio)s") % values
            elif high is None:
                label = (
                    _("Cumulative self-paid part above %(low)s yuan: %(portion)s yuan of this claim × %(ratio)s")
                    % values
                )
            else:
                values["high"] = _yuan(high)
                label = (
                    _("Cumulative self-paid %(low)s–%(high)s yuan part: %(portion)s yuan of this claim × %(ratio)s")
                    % values
                )
            parts.append((label, portion * segment.ratio))
        if high is None:
            break
        low = high
    return notes, parts


def _medical_lines(schedule: Schedule, claim: Claim) -> tuple[list[str], list[tuple[str, Decimal]]]:
    """Notes (lines of 0 yuan) and (label, unrounded amount) of the medical part of a claim."""
    if schedule.threshold_basis == "cumulative":
        notes, parts = _cumulative_lines(schedule, claim)
    else:
        notes = []
        base = claim.self_paid
        if schedule.plan_deductible > 0:
            notes.append(
                _("Plan deductible: the first %(amount)s yuan of the self-paid amount is not paid")
                % {"amount": _yuan(schedule.plan_deductible)}
            )
            base -= min(schedule.plan_deductible, claim.self_paid)
        parts = _segment_lines(schedule, base)
    if claim.deductible_part > 0 and schedule.deductible_ratio > 0:
        label = _("Hospital deductible part of %(amount)s yuan × %(ratio)s") % {
            "amount": _yuan(claim.deductible_part),
            "ratio": _percent(schedule.deductible_ratio),
        }
        parts.append((label, claim.deductible_part * schedule.deductible_ratio))
    return notes, parts


def _allowance(schedule: Schedule, claim: Claim) -> tuple[str, Decimal] | None:
    """The hospital allowance: a daily rate (by membership year if the schedule says so) for the
    days from `allowance_from_day` on, at most `allowance_max_days` of them."""
    if schedule.allowance_by_membership_year:
        years = schedule.allowance_by_membership_year
        rate = years[min(claim.membership_year, len(years)) - 1]
    else:
        rate = schedule.daily_allowance
    days = max(0, claim.days_in_hospital - schedule.allowance_from_day + 1)
    if schedule.allowance_max_days is not None:
        days = min(days, schedule.allowance_max_days)
    if rate <= 0 or days <= 0:
        return None
    values = {"days": days, "rate": _yuan(rate), "from_day": schedule.allowance_from_day}
    if schedule.allowance_from_day > 1:
        label = _("Hospital allowance from day %(from_day)s: %(days)s days × %(rate)s yuan") % values
    else:
        label = _("Hospital allowance: %(days)s days × %(rate)s yuan") % values
    amount = rate * days
    if schedule.allowance_per_share and claim.shares > 1:
        label = _("%(line)s × %(shares)s shares") % {"line": label, "shares": claim.shares}
        amount *= claim.shares
    return label, amount


def _lump_sum(section: CriticalIllness, claim: Claim) -> tuple[str, Decimal] | None:
    """The critical-illness lump sum in whichever form the schedule gives it."""
    if section.lump_sum is not None:
        return _("Critical illness lump sum"), section.lump_sum
    if section.lump_sums_by_severity:
        amount = dict(section.lump_sums_by_severity)[claim.severity]
        return _("Critical illness lump sum for severity %(severity)s") % {"severity": claim.severity}, amount
    low = ZERO
    for band in section.lump_sum_bands:
        if band.upto is None or claim.self_paid <= band.upto:
            values = {"amount": _yuan(claim.self_paid), "low": _yuan(low)}
            if band.upto is None:
                label = _(
                    "Critical illness lump sum for a self-paid amount of %(amount)s yuan (band above %(low)s yuan)"
                )
            else:
                values["high"] = _yuan(band.upto)
                label = _(
                    "Critical illness lump sum for a self-paid amount of %(amount)s yuan (band %(low)s–%(high)s yuan)"
                )
            return label % values, band.amount
        low = band.upto
    return None


def _illness_allowance(section: CriticalIllness, claim: Claim) -> tuple[str, Decimal] | None:
    """monthly × min(illness_days, months × days_per_month) / days_per_month: prorated by day."""
    monthly, months = section.monthly_allowance, section.allowance_months
    if monthly is None or months is None or monthly <= 0 or claim.illness_days <= 0:
        return None
    per_month = section.days_per_month
    days = min(claim.illness_days, months * per_month)
    values = {
        "days": days,
        "illness_days": claim.illness_days,
        "months": months,
        "monthly": _yuan(monthly),
        "per_month": per_month,
    }
    if days < claim.illness_days:
        label = (
            _(
                "Critical illness allowance, limited to %(months)s months: %(days)s of %(illness_days)s days × "
                "%(monthly)s yuan a month ÷ %(per_month)s days"
            )
            % values
        )
    else:
        label = _("Critical illness allowance: %(days)s days × %(monthly)s yuan a month ÷ %(per_month)s days") % values
    return label, monthly * days / per_month


def _death_lines(schedule: Schedule, section: Death, claim: Claim) -> list[Line]:
    """The condolence, or the top-up of the period's payouts to `top_up_to`; with both, the larger."""
    rule = schedule.rounding
    factor = claim.shares if schedule.multiply_by_shares else 1
    options: list[Line] = []
    if section.condolence is not None:
        label = _("Death condolence")
        if factor > 1:
            label = _("%(line)s × %(shares)s shares") % {"line": label, "shares": factor}
        options.append(Line(label, round_money(section.condolence * factor, rule)))
    if section.top_up_to is not None:
        target = section.top_up_to * factor
        label = _("Topped up to %(target)s yuan: %(paid)s yuan already paid in the period") % {
            "target": _yuan(target),
            "paid": _yuan(claim.paid_before_in_period),
        }
        options.append(Line(label, round_money(max(ZERO, target - claim.paid_before_in_period), rule)))
    if len(options) == 1:
        return options
    condolence, top_up = options
    note = Line(
        _("The larger of the condolence of %(condolence)s yuan and the top-up of %(top_up)s yuan is paid")
        % {"condolence": _yuan(condolence.amount), "top_up": _yuan(top_up.amount)},
        round_money(ZERO, rule),
    )
    return [top_up if top_up.amount > condolence.amount else condolence, note]


def _refusal(schedule: Schedule, claim: Claim) -> str | None:
    """Why the claim is not paid at all, or None."""
    if claim.care_type not in schedule.covered_care:
        return _("Refused: the plan does not cover %(care)s (%(care_type)s); it covers %(covered)s.") % {
            "care": CARE_TYPE_LABELS[claim.care_type],
            "care_type": claim.care_type,
            "covered": _listing([CARE_TYPE_LABELS[care] for care in schedule.covered_care]),
        }
    if claim.days_since_cover_start < schedule.waiting_days:
        return _(
            "Refused: the claim falls %(days)s days after the cover started, inside the waiting period of "
            "%(waiting)s days."
        ) % {"days": claim.days_since_cover_start, "waiting": schedule.waiting_days}
    limit = schedule.max_claims_per_period
    if limit is not None and claim.claims_before_in_period >= limit:
        return _(
            "Refused: this member has already had %(count)s claims in this period, and the plan allows at most "
            "%(limit)s."
        ) % {"count": claim.claims_before_in_period, "limit": limit}
    section = schedule.critical_illness
    if claim.care_type == "critical_illness" and section is not None and section.lump_sums_by_severity:
        known = [severity for severity, _amount in section.lump_sums_by_severity]
        if claim.severity not in known:
            return _(
                "Refused: the severity %(severity)s is not in the plan's critical illness table; the known "
                "severities are %(known)s."
            ) % {"severity": claim.severity or "—", "known": _listing(known)}
    return None


def calculate(schedule: Schedule, claim: Claim) -> Result:
    """Apply `schedule` to `claim`.

    The first variant that matches the claim replaces the fields it sets. A claim of a care type
    the plan does not cover, inside the waiting period, beyond the most claims per period or of an
    unknown severity is refused. Otherwise, for medical care, as the offices apply it: the plan
    deductible comes off the self-paid amount (of this claim, or of the period so far with
    `threshold_basis` cumulative); the segments pay on what is left; the hospital deductible part
    pays at its ratio; the medical part is multiplied by the shares if the schedule says so; the
    hospital allowance is added (at most `allowance_max_amount`). A critical illness pays its lump
    sum and monthly allowance, a death its condolence or top-up. The period cap (less what was paid
    before) limits what the claim pays, allowances included if the schedule says so; a positive
    payout below the minimum is raised to it if the cap leaves room. Each line is rounded by the
    schedule's rule as it is made, so the lines add up to the payout exactly.
    """
    number, rules = schedule.for_claim(claim)
    rule = rules.rounding
    zero = round_money(ZERO, rule)
    cap = period_cap(rules, claim.shares)
    remaining = None if cap is None else max(ZERO, cap - claim.paid_before_in_period)

    reason = _refusal(rules, claim)
    if reason is not None:
        return Result(payout=zero, lines=[], cap_left_after=remaining, refused_reason=reason)

    lines: list[Line] = []
    if number is not None:
        variant = schedule.variants[number - 1]
        label = _("Rules for %(conditions)s apply (variant %(number)s)") % {
            "conditions": variant.when.describe(),
            "number": number,
        }
        lines.append(Line(label, zero))

    # `capped`: what the period cap always limits; `allowance`: what it limits if caps_include_allowance.
    capped = ZERO
    allowance = ZERO
    shares_factor = claim.shares if rules.multiply_by_shares else 1
    multiplied: list[tuple[str, Decimal]] = []
    allowance_part: tuple[str, Decimal] | None = None
    if claim.care_type in MEDICAL_CARE:
        notes, multiplied = _medical_lines(rules, claim)
        lines.extend(Line(note, zero) for note in notes)
        allowance_part = _allowance(rules, claim)
    elif claim.care_type == "critical_illness" and rules.critical_illness is not None:
        lump = _lump_sum(rules.critical_illness, claim)
        multiplied = [] if lump is None else [lump]
        allowance_part = _illness_allowance(rules.critical_illness, claim)
        if allowance_part is not None and rules.allowance_per_share and claim.shares > 1:
            label = _("%(line)s × %(shares)s shares") % {"line": allowance_part[0], "shares": claim.shares}
            allowance_part = (label, allowance_part[1] * claim.shares)
    elif claim.care_type == "death" and rules.death is not None:
        for line in _death_lines(rules, rules.death, claim):
            capped += line.amount
            lines.append(line)

    for label, amount in multiplied:
        if shares_factor > 1:
            label = _("%(line)s × %(shares)s shares") % {"line": label, "shares": shares_factor}
            amount *= shares_factor
        line = _rounded_line(label, amount, rule)
        capped += line.amount
        lines.append(line)

    if allowance_part is not None:
        line = _rounded_line(allowance_part[0], allowance_part[1], rule)
        allowance = line.amount
        lines.append(line)
        if claim.care_type in MEDICAL_CARE and rules.allowance_max_amount is not None:
            most = round_money(rules.allowance_max_amount, rule, down=True)
            if allowance > most:
                label = _("Hospital allowance limited to %(amount)s yuan for the claim") % {"amount": _yuan(most)}
                lines.append(Line(label, most - allowance))
                allowance = most

    counted = capped + allowance if rules.caps_include_allowance else capped
    room: Decimal | None = None
    if remaining is not None:
        room = round_money(remaining, rule, down=True)
        if counted > room:
            label = _("Limited to the %(amount)s yuan left under the period cap") % {"amount": _yuan(room)}
            lines.append(Line(label, room - counted))
            counted = room

    payout = sum((line.amount for line in lines), zero)
    minimum = round_money(rules.minimum_payout, rule)
    if ZERO < payout < minimum:
        top_up = minimum - payout
        if room is None or counted + top_up <= room:
            label = _("Raised to the minimum payout of %(amount)s yuan") % {"amount": _yuan(minimum)}
            lines.append(Line(label, top_up))
            payout += top_up
            counted += top_up

    cap_left_after = None if remaining is None else remaining - counted
    return Result(payout=payout, lines=lines, cap_left_after=cap_left_after)


# --- For the schedule editor -------------------------------------------------------------------


class FieldHelp(NamedTuple):
    """One row of the editor's reference table: a schedule field, what it means, a JSON example."""

    name: str
    description: Promise
    example: Any


FIELD_HELP: tuple[FieldHelp, ...] = (
    FieldHelp(
        "segments",
        gettext_lazy(
            "Ratios paid on the self-paid amount: each entry pays its ratio up to its upto in yuan, the last "
            "has upto null. Example: 50 percent up to 5,000, 60 percent up to 10,000, 70 percent above (Jinhua)."
        ),
        [{"upto": 5000, "ratio": "0.5"}, {"upto": 10000, "ratio": "0.6"}, {"upto": None, "ratio": "0.7"}],
    ),
    FieldHelp(
        "segment_mode",
        gettext_lazy(
            "progressive pays each slice of the self-paid amount at its own ratio; band pays the whole amount at "
            "the ratio of the band it falls in. Example: progressive."
        ),
        "progressive",
    ),
    FieldHelp(
        "deductible_ratio",
        gettext_lazy(
            "Ratio paid on the hospital deductible part of the settlement statement, from 0 to 1. Example: 0.5 "
            "pays half of it (Jinhua)."
        ),
        "0.5",
    ),
    FieldHelp(
        "plan_deductible",
        gettext_lazy(
            "Yuan of the self-paid amount that the plan itself does not pay, before the segments apply. "
            "Example: 500 (Quzhou before 2016)."
        ),
        500,
    ),
    FieldHelp(
        "cap_per_share_per_period",
        gettext_lazy(
            "Most paid to a member per share in one period, earlier claims included; null for none. Example: "
            "30000, so 60,000 for 2 shares (Jinhua)."
        ),
        30000,
    ),
    FieldHelp(
        "cap_per_period",
        gettext_lazy(
            "Most paid to a member in one period whatever the shares, earlier claims included; null for none. "
            "Example: 50000 (Shaoxing)."
        ),
        50000,
    ),
    FieldHelp(
        "minimum_payout",
        gettext_lazy(
            "A payout above 0 but below this amount is raised to it if the cap leaves room. Example: 50 (Quzhou)."
        ),
        50,
    ),
    FieldHelp(
        "daily_allowance",
        gettext_lazy("Hospital allowance in yuan for each day in hospital. Example: 25 (Shaoxing)."),
        25,
    ),
    FieldHelp(
        "allowance_by_membership_year",
        gettext_lazy(
            "Daily hospital allowance by the member's year of membership, the last amount for every later year; "
            "used instead of daily_allowance. Example: 10, 20 and 30 yuan (Inner Mongolia)."
        ),
        [10, 20, 30],
    ),
    FieldHelp(
        "allowance_from_day",
        gettext_lazy("The first day in hospital that earns the allowance. Example: 4 pays from the 4th day on."),
        4,
    ),
    FieldHelp(
        "allowance_max_days",
        gettext_lazy("Most days of hospital allowance in one claim; null for no limit. Example: 180."),
        180,
    ),
    FieldHelp(
        "allowance_max_amount",
        gettext_lazy("Most yuan of hospital allowance in one claim; null for no limit. Example: 3000."),
        3000,
    ),
    FieldHelp(
        "allowance_per_share",
        gettext_lazy(
            "true multiplies the hospital allowance and the critical illness monthly allowance by the member's "
            "shares. Example: false."
        ),
        False,
    ),
    FieldHelp(
        "caps_include_allowance",
        gettext_lazy("true counts the allowances against the period caps; false pays them on top. Example: true."),
        True,
    ),
    FieldHelp(
        "multiply_by_shares",
        gettext_lazy(
            "true multiplies the medical part, the lump sums and the death condolence or top-up by the member's "
            "shares. Example: false."
        ),
        False,
    ),
    FieldHelp(
        "rounding",
        gettext_lazy(
            "How each line is rounded: fen_half_up, jiao_half_up, yuan_half_up or yuan_down. Example: yuan_down "
            "drops the jiao and fen."
        ),
        "yuan_down",
    ),
    FieldHelp(
        "max_claims_per_period",
        gettext_lazy("Most claims a member may make in one period, later ones are refused; null for none. Example: 3."),
        3,
    ),
    FieldHelp(
        "covered_care",
        gettext_lazy(
            "Care types the plan pays: inpatient, outpatient_radiotherapy, outpatient_chemotherapy, dialysis, "
            "critical_illness and death. Example: inpatient and dialysis."
        ),
        ["inpatient", "dialysis"],
    ),
    FieldHelp(
        "waiting_days",
        gettext_lazy(
            "Waiting (observation) period in days from the start of cover; a claim inside it is refused. "
            "Example: 90, or 0 for none (Inner Mongolia)."
        ),
        90,
    ),
    FieldHelp(
        "threshold_basis",
        gettext_lazy(
            "per_admission applies plan_deductible and the segment limits to each claim alone; cumulative applies "
            "them to the member's self-paid total in the period. Example: cumulative."
        ),
        "cumulative",
    ),
    FieldHelp(
        "variants",
        gettext_lazy(
            "Rules for some claims only: each entry has when (admission_order, admission_order_from, "
            "member_category) and set (the fields that replace the schedule's own); the first that matches "
            "applies. Example: 60 percent from the 2nd admission in the period on."
        ),
        [{"when": {"admission_order_from": 2}, "set": {"segments": [{"upto": None, "ratio": "0.6"}]}}],
    ),
    FieldHelp(
        "critical_illness",
        gettext_lazy(
            "What a critical illness claim pays: lump_sum, lump_sums_by_severity or lump_sum_bands by self-paid "
            "amount, plus monthly_allowance for at most allowance_months months, prorated by day with "
            "days_per_month (30 if not given). Example: 3,000 plus 1,000 a month for up to 6 months (Huzhou)."
        ),
        {"lump_sum": 3000, "monthly_allowance": 1000, "allowance_months": 6},
    ),
    FieldHelp(
        "death",
        gettext_lazy(
            "What a death claim pays: condolence, and or top_up_to a total paid in the period; with both, the "
            "larger is paid. Example: a condolence of 3,000 (Shaoxing)."
        ),
        {"condolence": 3000},
    ),
)


class Preset(NamedTuple):
    """A named example schedule that the editor offers as a starting point."""

    title: Promise
    schedule: dict[str, Any]


PRESETS: dict[str, Preset] = {
    "shaoxing": Preset(
        gettext_lazy(
            "Shaoxing: 80 percent of the self-paid amount, 25 yuan a day in hospital, at most 50,000 a period"
        ),
        {
            "segments": [{"upto": None, "ratio": "0.8"}],
            "daily_allowance": 25,
            "cap_per_period": 50000,
            "rounding": "yuan_down",
        },
    ),
    "jinhua": Preset(
        gettext_lazy(
            "Jinhua: 50, 60 and 70 percent by slice of the self-paid amount, hospital deductible part at 50 percent, "
            "30,000 per share a period"
        ),
        {
            "segments": [
                {"upto": 5000, "ratio": "0.5"},
                {"upto": 10000, "ratio": "0.6"},
                {"upto": None, "ratio": "0.7"},
            ],
            "deductible_ratio": "0.5",
            "cap_per_share_per_period": 30000,
        },
    ),
    "quzhou": Preset(
        gettext_lazy("Quzhou: a payout below 50 yuan is raised to 50"),
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "minimum_payout": 50,
            "rounding": "yuan_half_up",
        },
    ),
    "inner_mongolia": Preset(
        gettext_lazy(
            "Inner Mongolia: 40 percent of the self-paid amount, 10, 20 or 30 yuan a day by membership year, at least "
            "200 a claim, outpatient radiotherapy, chemotherapy and dialysis covered"
        ),
        {
            "segments": [{"upto": None, "ratio": "0.4"}],
            "allowance_by_membership_year": [10, 20, 30],
            "minimum_payout": 200,
            "covered_care": ["inpatient", "outpatient_radiotherapy", "outpatient_chemotherapy", "dialysis"],
            "waiting_days": 0,
        },
    ),
    "huzhou_critical_illness": Preset(
        gettext_lazy("Huzhou critical illness: 3,000 on first diagnosis plus 1,000 a month for up to 6 months"),
        {
            "covered_care": ["critical_illness"],
            "critical_illness": {"lump_sum": 3000, "monthly_allowance": 1000, "allowance_months": 6},
        },
    ),
    "death_condolence": Preset(
        gettext_lazy("Death condolence: 3,000 yuan for a member who dies in the period (Shaoxing)"),
        {"covered_care": ["death"], "death": {"condolence": 3000}},
    ),
}

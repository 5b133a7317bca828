"""Benefit calculator for mutual-aid claims: a schedule of rules (data) applied to one claim.

Every region words its reimbursement rules differently (flat 80 %, progressive slices, bands, a
daily hospital allowance, caps per share, a minimum payout…). Writing code per region would make
each new region a programming job and each rule change a deployment, so the rules are a
`Schedule` — frozen data built from the JSON that the office stores with its plan — and one pure
function, `calculate`, applies any schedule to a `Claim`.

This module is pure Python on purpose: no model, no database, no clock. That keeps it testable
with property-based tests and lets the same function serve the claim form, the batch payout and
the "what would this cost" preview without side effects. Money is `Decimal` throughout, never
float, because a fen lost to binary rounding is a complaint from a member.

Each `Line` of the result is one item of the settlement form, already rounded by the schedule's
rule, and the lines add up exactly to the payout so that a member can check the sum by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from django.utils.translation import gettext as _

SegmentMode = Literal["progressive", "band"]
Rounding = Literal["fen_half_up", "jiao_half_up", "yuan_half_up", "yuan_down"]

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


def _yuan(amount: Decimal) -> str:
    """An amount for a label: thousands separators, no exponent, no needless trailing zeros."""
    return f"{amount.normalize():,f}"


def _percent(ratio: Decimal) -> str:
    """A ratio for a label, 0.8 → "80%", because the offices' rule books speak in percent."""
    return f"{(ratio * 100).normalize():f}%"


# --- Schedule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One slice (progressive) or band of the self-paid amount, up to `upto` yuan (None: no end)."""

    upto: Decimal | None
    ratio: Decimal


_AMOUNT_FIELDS = (
    "deductible_ratio",
    "plan_deductible",
    "cap_per_share_per_period",
    "cap_per_period",
    "minimum_payout",
    "daily_allowance",
)
_FIELDS = frozenset(
    {
        "segments",
        "segment_mode",
        *_AMOUNT_FIELDS,
        "allowance_by_membership_year",
        "allowance_from_day",
        "allowance_max_days",
        "allowance_per_share",
        "caps_include_allowance",
        "multiply_by_shares",
        "rounding",
        "max_claims_per_period",
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
        for name in ("allowance_per_share", "caps_include_allowance", "multiply_by_shares"):
            if not isinstance(getattr(self, name), bool):
                raise ScheduleError(_("%(name)s must be true or false: check the value.") % {"name": name})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        """Build a schedule from the JSON stored with a plan; unknown fields are refused because a
        misspelt field silently ignored would pay members by the wrong rule."""
        if not isinstance(data, Mapping):
            raise ScheduleError(_("The schedule must be a JSON object of field names and values: check the schedule."))
        for name in data:
            if name not in _FIELDS:
                raise ScheduleError(
                    _("Unknown field %(name)s in the schedule: check its spelling against the schedule fields.")
                    % {"name": name}
                )
        kwargs: dict[str, Any] = {}
        if "segments" in data:
            kwargs["segments"] = _parse_segments(data["segments"])
        for name in _AMOUNT_FIELDS:
            if name in data:
                value = data[name]
                nullable = name in ("cap_per_share_per_period", "cap_per_period")
                kwargs[name] = None if (value is None and nullable) else _parse_decimal(name, value)
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
        for name in ("allowance_from_day", "allowance_max_days", "max_claims_per_period"):
            if name in data:
                value = data[name]
                if value is None and name != "allowance_from_day":
                    kwargs[name] = None
                else:
                    kwargs[name] = _parse_int(name, value)
        for name in ("segment_mode", "rounding", "allowance_per_share", "caps_include_allowance", "multiply_by_shares"):
            if name in data:
                kwargs[name] = data[name]
        return cls(**kwargs)


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
    if isinstance(value, bool):
        raise ScheduleError(_("%(name)s must be a whole number: check the value.") % {"name": name})
    if isinstance(value, int):
        return value
    number = _parse_decimal(name, value)
    if number != number.to_integral_value():
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


# --- Claim and result --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The figures of one claim that the rules need; the caller reads them from the claim file."""

    self_paid: Decimal
    days_in_hospital: int = 0
    shares: int = 1
    deductible_part: Decimal = ZERO
    membership_year: int = 1
    paid_before_in_period: Decimal = ZERO
    claims_before_in_period: int = 0

    def __post_init__(self) -> None:
        # Programming errors, not office input: plain English ValueErrors.
        for name in ("self_paid", "deductible_part", "paid_before_in_period"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a non-negative Decimal, not {value!r}")
        for name, minimum in (("days_in_hospital", 0), ("shares", 1), ("membership_year", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an int of at least {minimum}, not {value!r}")
        if self.claims_before_in_period < 0:
            raise ValueError("claims_before_in_period must not be negative")


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


def calculate(schedule: Schedule, claim: Claim) -> Result:
    """Apply `schedule` to `claim`.

    Order, as the offices apply it: the plan deductible comes off the self-paid amount; the
    segments pay on what is left; the hospital deductible part pays at its ratio; the medical part
    is multiplied by the shares if the schedule says so; the allowance is added; the period cap
    (less what was paid before) limits the medical part, or medical part and allowance; a positive
    payout below the minimum is raised to it if the cap leaves room. Each line is rounded by the
    schedule's rule as it is made, so the lines add up to the payout exactly.
    """
    rule = schedule.rounding
    cap = period_cap(schedule, claim.shares)
    remaining = None if cap is None else max(ZERO, cap - claim.paid_before_in_period)

    limit = schedule.max_claims_per_period
    if limit is not None and claim.claims_before_in_period >= limit:
        reason = _(
            "Refused: this member has already had %(count)s claims in this period, and the plan allows at most "
            "%(limit)s."
        ) % {"count": claim.claims_before_in_period, "limit": limit}
        return Result(payout=round_money(ZERO, rule), lines=[], cap_left_after=remaining, refused_reason=reason)

    lines: list[Line] = []
    base = claim.self_paid
    if schedule.plan_deductible > 0:
        taken = min(schedule.plan_deductible, claim.self_paid)
        label = _("Plan deductible: the first %(amount)s yuan of the self-paid amount is not paid") % {
            "amount": _yuan(schedule.plan_deductible)
        }
        lines.append(Line(label, round_money(ZERO, rule)))
        base -= taken

    medical_parts = _segment_lines(schedule, base)
    if claim.deductible_part > 0 and schedule.deductible_ratio > 0:
        label = _("Hospital deductible part of %(amount)s yuan × %(ratio)s") % {
            "amount": _yuan(claim.deductible_part),
            "ratio": _percent(schedule.deductible_ratio),
        }
        medical_parts.append((label, claim.deductible_part * schedule.deductible_ratio))

    medical = ZERO
    for label, amount in medical_parts:
        if schedule.multiply_by_shares and claim.shares > 1:
            label = _("%(line)s × %(shares)s shares") % {"line": label, "shares": claim.shares}
            amount *= claim.shares
        rounded = round_money(amount, rule)
        medical += rounded
        lines.append(Line(label, rounded))

    allowance = ZERO
    allowance_part = _allowance(schedule, claim)
    if allowance_part is not None:
        allowance = round_money(allowance_part[1], rule)
        lines.append(Line(allowance_part[0], allowance))

    counted = medical + allowance if schedule.caps_include_allowance else medical
    room: Decimal | None = None
    if remaining is not None:
        room = round_money(remaining, rule, down=True)
        if counted > room:
            label = _("Limited to the %(amount)s yuan left under the period cap") % {"amount": _yuan(room)}
            lines.append(Line(label, room - counted))
            counted = room

    payout = sum((line.amount for line in lines), round_money(ZERO, rule))
    minimum = round_money(schedule.minimum_payout, rule)
    if ZERO < payout < minimum:
        top_up = minimum - payout
        if room is None or counted + top_up <= room:
            label = _("Raised to the minimum payout of %(amount)s yuan") % {"amount": _yuan(minimum)}
            lines.append(Line(label, top_up))
            payout += top_up
            counted += top_up

    cap_left_after = None if remaining is None else remaining - counted
    return Result(payout=payout, lines=lines, cap_left_after=cap_left_after)

"""`calculate`: a schedule applied to one claim's figures, giving the payout and its settlement
lines.

One pure function, with no side effect, so that the claim form, the batch payout and the editor's
preview all get the same answer. Each `Line` of the result is one item of the settlement form,
already rounded by the schedule's rule as it is made, and the lines add up exactly to the payout,
so that a member can check the sum by hand. The words of each line are in explain.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from claims.benefits import explain
from claims.benefits.money import ZERO, round_money
from claims.benefits.schedule import CARE_TYPES, MEDICAL_CARE, Schedule
from claims.benefits.sections import CriticalIllness, Death

# A claim that does not say how long its member has been covered has been covered long enough.
LONG_COVERED = 10**6

# (label, unrounded amount): a line before the schedule's rounding is applied to it.
Part = tuple[str, Decimal]


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


# --- The parts of the benefit ------------------------------------------------------------------


def period_cap(schedule: Schedule, shares: int) -> Decimal | None:
    """The member's cap for the period: the lower of the per-share cap × shares and the flat cap."""
    caps = []
    if schedule.cap_per_share_per_period is not None:
        caps.append(schedule.cap_per_share_per_period * shares)
    if schedule.cap_per_period is not None:
        caps.append(schedule.cap_per_period)
    return min(caps) if caps else None


def _rounded_line(label: str, amount: Decimal, rule: str) -> Line:
    """A line rounded by the schedule's rule; when rounding changed the amount, the label keeps
    the exact figure and says how it was rounded, so the member can redo the sum."""
    rounded = round_money(amount, rule)
    return Line(explain.rounded(label, amount, rule) if rounded != amount else label, rounded)


def _segment_parts(schedule: Schedule, base: Decimal) -> list[Part]:
    """The segments' parts of the self-paid amount after the plan deductible."""
    parts: list[Part] = []
    low = ZERO
    for segment in schedule.segments:
        high = segment.upto
        if schedule.segment_mode == "progressive":
            if base <= low:
                break
            portion = base - low if high is None else min(base, high) - low
            parts.append((explain.segment(low, high, segment.ratio), portion * segment.ratio))
        elif high is None or base <= high:
            if base > 0:
                parts.append((explain.band(base, low, high, segment.ratio), base * segment.ratio))
            break
        low = high if high is not None else low
    return parts


def _cumulative_parts(schedule: Schedule, claim: Claim) -> tuple[list[str], list[Part]]:
    """Notes and parts when thresholds apply to the period's cumulative self-paid amount: this
    claim pays f(before + this) − f(before), which for progressive segments is, slice by slice,
    the part of the slice that this claim's self-paid amount fills."""
    before, this = claim.self_paid_before_in_period, claim.self_paid
    total = before + this
    notes = [explain.cumulative_total(total, this)]
    deductible = schedule.plan_deductible
    if deductible > 0:
        notes.append(explain.cumulative_deductible(deductible, min(deductible, total) - min(deductible, before)))
    start, end = max(ZERO, before - deductible), max(ZERO, total - deductible)
    parts: list[Part] = []
    low = ZERO
    for segment in schedule.segments:
        high = segment.upto
        portion = (end if high is None else min(end, high)) - max(start, low)
        if portion > 0:
            parts.append((explain.cumulative_segment(portion, low, high, segment.ratio), portion * segment.ratio))
        if high is None:
            break
        low = high
    return notes, parts


def _medical_parts(schedule: Schedule, claim: Claim) -> tuple[list[str], list[Part]]:
    """Notes (lines of 0 yuan) and parts of the medical part of a claim."""
    if schedule.threshold_basis == "cumulative":
        notes, parts = _cumulative_parts(schedule, claim)
    else:
        notes = []
        base = claim.self_paid
        if schedule.plan_deductible > 0:
            notes.append(explain.plan_deductible(schedule.plan_deductible))
            base -= min(schedule.plan_deductible, claim.self_paid)
        parts = _segment_parts(schedule, base)
    if claim.deductible_part > 0 and schedule.deductible_ratio > 0:
        label = explain.hospital_deductible(claim.deductible_part, schedule.deductible_ratio)
        parts.append((label, claim.deductible_part * schedule.deductible_ratio))
    return notes, parts


def _allowance(schedule: Schedule, claim: Claim) -> Part | None:
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
    label = explain.hospital_allowance(days, rate, schedule.allowance_from_day)
    amount = rate * days
    if schedule.allowance_per_share and claim.shares > 1:
        label = explain.times_shares(label, claim.shares)
        amount *= claim.shares
    return label, amount


def _lump_sum(section: CriticalIllness, claim: Claim) -> Part | None:
    """The critical-illness lump sum in whichever form the schedule gives it."""
    if section.lump_sum is not None:
        return explain.lump_sum(), section.lump_sum
    if section.lump_sums_by_severity:
        return explain.lump_sum_for_severity(claim.severity), dict(section.lump_sums_by_severity)[claim.severity]
    low = ZERO
    for band in section.lump_sum_bands:
        if band.upto is None or claim.self_paid <= band.upto:
            return explain.lump_sum_band(claim.self_paid, low, band.upto), band.amount
        low = band.upto
    return None


def _illness_allowance(section: CriticalIllness, claim: Claim) -> Part | None:
    """monthly × min(illness_days, months × days_per_month) / days_per_month: prorated by day."""
    monthly, months = section.monthly_allowance, section.allowance_months
    if monthly is None or months is None or monthly <= 0 or claim.illness_days <= 0:
        return None
    per_month = section.days_per_month
    days = min(claim.illness_days, months * per_month)
    label = explain.illness_allowance(days, claim.illness_days, months, monthly, per_month)
    return label, monthly * days / per_month


def _illness_parts(schedule: Schedule, section: CriticalIllness, claim: Claim) -> tuple[list[Part], Part | None]:
    """The lump sum (multiplied by the shares as the medical part is) and the monthly allowance
    (multiplied by them if `allowance_per_share`)."""
    lump = _lump_sum(section, claim)
    allowance = _illness_allowance(section, claim)
    if allowance is not None and schedule.allowance_per_share and claim.shares > 1:
        allowance = (explain.times_shares(allowance[0], claim.shares), allowance[1] * claim.shares)
    return ([] if lump is None else [lump]), allowance


def _death_lines(schedule: Schedule, section: Death, claim: Claim) -> list[Line]:
    """The condolence, or the top-up of the period's payouts to `top_up_to`; with both, the larger."""
    rule = schedule.rounding
    factor = claim.shares if schedule.multiply_by_shares else 1
    options: list[Line] = []
    if section.condolence is not None:
        label = explain.condolence()
        if factor > 1:
            label = explain.times_shares(label, factor)
        options.append(Line(label, round_money(section.condolence * factor, rule)))
    if section.top_up_to is not None:
        target = section.top_up_to * factor
        label = explain.top_up(target, claim.paid_before_in_period)
        options.append(Line(label, round_money(max(ZERO, target - claim.paid_before_in_period), rule)))
    if len(options) == 1:
        return options
    condolence, top_up = options
    note = Line(explain.larger_of(condolence.amount, top_up.amount), round_money(ZERO, rule))
    return [top_up if top_up.amount > condolence.amount else condolence, note]


def _refusal(schedule: Schedule, claim: Claim) -> str | None:
    """Why the claim is not paid at all, or None."""
    if claim.care_type not in schedule.covered_care:
        return explain.not_covered(claim.care_type, schedule.covered_care)
    if claim.days_since_cover_start < schedule.waiting_days:
        return explain.in_waiting_period(claim.days_since_cover_start, schedule.waiting_days)
    limit = schedule.max_claims_per_period
    if limit is not None and claim.claims_before_in_period >= limit:
        return explain.too_many_claims(claim.claims_before_in_period, limit)
    section = schedule.critical_illness
    if claim.care_type == "critical_illness" and section is not None and section.lump_sums_by_severity:
        known = [severity for severity, _amount in section.lump_sums_by_severity]
        if claim.severity not in known:
            return explain.unknown_severity(claim.severity, known)
    return None


# --- The settlement, step by step --------------------------------------------------------------


@dataclass
class _Tally:
    """The settlement as it is built: its lines so far, and what of them the period cap limits
    (`capped` always; `allowance` only if the schedule's caps include the allowances)."""

    zero: Decimal
    lines: list[Line] = field(default_factory=list)
    capped: Decimal = ZERO
    allowance: Decimal = ZERO

    def note(self, label: str) -> None:
        """A line of 0 yuan that says what was applied."""
        self.lines.append(Line(label, self.zero))

    def payout(self) -> Decimal:
        return sum((line.amount for line in self.lines), self.zero)


def _add_benefit(tally: _Tally, rules: Schedule, claim: Claim) -> None:
    """The lines of what the claim's care type pays, before the period cap and the minimum."""
    multiplied: list[Part] = []
    allowance: Part | None = None
    if claim.care_type in MEDICAL_CARE:
        notes, multiplied = _medical_parts(rules, claim)
        for note in notes:
            tally.note(note)
        allowance = _allowance(rules, claim)
    elif claim.care_type == "critical_illness" and rules.critical_illness is not None:
        multiplied, allowance = _illness_parts(rules, rules.critical_illness, claim)
    elif claim.care_type == "death" and rules.death is not None:
        for line in _death_lines(rules, rules.death, claim):
            tally.capped += line.amount
            tally.lines.append(line)
    factor = claim.shares if rules.multiply_by_shares else 1
    for label, amount in multiplied:
        if factor > 1:
            label, amount = explain.times_shares(label, factor), amount * factor
        line = _rounded_line(label, amount, rules.rounding)
        tally.capped += line.amount
        tally.lines.append(line)
    if allowance is not None:
        _add_allowance(tally, rules, claim, allowance)


def _add_allowance(tally: _Tally, rules: Schedule, claim: Claim, part: Part) -> None:
    """The allowance line, limited to `allowance_max_amount` for medical care."""
    line = _rounded_line(part[0], part[1], rules.rounding)
    tally.allowance = line.amount
    tally.lines.append(line)
    if claim.care_type in MEDICAL_CARE and rules.allowance_max_amount is not None:
        most = round_money(rules.allowance_max_amount, rules.rounding, down=True)
        if tally.allowance > most:
            tally.lines.append(Line(explain.allowance_limited(most), most - tally.allowance))
            tally.allowance = most


def _limit_to_cap(tally: _Tally, rules: Schedule, remaining: Decimal | None) -> tuple[Decimal, Decimal | None]:
    """What counts against the period cap after limiting it to the room left (rounded down, since
    rounding a limit up would pay more than it allows), and that room (None: no cap)."""
    counted = tally.capped + tally.allowance if rules.caps_include_allowance else tally.capped
    if remaining is None:
        return counted, None
    room = round_money(remaining, rules.rounding, down=True)
    if counted > room:
        tally.lines.append(Line(explain.cap_limited(room), room - counted))
        counted = room
    return counted, room


def _raise_to_minimum(tally: _Tally, rules: Schedule, counted: Decimal, room: Decimal | None) -> Decimal:
    """A positive payout below the minimum is raised to it if the cap leaves room; returns what
    counts against the cap afterwards."""
    payout = tally.payout()
    minimum = round_money(rules.minimum_payout, rules.rounding)
    if ZERO < payout < minimum:
        top_up = minimum - payout
        if room is None or counted + top_up <= room:
            tally.lines.append(Line(explain.minimum_raised(minimum), top_up))
            counted += top_up
    return counted


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
    zero = round_money(ZERO, rules.rounding)
    cap = period_cap(rules, claim.shares)
    remaining = None if cap is None else max(ZERO, cap - claim.paid_before_in_period)
    reason = _refusal(rules, claim)
    if reason is not None:
        return Result(payout=zero, lines=[], cap_left_after=remaining, refused_reason=reason)
    tally = _Tally(zero=zero)
    if number is not None:
        tally.note(explain.variant_applies(schedule.variants[number - 1].when, number))
    _add_benefit(tally, rules, claim)
    counted, room = _limit_to_cap(tally, rules, remaining)
    counted = _raise_to_minimum(tally, rules, counted, room)
    cap_left_after = None if remaining is None else remaining - counted
    return Result(payout=tally.payout(), lines=tally.lines, cap_left_after=cap_left_after)

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

from claims.benefits import explain, extras, refusals
from claims.benefits.facts import LONG_COVERED, Before, Claim, Earlier, base_amount, before, burden
from claims.benefits.money import ZERO, round_money
from claims.benefits.schedule import DEATH_CARE, LUMP_SUM_CARE, MEDICAL_CARE, Schedule
from claims.benefits.sections import CriticalIllness, Death, KindTerms

__all__ = ["LONG_COVERED", "Claim", "Earlier", "Line", "Result", "calculate", "period_cap"]

# (label, unrounded amount, its arithmetic): a line before the schedule's rounding is applied to it.
Part = tuple[str, Decimal, str]


@dataclass(frozen=True)
class Line:
    """One item of the settlement form: what it is, and what it adds to (or takes off) the payout."""

    label: str
    amount: Decimal


@dataclass(frozen=True)
class Result:
    """The payout and its explanation; `cap_left_after` is None when the schedule has no cap.
    `base` is the amount the kind's ratios were paid on (None: not a medical kind), `version` the
    number of the schedule version that applied (None: the schedule's own rules)."""

    payout: Decimal
    lines: list[Line] = field(default_factory=list)
    cap_left_after: Decimal | None = None
    refused_reason: str | None = None
    base: Decimal | None = None
    version: int | None = None


@dataclass(frozen=True)
class _Context:
    """What one calculation knows besides the rules: the kind's own name and what came before."""

    label: str
    custom: str
    before: Before


# --- The parts of the benefit ------------------------------------------------------------------


def period_cap(schedule: Schedule, shares: int) -> Decimal | None:
    """The member's cap for the period: the lower of the per-share cap × shares and the flat cap."""
    caps = []
    if schedule.cap_per_share_per_period is not None:
        caps.append(schedule.cap_per_share_per_period * shares)
    if schedule.cap_per_period is not None:
        caps.append(schedule.cap_per_period)
    return min(caps) if caps else None


def _rounded_line(label: str, amount: Decimal, rule: str, formula: str = "") -> Line:
    """A line rounded by the schedule's rule, with its arithmetic; when rounding changed the
    amount, the label keeps the exact figure and says how it was rounded, so the member can redo
    the sum."""
    rounded = round_money(amount, rule)
    text = explain.with_formula(label, formula)
    if rounded != amount:
        return Line(explain.rounded(text, amount, rule), rounded)
    return Line(f"{text} = {explain.money(rounded)}" if formula else text, rounded)


def _segment_parts(schedule: Schedule, base: Decimal, deducted: Decimal) -> list[Part]:
    """The segments' parts of the base after the plan deductible (`deducted` of it)."""
    parts: list[Part] = []
    low = ZERO
    single = len(schedule.segments) == 1
    for segment in schedule.segments:
        high = segment.upto
        if schedule.segment_mode == "progressive":
            if base <= low:
                break
            portion = base - low if high is None else min(base, high) - low
            if single:
                formula = explain.product_formula(base + deducted, segment.ratio, minus=deducted)
            else:
                formula = explain.product_formula(portion, segment.ratio)
            parts.append((explain.segment(low, high, segment.ratio), portion * segment.ratio, formula))
        elif high is None or base <= high:
            if base > 0:
                formula = explain.product_formula(base + deducted, segment.ratio, minus=deducted)
                parts.append((explain.band(base, low, high, segment.ratio), base * segment.ratio, formula))
            break
        low = high if high is not None else low
    return parts


def _cumulative_parts(schedule: Schedule, before: Decimal, this: Decimal) -> tuple[list[str], list[Part]]:
    """Notes and parts when thresholds apply to the period's (or year's) cumulative base: this
    claim pays f(before + this) − f(before), which for progressive segments is, slice by slice,
    the part of the slice that this claim's base fills."""
    total = before + this
    year = schedule.threshold_basis == "per_year"
    cycle = not year and schedule.settlement_cycle != "period"
    notes = [explain.cumulative_total(total, this, year=year, cycle=cycle)]
    deductible = schedule.plan_deductible
    if deductible > 0:
        taken = min(deductible, total) - min(deductible, before)
        notes.append(explain.cumulative_deductible(deductible, taken, year=year, cycle=cycle))
    start, end = max(ZERO, before - deductible), max(ZERO, total - deductible)
    parts: list[Part] = []
    low = ZERO
    for segment in schedule.segments:
        high = segment.upto
        portion = (end if high is None else min(end, high)) - max(start, low)
        if portion > 0:
            label = explain.cumulative_segment(portion, low, high, segment.ratio)
            parts.append((label, portion * segment.ratio, explain.product_formula(portion, segment.ratio)))
        if high is None:
            break
        low = high
    return notes, parts


def _covered_base(claim: Claim, base: Decimal, rules: Schedule) -> tuple[Decimal, list[str]]:
    """A stay that began before the cover, paid from the cover date: the base for the covered days."""
    if claim.days_before_cover <= 0 or rules.stay_before_cover != "from_cover_date":
        return base, []
    total = max(claim.days_in_hospital, claim.days_before_cover + 1)
    covered = total - claim.days_before_cover
    amount = base * covered / total
    notes = [explain.stay_before_cover(claim.days_before_cover, covered, total)]
    notes.append(explain.prorated_base(base, covered, total, amount))
    return amount, notes


def _medical_parts(rules: Schedule, claim: Claim, ctx: _Context) -> tuple[list[str], list[Part]]:
    """Notes (lines of 0 yuan) and parts of the medical part of a claim."""
    found, note = base_amount(rules, claim)
    base = ZERO if found is None else found
    notes = [note] if note else []
    base, prorate = _covered_base(claim, base, rules)
    notes += prorate
    if rules.threshold_basis in ("per_period", "per_year"):
        more, parts = _cumulative_parts(rules, ctx.before.base, base)
        notes += more
    else:
        deducted = min(rules.plan_deductible, base)
        if rules.plan_deductible > 0:
            notes.append(explain.plan_deductible(rules.plan_deductible))
        parts = _segment_parts(rules, base - deducted, deducted)
    if rules.base == "self_paid" and claim.deductible_part > 0 and rules.deductible_ratio > 0:
        label = explain.hospital_deductible(claim.deductible_part, rules.deductible_ratio)
        formula = explain.product_formula(claim.deductible_part, rules.deductible_ratio)
        parts.append((label, claim.deductible_part * rules.deductible_ratio, formula))
    lump = extras.band_lump_sum(rules, base)
    if lump is not None and rules.band_lump_sum_mode == "larger":
        ratio_part = sum((amount for _label, amount, _formula in parts), ZERO)
        notes.append(explain.larger_of_ratio_and_lump(ratio_part, lump[1]))
        if lump[1] > ratio_part:
            parts = [lump]
    elif lump is not None:
        parts.append(lump)
    return notes, parts


def _allowance(schedule: Schedule, claim: Claim) -> Part | None:
    """The hospital allowance: a daily rate (by membership year if the schedule says so) for the
    days from `allowance_from_day` on, at most `allowance_max_days` of them; a stay that began
    before the cover counts its covered days only, unless the plan pays it in full."""
    if schedule.allowance_by_membership_year:
        years = schedule.allowance_by_membership_year
        rate = years[min(claim.membership_year, len(years)) - 1]
    else:
        rate = schedule.daily_allowance
    stay = claim.days_in_hospital
    if schedule.stay_before_cover == "from_cover_date":
        stay = max(0, stay - claim.days_before_cover)
    days = max(0, stay - schedule.allowance_from_day + 1)
    if schedule.allowance_max_days is not None:
        days = min(days, schedule.allowance_max_days)
    if rate <= 0 or days <= 0:
        return None
    label = explain.hospital_allowance(days, rate, schedule.allowance_from_day)
    amount = rate * days
    if schedule.allowance_per_share and claim.shares > 1:
        label = explain.times_shares(label, claim.shares)
        return label, amount * claim.shares, explain.per_share_formula(amount, claim.shares)
    return label, amount, ""


def _lump_sum(section: CriticalIllness, claim: Claim, custom: str) -> Part | None:
    """The lump sum in whichever form the schedule gives it, named by its own kind."""
    if section.lump_sum is not None:
        return explain.lump_sum(custom), section.lump_sum, ""
    if section.lump_sums_by_severity:
        amount = dict(section.lump_sums_by_severity)[claim.severity]
        return explain.lump_sum_for_severity(claim.severity, custom), amount, ""
    low = ZERO
    for band in section.lump_sum_bands:
        if band.upto is None or claim.self_paid <= band.upto:
            return explain.lump_sum_band(claim.self_paid, low, band.upto), band.amount, ""
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
    return label, monthly * days / per_month, ""


def _illness_parts(
    rules: Schedule, section: CriticalIllness, claim: Claim, custom: str
) -> tuple[list[Part], Part | None]:
    """The lump sum (multiplied by the shares as the medical part is) and the monthly allowance
    (multiplied by them if `allowance_per_share`)."""
    lump = _lump_sum(section, claim, custom)
    allowance = _illness_allowance(section, claim)
    if allowance is not None and rules.allowance_per_share and claim.shares > 1:
        label, amount, _formula = allowance
        allowance = (
            explain.times_shares(label, claim.shares),
            amount * claim.shares,
            explain.per_share_formula(amount, claim.shares),
        )
    return ([] if lump is None else [lump]), allowance


def _disability_parts(rules: Schedule, claim: Claim, ctx: _Context) -> list[Part]:
    section = rules.disability
    if section is None or not 1 <= claim.disability_grade <= 10:
        return []
    ratio = section.grade_ratios[claim.disability_grade - 1]
    label = explain.disability(ctx.label, claim.disability_grade, section.sum_insured, ratio)
    return [(label, section.sum_insured * ratio, explain.product_formula(section.sum_insured, ratio))]


def _death_lines(rules: Schedule, section: Death, claim: Claim, custom: str) -> list[Line]:
    """The condolence, or the top-up of the period's payouts to `top_up_to`; with both, the larger."""
    rule = rules.rounding
    factor = claim.shares if rules.multiply_by_shares else 1
    options: list[Line] = []
    if section.condolence is not None:
        label = explain.condolence(custom)
        if factor > 1:
            formula = explain.per_share_formula(section.condolence, factor)
            total = explain.money(round_money(section.condolence * factor, rule))
            label = f"{explain.with_formula(explain.times_shares(label, factor), formula)} = {total}"
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


def _refusal(rules: Schedule, claim: Claim, ctx: _Context) -> str | None:
    """Why the claim is not paid at all, or None."""
    if claim.care_type not in rules.covered_care:
        return refusals.not_covered(claim.care_type, rules.covered_care)
    if claim.days_before_cover > 0 and rules.stay_before_cover == "not_paid":
        return refusals.not_before_cover(claim.days_before_cover)
    waiting = claim.waiting_days if rules.waiting_days is None else rules.waiting_days
    if claim.days_since_cover_start < waiting:
        return refusals.in_waiting_period(claim.days_since_cover_start, waiting)
    limit = rules.max_claims_per_period
    if limit is not None and ctx.before.count >= limit:
        return refusals.too_many_claims(ctx.before.count, limit)
    section = rules.critical_illness
    if claim.care_type in LUMP_SUM_CARE and section is not None and section.lump_sums_by_severity:
        known = [severity for severity, _amount in section.lump_sums_by_severity]
        if claim.severity not in known:
            return refusals.unknown_severity(claim.severity, known)
    if claim.care_type == "disability" and not 1 <= claim.disability_grade <= 10:
        return refusals.no_grade()
    if claim.care_type in MEDICAL_CARE and base_amount(rules, claim)[0] is None:
        return refusals.missing_total(rules.base)
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


def _add_benefit(tally: _Tally, rules: Schedule, claim: Claim, ctx: _Context) -> None:
    """The lines of what the claim's kind of care pays, before the period cap and the minimum."""
    multiplied: list[Part] = []
    allowance: Part | None = None
    if claim.care_type in MEDICAL_CARE:
        notes, multiplied = _medical_parts(rules, claim, ctx)
        for note in notes:
            tally.note(note)
        allowance = _allowance(rules, claim)
    elif claim.care_type in LUMP_SUM_CARE and rules.critical_illness is not None:
        multiplied, allowance = _illness_parts(rules, rules.critical_illness, claim, ctx.custom)
    elif claim.care_type == "disability":
        multiplied = _disability_parts(rules, claim, ctx)
    elif claim.care_type in DEATH_CARE and rules.death is not None:
        for line in _death_lines(rules, rules.death, claim, ctx.custom):
            tally.capped += line.amount
            tally.lines.append(line)
    factor = claim.shares if rules.multiply_by_shares else 1
    for label, amount, formula in multiplied:
        if factor > 1:
            label = explain.with_formula(label, formula) if formula else label
            label, formula = explain.times_shares(label, factor), explain.per_share_formula(amount, factor)
            amount *= factor
        line = _rounded_line(label, amount, rules.rounding, formula)
        tally.capped += line.amount
        tally.lines.append(line)
    if claim.care_type in MEDICAL_CARE:
        _limit_to_burden(tally, rules, claim)
    if allowance is not None:
        _add_allowance(tally, rules, claim, allowance)
    for label, amount, formula in extras.add_on_parts(rules, claim):
        line = _rounded_line(label, amount, rules.rounding, formula)
        tally.allowance += line.amount
        tally.lines.append(line)


def _limit_to_burden(tally: _Tally, rules: Schedule, claim: Claim) -> None:
    """No over-compensation: the medical part never exceeds what the member bore after the fund
    and the other payers (the hospital allowance is a living allowance, not a reimbursement)."""
    left = burden(claim)
    if left is None:
        return
    most = round_money(left[0], rules.rounding, down=True)
    if tally.capped > most:
        tally.lines.append(Line(explain.limited_to_burden(left[1], most), most - tally.capped))
        tally.capped = most


def _add_allowance(tally: _Tally, rules: Schedule, claim: Claim, part: Part) -> None:
    """The allowance line, limited to `allowance_max_amount` for medical care."""
    line = _rounded_line(part[0], part[1], rules.rounding, part[2])
    tally.allowance += line.amount
    tally.lines.append(line)
    if claim.care_type in MEDICAL_CARE and rules.allowance_max_amount is not None:
        most = round_money(rules.allowance_max_amount, rules.rounding, down=True)
        if line.amount > most:
            tally.lines.append(Line(explain.allowance_limited(most), most - line.amount))
            tally.allowance += most - line.amount


def _cycle_room(rules: Schedule, ctx: _Context) -> Decimal | None:
    """The room left under the settlement cycle's cap (None: no cycle cap)."""
    if rules.cap_per_cycle is None:
        return None
    return max(ZERO, rules.cap_per_cycle - ctx.before.cycle_paid)


def _limit_to_cap(
    tally: _Tally, rules: Schedule, remaining: Decimal | None, cycle: Decimal | None = None
) -> tuple[Decimal, Decimal | None]:
    """What counts against the period cap after limiting it to the room left under it and under
    the settlement cycle's cap (rounded down, since rounding a limit up would pay more than it
    allows), and the period's room (None: no cap)."""
    counted = tally.capped + tally.allowance if rules.caps_include_allowance else tally.capped
    if cycle is not None:
        cycle_room = round_money(cycle, rules.rounding, down=True)
        if counted > cycle_room and (remaining is None or cycle_room < remaining):
            tally.lines.append(Line(explain.cycle_cap_limited(cycle_room), cycle_room - counted))
            counted = cycle_room
    if remaining is None:
        return counted, None
    room = round_money(remaining, rules.rounding, down=True)
    if counted > room:
        tally.lines.append(Line(explain.cap_limited(room), room - counted))
        counted = room
    return counted, room


def _refusal_by_terms(dated: Schedule, rules: Schedule, claim: Claim, ctx: _Context) -> str | None:
    """Why the member may not claim the kind: eligibility, once for life, or an exclusive set of
    which another kind was paid first."""
    reason = extras.not_eligible(rules, claim, ctx.label) or extras.paid_once_already(rules, claim, ctx.label)
    if reason is not None:
        return reason
    found = extras.exclusive_paid(dated, claim)
    if found is not None and found[0].choose == "first":
        return refusals.exclusive_first(ctx.label, found[2])
    return None


def _less_exclusive(tally: _Tally, dated: Schedule, claim: Claim) -> bool:
    """An exclusive set paying the larger: what its other kinds paid in the period comes off this
    claim (never below 0). True when something came off (the minimum payout is then not raised)."""
    found = extras.exclusive_paid(dated, claim)
    if found is None or found[0].choose != "larger":
        return False
    group, paid, kinds = found
    take = min(paid, tally.payout())
    tally.lines.append(Line(explain.exclusive_less(paid, kinds, group.kinds), tally.zero - take))
    from_capped = min(take, tally.capped)
    tally.capped -= from_capped
    tally.allowance -= take - from_capped
    return True


def _raise_to_minimum(tally: _Tally, rules: Schedule, claim: Claim, counted: Decimal, room: Decimal | None) -> Decimal:
    """A positive payout below the minimum is raised to it if the cap leaves room and, for medical
    care, if the member bore that much; returns what counts against the cap afterwards."""
    payout = tally.payout()
    minimum = round_money(rules.minimum_payout, rules.rounding)
    if ZERO < payout < minimum:
        top_up = minimum - payout
        left = burden(claim) if claim.care_type in MEDICAL_CARE else None
        bore = left is None or payout - tally.allowance + top_up <= left[0]
        if bore and (room is None or counted + top_up <= room):
            tally.lines.append(Line(explain.minimum_raised(minimum), top_up))
            counted += top_up
    return counted


def _context(dated: Schedule, rules: Schedule, terms: KindTerms | None, claim: Claim) -> _Context:
    """The kind's name (`custom` "" where the standard wording of critical illness and death
    applies) and what came before the claim."""
    own = terms.label if terms is not None else ""
    label = explain.kind_label(claim.care_type, own)
    legacy = claim.care_type in ("critical_illness", "death") and not own
    return _Context(label=label, custom="" if legacy else label, before=before(dated, rules, claim))


def calculate(schedule: Schedule, claim: Claim) -> Result:
    """Apply `schedule` to `claim`.

    The version of the schedule in force on the admission date applies, then the terms of the
    claim's kind of care, then the first variant that matches the claim. A claim of a kind the
    plan does not cover, of a stay that began before cover that the plan does not pay, inside the
    waiting period, beyond the kind's most claims per period or of an unknown severity is
    refused. Otherwise, for medical care: the base the kind pays on (the self-paid amount, the
    total expense, the burden after other payers…); the plan deductible comes off it (per
    admission, or once on the period's or the calendar year's cumulative base of the kind); the
    segments pay on what is left; the medical part is multiplied by the shares if the schedule
    says so and never exceeds what the member bore after the other payers; the hospital allowance
    is added. A lump-sum kind pays its lump sum and monthly allowance, disability its grade's
    share of the sum, a death its condolence or top-up. The period cap of the kind's cap group
    (less what the group paid before) limits what the claim pays; a positive payout below the
    minimum is raised to it if the cap leaves room. Each line is rounded by the schedule's rule as
    it is made, so the lines add up to the payout exactly.
    """
    version, dated = schedule.for_date(claim.admitted_on)
    terms, kinded = dated.for_kind(claim.care_type)
    number, rules = kinded.for_claim(claim)
    ctx = _context(dated, rules, terms, claim)
    zero = round_money(ZERO, rules.rounding)
    cap = period_cap(rules, claim.shares)
    remaining = None if cap is None else max(ZERO, cap - ctx.before.paid)
    reason = _refusal(rules, claim, ctx) or _refusal_by_terms(dated, rules, claim, ctx)
    if reason is not None:
        return Result(payout=zero, lines=[], cap_left_after=remaining, refused_reason=reason, version=version)
    tally = _Tally(zero=zero)
    if version is not None:
        chosen = schedule.versions[version - 1]
        tally.note(explain.version_applies(version, chosen.starts_on, chosen.label))
    if dated.kinds:
        tally.note(explain.kind_applies(ctx.label))
    if number is not None:
        tally.note(explain.variant_applies(kinded.variants[number - 1].when, number))
    cycle = extras.cycle_note(rules, claim)
    if cycle is not None:
        tally.note(cycle)
    _add_benefit(tally, rules, claim, ctx)
    excluded = _less_exclusive(tally, dated, claim)
    counted, room = _limit_to_cap(tally, rules, remaining, _cycle_room(rules, ctx))
    if not excluded:
        counted = _raise_to_minimum(tally, rules, claim, counted, room)
    cap_left_after = None if remaining is None else remaining - counted
    base = base_amount(rules, claim)[0] if claim.care_type in MEDICAL_CARE else None
    return Result(payout=tally.payout(), lines=tally.lines, cap_left_after=cap_left_after, base=base, version=version)

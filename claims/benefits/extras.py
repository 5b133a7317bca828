"""The parts of a calculation that add to, exclude or limit a benefit beyond its ratios: who may
claim the kind (eligibility), a kind paid once per member for life, sets of mutually exclusive
kinds, the lump sum by band of an ordinary hospital claim, and the flat add-ons. Pure functions
that calculate.py calls at its steps, each returning the figures and the words of its lines."""

from __future__ import annotations

from decimal import Decimal

from claims.benefits import explain, refusals
from claims.benefits.facts import Claim, cycle_of
from claims.benefits.money import ZERO
from claims.benefits.schedule import MEDICAL_CARE, Schedule
from claims.benefits.terms import Exclusive

# (label, unrounded amount, its arithmetic), as calculate.Part.
Part = tuple[str, Decimal, str]


def not_eligible(rules: Schedule, claim: Claim, label: str) -> str | None:
    """Why the member may not claim this kind under the plan's eligibility, or None."""
    terms = rules.eligibility
    if terms is None:
        return None
    if terms.genders:
        if not claim.gender:
            return refusals.gender_unknown(label)
        if claim.gender not in terms.genders:
            return refusals.wrong_gender(label, terms.genders, claim.gender)
    most = terms.most_age(claim.gender)
    if terms.min_age is not None or most is not None:
        if claim.age is None:
            return refusals.age_unknown(label)
        if terms.min_age is not None and claim.age < terms.min_age:
            return refusals.too_young(label, claim.age, terms.min_age)
        if most is not None and claim.age > most:
            return refusals.too_old(label, claim.age, most, claim.gender if most != terms.max_age else "")
    if terms.min_membership_years is not None and claim.membership_year < terms.min_membership_years:
        return refusals.too_new(label, claim.membership_year, terms.min_membership_years)
    if terms.member_categories and claim.member_category not in terms.member_categories:
        return refusals.wrong_category(label, claim.member_category, terms.member_categories)
    return None


def paid_once_already(rules: Schedule, claim: Claim, label: str) -> str | None:
    """A kind paid once per member for life (critical illness): refused once it has been paid in
    any period of the plan, this one included."""
    if not rules.once_per_member:
        return None
    earlier = claim.earlier or ()
    if claim.care_type in claim.kinds_paid_before or any(
        item.care_type == claim.care_type and item.in_period and item.paid > 0 for item in earlier
    ):
        return refusals.paid_once(label)
    return None


def exclusive_set(schedule: Schedule, kind: str) -> Exclusive | None:
    for group in schedule.exclusive:
        if kind in group.kinds:
            return group
    return None


def exclusive_paid(schedule: Schedule, claim: Claim) -> tuple[Exclusive, Decimal, tuple[str, ...]] | None:
    """The claim's exclusive set, what its other kinds paid earlier in the period, and which kinds
    (None: the kind is in no set, or nothing of the set was paid)."""
    group = exclusive_set(schedule, claim.care_type)
    if group is None or claim.earlier is None:
        return None
    items = [
        item
        for item in claim.earlier
        if item.in_period and item.care_type in group.kinds and item.care_type != claim.care_type and item.paid > 0
    ]
    if not items:
        return None
    kinds = tuple(dict.fromkeys(item.care_type for item in items))
    return group, sum((item.paid for item in items), ZERO), kinds


def band_lump_sum(rules: Schedule, base: Decimal) -> Part | None:
    """The fixed amount of the band the claim's base falls in (None: no bands, or a band of 0)."""
    low = ZERO
    for band in rules.band_lump_sums:
        if band.upto is None or base <= band.upto:
            if band.amount <= 0:
                return None
            return explain.medical_band_lump_sum(base, low, band.upto, rules.base), band.amount, ""
        low = band.upto
    return None


def add_on_parts(rules: Schedule, claim: Claim) -> list[Part]:
    """The flat add-ons the claim earns: per claim, or per day in hospital."""
    parts: list[Part] = []
    for add_on in rules.add_ons:
        kinds = add_on.kinds or MEDICAL_CARE
        if claim.care_type not in kinds or (add_on.when is not None and not add_on.when.matches(claim)):
            continue
        if add_on.per == "day":
            days = claim.days_in_hospital
            if days <= 0:
                continue
            parts.append((explain.add_on_per_day(add_on.label, days, add_on.amount), add_on.amount * days, ""))
        elif add_on.amount > 0:
            parts.append((explain.add_on(add_on.label, add_on.amount), add_on.amount, ""))
    return parts


def cycle_note(rules: Schedule, claim: Claim) -> str | None:
    """A shorter settlement cycle than the period: which cycle the claim is settled in."""
    if rules.settlement_cycle == "period" or claim.admitted_on is None:
        return None
    year, number = cycle_of(claim.admitted_on, rules.settlement_cycle)
    return explain.settled_in_cycle(rules.settlement_cycle, year, number, rules.cap_per_cycle)

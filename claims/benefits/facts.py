"""The claim as the engine reads it (`Claim`, with the member's earlier claims as `Earlier`), and
the figures worked out from it before any ratio is applied: what counts as before in the period
for this kind's limits, the base the ratios are paid on, and what the member bore after the
other payers, which no payout of medical care may exceed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from claims.benefits import explain
from claims.benefits.money import ZERO
from claims.benefits.schedule import CARE_TYPES, Schedule

# A claim that does not say how long its member has been covered has been covered long enough.
LONG_COVERED = 10**6


@dataclass(frozen=True)
class Earlier:
    """One of the member's earlier accepted claims: in the period, or (`in_period` False) in
    another period of the plan in the same calendar year, which only a per_year threshold counts."""

    care_type: str
    paid: Decimal
    base: Decimal
    admitted_on: date | None = None
    in_period: bool = True


@dataclass(frozen=True)
class Claim:
    """The figures of one claim that the rules need; the caller reads them from the claim file.

    `earlier` lists the member's earlier accepted claims; with it, each kind's claim count and
    cumulative threshold count that kind's claims only, and a cap counts the kinds of its cap
    group. Without it (None) the totals `paid_before_in_period`, `claims_before_in_period` and
    `self_paid_before_in_period` are taken as this kind's. `total_cost`, `fund_paid`,
    `not_covered` and `other_payers` come from the settlement statement and the other payers'
    papers; with `total_cost` None the member's burden is unknown and not checked.
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
    admitted_on: date | None = None
    total_cost: Decimal | None = None
    fund_paid: Decimal = ZERO
    not_covered: Decimal = ZERO
    other_payers: tuple[tuple[str, Decimal], ...] = ()
    earlier: tuple[Earlier, ...] | None = None
    disability_grade: int = 0
    waiting_days: int = 0
    days_before_cover: int = 0
    gender: str = ""
    age: int | None = None
    kinds_paid_before: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Programming errors, not office input: plain English ValueErrors.
        amounts = ["self_paid", "deductible_part", "paid_before_in_period", "self_paid_before_in_period"]
        amounts += ["fund_paid", "not_covered"] + ([] if self.total_cost is None else ["total_cost"])
        for name in amounts:
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
            ("disability_grade", 0),
            ("waiting_days", 0),
            ("days_before_cover", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an int of at least {minimum}, not {value!r}")
        if self.care_type not in CARE_TYPES:
            raise ValueError(f"care_type must be one of {CARE_TYPES}, not {self.care_type!r}")
        if self.age is not None and (isinstance(self.age, bool) or not isinstance(self.age, int) or self.age < 0):
            raise ValueError(f"age must be None or an int of at least 0, not {self.age!r}")
        for name in ("member_category", "severity", "gender"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a str")
        for payer, amount in self.other_payers:
            if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                raise ValueError(f"other payer {payer} must be a non-negative Decimal, not {amount!r}")


@dataclass(frozen=True)
class Before:
    """What counts as before this claim: its kind's claims (for the kind's claim limit), the
    payouts of its cap group (for the cap), and its kind's base (for a cumulative threshold)."""

    count: int
    paid: Decimal
    base: Decimal
    cycle_paid: Decimal = ZERO


def cycle_of(day: date, cycle: str) -> tuple[int, int]:
    """The settlement cycle a date falls in: (year, month), (year, quarter) or (year, half)."""
    if cycle == "month":
        return day.year, day.month
    if cycle == "quarter":
        return day.year, (day.month - 1) // 3 + 1
    if cycle == "half_year":
        return day.year, (day.month - 1) // 6 + 1
    return 0, 0


def cap_group(schedule: Schedule, kind: str) -> str:
    terms, _rules = schedule.for_kind(kind)
    return "" if terms is None else terms.cap_group


def before(schedule: Schedule, rules: Schedule, claim: Claim) -> Before:
    """`schedule` is the dated schedule (all its kinds), `rules` this kind's rules."""
    if claim.earlier is None:
        return Before(claim.claims_before_in_period, claim.paid_before_in_period, claim.self_paid_before_in_period)
    kind = claim.care_type
    group = cap_group(schedule, kind)
    period = [item for item in claim.earlier if item.in_period]
    same_kind = [item for item in period if item.care_type == kind]
    in_group = [
        item
        for item in period
        if item.care_type == kind
        or (item.care_type in schedule.covered_care and cap_group(schedule, item.care_type) == group)
    ]
    cumulative = same_kind
    cycle_paid = ZERO
    if rules.settlement_cycle != "period" and claim.admitted_on is not None:
        # A shorter settlement cycle: the threshold and the cycle cap count this cycle's claims only.
        this_cycle = cycle_of(claim.admitted_on, rules.settlement_cycle)

        def in_cycle(item: Earlier) -> bool:
            return item.admitted_on is not None and cycle_of(item.admitted_on, rules.settlement_cycle) == this_cycle

        cumulative = [item for item in same_kind if in_cycle(item)]
        cycle_paid = sum((item.paid for item in in_group if in_cycle(item)), ZERO)
    if rules.threshold_basis == "per_year" and claim.admitted_on is not None:
        year = claim.admitted_on.year
        cumulative = [
            item
            for item in claim.earlier
            if item.care_type == kind and item.admitted_on is not None and item.admitted_on.year == year
        ]
    return Before(
        count=len(same_kind),
        paid=sum((item.paid for item in in_group), ZERO),
        base=sum((item.base for item in cumulative), ZERO),
        cycle_paid=cycle_paid,
    )


def burden(claim: Claim) -> tuple[Decimal, str] | None:
    """What the member bore after the fund and the other payers, and its arithmetic (None: the
    claim does not give its total cost)."""
    if claim.total_cost is None:
        return None
    others = [(payer, amount) for payer, amount in claim.other_payers if amount > 0]
    amount = claim.total_cost - claim.fund_paid - sum((value for _payer, value in others), ZERO)
    return max(ZERO, amount), explain.burden_formula(claim.total_cost, claim.fund_paid, others)


def base_amount(rules: Schedule, claim: Claim) -> tuple[Decimal | None, str]:
    """The base the kind's ratios are paid on, and a note of how it was found ("": the self-paid
    amount, as the settlement statement gives it). None: the claim lacks the figure it needs."""
    base, total, fund = rules.base, claim.total_cost, claim.fund_paid
    if base == "self_paid":
        return claim.self_paid, ""
    if base == "fund_paid":
        return fund, explain.base_note(base, explain.money(fund))
    if base == "whole_self_paid":
        if total is None:
            amount = claim.self_paid + claim.deductible_part + claim.not_covered
            return amount, explain.base_note(
                base, explain.sum_formula([claim.self_paid, claim.deductible_part, claim.not_covered], amount)
            )
        amount = max(ZERO, total - fund)
        return amount, explain.base_note(base, explain.difference_formula(total, [fund], amount))
    if total is None:
        return None, ""
    if base == "total_cost":
        return total, explain.base_note(base, explain.money(total))
    if base == "after_other_payers":
        left = burden(claim) or (ZERO, "")
        return left[0], explain.base_note(base, f"{left[1]} = {explain.money(left[0])}")
    ratio = rules.fund_ratio
    if not ratio:  # the schedule refuses fund_derived without fund_ratio
        return None, ""
    derived = fund / ratio - fund
    amount = min(derived, max(ZERO, total - fund))
    return amount, explain.base_note(base, explain.derived_formula(fund, ratio, total, amount))

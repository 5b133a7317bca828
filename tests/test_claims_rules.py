"""The benefit calculator of claims/benefits/: worked examples from the offices, refused schedules,
and properties that must hold for every schedule (hypothesis). Pure Python: no database."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.benefits import explain, refusals, wording
from claims.benefits.calculate import Claim, Line, Result, calculate
from claims.benefits.checks import ScheduleError
from claims.benefits.editor import FIELD_HELP, PRESETS
from claims.benefits.money import round_money
from claims.benefits.schedule import CARE_TYPES, DEATH_CARE, LUMP_SUM_CARE, MEDICAL_CARE, Schedule
from tests.translations import catalogue, chinese_of, msgids_of

ROOT = Path(__file__).resolve().parent.parent
D = Decimal


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Labels and errors in English, so that assertions do not depend on the compiled catalogue."""
    with translation.override("en"):
        yield


def _line(result: Result, starts: str) -> Line:
    matches = [line for line in result.lines if line.label.startswith(starts)]
    assert len(matches) == 1, [line.label for line in result.lines]
    return matches[0]


def _sum_lines(result: Result) -> Decimal:
    return sum((line.amount for line in result.lines), D(0))


# --- Worked examples ---------------------------------------------------------------------------


SHAOXING = {
    "segments": [{"upto": None, "ratio": "0.8"}],
    "daily_allowance": 25,
    "rounding": "yuan_down",
}


@pytest.mark.parametrize("rounding", ["yuan_down", "yuan_half_up"])
def test_shaoxing_pays_80_percent_of_self_paid_to_the_yuan_plus_25_yuan_a_day(rounding: str) -> None:
    schedule = Schedule.from_dict({**SHAOXING, "rounding": rounding})
    result = calculate(schedule, Claim(self_paid=D("2287.99"), days_in_hospital=10))
    assert _line(result, "Self-paid amount × 80.0%").amount == D("1830")
    assert _line(result, "Hospital allowance: 10 days × 25.00 yuan").amount == D("250")
    assert result.payout == D("2080")
    assert len(result.lines) == 2
    assert result.cap_left_after is None and result.refused_reason is None


JINHUA = {
    "segments": [
        {"upto": 5000, "ratio": "0.5"},
        {"upto": 10000, "ratio": "0.6"},
        {"upto": None, "ratio": "0.7"},
    ],
    "deductible_ratio": "0.5",
    "cap_per_share_per_period": 30000,
    "rounding": "fen_half_up",
}


def test_jinhua_period_2_pays_each_slice_of_self_paid_at_its_own_ratio() -> None:
    result = calculate(Schedule.from_dict(JINHUA), Claim(self_paid=D(12000)))
    assert [(line.label, line.amount) for line in result.lines] == [
        ("Self-paid 0.00–5,000.00 yuan part × 50.0%: 5,000.00 × 50.0% = 2,500.00", D("2500.00")),
        ("Self-paid 5,000.00–10,000.00 yuan part × 60.0%: 5,000.00 × 60.0% = 3,000.00", D("3000.00")),
        ("Self-paid part above 10,000.00 yuan × 70.0%: 2,000.00 × 70.0% = 1,400.00", D("1400.00")),
    ]
    assert result.payout == D("6900.00")
    assert result.cap_left_after == D("23100.00")


def test_jinhua_pays_the_hospital_deductible_part_at_half_and_caps_per_share() -> None:
    schedule = Schedule.from_dict(JINHUA)
    result = calculate(schedule, Claim(self_paid=D(12000), deductible_part=D(1000)))
    assert _line(result, "Hospital deductible part of 1,000.00 yuan × 50.0%").amount == D("500.00")
    assert result.payout == D("7400.00")

    big = calculate(schedule, Claim(self_paid=D(100000), shares=2, paid_before_in_period=D(40000)))
    # 2 shares: cap 60,000, of which 20,000 is left; the computed 2,500 + 3,000 + 63,000 = 68,500 is cut to it.
    assert big.payout == D("20000.00")
    assert _line(big, "Limited to the 20,000.00 yuan left").amount == D("20000.00") - D("68500.00")
    assert big.cap_left_after == D(0)


def test_multiply_by_shares_multiplies_the_medical_part_and_says_so() -> None:
    schedule = Schedule.from_dict({**JINHUA, "multiply_by_shares": True})
    result = calculate(schedule, Claim(self_paid=D(4000), shares=3))
    assert result.lines[0].label == (
        "Self-paid 0.00–5,000.00 yuan part × 50.0%: 4,000.00 × 50.0% × 3 shares: "
        "2,000.00 yuan/share × 3 shares = 6,000.00"
    )
    assert result.payout == D("6000.00")


def test_band_mode_pays_the_whole_amount_at_the_ratio_of_its_band() -> None:
    schedule = Schedule.from_dict(
        {"segment_mode": "band", "segments": [{"upto": 5000, "ratio": "0.5"}, {"upto": None, "ratio": "0.7"}]}
    )
    assert calculate(schedule, Claim(self_paid=D(5000))).payout == D("2500.00")
    high = calculate(schedule, Claim(self_paid=D(8000)))
    assert high.payout == D("5600.00")
    assert high.lines[0].label == (
        "Whole self-paid amount of 8,000.00 yuan (band above 5,000.00 yuan) × 70.0%: 8,000.00 × 70.0% = 5,600.00"
    )


def test_plan_deductible_comes_off_the_self_paid_amount_first() -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.6"}], "plan_deductible": 500})
    result = calculate(schedule, Claim(self_paid=D(1500)))
    assert result.payout == D("600.00")
    assert result.lines[0].amount == D("0.00")
    assert calculate(schedule, Claim(self_paid=D(300))).payout == D("0.00")


def test_quzhou_pays_at_least_50_yuan_when_something_is_due() -> None:
    schedule = Schedule.from_dict(
        {"segments": [{"upto": None, "ratio": "0.5"}], "minimum_payout": 50, "rounding": "yuan_half_up"}
    )
    small = calculate(schedule, Claim(self_paid=D(60)))
    assert small.payout == D(50)
    assert _line(small, "Raised to the minimum payout of 50.00 yuan").amount == D(20)
    assert calculate(schedule, Claim(self_paid=D(0))).payout == D(0)
    assert calculate(schedule, Claim(self_paid=D(300))).payout == D(150)


def test_minimum_payout_is_not_paid_past_the_cap() -> None:
    schedule = Schedule.from_dict(
        {"segments": [{"upto": None, "ratio": "0.5"}], "minimum_payout": 50, "cap_per_period": 1000}
    )
    result = calculate(schedule, Claim(self_paid=D(60), paid_before_in_period=D(980)))
    assert result.payout == D("20.00")
    assert result.cap_left_after == D("0.00")


def test_cap_counts_what_was_paid_before_in_the_period() -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "1"}], "cap_per_period": 10000})
    result = calculate(schedule, Claim(self_paid=D(2000), paid_before_in_period=D(9000)))
    assert result.payout == D("1000.00")
    assert result.cap_left_after == D(0)
    assert _sum_lines(result) == result.payout


def test_cap_can_leave_the_allowance_outside() -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "1"}],
            "cap_per_period": 1000,
            "daily_allowance": 20,
            "caps_include_allowance": False,
        }
    )
    result = calculate(schedule, Claim(self_paid=D(5000), days_in_hospital=5))
    assert result.payout == D("1100.00")
    assert result.cap_left_after == D(0)


def test_a_claim_beyond_the_most_claims_per_period_is_refused_with_a_reason() -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.8"}], "max_claims_per_period": 2})
    assert calculate(schedule, Claim(self_paid=D(100), claims_before_in_period=1)).payout == D("80.00")
    refused = calculate(schedule, Claim(self_paid=D(100), claims_before_in_period=2))
    assert refused.payout == D("0.00") and refused.lines == []
    assert refused.refused_reason == (
        "Refused: this member has already had 2 claims in this period, and the plan allows at most 2."
    )


@pytest.mark.parametrize(("year", "payout"), [(1, 50), (2, 100), (3, 150), (7, 150)])
def test_allowance_rate_grows_with_the_membership_year(year: int, payout: int) -> None:
    schedule = Schedule.from_dict({"allowance_by_membership_year": [10, 20, 30], "rounding": "yuan_down"})
    result = calculate(schedule, Claim(self_paid=D(0), days_in_hospital=5, membership_year=year))
    assert result.payout == D(payout)


@pytest.mark.parametrize(("days", "paid_days"), [(3, 0), (4, 1), (8, 5), (30, 10)])
def test_allowance_starts_on_day_n_and_stops_after_the_most_days(days: int, paid_days: int) -> None:
    schedule = Schedule.from_dict({"daily_allowance": 30, "allowance_from_day": 4, "allowance_max_days": 10})
    result = calculate(schedule, Claim(self_paid=D(0), days_in_hospital=days))
    assert result.payout == D(30 * paid_days).quantize(D("0.01"))
    if paid_days:
        assert result.lines[0].label == f"Hospital allowance from day 4: {paid_days} days × 30.00 yuan"


def test_allowance_per_share_multiplies_the_daily_amount() -> None:
    schedule = Schedule.from_dict({"daily_allowance": 10, "allowance_per_share": True})
    assert calculate(schedule, Claim(self_paid=D(0), days_in_hospital=3, shares=2)).payout == D("60.00")


@pytest.mark.parametrize(
    ("rule", "amount", "expected"),
    [
        ("fen_half_up", "1.005", "1.01"),
        ("jiao_half_up", "1.05", "1.1"),
        ("yuan_half_up", "1830.5", "1831"),
        ("yuan_half_up", "1830.39", "1830"),
        ("yuan_down", "1830.99", "1830"),
    ],
)
def test_round_money_rounds_to_the_unit_of_the_rule(rule: str, amount: str, expected: str) -> None:
    rounded = round_money(D(amount), rule)
    assert rounded == D(expected) and str(rounded) == expected


# --- Care types, waiting period, variants ------------------------------------------------------


INNER_MONGOLIA = PRESETS["inner_mongolia"].schedule


@pytest.mark.parametrize("care", ["outpatient_radiotherapy", "outpatient_chemotherapy", "dialysis"])
def test_inner_mongolia_pays_outpatient_radiotherapy_chemotherapy_and_dialysis(care: str) -> None:
    result = calculate(Schedule.from_dict(INNER_MONGOLIA), Claim(self_paid=D(1000), care_type=care))
    # 1,000 × 40% = 400; no day in hospital, so no allowance.
    assert result.payout == D("400.00")
    assert [line.label for line in result.lines] == ["Self-paid amount × 40.0%: 1,000.00 × 40.0% = 400.00"]


def test_inner_mongolia_pays_the_allowance_of_the_membership_year_and_at_least_200() -> None:
    schedule = Schedule.from_dict(INNER_MONGOLIA)
    # 300 × 40% = 120, plus 10 days × 20 yuan in the 2nd year = 200: 320 in all.
    assert calculate(schedule, Claim(self_paid=D(300), days_in_hospital=10, membership_year=2)).payout == D("320.00")
    # 100 × 40% = 40 is raised to the minimum of 200.
    small = calculate(schedule, Claim(self_paid=D(100)))
    assert small.payout == D("200.00")
    assert _line(small, "Raised to the minimum payout of 200.00 yuan").amount == D("160.00")


def test_a_care_type_the_plan_does_not_cover_is_refused_and_named() -> None:
    result = calculate(Schedule.from_dict(INNER_MONGOLIA), Claim(care_type="critical_illness", illness_days=30))
    assert result.payout == D("0.00") and result.lines == []
    assert result.refused_reason == (
        "Refused: the plan does not cover critical illness (critical_illness); it covers "
        "inpatient care/outpatient radiotherapy/outpatient chemotherapy/dialysis."
    )


def test_by_default_a_schedule_covers_inpatient_care_only() -> None:
    schedule = Schedule.from_dict(SHAOXING)
    assert schedule.covered_care == ("inpatient",)
    refused = calculate(schedule, Claim(self_paid=D(1000), care_type="dialysis"))
    assert refused.payout == D(0) and refused.refused_reason is not None
    assert "dialysis" in refused.refused_reason


def test_a_claim_inside_the_waiting_period_is_refused_with_the_days() -> None:
    schedule = Schedule.from_dict({**SHAOXING, "waiting_days": 90})
    refused = calculate(schedule, Claim(self_paid=D(1000), days_since_cover_start=89))
    assert refused.payout == D(0) and refused.lines == []
    assert refused.refused_reason == (
        "Refused: the claim falls 89 days after the cover started, inside the waiting period of 90 days."
    )
    # On day 90 the waiting period is over: 1,000 × 80% = 800.
    assert calculate(schedule, Claim(self_paid=D(1000), days_since_cover_start=90)).payout == D(800)
    # A claim that does not say when cover started is taken as long covered.
    assert calculate(schedule, Claim(self_paid=D(1000))).payout == D(800)


VARIANTS = {
    "segments": [{"upto": None, "ratio": "0.8"}],
    "daily_allowance": 20,
    "variants": [
        {"when": {"admission_order": [2]}, "set": {"segments": [{"upto": None, "ratio": "0.6"}]}},
        {
            "when": {"admission_order_from": 3},
            "set": {"segments": [{"upto": None, "ratio": "0.5"}], "daily_allowance": 0},
        },
        {"when": {"member_category": ["retired", "laid_off"]}, "set": {"cap_per_period": 1000}},
    ],
}


@pytest.mark.parametrize(
    ("order", "category", "payout", "first_line"),
    [
        # No variant: 1,000 × 80% + 5 days × 20 = 900.
        (1, "", "900.00", "Self-paid amount × 80.0%"),
        # 2nd admission: 1,000 × 60% + 100 = 700.
        (2, "", "700.00", "Rules for admission no. 2 in the period apply (variant 1)"),
        # 3rd and later: 1,000 × 50%, no allowance.
        (3, "", "500.00", "Rules for admission no. 3 or later in the period apply (variant 2)"),
        (7, "", "500.00", "Rules for admission no. 3 or later in the period apply (variant 2)"),
        # Retired, 1st admission: 900 fits the 1,000 cap.
        (1, "retired", "900.00", "Rules for member category retired/laid_off apply (variant 3)"),
        # Retired, 2nd admission: variant 1 comes first and wins, so no cap.
        (2, "retired", "700.00", "Rules for admission no. 2 in the period apply (variant 1)"),
    ],
)
def test_the_first_matching_variant_replaces_the_fields_it_sets_and_says_so(
    order: int, category: str, payout: str, first_line: str
) -> None:
    schedule = Schedule.from_dict(VARIANTS)
    claim = Claim(self_paid=D(1000), days_in_hospital=5, admission_order=order, member_category=category)
    result = calculate(schedule, claim)
    assert result.payout == D(payout)
    assert result.lines[0].label.startswith(first_line)
    assert _sum_lines(result) == result.payout


def test_a_variant_can_set_a_cap_for_a_member_category() -> None:
    schedule = Schedule.from_dict(VARIANTS)
    result = calculate(schedule, Claim(self_paid=D(5000), member_category="laid_off"))
    # 5,000 × 80% = 4,000, cut to the variant's cap of 1,000.
    assert result.payout == D("1000.00")
    assert result.cap_left_after == D(0)
    assert calculate(schedule, Claim(self_paid=D(5000), member_category="worker")).payout == D("4000.00")


def test_a_variant_needs_every_condition_it_gives() -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "variants": [
                {
                    "when": {"admission_order_from": 2, "member_category": ["retired"]},
                    "set": {"segments": [{"upto": None, "ratio": "0.9"}]},
                }
            ],
        }
    )
    assert calculate(schedule, Claim(self_paid=D(100), admission_order=2)).payout == D("50.00")
    assert calculate(schedule, Claim(self_paid=D(100), member_category="retired")).payout == D("50.00")
    both = calculate(schedule, Claim(self_paid=D(100), admission_order=2, member_category="retired"))
    assert both.payout == D("90.00")
    assert both.lines[0].label == (
        "Rules for admission no. 2 or later in the period and member category retired apply (variant 1)"
    )


def test_a_variant_can_change_the_care_covered() -> None:
    schedule = Schedule.from_dict(
        {
            **SHAOXING,
            "variants": [{"when": {"member_category": ["dialysis_patient"]}, "set": {"covered_care": ["dialysis"]}}],
        }
    )
    assert calculate(schedule, Claim(self_paid=D(100), care_type="dialysis")).refused_reason is not None
    paid = calculate(schedule, Claim(self_paid=D(100), care_type="dialysis", member_category="dialysis_patient"))
    assert paid.payout == D(80)


# --- Cumulative thresholds ---------------------------------------------------------------------


def test_cumulative_thresholds_pay_each_slice_of_the_period_once_across_two_claims() -> None:
    schedule = Schedule.from_dict({**JINHUA, "threshold_basis": "cumulative"})
    first = calculate(schedule, Claim(self_paid=D(7000)))
    # 0–5,000 × 50% = 2,500; 5,000–7,000 × 60% = 1,200.
    assert first.payout == D("3700.00")
    second = calculate(schedule, Claim(self_paid=D(5000), self_paid_before_in_period=D(7000)))
    # The period now stands at 12,000: 7,000–10,000 × 60% = 1,800; 10,000–12,000 × 70% = 1,400.
    assert [(line.label, line.amount) for line in second.lines] == [
        ("Cumulative self-paid in the period 12,000.00 yuan, of which this claim 5,000.00 yuan", D("0.00")),
        (
            "Cumulative self-paid 5,000.00–10,000.00 yuan part: 3,000.00 yuan of this claim × 60.0%: "
            "3,000.00 × 60.0% = 1,800.00",
            D("1800.00"),
        ),
        (
            "Cumulative self-paid part above 10,000.00 yuan: 2,000.00 yuan of this claim × 70.0%: "
            "2,000.00 × 70.0% = 1,400.00",
            D("1400.00"),
        ),
    ]
    # 3,700 + 3,200 = 6,900, what one claim of 12,000 pays.
    assert first.payout + second.payout == calculate(schedule, Claim(self_paid=D(12000))).payout == D("6900.00")
    # Per admission the second claim alone would start again at 50%: 2,500.
    assert calculate(Schedule.from_dict(JINHUA), Claim(self_paid=D(5000))).payout == D("2500.00")


def test_a_cumulative_claim_straddling_two_boundaries_pays_each_slice_at_its_ratio() -> None:
    schedule = Schedule.from_dict({**JINHUA, "threshold_basis": "cumulative"})
    result = calculate(schedule, Claim(self_paid=D(7000), self_paid_before_in_period=D(4000)))
    # 4,000–11,000: 1,000 × 50% + 5,000 × 60% + 1,000 × 70% = 500 + 3,000 + 700 = 4,200
    # = f(11,000) − f(4,000) = 6,200 − 2,000.
    assert [line.amount for line in result.lines[1:]] == [D("500.00"), D("3000.00"), D("700.00")]
    assert result.payout == D("4200.00")


def test_the_plan_deductible_applies_once_to_the_cumulative_self_paid_amount() -> None:
    schedule = Schedule.from_dict(
        {"segments": [{"upto": None, "ratio": "0.6"}], "plan_deductible": 500, "threshold_basis": "cumulative"}
    )
    first = calculate(schedule, Claim(self_paid=D(300)))
    assert first.payout == D("0.00")
    second = calculate(schedule, Claim(self_paid=D(1000), self_paid_before_in_period=D(300)))
    # 200 yuan of the deductible is left for this claim: (1,000 − 200) × 60% = 480.
    assert _line(second, "Plan deductible on the cumulative self-paid amount").label == (
        "Plan deductible on the cumulative self-paid amount: the first 500.00 yuan in the period is not paid, "
        "200.00 yuan of it in this claim"
    )
    assert second.payout == D("480.00")
    # Per admission the deductible would be taken again: (1,000 − 500) × 60% = 300.
    per_admission = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.6"}], "plan_deductible": 500})
    assert calculate(per_admission, Claim(self_paid=D(1000))).payout == D("300.00")


# --- Allowance limit ---------------------------------------------------------------------------


def test_the_hospital_allowance_is_limited_to_its_most_per_claim() -> None:
    schedule = Schedule.from_dict({"daily_allowance": 30, "allowance_max_amount": 200})
    result = calculate(schedule, Claim(days_in_hospital=10))
    # 10 days × 30 = 300, limited to 200.
    assert _line(result, "Hospital allowance: 10 days × 30.00 yuan").amount == D("300.00")
    assert _line(result, "Hospital allowance limited to 200.00 yuan for the claim").amount == D("-100.00")
    assert result.payout == D("200.00")
    assert calculate(schedule, Claim(days_in_hospital=5)).payout == D("150.00")


# --- Critical illness --------------------------------------------------------------------------


HUZHOU = PRESETS["huzhou_critical_illness"].schedule


@pytest.mark.parametrize(
    ("days", "payout"),
    [
        (0, "3000.00"),  # the lump sum alone
        (45, "4500.00"),  # 3,000 + 1,000 × 45/30
        (7, "3233.33"),  # 3,000 + 1,000 × 7/30 = 233.333…, to the fen
        (180, "9000.00"),  # 3,000 + 1,000 × 6 months
        (200, "9000.00"),  # at most 6 months = 180 days
    ],
)
def test_huzhou_pays_3000_and_1000_a_month_prorated_by_day_for_up_to_6_months(days: int, payout: str) -> None:
    result = calculate(Schedule.from_dict(HUZHOU), Claim(care_type="critical_illness", illness_days=days))
    assert result.payout == D(payout)
    assert _line(result, "Critical illness lump sum").amount == D("3000.00")
    assert _sum_lines(result) == result.payout


def test_huzhou_says_when_the_allowance_stops_at_6_months() -> None:
    result = calculate(Schedule.from_dict(HUZHOU), Claim(care_type="critical_illness", illness_days=200))
    assert result.lines[1].label == (
        "Critical illness allowance, limited to 6 months: 180 of 200 days × 1,000.00 yuan a month ÷ 30 days"
    )


SEVERITIES = {
    "covered_care": ["critical_illness"],
    "critical_illness": {"lump_sums_by_severity": {"severe": 5000, "mild": 2000}},
}


@pytest.mark.parametrize(("severity", "payout"), [("severe", "5000.00"), ("mild", "2000.00")])
def test_the_lump_sum_can_depend_on_the_severity(severity: str, payout: str) -> None:
    result = calculate(Schedule.from_dict(SEVERITIES), Claim(care_type="critical_illness", severity=severity))
    assert result.payout == D(payout)
    assert result.lines[0].label == f"Critical illness lump sum for severity {severity}"


@pytest.mark.parametrize(("severity", "shown"), [("moderate", "moderate"), ("", "—")])
def test_a_severity_not_in_the_table_is_refused_with_the_known_ones(severity: str, shown: str) -> None:
    result = calculate(Schedule.from_dict(SEVERITIES), Claim(care_type="critical_illness", severity=severity))
    assert result.payout == D(0) and result.lines == []
    assert result.refused_reason == (
        f"Refused: the severity {shown} is not in the plan's critical illness table; "
        "the known severities are severe/mild."
    )


@pytest.mark.parametrize(("self_paid", "payout"), [("0", "2000.00"), ("10000", "2000.00"), ("10000.01", "5000.00")])
def test_the_lump_sum_can_depend_on_the_band_of_the_self_paid_amount(self_paid: str, payout: str) -> None:
    schedule = Schedule.from_dict(
        {
            "covered_care": ["critical_illness"],
            "critical_illness": {"lump_sum_bands": [{"upto": 10000, "amount": 2000}, {"upto": None, "amount": 5000}]},
        }
    )
    result = calculate(schedule, Claim(self_paid=D(self_paid), care_type="critical_illness"))
    assert result.payout == D(payout)


def test_critical_illness_lump_sums_multiply_by_shares_and_the_allowance_by_allowance_per_share() -> None:
    schedule = Schedule.from_dict({**HUZHOU, "multiply_by_shares": True})
    result = calculate(schedule, Claim(care_type="critical_illness", illness_days=45, shares=2))
    # 3,000 × 2 + 1,000 × 45/30 = 7,500.
    assert result.payout == D("7500.00")
    assert result.lines[0].label == "Critical illness lump sum × 2 shares: 3,000.00 yuan/share × 2 shares = 6,000.00"
    per_share = Schedule.from_dict({**HUZHOU, "allowance_per_share": True})
    # 3,000 + 1,500 × 2 = 6,000.
    assert calculate(per_share, Claim(care_type="critical_illness", illness_days=45, shares=2)).payout == D("6000.00")


def test_the_period_cap_limits_critical_illness_too_with_or_without_the_allowance() -> None:
    claim = Claim(care_type="critical_illness", illness_days=45)
    capped = calculate(Schedule.from_dict({**HUZHOU, "cap_per_period": 4000}), claim)
    # 4,500 cut to the cap of 4,000.
    assert capped.payout == D("4000.00") and capped.cap_left_after == D(0)
    outside = calculate(Schedule.from_dict({**HUZHOU, "cap_per_period": 4000, "caps_include_allowance": False}), claim)
    # The 3,000 lump sum fits the cap; the 1,500 allowance is paid on top.
    assert outside.payout == D("4500.00") and outside.cap_left_after == D("1000.00")


# --- Death -------------------------------------------------------------------------------------


DEATH = PRESETS["death_condolence"].schedule


def test_a_death_in_the_period_pays_the_condolence() -> None:
    result = calculate(Schedule.from_dict(DEATH), Claim(care_type="death"))
    assert [(line.label, line.amount) for line in result.lines] == [("Death condolence", D("3000.00"))]
    shares = calculate(Schedule.from_dict({**DEATH, "multiply_by_shares": True}), Claim(care_type="death", shares=3))
    assert shares.payout == D("9000.00")
    assert shares.lines[0].label == "Death condolence × 3 shares: 3,000.00 yuan/share × 3 shares = 9,000.00"


@pytest.mark.parametrize(("paid_before", "payout"), [("0", "10000.00"), ("4000", "6000.00"), ("12000", "0.00")])
def test_a_death_can_top_up_what_the_period_paid_to_a_total(paid_before: str, payout: str) -> None:
    schedule = Schedule.from_dict({"covered_care": ["death"], "death": {"top_up_to": 10000}})
    result = calculate(schedule, Claim(care_type="death", paid_before_in_period=D(paid_before)))
    assert result.payout == D(payout)
    assert (
        result.lines[0].label == f"Topped up to 10,000.00 yuan: {D(paid_before):,.2f} yuan already paid in the period"
    )


@pytest.mark.parametrize(
    ("paid_before", "payout", "paid_line"),
    [
        # 10,000 − 4,000 = 6,000 beats the condolence of 3,000.
        ("4000", "6000.00", "Topped up to 10,000.00 yuan: 4,000.00 yuan already paid in the period"),
        # 10,000 − 8,000 = 2,000 is less than the condolence of 3,000.
        ("8000", "3000.00", "Death condolence"),
    ],
)
def test_with_a_condolence_and_a_top_up_the_larger_is_paid_and_explained(
    paid_before: str, payout: str, paid_line: str
) -> None:
    schedule = Schedule.from_dict({"covered_care": ["death"], "death": {"condolence": 3000, "top_up_to": 10000}})
    result = calculate(schedule, Claim(care_type="death", paid_before_in_period=D(paid_before)))
    assert result.payout == D(payout)
    assert result.lines[0].label == paid_line
    assert result.lines[1].label.startswith("The larger of the condolence of 3,000.00 yuan and the top-up of")
    assert result.lines[1].amount == D(0)


def test_death_claims_are_capped_and_counted_like_the_others() -> None:
    schedule = Schedule.from_dict({**DEATH, "cap_per_period": 5000, "max_claims_per_period": 2})
    capped = calculate(schedule, Claim(care_type="death", paid_before_in_period=D(4000)))
    assert capped.payout == D("1000.00")
    refused = calculate(schedule, Claim(care_type="death", claims_before_in_period=2))
    assert refused.payout == D(0) and refused.refused_reason is not None


# --- Editor reference, presets, round trip -----------------------------------------------------


def test_field_help_has_one_entry_per_schedule_field_with_an_example_that_is_accepted() -> None:
    names = [entry.name for entry in FIELD_HELP]
    assert sorted(names) == sorted(Schedule.__dataclass_fields__)
    for entry in FIELD_HELP:
        json.dumps(entry.example)
        Schedule.from_dict({entry.name: entry.example})
        assert "Example:" in str(entry.description), entry.name


@pytest.mark.parametrize("slug", sorted(PRESETS))
def test_every_preset_is_a_valid_json_schedule_that_round_trips(slug: str) -> None:
    preset = PRESETS[slug]
    assert re.fullmatch(r"[a-z_]+", slug) and str(preset.title)
    schedule = Schedule.from_dict(json.loads(json.dumps(preset.schedule)))
    assert Schedule.from_dict(json.loads(json.dumps(schedule.to_dict()))) == schedule


def test_a_preset_leaves_empty_for_the_office_every_figure_no_seed_gives() -> None:
    from_seeds = {"shaoxing", "jinhua", "inner_mongolia", "huzhou_critical_illness", "death_condolence"}
    assert {slug for slug, preset in PRESETS.items() if not preset.to_fill} >= from_seeds | {"shaoxing_plan"}
    for slug, preset in PRESETS.items():
        assert set(preset.to_fill) <= set(preset.schedule) <= set(Schedule.__dataclass_fields__), slug
        opened = preset.for_the_editor()
        assert not set(opened) & set(preset.to_fill) and opened.items() <= preset.schedule.items(), slug
    # No sum of the women workers' plan and no figure of Shaanxi's plans is invented (seeds 000, 001).
    assert "critical_illness" not in PRESETS["women_workers"].for_the_editor()
    assert "segments" not in PRESETS["inpatient_and_accident"].for_the_editor()
    assert "segments" not in PRESETS["quzhou"].for_the_editor()  # Quzhou's three slices are not given


def test_the_presets_pay_as_the_offices_describe() -> None:
    shaoxing = Schedule.from_dict(PRESETS["shaoxing"].schedule)
    assert calculate(shaoxing, Claim(self_paid=D("2287.99"), days_in_hospital=10)).payout == D(2080)
    assert calculate(shaoxing, Claim(self_paid=D(100000))).payout == D(50000)
    jinhua = Schedule.from_dict(PRESETS["jinhua"].schedule)
    assert calculate(jinhua, Claim(self_paid=D(12000), deductible_part=D(1000))).payout == D("7400.00")
    quzhou = Schedule.from_dict(PRESETS["quzhou"].schedule)
    assert calculate(quzhou, Claim(self_paid=D(60))).payout == D(50)


def test_to_dict_writes_amounts_as_strings_and_reads_back_equal() -> None:
    schedule = Schedule.from_dict({**VARIANTS, **SEVERITIES, "covered_care": ["inpatient", "critical_illness"]})
    data = schedule.to_dict()
    assert data["segments"] == [{"upto": None, "ratio": "0.8"}]
    assert data["variants"][2] == {
        "when": {"member_category": ["retired", "laid_off"]},
        "set": {"cap_per_period": "1000"},
    }
    assert data["critical_illness"]["lump_sums_by_severity"] == {"severe": "5000", "mild": "2000"}
    assert Schedule.from_dict(json.loads(json.dumps(data))) == schedule


def test_a_claim_of_an_unknown_care_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="care_type"):
        Claim(care_type="dental")


# --- Refused schedules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"segments": [{"upto": 10000, "ratio": "0.6"}, {"upto": 5000, "ratio": "0.5"}, {"upto": None, "ratio": 1}]},
            "Segment 2 ends below the segment before it",
        ),
        (
            {"segments": [{"upto": 5000, "ratio": "0.6"}, {"upto": 5000, "ratio": "0.5"}, {"upto": None, "ratio": 1}]},
            "Segment 2 ends at the same amount as the segment before it, so the two overlap",
        ),
        ({"segments": [{"upto": None, "ratio": "1.2"}]}, "ratio must be a ratio between 0 and 1"),
        ({"segments": [{"upto": None, "ratio": "-0.1"}]}, "ratio must not be negative"),
        ({"deductible_ratio": 2}, "deductible_ratio must be a ratio between 0 and 1"),
        ({"cap_per_period": -1}, "cap_per_period must not be negative"),
        ({"daily_allowance": "-25"}, "daily_allowance must not be negative"),
        ({"allowance_by_membership_year": [10, -20]}, "allowance_by_membership_year must not be negative"),
        ({"plan_deductible": "abc"}, "plan_deductible must be an amount"),
        ({"rounding": "yuan_up"}, "Unknown rounding yuan_up"),
        ({"segment_mode": "steps"}, "Unknown segment_mode steps"),
        ({"segments": [{"upto": 5000, "ratio": "0.5"}]}, "The last segment must be open-ended"),
        (
            {"segments": [{"upto": None, "ratio": "0.5"}, {"upto": None, "ratio": "0.6"}]},
            "Only the last segment may be open-ended",
        ),
        ({"segments": [{"upto": 0, "ratio": "0.5"}, {"upto": None, "ratio": "0.6"}]}, "Segment 1 must end above 0"),
        ({"segments": [{"ratio": "0.5"}]}, "Segment 1 must have exactly the fields upto and ratio"),
        ({"segmets": []}, "Unknown field segmets"),
        ({"allowance_from_day": 0}, "allowance_from_day must be 1 or more"),
        ({"max_claims_per_period": "2.5"}, "max_claims_per_period must be a whole number"),
        ({"multiply_by_shares": "yes"}, "multiply_by_shares must be true or false"),
        ({"covered_care": ["inpatient", "dental"]}, "Unknown care type dental in covered_care"),
        ({"covered_care": "inpatient"}, "covered_care must be a list of care types"),
        ({"covered_care": []}, "covered_care must name at least one care type"),
        ({"covered_care": ["death"]}, "covered_care includes death but the schedule has no death section"),
        ({"waiting_days": -1}, "waiting_days must be 0 or more"),
        ({"threshold_basis": "yearly"}, "Unknown threshold_basis yearly"),
        ({"threshold_basis": "cumulative", "segment_mode": "band"}, "threshold_basis cumulative works only with"),
        ({"allowance_max_amount": -5}, "allowance_max_amount must not be negative"),
        (
            {"critical_illness": {"lump_sum": 3000, "allowance_months": "six", "monthly_allowance": 1000}},
            "critical_illness.allowance_months must be a whole number",
        ),
        (
            {"critical_illness": {"lump_sum": 3000, "monthly_allowance": 1000}},
            "critical_illness.allowance_months is missing",
        ),
        (
            {"critical_illness": {"lump_sum": 3000, "allowance_months": 6}},
            "allowance_months is only used with monthly_allowance",
        ),
        ({"critical_illness": {"lump_sum": 3000, "lump_sums_by_severity": {"severe": 1}}}, "may give only one of"),
        ({"critical_illness": {}}, "critical_illness pays nothing"),
        ({"critical_illness": {"lumpsum": 3000}}, "Unknown field lumpsum in critical_illness"),
        ({"critical_illness": 3000}, "critical_illness must be an object"),
        ({"critical_illness": {"lump_sum": -1}}, "critical_illness.lump_sum must not be negative"),
        (
            {"critical_illness": {"lump_sums_by_severity": {"severe": "a lot"}}},
            "critical_illness.lump_sums_by_severity.severe must be an amount",
        ),
        ({"critical_illness": {"lump_sums_by_severity": {}}}, "lump_sums_by_severity must be an object of severities"),
        ({"critical_illness": {"lump_sum_bands": [{"upto": 10000, "amount": 1}]}}, "the last band must be open-ended"),
        (
            {
                "critical_illness": {
                    "lump_sum_bands": [{"upto": 9, "amount": 1}, {"upto": 5, "amount": 1}, {"upto": None, "amount": 1}]
                }
            },
            "band 2 does not end above the band before it",
        ),
        (
            {"critical_illness": {"lump_sum_bands": [{"upto": 9}]}},
            "band 1 must have exactly the fields upto and amount",
        ),
        (
            {"critical_illness": {"lump_sum": 1, "days_per_month": 0}},
            "critical_illness.days_per_month must be 1 or more",
        ),
        ({"death": {}}, "death pays nothing"),
        ({"death": {"condolence": 3000, "extra": 1}}, "Unknown field extra in death"),
        ({"death": {"top_up_to": "-1"}}, "death.top_up_to must not be negative"),
        ({"variants": {"when": {}}}, "variants must be a list"),
        (
            {"variants": [{"when": {"admission_order": [2]}}]},
            "variants, item 1: a variant must have exactly the fields",
        ),
        (
            {"variants": [{"when": {"admission_number": [2]}, "set": {}}]},
            "variants, item 1: Unknown field admission_number in when",
        ),
        ({"variants": [{"when": {}, "set": {}}]}, "variants, item 1: when has no condition"),
        ({"variants": [{"when": {"admission_order": 2}, "set": {}}]}, "when.admission_order must be a list"),
        ({"variants": [{"when": {"admission_order": [0]}, "set": {}}]}, "when.admission_order must be 1 or more"),
        (
            {"variants": [{"when": {"admission_order_from": "third"}, "set": {}}]},
            "when.admission_order_from must be a whole number",
        ),
        ({"variants": [{"when": {"member_category": [""]}, "set": {}}]}, "when.member_category has an empty category"),
        (
            {"variants": [{"when": {"member_category": []}, "set": {}}]},
            "when.member_category must list at least one value",
        ),
        (
            {"variants": [{"when": {"admission_order": [2]}, "set": {"cap": 1}}]},
            "variants, item 1: Unknown field cap in the schedule",
        ),
        ({"variants": [{"when": {"admission_order": [2]}, "set": {"variants": []}}]}, "set cannot contain variants"),
        ({"variants": [{"when": {"admission_order": [2]}, "set": []}]}, "set must be an object of schedule fields"),
        (
            {
                "variants": [
                    {"when": {"admission_order": [2]}, "set": {}},
                    {"when": {"admission_order": [3]}, "set": {"cap_per_period": -1}},
                ]
            },
            "variants, item 2: cap_per_period must not be negative",
        ),
        (
            {"variants": [{"when": {"admission_order": [2]}, "set": {"covered_care": ["critical_illness"]}}]},
            "variants, item 1: covered_care includes critical_illness but the schedule has no critical_illness section",
        ),
        (
            {
                "variants": [
                    {
                        "when": {"admission_order": [2]},
                        "set": {"critical_illness": {"lump_sum": 1, "allowance_months": 2.5}},
                    }
                ]
            },
            "variants, item 1: critical_illness.allowance_months must be a whole number",
        ),
    ],
)
def test_from_dict_refuses_a_schedule_that_cannot_be_applied_with_a_clear_message(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScheduleError, match=re.escape(message)) as raised:
        Schedule.from_dict(data)
    assert raised.value.message.endswith(".")
    assert ": " in raised.value.message


def test_from_dict_reads_json_numbers_without_float_artefacts() -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": 5000.5, "ratio": 0.8}, {"upto": None, "ratio": 0.1}]})
    assert schedule.segments[0].ratio == D("0.8") and schedule.segments[0].upto == D("5000.5")


def test_a_schedule_built_directly_is_validated_too() -> None:
    with pytest.raises(ScheduleError, match="must not be negative"):
        Schedule(minimum_payout=D(-1))


# --- Properties --------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=200_000, places=2, allow_nan=False, allow_infinity=False)
ratios = st.decimals(min_value=0, max_value=1, places=2, allow_nan=False, allow_infinity=False)
UNITS = {"fen_half_up": D("0.01"), "jiao_half_up": D("0.1"), "yuan_half_up": D(1), "yuan_down": D(1)}
CATEGORIES = ["", "worker", "retired"]
SEVERITY_TABLE = {"severe": 5000, "mild": "1999.99"}
GRADES = ["1", "0.9", "0.8", "0.7", "0.6", "0.5", "0.4", "0.3", "0.2", "0.1"]


@st.composite
def segment_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    uptos = sorted(draw(st.sets(st.integers(min_value=1, max_value=100_000), max_size=4)))
    segment_ratios = draw(st.lists(ratios, min_size=len(uptos) + 1, max_size=len(uptos) + 1))
    segments: list[dict[str, Any]] = [
        {"upto": upto, "ratio": str(ratio)} for upto, ratio in zip(uptos, segment_ratios, strict=False)
    ]
    segments.append({"upto": None, "ratio": str(segment_ratios[-1])})
    return segments


@st.composite
def critical_illness_sections(draw: st.DrawFn) -> dict[str, Any]:
    section: dict[str, Any] = draw(
        st.sampled_from(
            [
                {},
                {"lump_sum": 3000},
                {"lump_sums_by_severity": SEVERITY_TABLE},
                {"lump_sum_bands": [{"upto": 10000, "amount": 2000}, {"upto": None, "amount": "5000.5"}]},
            ]
        )
    )
    if not section or draw(st.booleans()):
        section = {
            **section,
            "monthly_allowance": draw(st.sampled_from([1000, "333.33"])),
            "allowance_months": draw(st.integers(min_value=1, max_value=12)),
            "days_per_month": draw(st.sampled_from([30, 31])),
        }
    return section


@st.composite
def schedule_data(draw: st.DrawFn, *, mode: str | None = None, minimum: bool = True) -> dict[str, Any]:
    """A schedule as the office writes it, drawing every field, the new kinds of care and variants."""
    segment_mode = mode or draw(st.sampled_from(["progressive", "band"]))
    covered = draw(st.sets(st.sampled_from(CARE_TYPES), min_size=1))
    data: dict[str, Any] = {
        "segments": draw(segment_lists()),
        "segment_mode": segment_mode,
        "deductible_ratio": str(draw(ratios)),
        "plan_deductible": str(draw(st.sampled_from([D(0), D(500), D("1200.50")]))),
        "cap_per_share_per_period": draw(st.sampled_from([None, 5000, 30000])),
        "cap_per_period": draw(st.sampled_from([None, 10000, 80000])),
        "minimum_payout": draw(st.sampled_from([0, 50, 100])) if minimum else 0,
        "daily_allowance": draw(st.sampled_from([0, 25, "12.5"])),
        "allowance_by_membership_year": draw(st.sampled_from([[], [10, 20, 30]])),
        "allowance_from_day": draw(st.integers(min_value=1, max_value=5)),
        "allowance_max_days": draw(st.sampled_from([None, 0, 10, 180])),
        "allowance_max_amount": draw(st.sampled_from([None, 0, 200, "999.99"])),
        "allowance_per_share": draw(st.booleans()),
        "caps_include_allowance": draw(st.booleans()),
        "multiply_by_shares": draw(st.booleans()),
        "rounding": draw(st.sampled_from(sorted(UNITS))),
        "max_claims_per_period": draw(st.sampled_from([None, 1, 3])),
        "covered_care": sorted(covered, key=CARE_TYPES.index),
        "waiting_days": draw(st.sampled_from([0, 0, 30, 90])),
        "threshold_basis": draw(st.sampled_from(["per_admission", "cumulative"]))
        if segment_mode == "progressive"
        else "per_admission",
        "critical_illness": draw(critical_illness_sections()) if covered & set(LUMP_SUM_CARE) else None,
        "death": draw(
            st.sampled_from([{"condolence": 3000}, {"top_up_to": 20000}, {"condolence": 3000, "top_up_to": 20000}])
        )
        if covered & set(DEATH_CARE)
        else None,
        "disability": {"sum_insured": 100000, "grade_ratios": GRADES} if "disability" in covered else None,
    }
    variants = []
    for when in draw(
        st.lists(
            st.sampled_from([{"admission_order": [2]}, {"admission_order_from": 3}, {"member_category": ["retired"]}])
        )
    ):
        changes = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "segments": segment_lists(),
                    "cap_per_period": st.sampled_from([None, 2000]),
                    "daily_allowance": st.sampled_from([0, 40]),
                    "multiply_by_shares": st.booleans(),
                    "rounding": st.sampled_from(sorted(UNITS)),
                    "waiting_days": st.sampled_from([0, 180]),
                },
            )
        )
        variants.append({"when": when, "set": changes})
    data["variants"] = variants
    return data


def schedules(*, mode: str | None = None, minimum: bool = True) -> st.SearchStrategy[Schedule]:
    return schedule_data(mode=mode, minimum=minimum).map(Schedule.from_dict)


@st.composite
def claims(draw: st.DrawFn, *, care: tuple[str, ...] = CARE_TYPES) -> Claim:
    return Claim(
        self_paid=draw(money),
        deductible_part=draw(st.decimals(min_value=0, max_value=2000, places=2)),
        days_in_hospital=draw(st.integers(min_value=0, max_value=400)),
        shares=draw(st.integers(min_value=1, max_value=5)),
        membership_year=draw(st.integers(min_value=1, max_value=10)),
        paid_before_in_period=draw(st.decimals(min_value=0, max_value=100_000, places=2)),
        claims_before_in_period=draw(st.integers(min_value=0, max_value=4)),
        care_type=draw(st.sampled_from(care)),
        days_since_cover_start=draw(st.sampled_from([0, 29, 30, 200, 10**6, 10**6])),
        self_paid_before_in_period=draw(money),
        admission_order=draw(st.integers(min_value=1, max_value=5)),
        member_category=draw(st.sampled_from(CATEGORIES)),
        severity=draw(st.sampled_from(["", "severe", "mild", "moderate"])),
        illness_days=draw(st.integers(min_value=0, max_value=400)),
        disability_grade=draw(st.integers(min_value=0, max_value=10)),
    )


def _allowance(schedule: Schedule, claim: Claim) -> Decimal:
    years = schedule.allowance_by_membership_year
    rate = years[min(claim.membership_year, len(years)) - 1] if years else schedule.daily_allowance
    days = max(0, claim.days_in_hospital - schedule.allowance_from_day + 1)
    if schedule.allowance_max_days is not None:
        days = min(days, schedule.allowance_max_days)
    return rate * days * (claim.shares if schedule.allowance_per_share else 1)


def _most_paid(rules: Schedule, claim: Claim) -> Decimal:
    """What a claim can pay before caps and minimum: spent (× shares) + allowances + lump sums."""
    factor = claim.shares if rules.multiply_by_shares else 1
    if claim.care_type in MEDICAL_CARE:
        return (claim.self_paid + claim.deductible_part) * factor + _allowance(rules, claim)
    if claim.care_type in DEATH_CARE:
        assert rules.death is not None
        return max(rules.death.condolence or D(0), rules.death.top_up_to or D(0)) * factor
    if claim.care_type == "disability":
        assert rules.disability is not None
        return rules.disability.sum_insured * factor
    section = rules.critical_illness
    assert section is not None
    lump = max(
        [section.lump_sum or D(0), *(amount for _name, amount in section.lump_sums_by_severity)]
        + [band.amount for band in section.lump_sum_bands]
    )
    monthly = (section.monthly_allowance or D(0)) * (section.allowance_months or 0)
    return lump * factor + monthly * (claim.shares if rules.allowance_per_share else 1)


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_payout_is_never_negative_and_the_lines_add_up_to_it(schedule: Schedule, claim: Claim) -> None:
    result = calculate(schedule, claim)
    assert result.payout >= 0
    assert _sum_lines(result) == result.payout
    assert result.cap_left_after is None or result.cap_left_after >= 0
    if result.refused_reason is not None:
        assert result.payout == 0 and result.lines == []


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_without_words_the_calculation_pays_exactly_the_same(schedule: Schedule, claim: Claim) -> None:
    """A simulation computes without the settlement's words (claims/benefits/wording.py): every
    amount, every refusal and what is left of the cap must be as with them."""
    worded = calculate(schedule, claim)
    with wording.without_words():
        bare = calculate(schedule, claim)
    assert bare.payout == worded.payout and bare.cap_left_after == worded.cap_left_after
    assert (bare.refused_reason is None) == (worded.refused_reason is None)
    assert [line.amount for line in bare.lines] == [line.amount for line in worded.lines]
    assert (bare.base, bare.version) == (worded.base, worded.version)


def test_every_function_that_writes_words_is_silent_without_words() -> None:
    """A new wording function not marked `@worded` would cost a simulation its words' time."""
    import inspect

    writers = [
        function
        for module in (explain, refusals)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    ]
    assert len(writers) > 50
    unmarked = [function.__name__ for function in writers if not hasattr(function, "__wrapped__")]
    assert unmarked == []
    with wording.without_words():
        assert refusals.not_covered("death", ["inpatient"]) == wording.WORDLESS
    assert refusals.not_covered("death", ["inpatient"]) != wording.WORDLESS


@settings(max_examples=300, deadline=None)
@given(schedules(minimum=False), claims())
def test_payout_is_never_more_than_what_was_spent_plus_the_allowances_and_lump_sums(
    schedule: Schedule, claim: Claim
) -> None:
    result = calculate(schedule, claim)
    _number, rules = schedule.for_claim(claim)
    if claim.care_type not in rules.covered_care:
        assert result.refused_reason is not None and result.payout == 0
        return
    # Rounding half up may add up to half a unit on each line that pays something.
    unit = UNITS[rules.rounding]
    slack = unit / 2 * len(result.lines) if rules.rounding != "yuan_down" else D(0)
    assert result.payout <= _most_paid(rules, claim) + slack


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_payout_is_never_more_than_the_cap_left_when_caps_include_the_allowance(
    schedule: Schedule, claim: Claim
) -> None:
    result = calculate(schedule, claim)
    _number, rules = schedule.for_claim(claim)
    caps = [
        cap
        for cap in (
            None if rules.cap_per_share_per_period is None else rules.cap_per_share_per_period * claim.shares,
            rules.cap_per_period,
        )
        if cap is not None
    ]
    if caps and rules.caps_include_allowance:
        assert result.payout <= max(D(0), min(caps) - claim.paid_before_in_period)
        assert result.cap_left_after == max(D(0), min(caps) - claim.paid_before_in_period) - result.payout
    elif caps:
        assert result.cap_left_after is not None and result.cap_left_after >= 0


@settings(max_examples=300, deadline=None)
@given(schedules(mode="progressive", minimum=False), claims(care=MEDICAL_CARE), money)
def test_payout_does_not_fall_when_the_self_paid_amount_rises(schedule: Schedule, claim: Claim, extra: Decimal) -> None:
    lower = calculate(schedule, claim)
    higher = calculate(schedule, replace(claim, self_paid=claim.self_paid + extra))
    assert higher.payout >= lower.payout


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_payout_and_every_line_are_exact_decimals_in_the_unit_of_the_rounding(schedule: Schedule, claim: Claim) -> None:
    result = calculate(schedule, claim)
    exponent = UNITS[schedule.for_claim(claim)[1].rounding].as_tuple().exponent
    assert isinstance(result.payout, Decimal)
    assert result.payout.as_tuple().exponent == exponent
    for line in result.lines:
        assert isinstance(line.amount, Decimal) and line.amount.as_tuple().exponent == exponent


whole_yuan = st.integers(min_value=0, max_value=60_000).map(D)


@settings(max_examples=300, deadline=None)
@given(
    segment_lists(),
    st.sampled_from([0, 500, 1200]),
    st.integers(min_value=1, max_value=3),
    whole_yuan,
    whole_yuan,
    whole_yuan,
)
def test_cumulative_thresholds_pay_two_claims_what_one_claim_of_their_sum_pays(
    segments: list[dict[str, Any]], deductible: int, shares: int, before: Decimal, first: Decimal, second: Decimal
) -> None:
    # Whole yuan × ratios of whole percent are exact to the fen, so rounding cannot differ.
    schedule = Schedule.from_dict(
        {
            "segments": segments,
            "plan_deductible": deductible,
            "threshold_basis": "cumulative",
            "multiply_by_shares": True,
        }
    )
    one = calculate(schedule, Claim(self_paid=first, self_paid_before_in_period=before, shares=shares))
    two = calculate(schedule, Claim(self_paid=second, self_paid_before_in_period=before + first, shares=shares))
    both = calculate(schedule, Claim(self_paid=first + second, self_paid_before_in_period=before, shares=shares))
    assert one.payout + two.payout == both.payout


@settings(max_examples=200, deadline=None)
@given(schedule_data())
def test_to_dict_round_trips_through_json(data: dict[str, Any]) -> None:
    schedule = Schedule.from_dict(data)
    written = json.loads(json.dumps(schedule.to_dict()))
    assert Schedule.from_dict(written) == schedule
    assert Schedule.from_dict(written).to_dict() == written


# --- Translations ------------------------------------------------------------------------------


PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_message_has_chinese_with_the_same_placeholders_and_full_width_punctuation() -> None:
    msgids = {
        msgid
        for module in sorted((ROOT / "claims" / "benefits").glob("*.py"))
        for msgid in msgids_of(str(module.relative_to(ROOT)), frozenset({"_", "gettext_lazy"}), strict=True)
    }
    chinese = chinese_of(msgids)
    assert sorted(chinese) == sorted(msgids)
    for msgid, text in chinese.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        bare = PLACEHOLDER.sub("", text)
        assert not any(mark in bare for mark in ",:;()!?"), text
        # A bare % ("80.0% of") makes xgettext flag the msgid python-format, and msgfmt --check then refuses
        # a Chinese text that does not repeat the same "directive": write "percent" and "％" instead.
        assert "%" not in PLACEHOLDER.sub("", msgid) and "%" not in bare, msgid
        assert text.endswith("。") == msgid.endswith("."), text


def test_labels_come_out_in_chinese_when_the_catalogue_has_them() -> None:
    schedule = Schedule.from_dict(JINHUA)
    zh = catalogue()
    with translation.override("zh-hans"):
        label = calculate(schedule, Claim(self_paid=D(12000))).lines[0].label
    expected = zh["Self-paid %(low)s–%(high)s yuan part × %(ratio)s"] % {
        "low": "0.00",
        "high": "5,000.00",
        "ratio": "50.0%",
    }
    # Before `compilemessages` has run, the catalogue falls back to the English msgid.
    assert label.startswith((expected, "Self-paid 0.00–5,000.00 yuan part × 50.0%"))
    assert label.endswith("5,000.00 × 50.0% = 2,500.00")

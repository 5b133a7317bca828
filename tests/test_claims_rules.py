"""The benefit calculator of claims/rules.py: worked examples from the offices, refused schedules,
and properties that must hold for every schedule (hypothesis). Pure Python: no database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.rules import Claim, Line, Result, Schedule, ScheduleError, calculate, round_money
from tests.translations import chinese_table, msgids_of

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
    assert _line(result, "Self-paid amount × 80%").amount == D("1830")
    assert _line(result, "Hospital allowance: 10 days × 25 yuan").amount == D("250")
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
        ("Self-paid 0–5,000 yuan part × 50%", D("2500.00")),
        ("Self-paid 5,000–10,000 yuan part × 60%", D("3000.00")),
        ("Self-paid part above 10,000 yuan × 70%", D("1400.00")),
    ]
    assert result.payout == D("6900.00")
    assert result.cap_left_after == D("23100.00")


def test_jinhua_pays_the_hospital_deductible_part_at_half_and_caps_per_share() -> None:
    schedule = Schedule.from_dict(JINHUA)
    result = calculate(schedule, Claim(self_paid=D(12000), deductible_part=D(1000)))
    assert _line(result, "Hospital deductible part of 1,000 yuan × 50%").amount == D("500.00")
    assert result.payout == D("7400.00")

    big = calculate(schedule, Claim(self_paid=D(100000), shares=2, paid_before_in_period=D(40000)))
    # 2 shares: cap 60,000, of which 20,000 is left; the computed 2,500 + 3,000 + 63,000 = 68,500 is cut to it.
    assert big.payout == D("20000.00")
    assert _line(big, "Limited to the 20,000 yuan left").amount == D("20000.00") - D("68500.00")
    assert big.cap_left_after == D(0)


def test_multiply_by_shares_multiplies_the_medical_part_and_says_so() -> None:
    schedule = Schedule.from_dict({**JINHUA, "multiply_by_shares": True})
    result = calculate(schedule, Claim(self_paid=D(4000), shares=3))
    assert result.lines[0].label == "Self-paid 0–5,000 yuan part × 50% × 3 shares"
    assert result.payout == D("6000.00")


def test_band_mode_pays_the_whole_amount_at_the_ratio_of_its_band() -> None:
    schedule = Schedule.from_dict(
        {"segment_mode": "band", "segments": [{"upto": 5000, "ratio": "0.5"}, {"upto": None, "ratio": "0.7"}]}
    )
    assert calculate(schedule, Claim(self_paid=D(5000))).payout == D("2500.00")
    high = calculate(schedule, Claim(self_paid=D(8000)))
    assert high.payout == D("5600.00")
    assert high.lines[0].label == "Whole self-paid amount of 8,000 yuan (band above 5,000 yuan) × 70%"


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
    assert _line(small, "Raised to the minimum payout of 50 yuan").amount == D(20)
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
        assert result.lines[0].label == f"Hospital allowance from day 4: {paid_days} days × 30 yuan"


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


@st.composite
def schedules(draw: st.DrawFn, *, mode: str | None = None, minimum: bool = True) -> Schedule:
    uptos = sorted(draw(st.sets(st.integers(min_value=1, max_value=100_000), max_size=4)))
    segment_ratios = draw(st.lists(ratios, min_size=len(uptos) + 1, max_size=len(uptos) + 1))
    segments = [{"upto": upto, "ratio": str(ratio)} for upto, ratio in zip(uptos, segment_ratios, strict=False)]
    segments.append({"upto": None, "ratio": str(segment_ratios[-1])})
    data: dict[str, Any] = {
        "segments": segments,
        "segment_mode": mode or draw(st.sampled_from(["progressive", "band"])),
        "deductible_ratio": str(draw(ratios)),
        "plan_deductible": str(draw(st.sampled_from([D(0), D(500), D("1200.50")]))),
        "cap_per_share_per_period": draw(st.sampled_from([None, 5000, 30000])),
        "cap_per_period": draw(st.sampled_from([None, 10000, 80000])),
        "minimum_payout": draw(st.sampled_from([0, 50, 100])) if minimum else 0,
        "daily_allowance": draw(st.sampled_from([0, 25, "12.5"])),
        "allowance_by_membership_year": draw(st.sampled_from([[], [10, 20, 30]])),
        "allowance_from_day": draw(st.integers(min_value=1, max_value=5)),
        "allowance_max_days": draw(st.sampled_from([None, 0, 10, 180])),
        "allowance_per_share": draw(st.booleans()),
        "caps_include_allowance": draw(st.booleans()),
        "multiply_by_shares": draw(st.booleans()),
        "rounding": draw(st.sampled_from(sorted(UNITS))),
        "max_claims_per_period": draw(st.sampled_from([None, 1, 3])),
    }
    return Schedule.from_dict(data)


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    return Claim(
        self_paid=draw(money),
        deductible_part=draw(st.decimals(min_value=0, max_value=2000, places=2)),
        days_in_hospital=draw(st.integers(min_value=0, max_value=400)),
        shares=draw(st.integers(min_value=1, max_value=5)),
        membership_year=draw(st.integers(min_value=1, max_value=10)),
        paid_before_in_period=draw(st.decimals(min_value=0, max_value=100_000, places=2)),
        claims_before_in_period=draw(st.integers(min_value=0, max_value=4)),
    )


def _allowance(schedule: Schedule, claim: Claim) -> Decimal:
    years = schedule.allowance_by_membership_year
    rate = years[min(claim.membership_year, len(years)) - 1] if years else schedule.daily_allowance
    days = max(0, claim.days_in_hospital - schedule.allowance_from_day + 1)
    if schedule.allowance_max_days is not None:
        days = min(days, schedule.allowance_max_days)
    return rate * days * (claim.shares if schedule.allowance_per_share else 1)


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_payout_is_never_negative_and_the_lines_add_up_to_it(schedule: Schedule, claim: Claim) -> None:
    result = calculate(schedule, claim)
    assert result.payout >= 0
    assert _sum_lines(result) == result.payout
    assert result.cap_left_after is None or result.cap_left_after >= 0


@settings(max_examples=300, deadline=None)
@given(schedules(minimum=False), claims())
def test_payout_is_never_more_than_what_was_spent_plus_the_allowance(schedule: Schedule, claim: Claim) -> None:
    result = calculate(schedule, claim)
    factor = claim.shares if schedule.multiply_by_shares else 1
    bound = (claim.self_paid + claim.deductible_part) * factor + _allowance(schedule, claim)
    # Rounding half up may add up to half a unit on each line that pays something.
    unit = UNITS[schedule.rounding]
    slack = unit / 2 * len(result.lines) if schedule.rounding != "yuan_down" else D(0)
    assert result.payout <= bound + slack


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_payout_is_never_more_than_the_cap_left_when_caps_include_the_allowance(
    schedule: Schedule, claim: Claim
) -> None:
    result = calculate(schedule, claim)
    caps = [
        cap
        for cap in (
            None if schedule.cap_per_share_per_period is None else schedule.cap_per_share_per_period * claim.shares,
            schedule.cap_per_period,
        )
        if cap is not None
    ]
    if caps and schedule.caps_include_allowance:
        assert result.payout <= max(D(0), min(caps) - claim.paid_before_in_period)
        assert result.cap_left_after == max(D(0), min(caps) - claim.paid_before_in_period) - result.payout


@settings(max_examples=300, deadline=None)
@given(schedules(mode="progressive", minimum=False), claims(), money)
def test_payout_does_not_fall_when_the_self_paid_amount_rises(schedule: Schedule, claim: Claim, extra: Decimal) -> None:
    lower = calculate(schedule, claim)
    higher = calculate(schedule, Claim(**{**claim.__dict__, "self_paid": claim.self_paid + extra}))
    assert higher.payout >= lower.payout


@settings(max_examples=300, deadline=None)
@given(schedules(), claims())
def test_payout_and_every_line_are_exact_decimals_in_the_unit_of_the_rounding(schedule: Schedule, claim: Claim) -> None:
    result = calculate(schedule, claim)
    exponent = UNITS[schedule.rounding].as_tuple().exponent
    assert isinstance(result.payout, Decimal)
    assert result.payout.as_tuple().exponent == exponent
    for line in result.lines:
        assert isinstance(line.amount, Decimal) and line.amount.as_tuple().exponent == exponent


# --- Translations ------------------------------------------------------------------------------


PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_every_message_has_chinese_with_the_same_placeholders_and_full_width_punctuation() -> None:
    msgids, chinese = set(msgids_of("claims/rules.py")), chinese_table("claims_rules")
    assert sorted(chinese) == sorted(msgids)
    for msgid, text in chinese.items():
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        bare = PLACEHOLDER.sub("", text)
        assert not any(mark in bare for mark in ",:;()!?"), text
        assert text.endswith("。") == msgid.endswith("."), text


def test_labels_come_out_in_chinese_when_the_catalogue_has_them() -> None:
    schedule = Schedule.from_dict(JINHUA)
    zh = chinese_table("claims_rules")
    with translation.override("zh-hans"):
        label = calculate(schedule, Claim(self_paid=D(12000))).lines[0].label
    expected = zh["Self-paid %(low)s–%(high)s yuan part × %(ratio)s"] % {"low": "0", "high": "5,000", "ratio": "50%"}
    # Before `makemessages` + translate_zh.py have run, the catalogue falls back to the English msgid.
    assert label in (expected, "Self-paid 0–5,000 yuan part × 50%")

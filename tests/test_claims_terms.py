"""Issue 17, the benefits that add, exclude or happen once, who may claim them and how often they
are settled: flat add-ons, lump sums by band of an ordinary hospital claim, mutually exclusive
kinds, a critical illness paid once per member for life, eligibility by gender, age and
membership, settlement cycles shorter than the period; each with a regional example worked by
hand, the schedules refused with the field named, and the properties that must hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.benefits.calculate import Claim, Earlier, Result, calculate
from claims.benefits.checks import ScheduleError
from claims.benefits.editor import PRESETS
from claims.benefits.schedule import Schedule
from claims.models import ClaimStatus
from tests import claimkit
from tests.conftest import Tree

D = Decimal


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _labels(result: Result) -> str:
    return " | ".join(line.label for line in result.lines)


def _sum(result: Result) -> Decimal:
    return sum((line.amount for line in result.lines), D(0))


def preset(name: str) -> Schedule:
    return Schedule.from_dict(PRESETS[name].schedule)


# --- Flat add-ons ------------------------------------------------------------------------------

SHAOXING_FIRST_ADMISSION = {
    "segments": [{"upto": None, "ratio": "0.8"}],
    "daily_allowance": 25,
    "cap_per_period": 50000,
    "rounding": "yuan_down",
    "add_ons": [
        {"label": "首次住院补助", "amount": 200, "per": "claim", "when": {"admission_order": [1]}},
        {"label": "陪护补贴", "amount": 10, "per": "day", "when": {"member_category": ["劳模"]}},
    ],
}


def test_a_flat_add_on_is_paid_on_the_first_admission_only_on_top_of_shaoxings_benefit() -> None:
    schedule = Schedule.from_dict(SHAOXING_FIRST_ADMISSION)
    # Seed 003, Shaoxing: 2,287.99 × 80% = 1,830.39, down to the yuan 1,830; 25 × 10 days = 250.
    first = calculate(schedule, Claim(self_paid=D("2287.99"), days_in_hospital=10, admission_order=1))
    assert first.payout == D(1830 + 250 + 200)
    assert "首次住院补助: a flat 200.00 yuan" in _labels(first)
    second = calculate(schedule, Claim(self_paid=D("2287.99"), days_in_hospital=10, admission_order=2))
    assert second.payout == D(1830 + 250) and "首次住院补助" not in _labels(second)
    assert _sum(first) == first.payout and _sum(second) == second.payout


def test_a_per_day_add_on_is_paid_for_each_day_to_the_members_it_names() -> None:
    schedule = Schedule.from_dict(SHAOXING_FIRST_ADMISSION)
    model_worker = calculate(
        schedule, Claim(self_paid=D(1000), days_in_hospital=7, admission_order=2, member_category="劳模")
    )
    # 1,000 × 80% = 800; 25 × 7 = 175; 10 × 7 = 70.
    assert model_worker.payout == D(800 + 175 + 70)
    assert "陪护补贴: 7 days × 10.00 yuan" in _labels(model_worker)


def test_add_ons_of_one_kind_are_not_paid_on_another_and_count_against_the_cap() -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "cap_per_period": 1000,
            "covered_care": ["inpatient", "death"],
            "death": {"condolence": 3000},
            "add_ons": [{"label": "住院慰问", "amount": 300, "kinds": ["inpatient"]}],
            "kinds": {"death": {"cap_group": "death", "cap_per_period": None}},
        }
    )
    death = calculate(schedule, Claim(care_type="death"))
    assert death.payout == D(3000) and "住院慰问" not in _labels(death)
    # 1,600 × 50% = 800 + 300 = 1,100, limited to the 1,000 cap.
    stay = calculate(schedule, Claim(self_paid=D(1600)))
    assert stay.payout == D(1000) and "住院慰问: a flat 300.00 yuan" in _labels(stay)


# --- Lump sums by band of an ordinary hospital claim -------------------------------------------


def test_a_band_lump_sum_is_added_to_the_ratio_benefit_by_the_band_of_the_base() -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "0.4"}],
            "covered_care": ["inpatient", "dialysis"],
            "band_lump_sums": [
                {"upto": 5000, "amount": 0},
                {"upto": 20000, "amount": 500},
                {"upto": None, "amount": 1500},
            ],
        }
    )
    # Inner Mongolia's 40%: 8,000 × 40% = 3,200, and 8,000 falls in the 5,000–20,000 band: + 500.
    result = calculate(schedule, Claim(self_paid=D(8000)))
    assert result.payout == D("3700.00")
    assert "(band 5,000.00–20,000.00 yuan)" in _labels(result)
    # 4,000 is in the band that pays nothing: no line for it.
    small = calculate(schedule, Claim(self_paid=D(4000)))
    assert small.payout == D("1600.00") and "band" not in _labels(small)
    big = calculate(schedule, Claim(self_paid=D(30000), care_type="dialysis"))
    assert big.payout == D("13500.00")


def test_the_larger_of_the_ratio_benefit_and_the_band_lump_sum_is_paid() -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "0.1"}],
            "band_lump_sums": [{"upto": 10000, "amount": 1000}, {"upto": None, "amount": 3000}],
            "band_lump_sum_mode": "larger",
        }
    )
    lump = calculate(schedule, Claim(self_paid=D(8000)))  # 8,000 × 10% = 800 < 1,000
    assert lump.payout == D("1000.00")
    assert "The larger of the ratio benefit of 800.00 yuan and the lump sum of 1,000.00 yuan is paid" in _labels(lump)
    ratio = calculate(schedule, Claim(self_paid=D(40000)))  # 4,000 > 3,000
    assert ratio.payout == D("4000.00") and "40,000.00 × 10.0% = 4,000.00" in _labels(ratio)


def test_a_band_lump_sum_on_the_burden_never_pays_more_than_the_member_bore() -> None:
    schedule = Schedule.from_dict(
        {
            "base": "after_other_payers",
            "segments": [{"upto": None, "ratio": "0"}],
            "band_lump_sums": [{"upto": 1000, "amount": 2000}, {"upto": None, "amount": 3000}],
        }
    )
    # The member bore 10,000 − 9,200 = 800, so the 2,000 of the band is limited to 800.
    result = calculate(schedule, Claim(total_cost=D(10000), fund_paid=D(9200)))
    assert result.payout == D("800.00")
    assert "Limited to what the member bore" in _labels(result)


# --- Mutually exclusive kinds ------------------------------------------------------------------


def _death_plan(choose: str) -> Schedule:
    return Schedule.from_dict(
        {
            "covered_care": ["death", "accidental_death"],
            "death": {"condolence": 10000},
            "exclusive": [{"kinds": ["death", "accidental_death"], "choose": choose}],
            "kinds": {"accidental_death": {"label": "意外身故互助金", "death": {"condolence": 20000}}},
        }
    )


def test_of_death_by_illness_and_by_accident_only_the_larger_is_paid() -> None:
    schedule = _death_plan("larger")
    illness = (Earlier(care_type="death", paid=D(10000), base=D(0)),)
    # 20,000 for the accident, less the 10,000 already paid for death by illness: 10,000.
    accident = calculate(schedule, Claim(care_type="accidental_death", earlier=illness))
    assert accident.payout == D("10000.00")
    assert "Less 10,000.00 yuan already paid for death: only the larger of death/accidental death is paid" in _labels(
        accident
    )
    # The other way round: 10,000 for illness after 20,000 for the accident pays nothing more.
    after = (Earlier(care_type="accidental_death", paid=D(20000), base=D(0)),)
    assert calculate(schedule, Claim(care_type="death", earlier=after)).payout == D(0)
    assert calculate(schedule, Claim(care_type="death", earlier=())).payout == D("10000.00")


def test_an_exclusive_set_that_pays_the_first_refuses_the_second() -> None:
    schedule = _death_plan("first")
    illness = (Earlier(care_type="death", paid=D(10000), base=D(0)),)
    result = calculate(schedule, Claim(care_type="accidental_death", earlier=illness))
    assert result.payout == D(0)
    assert result.refused_reason == (
        "Refused: 意外身故互助金 is not paid once death has been paid in the period; only the first is paid."
    )


def test_an_exclusive_claim_is_not_raised_to_the_minimum_after_the_deduction() -> None:
    data = {**PRESETS["inpatient_and_accident"].schedule, "minimum_payout": 200}
    schedule = Schedule.from_dict(data)
    earlier = (Earlier(care_type="accidental_death", paid=D("19900"), base=D(0)),)
    # The preset pays 10,000 for death by illness; 19,900 was paid for the accident: nothing more.
    assert calculate(schedule, Claim(care_type="death", earlier=earlier)).payout == D(0)


# --- Once per member for life ------------------------------------------------------------------


def test_huzhous_critical_illness_is_paid_once_per_member_across_periods() -> None:
    schedule = preset("huzhou_critical_illness")
    # Seed 003, Huzhou: 3,000 on first diagnosis + 1,000 a month for 45 days = 1,500.
    first = calculate(schedule, Claim(care_type="critical_illness", illness_days=45))
    assert first.payout == D("4500.00")
    again = calculate(
        schedule, Claim(care_type="critical_illness", illness_days=45, kinds_paid_before=("critical_illness",))
    )
    assert again.payout == D(0)
    assert again.refused_reason == (
        "Refused: critical illness is paid once per member for life, and it has been paid to this member already."
    )
    in_period = (Earlier(care_type="critical_illness", paid=D(3000), base=D(0)),)
    assert calculate(schedule, Claim(care_type="critical_illness", earlier=in_period)).payout == D(0)
    # Another kind paid before does not count.
    assert calculate(schedule, Claim(care_type="critical_illness", kinds_paid_before=("inpatient",))).payout == D(
        "3000.00"
    )


# --- Eligibility -------------------------------------------------------------------------------


def test_jinhuas_plan_is_for_members_of_legal_working_age_by_gender() -> None:
    schedule = preset("jinhua_working_age")
    # Seed 003, Jinhua period 2: 5,000 × 50% + 1,000 × 60% = 3,100, deductible part 800 × 50% = 400.
    claim = Claim(self_paid=D(6000), deductible_part=D(800))
    assert calculate(schedule, Claim(**{**claim.__dict__, "gender": "F", "age": 55})).payout == D("3500.00")
    assert calculate(schedule, Claim(**{**claim.__dict__, "gender": "M", "age": 60})).payout == D("3500.00")
    woman = calculate(schedule, Claim(**{**claim.__dict__, "gender": "F", "age": 56}))
    assert woman.payout == 0 and woman.refused_reason == (
        "Refused: for women, inpatient care may be claimed up to the age of 55; the member was 56 on admission."
    )
    young = calculate(schedule, Claim(**{**claim.__dict__, "gender": "M", "age": 15}))
    assert young.refused_reason == (
        "Refused: inpatient care may be claimed from the age of 16; the member was 15 on admission."
    )
    unknown = calculate(schedule, claim)
    assert unknown.refused_reason is not None and "birth date is not recorded" in unknown.refused_reason


def test_the_women_workers_plan_refuses_men_and_a_benefit_may_wait_for_years_of_membership() -> None:
    schedule = preset("women_workers")
    man = calculate(schedule, Claim(care_type="women_special_illness", severity="原位癌", gender="M", age=40))
    assert man.refused_reason == (
        "Refused: 女职工特殊疾病互助金 is for women members only; this member is recorded as men."
    )
    woman = calculate(schedule, Claim(care_type="women_special_illness", severity="原位癌", gender="F", age=40))
    assert woman.payout == D("3000.00")
    waits = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "covered_care": ["inpatient", "critical_illness"],
            "critical_illness": {"lump_sum": 5000},
            "kinds": {"critical_illness": {"eligibility": {"min_membership_years": 2}}},
        }
    )
    assert calculate(waits, Claim(care_type="critical_illness", membership_year=1)).refused_reason == (
        "Refused: critical illness is paid from membership year 2 on; this is the member's year 1."
    )
    assert calculate(waits, Claim(care_type="critical_illness", membership_year=2)).payout == D(5000)
    # The kind's eligibility leaves the other kinds alone.
    assert calculate(waits, Claim(self_paid=D(1000), membership_year=1)).payout == D(500)


# --- Settlement cycles -------------------------------------------------------------------------

QUARTERLY = {
    "segments": [{"upto": None, "ratio": "0.5"}],
    "plan_deductible": 1000,
    "threshold_basis": "per_period",
    "settlement_cycle": "quarter",
    "cap_per_cycle": 2000,
    "cap_per_period": 5000,
}


def test_a_quarterly_cycle_takes_the_threshold_once_a_quarter_and_caps_each_quarter() -> None:
    schedule = Schedule.from_dict(QUARTERLY)
    january = Earlier(care_type="inpatient", paid=D(0), base=D(600), admitted_on=date(2026, 1, 10))
    # February: 600 + 800 = 1,400 in the quarter, 1,000 of threshold: 400 × 50% = 200.
    february = calculate(schedule, Claim(self_paid=D(800), admitted_on=date(2026, 2, 3), earlier=(january,)))
    assert february.payout == D("200.00")
    assert (
        "Settled by cycle: the threshold and the cap of 2,000.00 yuan count the claims of quarter 1 of 2026 only"
        in (_labels(february))
    )
    # April starts a new quarter: the threshold again, (1,800 − 1,000) × 50% = 400.
    april = calculate(schedule, Claim(self_paid=D(1800), admitted_on=date(2026, 4, 3), earlier=(january,)))
    assert april.payout == D("400.00")
    # The quarter's cap: 1,500 paid in May, so June's (10,000 − 0) × 50% = 5,000 is limited to 500.
    may = Earlier(care_type="inpatient", paid=D(1500), base=D(4000), admitted_on=date(2026, 5, 3))
    june = calculate(schedule, Claim(self_paid=D(10000), admitted_on=date(2026, 6, 3), earlier=(may,)))
    assert june.payout == D("500.00")
    assert "Limited to the 500.00 yuan left under the settlement cycle's cap" in _labels(june)
    assert june.cap_left_after == D("3000.00")  # the period's 5,000 less 1,500 and 500


def test_a_monthly_cycle_with_the_period_cap_left_lower_keeps_the_period_cap() -> None:
    schedule = Schedule.from_dict({**QUARTERLY, "settlement_cycle": "month"})
    paid = tuple(
        Earlier(care_type="inpatient", paid=D(1200), base=D(3400), admitted_on=date(2026, month, 2))
        for month in (1, 2, 3, 4)
    )
    result = calculate(schedule, Claim(self_paid=D(10000), admitted_on=date(2026, 5, 3), earlier=paid))
    # The month's cap leaves 2,000 but the period's 5,000 less 4,800 leaves 200.
    assert result.payout == D("200.00")
    assert "left under the period cap" in _labels(result)


# --- Refused schedules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (
            {"band_lump_sums": [{"upto": 5000, "amount": 0}, {"upto": 5000, "amount": 1}, {"upto": None, "amount": 2}]},
            "band_lump_sums",
        ),
        ({"band_lump_sums": [{"upto": 5000, "amount": 0}]}, "band_lump_sums"),
        ({"band_lump_sum_mode": "instead"}, "band_lump_sum_mode"),
        ({"cap_per_cycle": 2000}, "cap_per_cycle"),
        ({"settlement_cycle": "week"}, "settlement_cycle"),
        ({"settlement_cycle": "month", "cap_per_cycle": 40, "minimum_payout": 50}, "cap_per_cycle"),
        ({"exclusive": [{"kinds": ["death"]}]}, "exclusive"),
        ({"exclusive": [{"kinds": ["death", "funeral"]}]}, "exclusive"),
        ({"exclusive": [{"kinds": ["death", "accidental_death"], "choose": "both"}]}, "exclusive.choose"),
        ({"add_ons": [{"label": "补助", "amount": 10, "per": "week"}]}, "add_ons.补助.per"),
        ({"add_ons": [{"amount": 10}]}, "add_ons[1]"),
        ({"add_ons": [{"label": "补助", "amount": 10, "kinds": ["funeral"]}]}, "add_ons.补助.kinds"),
        ({"eligibility": {"min_age": 60, "max_age_female": 55}}, "eligibility.max_age_female"),
        ({"eligibility": {"genders": ["X"]}}, "eligibility.genders"),
        ({"eligibility": {}}, "eligibility"),
        ({"once_per_member": "yes"}, "once_per_member"),
        ({"kinds": {"inpatient": {"exclusive": []}}}, "exclusive"),
    ],
)
def test_a_schedule_that_cannot_work_is_refused_with_the_field_named(data: dict[str, Any], named: str) -> None:
    with pytest.raises(ScheduleError) as error:
        Schedule.from_dict(data)
    assert named in error.value.message


def test_every_regional_preset_round_trips() -> None:
    for name, item in PRESETS.items():
        schedule = Schedule.from_dict(item.schedule)
        assert Schedule.from_dict(schedule.to_dict()) == schedule, name


# --- Properties --------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=200000, places=2)


@settings(max_examples=150, deadline=None)
@given(self_paid=amounts, days=st.integers(0, 60), flat=st.integers(0, 500), daily=st.integers(0, 50))
def test_add_ons_add_exactly_their_amounts_when_no_cap_limits(
    self_paid: Decimal, days: int, flat: int, daily: int
) -> None:
    plain = {"segments": [{"upto": 10000, "ratio": "0.5"}, {"upto": None, "ratio": "0.7"}]}
    added = {
        **plain,
        "add_ons": [
            {"label": "一次", "amount": flat, "per": "claim"},
            {"label": "每天", "amount": daily, "per": "day"},
        ],
    }
    claim = Claim(self_paid=self_paid, days_in_hospital=days)
    without = calculate(Schedule.from_dict(plain), claim).payout
    with_add_ons = calculate(Schedule.from_dict(added), claim).payout
    assert with_add_ons == without + flat + daily * days


@settings(max_examples=150, deadline=None)
@given(
    total=amounts,
    fund_share=st.decimals(min_value=0, max_value=1, places=2),
    assistance=amounts,
    lump=st.integers(0, 50000),
    mode=st.sampled_from(["add", "larger"]),
)
def test_band_lump_sums_never_pay_above_the_burden_after_other_payers(
    total: Decimal, fund_share: Decimal, assistance: Decimal, lump: int, mode: str
) -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": None, "ratio": "0.9"}],
            "band_lump_sums": [{"upto": 5000, "amount": lump // 2}, {"upto": None, "amount": lump}],
            "band_lump_sum_mode": mode,
            "minimum_payout": 200,
        }
    )
    fund = (total * fund_share).quantize(D("0.01"))
    assistance = min(assistance, total - fund)
    claim = Claim(
        self_paid=total - fund,
        total_cost=total,
        fund_paid=fund,
        other_payers=(("medical_assistance_paid", assistance),),
    )
    result = calculate(schedule, claim)
    assert result.payout <= total - fund - assistance
    assert _sum(result) == result.payout


@settings(max_examples=150, deadline=None)
@given(first=st.integers(0, 50000), second=st.integers(0, 50000))
def test_of_an_exclusive_pair_the_two_claims_together_pay_the_larger_alone(first: int, second: int) -> None:
    schedule = Schedule.from_dict(
        {
            "covered_care": ["death", "accidental_death"],
            "death": {"condolence": first},
            "exclusive": [{"kinds": ["death", "accidental_death"], "choose": "larger"}],
            "kinds": {"accidental_death": {"death": {"condolence": second}}},
        }
    )
    one = calculate(schedule, Claim(care_type="death", earlier=()))
    two = calculate(
        schedule, Claim(care_type="accidental_death", earlier=(Earlier(care_type="death", paid=one.payout, base=D(0)),))
    )
    assert one.payout + two.payout == max(first, second)


@settings(max_examples=150, deadline=None)
@given(
    earlier_base=amounts,
    earlier_month=st.integers(1, 3),
    self_paid=amounts,
    month=st.integers(4, 12),
    cycle=st.sampled_from(["quarter", "month"]),
)
def test_claims_of_another_settlement_cycle_do_not_change_a_claims_threshold_or_cycle_cap(
    earlier_base: Decimal, earlier_month: int, self_paid: Decimal, month: int, cycle: str
) -> None:
    schedule = Schedule.from_dict({**QUARTERLY, "settlement_cycle": cycle, "cap_per_period": None})
    earlier = Earlier(care_type="inpatient", paid=D(2000), base=earlier_base, admitted_on=date(2026, earlier_month, 5))
    alone = calculate(schedule, Claim(self_paid=self_paid, admitted_on=date(2026, month, 5), earlier=()))
    after = calculate(schedule, Claim(self_paid=self_paid, admitted_on=date(2026, month, 5), earlier=(earlier,)))
    assert alone.payout == after.payout <= D(2000)


# --- Through the claim file --------------------------------------------------------------------


def test_a_registered_claim_is_refused_for_the_members_gender_and_paid_for_the_other(claims_ready: Tree) -> None:
    tree = claims_ready
    enrollment = tree.a.enrollment
    other = "M" if enrollment.gender == "F" else "F"
    rules = {"segments": [{"upto": None, "ratio": "0.5"}], "eligibility": {"genders": [other]}}
    claimkit.set_schedule(tree.a.office_user, tree.a.period, rules)
    refused = claimkit.register(tree.a.unit_agent, enrollment)
    assert refused.payout == 0 and "members only" in refused.refused_reason
    claimkit.set_schedule(tree.a.office_user, tree.a.period, {**rules, "eligibility": {"genders": [enrollment.gender]}})
    paid = claimkit.register(tree.a.unit_agent, enrollment, invoices=("INV-G2",))
    assert paid.payout > 0 and not paid.refused_reason


def test_a_registered_critical_illness_is_paid_once_for_the_member(claims_ready: Tree) -> None:
    tree = claims_ready
    claimkit.set_schedule(tree.a.office_user, tree.a.period, PRESETS["huzhou_critical_illness"].schedule)
    figures: dict[str, Any] = {
        "care_type": "critical_illness",
        "discharged_on": None,
        "total_cost": D(0),
        "insurance_paid": D(0),
        "deductible_part": D(0),
        "self_paid": D(0),
        "not_covered": D(0),
    }
    papers = [claimkit.upload("diagnosis")]
    first = claimkit.register(tree.a.unit_agent, tree.a.enrollment, invoices=(), documents=papers, **figures)
    assert first.payout == D("3000.00")
    first = claimkit.approve(tree.a.reviewers, first)
    assert first.status not in (ClaimStatus.FIRST_REVIEW, ClaimStatus.REJECTED)
    second = claimkit.register(
        tree.a.unit_agent, tree.a.enrollment, invoices=(), documents=papers, admitted_on=date(2026, 6, 1), **figures
    )
    assert second.payout == 0 and "once per member for life" in second.refused_reason


def test_a_schedule_with_a_bad_term_is_not_saved_and_names_the_field(claims_ready: Tree) -> None:
    tree = claims_ready
    with pytest.raises(ValidationError) as error:
        claimkit.set_schedule(
            tree.a.office_user, tree.a.period, {"segments": [{"upto": None, "ratio": "0.5"}], "cap_per_cycle": 100}
        )
    assert "cap_per_cycle" in " ".join(error.value.messages)

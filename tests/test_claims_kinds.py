"""Issue 17, the benefit engine core: terms per kind of care inside one schedule, the base as the
region defines it and the member's burden after other payers, versions by admission date, the stay
that began before cover, lines a member can check, refused schedules, the stored schedules brought
to the current form, and the properties that must hold for every schedule of kinds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
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
from claims.benefits.upgrade import upgrade
from claims.models import Claim as ClaimRow
from claims.models import ClaimStatus
from claims.services.registration import claim_amend
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit, test_claims_rules
from tests.conftest import Tree

D = Decimal
GRADES = ["1", "0.9", "0.8", "0.7", "0.6", "0.5", "0.4", "0.3", "0.2", "0.1"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _labels(result: Result) -> list[str]:
    return [line.label for line in result.lines]


def _sum(result: Result) -> Decimal:
    return sum((line.amount for line in result.lines), D(0))


# A city's whole set of benefits in one schedule: each kind with its own terms.
CITY = {
    "segments": [{"upto": None, "ratio": "0.6"}],
    "plan_deductible": 500,
    "cap_per_period": 50000,
    "minimum_payout": 100,
    "daily_allowance": 20,
    "covered_care": [
        "inpatient",
        "outpatient",
        "outpatient_chronic",
        "accident_medical",
        "disability",
        "death",
        "accidental_death",
        "critical_illness",
        "women_special_illness",
    ],
    "death": {"condolence": 5000},
    "critical_illness": {"lump_sum": 10000},
    "disability": {"sum_insured": 100000, "grade_ratios": GRADES},
    "kinds": {
        "inpatient": {"label": "住院医疗互助金", "max_claims_per_period": 2},
        "outpatient": {
            "label": "普通门诊补助",
            "cap_group": "outpatient",
            "threshold_basis": "per_year",
            "plan_deductible": 1300,
            "segments": [{"upto": None, "ratio": "0.2"}],
            "cap_per_period": 3000,
            "minimum_payout": 0,
            "daily_allowance": 0,
        },
        "outpatient_chronic": {
            "label": "门诊慢特病补助",
            "cap_group": "outpatient",
            "cap_per_period": 3000,
            "minimum_payout": 0,
            "daily_allowance": 0,
            "plan_deductible": 0,
        },
        "accident_medical": {
            "label": "意外医疗",
            "cap_group": "accident",
            "cap_per_period": 10000,
            "base": "whole_self_paid",
            "plan_deductible": 0,
            "segments": [{"upto": None, "ratio": "1"}],
            "waiting_days": 0,
        },
        "disability": {
            "label": "意外伤残",
            "cap_group": "accident",
            "cap_per_period": 10000,
            "minimum_payout": 0,
            "disability": {"sum_insured": 10000, "grade_ratios": GRADES},
            "multiply_by_shares": True,
        },
        "death": {"label": "病故慰问金", "cap_group": "death", "cap_per_period": None, "minimum_payout": 0},
        "accidental_death": {
            "label": "意外身故",
            "cap_group": "death",
            "cap_per_period": None,
            "minimum_payout": 0,
            "death": {"condolence": 20000},
            "multiply_by_shares": True,
        },
        "critical_illness": {"label": "重大疾病补助", "cap_group": "lump", "cap_per_period": None, "minimum_payout": 0},
        "women_special_illness": {
            "label": "女职工特殊疾病补助",
            "cap_group": "lump",
            "cap_per_period": None,
            "minimum_payout": 0,
            "critical_illness": {"lump_sums_by_severity": {"乳腺癌": 8000}},
        },
    },
}


def _city() -> Schedule:
    return Schedule.from_dict(CITY)


# --- 1. Terms per kind of care -----------------------------------------------------------------


def test_each_kind_pays_by_its_own_terms_and_is_labelled_by_its_own_name() -> None:
    schedule = _city()
    inpatient = calculate(schedule, Claim(self_paid=D(9300), days_in_hospital=5, earlier=()))
    # (9,300 − 500) × 60% = 5,280 and 5 days × 20.
    assert inpatient.payout == D("5380.00")
    assert _labels(inpatient)[0] == "Benefit: 住院医疗互助金"
    assert "Self-paid amount × 60.0%: (9,300.00 − 500.00) × 60.0% = 5,280.00" in _labels(inpatient)

    outpatient = calculate(
        schedule, Claim(care_type="outpatient", self_paid=D(9300), admitted_on=date(2026, 3, 1), earlier=())
    )
    # The seeds' outpatient line: (9,300 − 1,300) × 20% = 1,600.00.
    assert outpatient.payout == D("1600.00")
    assert "Self-paid %" not in " ".join(_labels(outpatient))
    assert any(
        label.endswith("1,300.00 yuan in the year is not paid, 1,300.00 yuan of it in this claim")
        for label in _labels(outpatient)
    )
    assert any("8,000.00 × 20.0% = 1,600.00" in label for label in _labels(outpatient))
    assert _labels(outpatient)[0] == "Benefit: 普通门诊补助"

    lump = calculate(schedule, Claim(care_type="women_special_illness", severity="乳腺癌", earlier=()))
    assert lump.payout == D("8000.00")
    assert _labels(lump) == ["Benefit: 女职工特殊疾病补助", "女职工特殊疾病补助: lump sum for 乳腺癌"]
    assert not any("Critical illness" in label for label in _labels(lump))


def test_disability_pays_its_grades_share_of_the_sum_by_shares() -> None:
    result = calculate(_city(), Claim(care_type="disability", disability_grade=8, shares=4, earlier=()))
    # 10,000 × 30% = 3,000 a share, × 4 shares = 12,000, cut to the accident group's cap of 10,000.
    assert _labels(result)[1] == (
        "意外伤残, grade 8: 10,000.00 × 30.0%: 10,000.00 × 30.0% × 4 shares: 3,000.00 yuan/share × 4 shares = 12,000.00"
    )
    assert result.payout == D("10000.00")
    refused = calculate(_city(), Claim(care_type="disability", disability_grade=0, earlier=()))
    assert refused.payout == 0 and "disability grade" in (refused.refused_reason or "")


def test_accidental_death_pays_per_share_by_its_own_name() -> None:
    result = calculate(_city(), Claim(care_type="accidental_death", shares=2, earlier=()))
    assert result.payout == D("40000.00")
    assert _labels(result)[1] == "意外身故: condolence × 2 shares: 20,000.00 yuan/share × 2 shares = 40,000.00"


def _medical(kind: str, paid: str, base: str = "1000", on: date | None = None) -> Earlier:
    return Earlier(care_type=kind, paid=D(paid), base=D(base), admitted_on=on)


def test_a_claim_count_limit_counts_its_own_kind_only_so_death_is_never_refused_for_medical_claims() -> None:
    schedule = _city()
    two_stays = (_medical("inpatient", "3000"), _medical("inpatient", "3000"))
    third = calculate(schedule, Claim(self_paid=D(2000), earlier=two_stays))
    assert third.payout == 0 and "at most 2" in (third.refused_reason or "")
    death = calculate(schedule, Claim(care_type="death", earlier=two_stays))
    assert death.payout == D("5000.00") and death.refused_reason is None
    outpatient = calculate(schedule, Claim(care_type="outpatient", self_paid=D(2000), earlier=two_stays))
    assert outpatient.refused_reason is None and outpatient.payout == D("140.00")


def test_caps_are_shared_within_a_cap_group_and_separate_between_groups() -> None:
    schedule = _city()
    # The outpatient group has paid 2,900 of its 3,000: a chronic-disease claim gets the 100 left.
    earlier = (_medical("outpatient", "2900"), _medical("inpatient", "45000"))
    chronic = calculate(schedule, Claim(care_type="outpatient_chronic", self_paid=D(1000), earlier=earlier))
    assert chronic.payout == D("100.00") and chronic.cap_left_after == D(0)
    # The inpatient cap of 50,000 knows nothing of outpatient payouts: 5,000 left, of which 600 is paid.
    stay = calculate(schedule, Claim(self_paid=D(1500), earlier=earlier))
    assert stay.payout == D("600.00") and stay.cap_left_after == D("4400.00")


def test_a_per_year_threshold_counts_the_kinds_earlier_claims_of_the_calendar_year_only() -> None:
    schedule = _city()
    spring = _medical("outpatient", "0", base="1000", on=date(2026, 3, 1))
    other_kind = _medical("outpatient_chronic", "0", base="5000", on=date(2026, 3, 1))
    last_year = Earlier("outpatient", D(0), D(5000), date(2025, 12, 1), in_period=False)
    claim = Claim(
        care_type="outpatient", self_paid=D(1300), admitted_on=date(2026, 5, 1), earlier=(spring, other_kind, last_year)
    )
    # 1,000 of the 1,300 threshold was used in March: (2,300 − 1,300) × 20% of this claim's 1,000 = 200.
    assert calculate(schedule, claim).payout == D("200.00")


# --- 2. The base and the burden after other payers -----------------------------------------------


SETTLEMENT = {
    "total_cost": D(20000),
    "fund_paid": D(12000),
    "self_paid": D(5000),
    "deductible_part": D(1000),
    "not_covered": D(2000),
}


@pytest.mark.parametrize(
    ("base", "payout"),
    [
        ("self_paid", "2500.00"),  # 5,000 × 50%
        ("whole_self_paid", "4000.00"),  # (20,000 − 12,000) × 50%
        ("total_cost", "5000.00"),  # 20,000 × 50%, limited to the 20,000 − 12,000 − 3,000 the member bore
        ("fund_paid", "5000.00"),  # 12,000 × 50% = 6,000, limited to the same 5,000
        ("after_other_payers", "2500.00"),  # (20,000 − 12,000 − 3,000) × 50%
        ("fund_derived", "1500.00"),  # 12,000 ÷ 80% − 12,000 = 3,000, × 50%
    ],
)
def test_each_base_pays_on_its_own_figure(base: str, payout: str) -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], "base": base, "fund_ratio": "0.8"})
    claim = Claim(**SETTLEMENT, other_payers=(("serious_illness_paid", D(3000)),))
    assert calculate(schedule, claim).payout == D(payout)


def test_the_base_derived_from_the_fund_is_capped_by_the_receipts_and_says_so() -> None:
    schedule = Schedule.from_dict(
        {"segments": [{"upto": None, "ratio": "1"}], "base": "fund_derived", "fund_ratio": "0.5"}
    )
    # 12,000 ÷ 50% − 12,000 = 12,000, but the receipts leave only 20,000 − 12,000 = 8,000.
    result = calculate(schedule, Claim(**SETTLEMENT))
    assert result.base == D(8000) and result.payout == D("8000.00")
    assert _labels(result)[0].startswith("Base: self-paid amount derived from the fund's payment, 12,000.00 ÷ 50.0%")


def test_seed_004_the_payout_never_exceeds_what_the_member_bore_after_other_payers() -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.9"}], "multiply_by_shares": True})
    others = (("medical_assistance_paid", D(3000)), ("commercial_insurance_paid", D(3500)))
    result = calculate(schedule, Claim(**SETTLEMENT, shares=3, other_payers=others))
    # 5,000 × 90% × 3 = 13,500, but the member bore 20,000 − 12,000 − 3,000 − 3,500 = 1,500.
    assert result.payout == D("1500.00")
    assert _labels(result)[-1] == (
        "Limited to what the member bore after the other payers: total expense 20,000.00 − fund 12,000.00 − "
        "medical assistance 3,000.00 − commercial insurance 3,500.00 = 1,500.00"
    )
    # The minimum payout does not lift a claim above the member's burden either.
    tiny = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], "minimum_payout": 200})
    left = calculate(tiny, Claim(self_paid=D(100), total_cost=D(1000), fund_paid=D(900)))
    assert left.payout == D("50.00")


def test_a_base_that_needs_the_total_refuses_a_claim_without_it() -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], "base": "total_cost"})
    result = calculate(schedule, Claim(self_paid=D(100)))
    assert result.payout == 0 and "total expense" in (result.refused_reason or "")


# --- 3. Rules that change within a period ----------------------------------------------------------


QUZHOU = {
    "segments": [{"upto": None, "ratio": "0.5"}],
    "plan_deductible": 500,
    "versions": [{"starts_on": "2026-07-01", "label": "新起付线", "set": {"plan_deductible": 1000}}],
}


@pytest.mark.parametrize(
    ("admitted", "payout", "version"),
    [(date(2026, 6, 30), "750.00", None), (date(2026, 7, 1), "500.00", 1), (None, "750.00", None)],
)
def test_the_admission_date_decides_which_version_applies_and_the_lines_say_so(
    admitted: date | None, payout: str, version: int | None
) -> None:
    result = calculate(Schedule.from_dict(QUZHOU), Claim(self_paid=D(2000), admitted_on=admitted))
    assert result.payout == D(payout) and result.version == version
    if version:
        assert _labels(result)[0] == "Version 1 of the schedule applies, for admissions from 2026-07-01 (新起付线)"


@pytest.mark.parametrize(
    ("rule", "payout", "refused"),
    [("from_cover_date", "400.00", False), ("in_full", "1000.00", False), ("not_paid", "0.00", True)],
)
def test_a_stay_that_began_before_cover_is_paid_as_the_schedule_says(rule: str, payout: str, refused: bool) -> None:
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], "stay_before_cover": rule})
    claim = Claim(self_paid=D(2000), days_in_hospital=10, days_before_cover=6, days_since_cover_start=0)
    result = calculate(schedule, claim)
    assert result.payout == D(payout)
    assert (result.refused_reason is not None) is refused
    if rule == "from_cover_date":
        assert "Base for the covered days: 2,000.00 × 4/10 = 800.00" in _labels(result)


def test_inner_mongolia_has_no_observation_period() -> None:
    schedule = Schedule.from_dict(PRESETS["inner_mongolia"].schedule)
    claim = Claim(self_paid=D(1000), days_before_cover=3, days_since_cover_start=0, days_in_hospital=5)
    assert calculate(schedule, claim).refused_reason is None
    # The waiting period is the period's unless the schedule's kind or variant replaces it.
    waiting = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}]})
    assert calculate(waiting, Claim(self_paid=D(100), days_since_cover_start=10, waiting_days=30)).refused_reason
    accident = _city()
    claim = Claim(care_type="accident_medical", self_paid=D(100), days_since_cover_start=0, waiting_days=90, earlier=())
    assert calculate(accident, claim).refused_reason is None


# --- 4. Refused schedules, each naming its field ---------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cap_per_period": 50, "minimum_payout": 100}, "cap_per_period (a cap) of 50 yuan is below minimum_payout"),
        ({"kinds": {"inpatient": {"base": None}}}, "kinds.inpatient: base (what the ratios are paid on) is empty"),
        ({"kinds": {"inpatient": {"base": ""}}}, "base (what the ratios are paid on) is empty"),
        ({"base": "fund_derived"}, "base fund_derived needs fund_ratio"),
        (
            {"kinds": {"dialysis": {}}},
            "kinds.dialysis gives terms for a kind of care that covered_care does not include",
        ),
        (
            {
                "kinds": {
                    "inpatient": {
                        "segments": [{"upto": 10, "ratio": 1}, {"upto": 10, "ratio": 1}, {"upto": None, "ratio": 1}]
                    }
                }
            },
            "kinds.inpatient: Segment 2 ends at the same amount",
        ),
        (
            {"covered_care": ["inpatient", "dialysis"], "kinds": {"dialysis": {"cap_per_period": 10}}},
            "kinds.dialysis: its period cap differs from that of inpatient",
        ),
        (
            {"versions": [{"starts_on": "2026-07-01", "set": {}}, {"starts_on": "2026-07-01", "set": {}}]},
            "versions, item 2: starts_on (effective from) 2026-07-01 is not after",
        ),
        (
            {"versions": [{"starts_on": "1 July", "set": {}}]},
            "versions, item 1: starts_on (effective from) must be a date",
        ),
        (
            {"versions": [{"starts_on": "2026-07-01", "set": {"rounding": "cents"}}]},
            "versions, item 1: Unknown rounding",
        ),
        ({"covered_care": ["disability"]}, "covered_care includes disability but the schedule has no disability"),
        (
            {"covered_care": ["maternity"]},
            "covered_care includes maternity, which is paid by a critical_illness section",
        ),
        ({"threshold_basis": "none", "plan_deductible": 100}, "threshold_basis none (no threshold) cannot go"),
        ({"stay_before_cover": "sometimes"}, "Unknown stay_before_cover sometimes"),
    ],
)
def test_a_schedule_that_cannot_work_is_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ScheduleError) as error:
        Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], **changes})
    assert message in error.value.message


def test_the_schedule_of_kinds_round_trips_through_json() -> None:
    schedule = _city()
    written = json.loads(json.dumps(schedule.to_dict()))
    assert Schedule.from_dict(written) == schedule
    assert Schedule.from_dict(json.loads(json.dumps(Schedule.from_dict(QUZHOU).to_dict()))) == Schedule.from_dict(
        QUZHOU
    )


# --- Stored schedules to the current form: the same payouts ----------------------------------------


def _examples() -> list[tuple[str, dict[str, Any]]]:
    """Every schedule of the existing worked examples and test cases: the presets, and every
    schedule the rules tests name at module level."""
    found = [(f"preset {slug}", dict(preset.schedule)) for slug, preset in PRESETS.items()]
    for name in dir(test_claims_rules):
        value = getattr(test_claims_rules, name)
        if name.isupper() and isinstance(value, dict) and ("segments" in value or "covered_care" in value):
            found.append((name, value))
    found.append(("cumulative", {**test_claims_rules.JINHUA, "threshold_basis": "cumulative", "waiting_days": 30}))
    found.append(
        (
            "variants cumulative",
            {
                **test_claims_rules.JINHUA,
                "variants": [{"when": {"admission_order": [2]}, "set": {"threshold_basis": "cumulative"}}],
            },
        )
    )
    return found


CLAIMS = [
    Claim(**dict(fields))
    for fields in (
        {"self_paid": D("2287.99"), "days_in_hospital": 10},
        {"self_paid": D(12000), "deductible_part": D(1000), "shares": 2, "paid_before_in_period": D(40000)},
        {"self_paid": D(5000), "self_paid_before_in_period": D(7000), "admission_order": 2},
        {"self_paid": D(300), "days_in_hospital": 10, "membership_year": 2, "days_since_cover_start": 20},
        {"self_paid": D(100000), "days_in_hospital": 200, "member_category": "retired", "claims_before_in_period": 1},
        {"care_type": "critical_illness", "illness_days": 45, "severity": "severe", "self_paid": D(8000)},
        {"care_type": "death", "paid_before_in_period": D(4000), "shares": 3},
        {"care_type": "dialysis", "self_paid": D(1000)},
    )
]


@pytest.mark.parametrize(("name", "rules"), _examples(), ids=[name for name, _rules in _examples()])
def test_every_existing_schedule_migrates_to_the_current_form_and_pays_the_same(
    name: str, rules: dict[str, Any]
) -> None:
    old = Schedule.from_dict(rules)
    migrated, waiting = upgrade(rules)
    assert "waiting_days" not in migrated and "cumulative" not in json.dumps(migrated)
    new = Schedule.from_dict(migrated)
    for claim in CLAIMS:
        # The waiting period that moved to the period comes back with the claim, from the period.
        claim = replace(claim, waiting_days=waiting or 0)
        before, after = calculate(old, claim), calculate(new, claim)
        assert (after.payout, after.refused_reason, after.cap_left_after) == (
            before.payout,
            before.refused_reason,
            before.cap_left_after,
        ), (name, claim)
        assert [line.amount for line in after.lines] == [line.amount for line in before.lines]


# --- Properties ----------------------------------------------------------------------------------


money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
ratio = st.sampled_from(["0.2", "0.5", "0.8", "1"])
BASES = ["self_paid", "whole_self_paid", "total_cost", "fund_paid", "after_other_payers", "fund_derived"]


@st.composite
def settlements(draw: st.DrawFn, *, kind: str = "inpatient") -> Claim:
    fund, deductible, self_paid, not_covered = (draw(money) for _ in range(4))
    total = fund + deductible + self_paid + not_covered
    bore = total - fund
    first = draw(st.decimals(min_value=0, max_value=bore, places=2))
    second = draw(st.decimals(min_value=0, max_value=bore - first, places=2))
    return Claim(
        care_type=kind,
        total_cost=total,
        fund_paid=fund,
        deductible_part=deductible,
        self_paid=self_paid,
        not_covered=not_covered,
        other_payers=(("serious_illness_paid", first), ("commercial_insurance_paid", second)),
        shares=draw(st.integers(min_value=1, max_value=5)),
        earlier=(),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(BASES),
    ratio,
    st.booleans(),
    st.sampled_from([0, 50, 500]),
    st.sampled_from(["fen_half_up", "yuan_half_up", "yuan_down"]),
    settlements(),
)
def test_a_medical_payout_never_exceeds_the_members_burden_after_other_payers(
    base: str, paid: str, shares: bool, minimum: int, rounding: str, claim: Claim
) -> None:
    schedule = Schedule.from_dict(
        {
            "segments": [{"upto": 1000, "ratio": "1"}, {"upto": None, "ratio": paid}],
            "base": base,
            "fund_ratio": "0.7",
            "deductible_ratio": "1",
            "multiply_by_shares": shares,
            "minimum_payout": minimum,
            "rounding": rounding,
        }
    )
    result = calculate(schedule, claim)
    burden = claim.total_cost - claim.fund_paid - sum((amount for _name, amount in claim.other_payers), D(0))
    assert result.payout <= burden
    assert _sum(result) == result.payout


KINDS = ["inpatient", "outpatient", "outpatient_chronic", "accident_medical", "death", "disability"]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.lists(st.tuples(st.sampled_from(KINDS), money), max_size=8),
    st.decimals(min_value=0, max_value=20_000, places=2),
)
def test_each_kinds_limits_are_independent_of_the_other_kinds_claims(
    kind: str, history: list[tuple[str, Decimal]], self_paid: Decimal
) -> None:
    schedule = _city()
    own = tuple(Earlier(k, amount, amount) for k, amount in history if k == kind)
    others = tuple(Earlier(k, amount, amount) for k, amount in history if k != kind and not _shares_cap(kind, k))
    claim = Claim(care_type=kind, self_paid=self_paid, disability_grade=5, earlier=own, admitted_on=date(2026, 4, 1))
    alone = calculate(schedule, claim)
    mixed = calculate(schedule, replace(claim, earlier=own + others))
    assert (mixed.payout, mixed.refused_reason, mixed.cap_left_after) == (
        alone.payout,
        alone.refused_reason,
        alone.cap_left_after,
    )


def _shares_cap(kind: str, other: str) -> bool:
    schedule = _city()
    group = {terms.kind: terms.cap_group for terms in schedule.kinds}
    return group.get(kind, "") == group.get(other, "")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0, 200, 500, 1000, 1300]), min_size=1, max_size=4),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    st.decimals(min_value=0, max_value=20_000, places=2),
)
def test_versions_apply_by_admission_date(deductibles: list[int], admitted: date, self_paid: Decimal) -> None:
    starts = [date(2026, month, 1) for month in range(2, 2 + 3 * len(deductibles), 3)][: len(deductibles)]
    versions = [
        {"starts_on": start.isoformat(), "set": {"plan_deductible": amount}}
        for start, amount in zip(starts, deductibles, strict=True)
    ]
    schedule = Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], "versions": versions})
    result = calculate(schedule, Claim(self_paid=self_paid, admitted_on=admitted))
    in_force = [amount for start, amount in zip(starts, deductibles, strict=True) if start <= admitted]
    deductible = in_force[-1] if in_force else 0
    expected = calculate(
        Schedule.from_dict({"segments": [{"upto": None, "ratio": "0.5"}], "plan_deductible": deductible}),
        Claim(self_paid=self_paid),
    )
    assert result.payout == expected.payout
    assert result.version == (len(in_force) or None)


# --- Through the claim file ------------------------------------------------------------------------


def test_a_registered_claim_pays_on_the_burden_after_other_payers_and_keeps_its_base(claims_ready: Tree) -> None:
    tree = claims_ready
    rules = {"segments": [{"upto": None, "ratio": "0.9"}], "base": "after_other_payers", "multiply_by_shares": True}
    claimkit.set_schedule(tree.a.office_user, tree.a.period, rules)
    claim = claimkit.register(tree.a.unit_agent, tree.a.enrollment, medical_assistance_paid=D(1000))
    # The member bore 10,000 − 7,000 − 1,000 = 2,000: × 90% = 1,800.
    assert claim.payout == D("1800.00") and claim.benefit_base == D("2000.00")
    assert claim.medical_assistance_paid == D(1000)
    with pytest.raises(ValidationError) as error:
        claimkit.register(tree.a.unit_agent, tree.a.enrollment, commercial_insurance_paid=D(3001), invoices=("X2",))
    assert "serious_illness_paid" in error.value.message_dict


def test_a_death_claim_is_paid_after_the_medical_claims_used_up_their_count(claims_ready: Tree) -> None:
    tree = claims_ready
    rules = {
        "segments": [{"upto": None, "ratio": "0.5"}],
        "covered_care": ["inpatient", "death"],
        "max_claims_per_period": 1,
        "death": {"condolence": 3000},
    }
    claimkit.set_schedule(tree.a.office_user, tree.a.period, rules)
    first = claimkit.approve(tree.a.reviewers, claimkit.register(tree.a.unit_agent, tree.a.enrollment))
    assert first.status not in (ClaimStatus.FIRST_REVIEW, ClaimStatus.REJECTED)
    second = claimkit.register(
        tree.a.unit_agent,
        tree.a.enrollment,
        invoices=("INV0002",),
        admitted_on=date(2026, 4, 2),
        discharged_on=date(2026, 4, 5),
    )
    assert second.payout == 0 and second.refused_reason
    death = claimkit.register(
        tree.a.unit_agent,
        tree.a.enrollment,
        care_type="death",
        invoices=(),
        admitted_on=date(2026, 5, 1),
        discharged_on=None,
        total_cost=D(0),
        insurance_paid=D(0),
        deductible_part=D(0),
        self_paid=D(0),
        not_covered=D(0),
    )
    assert death.payout == D("3000.00") and not death.refused_reason


def test_the_period_holds_the_waiting_period_and_versions_start_inside_it(claims_ready: Tree) -> None:
    tree = claims_ready
    base = {"segments": [{"upto": None, "ratio": "0.5"}]}
    with pytest.raises(ValidationError, match="waiting_days"):
        claimkit.set_schedule(tree.a.office_user, tree.a.period, {**base, "waiting_days": 30})
    outside = {**base, "versions": [{"starts_on": "2030-01-01", "set": {"plan_deductible": 100}}]}
    with pytest.raises(ValidationError, match="outside the period"):
        claimkit.set_schedule(tree.a.office_user, tree.a.period, outside)
    with unscoped():
        tree.a.period.waiting_days = 400
        tree.a.period.save()
    claimkit.set_schedule(tree.a.office_user, tree.a.period, base)
    claim = claimkit.register(tree.a.unit_agent, tree.a.enrollment)
    assert claim.payout == 0 and "waiting period of 400 days" in claim.refused_reason


def test_a_stay_into_the_cover_is_taken_only_where_the_schedule_pays_it(claims_ready: Tree) -> None:
    tree = claims_ready
    starts = tree.a.enrollment.starts_on
    stay = {
        "admitted_on": date.fromordinal(starts.toordinal() - 2),
        "discharged_on": date.fromordinal(starts.toordinal() + 7),
    }
    with pytest.raises(ValidationError) as error:
        claimkit.register(tree.a.unit_agent, tree.a.enrollment, **stay)
    assert "admitted_on" in error.value.message_dict
    rules = {"segments": [{"upto": None, "ratio": "0.5"}], "stay_before_cover": "from_cover_date"}
    claimkit.set_schedule(tree.a.office_user, tree.a.period, rules)
    claim = claimkit.register(tree.a.unit_agent, tree.a.enrollment, **stay)
    # 7 of the 9 days are covered: 2,287.99 × 7/9 × 50%.
    assert claim.payout == (D("2287.99") * 7 / 9 * D("0.5")).quantize(D("0.01"))
    with org_scope(tree.a.office_user.org, actor_id=tree.a.office_user.pk), unscoped():
        assert ClaimRow.objects.get(pk=claim.pk).benefit_base == D("2287.99")


def test_an_amendment_enters_another_payer_and_the_payout_falls_to_the_burden_left(claims_ready: Tree) -> None:
    tree = claims_ready
    rules = {"segments": [{"upto": None, "ratio": "1"}], "base": "after_other_payers"}
    claimkit.set_schedule(tree.a.office_user, tree.a.period, rules)
    people = tree.a.reviewers
    claim = claimkit.register(tree.a.unit_agent, tree.a.enrollment)
    # 10,000 − 7,000 = 3,000 borne by the member, all of it paid at 100%.
    assert claim.payout == D("3000.00")
    with org_scope(tree.a.city, actor_id=people.officer.pk):
        claim = claim_amend(
            actor=people.officer,
            claim=claim,
            version=claim.version,
            figures=claimkit.figures(serious_illness_paid=D("2500.00")),
        )
    assert claim.payout == D("500.00") and claim.serious_illness_paid == D("2500.00")
    with unscoped():
        history = " ".join(step.note for step in claim.steps.all())
    assert "2,500.00" in history

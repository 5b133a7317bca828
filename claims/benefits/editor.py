"""What the schedule editor shows beside the JSON: one reference row per schedule field (what it
means, with an example from an office that uses it), and the named example schedules it offers as
starting points. Every example is a valid schedule (tests/test_claims_rules.py builds each one)."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


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
            "Waiting (observation) period in days from the start of cover; a claim inside it is refused. The "
            "period's waiting period applies (set it on the period); here, inside kinds or variants, a number "
            "replaces it for those claims. Example: 0 for accident medical care, which has none."
        ),
        0,
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
    FieldHelp(
        "base",
        gettext_lazy(
            "What the ratios are paid on: self_paid (the self-paid amount within the policy scope), "
            "whole_self_paid (total expense less the fund), total_cost, fund_paid, after_other_payers (the burden "
            "left after the fund, critical-illness insurance, medical assistance, another mutual-aid plan and "
            "commercial insurance) or fund_derived (from the fund's payment and fund_ratio, at most the receipts). "
            "Example: after_other_payers."
        ),
        "after_other_payers",
    ),
    FieldHelp(
        "fund_ratio",
        gettext_lazy(
            "The basic scheme's ratio of the policy-scope expense, used by base fund_derived where the statement "
            "shows only the fund's payment. Example: 0.8."
        ),
        "0.8",
    ),
    FieldHelp(
        "stay_before_cover",
        gettext_lazy(
            "A stay that began before the cover started: not_paid, from_cover_date (the covered days' share of "
            "the base and of the allowance) or in_full (no observation period, as in Inner Mongolia). Example: "
            "in_full."
        ),
        "in_full",
    ),
    FieldHelp(
        "disability",
        gettext_lazy(
            "What disability pays: the sum_insured for grade 1 and grade_ratios, 10 shares of it from grade 1 to "
            "grade 10. Example: 100,000 with grade 10 paid at 10 percent."
        ),
        {"sum_insured": 100000, "grade_ratios": ["1", "0.9", "0.8", "0.7", "0.6", "0.5", "0.4", "0.3", "0.2", "0.1"]},
    ),
    FieldHelp(
        "kinds",
        gettext_lazy(
            "Terms of each kind of care: its label on the settlement form, its cap_group (kinds with the same "
            "group share one period cap) and any schedule field that replaces the schedule's own for it; each "
            "kind's max_claims_per_period counts its own claims only. Example: general outpatient with a "
            "threshold of 1,300 per calendar year at 20 percent."
        ),
        {
            "inpatient": {"label": "住院医疗互助金", "cap_group": "inpatient"},
        },
    ),
    FieldHelp(
        "versions",
        gettext_lazy(
            "Rules that change within the period: from starts_on the fields in set replace the schedule's own "
            "for admissions on or after that date; the settlement names the version applied. Example: a "
            "threshold of 1,000 from 1 July (Quzhou)."
        ),
        [{"starts_on": "2026-07-01", "label": "新起付线", "set": {"plan_deductible": 1000}}],
    ),
    FieldHelp(
        "add_ons",
        gettext_lazy(
            "Fixed sums paid on top of the benefit: each with its label, amount, per (claim, or day in hospital), "
            "the kinds it applies to (none: every medical kind) and when (admission_order, admission_order_from, "
            "member_category). They count against the caps as the hospital allowance does. Example: 200 yuan on "
            "the first admission of the period."
        ),
        [{"label": "首次住院补助", "amount": 200, "per": "claim", "when": {"admission_order": [1]}}],
    ),
    FieldHelp(
        "band_lump_sums",
        gettext_lazy(
            "A fixed amount on an ordinary medical claim by the band its base falls in (each band up to its upto "
            "in yuan, the last with upto null; an amount of 0 pays nothing). Example: nothing up to 10,000, "
            "1,000 up to 30,000, 3,000 above."
        ),
        [{"upto": 10000, "amount": 0}, {"upto": 30000, "amount": 1000}, {"upto": None, "amount": 3000}],
    ),
    FieldHelp(
        "band_lump_sum_mode",
        gettext_lazy(
            "add pays the band lump sum on top of the ratio benefit; larger pays whichever of the two is larger. "
            "Example: larger."
        ),
        "larger",
    ),
    FieldHelp(
        "exclusive",
        gettext_lazy(
            "Sets of kinds of which only one is paid in a period: choose larger pays a later claim only what it "
            "pays above the earlier ones of the set, first refuses it. Example: death by illness or by accident, "
            "the larger."
        ),
        [{"kinds": ["death", "accidental_death"], "choose": "larger"}],
    ),
    FieldHelp(
        "once_per_member",
        gettext_lazy(
            "true pays the kind once per member for life, across the plan's periods (a critical illness lump sum "
            "on first diagnosis). Give it inside kinds for one kind. Example: true."
        ),
        True,
    ),
    FieldHelp(
        "eligibility",
        gettext_lazy(
            "Who may claim: genders (F, M), min_age, max_age (or max_age_female and max_age_male, on admission), "
            "min_membership_years and member_categories; a claim outside it is refused with the reason. Give it "
            "inside kinds for one kind. Example: women only, aged 16 to 55."
        ),
        {"genders": ["F"], "min_age": 16, "max_age": 55},
    ),
    FieldHelp(
        "settlement_cycle",
        gettext_lazy(
            "period, month, quarter or half_year: with a cycle shorter than the period, a cumulative threshold "
            "(threshold_basis per_period) and cap_per_cycle count the claims admitted in the same cycle only. "
            "Example: quarter."
        ),
        "quarter",
    ),
    FieldHelp(
        "cap_per_cycle",
        gettext_lazy(
            "Most paid to a member in one settlement cycle (with settlement_cycle month, quarter or half_year), "
            "beside the period caps; null for none. Example: 5000."
        ),
        None,
    ),
)


class Preset(NamedTuple):
    """A named example schedule that the editor offers as a starting point.

    Every figure a seed gives is cited beside it (../shared/seeds/, the file named). `to_fill`
    names the fields whose figures no seed gives: `schedule` holds demo figures there, so that the
    demo's plans and the tests compute, but the editor opens the preset with those fields empty
    and marked "须由本会填写", so an office never starts from an invented number."""

    title: Promise
    schedule: dict[str, Any]
    to_fill: tuple[str, ...] = ()

    def for_the_editor(self) -> dict[str, Any]:
        """The schedule as the editor opens it: the fields the office must fill left out."""
        return {name: value for name, value in self.schedule.items() if name not in self.to_fill}


# Seeds: 002 = 002_c9fe9ad1e2271215.txt (Inner Mongolia), 003 = 003_5fe67926f5e4103f.txt (Huzhou,
# Shaoxing, Jinhua, Quzhou). A preset without `to_fill` has every figure from its seed.
PRESETS: dict[str, Preset] = {
    # Seed 003 (Shaoxing): 80% not tiered, 5万元封顶, 25 yuan a day; 2287.99 × 80% paid as 1830 (yuan_down).
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
    # Seed 003 (Jinhua): period 2 pays 50/60/70% on the slices up to 5,000, 10,000 and above, the
    # 起付标准 part at 50%, at most 30,000 per share in a period.
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
    # Seed 003 (Quzhou): a payout below 50 is raised to 50. Its 三档报销比例 are not given (only that
    # dropping the 500 threshold pays 200 more, so the first slice's ratio is 40%): the office fills
    # the slices; the demo's single 50% slice and its rounding are demo figures.
    "quzhou": Preset(
        gettext_lazy("Quzhou: a payout below 50 yuan is raised to 50 (the three ratio slices to be filled in)"),
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "minimum_payout": 50,
            "rounding": "yuan_half_up",
        },
        ("segments", "rounding"),
    ),
    # Seed 002: 30% raised to 40%, 10/20/30 yuan a day by membership year, at least 200 a stay,
    # outpatient radiotherapy, chemotherapy and dialysis, no observation period (a stay that began
    # before cover is paid).
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
            "stay_before_cover": "in_full",
        },
    ),
    # Seed 003 (Huzhou): 3,000 on first diagnosis, 1,000 a month for at most 6 months.
    "huzhou_critical_illness": Preset(
        gettext_lazy("Huzhou critical illness: 3,000 on first diagnosis plus 1,000 a month for up to 6 months"),
        {
            "covered_care": ["critical_illness"],
            "critical_illness": {"lump_sum": 3000, "monthly_allowance": 1000, "allowance_months": 6},
            "once_per_member": True,
        },
    ),
    # Seed 003 (Shaoxing): 一次性3000元慰问金 for a member who dies of illness in the period.
    "death_condolence": Preset(
        gettext_lazy("Death condolence: 3,000 yuan for a member who dies in the period (Shaoxing)"),
        {"covered_care": ["death"], "death": {"condolence": 3000}},
    ),
    # Seed 003 (Quzhou): the 500-yuan threshold abolished from 2016-01-01, the minimum of 50; the
    # ratio slices are not given (see "quzhou").
    "quzhou_threshold_abolished": Preset(
        gettext_lazy(
            "Quzhou: a threshold of 500 yuan, abolished for admissions from 1 January 2016, and a payout below 50 "
            "yuan raised to 50 (the ratio slices to be filled in)"
        ),
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "plan_deductible": 500,
            "minimum_payout": 50,
            "rounding": "yuan_half_up",
            "versions": [{"starts_on": "2016-01-01", "label": "取消500元起付线", "set": {"plan_deductible": 0}}],
        },
        ("segments", "rounding"),
    ),
    # Seed 003 (Shaoxing): the figures of "shaoxing" and "death_condolence" in one plan.
    "shaoxing_plan": Preset(
        gettext_lazy(
            "Shaoxing's whole plan: 80 percent of the self-paid amount and 25 yuan a day, at most 50,000 a "
            "period, and a condolence of 3,000 for a member who dies in the period"
        ),
        {
            "segments": [{"upto": None, "ratio": "0.8"}],
            "daily_allowance": 25,
            "cap_per_period": 50000,
            "rounding": "yuan_down",
            "covered_care": ["inpatient", "death"],
            "death": {"condolence": 3000},
            "kinds": {
                "inpatient": {"label": "住院医疗互助金", "cap_group": "medical"},
                "death": {"label": "参保职工死亡慰问金", "cap_group": "death", "cap_per_period": None},
            },
        },
    ),
    # Seed 003 (Jinhua, 五统一): members 符合国家法定就业年龄: 16 to the retirement age before its raise
    # (men 60, women cadres 55); the enrollment side checks the raised age (enrollment/eligibility.py).
    "jinhua_working_age": Preset(
        gettext_lazy(
            "Jinhua period 2: 50, 60 and 70 percent by slice, the deductible part at 50 percent, 30,000 per share, "
            "for members of legal working age (16 to 60, women to 55)"
        ),
        {
            "segments": [
                {"upto": 5000, "ratio": "0.5"},
                {"upto": 10000, "ratio": "0.6"},
                {"upto": None, "ratio": "0.7"},
            ],
            "deductible_ratio": "0.5",
            "cap_per_share_per_period": 30000,
            "eligibility": {"min_age": 16, "max_age_male": 60, "max_age_female": 55, "max_age": 60},
        },
    ),
    # Seeds 000 and 001 name the plan (women only) but give no sums and no ages: the sums by severity
    # are the office's; the demo's 3,000 and 10,000 are demo figures.
    "women_workers": Preset(
        gettext_lazy(
            "Women workers' special illness (Guangdong, Shaanxi): a lump sum by severity, paid once per member, "
            "for women only (the sums to be filled in)"
        ),
        {
            "covered_care": ["women_special_illness"],
            "critical_illness": {"lump_sums_by_severity": {"原位癌": 3000, "恶性肿瘤": 10000}},
            "kinds": {"women_special_illness": {"label": "女职工特殊疾病互助金", "once_per_member": True}},
            "eligibility": {"genders": ["F"]},
        },
        ("critical_illness",),
    ),
    # Seed 001 names Shaanxi's 住院+意外 plan and gives none of its figures: the shape (kinds, cap
    # groups, the larger of the two deaths) is kept, every amount and ratio is the office's; the
    # demo's figures are demo figures.
    "inpatient_and_accident": Preset(
        gettext_lazy(
            "Inpatient and accident (Shaanxi): a share of the self-paid amount with a first-admission add-on, "
            "accident medical care without a waiting period, disability by grade, and death by illness or by "
            "accident of which the larger is paid (the amounts and ratios to be filled in)"
        ),
        {
            "segments": [{"upto": None, "ratio": "0.5"}],
            "cap_per_period": 30000,
            "covered_care": ["inpatient", "accident_medical", "disability", "death", "accidental_death"],
            "add_ons": [
                {
                    "label": "首次住院补助",
                    "amount": 100,
                    "per": "claim",
                    "kinds": ["inpatient"],
                    "when": {"admission_order": [1]},
                }
            ],
            "death": {"condolence": 10000},
            "disability": {
                "sum_insured": 20000,
                "grade_ratios": ["1", "0.9", "0.8", "0.7", "0.6", "0.5", "0.4", "0.3", "0.2", "0.1"],
            },
            "exclusive": [{"kinds": ["death", "accidental_death"], "choose": "larger"}],
            "kinds": {
                "inpatient": {"label": "住院医疗互助金", "cap_group": "medical"},
                "accident_medical": {
                    "label": "意外医疗互助金",
                    "cap_group": "accident",
                    "segments": [{"upto": None, "ratio": "0.8"}],
                    "cap_per_period": 5000,
                    "waiting_days": 0,
                },
                "disability": {"label": "意外伤残互助金", "cap_group": "accident_lump", "cap_per_period": None},
                "death": {"label": "病故互助金", "cap_group": "death", "cap_per_period": None},
                "accidental_death": {
                    "label": "意外身故互助金",
                    "cap_group": "death",
                    "cap_per_period": None,
                    "death": {"condolence": 20000},
                },
            },
        },
        ("segments", "cap_per_period", "add_ons", "death", "disability", "kinds"),
    ),
    # Seed 001 names Shaanxi's 津贴+重疾 plan and gives none of its figures: the day allowance and the
    # lump sum are the office's; the demo's 30 a day from the 4th day and 10,000 are demo figures.
    "allowance_and_critical_illness": Preset(
        gettext_lazy(
            "Allowance and critical illness (Shaanxi): a daily allowance in hospital, and a critical illness "
            "lump sum paid once per member for life (the amounts to be filled in)"
        ),
        {
            "covered_care": ["inpatient", "critical_illness"],
            "daily_allowance": 30,
            "allowance_from_day": 4,
            "allowance_max_days": 60,
            "critical_illness": {"lump_sum": 10000},
            "kinds": {
                "inpatient": {"label": "住院津贴", "cap_group": "allowance"},
                "critical_illness": {"label": "重大疾病互助金", "cap_group": "illness", "once_per_member": True},
            },
        },
        ("daily_allowance", "allowance_from_day", "allowance_max_days", "critical_illness"),
    ),
    # No seed region settles by quarter: the shape is the (17), every figure is the office's.
    "burden_bands_quarterly": Preset(
        gettext_lazy(
            "Burden after other payers, settled by quarter: a share above a threshold per quarter, a cap per "
            "quarter, or a lump sum by band of the burden if larger (the amounts to be filled in)"
        ),
        {
            "base": "after_other_payers",
            "segments": [{"upto": None, "ratio": "0.5"}],
            "plan_deductible": 1000,
            "threshold_basis": "per_period",
            "settlement_cycle": "quarter",
            "cap_per_cycle": 5000,
            "band_lump_sums": [
                {"upto": 20000, "amount": 0},
                {"upto": 50000, "amount": 2000},
                {"upto": None, "amount": 5000},
            ],
            "band_lump_sum_mode": "larger",
        },
        ("segments", "plan_deductible", "cap_per_cycle", "band_lump_sums"),
    ),
}

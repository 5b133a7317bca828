"""The schedule editor's words for a person: what each field does, said in the words of the form
(no JSON keys, no true or null), and each choice's name. The JSON reference (claims/benefits/
editor.py) keeps the keys for the power users' JSON view (tests/test_schedule_editor_words.py)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

FORM_HELP: dict[str, Promise] = {
    "segments": pgettext_lazy(
        "benefit schedule",
        "Ratios paid on the self-paid amount, one row a segment: the ratio paid up to the amount in yuan; "
        "leave the last row's limit blank for no end. Example: 50 percent up to 5,000, 60 percent up to "
        "10,000, 70 percent above (Jinhua).",
    ),
    "segment_mode": pgettext_lazy(
        "benefit schedule",
        "Progressive pays each slice of the self-paid amount at its own ratio; by band pays the whole amount "
        "at the ratio of the band it falls in.",
    ),
    "deductible_ratio": pgettext_lazy(
        "benefit schedule",
        "Ratio paid on the hospital deductible part of the settlement statement, from 0 to 1: 0.5 pays half "
        "of it (Jinhua).",
    ),
    "plan_deductible": pgettext_lazy(
        "benefit schedule",
        "Yuan of the self-paid amount the plan itself does not pay, before the segments apply (Quzhou before "
        "2016: 500).",
    ),
    "cap_per_share_per_period": pgettext_lazy(
        "benefit schedule",
        "Most paid to a member per share in one period, earlier claims included; blank for none. 30,000 pays "
        "at most 60,000 for 2 shares (Jinhua).",
    ),
    "cap_per_period": pgettext_lazy(
        "benefit schedule",
        "Most paid to a member in one period whatever the shares, earlier claims included; blank for none "
        "(Shaoxing: 50,000).",
    ),
    "minimum_payout": pgettext_lazy(
        "benefit schedule",
        "A payout above 0 but below this amount is raised to it if the cap leaves room (Quzhou: 50).",
    ),
    "daily_allowance": pgettext_lazy(
        "benefit schedule",
        "Hospital allowance in yuan for each day in hospital (Shaoxing: 25).",
    ),
    "allowance_by_membership_year": pgettext_lazy(
        "benefit schedule",
        "Daily hospital allowance by the member's year of membership, the last amount for every later year; "
        "used instead of the hospital allowance a day. Inner Mongolia pays 10, 20 and 30 yuan.",
    ),
    "allowance_from_day": pgettext_lazy(
        "benefit schedule",
        "The first day in hospital that earns the allowance: 4 pays from the 4th day on.",
    ),
    "allowance_max_days": pgettext_lazy(
        "benefit schedule",
        "Most days of hospital allowance in one claim; blank for no limit.",
    ),
    "allowance_max_amount": pgettext_lazy(
        "benefit schedule",
        "Most yuan of hospital allowance in one claim; blank for no limit.",
    ),
    "allowance_per_share": pgettext_lazy(
        "benefit schedule",
        "Ticked: the hospital allowance and the critical illness monthly allowance are multiplied by the "
        "member's shares.",
    ),
    "caps_include_allowance": pgettext_lazy(
        "benefit schedule",
        "Ticked: the allowances count against the period caps; not ticked: they are paid on top.",
    ),
    "multiply_by_shares": pgettext_lazy(
        "benefit schedule",
        "Ticked: the medical part, the lump sums and the death condolence or top-up are multiplied by the "
        "member's shares.",
    ),
    "rounding": pgettext_lazy(
        "benefit schedule",
        "How each line of the calculation is rounded.",
    ),
    "max_claims_per_period": pgettext_lazy(
        "benefit schedule",
        "Most claims a member may make in one period, later ones are refused; blank for no limit.",
    ),
    "covered_care": pgettext_lazy(
        "benefit schedule",
        "The kinds of care the plan pays.",
    ),
    "threshold_basis": pgettext_lazy(
        "benefit schedule",
        "Whether the threshold and the segments apply to each claim alone, or to the member's self-paid "
        "amounts added up over the period or the year.",
    ),
    "variants": pgettext_lazy(
        "benefit schedule",
        "Rules for some claims only (from the 2nd admission in the period, a category of members): the first "
        "that fits applies. Written as in the table of fields below.",
    ),
    "critical_illness": pgettext_lazy(
        "benefit schedule",
        "Lump sums for a critical illness (one amount, by severity or by the self-paid amount), and a monthly"
        " allowance for some months. Written as in the table of fields below.",
    ),
    "death": pgettext_lazy(
        "benefit schedule",
        "On death: a condolence payment, or the period's payments topped up to an amount; the larger when "
        "both are given. Written as in the table of fields below.",
    ),
    "base": pgettext_lazy(
        "benefit schedule",
        "What the ratios are paid on: the self-paid amount within the policy, the whole cost less the basic "
        "scheme's payment, the whole cost, and so on.",
    ),
    "fund_ratio": pgettext_lazy(
        "benefit schedule",
        "The basic medical insurance's ratio on costs within the policy, to work the base out when the "
        "settlement statement gives only the fund's payment; blank for none.",
    ),
    "stay_before_cover": pgettext_lazy(
        "benefit schedule",
        "A hospital stay that began before the cover: not paid, paid for the days under cover, or paid in full.",
    ),
    "disability": pgettext_lazy(
        "benefit schedule",
        "Disability benefit: the sum for grade 1 and the ratio paid at each of the ten grades. Written as in "
        "the table of fields below.",
    ),
    "kinds": pgettext_lazy(
        "benefit schedule",
        "Terms of each kind of care (its name on the statement, the cap it shares, any rule of its own). "
        "Written as in the table of fields below.",
    ),
    "versions": pgettext_lazy(
        "benefit schedule",
        "Rules changed within the period, for claims admitted from a day on; the statement names the version "
        "it used. Written as in the table of fields below.",
    ),
    "add_ons": pgettext_lazy(
        "benefit schedule",
        "Fixed amounts paid on top, by claim or by day in hospital, counted against the caps like the "
        "allowance. Written as in the table of fields below.",
    ),
    "band_lump_sums": pgettext_lazy(
        "benefit schedule",
        "A fixed amount by the band the claim's base falls in, one row a band: the amount paid up to the "
        "limit in yuan; leave the last row's limit blank for no end, an amount of 0 pays nothing.",
    ),
    "band_lump_sum_mode": pgettext_lazy(
        "benefit schedule",
        "Whether the band's fixed amount is paid on top of the ratio benefit, or the larger of the two.",
    ),
    "exclusive": pgettext_lazy(
        "benefit schedule",
        "Kinds of which only one is paid in a period (death by illness or by accident: the larger). Written "
        "as in the table of fields below.",
    ),
    "once_per_member": pgettext_lazy(
        "benefit schedule",
        "Ticked: paid once per member for life, across periods (a first diagnosis of a critical illness).",
    ),
    "eligibility": pgettext_lazy(
        "benefit schedule",
        "Who may claim: gender, ages on admission, years of membership, categories of members; a claim "
        "outside is refused with the reason. Written as in the table of fields below.",
    ),
    "settlement_cycle": pgettext_lazy(
        "benefit schedule",
        "When the cycle is shorter than the period, the added-up threshold and the cap of a cycle count only "
        "the claims admitted in the same cycle.",
    ),
    "cap_per_cycle": pgettext_lazy(
        "benefit schedule",
        "Most paid to a member in one settlement cycle (a month, a quarter or half a year), alongside the "
        "period's caps; blank for none.",
    ),
}

CHOICE_LABELS: dict[str, Promise] = {
    "progressive": pgettext_lazy("benefit schedule", "Progressive (each slice at its ratio)"),
    "band": pgettext_lazy("benefit schedule", "By band (the whole amount at its band's ratio)"),
    "fen_half_up": pgettext_lazy("benefit schedule", "To the fen, half up"),
    "jiao_half_up": pgettext_lazy("benefit schedule", "To the jiao, half up"),
    "yuan_half_up": pgettext_lazy("benefit schedule", "To the yuan, half up"),
    "yuan_down": pgettext_lazy("benefit schedule", "To the yuan, dropping jiao and fen"),
    "per_admission": pgettext_lazy("benefit schedule", "Each claim alone"),
    "per_period": pgettext_lazy("benefit schedule", "Added up over the period"),
    "per_year": pgettext_lazy("benefit schedule", "Added up over the year"),
    "none": pgettext_lazy("benefit schedule", "No threshold"),
    "self_paid": pgettext_lazy("benefit schedule", "Self-paid within the policy"),
    "whole_self_paid": pgettext_lazy("benefit schedule", "Whole cost less the basic scheme's payment"),
    "total_cost": pgettext_lazy("benefit schedule", "Whole cost"),
    "fund_paid": pgettext_lazy("benefit schedule", "The basic scheme's payment"),
    "after_other_payers": pgettext_lazy("benefit schedule", "What is left after every other payer"),
    "fund_derived": pgettext_lazy("benefit schedule", "Worked out from the basic scheme's payment and ratio"),
    "not_paid": pgettext_lazy("benefit schedule", "Not paid"),
    "from_cover_date": pgettext_lazy("benefit schedule", "The days under cover"),
    "in_full": pgettext_lazy("benefit schedule", "In full"),
    "add": pgettext_lazy("benefit schedule", "On top of the ratio benefit"),
    "larger": pgettext_lazy("benefit schedule", "The larger of the two"),
    "period": pgettext_lazy("benefit schedule", "The whole period"),
    "month": pgettext_lazy("benefit schedule", "A month"),
    "quarter": pgettext_lazy("benefit schedule", "A quarter"),
    "half_year": pgettext_lazy("benefit schedule", "Half a year"),
}

"""The words of the settlement form: the label of each line the calculation makes (why a claim is
refused: refusals.py; how the words are looked up, or left out of a bulk run: wording.py).

Kept apart from the arithmetic (calculate.py) so that the wording can change without touching a
sum, and so that every message is a literal msgid the Chinese catalogue can hold. Amounts in a
label are written as the member reads them on the form; a label that says how a figure was
rounded keeps the exact figure, so that the member can redo the sum by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from claims.benefits.checks import listing
from claims.benefits.sections import Conditions
from claims.benefits.wording import _, worded
from mutualaid.numbers import money_text, percent_text

CARE_TYPE_LABELS: dict[str, Promise] = {
    "inpatient": gettext_lazy("inpatient care"),
    "outpatient_radiotherapy": gettext_lazy("outpatient radiotherapy"),
    "outpatient_chemotherapy": gettext_lazy("outpatient chemotherapy"),
    "dialysis": gettext_lazy("dialysis"),
    "critical_illness": gettext_lazy("critical illness"),
    "death": gettext_lazy("death"),
    "outpatient": gettext_lazy("general outpatient care"),
    "outpatient_chronic": gettext_lazy("outpatient special and chronic diseases"),
    "accident_medical": gettext_lazy("accident medical care"),
    "disability": gettext_lazy("disability"),
    "accidental_death": gettext_lazy("accidental death"),
    "women_special_illness": gettext_lazy("women workers' special illness"),
    "maternity": gettext_lazy("maternity"),
}

BASE_LABELS: dict[str, Promise] = {
    "self_paid": gettext_lazy("self-paid amount within the policy scope"),
    "whole_self_paid": gettext_lazy("whole self-paid amount"),
    "total_cost": gettext_lazy("total expense"),
    "fund_paid": gettext_lazy("the fund's payment"),
    "after_other_payers": gettext_lazy("burden left after the other payers"),
    "fund_derived": gettext_lazy("self-paid amount derived from the fund's payment"),
}

PAYER_LABELS: dict[str, Promise] = {
    "serious_illness_paid": gettext_lazy("critical-illness insurance"),
    "medical_assistance_paid": gettext_lazy("medical assistance"),
    "other_mutual_aid_paid": gettext_lazy("another mutual-aid plan"),
    "commercial_insurance_paid": gettext_lazy("commercial insurance"),
}


def _yuan(amount: Decimal) -> str:
    """An amount for a label in the product's one money format (1,760.00), as the line amounts
    beside it are shown."""
    return money_text(amount)


def _exact(amount: Decimal) -> str:
    """An exact figure before rounding: the money format, with every decimal it has past the fen."""
    if amount == amount.quantize(Decimal("0.01")):
        return money_text(amount)
    return f"{amount:,f}"


def _percent(ratio: Decimal) -> str:
    """A ratio for a label, 0.8 → "80.0%", in the product's one percent format."""
    return percent_text(ratio)


# --- Rounding, shares, variants ----------------------------------------------------------------


@worded
def rounded(label: str, exact: Decimal, rule: str) -> str:
    """A line whose amount rounding changed: the exact figure and how it was rounded."""
    how = {
        "fen_half_up": _("rounded to the fen"),
        "jiao_half_up": _("rounded to the jiao"),
        "yuan_half_up": _("rounded to the yuan"),
        "yuan_down": _("rounded down to the yuan"),
    }[rule]
    return _("%(line)s = %(exact)s yuan, %(how)s") % {"line": label, "exact": _exact(exact), "how": how}


@worded
def times_shares(label: str, shares: int) -> str:
    return _("%(line)s × %(shares)s shares") % {"line": label, "shares": shares}


@worded
def conditions(when: Conditions) -> str:
    """A variant's conditions as words, for the line that says which rules applied."""
    parts = []
    if when.admission_order is not None:
        parts.append(_("admission no. %(orders)s in the period") % {"orders": listing(when.admission_order)})
    if when.admission_order_from is not None:
        parts.append(_("admission no. %(order)s or later in the period") % {"order": when.admission_order_from})
    if when.member_category is not None:
        parts.append(_("member category %(categories)s") % {"categories": listing(when.member_category)})
    text = parts[0]
    for part in parts[1:]:
        text = _("%(first)s and %(second)s") % {"first": text, "second": part}
    return text


@worded
def variant_applies(when: Conditions, number: int) -> str:
    return _("Rules for %(conditions)s apply (variant %(number)s)") % {
        "conditions": conditions(when),
        "number": number,
    }


# --- The medical part --------------------------------------------------------------------------


@worded
def segment(low: Decimal, high: Decimal | None, ratio: Decimal) -> str:
    """A progressive slice of the self-paid amount (or the whole of it, at one flat ratio)."""
    if high is None and low == 0:
        return _("Self-paid amount × %(ratio)s") % {"ratio": _percent(ratio)}
    if high is None:
        return _("Self-paid part above %(low)s yuan × %(ratio)s") % {"low": _yuan(low), "ratio": _percent(ratio)}
    return _("Self-paid %(low)s–%(high)s yuan part × %(ratio)s") % {
        "low": _yuan(low),
        "high": _yuan(high),
        "ratio": _percent(ratio),
    }


@worded
def band(amount: Decimal, low: Decimal, high: Decimal | None, ratio: Decimal) -> str:
    """The whole self-paid amount at the ratio of the band it falls in."""
    values = {"amount": _yuan(amount), "low": _yuan(low), "ratio": _percent(ratio)}
    if high is None:
        return _("Whole self-paid amount of %(amount)s yuan (band above %(low)s yuan) × %(ratio)s") % values
    values["high"] = _yuan(high)
    return _("Whole self-paid amount of %(amount)s yuan (band %(low)s–%(high)s yuan) × %(ratio)s") % values


@worded
def cumulative_total(total: Decimal, amount: Decimal, *, year: bool = False, cycle: bool = False) -> str:
    if cycle:
        return _("Cumulative base in the settlement cycle %(total)s yuan, of which this claim %(amount)s yuan") % {
            "total": _yuan(total),
            "amount": _yuan(amount),
        }
    if year:
        return _("Cumulative base in the calendar year %(total)s yuan, of which this claim %(amount)s yuan") % {
            "total": _yuan(total),
            "amount": _yuan(amount),
        }
    return _("Cumulative self-paid in the period %(total)s yuan, of which this claim %(amount)s yuan") % {
        "total": _yuan(total),
        "amount": _yuan(amount),
    }


@worded
def cumulative_deductible(amount: Decimal, taken: Decimal, *, year: bool = False, cycle: bool = False) -> str:
    if cycle:
        return _(
            "Plan deductible per settlement cycle: the first %(amount)s yuan in the cycle is not paid, %(taken)s "
            "yuan of it in this claim"
        ) % {"amount": _yuan(amount), "taken": _yuan(taken)}
    if year:
        return _(
            "Plan deductible on the calendar year's cumulative base: the first %(amount)s yuan in the year is "
            "not paid, %(taken)s yuan of it in this claim"
        ) % {"amount": _yuan(amount), "taken": _yuan(taken)}
    return _(
        "Plan deductible on the cumulative self-paid amount: the first %(amount)s yuan in the period is not "
        "paid, %(taken)s yuan of it in this claim"
    ) % {"amount": _yuan(amount), "taken": _yuan(taken)}


@worded
def cumulative_segment(portion: Decimal, low: Decimal, high: Decimal | None, ratio: Decimal) -> str:
    """The part of a slice of the period's cumulative self-paid amount that this claim fills."""
    values = {"portion": _yuan(portion), "low": _yuan(low), "ratio": _percent(ratio)}
    if high is None and low == 0:
        return _("Self-paid %(portion)s yuan of this claim × %(ratio)s") % values
    if high is None:
        return _("Cumulative self-paid part above %(low)s yuan: %(portion)s yuan of this claim × %(ratio)s") % values
    values["high"] = _yuan(high)
    return _("Cumulative self-paid %(low)s–%(high)s yuan part: %(portion)s yuan of this claim × %(ratio)s") % values


@worded
def plan_deductible(amount: Decimal) -> str:
    return _("Plan deductible: the first %(amount)s yuan of the self-paid amount is not paid") % {
        "amount": _yuan(amount)
    }


@worded
def hospital_deductible(amount: Decimal, ratio: Decimal) -> str:
    return _("Hospital deductible part of %(amount)s yuan × %(ratio)s") % {
        "amount": _yuan(amount),
        "ratio": _percent(ratio),
    }


@worded
def hospital_allowance(days: int, rate: Decimal, from_day: int) -> str:
    values = {"days": days, "rate": _yuan(rate), "from_day": from_day}
    if from_day > 1:
        return _("Hospital allowance from day %(from_day)s: %(days)s days × %(rate)s yuan") % values
    return _("Hospital allowance: %(days)s days × %(rate)s yuan") % values


@worded
def allowance_limited(most: Decimal) -> str:
    return _("Hospital allowance limited to %(amount)s yuan for the claim") % {"amount": _yuan(most)}


# --- Critical illness and death ----------------------------------------------------------------


@worded
def lump_sum(kind: str = "") -> str:
    """The lump sum, named by its own kind (`kind` "" for critical illness by its standard name)."""
    if kind:
        return _("%(kind)s: lump sum") % {"kind": kind}
    return _("Critical illness lump sum")


@worded
def lump_sum_for_severity(severity: str, kind: str = "") -> str:
    if kind:
        return _("%(kind)s: lump sum for %(severity)s") % {"kind": kind, "severity": severity}
    return _("Critical illness lump sum for severity %(severity)s") % {"severity": severity}


@worded
def lump_sum_band(amount: Decimal, low: Decimal, high: Decimal | None) -> str:
    values = {"amount": _yuan(amount), "low": _yuan(low)}
    if high is None:
        return (
            _("Critical illness lump sum for a self-paid amount of %(amount)s yuan (band above %(low)s yuan)") % values
        )
    values["high"] = _yuan(high)
    return (
        _("Critical illness lump sum for a self-paid amount of %(amount)s yuan (band %(low)s–%(high)s yuan)") % values
    )


@worded
def illness_allowance(days: int, illness_days: int, months: int, monthly: Decimal, per_month: int) -> str:
    """The monthly allowance prorated by day; says so when the most months cut the days short."""
    values = {
        "days": days,
        "illness_days": illness_days,
        "months": months,
        "monthly": _yuan(monthly),
        "per_month": per_month,
    }
    if days < illness_days:
        return (
            _(
                "Critical illness allowance, limited to %(months)s months: %(days)s of %(illness_days)s days × "
                "%(monthly)s yuan a month ÷ %(per_month)s days"
            )
            % values
        )
    return _("Critical illness allowance: %(days)s days × %(monthly)s yuan a month ÷ %(per_month)s days") % values


@worded
def condolence(kind: str = "") -> str:
    if kind:
        return _("%(kind)s: condolence") % {"kind": kind}
    return _("Death condolence")


@worded
def top_up(target: Decimal, paid: Decimal) -> str:
    return _("Topped up to %(target)s yuan: %(paid)s yuan already paid in the period") % {
        "target": _yuan(target),
        "paid": _yuan(paid),
    }


@worded
def larger_of(condolence: Decimal, top_up: Decimal) -> str:
    return _("The larger of the condolence of %(condolence)s yuan and the top-up of %(top_up)s yuan is paid") % {
        "condolence": _yuan(condolence),
        "top_up": _yuan(top_up),
    }


# --- Limits ------------------------------------------------------------------------------------


@worded
def cap_limited(room: Decimal) -> str:
    return _("Limited to the %(amount)s yuan left under the period cap") % {"amount": _yuan(room)}


@worded
def minimum_raised(minimum: Decimal) -> str:
    return _("Raised to the minimum payout of %(amount)s yuan") % {"amount": _yuan(minimum)}


# --- Arithmetic a member can redo ---------------------------------------------------------------


@worded
def money(amount: Decimal) -> str:
    """An amount in a formula, in the one number format of the product: 12,345.60."""
    return money_text(amount)


@worded
def kind_label(kind: str, label: str = "") -> str:
    """The benefit's own name: the schedule's label for the kind, or the kind's standard name."""
    return label or str(CARE_TYPE_LABELS[kind])


@worded
def with_formula(label: str, formula: str) -> str:
    """A line's words and its arithmetic: "Self-paid amount × 20%: (9,300.00 − 1,300.00) × 20%"."""
    return _("%(line)s: %(formula)s") % {"line": label, "formula": formula} if formula else label


@worded
def product_formula(amount: Decimal, ratio: Decimal, *, minus: Decimal | None = None) -> str:
    """amount × ratio, or (amount − minus) × ratio."""
    if minus:
        return f"({money(amount)} − {money(minus)}) × {_percent(ratio)}"
    return f"{money(amount)} × {_percent(ratio)}"


@worded
def per_share_formula(amount: Decimal, shares: int) -> str:
    return _("%(amount)s yuan/share × %(shares)s shares") % {"amount": money(amount), "shares": shares}


@worded
def sum_formula(amounts: list[Decimal], total: Decimal) -> str:
    return " + ".join(money(amount) for amount in amounts) + f" = {money(total)}"


@worded
def difference_formula(first: Decimal, minus: list[Decimal], result: Decimal) -> str:
    return " − ".join([money(first), *(money(amount) for amount in minus)]) + f" = {money(result)}"


@worded
def burden_formula(total: Decimal, fund: Decimal, others: list[tuple[str, Decimal]]) -> str:
    """Total expense − the fund's payment − each other payer, each named."""
    parts = [_("total expense %(amount)s") % {"amount": money(total)}]
    parts.append(_("fund %(amount)s") % {"amount": money(fund)})
    for payer, amount in others:
        parts.append(f"{PAYER_LABELS.get(payer, payer)} {money(amount)}")
    return " − ".join(parts)


@worded
def derived_formula(fund: Decimal, ratio: Decimal, total: Decimal, amount: Decimal) -> str:
    return _("%(fund)s ÷ %(ratio)s − %(fund)s, at most receipts %(total)s − %(fund)s, = %(amount)s") % {
        "fund": money(fund),
        "ratio": _percent(ratio),
        "total": money(total),
        "amount": money(amount),
    }


@worded
def base_note(base: str, formula: str) -> str:
    return _("Base: %(base)s, %(formula)s") % {"base": BASE_LABELS[base], "formula": formula}


@worded
def base_line(label: str, base: str) -> str:
    """A flat ratio on a base other than the self-paid amount."""
    return _("%(base)s × ratio (%(kind)s)") % {"base": BASE_LABELS[base], "kind": label}


@worded
def version_applies(number: int, starts_on: object, label: str) -> str:
    values = {"number": number, "date": starts_on, "label": label or "—"}
    return _("Version %(number)s of the schedule applies, for admissions from %(date)s (%(label)s)") % values


@worded
def kind_applies(label: str) -> str:
    return _("Benefit: %(kind)s") % {"kind": label}


@worded
def limited_to_burden(formula: str, amount: Decimal) -> str:
    return _("Limited to what the member bore after the other payers: %(formula)s = %(amount)s") % {
        "formula": formula,
        "amount": money(amount),
    }


@worded
def stay_before_cover(days: int, covered: int, total: int) -> str:
    return _("The stay began %(days)s days before the cover started: %(covered)s of its %(total)s days are covered") % {
        "days": days,
        "covered": covered,
        "total": total,
    }


@worded
def prorated_base(base: Decimal, covered: int, total: int, amount: Decimal) -> str:
    return _("Base for the covered days: %(base)s × %(covered)s/%(total)s = %(amount)s") % {
        "base": money(base),
        "covered": covered,
        "total": total,
        "amount": money(amount),
    }


@worded
def disability(label: str, grade: int, total: Decimal, ratio: Decimal) -> str:
    return _("%(kind)s, grade %(grade)s: %(sum)s × %(ratio)s") % {
        "kind": label,
        "grade": grade,
        "sum": money(total),
        "ratio": _percent(ratio),
    }


# --- Exclusive kinds -------------------------------------------------------------------------------


@worded
def exclusive_less(paid: Decimal, kinds: Iterable[str], group: Iterable[str]) -> str:
    return _("Less %(paid)s yuan already paid for %(kinds)s: only the larger of %(group)s is paid") % {
        "paid": money(paid),
        "kinds": listing(CARE_TYPE_LABELS[item] for item in kinds),
        "group": listing(CARE_TYPE_LABELS[item] for item in group),
    }


# --- Band lump sums, add-ons, settlement cycles ------------------------------------------------


@worded
def medical_band_lump_sum(amount: Decimal, low: Decimal, high: Decimal | None, base: str) -> str:
    values = {"base": BASE_LABELS[base], "amount": money(amount), "low": money(low)}
    if high is None:
        return _("Lump sum for a %(base)s of %(amount)s yuan (band above %(low)s yuan)") % values
    values["high"] = money(high)
    return _("Lump sum for a %(base)s of %(amount)s yuan (band %(low)s–%(high)s yuan)") % values


@worded
def larger_of_ratio_and_lump(ratio_part: Decimal, lump: Decimal) -> str:
    return _("The larger of the ratio benefit of %(ratio)s yuan and the lump sum of %(lump)s yuan is paid") % {
        "ratio": _exact(ratio_part),
        "lump": money(lump),
    }


@worded
def add_on(label: str, amount: Decimal) -> str:
    return _("%(label)s: a flat %(amount)s yuan") % {"label": label, "amount": money(amount)}


@worded
def add_on_per_day(label: str, days: int, rate: Decimal) -> str:
    return _("%(label)s: %(days)s days × %(rate)s yuan") % {"label": label, "days": days, "rate": money(rate)}


@worded
def settled_in_cycle(cycle: str, year: int, number: int, cap: Decimal | None) -> str:
    names = {
        "month": _("month %(number)s of %(year)s"),
        "quarter": _("quarter %(number)s of %(year)s"),
        "half_year": _("half-year %(number)s of %(year)s"),
    }
    which = names[cycle] % {"number": number, "year": year}
    if cap is None:
        return _("Settled by cycle: the threshold counts the claims of %(cycle)s only") % {"cycle": which}
    return _("Settled by cycle: the threshold and the cap of %(cap)s yuan count the claims of %(cycle)s only") % {
        "cycle": which,
        "cap": money(cap),
    }


@worded
def cycle_cap_limited(room: Decimal) -> str:
    return _("Limited to the %(amount)s yuan left under the settlement cycle's cap") % {"amount": money(room)}

"""The schedule editor field by field: each field of a schedule as its own input (a number, a
choice, a tick, a row of segments or bands, a small JSON box for the nested parts), read back into
the schedule's JSON, and each refusal shown beside the field it names, so that a clerk who does not
read JSON can change a ratio or a cap and see at once what is wrong with it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.benefits.checks import ScheduleError
from claims.benefits.explain import CARE_TYPE_LABELS
from claims.benefits.money import ROUNDINGS
from claims.benefits.parse import parse_fields
from claims.benefits.schedule import (
    BASES,
    CARE_TYPES,
    FIELD_ORDER,
    SEGMENT_MODES,
    STAY_BEFORE_COVER,
    THRESHOLD_BASES,
    Schedule,
)
from claims.benefits.terms import BAND_MODES, CYCLES
from claims.schedule_words import CHOICE_LABELS, FORM_HELP

# How many rows of segments and of bands the form offers (blank rows are left out).
ROWS = 6

LABELS: dict[str, Promise] = {
    "segments": gettext_lazy("Ratios by segment"),
    "segment_mode": gettext_lazy("How the segments apply"),
    "deductible_ratio": gettext_lazy("Ratio on the hospital deductible part"),
    "plan_deductible": gettext_lazy("Plan threshold (yuan)"),
    "cap_per_share_per_period": gettext_lazy("Cap per share in a period"),
    "cap_per_period": gettext_lazy("Cap in a period"),
    "minimum_payout": gettext_lazy("Minimum payout"),
    "daily_allowance": gettext_lazy("Hospital allowance a day"),
    "allowance_by_membership_year": gettext_lazy("Allowance a day by membership year"),
    "allowance_from_day": gettext_lazy("Allowance from day"),
    "allowance_max_days": gettext_lazy("Most days of allowance"),
    "allowance_per_share": gettext_lazy("Allowances times the shares"),
    "caps_include_allowance": gettext_lazy("Caps include the allowances"),
    "multiply_by_shares": gettext_lazy("Benefit times the shares"),
    "rounding": gettext_lazy("Rounding"),
    "max_claims_per_period": gettext_lazy("Most claims in a period"),
    "covered_care": gettext_lazy("Kinds of care covered"),
    "waiting_days": gettext_lazy("Waiting period"),
    "threshold_basis": gettext_lazy("Where the threshold applies"),
    "variants": gettext_lazy("Rules for some claims (variants)"),
    "allowance_max_amount": gettext_lazy("Most allowance in a claim"),
    "critical_illness": gettext_lazy("Critical illness and other lump sums"),
    "death": gettext_lazy("Death benefit"),
    "base": gettext_lazy("Base the ratios are paid on"),
    "fund_ratio": gettext_lazy("Basic scheme's ratio"),
    "stay_before_cover": gettext_lazy("A stay that began before cover"),
    "disability": gettext_lazy("Disability by grade"),
    "kinds": gettext_lazy("Terms of each kind of care"),
    "versions": gettext_lazy("Versions by admission date"),
    "add_ons": gettext_lazy("Flat add-ons"),
    "band_lump_sums": gettext_lazy("Lump sums by band"),
    "band_lump_sum_mode": gettext_lazy("Band lump sum with the ratio benefit"),
    "exclusive": gettext_lazy("Mutually exclusive kinds"),
    "once_per_member": gettext_lazy("Paid once per member for life"),
    "eligibility": gettext_lazy("Who may claim"),
    "settlement_cycle": gettext_lazy("Settlement cycle"),
    "cap_per_cycle": gettext_lazy("Cap in a settlement cycle"),
}

_AMOUNTS = ("deductible_ratio", "plan_deductible", "minimum_payout", "daily_allowance")
_NULLABLE_AMOUNTS = (
    "cap_per_share_per_period",
    "cap_per_period",
    "allowance_max_amount",
    "fund_ratio",
    "cap_per_cycle",
)
_INTS = ("allowance_from_day",)
_NULLABLE_INTS = ("allowance_max_days", "max_claims_per_period")
_BOOLS = ("allowance_per_share", "caps_include_allowance", "multiply_by_shares", "once_per_member")
_CHOICES: dict[str, tuple[str, ...]] = {
    "segment_mode": SEGMENT_MODES,
    "rounding": ROUNDINGS,
    "threshold_basis": THRESHOLD_BASES,
    "base": BASES,
    "stay_before_cover": STAY_BEFORE_COVER,
    "band_lump_sum_mode": BAND_MODES,
    "settlement_cycle": CYCLES,
}
_ROWS = {"segments": "ratio", "band_lump_sums": "amount"}
# Fields that cannot be checked alone, since their rules read other fields.
_NEEDS_OTHERS = ("kinds", "covered_care", "cap_per_cycle", "base")
# Set on the period, not in the schedule (claims/services/schedules.py): no input here.
_NOT_HERE = ("waiting_days",)
_JSON = tuple(
    name
    for name in FIELD_ORDER
    if name
    not in (
        *_AMOUNTS,
        *_NULLABLE_AMOUNTS,
        *_INTS,
        *_NULLABLE_INTS,
        *_BOOLS,
        *_CHOICES,
        *_ROWS,
        *_NOT_HERE,
        "covered_care",
    )
)


@dataclass
class Field:
    """One input of the form: its name, label, help, kind of input, current value and error."""

    name: str
    label: str
    help: str
    kind: str
    value: Any
    error: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    column: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _rows(name: str, value: Any) -> list[tuple[str, str]]:
    rows = [
        (_text(item.get("upto")), _text(item.get(_ROWS[name]))) for item in value or [] if isinstance(item, Mapping)
    ]
    return rows + [("", "")] * max(0, ROWS - len(rows))


def _posted(post: Mapping[str, Any]) -> dict[str, Any]:
    """What was typed into the form, as the JSON the inputs are filled from, so that a refused
    form comes back with the clerk's own entries beside the problems."""
    values: dict[str, Any] = {}
    for name in FIELD_ORDER:
        if name in _ROWS:
            second = _ROWS[name]
            values[name] = [
                {"upto": post.get(f"{name}_upto_{n}", ""), second: post.get(f"{name}_{second}_{n}", "")}
                for n in range(1, ROWS + 1)
                if post.get(f"{name}_upto_{n}") or post.get(f"{name}_{second}_{n}")
            ]
        elif name in _BOOLS:
            values[name] = str(post.get(name, "")) in ("on", "true", "1")
        elif name == "covered_care":
            getlist = getattr(post, "getlist", None)
            values[name] = list(getlist(name)) if getlist else []
        else:
            values[name] = post.get(name, "")
    return values


def fields_of(
    data: Mapping[str, Any], errors: Mapping[str, str] | None = None, post: Mapping[str, Any] | None = None
) -> list[Field]:
    """The form's inputs for a schedule's JSON (fields it does not give show their defaults), or
    for what was posted (`post`)."""
    if post is not None:
        full = _posted(post)
    else:
        try:
            full = Schedule.from_dict(data).to_dict()
        except ScheduleError:
            full = {**Schedule().to_dict(), **data}
    found = []
    for name in FIELD_ORDER:
        if name in _NOT_HERE:
            continue
        value = full.get(name)
        choices: tuple[tuple[str, str], ...] = ()
        if name in _BOOLS:
            kind = "bool"
        elif name in _CHOICES:
            kind, choices = "choice", tuple((item, str(CHOICE_LABELS[item])) for item in _CHOICES[name])
        elif name in _ROWS:
            kind, value = "rows", _rows(name, value)
        elif name == "covered_care":
            kind = "care"
            choices = tuple((item, str(CARE_TYPE_LABELS[item])) for item in CARE_TYPES)
            value = list(value or [])
        elif name in _JSON:
            kind = "json"
            if post is None:
                value = "" if value in (None, [], {}) else json.dumps(value, ensure_ascii=False)
        else:
            kind, value = "number", _text(value)
        error = (errors or {}).get(name, "")
        column = _ROWS.get(name, "")
        found.append(Field(name, str(LABELS[name]), str(FORM_HELP[name]), kind, value, error, choices, column))
    return found


def _read_rows(name: str, post: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The filled rows of segments or bands; a row with a limit but no ratio or amount is named."""
    rows = []
    second = _ROWS[name]
    for number in range(1, ROWS + 1):
        upto = str(post.get(f"{name}_upto_{number}", "")).strip()
        other = str(post.get(f"{name}_{second}_{number}", "")).strip()
        if not upto and not other:
            continue
        if not other:
            what = _("ratio") if second == "ratio" else _("amount")
            return [], _("%(field)s, row %(row)s: enter the %(what)s or clear the row.") % {
                "field": LABELS[name],
                "row": number,
                "what": what,
            }
        rows.append({"upto": upto or None, second: other})
    return rows, ""


def _read_one(name: str, post: Mapping[str, Any]) -> tuple[bool, Any, str]:
    """(given, value, problem) of one field from the form."""
    raw = post.get(name, "")
    text = str(raw).strip()
    if name in _BOOLS:
        return True, text in ("on", "true", "1"), ""
    if name in _ROWS:
        rows, problem = _read_rows(name, post)
        return True, rows, problem
    if name == "covered_care":
        getlist = getattr(post, "getlist", None)
        return True, list(getlist(name) if getlist else (raw or [])), ""
    if name in _JSON:
        if not text:
            return False, None, ""
        try:
            return True, json.loads(text), ""
        except json.JSONDecodeError as error:
            return (
                False,
                None,
                _("%(field)s is not valid JSON (column %(column)s): %(msg)s.")
                % {
                    "field": LABELS[name],
                    "column": error.colno,
                    "msg": error.msg,
                },
            )
    if not text:
        return name in (*_NULLABLE_AMOUNTS, *_NULLABLE_INTS), None, ""
    return True, text, ""


def _owner(message: str, names: list[str]) -> str:
    """The field a schedule error names: the first field name in the message (the longest of
    those starting at one place), since every message names the field it is about first."""
    found = []
    for name in names:
        match = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", message)
        if match:
            found.append((match.start(), -len(name), name))
    return min(found)[2] if found else ""


def read_form(post: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], str]:
    """The schedule's JSON from the form, the problems by field, and a problem no field owns.
    Each field is checked alone first, so that its own mistakes are named beside it; then the
    schedule as a whole, whose refusal is shown beside the field it names."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in FIELD_ORDER:
        if name in _NOT_HERE:
            continue
        given, value, problem = _read_one(name, post)
        if problem:
            errors[name] = problem
            continue
        if not given:
            continue
        try:
            if name in _NEEDS_OTHERS:
                parse_fields({name: value})
            else:
                Schedule.from_dict({name: value})
        except ScheduleError as error:
            errors[name] = error.message
            continue
        data[name] = value
    if errors:
        return data, errors, ""
    try:
        Schedule.from_dict(data)
    except ScheduleError as error:
        owner = _owner(error.message, [name for name in FIELD_ORDER if name not in _NOT_HERE])
        if owner:
            return data, {owner: error.message}, ""
        return data, {}, error.message
    return data, {}, ""

"""The JSON an office stores with its plan, read into the keyword arguments of a `Schedule`.

Unknown fields are refused, because a misspelt field silently ignored would pay members by the
wrong rule; numbers are read through their text, so that no float ever reaches the money
arithmetic. The values are checked when the parts are built (sections.py, schedule.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError, in_variant, listing
from claims.benefits.sections import (
    CONDITIONS,
    Band,
    Conditions,
    CriticalIllness,
    Death,
    Disability,
    KindTerms,
    Segment,
    Variant,
    Version,
)
from claims.benefits.terms import number_term, parse_add_ons, parse_band_list, parse_eligibility, parse_exclusive

# The schedule's fields by the kind of JSON value each takes.
AMOUNT_FIELDS = (
    "deductible_ratio",
    "plan_deductible",
    "cap_per_share_per_period",
    "cap_per_period",
    "minimum_payout",
    "daily_allowance",
    "allowance_max_amount",
    "fund_ratio",
    "cap_per_cycle",
)
_NULLABLE_AMOUNTS = frozenset(
    {"cap_per_share_per_period", "cap_per_period", "allowance_max_amount", "fund_ratio", "cap_per_cycle"}
)
_INT_FIELDS = ("allowance_from_day", "allowance_max_days", "max_claims_per_period", "waiting_days")
_NULLABLE_INTS = frozenset({"allowance_max_days", "max_claims_per_period", "waiting_days"})
_TEXT_FIELDS = (
    "segment_mode",
    "rounding",
    "threshold_basis",
    "base",
    "stay_before_cover",
    "band_lump_sum_mode",
    "settlement_cycle",
)
BOOL_FIELDS = ("allowance_per_share", "caps_include_allowance", "multiply_by_shares", "once_per_member")
FIELDS = frozenset(
    {
        "segments",
        "segment_mode",
        *AMOUNT_FIELDS,
        "allowance_by_membership_year",
        *_INT_FIELDS,
        *BOOL_FIELDS,
        "rounding",
        "covered_care",
        "threshold_basis",
        "variants",
        "critical_illness",
        "death",
        "base",
        "stay_before_cover",
        "disability",
        "kinds",
        "versions",
        "add_ons",
        "band_lump_sums",
        "exclusive",
        "eligibility",
        "band_lump_sum_mode",
        "settlement_cycle",
    }
)


def unknown_field(name: str) -> ScheduleError:
    return ScheduleError(
        _("Unknown field %(name)s in the schedule: check its spelling against the schedule fields.") % {"name": name}
    )


def parse_fields(data: object) -> dict[str, Any]:
    """The keyword arguments of a `Schedule` (or of a variant's `set`) from JSON."""
    if not isinstance(data, Mapping):
        raise ScheduleError(_("The schedule must be a JSON object of field names and values: check the schedule."))
    for name in data:
        if name not in FIELDS:
            raise unknown_field(name)
    kwargs: dict[str, Any] = {}
    if "segments" in data:
        kwargs["segments"] = _parse_segments(data["segments"])
    for name in AMOUNT_FIELDS:
        if name in data:
            value = data[name]
            kwargs[name] = None if (value is None and name in _NULLABLE_AMOUNTS) else number_term(name, value)
    if "allowance_by_membership_year" in data:
        years = data["allowance_by_membership_year"]
        if years is None:
            years = []
        if not isinstance(years, list | tuple):
            raise ScheduleError(
                _(
                    "allowance_by_membership_year must be a list of daily amounts, one for each membership year: "
                    "check the schedule."
                )
            )
        kwargs["allowance_by_membership_year"] = tuple(
            number_term("allowance_by_membership_year", amount) for amount in years
        )
    for name in _INT_FIELDS:
        if name in data:
            value = data[name]
            kwargs[name] = None if (value is None and name in _NULLABLE_INTS) else _parse_int(name, value)
    for name in (*_TEXT_FIELDS, *BOOL_FIELDS):
        if name in data:
            kwargs[name] = data[name]
    if "covered_care" in data:
        care = data["covered_care"]
        if not isinstance(care, list | tuple) or not all(isinstance(item, str) for item in care):
            raise ScheduleError(
                _("covered_care must be a list of care types, such as inpatient and dialysis: check the schedule.")
            )
        kwargs["covered_care"] = tuple(care)
    if "critical_illness" in data:
        kwargs["critical_illness"] = _parse_critical_illness(data["critical_illness"])
    if "death" in data:
        kwargs["death"] = _parse_death(data["death"])
    if "disability" in data:
        kwargs["disability"] = _parse_disability(data["disability"])
    if "variants" in data:
        kwargs["variants"] = _parse_variants(data["variants"])
    if "kinds" in data:
        kwargs["kinds"] = _parse_kinds(data["kinds"])
    if "versions" in data:
        kwargs["versions"] = _parse_versions(data["versions"])
    if "add_ons" in data:
        kwargs["add_ons"] = parse_add_ons(data["add_ons"])
    if "band_lump_sums" in data:
        kwargs["band_lump_sums"] = parse_band_list("band_lump_sums", data["band_lump_sums"])
    if "exclusive" in data:
        kwargs["exclusive"] = parse_exclusive(data["exclusive"])
    if "eligibility" in data:
        kwargs["eligibility"] = parse_eligibility(data["eligibility"])
    return kwargs


def _parse_int(name: str, value: object) -> int:
    """Day numbers and claim counts are whole numbers; 3.0 from a spreadsheet export is accepted."""
    try:
        number = None if isinstance(value, bool) else number_term(name, value)
    except ScheduleError:
        number = None
    if number is None or number != number.to_integral_value():
        raise ScheduleError(_("%(name)s must be a whole number: check the value.") % {"name": name})
    return int(number)


def _parse_segments(value: object) -> tuple[Segment, ...]:
    """Segments are written as [{"upto": 5000, "ratio": 0.5}, …, {"upto": null, "ratio": 0.7}]."""
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("segments must be a list of entries with upto and ratio: check the schedule."))
    segments = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping) or set(entry) != {"upto", "ratio"}:
            raise ScheduleError(
                _("Segment %(number)s must have exactly the fields upto and ratio: check the schedule.")
                % {"number": number}
            )
        upto = None if entry["upto"] is None else number_term("upto", entry["upto"])
        segments.append(Segment(upto=upto, ratio=number_term("ratio", entry["ratio"])))
    return tuple(segments)


def _check_keys(section: str, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for name in data:
        if name not in known:
            raise ScheduleError(
                _("Unknown field %(name)s in %(section)s: use %(known)s.")
                % {"name": name, "section": section, "known": listing(known)}
            )


_CRITICAL_ILLNESS_KEYS = (
    "lump_sum",
    "lump_sums_by_severity",
    "lump_sum_bands",
    "monthly_allowance",
    "allowance_months",
    "days_per_month",
)


def _parse_critical_illness(value: object) -> CriticalIllness | None:
    """{"lump_sum": 3000, "monthly_allowance": 1000, "allowance_months": 6}, or with
    "lump_sums_by_severity": {"severe": 5000} or "lump_sum_bands": [{"upto": 10000, "amount": 2000}, …]."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScheduleError(
            _("critical_illness must be an object such as one with lump_sum, or null: check the schedule.")
        )
    _check_keys("critical_illness", value, _CRITICAL_ILLNESS_KEYS)
    kwargs: dict[str, Any] = {}
    for name in ("lump_sum", "monthly_allowance"):
        if value.get(name) is not None:
            kwargs[name] = number_term(f"critical_illness.{name}", value[name])
    for name in ("allowance_months", "days_per_month"):
        if value.get(name) is not None:
            kwargs[name] = _parse_int(f"critical_illness.{name}", value[name])
    severities = value.get("lump_sums_by_severity")
    if severities is not None:
        if not isinstance(severities, Mapping) or not severities:
            raise ScheduleError(
                _(
                    "critical_illness.lump_sums_by_severity must be an object of severities and amounts, such as "
                    "severe 5000 and mild 2000: check the schedule."
                )
            )
        kwargs["lump_sums_by_severity"] = tuple(
            (str(severity), number_term(f"critical_illness.lump_sums_by_severity.{severity}", amount))
            for severity, amount in severities.items()
        )
    bands = value.get("lump_sum_bands")
    if bands is not None:
        kwargs["lump_sum_bands"] = _parse_bands(bands)
    return CriticalIllness(**kwargs)


def _parse_bands(value: object) -> tuple[Band, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ScheduleError(
            _(
                "critical_illness.lump_sum_bands must be a list of entries with upto and amount, the last with "
                "upto null: check the schedule."
            )
        )
    bands = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping) or set(entry) != {"upto", "amount"}:
            raise ScheduleError(
                _(
                    "critical_illness.lump_sum_bands, band %(number)s must have exactly the fields upto and amount: "
                    "check the schedule."
                )
                % {"number": number}
            )
        upto = None if entry["upto"] is None else number_term("critical_illness.lump_sum_bands.upto", entry["upto"])
        amount = number_term("critical_illness.lump_sum_bands.amount", entry["amount"])
        bands.append(Band(upto=upto, amount=amount))
    return tuple(bands)


def _parse_death(value: object) -> Death | None:
    """{"condolence": 3000} and/or {"top_up_to": 10000}."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ScheduleError(
            _("death must be an object with condolence, top_up_to or both, or null: check the schedule.")
        )
    _check_keys("death", value, ("condolence", "top_up_to"))
    return Death(
        **{
            name: number_term(f"death.{name}", value[name])
            for name in ("condolence", "top_up_to")
            if value.get(name) is not None
        }
    )


def _parse_variants(value: object) -> tuple[Variant, ...]:
    """[{"when": {"admission_order": [2]}, "set": {"segments": […]}}, …]: the first that matches wins."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("variants must be a list of entries with when and set: check the schedule."))
    variants = []
    for number, entry in enumerate(value, start=1):
        try:
            variants.append(_parse_variant(entry))
        except ScheduleError as error:
            raise in_variant(number, error) from None
    return tuple(variants)


def _parse_variant(entry: object) -> Variant:
    if not isinstance(entry, Mapping) or set(entry) != {"when", "set"}:
        raise ScheduleError(_("a variant must have exactly the fields when and set: check the schedule."))
    when, changes = entry["when"], entry["set"]
    if not isinstance(when, Mapping):
        raise ScheduleError(_("when must be an object of conditions, such as admission_order: check the schedule."))
    _check_keys("when", when, CONDITIONS)
    conditions: dict[str, Any] = {}
    for name in ("admission_order", "member_category"):
        if name not in when:
            continue
        values = when[name]
        if not isinstance(values, list | tuple):
            raise ScheduleError(
                _("when.%(name)s must be a list, such as %(example)s: check the value.")
                % {"name": name, "example": "[2]" if name == "admission_order" else '["retired"]'}
            )
        if name == "admission_order":
            conditions[name] = tuple(_parse_int("when.admission_order", order) for order in values)
        else:
            if not all(isinstance(category, str) for category in values):
                raise ScheduleError(
                    _("when.%(name)s must be a list, such as %(example)s: check the value.")
                    % {"name": name, "example": '["retired"]'}
                )
            conditions[name] = tuple(values)
    if "admission_order_from" in when:
        conditions["admission_order_from"] = _parse_int("when.admission_order_from", when["admission_order_from"])
    if not isinstance(changes, Mapping):
        raise ScheduleError(_("set must be an object of schedule fields and their values: check the schedule."))
    if "variants" in changes:
        raise ScheduleError(_("set cannot contain variants: list every variant at the top level."))
    return Variant(when=Conditions(**conditions), set=tuple(parse_fields(changes).items()))


def _parse_disability(value: object) -> Disability | None:
    """{"sum_insured": 100000, "grade_ratios": [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]}."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"sum_insured", "grade_ratios"}:
        raise ScheduleError(
            _(
                "disability must be an object with exactly sum_insured (the sum for grade 1) and grade_ratios "
                "(10 shares of it, grade 1 first): check the schedule."
            )
        )
    ratios = value["grade_ratios"]
    if not isinstance(ratios, list | tuple):
        raise ScheduleError(
            _(
                "disability.grade_ratios (shares of the sum by grade) must list 10 ratios, grade 1 first: "
                "check the list."
            )
        )
    return Disability(
        sum_insured=number_term("disability.sum_insured", value["sum_insured"]),
        grade_ratios=tuple(number_term("disability.grade_ratios", ratio) for ratio in ratios),
    )


def _set_of(where: str, changes: object, *, forbidden: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """The schedule fields a kind or a version replaces, parsed like the schedule's own."""
    if not isinstance(changes, Mapping):
        raise ScheduleError(
            _("%(where)s must be an object of schedule fields and their values: check the schedule.") % {"where": where}
        )
    for name in forbidden:
        if name in changes:
            raise ScheduleError(
                _("%(where)s cannot contain %(name)s: give it at the top level of the schedule.")
                % {"where": where, "name": name}
            )
    return tuple(parse_fields(changes).items())


def _text(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise ScheduleError(_("%(where)s must be text: check the value.") % {"where": where})
    return value.strip()


def _parse_kinds(value: object) -> tuple[KindTerms, ...]:
    """{"outpatient": {"label": "普通门诊", "cap_group": "outpatient", "plan_deductible": 1300, …}, …}."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ScheduleError(
            _("kinds must be an object of kinds of care and their terms, such as outpatient: check the schedule.")
        )
    kinds = []
    for kind, terms in value.items():
        where = f"kinds.{kind}"
        if not isinstance(terms, Mapping):
            raise ScheduleError(
                _("%(where)s must be an object of schedule fields and their values: check the schedule.")
                % {"where": where}
            )
        fields = {name: item for name, item in terms.items() if name not in ("label", "cap_group")}
        try:
            changes = _set_of(where, fields, forbidden=("kinds", "versions", "covered_care", "exclusive"))
        except ScheduleError as error:
            raise ScheduleError(f"{where}: {error.message}") from None
        kinds.append(
            KindTerms(
                kind=str(kind),
                label=_text(f"{where}.label", terms.get("label", "")),
                cap_group=_text(f"{where}.cap_group", terms.get("cap_group", "")),
                set=changes,
            )
        )
    return tuple(kinds)


def _parse_versions(value: object) -> tuple[Version, ...]:
    """[{"starts_on": "2026-07-01", "label": "新起付线", "set": {"plan_deductible": 1000}}, …]."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("versions must be a list of entries with starts_on and set: check the schedule."))
    versions = []
    for number, entry in enumerate(value, start=1):
        where = _("versions, item %(number)s") % {"number": number}
        if (
            not isinstance(entry, Mapping)
            or not {"starts_on", "set"} <= set(entry)
            or set(entry)
            - {
                "starts_on",
                "label",
                "set",
            }
        ):
            raise ScheduleError(
                _("%(where)s must have starts_on, set and optionally label: check the schedule.") % {"where": where}
            )
        try:
            starts_on = date.fromisoformat(str(entry["starts_on"]))
        except ValueError:
            raise ScheduleError(
                _("%(where)s: starts_on (effective from) must be a date such as 2026-07-01: check the value.")
                % {"where": where}
            ) from None
        try:
            changes = _set_of(where, entry["set"], forbidden=("versions",))
        except ScheduleError as error:
            raise ScheduleError(f"{where}: {error.message}") from None
        versions.append(
            Version(starts_on=starts_on, label=_text(f"{where}.label", entry.get("label", "")), set=changes)
        )
    return tuple(versions)

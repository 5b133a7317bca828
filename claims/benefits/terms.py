"""The terms that add to, exclude or limit a benefit beyond its ratios: flat add-ons, lump sums by
band of an ordinary hospital claim, sets of mutually exclusive kinds, who may claim a kind
(eligibility) and the settlement cycle, each checked as it is built and read from the office's
JSON here, so that sections.py and parse.py keep to the ratios and the lump sums of one kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError, check_amount, check_count, listing
from claims.benefits.money import ZERO
from claims.benefits.sections import Band, Conditions

ADD_ON_PER: tuple[str, ...] = ("claim", "day")
EXCLUSIVE_CHOICES: tuple[str, ...] = ("larger", "first")
BAND_MODES: tuple[str, ...] = ("add", "larger")
CYCLES: tuple[str, ...] = ("period", "month", "quarter", "half_year")
GENDERS: tuple[str, ...] = ("F", "M")


# Beyond what any amount of the books can hold (14 digits, 2 decimals).
LARGEST = Decimal(10) ** 12


def number_term(where: str, value: object) -> Decimal:
    """A schedule's number as JSON gives it; a float goes through its shortest text (0.8 → "0.8")
    so that no binary artefact such as 0.8000000000000000444 reaches the money arithmetic."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ScheduleError(_("%(name)s must be an amount such as 5000 or 0.8: check the value.") % {"name": where})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ScheduleError(_("%(name)s must be an amount such as 5000 or 0.8: check the value.") % {"name": where})
    if abs(number) >= LARGEST:
        raise ScheduleError(
            _("%(name)s is too large: an amount is below 1,000,000,000,000 yuan, check the value.") % {"name": where}
        )
    return number


def _whole(where: str, value: object) -> int:
    number = None if isinstance(value, bool) else number_term(where, value)
    if number is None or number != number.to_integral_value():
        raise ScheduleError(_("%(name)s must be a whole number: check the value.") % {"name": where})
    return int(number)


def _keys(where: str, data: object, known: tuple[str, ...], required: tuple[str, ...] = ()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ScheduleError(
            _("%(where)s must be an object with the fields %(known)s: check the schedule.")
            % {"where": where, "known": listing(known)}
        )
    for name in data:
        if name not in known:
            raise ScheduleError(
                _("Unknown field %(name)s in %(section)s: use %(known)s.")
                % {"name": name, "section": where, "known": listing(known)}
            )
    for name in required:
        if data.get(name) is None:
            raise ScheduleError(
                _("%(where)s needs %(name)s: add it.") % {"where": where, "name": name},
            )
    return data


def _texts(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ScheduleError(_("%(where)s must be a list of names: check the value.") % {"where": where})
    return tuple(item.strip() for item in value)


# --- Flat add-ons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddOn:
    """A fixed sum on top of the benefit: per claim or per day in hospital, for the kinds listed
    (none: every medical kind) and, with `when`, only for the claims it matches (the first
    admission of the period, a member category)."""

    label: str
    amount: Decimal
    per: str = "claim"
    kinds: tuple[str, ...] = ()
    when: Conditions | None = None

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise ScheduleError(_("add_ons: every add-on needs a label, the name the member reads: add one."))
        check_amount(f"add_ons.{self.label}.amount", self.amount)
        if self.per not in ADD_ON_PER:
            raise ScheduleError(
                _("add_ons.%(label)s.per must be %(known)s, not %(value)s: choose one.")
                % {"label": self.label, "known": listing(ADD_ON_PER), "value": self.per}
            )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "amount": str(self.amount), "per": self.per}
        if self.kinds:
            data["kinds"] = list(self.kinds)
        if self.when is not None:
            data["when"] = self.when.to_dict()
        return data


def parse_add_ons(value: object) -> tuple[AddOn, ...]:
    """[{"label": "首次住院补助", "amount": 200, "per": "claim", "when": {"admission_order": [1]}}, …]."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("add_ons must be a list of add-ons with label, amount and per: check the schedule."))
    found = []
    for number, entry in enumerate(value, start=1):
        where = f"add_ons[{number}]"
        data = _keys(where, entry, ("label", "amount", "per", "kinds", "when"), ("label", "amount"))
        label = data["label"]
        if not isinstance(label, str):
            raise ScheduleError(_("%(where)s must be text: check the value.") % {"where": f"{where}.label"})
        when = None
        if data.get("when") is not None:
            when = parse_conditions(f"{where}.when", data["when"])
        found.append(
            AddOn(
                label=label.strip(),
                amount=number_term(f"{where}.amount", data["amount"]),
                per=str(data.get("per") or "claim"),
                kinds=_texts(f"{where}.kinds", data["kinds"]) if data.get("kinds") is not None else (),
                when=when,
            )
        )
    labels = [item.label for item in found]
    if len(set(labels)) != len(labels):
        raise ScheduleError(_("add_ons names an add-on twice: give each its own label."))
    return tuple(found)


def parse_conditions(where: str, value: object) -> Conditions:
    data = _keys(where, value, ("admission_order", "admission_order_from", "member_category"))
    kwargs: dict[str, Any] = {}
    if data.get("admission_order") is not None:
        orders = data["admission_order"]
        if not isinstance(orders, list | tuple):
            raise ScheduleError(
                _("when.%(name)s must be a list, such as %(example)s: check the value.")
                % {"name": "admission_order", "example": "[1]"}
            )
        kwargs["admission_order"] = tuple(_whole(f"{where}.admission_order", item) for item in orders)
    if data.get("admission_order_from") is not None:
        kwargs["admission_order_from"] = _whole(f"{where}.admission_order_from", data["admission_order_from"])
    if data.get("member_category") is not None:
        kwargs["member_category"] = _texts(f"{where}.member_category", data["member_category"])
    return Conditions(**kwargs)


# --- Lump sums by band of an ordinary hospital claim -------------------------------------------


def check_band_list(name: str, bands: tuple[Band, ...]) -> None:
    """Bands tile the base: ascending, none overlapping, the last open-ended."""
    previous = ZERO
    for number, band in enumerate(bands, start=1):
        check_amount(f"{name}[{number}].amount", band.amount)
        if band.upto is None:
            if number != len(bands):
                raise ScheduleError(
                    _(
                        "%(name)s: only the last band may be open-ended (upto null): give band %(number)s an "
                        "upper limit."
                    )
                    % {"name": name, "number": number}
                )
            continue
        check_amount(f"{name}[{number}].upto", band.upto)
        if band.upto <= previous:
            raise ScheduleError(
                _(
                    "%(name)s: band %(number)s does not end above the band before it, so the bands overlap: list "
                    "them in ascending order of upto, each with its own upto."
                )
                % {"name": name, "number": number}
            )
        previous = band.upto
    if bands and bands[-1].upto is not None:
        raise ScheduleError(
            _(
                "%(name)s: the last band must be open-ended (upto null) so that every amount falls in a band: set "
                "its upto to null."
            )
            % {"name": name}
        )


def parse_band_list(name: str, value: object) -> tuple[Band, ...]:
    """[{"upto": 10000, "amount": 0}, {"upto": 30000, "amount": 1000}, {"upto": null, "amount": 3000}]."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScheduleError(
            _("%(name)s must be a list of bands with upto and amount, the last with upto null: check the schedule.")
            % {"name": name}
        )
    bands = []
    for number, entry in enumerate(value, start=1):
        data = _keys(f"{name}[{number}]", entry, ("upto", "amount"), ("amount",))
        upto = None if data.get("upto") is None else number_term(f"{name}[{number}].upto", data["upto"])
        bands.append(Band(upto=upto, amount=number_term(f"{name}[{number}].amount", data["amount"])))
    return tuple(bands)


# --- Mutually exclusive kinds ------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusive:
    """Kinds of which only one is paid in a period: `larger` pays a later claim only what it pays
    above the earlier ones of the set, `first` refuses it once one of the set has been paid."""

    kinds: tuple[str, ...]
    choose: str = "larger"

    def __post_init__(self) -> None:
        if len(self.kinds) < 2 or len(set(self.kinds)) != len(self.kinds):
            raise ScheduleError(
                _(
                    "exclusive: each set must name two or more different kinds of care, such as death and "
                    "accidental_death."
                )
            )
        if self.choose not in EXCLUSIVE_CHOICES:
            raise ScheduleError(
                _("exclusive.choose must be %(known)s, not %(value)s: choose one.")
                % {"known": listing(EXCLUSIVE_CHOICES), "value": self.choose}
            )

    def to_dict(self) -> dict[str, Any]:
        return {"kinds": list(self.kinds), "choose": self.choose}


def parse_exclusive(value: object) -> tuple[Exclusive, ...]:
    """[{"kinds": ["death", "accidental_death"], "choose": "larger"}]."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ScheduleError(_("exclusive must be a list of sets with kinds and choose: check the schedule."))
    found = []
    for number, entry in enumerate(value, start=1):
        data = _keys(f"exclusive[{number}]", entry, ("kinds", "choose"), ("kinds",))
        found.append(
            Exclusive(
                kinds=_texts(f"exclusive[{number}].kinds", data["kinds"]),
                choose=str(data.get("choose") or "larger"),
            )
        )
    return tuple(found)


# --- Who may claim a kind ------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Who may claim: the genders (the women workers' plan: F), ages on admission (by gender where
    the statutory ages differ), the years of membership and the member categories."""

    genders: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    max_age_female: int | None = None
    max_age_male: int | None = None
    min_membership_years: int | None = None
    member_categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for gender in self.genders:
            if gender not in GENDERS:
                raise ScheduleError(
                    _("eligibility.genders: %(value)s is not a gender: use F (women) or M (men).") % {"value": gender}
                )
        for name in ("min_age", "max_age", "max_age_female", "max_age_male"):
            value = getattr(self, name)
            if value is not None:
                check_count(f"eligibility.{name}", value, minimum=0)
        if self.min_membership_years is not None:
            check_count("eligibility.min_membership_years", self.min_membership_years, minimum=1)
        for name in ("max_age", "max_age_female", "max_age_male"):
            value = getattr(self, name)
            if value is not None and self.min_age is not None and value < self.min_age:
                raise ScheduleError(
                    _("eligibility.%(name)s of %(most)s is below min_age of %(least)s: nobody could claim. Check both.")
                    % {"name": name, "most": value, "least": self.min_age}
                )
        if not any(getattr(self, name) for name in self.__dataclass_fields__):
            raise ScheduleError(
                _(
                    "eligibility has no condition: give genders, an age limit, min_membership_years or "
                    "member_categories."
                )
            )

    def most_age(self, gender: str) -> int | None:
        if gender == "F" and self.max_age_female is not None:
            return self.max_age_female
        if gender == "M" and self.max_age_male is not None:
            return self.max_age_male
        return self.max_age

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, tuple):
                if value:
                    data[name] = list(value)
            elif value is not None:
                data[name] = value
        return data


_ELIGIBILITY_INTS = ("min_age", "max_age", "max_age_female", "max_age_male", "min_membership_years")


def parse_eligibility(value: object) -> Eligibility | None:
    """{"genders": ["F"], "min_age": 16, "max_age_female": 55, "max_age_male": 60, "min_membership_years": 2}."""
    if value is None:
        return None
    known = ("genders", *_ELIGIBILITY_INTS, "member_categories")
    data = _keys("eligibility", value, known)
    kwargs: dict[str, Any] = {}
    for name in ("genders", "member_categories"):
        if data.get(name) is not None:
            kwargs[name] = _texts(f"eligibility.{name}", data[name])
    for name in _ELIGIBILITY_INTS:
        if data.get(name) is not None:
            kwargs[name] = _whole(f"eligibility.{name}", data[name])
    return Eligibility(**kwargs)


def check_cycle(cycle: str) -> None:
    if cycle not in CYCLES:
        raise ScheduleError(
            _("Unknown settlement_cycle %(value)s: use %(known)s.") % {"value": cycle, "known": listing(CYCLES)}
        )

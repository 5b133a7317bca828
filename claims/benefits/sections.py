"""The parts of a benefit schedule (segments, lump-sum bands, the critical-illness and death
sections, the variants and their conditions), each checked as it is built, and how each schedule
field is written back as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.utils.translation import gettext as _

from claims.benefits.checks import ScheduleError, check_amount, check_count, check_ratio
from claims.benefits.money import ZERO


class VariantFacts(Protocol):
    """What a variant's conditions read of a claim (`calculate.Claim` has both): the schedule
    model names only these two facts, so it does not depend on the calculation."""

    @property
    def admission_order(self) -> int: ...

    @property
    def member_category(self) -> str: ...


@dataclass(frozen=True)
class Segment:
    """One slice (progressive) or band of the self-paid amount, up to `upto` yuan (None: no end)."""

    upto: Decimal | None
    ratio: Decimal


@dataclass(frozen=True)
class Band:
    """A critical-illness lump sum paid when the claim's self-paid amount is at most `upto`."""

    upto: Decimal | None
    amount: Decimal


def check_segments(segments: tuple[Segment, ...]) -> None:
    """Segments must tile the whole self-paid amount: ascending limits, no two with the same
    limit, and an open-ended last one, so every amount falls in exactly one segment."""
    previous: Decimal = ZERO
    for number, segment in enumerate(segments, start=1):
        check_ratio("ratio", segment.ratio)
        if segment.upto is None:
            if number != len(segments):
                raise ScheduleError(
                    _("Only the last segment may be open-ended (upto null): give segment %(number)s an upper limit.")
                    % {"number": number}
                )
            continue
        check_amount("upto", segment.upto)
        if segment.upto <= 0:
            raise ScheduleError(_("Segment %(number)s must end above 0 yuan: check its upto.") % {"number": number})
        if segment.upto < previous:
            raise ScheduleError(
                _("Segment %(number)s ends below the segment before it: list the segments in ascending order of upto.")
                % {"number": number}
            )
        if segment.upto == previous:
            raise ScheduleError(
                _(
                    "Segment %(number)s ends at the same amount as the segment before it, so the two overlap: "
                    "merge them or change one upto."
                )
                % {"number": number}
            )
        previous = segment.upto
    if segments and segments[-1].upto is not None:
        raise ScheduleError(
            _(
                "The last segment must be open-ended (upto null) so that every amount falls in a segment: "
                "set its upto to null."
            )
        )


def check_bands(bands: tuple[Band, ...]) -> None:
    """Lump-sum bands tile the self-paid amount like segments do, for the same reason."""
    previous: Decimal = ZERO
    for number, band in enumerate(bands, start=1):
        if band.upto is None:
            if number != len(bands):
                raise ScheduleError(
                    _(
                        "critical_illness.lump_sum_bands: only the last band may be open-ended (upto null): give "
                        "band %(number)s an upper limit."
                    )
                    % {"number": number}
                )
            continue
        check_amount("critical_illness.lump_sum_bands.upto", band.upto)
        if band.upto <= 0:
            raise ScheduleError(
                _("critical_illness.lump_sum_bands, band %(number)s must end above 0 yuan: check its upto.")
                % {"number": number}
            )
        if band.upto <= previous:
            raise ScheduleError(
                _(
                    "critical_illness.lump_sum_bands, band %(number)s does not end above the band before it: list "
                    "the bands in ascending order of upto, each with its own upto."
                )
                % {"number": number}
            )
        previous = band.upto
    if bands and bands[-1].upto is not None:
        raise ScheduleError(
            _(
                "critical_illness.lump_sum_bands: the last band must be open-ended (upto null) so that every "
                "self-paid amount falls in a band: set its upto to null."
            )
        )


@dataclass(frozen=True)
class CriticalIllness:
    """What a critical-illness claim pays: at most one form of lump sum, and a monthly allowance
    prorated by day (Huzhou: 3,000 on first diagnosis, 1,000 a month for up to 6 months)."""

    lump_sum: Decimal | None = None
    lump_sums_by_severity: tuple[tuple[str, Decimal], ...] = ()
    lump_sum_bands: tuple[Band, ...] = ()
    monthly_allowance: Decimal | None = None
    allowance_months: int | None = None
    days_per_month: int = 30

    def __post_init__(self) -> None:
        forms = [self.lump_sum is not None, bool(self.lump_sums_by_severity), bool(self.lump_sum_bands)]
        if sum(forms) > 1:
            raise ScheduleError(
                _(
                    "critical_illness may give only one of lump_sum, lump_sums_by_severity and lump_sum_bands: "
                    "keep the one the plan uses."
                )
            )
        if not any(forms) and self.monthly_allowance is None:
            raise ScheduleError(
                _(
                    "critical_illness pays nothing: give lump_sum, lump_sums_by_severity, lump_sum_bands or "
                    "monthly_allowance."
                )
            )
        if self.lump_sum is not None:
            check_amount("critical_illness.lump_sum", self.lump_sum)
        for severity, amount in self.lump_sums_by_severity:
            if not isinstance(severity, str) or not severity.strip():
                raise ScheduleError(
                    _("critical_illness.lump_sums_by_severity has an empty severity: name every severity.")
                )
            check_amount(f"critical_illness.lump_sums_by_severity.{severity}", amount)
        if len({severity for severity, _amount in self.lump_sums_by_severity}) != len(self.lump_sums_by_severity):
            raise ScheduleError(
                _("critical_illness.lump_sums_by_severity names a severity twice: keep one amount for each.")
            )
        for band in self.lump_sum_bands:
            check_amount("critical_illness.lump_sum_bands.amount", band.amount)
        check_bands(self.lump_sum_bands)
        if self.monthly_allowance is not None:
            check_amount("critical_illness.monthly_allowance", self.monthly_allowance)
            if self.allowance_months is None:
                raise ScheduleError(
                    _(
                        "critical_illness.allowance_months is missing: give the most months the monthly_allowance "
                        "is paid for, such as 6."
                    )
                )
        if self.allowance_months is not None:
            if self.monthly_allowance is None:
                raise ScheduleError(
                    _(
                        "critical_illness.allowance_months is only used with monthly_allowance: add "
                        "monthly_allowance or remove allowance_months."
                    )
                )
            check_count("critical_illness.allowance_months", self.allowance_months, minimum=1)
        check_count("critical_illness.days_per_month", self.days_per_month, minimum=1)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.lump_sum is not None:
            data["lump_sum"] = str(self.lump_sum)
        if self.lump_sums_by_severity:
            data["lump_sums_by_severity"] = {severity: str(amount) for severity, amount in self.lump_sums_by_severity}
        if self.lump_sum_bands:
            data["lump_sum_bands"] = [
                {"upto": None if band.upto is None else str(band.upto), "amount": str(band.amount)}
                for band in self.lump_sum_bands
            ]
        if self.monthly_allowance is not None:
            data["monthly_allowance"] = str(self.monthly_allowance)
            data["allowance_months"] = self.allowance_months
        data["days_per_month"] = self.days_per_month
        return data


@dataclass(frozen=True)
class Death:
    """What a death claim pays: a condolence, or a top-up of the period's payouts to a total; with
    both, the larger of the two."""

    condolence: Decimal | None = None
    top_up_to: Decimal | None = None

    def __post_init__(self) -> None:
        if self.condolence is None and self.top_up_to is None:
            raise ScheduleError(_("death pays nothing: give condolence, top_up_to or both."))
        if self.condolence is not None:
            check_amount("death.condolence", self.condolence)
        if self.top_up_to is not None:
            check_amount("death.top_up_to", self.top_up_to)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.condolence is not None:
            data["condolence"] = str(self.condolence)
        if self.top_up_to is not None:
            data["top_up_to"] = str(self.top_up_to)
        return data


CONDITIONS = ("admission_order", "admission_order_from", "member_category")


@dataclass(frozen=True)
class Conditions:
    """When a variant applies; every condition given must hold (None: not a condition)."""

    admission_order: tuple[int, ...] | None = None
    admission_order_from: int | None = None
    member_category: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if all(getattr(self, name) is None for name in CONDITIONS):
            raise ScheduleError(
                _(
                    "when has no condition, so the variant would replace the rules for every claim: add "
                    "admission_order, admission_order_from or member_category, or move its set fields to the top "
                    "level."
                )
            )
        for name in ("admission_order", "member_category"):
            values = getattr(self, name)
            if values is not None and not values:
                raise ScheduleError(
                    _("when.%(name)s must list at least one value: add one or remove the condition.") % {"name": name}
                )
        for order in self.admission_order or ():
            check_count("when.admission_order", order, minimum=1)
        if self.admission_order_from is not None:
            check_count("when.admission_order_from", self.admission_order_from, minimum=1)
        for category in self.member_category or ():
            if not isinstance(category, str) or not category.strip():
                raise ScheduleError(
                    _("when.member_category has an empty category: name each member category, such as retired.")
                )

    def matches(self, claim: VariantFacts) -> bool:
        if self.admission_order is not None and claim.admission_order not in self.admission_order:
            return False
        if self.admission_order_from is not None and claim.admission_order < self.admission_order_from:
            return False
        return self.member_category is None or claim.member_category in self.member_category

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.admission_order is not None:
            data["admission_order"] = list(self.admission_order)
        if self.admission_order_from is not None:
            data["admission_order_from"] = self.admission_order_from
        if self.member_category is not None:
            data["member_category"] = list(self.member_category)
        return data


@dataclass(frozen=True)
class Variant:
    """Rules for some claims only (the 2nd admission, retired members…): `set` holds parsed
    schedule fields, as (name, value) pairs, that replace the schedule's own for a matching claim."""

    when: Conditions
    set: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"when": self.when.to_dict(), "set": {name: dump_field(name, value) for name, value in self.set}}


def dump_field(name: str, value: Any) -> Any:
    """One schedule field as JSON: Decimals as strings so that no float ever holds money."""
    if value is None:
        return None
    if name == "segments":
        return [{"upto": None if s.upto is None else str(s.upto), "ratio": str(s.ratio)} for s in value]
    if name == "allowance_by_membership_year":
        return [str(amount) for amount in value]
    if name == "covered_care":
        return list(value)
    if name in ("variants", "versions", "add_ons", "exclusive"):
        return [item.to_dict() for item in value]
    if name == "band_lump_sums":
        return [{"upto": None if b.upto is None else str(b.upto), "amount": str(b.amount)} for b in value]
    if name == "kinds":
        return {terms.kind: terms.to_dict() for terms in value}
    if isinstance(value, CriticalIllness | Death | Disability) or hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class Disability:
    """Disability by grade: grade 1 to 10, each paid as its share of `sum_insured` (grade 1 the
    heaviest), as the national table of grades sets it out."""

    sum_insured: Decimal
    grade_ratios: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        check_amount("disability.sum_insured", self.sum_insured)
        if len(self.grade_ratios) != 10:
            raise ScheduleError(
                _(
                    "disability.grade_ratios (shares of the sum by grade) must list 10 ratios, grade 1 first: "
                    "check the list."
                )
            )
        for grade, ratio in enumerate(self.grade_ratios, start=1):
            check_ratio(f"disability.grade_ratios[{grade}]", ratio)

    def to_dict(self) -> dict[str, Any]:
        return {"sum_insured": str(self.sum_insured), "grade_ratios": [str(ratio) for ratio in self.grade_ratios]}


@dataclass(frozen=True)
class KindTerms:
    """The terms of one kind of care: its own name on the settlement form, the cap group it shares
    a period cap with, and the schedule fields (`set`) that replace the schedule's own for it."""

    kind: str
    label: str = ""
    cap_group: str = ""
    set: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: dump_field(name, value) for name, value in self.set}
        if self.label:
            data["label"] = self.label
        if self.cap_group:
            data["cap_group"] = self.cap_group
        return data


@dataclass(frozen=True)
class Version:
    """Rules that apply to admissions from `starts_on` on (a new deductible from 1 July, say): the
    schedule fields in `set` replace the schedule's own for those claims."""

    starts_on: date
    label: str = ""
    set: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"starts_on": self.starts_on.isoformat()}
        if self.label:
            data["label"] = self.label
        data["set"] = {name: dump_field(name, value) for name, value in self.set}
        return data

"""Who may join a plan (参保对象): the period's rules beyond the ID checks, read the same way when a
list is checked (each row's problem on its cell) and when it is approved (the rows grouped by
what decides, so a 100,000-row list is read as a few thousand groups).

The rules: one gender only (the women workers' plan), a maximum age per gender, the statutory
retirement age with its gradual raise from 2025, the employment statuses that may join, the types
of unit that may join, and for a children's plan the relationship and the parent member, who must
be enrolled through the same unit. Every figure is the office's, set on the period.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Min, QuerySet
from django.utils.translation import gettext as _

from enrollment.models import (
    EmploymentStatus,
    Enrollment,
    EnrollmentStatus,
    ListRow,
    MemberList,
    Period,
    RetirementLimit,
)
from enrollment.workbook.columns import COLUMN_BY_KEY
from mutualaid import idcheck
from mutualaid.models import Organisation, UnitType

# What people type in the 就业状态 and 与会员关系 columns.
EMPLOYMENT_WORDS: dict[str, str] = {
    "在职": EmploymentStatus.IN_SERVICE,
    "在岗": EmploymentStatus.IN_SERVICE,
    "退休": EmploymentStatus.RETIRED,
    "灵活就业": EmploymentStatus.FLEXIBLE,
}
EMPLOYMENT_CHOICES = ("在职", "退休", "灵活就业")
EMPLOYMENT_WORD_OF: dict[str, str] = {EMPLOYMENT_WORDS[word]: word for word in EMPLOYMENT_CHOICES}
CHILD_WORDS = frozenset({"子", "女", "子女", "儿子", "女儿", "之子", "之女"})
RELATIONSHIP_CHOICES = ("子女",)

# Statutory retirement age (全国人大常委会《关于实施渐进式延迟法定退休年龄的决定》, 2024-09-13):
# from 2025-01-01 the age before the raise grows by one month every `step` months of birth,
# counted from the first cohort it reaches, until `most` months have been added.
# (age before the raise, first birth month raised, step in months, most months added)
_MEN = (60, datetime.date(1965, 1, 1), 4, 36)
_WOMEN_55 = (55, datetime.date(1970, 1, 1), 4, 36)
_WOMEN_50 = (50, datetime.date(1975, 1, 1), 2, 60)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def retirement_date(*, birth_date: datetime.date, gender: str, women_from: int = 50) -> datetime.date:
    """The day a person reaches the statutory retirement age: men 60, women 50 (workers) or 55
    (cadres) before the raise; born in or after the first raised cohort, one month more per `step`
    months of birth (men born 1965-01..04: 60 years 1 month; born 1976-09 on: 63)."""
    base, first, step, most = _MEN if gender == "M" else (_WOMEN_55 if women_from == 55 else _WOMEN_50)
    cohort = (birth_date.year - first.year) * 12 + birth_date.month - first.month
    delay = 0 if cohort < 0 else min(most, cohort // step + 1)
    return _add_months(birth_date, base * 12 + delay)


def has_rules(period: Period) -> bool:
    """Whether the period limits who may join beyond the ages and basic insurance of every plan."""
    return bool(
        period.gender
        or period.max_age_female is not None
        or period.max_age_male is not None
        or period.retirement_limit
        or period.employment_statuses
        or period.unit_types
        or period.plan.insures_children
    )


def extra_columns(period: Period | None) -> list[str]:
    """The template's columns beyond the standard ones this period's rules need."""
    if period is None:
        return []
    keys = ["employment"] if period.employment_statuses else []
    if period.plan.insures_children:
        keys += ["relationship", "parent_name", "parent_id"]
    return keys


@dataclass(frozen=True)
class Refusal:
    column: str
    code: str
    message: str


def unit_refusal(period: Period, unit: Organisation) -> str | None:
    """Why the unit's members may not join at all (a plan open to some types of unit only)."""
    if not period.unit_types or unit.unit_type in period.unit_types:
        return None
    allowed = "、".join(str(UnitType(value).label) for value in period.unit_types)
    if not unit.unit_type:
        return _(
            "This plan is open to units of the types %(allowed)s; the unit “%(unit)s” has no type recorded. "
            "Ask your office to record the unit's type, then upload the list again."
        ) % {"allowed": allowed, "unit": unit.name}
    return _(
        "This plan is open to units of the types %(allowed)s; the unit “%(unit)s” is a %(type)s, so its "
        "members cannot join."
    ) % {"allowed": allowed, "unit": unit.name, "type": UnitType(unit.unit_type).label}


def person_refusals(period: Period, *, gender: str, birth_date: datetime.date) -> list[Refusal]:
    """The gender and age rules for one person (the ID number gives gender and birth date)."""
    found: list[Refusal] = []
    if period.gender and gender != period.gender:
        found.append(
            Refusal(
                "gender",
                "gender_not_covered",
                _("This plan is for women only: a man cannot join it. Remove the row, or enrol him in another plan.")
                if period.gender == "F"
                else _("This plan is for men only: a woman cannot join it. Remove the row."),
            )
        )
    age = idcheck.age_on(birth_date, period.starts_on)
    most = period.max_age_female if gender == "F" else period.max_age_male
    if most is not None and age > most:
        found.append(
            Refusal(
                "id_number",
                "age_over_gender_limit",
                _("Aged %(age)s when the period starts; this plan takes %(who)s up to %(most)s. Remove the row.")
                % {"age": age, "who": _("women") if gender == "F" else _("men"), "most": most},
            )
        )
    if period.retirement_limit:
        women_from = 55 if period.retirement_limit == RetirementLimit.WOMEN_55 else 50
        retires = retirement_date(birth_date=birth_date, gender=gender, women_from=women_from)
        if retires <= period.starts_on:
            found.append(
                Refusal(
                    "id_number",
                    "over_retirement_age",
                    _(
                        "Reached the statutory retirement age on %(date)s, before the period starts; this plan "
                        "takes members below it. Remove the row."
                    )
                    % {"date": retires.isoformat()},
                )
            )
    return found


def employment_refusals(period: Period, employment: str) -> list[Refusal]:
    """The employment statuses that may join, when the period names some."""
    if not period.employment_statuses:
        return []
    if not employment:
        return [
            Refusal(
                "employment",
                "employment_missing",
                _("Choose the member's employment status: %(choices)s.") % {"choices": "、".join(EMPLOYMENT_CHOICES)},
            )
        ]
    if employment not in period.employment_statuses:
        allowed = "、".join(str(EmploymentStatus(value).label) for value in period.employment_statuses)
        return [
            Refusal(
                "employment",
                "employment_not_covered",
                _("This plan takes members who are %(allowed)s only. Remove the row.") % {"allowed": allowed},
            )
        ]
    return []


def employment_read(typed: str) -> str | None:
    """The employment status typed ("" for an empty cell), or None for a word it is not."""
    return EMPLOYMENT_WORDS.get(typed.strip()) if typed.strip() else ""


def parents_enrolled(*, unit: Organisation, period: Period, parent_hashes: Iterable[bytes]) -> set[bytes]:
    """Which of the parents hold an active enrollment through the unit for a time overlapping the
    period (in any plan that insures members themselves): one query for the whole list."""
    wanted = list({h for h in parent_hashes if h})
    if not wanted:
        return set()
    rows = (
        Enrollment.objects.filter(
            org=unit,
            status=EnrollmentStatus.ACTIVE,
            starts_on__lte=period.ends_on,
            ends_on__gte=period.starts_on,
            id_hash__in=wanted,
            parent_id_hash__isnull=True,
        )
        .values_list("id_hash", flat=True)
        .distinct()
    )
    return {bytes(value) for value in rows}


def parent_not_enrolled() -> Refusal:
    return Refusal(
        "parent_id",
        "parent_not_enrolled",
        _(
            "The parent member is not enrolled through this unit for this time: a child is insured through a "
            "parent who is. Enrol the parent first, or correct the parent's ID number."
        ),
    )


# At approval -----------------------------------------------------------------------------------

_MOST_LINES = 20  # row messages in one refusal; the rest are counted


def list_refusals(*, member_list: MemberList, period: Period) -> list[str]:
    """The rows of a checked list that the period's rules refuse now (the rules, the unit's type or
    a parent's enrollment may have changed since the check), one line per problem with its row
    and column. The rows are read grouped by what decides (gender, birth date, employment), so a
    large list is a few thousand groups, and the parents in one query."""
    unit = member_list.org
    refused = unit_refusal(period, unit)
    if refused:
        return [refused]
    if not has_rules(period):
        return []
    rows = ListRow.objects.filter(member_list=member_list, ok=True)
    lines: list[tuple[int, str]] = []
    groups = rows.values_list("gender", "birth_date", "employment_status").annotate(
        first=Min("row_number"), n=Count("id")
    )
    for gender, birth_date, employment, first, count in groups.order_by():
        found = employment_refusals(period, employment)
        if birth_date is not None:
            found += person_refusals(period, gender=gender, birth_date=birth_date)
        lines.extend((first, _line(first, count, refusal)) for refusal in found)
    if period.plan.insures_children:
        lines.extend(_parent_lines(rows, unit, period))
    lines.sort()
    shown = [line for _row, line in lines[:_MOST_LINES]]
    if len(lines) > _MOST_LINES:
        shown.append(_("… and %(n)s more problems of the same kinds.") % {"n": len(lines) - _MOST_LINES})
    return shown


def _line(row: int, count: int, refusal: Refusal) -> str:
    where = (
        _("Row %(row)s, %(column)s") % {"row": row, "column": COLUMN_BY_KEY[refusal.column].header}
        if count == 1
        else _("Row %(row)s and %(more)s more rows alike, %(column)s")
        % {"row": row, "more": count - 1, "column": COLUMN_BY_KEY[refusal.column].header}
    )
    return _("%(where)s: %(message)s") % {"where": where, "message": refusal.message}


def _parent_lines(rows: QuerySet[ListRow], unit: Organisation, period: Period) -> list[tuple[int, str]]:
    stored = rows.exclude(parent_id_hash=None).values_list("parent_id_hash", flat=True).distinct()
    hashes = {bytes(value) for value in stored if value is not None}
    missing_parents = hashes - parents_enrolled(unit=unit, period=period, parent_hashes=hashes)
    orphans = rows.filter(parent_id_hash=None).values_list("row_number", flat=True)
    numbers = sorted(
        [
            *orphans.order_by("row_number")[:_MOST_LINES],
            *rows.filter(parent_id_hash__in=list(missing_parents))
            .values_list("row_number", flat=True)
            .order_by("row_number")[:_MOST_LINES],
        ]
    )
    refusal = parent_not_enrolled()
    return [(number, _line(number, 1, refusal)) for number in numbers]

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from claims.workdays import WorkdayCalendar

CALENDAR = WorkdayCalendar()


def test_the_national_day_week_is_not_counted() -> None:
    # 2026-09-30 (Wed) is a working day; 1–7 October are the holiday; 8 October is back at work.
    assert CALENDAR.add(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_an_adjusted_working_sunday_counts() -> None:
    assert CALENDAR.is_workday(date(2026, 1, 4))  # a Sunday worked in exchange for New Year


def test_an_office_can_add_its_own_closures_and_working_days() -> None:
    office = WorkdayCalendar(closed=[date(2026, 6, 8)], open_days=[date(2026, 6, 13)])
    assert not office.is_workday(date(2026, 6, 8)) and office.is_workday(date(2026, 6, 13))


def test_five_and_thirty_working_days_from_complete_documents() -> None:
    start = date(2026, 9, 25)  # Friday
    # 28, 29, 30 September, then the week of 1–7 October off, then 8 and 9 October.
    assert CALENDAR.add(start, 5) == date(2026, 10, 9)
    assert CALENDAR.between(start, CALENDAR.add(start, 30)) == 30


def test_a_year_the_calendar_does_not_know_falls_back_to_weekends() -> None:
    assert not WorkdayCalendar.knows_year(2090)
    assert CALENDAR.is_workday(date(2090, 1, 2)) and not CALENDAR.is_workday(date(2090, 1, 1) + timedelta(days=6))


@given(st.dates(min_value=date(2010, 1, 1), max_value=date(2026, 11, 30)), st.integers(0, 60))
def test_counting_the_days_to_a_deadline_gives_back_the_days(start: date, days: int) -> None:
    assert CALENDAR.between(start, CALENDAR.add(start, days)) == days

"""Working days in China, for the claims clock (documents complete → payment).

Statutory holidays and the adjusted working weekends (调休) come from the maintained
`chinesecalendar` package; an office adds its own closures or extra working days on top. For a
year the package does not know yet, weekends alone are taken as days off until the package is
updated or the office enters that year's holidays; `knows_year()` says when that is the case, so
the pages can warn.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


@lru_cache(maxsize=8192)
def _statutory_workday(day: date) -> bool:
    """The statutory calendar's answer for one day, remembered: the package checks each date
    against the range of years it knows by scanning its whole table, which made a dashboard
    counting the days of 30,000 claims spend seconds there. Twenty years of days fit."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


class WorkdayCalendar:
    def __init__(self, *, closed: Iterable[date] = (), open_days: Iterable[date] = ()) -> None:
        self.closed = frozenset(closed)
        self.open_days = frozenset(open_days)

    @staticmethod
    def knows_year(year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        if day in self.open_days:
            return True
        if day in self.closed:
            return False
        return _statutory_workday(day)

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (the deadline of a clock started on `start`)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_workday(day):
                days -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`: how long the clock has run."""
        if end <= start:
            return 0
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n)))

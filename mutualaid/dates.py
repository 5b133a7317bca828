"""Business dates: today in Asia/Shanghai, months as their first day, and months typed by people.

Figures and money are counted by business date (TIME_ZONE, Asia/Shanghai) whatever the server's
clock zone. A month is always the date of its first day. Call these through the module
(`dates.business_today()`), so that a test can move the whole product to another day at once.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone


def business_today() -> date:
    """Today in Asia/Shanghai, whatever the server's clock zone."""
    return timezone.localdate()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def last_month() -> date:
    """The first day of the month before this one: the latest month that is over."""
    return month_start(month_start(business_today()) - timedelta(days=1))


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def parse_month(value: object) -> date | None:
    """A month typed YYYY-MM (as an <input type="month"> sends it) as its first day, or None.

    Only ASCII digits ("²" is a digit to isdigit() but not to int()), months 1 to 12, and years
    1900 to 2999 (the month after December 9999 does not exist).
    """
    text = str(value or "").strip()
    if not (len(text) == 7 and text.isascii() and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    return date(year, month, 1) if 1 <= month <= 12 and 1900 <= year <= 2999 else None

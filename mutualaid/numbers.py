"""One number format wherever a person reads a figure: web pages, workbooks, PDFs, calculation lines.

- money: thousands separators and two decimals, `12,345.60` (`-12,345.60` below zero);
- a share (a ratio such as 0.8951): one decimal and a percent sign, `89.5%`;
- a date a person reads: `2026年12月6日` (files and the API keep ISO dates);
- an amount in Chinese capitals (大写) as forms and notices write it beside the figures:
  `壹仟贰佰叁拾肆元伍角整`.

Templates use the filters of `{% load numbers %}` (mutualaid/templatetags/numbers.py), code that
writes workbooks and PDFs calls these functions: both give the same text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def money_text(value: object, *, blank: str = "") -> str:
    """An amount in yuan: 12,345.60; `blank` for no amount (None, '', not a number)."""
    number = _decimal(value)
    if number is None:
        return blank
    return f"{number.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def money_capitals(value: object, *, blank: str = "") -> str:
    """An amount in Chinese capitals (人民币大写), as the payment rules (《支付结算办法》) write
    it: 整 after an amount that ends at 元 or 角, none after 分 (1234.50 → 壹仟贰佰叁拾肆元伍角整,
    1000.05 → 壹仟元零伍分); `blank` for no amount. The words are cn2an's; only 整 after 角,
    which cn2an leaves out, is ours."""
    number = _decimal(value)
    if number is None:
        return blank
    from cn2an import an2cn  # loaded on first use: only the paperwork needs it

    number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    text: str = an2cn(f"{abs(number):f}", "rmb")
    if text.endswith("角"):
        text += "整"
    return ("负" if number < 0 else "") + text


def percent_text(share: object, *, blank: str = "") -> str:
    """A share as a percentage with one decimal: 0.8951 → 89.5%."""
    number = _decimal(share)
    if number is None:
        return blank
    return f"{(number * 100).quantize(TENTH, rounding=ROUND_HALF_UP):,.1f}%"


def date_text(value: date | datetime | None, *, blank: str = "") -> str:
    """A date as a person reads it: 2026年12月6日 (a datetime is read in the business time zone)."""
    if value is None:
        return blank
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def month_text(value: date | str | None, *, blank: str = "") -> str:
    """A month as a person reads it: 2026年11月 (from a date, or from YYYY-MM as files and the API keep it)."""
    if value is None or value == "":
        return blank
    if isinstance(value, str):
        year, _dash, month = value.partition("-")
        if not (year.isascii() and year.isdigit() and month[:2].isascii() and month[:2].isdigit()):
            return value
        return f"{int(year)}年{int(month[:2])}月"
    return f"{value.year}年{value.month}月"


def datetime_text(value: datetime | None, *, seconds: bool = False, blank: str = "") -> str:
    """A moment as a person reads it, in the business time zone: 2026年12月6日 14:05."""
    if value is None:
        return blank
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date_text(local)} {local:%H:%M:%S}" if seconds else f"{date_text(local)} {local:%H:%M}"


def count_text(value: object, *, blank: str = "") -> str:
    """A count of people, claims or shares with thousands separators: 12,345."""
    number = _decimal(value)
    if number is None:
        return blank
    return f"{number.quantize(Decimal(1), rounding=ROUND_HALF_UP):,.0f}"

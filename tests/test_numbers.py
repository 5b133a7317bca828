"""One number format: money with separators and two decimals, shares with one decimal and %, dates in words."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.template import Context, Template

from mutualaid import numbers


def test_money_has_thousands_separators_and_two_decimals():
    assert numbers.money_text(Decimal("1234567.5")) == "1,234,567.50"
    assert numbers.money_text(Decimal("-2377")) == "-2,377.00"
    assert numbers.money_text(Decimal("0.005")) == "0.01"  # half up, as the product rounds money


def test_no_amount_reads_as_blank_not_as_zero_or_nan():
    assert numbers.money_text(None) == ""
    assert numbers.money_text("NaN") == ""
    assert numbers.money_text("abc", blank="—") == "—"


def test_a_share_is_a_percentage_with_one_decimal():
    assert numbers.percent_text(Decimal("1.8951")) == "189.5%"
    assert numbers.percent_text("0.0004") == "0.0%"
    assert numbers.percent_text(None) == ""


def test_a_date_reads_in_chinese_and_a_moment_in_shanghai():
    assert numbers.date_text(date(2026, 12, 6)) == "2026年12月6日"
    late_utc = datetime(2026, 12, 31, 17, 0, tzinfo=ZoneInfo("UTC"))  # 1 January in Shanghai
    assert numbers.date_text(late_utc) == "2027年1月1日"


def test_templates_give_the_same_text_as_the_helpers():
    rendered = Template("{% load numbers %}{{ a|money }} {{ r|percent }} {{ d|cn_date }} {{ n|count }}").render(
        Context({"a": Decimal("2500"), "r": Decimal("0.8951"), "d": date(2026, 1, 2), "n": 12345})
    )
    assert rendered == "2,500.00 89.5% 2026年1月2日 12,345"

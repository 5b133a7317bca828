"""Amounts in Chinese capitals (人民币大写) on the notices and approval forms: the words read back
to the same amount, and 整 is written as the payment rules say (after 元 or 角, never after 分)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from mutualaid.numbers import money_capitals

DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def read_back(text: str) -> Decimal:
    """The amount the words say, read as a cashier reads them (independent of the writer)."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负").removesuffix("整")
    yuan_part, _sep, fraction = text.rpartition("元") if "元" in text else ("", "", text)
    total = section = number = 0
    for char in yuan_part:
        if char in DIGITS:
            number = DIGITS[char]
        elif char in UNITS:
            section += number * UNITS[char]
            number = 0
        elif char == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif char == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise AssertionError(f"unexpected {char!r} in {text!r}")
    total += section + number
    cents = 0
    digit = 0
    for char in fraction:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char == "角":
            cents += digit * 10
        elif char == "分":
            cents += digit
        else:
            raise AssertionError(f"unexpected {char!r} in {text!r}")
    return sign * (Decimal(total) + Decimal(cents) / 100)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("1000.05", "壹仟元零伍分"),
        ("100000", "壹拾万元整"),
        ("100010.10", "壹拾万零壹拾元壹角整"),
        ("10001", "壹万零壹元整"),
        ("0.50", "伍角整"),
        ("0.05", "伍分"),
        ("0", "零元整"),
        ("2080.00", "贰仟零捌拾元整"),
        ("120000000.00", "壹亿贰仟万元整"),
        ("-12.30", "负壹拾贰元叁角整"),
        ("1234.565", "壹仟贰佰叁拾肆元伍角柒分"),  # to the fen, half up, as every amount
    ],
)
def test_known_amounts_are_written_as_a_cashier_writes_them(amount: str, words: str) -> None:
    assert money_capitals(Decimal(amount)) == words


def test_no_amount_gives_the_blank() -> None:
    assert money_capitals(None) == "" and money_capitals("abc", blank="—") == "—"


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2, allow_nan=False))
def test_the_words_read_back_to_the_amount_and_end_in_zheng_unless_there_are_fen(amount: Decimal) -> None:
    words = money_capitals(amount)
    assert read_back(words) == amount
    assert words.endswith("整") == (amount * 100 % 10 == 0)
    assert "零零" not in words and not words.startswith("零" if amount >= 1 else "零零")


def test_the_template_filter_gives_the_same_words() -> None:
    rendered = Template("{% load numbers %}{{ x|capitals }}").render(Context({"x": Decimal("1234.5")}))
    assert rendered == "壹仟贰佰叁拾肆元伍角整"

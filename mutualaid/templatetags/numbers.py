"""`{% load numbers %}`: `{{ amount|money }}`, `{{ share|percent }}`, `{{ day|cn_date }}`, `{{ month|cn_month }}`,
`{{ moment|cn_datetime }}`, `{{ n|count }}`, `{{ amount|capitals }}` (人民币大写).

The same text as mutualaid.numbers gives workbooks and PDFs (one number format everywhere).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from mutualaid import numbers

register = template.Library()


@register.filter
def money(value: object) -> str:
    return numbers.money_text(value)


@register.filter
def percent(value: object) -> str:
    return numbers.percent_text(value)


@register.filter
def cn_date(value: date | datetime | None) -> str:
    return numbers.date_text(value)


@register.filter
def cn_month(value: date | str | None) -> str:
    return numbers.month_text(value)


@register.filter
def cn_datetime(value: datetime | None, arg: str = "") -> str:
    """`{{ moment|cn_datetime }}` 2026年12月6日 14:05; `{{ moment|cn_datetime:"seconds" }}` with the seconds."""
    return numbers.datetime_text(value, seconds=arg == "seconds")


@register.filter
def count(value: object) -> str:
    return numbers.count_text(value)


@register.filter
def capitals(value: object) -> str:
    return numbers.money_capitals(value)

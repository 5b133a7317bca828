"""A money box (mutualaid.forms.MoneyField) shows and takes an amount as every page writes money,
12,345.00, and refuses anything else with a Chinese message naming the field; every amount in yuan
of the product's forms is one (the collective decision's payment form showed 12345 in a number box)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mutualaid import dates
from mutualaid.badinput import StrictNumbers, amount
from mutualaid.forms import MoneyField
from tests import claimkit
from tests.conftest import Tree


class AmountForm(StrictNumbers, forms.Form):
    amount = MoneyField(label="金额（元）", min_value=0)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12,345.00", Decimal("12345.00")),
        ("12345", Decimal("12345")),
        (" 1,234,567.8 ", Decimal("1234567.8")),
        ("12，345.50", Decimal("12345.50")),  # a Chinese keyboard's comma
        ("¥12,345", Decimal("12345")),
        ("12345元", Decimal("12345")),
        ("0", Decimal("0")),
    ],
)
def test_an_amount_is_read_with_or_without_its_thousands_separators(typed: str, read: Decimal) -> None:
    form = AmountForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == read


@pytest.mark.parametrize("typed", ["１２", "12,34", "1,2345", "1e5", "NaN", "12.345", "12 345", "abc", "9" * 20, "-5"])
def test_anything_else_is_refused_in_chinese_naming_the_field(typed: str) -> None:
    with translation.override("zh-hans"):
        form = AmountForm({"amount": typed})
        assert not form.is_valid()
        message = " ".join(form.errors["amount"])
    assert "金额（元）" in message or "大于或等于" in message, message  # "-5": below the field's least
    assert not any("a" <= ch.lower() <= "z" for ch in message.replace("e5", "")), message


def test_the_box_shows_its_amount_with_separators_and_a_phone_s_number_keyboard() -> None:
    html = str(AmountForm(initial={"amount": Decimal("12345")})["amount"])
    assert 'value="12,345.00"' in html and 'inputmode="decimal"' in html and "data-money" in html
    assert 'type="text"' in html  # a number box shows no separators and takes none
    typed = str(AmountForm({"amount": "12,3"})["amount"])
    assert 'value="12,3"' in typed  # what was typed comes back as typed, beside its error


def test_the_one_amount_parser_reads_grouped_amounts_only() -> None:
    assert amount("12,345.60") == Decimal("12345.60")
    assert amount("1,2,3") is None and amount("12,34") is None and amount("１２") is None


def test_every_amount_in_yuan_of_the_product_s_forms_is_a_money_box() -> None:
    """A DecimalField with the money columns' digits is an amount in yuan: it is a MoneyField."""
    from tests.test_isolation import all_routes

    all_routes()  # imports every view, and with them every form

    def subclasses(cls: type) -> list[type]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in subclasses(child))]

    ours = ("mutualaid.", "enrollment.", "claims.", "finance.", "reporting.")
    found = [f for f in subclasses(forms.BaseForm) if f.__module__.startswith(ours) and hasattr(f, "base_fields")]
    money = {
        f"{f.__qualname__}.{name}": field
        for f in found
        for name, field in f.base_fields.items()  # type: ignore[attr-defined]
        if isinstance(field, forms.DecimalField) and (field.max_digits, field.decimal_places) == (14, 2)
    }
    assert len(money) >= 10, money
    plain = sorted(name for name, field in money.items() if not isinstance(field, MoneyField))
    assert not plain, f"amounts in yuan in a number box without separators: {plain}"


@pytest.mark.django_db
def test_the_collective_decision_s_payment_takes_its_amount_with_separators_and_refuses_a_malformed_one(
    tree: Tree,
) -> None:
    """The payment form with its collective decision (集体决策): 1,234.50 is 1234.5 yuan; 12,34
    is refused beside the field, in Chinese, and nothing is prepared."""
    from finance.models import PaymentRequest

    tree.a.with_enrollment(10)
    finance = claimkit.reviewers(tree.a.city, "xa").finance
    page = Client()
    page.force_login(finance)
    url = reverse("finance:payment_list")
    form = {"kind": "hardship_aid", "plan": tree.a.plan.pk, "payee": "困难职工张某", "purpose": "大病帮扶"}
    form |= {"meeting": "2026年第3次主任办公会", "meeting_on": str(dates.business_today())}
    refused = page.post(url, form | {"amount": "12,34"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 200
    assert "金额（元）：请用数字 0 到 9 填写" in refused.content.decode()
    assert not PaymentRequest.objects.with_scopes_disabled().exists()
    made = page.post(url, form | {"amount": "1,234.50"})
    assert made.status_code == 302, re.findall(r'class="(?:field-error|msg error)"[^>]*>([^<]*)', made.content.decode())
    assert PaymentRequest.objects.with_scopes_disabled().get().amount == Decimal("1234.50")


def test_a_period_s_participation_and_unit_share_are_typed_as_percentages() -> None:
    """The period form asked for 0.75 where every other ratio of the product is a percentage:
    75, 75% and 75.0% are three quarters, and 0.75 (a share typed as before) is refused with a
    message rather than read as three quarters of one percent."""
    from django.core.exceptions import ValidationError

    from enrollment.forms import PeriodForm

    form = PeriodForm()
    participation, unit_share = form.fields["min_participation"], form.fields["unit_ratio"]
    for typed in ("75", "75%", "75.0％"):
        assert participation.clean(typed) == Decimal("0.750")
    assert unit_share.clean("30") == Decimal("0.300") and unit_share.clean("0") == Decimal("0.000")
    assert participation.prepare_value(Decimal("0.750")) == "75.0%"
    for bad in ("0.75", "１２", "101", "-5", "NaN"):
        with pytest.raises(ValidationError):
            participation.clean(bad)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        participation.clean("0.75")
    assert str(participation.label) in refused.value.messages[0]

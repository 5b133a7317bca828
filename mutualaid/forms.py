from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualaid.badinput import StrictNumbers
from mutualaid.models import Organisation, OrgKind, UnitType
from mutualaid.money import MONEY
from mutualaid.numbers import money_text
from mutualaid.roles import Role


class DayInput(forms.DateInput):
    """The browser's date picker. Its value is always written YYYY-MM-DD, the one format an
    <input type=date> takes: the active language's first input format (2026/01/01 in Chinese)
    would make the picker show an empty field instead of the day the form proposes or holds."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


_PERCENT = re.compile(r"(?P<sign>-?)\s*(?P<digits>[0-9]{1,6}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})", re.ASCII)


def percent_input_text(share: Decimal) -> str:
    """A stored share as the percentage field shows it: one decimal as the product writes
    percentages (0.1 → 10.0%), more only where the share holds them (0.1234 → 12.34%), so that
    saving the form unchanged keeps the share as it was."""
    percent = (share * 100).normalize()
    places = max(1, -percent.as_tuple().exponent)  # type: ignore[operator] # finite: an int
    return f"{percent:.{places}f}%"


class PercentField(forms.Field):
    """A share (stored as 0.1) typed and shown as a percentage: 10, 10% and 10.0% are 0.1.

    Digits 0 to 9 only (a full-width "１０" or "١٠" is refused, not read as 10), from 0 to `most`
    percent, with at most `decimal_places` - 2 decimals (the share's column keeps `decimal_places`).
    Every refusal names the field, as it is also shown where the office reads a list of errors."""

    widget = forms.TextInput

    def __init__(
        self, *, most: Decimal = Decimal(100), decimal_places: int = 4, max_digits: int | None = None, **kwargs: Any
    ) -> None:
        self.most = most
        self.decimal_places = decimal_places
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs: dict[str, Any] = super().widget_attrs(widget)
        attrs.update(inputmode="decimal", autocomplete="off", size="10")
        return attrs

    def prepare_value(self, value: Any) -> Any:
        return percent_input_text(value) if isinstance(value, Decimal) and value.is_finite() else value

    def _refuse(self, message: str, **values: object) -> forms.ValidationError:
        return forms.ValidationError(message % {"field": self.label, **values}, code="invalid")

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = str(value).strip().removesuffix("%").removesuffix("％").strip()
        places = max(self.decimal_places - 2, 0)
        number = _PERCENT.fullmatch(text)
        if number is None:  # "１０", "٣", "NaN", "1e3", "ten": none is a percentage in digits
            raise self._refuse(gettext("%(field)s: write the percentage in the digits 0 to 9, such as 10 or 10%%."))
        percent = Decimal(number["digits"])
        if number["sign"] or percent > self.most:
            raise self._refuse(
                gettext("%(field)s: a percentage from 0 to %(most)s%%, such as 10 or 10%%."),
                most=format(self.most.normalize(), "f"),
            )
        if percent != percent.quantize(Decimal(1).scaleb(-places)):
            raise self._refuse(gettext("%(field)s: a percentage takes at most %(places)s decimals."), places=places)
        return (percent / 100).quantize(Decimal(1).scaleb(-self.decimal_places)) + 0


# An amount as a person types it: digits 0 to 9, commas (or Chinese commas, as a Chinese keyboard
# types them) between groups of three or none at all, at most two decimals; a yuan sign before or
# 元 after is read past.
_MONEY = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]{1,3}(?:[,，][0-9]{3})+|[0-9]+)(?:\.(?P<cents>[0-9]*))?", re.ASCII)


class MoneyField(forms.DecimalField):
    """An amount in yuan typed and shown as every page writes money: 12,345.00.

    Django's DecimalField draws a number box, which shows no thousands separators and takes none;
    this one is a text box (the phone's number keyboard) that shows its amount as 12,345.00 (and
    static/js/app.js writes what was typed so when the box is left), reads 12,345.00, 12345 or
    12，345.5, and refuses anything else (a full-width "１２", "1e5", "NaN", "12,34") with a message
    naming the field. The column's digits (mutualaid/money.py) unless told otherwise."""

    widget = forms.TextInput
    checks_digits = True  # StrictNumbers leaves it be: the Chinese comma is read here on purpose

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY["max_digits"])
        kwargs.setdefault("decimal_places", MONEY["decimal_places"])
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs: dict[str, Any] = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "data-money": ""})
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return money_text(value)
        return value

    def _refuse(self, message: str, **values: object) -> forms.ValidationError:
        return forms.ValidationError(message % {"field": self.label, **values}, code="invalid")

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override] # the stubs give DecimalField int
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = str(value).strip().lstrip("¥￥").removesuffix("元").strip()
        found = _MONEY.fullmatch(text)
        if found is None:
            raise self._refuse(
                gettext("%(field)s: write the amount in yuan in the digits 0 to 9, such as 12,345.00 or 12345.")
            )
        places = self.decimal_places or 0
        if len(found["cents"] or "") > places:
            raise self._refuse(
                gettext("%(field)s: an amount in yuan takes at most %(places)s decimals."), places=places
            )
        number = Decimal(
            found["sign"] + found["whole"].replace(",", "").replace("，", "") + "." + (found["cents"] or "")
        )
        if self.max_digits is not None and abs(number) >= Decimal(10) ** (self.max_digits - places):
            raise self._refuse(
                gettext("%(field)s: at most %(most)s yuan."),
                most=money_text(Decimal(10) ** (self.max_digits - places) - 1),
            )
        return number + 0  # "-0" is 0


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The username or password is wrong. After %(limit)s failed attempts the account is locked for 30 minutes."
        ),
        "inactive": _("This account has been disabled. Ask your office head to re-enable it."),
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"] % {"limit": settings.AXES_FAILURE_LIMIT}, code="invalid_login"
        )


class OrgCreateForm(StrictNumbers, forms.Form):
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=Organisation.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=[c for c in OrgKind.choices if c[0] != OrgKind.PROVINCE])
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    headcount = forms.IntegerField(label=_("Staff headcount"), min_value=1, required=False, help_text=_("Units only."))
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False, help_text=_("Units only: 18 characters.")
    )
    unit_type = forms.ChoiceField(
        label=_("Type of unit"),
        choices=[("", _("Not recorded")), *UnitType.choices],
        required=False,
        help_text=_("Units only: plans may be open to some types of unit only."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # In scope: a forged parent id from another office is simply "not a valid choice".
        cast("forms.ModelChoiceField[Organisation]", self.fields["parent"]).queryset = Organisation.objects.exclude(
            kind=OrgKind.UNIT
        ).order_by("path")


class UserCreateForm(StrictNumbers, forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    display_name = forms.CharField(label=_("Full name"), max_length=50)
    org = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "A role that approves claims, payments or member lists is held only once a second person confirms it "
            "(the office above, or another office head of this office)."
        ),
    )
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Organisation]", self.fields["org"]).queryset = Organisation.objects.order_by(
            "path"
        )

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

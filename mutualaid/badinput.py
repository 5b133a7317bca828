"""The one layer between what a request carries and what the product parses (issue 14).

Two kinds of input ended in server errors: characters PostgreSQL cannot hold (NUL, in any text it
stores or compares), and numbers Python parses but nothing after it can use ("１２" and "٣", which
int() reads as 12 and 3; "²", which str.isdigit() accepts and int() refuses; 5,000 digits; a
bigint's range passed; NaN, Infinity and 1e308 as amounts). The middleware refuses the first kind
for every request before any view runs; the parsers below are the only way a view turns request
text into an id, a count or an amount, and give None for anything else, so that the view says
what it says for a missing value (a form error, a 404, the default) instead of raising.
Months are parsed by mutualaid/dates.py (`parse_month`) on the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mutualaid.money import MONEY

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint, the type of every primary key
_GROUPED = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)


def whole_number(value: object, *, most: int = BIGINT_MAX) -> int | None:
    """An id, a count or a year as typed: ASCII digits only, at most `most` (by default as many as
    a bigint holds); None otherwise."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        return None
    number = int(text)
    return number if number <= most else None


def whole_numbers(values: Iterable[object]) -> list[int]:
    """The whole numbers among `values` (a form's repeated field), the rest left out."""
    return [number for number in map(whole_number, values) if number is not None]


def amount(
    value: object, *, max_digits: int = MONEY["max_digits"], decimal_places: int = MONEY["decimal_places"]
) -> Decimal | None:
    """An amount as typed: ASCII, finite, and fitting the column (`max_digits`, `decimal_places`:
    the money columns' by default); None otherwise. A sign is allowed; the caller says whether a
    negative amount means anything. Commas between groups of three (12,345.60, as every page
    writes money and a money box shows it) are read past; anywhere else they are refused."""
    text = str(value if value is not None else "").strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not text.isascii() or not text or len(text) > max_digits + 3:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= Decimal(10) ** (max_digits - decimal_places):
        return None
    if number != number.quantize(Decimal(1).scaleb(-decimal_places)):
        return None
    return number + 0  # "-0" is 0


class StrictNumbers(forms.BaseForm):
    """A form whose number fields take the digits 0 to 9 only. Django's IntegerField and
    DecimalField read "１２" and "٣" as 12 and 3 (int() and Decimal() do), so a full-width number
    typed by a person, or pasted, would be stored as another one unseen. Every form of the product
    mixes this in first (tests/test_bad_input.py checks it)."""

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc] # BaseForm's own step of full_clean
        for name, field in self.fields.items():
            if not isinstance(field, forms.IntegerField) or field.disabled:  # DecimalField and FloatField too
                continue
            if getattr(field, "checks_digits", False):  # reads its digits itself (mutualaid.forms.MoneyField)
                continue
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(raw, str) and not raw.isascii() and name in self.cleaned_data:
                self.add_error(name, _("Enter the number in the digits 0 to 9."))


# Query-string keys that name a row by its id, and the ones that name a year or a month, as every
# page of the product reads them. A page asked with one of them holding something that cannot be
# an id, a year or a month answers 400 naming the key, instead of its default (the API has its own
# serializers and answers 400 in JSON from them).
# The core's keys; each app adds the keys of its own rows from its AppConfig.ready().
ID_KEYS: set[str] = {"office", "parent", "unit", "actor"}
YEARS = range(1900, 3000)


def register_query_ids(*keys: str) -> None:
    """Query-string keys by which the app's pages are asked for one of its rows by id."""
    ID_KEYS.update(keys)


def _bad_query_key(request: HttpRequest) -> str | None:
    """The first query key of a page whose value cannot be what the key names, or None."""
    from mutualaid.dates import parse_month

    for key in sorted(ID_KEYS):
        value = request.GET.get(key, "")
        if value.strip() and whole_number(value) is None:
            return key
    year = request.GET.get("year", "")
    if year.strip() and whole_number(year) not in YEARS:
        return "year"
    month = request.GET.get("month", "")
    if month.strip() and parse_month(month) is None:
        return "month"
    return None


def _holds_nul(request: HttpRequest) -> bool:
    if "%00" in request.META.get("QUERY_STRING", "") and _any_nul(request.GET.lists()):
        return True
    if request.method not in {"POST", "PUT", "PATCH"}:
        return False
    kind = request.content_type or ""
    if kind == "application/json":
        body = request.body  # within DATA_UPLOAD_MAX_MEMORY_SIZE, or Django answers 400
        return b"\x00" in body or b"\\u0000" in body
    if kind in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return _any_nul(request.POST.lists())
    return False


def _any_nul(items: Iterable[tuple[str, list[str]]]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in items)


class BadInputMiddleware:
    """Refuse a request holding a NUL character in its query string, its form fields or its JSON
    body: PostgreSQL can neither store nor compare text containing one, so it would end in a
    database error (a 500) at whichever filter or insert it reaches. Answers 400 with the reason,
    as JSON under /api/ and as a page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request):
            message = _("The request contains a null character (NUL), which is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        if not request.path.startswith("/api/") and (key := _bad_query_key(request)) is not None:
            message = _(
                "The address asks for %(key)s=%(value)s, which is not a valid %(key)s: an id is written in the "
                "digits 0 to 9, a year as four digits, a month as YYYY-MM. Correct the address or open the page "
                "from the menu."
            ) % {"key": key, "value": request.GET.get(key, "")[:40]}
            return HttpResponseBadRequest(render_to_string("400_query.html", {"message": message}))
        return self.get_response(request)

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

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from mutualaid.money import MONEY

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint, the type of every primary key


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
    negative amount means anything."""
    text = str(value if value is not None else "").strip()
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
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(raw, str) and not raw.isascii() and name in self.cleaned_data:
                self.add_error(name, _("Enter the number in the digits 0 to 9."))


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
        return self.get_response(request)

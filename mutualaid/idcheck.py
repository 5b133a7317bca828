"""Checks for the identifiers that arrive in enrollment spreadsheets: resident ID numbers
(居民身份证号码), Unified Social Credit Codes (统一社会信用代码) and phone numbers.

Why a module of its own: member lists are typed into Excel by unit agents, so the same number
arrives with spaces, full-width digits, a lower-case x, or, worst of all, stored as a number
that Excel has already rounded. Each check here says precisely what is wrong and what to do, so
that an agent can fix the row without calling the office. It is pure Python (no models) so that
the importer, the forms, the API, the demo data and the benchmark all share one implementation.

What makes a number valid is python-stdnum's (`stdnum.cn.ric`, `stdnum.cn.uscc`): its check
characters, its birth-date reading and the administrative-division list it maintains. What stays
here is what stdnum does not do: reading what people type (spaces, full-width characters, a
lower-case x, numbers Excel has rounded), converting 15-digit legacy numbers, the gender digit,
choosing which problem to name first, and the Chinese messages.

Messages never contain the number itself: they end up in logs, error reports and e-mails, and an
ID number is personal data.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal, TypeGuard
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric, uscc

__all__ = [
    "IdError",
    "ResidentId",
    "age_on",
    "check_credit_code",
    "credit_code_error",
    "credit_code_valid",
    "gender_matches",
    "known_regions",
    "make_credit_code",
    "make_resident_id",
    "normalise_credit_code",
    "normalise_id",
    "normalise_phone",
    "parse_resident_id",
    "phone_error",
]

Gender = Literal["M", "F"]


class IdError(Exception):
    """An identifier that cannot be accepted, with a stable `code` for programs (importers group
    and count rows by it, tests assert on it) and a `message` for people.

    The message is lazy so that it is rendered in the language of whoever reads it, which may
    not be the language that was active when the row was checked (e.g. a Celery import task).
    """

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code)
        self.code: str = code
        self.message: str | Promise = message

    def __str__(self) -> str:
        return str(self.message)


# --- Messages -------------------------------------------------------------------------------
# Kept together so that their Chinese in the catalogue (locale/zh_Hans) is easy to check against them.

_ID_MESSAGES: dict[str, str | Promise] = {
    "empty": _("The ID number is missing: enter the 18-character number from the ID card."),
    "stored_as_number": _(
        "The ID number was stored as a number in Excel, so its last digits have been lost: "
        "format the column as text and enter the number again."
    ),
    "bad_length": _(
        "The ID number must have 18 characters (or 15 digits for an old card): "
        "check that no character is missing or repeated."
    ),
    "bad_characters": _(
        "The ID number may contain only digits, and the letter X as the last character: "
        "check the number against the ID card."
    ),
    "bad_birth_date": _(
        "The date of birth in the ID number (characters 7 to 14) is not a real date on or after "
        "1 January 1900: check the number against the ID card."
    ),
    "future_birth_date": _(
        "The date of birth in the ID number (characters 7 to 14) is in the future: "
        "check the number against the ID card."
    ),
    "bad_region": _(
        "The region code of the ID number (characters 1 to 6) does not exist: check the number against the ID card."
    ),
    "bad_check_digit": _("The check digit (last character) is wrong: check the number against the ID card."),
}

_CREDIT_MESSAGES: dict[str, str | Promise] = {
    "empty": _(
        "The Unified Social Credit Code is missing: "
        "enter the 18-character code from the business licence or registration certificate."
    ),
    "stored_as_number": _(
        "The Unified Social Credit Code was stored as a number in Excel, which may have changed it: "
        "format the column as text and enter the code again."
    ),
    "bad_length": _(
        "The Unified Social Credit Code must have 18 characters: check that no character is missing or repeated."
    ),
    "bad_characters": _(
        "The Unified Social Credit Code may contain only digits and capital letters other than I, O, S, V and Z: "
        "check the code against the business licence or registration certificate."
    ),
    "bad_department": _(
        "The first character of the Unified Social Credit Code is not a registration authority code: "
        "check the code against the business licence or registration certificate."
    ),
    "bad_region": _(
        "Characters 3 to 8 of the Unified Social Credit Code must be digits (the region code): "
        "check the code against the business licence or registration certificate."
    ),
    "bad_check_digit": _(
        "The check character (last character) of the Unified Social Credit Code is wrong: "
        "check the code against the business licence or registration certificate."
    ),
}

_PHONE_MESSAGES: dict[str, str | Promise] = {
    "empty": _("The phone number is missing: enter a mobile number or a landline number with its area code."),
    "stored_as_number": _(
        "The phone number was stored as a number in Excel, which drops the leading 0 of the area code: "
        "format the column as text and enter the number again."
    ),
    "bad_phone": _(
        "The phone number is not valid: enter an 11-digit mobile number (e.g. 138 1234 5678) "
        "or a landline number with its area code (e.g. 029-88886666)."
    ),
}


# --- Shared normalisation -------------------------------------------------------------------

# Full-width ASCII (U+FF01..U+FF5E) maps onto printable ASCII (U+0021..U+007E): Chinese input
# methods produce it when the user forgets to switch to half-width mode.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Characters that are invisible in a cell but survive copy-and-paste from web pages and PDFs.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _is_number(raw: object) -> TypeGuard[int | float | Decimal]:
    """Whether a cell value is a number rather than text (bool is an int but not a number here)."""
    return isinstance(raw, int | float | Decimal) and not isinstance(raw, bool)


def _clean_text(raw: object) -> str:
    """str() of the value without any whitespace or invisible characters, with full-width ASCII
    made half-width. `str.split()` knows every Unicode space, including U+3000 and U+00A0."""
    text = "" if raw is None else str(raw)
    text = text.translate(_FULL_WIDTH).translate(_INVISIBLE)
    return "".join(text.split())


def _all_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() alone would also accept e.g. Arabic-Indic digits and
    '²', hence the isascii() (both run in C, which matters for 100,000 rows)."""
    return text.isascii() and text.isdigit()


# --- Resident ID numbers (GB 11643-1999) ----------------------------------------------------

_EARLIEST_BIRTH = datetime.date(1900, 1, 1)
_CHINA = ZoneInfo("Asia/Shanghai")


def _today_in_china() -> datetime.date:
    """Today's date in Beijing time: servers often run in UTC, which is still "yesterday" until
    08:00 in China and would reject a baby born this morning as born in the future."""
    return datetime.datetime.now(_CHINA).date()


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A resident ID number that has passed every check, with what it encodes.

    `number` is always the 18-character form (15-digit legacy numbers are converted), so that
    the same person is never enrolled twice under two spellings of one number.
    """

    number: str
    birth_date: datetime.date
    gender: Gender
    region: str


def normalise_id(raw: object) -> str:
    """Turn an Excel cell into a candidate ID string, without judging it.

    Removes every kind of whitespace, makes full-width digits and letters half-width and writes
    the check character x as X. Numbers are refused (code "stored_as_number") rather than
    converted: Excel keeps only 15 significant digits, so an 18-digit ID stored as a number has
    already lost its last digits, and silently accepting it would enroll a wrong number.
    """
    if _is_number(raw):
        raise IdError("stored_as_number", _ID_MESSAGES["stored_as_number"])
    return _clean_text(raw).replace("x", "X")


def _id_check_char(seventeen: str) -> str:
    """The check character (ISO 7064 MOD 11-2) of the first 17 digits; stdnum's function reads
    a full number and ignores its last character."""
    return ric.calc_check_digit(seventeen + "0")


def _birth_date(seventeen: str, on: datetime.date) -> datetime.date:
    """The birth date encoded in the number, if it is a real date between 1900 and `on`.

    Read here rather than by `ric.get_birth_date`, which reads the same three fields but first
    cleans the number again, character by character: 0.6 s more on a list of 100,000 people.
    """
    try:
        born = datetime.date(int(seventeen[6:10]), int(seventeen[10:12]), int(seventeen[12:14]))
    except ValueError:
        raise IdError("bad_birth_date", _ID_MESSAGES["bad_birth_date"]) from None
    if born < _EARLIEST_BIRTH:
        raise IdError("bad_birth_date", _ID_MESSAGES["bad_birth_date"])
    if born > on:
        raise IdError("future_birth_date", _ID_MESSAGES["future_birth_date"])
    return born


def _region_exists(region: str) -> bool:
    """Whether stdnum's administrative-division list has this county-level code, in any period:
    one look-up in the set of its 6,885 codes, made once (`known_regions`). Asking stdnum's list
    per number (`numdb.info`, a walk of nested ranges, about 15 µs) behind a cache of 4,096 regions
    took 4–6 s of a 100,000-row list whose people come from all over the country: more regions
    than the cache held, so nearly every number walked the list again.

    Not `ric.validate`: through `get_birth_place` it also wants the code to have been in force in
    the year of birth, but a number is given when a person is first registered, which for anyone
    born before the 1980s was years later. It would refuse, say, every Pudong number (310115,
    created in 1992) of a person born before 1992, and every Yanta number (610113, 1983) of one
    born before 1983. (It also raises KeyError, not a validation error, for a code with no
    county-level entry.)
    """
    return region in _region_set()


@cache
def _region_set() -> frozenset[str]:
    return frozenset(known_regions())


@cache
def known_regions() -> tuple[str, ...]:
    """Every county-level code of stdnum's list, sorted: the demo, the benchmark and the tests
    draw the regions of the numbers they build from it."""
    codes = {
        province + county
        for _length, low, high, _props, counties in numdb.get("cn/loc").prefixes
        for province in _span(low, high)
        for _clength, clow, chigh, cprops, _children in counties
        if "county" in cprops
        for county in _span(clow, chigh)
    }
    return tuple(sorted(codes))


def _span(low: str, high: str) -> list[str]:
    """The zero-padded codes from `low` to `high`, both included (a range of stdnum's list)."""
    return [f"{number:0{len(low)}d}" for number in range(int(low), int(high) + 1)]


def parse_resident_id(raw: object, *, on: datetime.date | None = None) -> ResidentId:
    """Check a resident ID number as typed, and return it in 18-character form with its birth
    date, gender and region.

    The birth date is checked before the check digit: when a typo lands in the date, "the date
    of birth is not a real date" tells the user where to look, which a wrong check digit does
    not. `on` is the day the birth date may not be after (today by default; tests and back-dated
    enrollments pass it explicitly).

    The region code is checked before the check digit for the same reason: a typo among the
    first six digits then says where it is.

    Raises IdError with code "empty", "stored_as_number", "bad_length", "bad_characters",
    "bad_birth_date", "future_birth_date", "bad_region" or "bad_check_digit".
    """
    number = normalise_id(raw)
    today = on if on is not None else _today_in_china()
    if not number:
        raise IdError("empty", _ID_MESSAGES["empty"])
    if len(number) == 15:
        # Legacy card (issued before 1999): region, YYMMDD, 3-digit order code, no check digit.
        # Every holder was born in the 1900s, which is how the standard converts it (stdnum
        # reads 18-character numbers only).
        if not _all_digits(number):
            raise IdError("bad_characters", _ID_MESSAGES["bad_characters"])
        seventeen = number[:6] + "19" + number[6:]
        number = seventeen + _id_check_char(seventeen)
    elif len(number) == 18:
        if not _all_digits(number[:17]) or number[17] not in "0123456789X":
            raise IdError("bad_characters", _ID_MESSAGES["bad_characters"])
    else:
        raise IdError("bad_length", _ID_MESSAGES["bad_length"])
    born = _birth_date(number[:17], today)
    if not _region_exists(number[:6]):
        raise IdError("bad_region", _ID_MESSAGES["bad_region"])
    if number[17] != _id_check_char(number[:17]):
        raise IdError("bad_check_digit", _ID_MESSAGES["bad_check_digit"])
    gender: Gender = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=born, gender=gender, region=number[:6])


_DECLARED_GENDER: dict[str, Gender] = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}


def gender_matches(resident_id: ResidentId, declared: str) -> bool:
    """Whether the gender column of a spreadsheet agrees with the ID number.

    A mismatch usually means the ID of another person (often a spouse) was pasted into the row.
    An unrecognised value raises ValueError instead of returning False, because "does not
    match" would send the user to check the wrong column.
    """
    key = declared.strip().casefold()
    if key not in _DECLARED_GENDER:
        raise ValueError(f"unrecognised gender {declared!r}: expected 男, 女, M, F, male or female")
    return _DECLARED_GENDER[key] == resident_id.gender


def age_on(birth_date: datetime.date, on: datetime.date) -> int:
    """Age in completed years on a day, as plan rules on entry age mean it.

    Comparing (month, day) pairs makes a person born on 29 February one year older on 1 March
    in a non-leap year (and on 29 February in a leap year), which is the legal reading.
    """
    if on < birth_date:
        raise ValueError("the day is before the birth date")
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def make_resident_id(*, region: str = "610113", birth_date: datetime.date, sequence: int, gender: Gender) -> str:
    """Build a valid 18-character ID number, for tests, the demo and the benchmark.

    The 3-digit order code is 2 * sequence (+1 for a man), so `sequence` 0..499 gives its first
    two digits and the last digit is odd for men and even for women, as the standard requires.
    The birth date is not checked against today, so that tests can build future dates; the
    region must be in stdnum's list (`known_regions()`), so that every number built here parses.
    """
    if len(region) != 6 or not _all_digits(region):
        raise ValueError("region must be 6 digits")
    if not _region_exists(region):
        raise ValueError("region must be a county-level administrative division code (see known_regions())")
    if not 0 <= sequence <= 499:
        raise ValueError("sequence must be between 0 and 499")
    if gender not in ("M", "F"):
        raise ValueError("gender must be 'M' or 'F'")
    if not _EARLIEST_BIRTH <= birth_date <= datetime.date(9999, 12, 31):
        raise ValueError("birth_date must be on or after 1900-01-01")
    order = 2 * sequence + (1 if gender == "M" else 0)
    seventeen = f"{region}{birth_date:%Y%m%d}{order:03d}"
    return seventeen + _id_check_char(seventeen)


# --- Unified Social Credit Code (GB 32100-2015) ---------------------------------------------

_CREDIT_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")  # no I, O, Z, S, V: they look like 1, 0, 2, 5, U
# Registration authorities: 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会,
# 9 市场监管, A 中央军委改革和编制办公室, N 农业 (rural collective economic organisations, which
# can be employer units), Y 其他; B-H are allowed for authorities added later.
_CREDIT_DEPARTMENTS = frozenset("123456789ABCDEFGHNY")


def normalise_credit_code(raw: object) -> str:
    """Turn an Excel cell into a candidate credit code: no whitespace, half-width, upper case.

    Numbers are refused (code "stored_as_number"): an all-digit code has 18 digits, more than
    the 15 that Excel keeps.
    """
    if _is_number(raw):
        raise IdError("stored_as_number", _CREDIT_MESSAGES["stored_as_number"])
    return _clean_text(raw).upper()


def check_credit_code(raw: object) -> str:
    """Check a credit code as typed and return it normalised.

    Raises IdError with code "empty", "stored_as_number", "bad_length", "bad_characters",
    "bad_department", "bad_region" or "bad_check_digit", so that importers can report credit
    code problems the same way as ID number problems.

    The check character is stdnum's (`uscc.calc_check_digit`). Not `uscc.validate`: it wants the
    first eight characters to be digits, which refuses the codes of rural collective economic
    organisations (N…) and of the other authorities with a letter (A…, Y…), employer units too.
    """
    code = normalise_credit_code(raw)
    if not code:
        raise IdError("empty", _CREDIT_MESSAGES["empty"])
    if len(code) != 18:
        raise IdError("bad_length", _CREDIT_MESSAGES["bad_length"])
    if any(char not in _CREDIT_ALPHABET for char in code):
        raise IdError("bad_characters", _CREDIT_MESSAGES["bad_characters"])
    if code[0] not in _CREDIT_DEPARTMENTS:
        raise IdError("bad_department", _CREDIT_MESSAGES["bad_department"])
    if not _all_digits(code[2:8]):
        raise IdError("bad_region", _CREDIT_MESSAGES["bad_region"])
    if code[17] != uscc.calc_check_digit(code[:17]):
        raise IdError("bad_check_digit", _CREDIT_MESSAGES["bad_check_digit"])
    return code


def credit_code_valid(code: str) -> bool:
    """Whether `code` is a valid credit code exactly as given (canonical form: upper case, no
    spaces), e.g. for a value already stored. Use credit_code_error() for what users type."""
    try:
        return check_credit_code(code) == code
    except IdError:
        return False


def credit_code_error(raw: object) -> str | None:
    """What is wrong with a credit code as typed, in the active language, or None if it is valid
    once normalised. For forms and import reports that only need a message."""
    try:
        check_credit_code(raw)
    except IdError as error:
        return str(error.message)
    return None


def make_credit_code(*, seventeen: str) -> str:
    """Append the check character to 17 characters, for tests and the demo."""
    if len(seventeen) != 17 or any(char not in _CREDIT_ALPHABET for char in seventeen):
        raise ValueError(f"need 17 characters from {''.join(sorted(_CREDIT_ALPHABET))}")
    return seventeen + uscc.calc_check_digit(seventeen)


# --- Phone numbers --------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_COUNTRY_PREFIX = re.compile(r"(?:\+86|0086|86)(?=1[3-9]\d{9}\Z)", re.ASCII)
# Area codes are 3 digits for Beijing (010) and the 02X cities, 4 digits everywhere else; local
# numbers have 7 or 8 digits and never start with 0 or 1.
_AREA_CODE = re.compile(r"0(?:[12]\d|[3-9]\d{2})", re.ASCII)
_LOCAL = re.compile(r"[2-9]\d{6,7}", re.ASCII)
_SEPARATORS = dict.fromkeys(map(ord, "-‐‑–—()"))


def _landline(digits: str) -> str | None:
    """Digits such as 02988886666 written as 029-88886666, or None if they are not a landline."""
    area = _AREA_CODE.match(digits)
    if area and _LOCAL.fullmatch(digits[area.end() :]):
        return f"{area.group()}-{digits[area.end() :]}"
    return None


def normalise_phone(raw: object) -> str:
    """A mobile number as 11 digits ("13812345678") or a landline as "029-88886666".

    Spaces, hyphens, dashes, brackets, full-width digits and a +86/0086/86 prefix are tolerated
    because that is how people write numbers. Unlike ID numbers, an integer is fine for a mobile
    number (11 digits are well within Excel's precision), and so is an integral float such as
    13812345678.0. A landline stored as a number has lost the 0 of its area code and cannot be
    recovered, hence "stored_as_number" for a number that would be a landline with a leading 0.

    Raises IdError with code "empty", "stored_as_number" or "bad_phone".
    """
    if _is_number(raw):
        if not math.isfinite(raw) or raw != int(raw):
            raise IdError("bad_phone", _PHONE_MESSAGES["bad_phone"])
        digits = str(int(raw))
        prefix = _COUNTRY_PREFIX.match(digits)
        if prefix:
            return digits[prefix.end() :]
        if _MOBILE.fullmatch(digits):
            return digits
        if _landline("0" + digits):
            raise IdError("stored_as_number", _PHONE_MESSAGES["stored_as_number"])
        raise IdError("bad_phone", _PHONE_MESSAGES["bad_phone"])
    text = _clean_text(raw)
    if not text:
        raise IdError("empty", _PHONE_MESSAGES["empty"])
    compact = text.translate(_SEPARATORS)
    prefix = _COUNTRY_PREFIX.match(compact)
    mobile = compact[prefix.end() :] if prefix else compact
    if _MOBILE.fullmatch(mobile):
        return mobile
    landline = _landline(compact)
    if landline:
        return landline
    raise IdError("bad_phone", _PHONE_MESSAGES["bad_phone"])


def phone_error(raw: object) -> str | None:
    """What is wrong with a phone number as typed, in the active language, or None if valid."""
    try:
        normalise_phone(raw)
    except IdError as error:
        return str(error.message)
    return None

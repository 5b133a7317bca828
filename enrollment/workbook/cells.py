"""From calamine's cell values to the values of a RawRow: text cleaned of invisible characters,
dates typed as text, share counts typed as text; a problem for each cell that cannot be read."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from django.utils.translation import gettext as _

from enrollment.workbook.columns import EXAMPLE_MARK, CellProblem

_SPACES = re.compile(r"\s+")

# Control characters, plus the invisible format characters that come along when a name or a number
# is copied from a web page or a phone (zero-width spaces, byte-order marks, bidi marks).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_DATE_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s+0{1,2}:00(?::00)?)?")
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_WHOLE_NUMBER = re.compile(r"\+?(\d{1,9})(?:\.0*)?")


def _clean(text: str) -> str | None:
    cleaned = text.strip()
    if not cleaned.isprintable() and _CONTROL.search(cleaned):  # isprintable(): a fast first filter
        cleaned = _CONTROL.sub("", cleaned).strip()
    return cleaned or None


def _as_text(value: object) -> str | None:
    """A cell's value as the text a person reads in it."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _quoted(text: str | None, limit: int = 40) -> str:
    """A cell's text as quoted in a message: a cell can hold a million characters, and its message
    is stored with the report and shown in the unit's file."""
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "…"


def _parse_text_date(text: str) -> dt.date | None:
    for pattern, groups in ((_DATE_SEPARATED, (1, 3, 4)), (_DATE_CHINESE, (1, 2, 3)), (_DATE_COMPACT, (1, 2, 3))):
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(match.group(g)) for g in groups))
            except ValueError:
                return None
    return None


class CellReader:
    """Converters from calamine's cell values to RawRow values, one per column key; they append
    the cell problems they find. Blank cells never reach them."""

    def __init__(self, problems: list[CellProblem]) -> None:
        self.problems = problems

    def converter(self, key: str) -> Callable[[object, int], object] | None:
        """The converter of a column, or None for a plain text column (handled inline: most cells)."""
        return {
            "seq": self.seq,
            "name": self.name,
            "id_number": self.id_number,
            "birth_date": self.birth_date,
            "shares": self.shares,
        }.get(key)

    @staticmethod
    def seq(value: object, row: int) -> object:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if type(value) is int else _as_text(value)

    def name(self, value: object, row: int) -> str | None:
        if not isinstance(value, str):
            return _as_text(value)
        stripped = value.strip()
        if not stripped.isprintable() and _CONTROL.search(stripped):
            self.problems.append(
                CellProblem(
                    row,
                    "name",
                    "control_characters",
                    _(
                        "The name contained invisible characters (such as a line break), which have been "
                        "removed. Check that the name is right."
                    ),
                )
            )
        return _clean(stripped)

    def id_number(self, value: object, row: int) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.problems.append(
                CellProblem(
                    row,
                    "id_number",
                    "id_number_stored_as_number",
                    _(
                        "The ID number is stored as a number, so Excel has lost its last digits. Format the "
                        "column as Text and type the ID number again."
                    ),
                )
            )
            return None
        return _as_text(value)

    def birth_date(self, value: object, row: int) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _as_text(value)
        if text is None:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parsed = _parse_text_date(text)  # numbers too: 19900131 typed into a General cell
            if parsed is not None:
                return parsed
        self.problems.append(
            CellProblem(
                row,
                "birth_date",
                "bad_date",
                _("“%(value)s” is not a date this list can read. Write the birth date like 1990-01-31.")
                % {"value": _quoted(text)},
            )
        )
        return None

    def shares(self, value: object, row: int) -> int | None:
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
            number = int(value)
        elif isinstance(value, str):
            match = _WHOLE_NUMBER.fullmatch(value.strip())
            number = int(match.group(1)) if match else None
        if number is not None and number >= 1:
            return number
        self.problems.append(
            CellProblem(
                row,
                "shares",
                "bad_shares",
                _("The number of shares must be a whole number of at least 1, not “%(value)s”.")
                % {"value": _quoted(_as_text(value))},
            )
        )
        return None


def is_example_mark(remarks: object) -> bool:
    """The template's example row says so in its remarks; commas and spaces may have been retyped."""
    return (
        isinstance(remarks, str)
        and EXAMPLE_MARK[:3] in remarks
        and EXAMPLE_MARK in _SPACES.sub("", remarks).replace(",", "，")
    )


def convert_column(key: str, cells: Sequence[object], numbers: range, reader: CellReader) -> list[object]:
    """One column's values. Each comprehension handles the common case inline (text for most
    columns, a date cell for 出生日期, a number for 投保份数) and calls the converter otherwise."""
    slow = reader.converter(key)
    if slow is None:
        return [
            (text if text.isprintable() else _clean(text))
            if type(value) is str and (text := value.strip())
            else (None if value is None or type(value) is str else _as_text(value))
            for value in cells
        ]
    if key == "birth_date":
        return [
            value if type(value) is dt.date else (None if value is None or value == "" else slow(value, number))
            for number, value in zip(numbers, cells, strict=True)
        ]
    if key == "shares":
        return [
            int(value)
            if type(value) is float and value.is_integer() and 1 <= value < 1e9
            else (None if value is None or (type(value) is str and not value.strip()) else slow(value, number))
            for number, value in zip(numbers, cells, strict=True)
        ]
    return [
        (text if text.isprintable() else slow(text, number))
        if type(value) is str and (text := value.strip())
        else (None if value is None or type(value) is str else slow(value, number))
        for number, value in zip(numbers, cells, strict=True)
    ]

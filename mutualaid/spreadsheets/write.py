"""The one place where a value becomes a cell of a workbook (or a field of a csv file) the product
writes for people to download.

Why one place: openpyxl stores a string starting with "=" as a formula, and a spreadsheet program
runs a cell starting with "+", "-" or "@" (or their full-width forms, which Chinese input methods
type) as a formula as soon as someone edits it. A finance officer or a bank clerk who opens a
transfer file must never run what a member, an agent or an office typed as a name. So text is
always a text cell here (data type "s") with Excel's quote prefix (the mark a cell typed with a
leading apostrophe gets), which keeps it text when edited; a code such as 0012 keeps its zeros
the same way. Figures are numbers in the product's number format, never text, so that a column
can be totalled and sorted. tests/test_spreadsheet_writer.py checks that no other module writes a
cell, and tests/test_export_formulas.py walks every export with hostile names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING, Cell
from openpyxl.styles import Font
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# What a spreadsheet (or a csv reader) takes for the start of a formula; an import refuses a cell
# that starts with one (mutualaid/resources.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same signs typed with a Chinese input method: Excel turns them into a formula when the cell
# is edited. With a line feed (what XML makes of a carriage return), what a csv field is guarded against.
RISKY_STARTS = (*FORMULA_STARTS, "\n", "＝", "＋", "－", "＠")

# The product's number formats (money 12,345.60, counts 1,234, percentages 89.5 %).
MONEY = "#,##0.00"
COUNT = "#,##0"
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
TEXT = "@"  # for a column of digits that are text (account numbers, ledger codes)

Number = int | float | Decimal


def text(cell: Any, value: object, number_format: str | None = None) -> Any:
    """`value` (a person's text, or the product's own) as a text cell, whatever it starts with.

    Characters XML cannot hold (control characters other than tab, line feed and carriage
    return) are dropped, as Excel cannot show them either."""
    if value is None:
        cell.value = None
        return cell
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.data_type = TYPE_STRING  # openpyxl made "=…" a formula and "#N/A" an error
    cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


def put(cell: Any, value: object, number_format: str | None = None) -> Any:
    """`value` in the cell as what it is: text as text, a number as a number, a date as a date.

    `number_format` is the column's: a number is written in it (and must have one: every figure a
    person reads is formatted), a date takes it if it is a date format, text if it is TEXT. So a
    column the unit typed can be written with one format whatever each cell holds."""
    if value is None or isinstance(value, bool):
        cell.value = value
    elif isinstance(value, str | Promise):
        text(cell, value, TEXT if number_format == TEXT else None)
    elif isinstance(value, Number):
        if not number_format:
            raise ValueError(f"The number {value!r} needs its column's number format (MONEY, COUNT, PERCENT).")
        cell.value = value
        cell.number_format = number_format
    elif isinstance(value, dt.date | dt.time):
        cell.value = value  # openpyxl refuses a time zone: the product's dates are local dates
        dated = number_format is not None and is_date_format(number_format)
        cell.number_format = number_format if dated else _DATE_FORMATS.get(type(value), DATE)
    else:
        raise TypeError(f"No cell for a {type(value).__name__}: write it as text or a number.")
    return cell


_DATE_FORMATS = {dt.date: DATE, dt.datetime: "yyyy-mm-dd hh:mm:ss", dt.time: "hh:mm:ss"}


def cell(sheet: Worksheet, row: int, column: int, value: object, number_format: str | None = None) -> Cell:
    """The cell at (row, column) of `sheet` holding `value` (see `put`)."""
    target: Cell = put(sheet.cell(row=row, column=column), value, number_format)
    return target


def streamed(sheet: Any, value: object, number_format: str | None = None) -> WriteOnlyCell:
    """A cell of a write-only sheet (the large lists), to `append` in a row (see `put`)."""
    target: WriteOnlyCell = put(WriteOnlyCell(sheet), value, number_format)
    return target


def clear(target: Any) -> None:
    target.value = None


def keep_as_text(target: Any) -> None:
    """A cell of a workbook someone uploaded, made safe to hand to another person: a formula
    becomes its own text (the unit sees what it typed, nothing runs), and text a spreadsheet
    would run once edited gets the quote prefix."""
    if target.data_type == "f":
        formula = target.value
        text(target, getattr(formula, "text", None) or formula)  # an array formula keeps its text in .text
    elif target.data_type in {TYPE_STRING, "inlineStr"} and str(target.value).startswith(RISKY_STARTS):
        target.quotePrefix = True


def save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- A table of one sheet: the reference-data workbooks (the units of an office's tree) ----------


@dataclass(frozen=True)
class Column:
    """One column of a workbook: `key` names it for programs, `header` for people (in the active
    language; `headers` are every spelling the reader accepts), `text` whether its cells are text
    (else numbers in `number_format`), `required` whether an upload must have it."""

    key: str
    header: str | Promise
    headers: frozenset[str]
    text: bool = True
    width: int = 16
    required: bool = True
    number_format: str = COUNT


def workbook_bytes(*, title: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> bytes:
    """An xlsx of one sheet: a bold header row, then `rows`; text columns hold text cells only."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    header = [streamed(sheet, column.header) for column in columns]
    for bold in header:
        bold.font = Font(bold=True)
    sheet.append(header)
    for row in rows:
        sheet.append(
            [
                streamed(sheet, "" if value is None else str(value))
                if column.text
                else streamed(sheet, value, column.number_format)
                for column, value in zip(columns, row, strict=True)
            ]
        )
    return save(book)


# --- csv -----------------------------------------------------------------------------------------


def csv_field(value: object) -> str:
    """A field of a csv file: text that a spreadsheet would run gets a leading apostrophe, as
    OWASP advises (a csv cell has no type to say "text"); numbers are written as they are."""
    if value is None:
        return ""
    if isinstance(value, str | Promise):
        field = str(value)
        return f"'{field}" if field.startswith(RISKY_STARTS) else field
    return str(value)


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """A csv file as Excel opens Chinese text: UTF-8 with a byte-order mark, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_field(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")

"""The small workbooks offices send back for reference data (the units of an office's tree),
read so that nothing in them is trusted: an upload is bounded before it is read (its size, the
size of its unpacked parts, its rows), formula cells are read as their text, never as the value
Excel cached for them, and every way the file can be wrong ends in a `SpreadsheetError` whose
message says what to do. They are written by `mutualaid.spreadsheets.write`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from mutualaid.spreadsheets.write import Column

UNPACKED_LIMIT_MB = 50


class SpreadsheetError(Exception):
    """A whole file that cannot be read, with a message for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_table(data: bytes, *, columns: Sequence[Column], max_rows: int) -> list[tuple[int, dict[str, object]]]:
    """The rows of the first sheet under its header row, each with its row number in the sheet
    and its cells as {column key: value}; blank rows are left out, a formula comes as its text
    ("=A1+1"), columns the reader does not know are ignored."""
    book = _open(data)
    try:
        lines = book.worksheets[0].iter_rows(values_only=True)
        keys = _header_keys(next(lines, ()), columns)
        table: list[tuple[int, dict[str, object]]] = []
        for number, line in enumerate(lines, start=2):
            cells = {key: value for key, value in zip(keys, line, strict=False) if key is not None}
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in cells.values()):
                continue
            if len(table) == max_rows:
                raise SpreadsheetError(
                    _("The file has more than %(max)s rows: split it into several files and import them one by one.")
                    % {"max": max_rows}
                )
            table.append((number, cells))
    finally:
        book.close()
    if not table:
        raise SpreadsheetError(_("The file has no rows under its header row: fill in at least one row."))
    return table


def _open(data: bytes) -> Any:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SpreadsheetError(
            _(
                "This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
                "“Excel Workbook (*.xlsx)” and upload the saved file."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > UNPACKED_LIMIT_MB * 1024 * 1024:
            raise SpreadsheetError(
                _(
                    "The workbook holds more than %(limit)s MB of sheet data, too much to read. Delete unused "
                    "sheets, formatting and empty rows, or split the list into several files."
                )
                % {"limit": UNPACKED_LIMIT_MB}
            )
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except SpreadsheetError:
        raise
    except Exception:  # openpyxl raises whatever its parsers raise on a damaged file
        raise SpreadsheetError(
            _(
                "The workbook is damaged and cannot be read. Open it in Excel or WPS to check it, save it "
                "again as .xlsx and upload the new file."
            )
        ) from None


def _header_keys(header: Sequence[object], columns: Sequence[Column]) -> list[str | None]:
    """The key of each column of the header row (None for a column the reader does not know)."""
    by_header = {spelling: column.key for column in columns for spelling in column.headers}
    keys = [by_header.get(str(value).strip()) if value is not None else None for value in header]
    missing = [str(column.header) for column in columns if column.required and column.key not in keys]
    if missing:
        raise SpreadsheetError(
            _("The first row must hold the column headers of the exported file; these are missing: %(missing)s.")
            % {"missing": "、".join(missing)}
        )
    return keys

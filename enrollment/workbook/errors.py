"""The file as a whole cannot be used: one exception, and the messages that tell a unit what to do."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter


class WorkbookError(Exception):
    """The file as a whole cannot be used; `message` tells the unit what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def not_xlsx_error() -> WorkbookError:
    return WorkbookError(
        "not_xlsx",
        _(
            "This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
            "“Excel Workbook (*.xlsx)” and upload the saved file."
        ),
    )


def corrupt_error() -> WorkbookError:
    return WorkbookError(
        "corrupt",
        _(
            "The workbook is damaged and cannot be read. Open it in Excel or WPS to check it, save it "
            "again as .xlsx and upload the new file."
        ),
    )


def too_large_error(limit: int) -> WorkbookError:
    return WorkbookError(
        "too_large",
        _(
            "The workbook holds more than %(limit)s MB of sheet data, too much to read. Delete unused "
            "sheets, formatting and empty rows, or split the list into several files."
        )
        % {"limit": max(1, limit // (1024 * 1024))},
    )


def too_many_rows_error(max_rows: int) -> WorkbookError:
    return WorkbookError(
        "too_many_rows",
        _(
            "The list has more than %(max)s members. A file may hold at most %(max)s members: split the "
            "list into several files and upload them one by one."
        )
        % {"max": f"{max_rows:,}"},
    )


def too_wide_error(sheet: str, last_row: int, last_column: int) -> WorkbookError:
    return WorkbookError(
        "too_large",
        _(
            "Sheet “%(sheet)s” has values as far as cell %(cell)s, which makes it too large to read. Delete "
            "the rows below the list and the columns to the right of it (or the stray values there), save "
            "the file and upload it again."
        )
        % {"sheet": sheet, "cell": f"{get_column_letter(min(max(last_column, 1), 18278))}{last_row}"},
    )

"""Finding the header row, and saying what is missing when no row has the required headers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl.cell.rich_text import CellRichText

from enrollment.workbook.columns import ALL_COLUMNS, COLUMNS, ERRORS_HEADER
from enrollment.workbook.errors import WorkbookError

_KEY_BY_HEADER: dict[str, str] = {column.header: column.key for column in ALL_COLUMNS}

HEADER_SEARCH_ROWS = 5


@dataclass
class Header:
    """A candidate header row: which column (1-based) each known header is in."""

    row: int
    columns: dict[str, int]
    unknown: list[str]

    @property
    def complete(self) -> bool:
        return "name" in self.columns and "id_number" in self.columns

    def missing(self) -> list[str]:
        return [c.header for c in COLUMNS if c.required and c.key not in self.columns]


_SPACES = re.compile(r"\s+")


def header_text(value: object) -> str:
    if isinstance(value, CellRichText):  # openpyxl's value for a header with mixed formatting
        value = str(value)
    return _SPACES.sub("", value) if isinstance(value, str) else ""


def find_header(rows: Iterable[tuple[int, dict[int, object]]]) -> Header | None:
    """The first row holding both 姓名 and 证件号码, else the row that came closest (for the message)."""
    best: Header | None = None
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        columns: dict[str, int] = {}
        unknown: list[str] = []
        for col in sorted(cells):
            text = header_text(cells[col])
            if not text or text == ERRORS_HEADER:
                continue
            key = _KEY_BY_HEADER.get(text)
            if key is None:
                unknown.append(text)
            elif key not in columns:
                columns[key] = col
        candidate = Header(number, columns, unknown)
        if candidate.complete:
            return candidate
        if columns and (best is None or len(columns) > len(best.columns)):
            best = candidate
    return best


def missing_headers_error(header: Header | None, sheet: str | None) -> WorkbookError:
    if header is None or sheet is None:
        missing = "、".join(c.header for c in COLUMNS if c.required)
        return WorkbookError(
            "missing_headers",
            _(
                "No sheet has the header row of the member list in its first five rows. "
                "The headers %(missing)s are required; download the template and copy your data into it."
            )
            % {"missing": missing},
        )
    message = _("Row %(row)s of sheet “%(sheet)s” lacks these required headers: %(missing)s.") % {
        "row": header.row,
        "sheet": sheet,
        "missing": "、".join(header.missing()),
    }
    if header.unknown:
        message += " " + _("These headers were not recognised: %(unknown)s.") % {"unknown": "、".join(header.unknown)}
    message += " " + _("Write the headers exactly as in the template.")
    return WorkbookError("missing_headers", message)

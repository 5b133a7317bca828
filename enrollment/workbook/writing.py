"""Writing cells as every workbook of this package does: user text stays text (never a formula in
a file a finance officer opens), dates in one format, notes signed by the platform."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Border, PatternFill, Side

from enrollment.workbook.columns import COMMENT_AUTHOR

_THIN = Side(style="thin", color="FFBFBFBF")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFDDEBF7")


def put_text(cell: Cell, text: str) -> None:
    """Write text that stays text: openpyxl would store "=…" as a formula, and refuses control characters."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    if cell.data_type == "f":
        cell.data_type = "s"


def put(cell: Cell, value: object) -> None:
    if value is None:
        return
    if isinstance(value, str):
        put_text(cell, value)
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value


def make_comment(text: str) -> Comment:
    lines = sum(1 + len(line) // 24 for line in text.split("\n"))
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width = 320
    comment.height = min(400, 30 + 18 * lines)
    return comment


def save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

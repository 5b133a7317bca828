"""The look every workbook of this package shares: borders, the header fill, notes signed by the
platform. Values go into cells through `mutualaid.spreadsheets.write`, so a name the unit typed
stays text (never a formula in a file an office opens)."""

from __future__ import annotations

from openpyxl.comments import Comment
from openpyxl.styles import Border, PatternFill, Side

from enrollment.workbook.columns import COMMENT_AUTHOR

_THIN = Side(style="thin", color="FFBFBFBF")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFDDEBF7")
# A number the unit typed goes back as they typed it (1.5 shares must not show as 2).
AS_TYPED = "General"


def make_comment(text: str) -> Comment:
    lines = sum(1 + len(line) // 24 for line in text.split("\n"))
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width = 320
    comment.height = min(400, 30 + 18 * lines)
    return comment

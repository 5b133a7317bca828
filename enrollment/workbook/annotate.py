"""Problems handed back in a workbook: the unit's own file with the bad cells marked where they
typed them (`annotate_workbook`), or a fresh list of only the failed rows (`rows_workbook`)."""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from enrollment.workbook.columns import COLUMN_BY_KEY, COMMENT_AUTHOR, ERRORS_HEADER, ROW, CellProblem, RawRow
from enrollment.workbook.errors import corrupt_error
from enrollment.workbook.headers import HEADER_SEARCH_ROWS, find_header, header_text, missing_headers_error
from enrollment.workbook.template import new_layout
from enrollment.workbook.writing import AS_TYPED, BORDER, make_comment
from mutualaid.spreadsheets import write

_PROBLEM_FILL_RGB = "FFFFD5D5"
_PROBLEM_FILL = PatternFill(fill_type="solid", fgColor=_PROBLEM_FILL_RGB)
_ERRORS_FILL = PatternFill(fill_type="solid", fgColor="FFFCE4D6")
_NO_FILL = PatternFill(fill_type=None)


def _problems_by_row(problems: Iterable[CellProblem]) -> dict[int, list[CellProblem]]:
    by_row: dict[int, list[CellProblem]] = defaultdict(list)
    for problem in problems:
        by_row[problem.row].append(problem)
    return by_row


def _mark_problems(
    sheet: Worksheet,
    *,
    header_row: int,
    columns: dict[str, int],
    errors_column: int,
    problems: Sequence[CellProblem],
) -> None:
    """Light-red fill and a comment on every cell with a problem, a summary on the header of every
    column with problems, and the row's messages in the 错误说明 column."""
    header_cell = write.cell(sheet, header_row, errors_column, ERRORS_HEADER)
    header_cell.font = Font(bold=True, color="FFC00000")
    header_cell.fill = _ERRORS_FILL
    header_cell.border = BORDER
    header_cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.column_dimensions[get_column_letter(errors_column)].width = 60
    wrap = Alignment(wrap_text=True, vertical="top")

    per_column: dict[str, int] = defaultdict(int)
    for row, row_problems in sorted(_problems_by_row(problems).items()):
        per_cell: dict[str, list[str]] = defaultdict(list)
        lines: list[str] = []
        for problem in row_problems:
            column = columns.get(problem.column) if problem.column != ROW else None
            if column is not None:
                if problem.message not in per_cell[problem.column]:
                    per_cell[problem.column].append(problem.message)
                line = f"{COLUMN_BY_KEY[problem.column].header}：{problem.message}"
            else:
                line = problem.message
            if line not in lines:
                lines.append(line)
        for key, messages in per_cell.items():
            per_column[key] += 1
            cell = sheet.cell(row=row, column=columns[key])
            if isinstance(cell, MergedCell):
                continue
            cell.fill = _PROBLEM_FILL
            cell.comment = make_comment("\n".join(messages))
        if row != header_row and lines:
            cell = sheet.cell(row=row, column=errors_column)
            if not isinstance(cell, MergedCell):
                write.text(cell, "\n".join(lines)).alignment = wrap
    for key, count in per_column.items():
        cell = sheet.cell(row=header_row, column=columns[key])
        if isinstance(cell, MergedCell):
            continue
        summary = _(
            "Cells with problems in this column: %(count)s. Each red cell has a comment saying what to fix."
        ) % {"count": count}
        cell.comment = make_comment(f"{summary}\n\n{COLUMN_BY_KEY[key].note}")


def annotate_workbook(data: bytes, problems: list[CellProblem]) -> bytes:
    """The unit's own workbook with the problems marked where they typed them."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it drops (e.g. extension lists); nothing to act on.
            warnings.simplefilter("ignore", UserWarning)
            book = load_workbook(io.BytesIO(data), rich_text=True, keep_links=False)
    except Exception as exc:
        raise corrupt_error() from exc
    _nothing_runs(book)
    for sheet in book.worksheets:
        # Iterating the stored cells, not a rectangle: openpyxl creates every cell a rectangle
        # touches, and a stray format in column XFD would make that 16,384 columns wide.
        cells: dict[tuple[int, int], Cell | MergedCell] = sheet._cells
        head: dict[int, dict[int, object]] = defaultdict(dict)
        for (row, column), cell in cells.items():
            if row <= HEADER_SEARCH_ROWS and cell.value is not None:
                head[row][column] = cell.value
        header = find_header(sorted(head.items()))
        if header is None or not header.complete:
            continue
        errors_column = next(
            (c for c, v in head[header.row].items() if header_text(v) == ERRORS_HEADER),
            None,
        )
        last_used = 0
        for (row, column), cell in cells.items():
            if cell.value is not None and column != errors_column:
                last_used = max(last_used, column)
            if row > header.row:
                _clear_old_mark(cell, is_errors_cell=column == errors_column)
        for key, column in header.columns.items():
            cell = sheet.cell(row=header.row, column=column)
            if isinstance(cell, Cell) and cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = make_comment(str(COLUMN_BY_KEY[key].note))
        _mark_problems(
            sheet,
            header_row=header.row,
            columns=header.columns,
            errors_column=errors_column or last_used + 1,
            problems=problems,
        )
        return write.save(book)
    raise missing_headers_error(None, None)


def _nothing_runs(book: Workbook) -> None:
    """The unit's file goes to the office that checks it: a formula the unit typed comes back as
    its text (it is reported as a problem anyway), text that would run once edited gets the quote
    prefix, and conditional formats (formulas Excel evaluates on opening) and links to other
    workbooks (dropped on loading) go."""
    for sheet in book.worksheets:
        for cell in sheet._cells.values():
            if isinstance(cell, Cell):
                write.keep_as_text(cell)
        sheet.conditional_formatting = ConditionalFormattingList()


def _clear_old_mark(cell: Cell | MergedCell, *, is_errors_cell: bool) -> None:
    """Take off what an earlier annotation put on, so cells the unit has since fixed look clean."""
    if isinstance(cell, MergedCell):
        return
    if is_errors_cell:
        write.clear(cell)
        return
    if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
        cell.comment = None
        if cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb == _PROBLEM_FILL_RGB:
            cell.fill = _NO_FILL


def rows_workbook(
    *,
    rows: list[RawRow],
    problems: list[CellProblem],
    unit_name: str,
    period_label: str,
    plans: list[str],
    extras: Sequence[str] = (),
) -> bytes:
    """A fresh list in the template layout holding only `rows` (typically the ones that failed), with
    their problems marked, for the unit to correct and send as a supplementary list."""
    layout = new_layout(plans=plans, unit_name=unit_name, period_label=period_label, data_rows=len(rows), extras=extras)
    new_row: dict[int, int] = {}
    for offset, raw in enumerate(rows):
        target = layout.first_data_row + offset
        new_row[raw.number] = target
        for key, value in raw.values.items():
            column = layout.columns.get(key)
            if column is not None:
                write.cell(layout.sheet, target, column, value, AS_TYPED)
    moved = [CellProblem(new_row[p.row], p.column, p.code, p.message) for p in problems if p.row in new_row]
    errors_column = len(layout.columns) + 1
    _mark_problems(
        layout.sheet,
        header_row=layout.header_row,
        columns=layout.columns,
        errors_column=errors_column,
        problems=moved,
    )
    if problems:
        _point_at_the_original(layout.sheet, rows, problems, new_row, errors_column)
        _problem_sheet(layout.book, rows, problems, new_row)
    return write.save(layout.book)


def _typed(raw: RawRow | None, key: str) -> str:
    """What the unit typed in the cell, as a person reads it ("" for an empty cell)."""
    value = raw.values.get(key) if raw is not None else None
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


def _problem_line(problem: CellProblem, raw: RawRow | None) -> str:
    if problem.column == ROW or problem.column not in COLUMN_BY_KEY:
        return problem.message
    typed = _typed(raw, problem.column)
    shown = _("“%(value)s”") % {"value": typed} if typed else _("(empty)")
    return _("%(column)s, typed %(value)s: %(message)s") % {
        "column": COLUMN_BY_KEY[problem.column].header,
        "value": shown,
        "message": problem.message,
    }


def _point_at_the_original(
    sheet: Worksheet, rows: list[RawRow], problems: list[CellProblem], new_row: dict[int, int], errors_column: int
) -> None:
    """Each row's 错误说明 names the row of the uploaded sheet it came from, the column as the
    template names it, what was typed and what to do; the reader skips this column on upload."""
    raw_by_number = {raw.number: raw for raw in rows}
    wrap = Alignment(wrap_text=True, vertical="top")
    for original, row_problems in sorted(_problems_by_row(problems).items()):
        if original not in new_row:
            continue
        lines = [_("Row %(row)s of the uploaded sheet") % {"row": original}]
        for problem in row_problems:
            line = _problem_line(problem, raw_by_number.get(original))
            if line not in lines:
                lines.append(line)
        write.text(sheet.cell(row=new_row[original], column=errors_column), "\n".join(lines)).alignment = wrap


def _problem_sheet(book: Workbook, rows: list[RawRow], problems: list[CellProblem], new_row: dict[int, int]) -> None:
    """A second sheet listing every problem, one a line, in the order of the uploaded sheet. It
    has no member-list header, so uploading the corrected file reads the first sheet only."""
    sheet = book.create_sheet(_("Problem list"))
    raw_by_number = {raw.number: raw for raw in rows}
    write.cell(
        sheet,
        1,
        1,
        _(
            "Correct the red cells on the first sheet (each has a comment), then upload this file as it is: "
            "the 错误说明 column and this sheet are not read."
        ),
    )
    headers = [
        _("Row of the uploaded sheet"),
        _("Row in this file"),
        _("Column"),
        _("What was typed"),
        _("Problem and what to do"),
    ]
    for column, header in enumerate(headers, start=1):
        write.cell(sheet, 3, column, header).font = Font(bold=True)
    line = 4
    for problem in sorted(problems, key=lambda p: (p.row, p.column)):
        if problem.row not in new_row:
            continue
        raw = raw_by_number.get(problem.row)
        column_name = COLUMN_BY_KEY[problem.column].header if problem.column in COLUMN_BY_KEY else _("Whole row")
        typed = _typed(raw, problem.column) if problem.column in COLUMN_BY_KEY else ""
        for place, number in enumerate([problem.row, new_row[problem.row]], start=1):
            write.cell(sheet, line, place, number, write.COUNT)
        for place, text in enumerate([column_name, typed, problem.message], start=3):
            write.text(sheet.cell(row=line, column=place), text)
        line += 1
    for letter, width in zip("ABCDE", (16, 14, 16, 28, 70), strict=True):
        sheet.column_dimensions[letter].width = width

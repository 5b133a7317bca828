"""The member list a unit downloads (and the layout of every list this package writes): a title,
headers with notes (required ones in red), ID and phone columns formatted as text, drop-downs for
gender, plan and basic insurance, and an instructions sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from enrollment.workbook.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    DEFAULT_MAX_ROWS,
    EXAMPLE_MARK,
    GENDERS,
    HELP_SHEET_NAME,
    OPTIONS_SHEET_NAME,
    SHEET_NAME,
    YES_NO,
    Column,
)
from enrollment.workbook.writing import AS_TYPED, BORDER, HEADER_FILL, make_comment
from mutualaid.spreadsheets import write

TEMPLATE_ROWS = 2000  # rows pre-formatted (text ID/phone columns, drop-downs) below the header

_INLINE_LIST_LIMIT = 255  # Excel's limit for the characters of an inline list formula


@dataclass
class Layout:
    book: Workbook
    sheet: Worksheet
    header_row: int
    first_data_row: int
    columns: dict[str, int]  # key -> 1-based column


def _columns(extras: Sequence[str]) -> list[Column]:
    """The standard columns, then those the plan's eligibility asks for (eligibility.extra_columns)."""
    return [*COLUMNS, *(COLUMN_BY_KEY[key] for key in extras)]


def _unique_plans(plans: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for plan in plans:
        text = plan.strip() if isinstance(plan, str) else ""
        if text:
            seen.setdefault(text, None)
    return list(seen)


def new_layout(
    *, plans: Sequence[str], unit_name: str, period_label: str, data_rows: int, extras: Sequence[str] = ()
) -> Layout:
    """The list's sheet (title, headers with notes, text-formatted and drop-down columns for at
    least TEMPLATE_ROWS rows) and the instructions sheet; no data yet. `extras` names the columns
    beyond the standard ones that the plan's eligibility asks for."""
    columns = _columns(extras)
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = SHEET_NAME
    _title(book, sheet, unit_name=unit_name, period_label=period_label, width=len(columns))
    layout = Layout(book, sheet, header_row=2, first_data_row=3, columns=_headers(sheet, columns, header_row=2))
    sheet.freeze_panes = sheet.cell(row=layout.first_data_row, column=1)
    last_row = layout.first_data_row + max(TEMPLATE_ROWS, data_rows) - 1
    _formats(layout, last_row)
    _drop_downs(layout, last_row, _unique_plans(plans))
    _instructions(book, columns)
    return layout


def _title(book: Workbook, sheet: Worksheet, *, unit_name: str, period_label: str, width: int) -> None:
    title = _("%(unit)s — member list for %(period)s") % {"unit": unit_name, "period": period_label}
    book.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    book.properties.creator = _("Mutual-aid protection platform")
    sheet.merge_cells(f"A1:{get_column_letter(width)}1")
    top = write.cell(sheet, 1, 1, title)
    top.font = Font(bold=True, size=14)
    top.alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30


def _headers(sheet: Worksheet, chosen: list[Column], *, header_row: int) -> dict[str, int]:
    """The header row, required headers in red (and a plan's own columns, which its checks
    require), each with its note; returns key -> column."""
    columns: dict[str, int] = {}
    for index, column in enumerate(chosen, start=1):
        columns[column.key] = index
        cell = write.cell(sheet, header_row, index, column.header)
        required = column.required or column not in COLUMNS
        cell.font = Font(bold=True, color="FFC00000" if required else "FF000000")
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = make_comment(str(column.note))
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[header_row].height = 24
    return columns


def _formats(layout: Layout, last_row: int) -> None:
    formats = {"id_number": "@", "phone": "@", "birth_date": "yyyy-mm-dd", "parent_id": "@"}
    for key, number_format in formats.items():
        if key not in layout.columns:
            continue
        column = layout.columns[key]
        for (cell,) in layout.sheet.iter_rows(
            min_row=layout.first_data_row, max_row=last_row, min_col=column, max_col=column
        ):
            cell.number_format = number_format


def _drop_downs(layout: Layout, last_row: int, plans: list[str]) -> None:
    def validate(key: str, validation: DataValidation) -> None:
        letter = get_column_letter(layout.columns[key])
        validation.add(f"{letter}{layout.first_data_row}:{letter}{last_row}")
        validation.showErrorMessage = True
        validation.errorTitle = _("Invalid value")
        layout.sheet.add_data_validation(validation)

    validate(
        "gender",
        DataValidation(
            type="list", formula1='"' + ",".join(GENDERS) + '"', allow_blank=True, error=_("Choose 男 or 女.")
        ),
    )
    validate(
        "basic_insurance",
        DataValidation(
            type="list", formula1='"' + ",".join(YES_NO) + '"', allow_blank=True, error=_("Choose 是 or 否.")
        ),
    )
    validate(
        "shares",
        DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="1",
            allow_blank=True,
            error=_("Enter a whole number of at least 1."),
        ),
    )
    for key, words in (("employment", ("在职", "退休", "灵活就业")), ("relationship", ("子女",))):
        if key in layout.columns:
            validate(
                key,
                DataValidation(
                    type="list",
                    formula1='"' + ",".join(words) + '"',
                    allow_blank=True,
                    error=_("Choose from the list: %(choices)s.") % {"choices": "、".join(words)},
                ),
            )
    if plans:
        validate(
            "plan",
            DataValidation(
                type="list",
                formula1=_plan_list_formula(layout.book, plans),
                allow_blank=True,
                error=_("Choose a protection plan from the list."),
            ),
        )


def _plan_list_formula(book: Workbook, plans: list[str]) -> str:
    """An inline list while it fits Excel's limit, else a range on a hidden options sheet."""
    inline = ",".join(plans)
    if len(inline) + 2 <= _INLINE_LIST_LIMIT and not any("," in p or '"' in p for p in plans):
        return f'"{inline}"'
    options = book.create_sheet(OPTIONS_SHEET_NAME)
    for index, plan in enumerate(plans, start=1):
        write.cell(options, index, 1, plan)
    options.sheet_state = "hidden"
    return f"'{OPTIONS_SHEET_NAME}'!$A$1:$A${len(plans)}"


def _instructions(book: Workbook, columns: list[Column]) -> None:
    sheet = book.create_sheet(HELP_SHEET_NAME, index=1)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 90
    write.cell(sheet, 1, 1, _("How to fill in the member list")).font = Font(bold=True, size=14)
    steps = [
        _("Fill in one member per row on the sheet “%(sheet)s”, starting below the header row.")
        % {"sheet": SHEET_NAME},
        _("Keep the headers exactly as they are. Headers in red are required. Extra columns are ignored."),
        _(
            "The grey example row is ignored when the list is read (its remarks say “%(mark)s”); you may "
            "delete it or type over it."
        )
        % {"mark": EXAMPLE_MARK},
        _(
            "ID numbers must be text: the column is formatted as text for the first %(rows)s rows. When you "
            "paste IDs from another file, use Paste Special → Values so they stay text."
        )
        % {"rows": f"{TEMPLATE_ROWS:,}"},
        _("Choose gender, protection plan and basic medical insurance from the drop-down lists."),
        _("Write dates like 1990-01-31. Do not use formulas; paste values only."),
        _("A file may hold at most %(max)s members; split a longer list into several files.")
        % {"max": f"{DEFAULT_MAX_ROWS:,}"},
        _("Save the file as an Excel Workbook (.xlsx) without a password, then upload it."),
    ]
    row = 3
    for number, step in enumerate(steps, start=1):
        write.cell(sheet, row, 1, f"{number}.").alignment = Alignment(vertical="top")
        write.cell(sheet, row, 2, step).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        row += 1
    row += 1
    titles = (_("Column header"), _("Required or optional"), _("How to fill it in"))
    for column_index, text in enumerate(titles, start=1):
        cell = write.cell(sheet, row, column_index, text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
    for column in columns:
        row += 1
        required = column.required or column not in COLUMNS
        cells = (column.header, _("required") if required else _("optional"), str(column.note))
        for column_index, text in enumerate(cells, start=1):
            cell = write.cell(sheet, row, column_index, text)
            cell.border = BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _example_values(plans: Sequence[str]) -> dict[str, object]:
    plan_names = _unique_plans(plans)
    return {
        "seq": 1,
        "name": "张三",
        "id_number": "610102199001011234",
        "gender": "男",
        "birth_date": dt.date(1990, 1, 1),
        "phone": "13800000000",
        "plan": plan_names[0] if plan_names else "",
        "shares": 1,
        "basic_insurance": "是",
        "remarks": EXAMPLE_MARK,
        "employment": "在职",
        "relationship": "子女",
        "parent_name": "张大",
        "parent_id": "610102196501011235",
    }


def build_template(*, plans: list[str], unit_name: str, period_label: str, extras: Sequence[str] = ()) -> bytes:
    """The blank member list a unit downloads, with one grey example row. It depends only on its
    arguments and the language, and agents download it again and again: built once for each."""
    return _template(tuple(plans), unit_name, period_label, tuple(extras), translation.get_language())


@lru_cache(maxsize=128)
def _template(
    plans: tuple[str, ...], unit_name: str, period_label: str, extras: tuple[str, ...], language: str | None
) -> bytes:
    layout = new_layout(plans=list(plans), unit_name=unit_name, period_label=period_label, data_rows=0, extras=extras)
    example_font = Font(italic=True, color="FF808080")
    for key, value in _example_values(plans).items():
        if key not in layout.columns:
            continue
        cell = write.cell(layout.sheet, layout.first_data_row, layout.columns[key], value, AS_TYPED)
        cell.font = example_font
    return write.save(layout.book)

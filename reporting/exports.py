"""The overview as the xlsx that offices hand to leaders: the office and month in the title,
Chinese headers, one row per child office and plan, a totals row per plan."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FILL = PatternFill("solid", fgColor="FFDDEBF7")


def columns() -> list[tuple[str, str, str]]:
    """(key, header, format) of each figure column, shared by the page and the workbook."""
    return [
        ("people_all", _("Enrolled, all years"), "#,##0"),
        ("people_year", _("Enrolled this year"), "#,##0"),
        ("shares_year", _("Shares this year"), "#,##0"),
        ("premium_all", _("Premium, all years"), "#,##0.00"),
        ("premium_year", _("Premium this year"), "#,##0.00"),
        ("target_people", _("Target (people)"), "#,##0"),
        ("completion_people", _("Completion"), "0.0%"),
        ("claims_all", _("Claims, all years"), "#,##0"),
        ("paid_all", _("Paid, all years"), "#,##0.00"),
        ("claims_year", _("Claims this year"), "#,##0"),
        ("paid_year", _("Paid this year"), "#,##0.00"),
        ("loss_ratio", _("Loss ratio"), "0.0%"),
    ]


def _value(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if value is None:
        return None
    return Decimal(value) if isinstance(value, str) else value


def overview_workbook(figures: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Overview")
    cols = columns()
    title = _("Enrollment and claims overview — %(office)s, %(month)s") % {
        "office": figures["office"]["name"],
        "month": figures["month"],
    }
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3 + len(cols))
    headers = [_("Office"), _("Plan"), _("Remittance"), *[header for _key, header, _fmt in cols]]
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=3, column=index, value=header)
        cell.font, cell.fill, cell.border = Font(bold=True), _FILL, _BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
        sheet.column_dimensions[cell.column_letter].width = 22 if index <= 2 else 14
    row_number = 3
    for row in figures["rows"]:
        row_number += 1
        values = [row["office_name"], row["plan_name"], row.get("remittance") or ""]
        values += [_value(row, key) for key, _header, _fmt in cols]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=index, value=value)
            cell.border = _BORDER
            if index > 3:
                cell.number_format = cols[index - 4][2]
    for total in figures["totals"]:
        row_number += 1
        values = [_("Total"), total["plan_name"], ""] + [_value(total, key) for key, _h, _f in cols]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=index, value=value)
            cell.border, cell.font = _BORDER, Font(bold=True)
            if index > 3:
                cell.number_format = cols[index - 4][2]
    sheet.freeze_panes = "D4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""The rows-to-correct workbook points at the uploaded sheet: each row's 错误说明 names its row
there, the column as the template names it, what was typed and what to do; a second sheet lists
every problem; and the file, once corrected, uploads as it is."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from enrollment.models import ListStatus
from enrollment.services.member_lists import (
    member_list_check,
    member_list_download_failed_rows,
    member_list_upload,
)
from enrollment.workbook.columns import COLUMN_BY_KEY, ERRORS_HEADER
from mutualaid.tenancy import org_scope
from tests.conftest import Tree
from tests.lists import offer_plan, person, upload_and_check


def _header_columns(sheet) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    for row in sheet.iter_rows(min_row=1, max_row=12):
        texts = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if COLUMN_BY_KEY["id_number"].header in texts:
            return row[0].row, texts
    raise AssertionError("no header row")


def test_the_rows_to_correct_name_the_original_row_column_value_and_fix_and_upload_as_they_are(tree: Tree) -> None:
    a = tree.a
    period = offer_plan(a.office_user).period
    rows = [person(i) for i in range(6)]
    rows[2]["id_number"] = "61011319800101123"  # 17 digits, sheet row 4
    rows[4]["shares"] = 9  # above the plan's maximum, sheet row 6
    checked = upload_and_check(a.unit_agent, a.unit, period, rows)
    assert checked.status == ListStatus.INVALID
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        data = member_list_download_failed_rows(actor=a.unit_agent, member_list=checked)
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header_row, columns = _header_columns(sheet)
    errors = columns[ERRORS_HEADER]
    notes = [sheet.cell(row=r, column=errors).value for r in (header_row + 1, header_row + 2)]
    assert notes[0].startswith("原表第 4 行") and "【证件号码】填的是“61011319800101123”" in notes[0]
    assert notes[1].startswith("原表第 6 行") and "【" + COLUMN_BY_KEY["shares"].header + "】填的是“9”" in notes[1]
    id_cell = sheet.cell(row=header_row + 1, column=columns[COLUMN_BY_KEY["id_number"].header])
    assert id_cell.data_type == "s" and id_cell.value == "61011319800101123"
    # The second sheet lists every problem, one a line.
    listing = book["错误清单"]
    lines = [[c.value for c in row] for row in listing.iter_rows(min_row=4) if row[0].value is not None]
    assert sorted({(line[0], line[2], line[3]) for line in lines}) == [
        (4, "证件号码", "61011319800101123"),
        (6, COLUMN_BY_KEY["shares"].header, "9"),
    ]
    assert all(line[4] for line in lines) and all(listing.cell(row=r, column=4).data_type == "s" for r in (4, 5))
    assert len({line[4] for line in lines}) == len(lines)  # one line a problem, none twice
    # Corrected in place and uploaded as it is: both rows pass.
    id_cell.value = person(2)["id_number"]
    sheet.cell(row=header_row + 2, column=columns[COLUMN_BY_KEY["shares"].header]).value = 1
    buffer = io.BytesIO()
    book.save(buffer)
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        again, created = member_list_upload(
            actor=a.unit_agent, unit=a.unit, period=period, data=buffer.getvalue(), filename="改正后.xlsx"
        )
        again = member_list_check(member_list=again, viewer=a.unit_agent.org)
    assert created and again.status == ListStatus.VALID, again.cell_problems or again.list_problems
    assert again.row_count == 2

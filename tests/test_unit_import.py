"""An office head exports the employer units of their tree as a workbook and imports it back,
after a dry run that reports each row; nothing outside the tree, nothing half-written."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from mutualaid.models import Organisation, OrgKind
from mutualaid.resources import unit_import
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.factories import OrganisationFactory, unit_credit_code

HEADERS = ["编码", "名称", "上级编码", "上级组织", "统一社会信用代码", "职工人数"]


def _client(tree: Tree) -> Client:
    client = Client()
    client.force_login(tree.a.office_user)
    return client


def _export(client: Client) -> bytes:
    response = client.get(reverse("unit_export"))
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    return response.content


def _rows(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _workbook(rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client: Client, data: bytes) -> Any:
    upload = io.BytesIO(data)
    upload.name = "units.xlsx"
    return client.post(reverse("unit_import"), {"file": upload})


def _units(tree: Tree) -> dict[str, Organisation]:
    with unscoped():
        return {org.code: org for org in Organisation.objects.filter(kind=OrgKind.UNIT)}


def _new_row(tree: Tree, code: str = "XAU9", **changes: object) -> list[object]:
    row: dict[str, object] = {
        "code": code,
        "name": "新建机电厂工会",
        "parent": tree.a.county.code,
        "parent_name": "",
        "credit_code": unit_credit_code(),
        "headcount": 120,
    }
    row.update(changes)
    return list(row.values())


# --- Export -------------------------------------------------------------------------------------


def test_an_office_head_exports_the_units_of_their_tree_and_no_other(tree: Tree) -> None:
    rows = _rows(_export(_client(tree)))
    assert rows[0] == [*HEADERS, "单位类型"]  # the type: optional on import (tests/test_unit_types.py)
    unit = tree.a.unit
    assert rows[1:] == [[unit.code, unit.name, tree.a.county.code, tree.a.county.name, unit.credit_code, 300, None]]
    assert tree.b.unit.code not in str(rows)


def test_exported_names_are_text_never_formulas(tree: Tree) -> None:
    with unscoped():
        OrganisationFactory(code="XAU7", name='=HYPERLINK("http://x","点我")', parent=tree.a.county, headcount=5)
        OrganisationFactory(code="0012", name="@SUM(A1)", parent=tree.a.county, headcount=5)
    sheet = load_workbook(io.BytesIO(_export(_client(tree)))).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.column != 6 and cell.value is not None]
    assert all(cell.data_type == "s" for cell in cells)
    values = [cell.value for cell in cells]
    assert '=HYPERLINK("http://x","点我")' in values and "@SUM(A1)" in values and "0012" in values


def test_only_office_heads_may_export_or_import(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.county_agent)
    assert client.get(reverse("unit_export")).status_code == 403
    assert client.get(reverse("unit_import")).status_code == 403
    assert _upload(client, _workbook([_new_row(tree)])).status_code == 403
    assert "XAU9" not in _units(tree)


# --- Dry run and import -------------------------------------------------------------------------


def test_an_exported_list_imports_back_with_every_row_unchanged(tree: Tree) -> None:
    with unscoped():
        for n in range(3):
            OrganisationFactory(code=f"XAU{n + 2}", name=f"单位{n}", parent=tree.a.city, headcount=10 + n)
    client = _client(tree)
    before = {code: (o.name, o.parent_id, o.credit_code, o.headcount) for code, o in _units(tree).items()}
    response = _upload(client, _export(client))
    report = response.context["report"]
    assert report.ok and report.counts == {"new": 0, "update": 0, "skip": 4, "refused": 0}
    assert [row.label for row in report.rows] == ["无变化"] * 4
    assert not response.context["can_confirm"]
    after = {code: (o.name, o.parent_id, o.credit_code, o.headcount) for code, o in _units(tree).items()}
    assert after == before


def test_a_list_exported_in_english_imports_in_chinese(tree: Tree) -> None:
    client = _client(tree)
    client.post(reverse("set_language"), {"language": "en"})
    data = _export(client)
    assert _rows(data)[0][:2] == ["Code", "Name"]
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk), translation.override("zh-hans"):
        report = unit_import(actor=tree.a.office_user, data=data, dry_run=True)
    assert report.counts["skip"] == 1 and report.ok


def test_the_dry_run_reports_new_and_changed_rows_and_writes_nothing_until_confirmed(tree: Tree) -> None:
    client = _client(tree)
    unit = tree.a.unit
    changed = [unit.code, "甲机械厂工会（更名）", tree.a.county.code, "", unit.credit_code, 320]
    typed_code = unit_credit_code()
    new = _new_row(tree, credit_code=" " + typed_code.lower() + " ", headcount=120.0)
    response = _upload(client, _workbook([changed, new]))
    report = response.context["report"]
    assert [(row.row, row.code, row.label) for row in report.rows] == [(2, unit.code, "修改"), (3, "XAU9", "新增")]
    assert response.context["can_confirm"]
    assert "XAU9" not in _units(tree) and _units(tree)[unit.code].headcount == 300

    response = client.post(reverse("unit_import"), {"confirm": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("org_tree")
    units = _units(tree)
    assert (units[unit.code].name, units[unit.code].headcount) == ("甲机械厂工会（更名）", 320)
    created = units["XAU9"]
    assert created.parent_id == tree.a.county.pk and created.path.startswith(tree.a.county.path)
    assert (created.credit_code, created.headcount) == (typed_code, 120)
    assert client.post(reverse("unit_import"), {"confirm": "1"}).status_code == 302  # the file is used once
    assert "请先校验文件" in str(list(client.get(reverse("unit_import")).context["messages"]))


def _refused(tree: Tree, rows: Sequence[Sequence[object]]) -> list[str]:
    """Upload as city A's head: every row must be refused or unchanged, the file not kept, nothing
    written; the problems of every row, as the page shows them."""
    client = _client(tree)
    before = {code: (o.name, o.parent_id, o.credit_code, o.headcount) for code, o in _units(tree).items()}
    response = _upload(client, _workbook(rows))
    report = response.context["report"]
    assert not report.ok and not response.context["can_confirm"]
    assert "未写入任何数据" in response.content.decode()
    assert client.post(reverse("unit_import"), {"confirm": "1"}).status_code == 302
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        assert not unit_import(actor=tree.a.office_user, data=_workbook(rows), dry_run=False).written
    after = {code: (o.name, o.parent_id, o.credit_code, o.headcount) for code, o in _units(tree).items()}
    assert after == before
    return [problem for row in report.rows for problem in row.problems]


def test_a_bad_credit_code_refuses_the_whole_file_naming_the_row_and_the_column(tree: Tree) -> None:
    good = _new_row(tree, code="XAU8")
    bad = _new_row(tree, credit_code="91350100M000100Y44")
    assert _refused(tree, [good, bad]) == [
        "第 3 行，统一社会信用代码：统一社会信用代码的校验码（最后一位）不正确，请与营业执照或登记证书核对。"
    ]


def test_a_parent_outside_the_office_tree_is_refused(tree: Tree) -> None:
    problems = _refused(tree, [_new_row(tree, parent=tree.b.county.code), _new_row(tree, "XAU8", parent="P61")])
    assert [problem.split("：")[0] for problem in problems] == ["第 2 行，上级编码", "第 3 行，上级编码"]
    assert "本机构范围内没有该编码的代办点、市代办处或产业工会" in problems[0]


def test_a_unit_of_another_office_cannot_be_changed_by_its_code(tree: Tree) -> None:
    other = tree.b.unit
    row = [other.code, "篡改", tree.a.county.code, "", unit_credit_code(), 1]
    assert _refused(tree, [row]) == ["第 2 行，编码：该编码或统一社会信用代码已登记，请核对或更换。"]
    assert _units(tree)[other.code].name == other.name


def test_a_credit_code_of_another_office_is_refused_on_its_column(tree: Tree) -> None:
    row = _new_row(tree, credit_code=tree.b.unit.credit_code)
    assert _refused(tree, [row]) == ["第 2 行，统一社会信用代码：该编码或统一社会信用代码已登记，请核对或更换。"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("name", "=cmd|' /C calc'!A0"),
        ("name", "@SUM(1+1)"),
        ("name", "\t=1+1"),
        ("code", "+XAU9"),
        ("headcount", "=1+1"),
    ],
)
def test_a_formula_looking_cell_is_refused(tree: Tree, column: str, value: str) -> None:
    row = dict(zip(["code", "name", "parent", "parent_name", "credit_code", "headcount"], _new_row(tree), strict=True))
    row[column] = value
    header = {"code": "编码", "name": "名称", "headcount": "职工人数"}[column]
    (problem,) = _refused(tree, [list(row.values())])
    assert problem.startswith(f"第 2 行，{header}：该单元格以 =、+、-、@ 或制表符开头")


def test_a_unit_is_not_moved_by_an_import(tree: Tree) -> None:
    unit = tree.a.unit
    (problem,) = _refused(tree, [[unit.code, unit.name, tree.a.city.code, "", unit.credit_code, 300]])
    assert problem.startswith("第 2 行，上级编码：该单位登记在其他上级组织之下")


def test_the_same_unit_twice_in_a_file_is_refused(tree: Tree) -> None:
    first = _new_row(tree)
    again = _new_row(tree, credit_code=first[4])
    problems = _refused(tree, [first, [None] * 6, again])
    assert problems == ["第 4 行，编码：该单位已在文件第 2 行出现，每个单位只保留一行。"]


def test_a_headcount_below_one_and_an_empty_name_are_refused(tree: Tree) -> None:
    problems = _refused(tree, [_new_row(tree, headcount=0, name="  ")])
    assert problems == [
        "第 2 行，名称：该单元格为空，请填写。",
        "第 2 行，职工人数：请填写单位职工人数（不小于 1 的整数）。",
    ]


def test_a_file_that_is_not_a_workbook_or_lacks_a_column_is_refused_with_a_message(tree: Tree) -> None:
    client = _client(tree)
    response = _upload(client, b"code,name\nX,Y\n")
    assert response.context["form"].errors["file"] == [
        "该文件不是 Excel 工作簿（.xlsx）。请用 Excel 或 WPS 打开，另存为“Excel 工作簿（*.xlsx）”后上传。"
    ]
    response = _upload(client, _workbook([["XAU9", "单位"]], headers=["编码", "名称"]))
    assert response.context["form"].errors["file"] == [
        "第一行须为导出文件的列标题，缺少：上级编码、统一社会信用代码、职工人数。"
    ]
    assert response.context["report"] is None and "XAU9" not in _units(tree)

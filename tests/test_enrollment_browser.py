"""The enrollment journey in a real browser: an agent's list with errors, its correction, the
office's approval, and the member cards."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.lists import member_workbook, offer_plan, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_corrects_a_list_and_the_office_issues_cards(tree: Tree, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    offer = offer_plan(tree.a.office_user)
    good = [person(i) for i in range(6)]
    with_errors = [*good[:3], person(3, id_number="610113198001010000"), person(4, gender="男"), good[5]]

    login(page, tree.a.unit_agent)
    page.click("text=参保名单")
    page.click("text=上传名单")
    screenshot(page, "10-upload-form")

    with page.expect_download() as template:
        page.click("[data-testid=template-link]")
    book = load_workbook(io.BytesIO(Path(template.value.path()).read_bytes()))
    assert [c.value for c in book.active[2]][:3] == ["序号", "姓名", "证件号码"]

    bad_file = tmp_path / "名单-有错.xlsx"
    bad_file.write_bytes(member_workbook(with_errors))
    page.select_option("#id_unit", str(tree.a.unit.pk))
    page.select_option("#id_period", str(offer.period.pk))
    page.set_input_files("#id_file", str(bad_file))
    page.click("button[type=submit].primary")
    page.wait_for_selector("[data-testid=problems]")
    assert page.locator("[data-testid=list-status]").inner_text() == "有错误"
    assert page.locator("[data-testid=error-rows]").inner_text() == "2"
    problems = page.locator("[data-testid=problems]").inner_text()
    assert "校验码" in problems and "性别与证件号码不符" in problems
    screenshot(page, "11-report-with-errors")

    with page.expect_download() as annotated:
        page.click("[data-testid=annotated-link]")
    marked = load_workbook(io.BytesIO(Path(annotated.value.path()).read_bytes())).active
    comments = [c.comment.text for row in marked.iter_rows() for c in row if c.comment]
    assert any("校验码" in text for text in comments)

    fixed_file = tmp_path / "名单-已改.xlsx"
    fixed_file.write_bytes(member_workbook(good))
    page.goto(page.base_url + "/enrollment/lists/upload/")
    page.select_option("#id_unit", str(tree.a.unit.pk))
    page.select_option("#id_period", str(offer.period.pk))
    page.set_input_files("#id_file", str(fixed_file))
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=所有行均通过校验")
    screenshot(page, "12-report-clean")
    page.click("text=提交审核")
    page.wait_for_selector("text=名单已提交办事处审核")
    assert tree.a.office_user.display_name in page.locator("[data-testid=approvers]").inner_text()
    list_url = page.url
    page.click("text=退出")

    login(page, tree.a.office_user)
    page.goto(list_url)
    page.click("text=核对并审核")
    page.wait_for_selector("[data-testid=rows]")
    assert page.locator("[data-testid=member-count]").inner_text() == "6"
    screenshot(page, "13-office-reviews")
    page.check("input[name=confirmed]")
    page.click("text=审核通过并出具保单")
    page.wait_for_selector("[data-testid=members]")
    assert page.locator("[data-testid=members] tbody tr").count() == 6
    screenshot(page, "14-policy")
    with page.expect_download() as cards:
        page.click("[data-testid=cards-link]")
    pdf = Path(cards.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "职工0" in text and "互助保障卡" in text

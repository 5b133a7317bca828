"""In the browser, at a desktop's and a phone's width: an agent withdraws a list with a reason and
uploads its correction from the list's page; the office prints only the new members' cards and
sees the page busy while a job runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrollment.models import ListStatus, MemberList
from enrollment.services.cards import card_job_request
from mutualaid.tenancy import org_scope, unscoped
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.lists import enrol, member_workbook, offer_plan, person, upload_and_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = (1366, 390)


def _shots(browser_page, name: str) -> None:  # type: ignore[no-untyped-def]
    for width in WIDTHS:
        browser_page.set_viewport_size({"width": width, "height": 900})
        screenshot(browser_page, f"lists-{name}-{width}")
        overflow = browser_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways at {width}px"
    browser_page.set_viewport_size({"width": 1366, "height": 900})


def test_an_agent_withdraws_a_list_and_uploads_a_correction(tree: Tree, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = tree.a
    period = offer_plan(a.office_user).period
    checked = upload_and_check(a.unit_agent, a.unit, period, [person(i) for i in range(3)])
    login(page, a.unit_agent)
    page.goto(page.base_url + f"/enrollment/lists/{checked.pk}/")
    page.fill("[data-testid=withdraw-form] input[name=reason]", "人数少报了两人")
    page.click("[data-testid=withdraw-form] button")
    page.wait_for_selector("[data-testid=withdrawal-reason]")
    assert page.locator("[data-testid=list-status]").inner_text() == "已撤回"
    _shots(page, "withdrawn")
    with unscoped():
        assert MemberList.objects.get(pk=checked.pk).status == ListStatus.WITHDRAWN

    # A second list, approved, then corrected from its page.
    approved_policy = enrol(a.unit_agent, a.office_user, a.unit, period, [person(i) for i in range(10, 14)])
    with unscoped():
        approved = MemberList.objects.get(policy=approved_policy)
    page.goto(page.base_url + f"/enrollment/lists/{approved.pk}/")
    page.click("[data-testid=correct-link]")
    page.wait_for_selector("[data-testid=correction-of]")
    _shots(page, "upload-correction")
    correction = tmp_path / "更正名单.xlsx"
    correction.write_bytes(member_workbook([person(i) for i in range(10, 13)] + [person(20)]))
    page.set_input_files("#id_file", str(correction))
    page.click("button[type=submit].primary")
    page.wait_for_selector("[data-testid=corrects]")
    assert approved.original_name in page.locator("[data-testid=corrects]").inner_text()
    _shots(page, "correction")


def test_the_office_prints_new_cards_and_sees_the_page_busy(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = tree.a.with_enrollment(0)
    enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(100 + i, name=f"新会员{i}") for i in range(2)])
    login(page, a.office_user)
    page.goto(page.base_url + "/enrollment/cards/")
    page.select_option("#card-unit", str(a.unit.pk))
    page.check("input[name=only_new]")
    _shots(page, "cards-form")
    page.click("[data-testid=print-button]")
    page.wait_for_selector("table td >> text=完成")  # the job's row (the filter's hidden option says it too)
    # A job still queued (as while a worker is busy): the button waits, the page says so.
    with org_scope(a.city, actor_id=a.office_user.pk):
        card_job_request(actor=a.office_user, period=a.period)
    page.goto(page.base_url + "/enrollment/cards/")
    assert page.locator("[data-testid=print-button]").is_disabled()
    assert "正在打印" in page.locator("[data-testid=print-button]").inner_text()
    _shots(page, "cards-busy")

"""The pending grants on a phone (390 px wide): the office above confirms a city's new leader and
reads the enrolment code, with nothing wider than the screen."""

from __future__ import annotations

import re

import pytest

from mutualaid.services import user_create
from mutualaid.tenancy import org_scope
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(browser_page) -> bool:  # type: ignore[no-untyped-def]
    return bool(browser_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_office_above_confirms_a_grant_on_a_phone_and_reads_the_enrolment_code(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    head = tree.a.office_user
    with org_scope(head.org, actor_id=head.pk):
        user_create(
            username="xa_new_leader",
            password=PASSWORD,
            org=tree.a.city,
            roles=["leader"],
            display_name="新分管领导",
            actor=head,
        )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, tree.province_user)
    page.goto(page.base_url + "/users/grants/")
    assert page.locator("h1").inner_text() == "待确认的授权"
    grant = page.locator("[data-testid=pending-grants] tr.grant", has_text="新分管领导")
    assert "分管领导" in grant.inner_text() and "待确认" in grant.inner_text() and _fits(page)
    assert page.locator("[data-testid=list-total]").inner_text() == "共 1 条"
    screenshot(page, "grants-390-pending")

    grant.locator("button[value=confirm]").click()
    code = page.locator("[data-testid=enrolment-code]")
    assert re.fullmatch(r"\d{5} \d{5}", code.inner_text())
    assert code.bounding_box()["width"] <= 390 and _fits(page)
    screenshot(page, "grants-390-enrolment-code")

"""What a city officer sees in a real browser."""

from __future__ import annotations

import pytest

from tests.browser import page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.factories import PASSWORD
from tests.twofactor import code_from_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _enrolment_code(tree: Tree) -> str:
    from mutualaid.services import enrolment_code_issue
    from mutualaid.tenancy import org_scope

    with org_scope(tree.province, actor_id=tree.province_user.pk):
        return enrolment_code_issue(actor=tree.province_user, user=tree.a.office_user).code


def test_a_city_officer_logs_in_and_lands_on_a_chinese_home_page(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(page.base_url + "/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "登录"
    screenshot(page, "01-login")

    page.fill("#id_username", tree.a.office_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    # An office head approves payments: the first login enrols an authenticator app, with the
    # enrolment code the office above issued.
    page.wait_for_url("**/accounts/otp/setup/**")
    assert page.locator("h1").inner_text() == "设置两步验证登录"
    page.fill("#id_code", _enrolment_code(tree))
    page.click("button[type=submit].primary")
    assert page.locator("[data-testid=otp-qr] svg").count() == 1
    screenshot(page, "01b-two-factor-enrolment")
    page.fill("#id_token", code_from_secret(page.locator("[data-testid=otp-secret]").inner_text()))
    page.click("button[type=submit].primary")
    page.wait_for_url(page.base_url + "/")

    assert page.locator("h1").inner_text() == f"欢迎，{tree.a.office_user.display_name}"
    assert tree.a.city.name in page.locator("main").inner_text()
    nav = page.locator("nav.sidebar").inner_text()
    assert "组织机构" in nav and "账户管理" in nav and "审计日志" in nav
    assert tree.b.city.name not in page.content()
    screenshot(page, "02-home-city-officer")

    page.click("text=组织机构")
    page.wait_for_url("**/orgs/")
    assert tree.a.unit.name in page.locator("table").inner_text()
    screenshot(page, "03-organisations")


def test_a_wrong_password_shows_a_chinese_message(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", tree.a.office_user.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit].primary")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
    screenshot(page, "04-login-wrong-password")

"""An office head in the browser: the log of notices (a failed one sent again), the wording of a
notice previewed and saved, the renewal notices page; each page looked at on a laptop (1366 px)
and a phone (390 px)."""

from __future__ import annotations

import pytest

from mutualaid.models import Notice, NoticeStatus
from mutualaid.tenancy import unscoped
from tests import claimkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.test_notices import FlakyBackend, flaky  # noqa: F401 - the fixture


def _looked_at(tab, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page at a laptop's and a phone's width, with nothing wider than the screen."""
    for width, height in ((1366, 900), (390, 844)):
        tab.set_viewport_size({"width": width, "height": height})
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than a {width}px screen"
        screenshot(tab, f"{name}-{width}")


@pytest.mark.browser
def test_an_office_head_sends_a_failed_notice_again_and_words_a_notice_of_its_own(
    claims_ready: Tree,
    page,  # type: ignore[no-untyped-def]  # noqa: F811
    flaky: type[FlakyBackend],  # noqa: F811
) -> None:
    a = claims_ready.a
    flaky.failures = 100  # the provider is down: the delivery after the commit fails (its task would retry)
    claim = claimkit.register(a.unit_agent, a.enrollment, documents=[claimkit.upload("invoice")])
    with unscoped():
        notice = Notice.objects.get(reference=claim.number)
    assert notice.status == NoticeStatus.FAILED
    flaky.failures = 0

    login(page, a.reviewers.head)
    page.goto(page.base_url + "/notices/")
    row = page.locator("tr", has_text=claim.number)
    assert "失败" in row.inner_text() and a.enrollment.name not in page.content()
    _looked_at(page, "notices-log")
    row.get_by_role("button", name="重新发送").click()
    page.wait_for_url("**/notices/")
    assert "已发送" in page.locator("tr", has_text=claim.number).inner_text()

    page.goto(page.base_url + "/notices/wording/")
    assert "系统默认" in page.content()
    _looked_at(page, "notices-wording")
    page.goto(page.base_url + "/notices/wording/claim_registered/")
    page.fill("#id_text", "【西安】{name}：{number}已登记，请补交{missing}。{编号}")
    page.get_by_role("button", name="保存").click()
    assert "不认识占位符{编号}" in page.content()
    page.fill("#id_text", "【西安】{name}：{number}已登记，请补交{missing}。")
    page.get_by_role("button", name="预览").click()
    assert "【西安】张三：LP202600012已登记，请补交出院小结" in page.content()
    _looked_at(page, "notices-wording-edit")
    page.get_by_role("button", name="保存").click()
    assert "已保存" in page.content()

    page.goto(page.base_url + "/enrollment/renewal-notices/")
    assert a.unit.name in page.content()
    _looked_at(page, "notices-renewal")

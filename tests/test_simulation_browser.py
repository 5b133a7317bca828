"""An office deciding a rule change, in a real browser: two proposals drafted and simulated,
compared side by side with charts, the PDF for the meeting downloaded, one adopted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from mutualaid.tenancy import unscoped
from reporting.models import Proposal
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.test_simulation import banded  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _draft_and_simulate(page, name: str, ratio: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(page.base_url + "/reporting/proposals/")
    page.fill("[data-testid=proposal-create] input[name=name]", name)
    page.click("[data-testid=proposal-create] button[type=submit]")
    page.wait_for_selector("[data-testid=proposal-form]")
    rules = page.input_value("#p-rules").replace('"ratio": "0.3"', f'"ratio": "{ratio}"', 1)
    page.fill("#p-rules", rules)
    page.click("[data-testid=proposal-save]")
    page.wait_for_selector(".msg.success")
    page.click("[data-testid=simulate]")
    page.wait_for_selector("[data-testid=result]")  # the task ran when the request committed


def _fund_chart_series(page) -> list[str]:  # type: ignore[no-untyped-def]  # noqa: F811
    """The fund chart's series as ECharts holds them: each proposal's fund by its name, its band's
    two stacked parts by their ids."""
    return page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById("chart-fund")).getOption().series
              .map((s) => (String(s.id).startsWith("band-") ? s.id : s.name))"""
    )


def test_an_office_builds_two_proposals_compares_them_exports_the_pdf_and_adopts_one(banded: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree = banded
    login(page, tree.a.office_user)
    _draft_and_simulate(page, "方案一", "0.4")
    assert page.inner_text("[data-testid=difference]") == "500.00"
    page.wait_for_selector("#chart-histogram canvas")
    assert _fund_chart_series(page) == ["方案一", "band-floor-0", "band-width-0"]
    _draft_and_simulate(page, "方案二", "0.35")
    assert page.inner_text("[data-testid=difference]") == "250.00"

    page.goto(page.base_url + "/reporting/proposals/")
    for box in page.locator("[data-testid=proposals] input[name=p]").all():
        box.check()
    page.click("[data-testid=compare]")
    page.wait_for_selector("#chart-payouts canvas")  # ECharts drew from our own static files
    table = page.inner_text("[data-testid=comparison]")
    assert "方案一" in table and "方案二" in table and "500.00" in table and "250.00" in table
    screenshot(page, "90-proposals-compared")
    # The fund chart shades each proposal's band of reasonable surplus behind its projected fund.
    assert _fund_chart_series(page) == [
        "方案一",
        "方案二",
        "band-floor-0",
        "band-width-0",
        "band-floor-1",
        "band-width-1",
    ]
    page.locator("#chart-fund").screenshot(
        path=str(screenshot(page, "91-proposals-fund-band").with_name("91-fund-chart.png"))
    )
    with page.expect_download() as pdf:
        page.click("[data-testid=compare-pdf]")
    text = "".join(p.extract_text() for p in PdfReader(Path(pdf.value.path())).pages).replace("\n", "")
    assert "方案一" in text and "方案二" in text and "500.00" in text

    page.click("[data-testid=comparison] >> text=方案一")
    page.fill("#a-label", "2027年度")
    page.fill("#a-meeting", "2026年第12次主任办公会")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=adopt]")
    page.wait_for_selector("[data-testid=adopted]")
    assert "2026年第12次主任办公会" in page.inner_text("[data-testid=adopted]")
    with unscoped():
        adopted = Proposal.objects.get(name="方案一")
    assert adopted.adopted_period is not None and adopted.adopted_period.label == "2027年度"
    screenshot(page, "91-proposal-adopted")

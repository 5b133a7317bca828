"""The schedule editor field by field in a real browser on a phone: a clerk starts from a region's
preset, mistypes a ratio and sees the message beside that field, corrects it, previews a claim and
saves, without scrolling sideways."""

from __future__ import annotations

import pytest

from claims.models import BenefitSchedule
from mutualaid.tenancy import unscoped
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree

WORST = """() => { const out = [];
  for (const el of document.body.querySelectorAll('*')) { const r = el.getBoundingClientRect().right;
    if (r > 391) out.push(el.tagName + '.' + el.className + '#' + el.id + ':' + Math.round(r)); }
  return out.slice(0, 12); }"""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_edits_a_schedule_field_by_field_on_a_phone(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree.a.with_enrollment(100)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, tree.a.office_user)
    # A preset whose figures no seed gives opens with those fields empty, for the office to fill.
    page.goto(f"{page.base_url}/claims/schedules/{tree.a.period.pk}/?preset=inpatient_and_accident")
    assert page.input_value("[name=segments_ratio_1]") == ""
    assert "须由本会填写" in page.locator("[data-testid=error-segments]").inner_text()
    page.goto(f"{page.base_url}/claims/schedules/{tree.a.period.pk}/?preset=shaoxing_plan")
    assert page.input_value("[name=segments_ratio_1]") == "0.8"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("[name=segments_ratio_1]", "5")
    page.click("button[value=fields_preview]")
    error = page.locator("[data-testid=error-segments]")
    error.wait_for()
    assert "ratio" in error.inner_text()
    assert page.input_value("[name=segments_ratio_1]") == "5"  # the clerk's own entry comes back
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(WORST)
    page.fill("[name=segments_ratio_1]", "0.8")
    page.fill("#ex-self", "4000")
    page.click("button[value=fields_preview]")
    page.wait_for_selector("[data-testid=preview]")
    # 4,000 × 80% = 3,200 (seed 003, Shaoxing).
    assert "3,200.00" in page.locator("[data-testid=preview]").inner_text()
    screenshot(page, "31-schedule-fields")
    page.click("button[value=fields_save]")
    page.wait_for_selector("text=给付方案已保存")
    with unscoped():
        rules = BenefitSchedule.objects.get(period=tree.a.period).rules
    assert rules["death"] == {"condolence": "3000"}

"""The finance journey in a real browser: an agent point confirms its monthly premium remittance
report, the city receives it, consolidates and remits to the province, and a payment is approved
by three different people before it is booked."""

from __future__ import annotations

import pytest

from enrollment.models import Policy
from finance.models import Remittance
from mutualaid import dates
from mutualaid.tenancy import unscoped
from tests import claimkit, finkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.click("text=退出")


def test_a_month_s_premium_goes_up_the_tree_and_a_payment_is_approved_in_layers(tree: Tree, page, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # A provincial plan; a unit of city A's agent point enrols 4 members (50 yuan each) last month.
    offer = offer_plan(tree.province_user)
    policy = enrol(tree.a.unit_agent, tree.province_user, tree.a.unit, offer.period, [person(i) for i in range(4)])
    finkit.move_policy_to(policy, finkit.last_month())
    month = f"{finkit.last_month():%Y-%m}"
    people = claimkit.reviewers(tree.a.city, "xa")

    # The agent point drafts and confirms its report.
    login(page, tree.a.county_agent)
    page.click('nav >> text="保费上解"')
    page.fill("#month", month)
    page.click("text=按当月保单生成报告书")
    page.wait_for_selector("[data-testid=remittance-lines]")
    assert "200.00" in page.locator("[data-testid=remittance-lines]").inner_text()
    screenshot(page, "40-remittance-draft")
    # The unit's premium is not booked as received: the page says the bank does not cover the
    # transfer, by how much and what to do, before the button; the agent confirms with a reason.
    warning = page.locator("[data-testid=remittance-overdraft-warning]").inner_text()
    assert "缺口 200.00 元" in warning and "保费收取" in warning
    page.fill("#bank_reference", "ICBC-YT-202611-01")
    page.fill("[data-testid=remittance-overdraw-reason]", "单位保费已到账，次日入账")
    page.click("text=确认上解")
    page.wait_for_selector("text=上解已确认并记账")
    assert page.locator("[data-testid=remittance-status]").inner_text() == "已上解"
    screenshot(page, "41-remittance-confirmed")
    page.click("text=退出")

    # City A receives it, then drafts its own report, which consolidates the agent point's, and remits.
    login(page, people.finance_head)
    page.click('nav >> text="保费上解"')
    shown = finkit.last_month()
    page.click(f"[data-testid=incoming] >> text={shown.year}年{shown.month}月")
    page.click("text=款项已到账：记为已收")
    page.wait_for_selector("text=上解款已收到并记账")
    page.click('nav >> text="保费上解"')
    page.fill("#month", month)
    page.click("text=按当月保单生成报告书")
    page.wait_for_selector("[data-testid=remittance-lines]")
    assert tree.a.county.name in page.content()  # the consolidated report of the agent point
    screenshot(page, "42-city-consolidates")
    page.fill("#bank_reference", "ICBC-XA-202611-01")
    page.click("text=确认上解")
    page.wait_for_selector("text=上解已确认并记账")
    page.click("text=退出")
    with unscoped():
        city_report = Remittance.objects.get(org=tree.a.city)
        assert city_report.status == "remitted" and city_report.amount_remitted == policy.premium
        assert Policy.objects.get(pk=policy.pk).premium == 200

    # The province sees it arrive.
    login(page, tree.province_user)
    page.goto(page.base_url + f"/finance/remittances/{city_report.pk}/")
    page.click("text=款项已到账：记为已收")
    page.wait_for_selector("text=上解款已收到并记账")
    page.goto(page.base_url + f"/finance/?office={tree.province.pk}")
    balances = page.locator("[data-testid=balances]").inner_text()
    assert "6001 保费收入" in balances and "2701 风险准备金" in balances
    assert page.locator("[data-testid=trial-balance]").inner_text() == "借贷平衡"
    screenshot(page, "43-province-books")
    page.click("text=退出")

    # A payment prepared by finance, approved by the office head, the finance head and the leader.
    login(page, people.finance)
    page.click('nav >> text="支付审批"')
    page.select_option("#id_kind", "management_fee")
    page.select_option("#id_plan", str(offer.plan.pk))
    # The amount box writes money as every page does once it is left (a number box showed 12345).
    page.fill("#id_amount", "12345")
    page.locator("#id_payee").focus()
    assert page.input_value("#id_amount") == "12,345.00"
    page.fill("#id_amount", "10.00")
    page.fill("#id_payee", "西安市文具公司")
    page.fill("#id_purpose", "理赔档案盒")
    screenshot(page, "44-payment-prepare")
    page.click("text=提交审批")
    page.wait_for_selector("[data-testid=payment-status]")
    payment_url = page.url
    page.click("text=退出")
    for user, shot in (
        (people.head, "45-sign-head"),
        (people.finance_head, "46-sign-finance"),
        (people.leader, "47-sign-leader"),
    ):
        login(page, user)
        page.goto(payment_url)
        screenshot(page, shot)
        page.click("text=审批通过")
        page.wait_for_selector("text=已审批。")
        page.click("text=退出")
    login(page, people.finance_head)
    page.goto(payment_url)
    assert page.locator("[data-testid=payment-status]").inner_text() == "审批通过"
    approvals = page.locator("[data-testid=approvals]").inner_text()
    assert all(name in approvals for name in ("xa主任", "xa财务负责人", "xa分管领导"))
    page.fill("input[name=bank_reference]", "ICBC-XA-PAY-01")
    if page.locator("[data-testid=overdraw-reason]").count():  # below zero: confirmed with a reason
        page.fill("[data-testid=overdraw-reason]", "拨款在途，先行垫付")
    page.click("text=银行已付款：记账")
    page.wait_for_selector("text=支付已记为已付款")
    screenshot(page, "48-payment-paid")

    # The bank's statement of the month, reconciled with the books: a bank fee is left over.
    today = dates.business_today()
    statement = tmp_path / "对账单.csv"
    statement.write_text(
        "交易日期,收入金额,支出金额,对方户名,摘要,流水号\n"
        f"{today},200.00,,{tree.a.county.name},上解保费,ICBC-YT-202611-01\n"
        f"{today},,200.00,{tree.province.name},上解保费,ICBC-XA-202611-01\n"
        f"{today},,10.00,西安市文具公司,办公用品,ICBC-XA-PAY-01\n"
        f"{today},,3.50,,手续费,ICBC-FEE-01\n",
        encoding="utf-8",
    )
    page.click('nav >> text="银行对账"')
    page.set_input_files("[data-testid=bank-upload] input[type=file]", str(statement))
    page.click("text=导入并匹配")
    page.wait_for_selector("text=其中 3 笔与账簿匹配")
    screenshot(page, "49-bank-statement")
    page.click('nav >> text="银行对账"')
    assert page.locator("[data-testid=in-bank-only-total]").inner_text() in {"-3.50", "−3.50", "3.50"}
    assert "ICBC-FEE-01" in page.locator("[data-testid=in-bank-only]").inner_text()
    screenshot(page, "50-bank-unmatched")

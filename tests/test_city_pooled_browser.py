"""The city-pooled model in a real browser: the city runs the plan; its agent point collects the
unit's premium (with its receipt) and remits the month to the city, which books it as income;
the city reviews a claim (through the services, as tests/test_claims_browser.py walks it page by
page) and pays its batch from its own account, without an allocation and without going below
zero. At the end the books of the city and its agent point each balance, and the province,
which takes no part, has nothing in its books."""

from __future__ import annotations

from decimal import Decimal

import pytest

from claims.services.payment import batch_create
from enrollment.models import Enrollment
from finance.models import Account, Allocation, PaymentRequest
from mutualaid.tenancy import unscoped
from tests import allockit, claimkit, finkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.click("text=退出")


def test_the_city_pools_collects_through_its_agent_point_and_pays_claims_from_its_own_account(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # A plan of city A; its agent point's unit enrols 6 members with 3 shares (900 yuan) last month.
    offer = offer_plan(tree.a.office_user)
    rows = [person(i, shares=3) for i in range(6)]
    policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, rows)
    finkit.move_policy_to(policy, finkit.last_month())
    city = claimkit.reviewers(tree.a.city, "xa")  # one person per role
    month = f"{finkit.last_month():%Y-%m}"

    # The agent point books the unit's premium as received, then remits the month to the city.
    login(page, tree.a.county_agent)
    page.click('nav >> text="保费收取"')
    page.fill("input[name=bank_reference]", "ICBC-YT-UNIT-01")
    page.click("button:has-text('已收到')")
    page.wait_for_selector(f"text=保单 {policy.number} 的保费已记为收到。")
    page.click('nav >> text="保费上解"')
    page.fill("#month", month)
    page.click("text=按当月保单生成报告书")
    page.wait_for_selector("[data-testid=remittance-lines]")
    assert "900.00" in page.locator("[data-testid=remittance-lines]").inner_text()
    page.fill("#bank_reference", "ICBC-YT-UP-01")
    page.click("text=确认上解")
    page.wait_for_selector("text=上解已确认并记账")
    screenshot(page, "70-pooled-agent-point-remits")
    _logout(page)

    # The city's finance head books the remittance as received: premium income of the city.
    login(page, city.finance_head)
    page.click('nav >> text="保费上解"')
    shown = finkit.last_month()
    page.click(f"[data-testid=incoming] >> text={shown.year}年{shown.month}月")
    page.click("text=款项已到账：记为已收")
    page.wait_for_selector("text=上解款已收到并记账")
    _logout(page)
    assert allockit.balance(tree.a.city, Account.PREMIUM_INCOME, offer.plan) == Decimal("900.00")

    # The city reviews a claim of 229 yuan, gathers it into a batch, and three people sign its payment.
    claimkit.set_schedule(tree.a.office_user, offer.period, allockit.LEAN)
    with unscoped():
        enrollment = Enrollment.objects.filter(policy=policy).order_by("number").first()
    assert enrollment is not None
    claim = claimkit.approve(city, claimkit.register(tree.a.unit_agent, enrollment))
    with allockit.act(city.finance):
        batch = batch_create(actor=city.finance, claim_ids=[claim.pk])
    payment = claimkit.approve_payment(city, batch)

    # The city's finance head sends the transfer file and books the payment from the city's account.
    login(page, city.finance_head)
    page.goto(page.base_url + f"/finance/payments/{payment.pk}/")
    page.click("[data-testid=mark-sent]")
    page.wait_for_selector("[data-testid=mark-paid]")
    assert page.locator("[data-testid=overdraft-warning]").count() == 0  # its own premium covers it
    page.fill("input[name=bank_reference]", "ICBC-XA-PAY-01")
    page.click("[data-testid=mark-paid]")
    page.wait_for_selector("text=批次已标记为已付款")
    screenshot(page, "71-pooled-city-pays")

    # Every office's books balance, no bank account is below zero; nothing was allocated.
    for office in (tree.a.city, tree.a.county):
        page.goto(page.base_url + f"/finance/?office={office.pk}")
        assert page.locator("[data-testid=trial-balance]").inner_text() == "借贷平衡", office.name
        assert page.locator("[data-testid=overdrawn]").count() == 0, office.name
    page.goto(page.base_url + f"/finance/?office={tree.a.city.pk}")
    balances = page.locator("[data-testid=balances]").inner_text()
    assert "6001 保费收入" in balances and "6401 赔付支出" in balances
    screenshot(page, "72-pooled-city-books")
    _logout(page)
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == "paid"
        assert not PaymentRequest.objects.get(pk=payment.pk).overdraw_reason
        assert not Allocation.objects.exists()
    assert allockit.balance(tree.a.city, Account.BANK) == Decimal("671.00")  # 900 less the 229 paid
    assert allockit.balance(tree.a.county, Account.BANK) == 0  # all it collected went up
    assert allockit.books_balance(tree.province) and allockit.balance(tree.province, Account.BANK) == 0

"""The Jiangmen model in a real browser: the province pools the premium (the premium went up the
tree through the services, as tests/test_finance_browser.py walks it page by page), the city
reviews a claim and, for its batch, asks the province for an allocation; three people at the
province sign it, the province's finance transfers it, the city confirms it arrived and pays the
batch without going below zero; the books of the province, the city and its agent point each
balance, and no bank account is overdrawn. And seed 000's women workers' plan: the province reviews
and approves the claim, the city batches and pays it from the province's allocation, the claim's
cost is in the province's books."""

from __future__ import annotations

import pytest

from claims.models import PaymentBatch
from finance.models import Allocation, PaymentRequest
from mutualaid.tenancy import unscoped
from tests import allockit, claimkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.click("text=退出")


def test_the_city_pays_its_claims_from_the_province_s_allocation_and_every_book_balances(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    jm = allockit.jiangmen(tree)

    # The city's finance officer asks the province for the batch's money.
    login(page, jm.city.finance)
    page.click('nav >> text="资金划拨"')
    page.select_option("#id_purpose", "claims_batch")
    page.select_option("#id_plan", str(jm.plan.pk))
    page.select_option("#id_claims_batch", str(jm.batch.pk))
    screenshot(page, "60-allocation-ask")
    page.click("[data-testid=ask-allocation]")
    page.wait_for_selector("[data-testid=allocation-status]")
    assert page.locator("[data-testid=allocation-status]").inner_text() == "待审批"
    assert page.locator("[data-testid=allocation-amount]").inner_text() == "229.00"
    detail = page.url
    _logout(page)

    # Three people of the province sign it, each their own layer.
    for user, shot in ((jm.province.head, "61"), (jm.province.finance_head, "62"), (jm.province.leader, "63")):
        login(page, user)
        page.goto(detail)
        assert "810.00" in page.locator("[data-testid=allocation-room]").inner_text()  # 900 less the 90 reserve
        page.click("[data-testid=approve-allocation]")
        page.wait_for_selector("text=已审批。")
        screenshot(page, f"{shot}-allocation-signed")
        _logout(page)

    # The province's finance head books the transfer: in transit.
    login(page, jm.province.finance_head)
    page.goto(detail)
    page.fill("[data-testid=allocation-reference]", "ICBC-PV-HB-01")
    page.click("[data-testid=transfer-allocation]")
    page.wait_for_selector("text=转账已记账，划拨资金在途。")
    assert page.locator("[data-testid=allocation-status]").inner_text() == "已划拨，在途"
    _logout(page)

    # The city's finance head confirms it arrived, then pays the batch from it.
    payment = claimkit.approve_payment(jm.city, jm.batch)
    login(page, jm.city.finance_head)
    page.goto(detail)
    page.click("[data-testid=receive-allocation]")
    page.wait_for_selector("text=划拨资金已到账并记账。")
    assert page.locator("[data-testid=allocation-status]").inner_text() == "已收到"
    screenshot(page, "64-allocation-received")
    page.goto(page.base_url + f"/finance/payments/{payment.pk}/")
    page.click("[data-testid=mark-sent]")
    page.wait_for_selector("[data-testid=mark-paid]")
    assert page.locator("[data-testid=overdraft-warning]").count() == 0  # the allocation covers it
    page.fill("input[name=bank_reference]", "ICBC-XA-PAY-07")
    page.click("[data-testid=mark-paid]")
    page.wait_for_selector("text=批次已标记为已付款")
    screenshot(page, "65-batch-paid-from-allocation")
    _logout(page)
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == "paid"
        assert not PaymentRequest.objects.get(pk=payment.pk).overdraw_reason
        assert Allocation.objects.get().status == "received"

    # Every office's books balance and no bank account is below zero.
    login(page, tree.province_user)
    for office in (tree.province, tree.a.city, tree.a.county):
        page.goto(page.base_url + f"/finance/?office={office.pk}")
        assert page.locator("[data-testid=trial-balance]").inner_text() == "借贷平衡", office.name
        assert page.locator("[data-testid=overdrawn]").count() == 0, office.name
    page.goto(page.base_url + f"/finance/?office={tree.province.pk}")
    assert "1231 拨付下级资金" in page.locator("[data-testid=balances]").inner_text()
    page.goto(page.base_url + f"/finance/?office={tree.a.city.pk}")
    assert "2242 上级拨入资金" in page.locator("[data-testid=balances]").inner_text()
    screenshot(page, "66-city-books")


def test_the_province_approves_a_women_s_plan_claim_and_the_city_pays_it_from_an_allocation(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Seed 000: 女职工安康互助保障金由省互助会审核后划拨代办处给付参保人."""
    through = allockit.paid_through(tree)
    city = through.city
    claim_url = page.base_url + f"/claims/{through.claim.pk}/"

    # The province reviewed and approved it; it does not pay it.
    login(page, through.province.finance)
    page.goto(claim_url)
    assert page.locator("[data-testid=to-batch]").count() == 0
    _logout(page)

    # The city's finance officer sees who reviewed it and that the city pays, and makes a batch of it.
    login(page, city.finance)
    page.goto(claim_url)
    assert page.locator("[data-testid=review-office]").inner_text() == tree.province.name
    assert tree.a.city.name in page.locator("[data-testid=pay-office]").inner_text()
    assert page.locator("[data-testid=review]").count() == 0  # nothing to review here
    screenshot(page, "67-paid-through-claim-city")
    page.click("[data-testid=to-batch] >> a")
    page.check(f"input[name=claim][value='{through.claim.pk}']")
    page.click("[data-testid=make-batch]")
    page.wait_for_selector("[data-testid=batch-status]")
    assert tree.province.name in page.locator("[data-testid=on-behalf]").inner_text()
    screenshot(page, "68-paid-through-batch-city")
    batch_url = page.url
    _logout(page)
    with unscoped():
        batch = PaymentBatch.objects.get()
    assert batch.org_id == tree.a.city.pk

    # The province allocates the batch's money; the city's payment is approved in three layers.
    allockit.allocation_through(
        city.finance,
        through.province,
        receiver=city.finance_head,
        plan=through.plan,
        purpose="claims_batch",
        amount=None,
        batch=batch,
    )
    payment = claimkit.approve_payment(city, batch)
    login(page, city.finance_head)
    page.goto(page.base_url + f"/finance/payments/{payment.pk}/")
    page.click("[data-testid=mark-sent]")
    page.wait_for_selector("[data-testid=mark-paid]")
    assert page.locator("[data-testid=overdraft-warning]").count() == 0  # the allocation covers it
    page.fill("input[name=bank_reference]", "ICBC-XA-NV-01")
    page.click("[data-testid=mark-paid]")
    page.wait_for_selector("text=批次已标记为已付款")
    page.goto(batch_url)
    assert page.locator("[data-testid=batch-status]").inner_text() == "已赔付"
    screenshot(page, "69-paid-through-batch-paid")
    page.goto(claim_url)
    assert page.locator("[data-testid=claim-status]").inner_text() == "已赔付"
    screenshot(page, "70-paid-through-claim-paid")
    _logout(page)

    # The books balance at every office; the claims are the province's cost, not the city's.
    login(page, tree.province_user)
    for office in (tree.province, tree.a.city, tree.a.county):
        page.goto(page.base_url + f"/finance/?office={office.pk}")
        assert page.locator("[data-testid=trial-balance]").inner_text() == "借贷平衡", office.name
        assert page.locator("[data-testid=overdrawn]").count() == 0, office.name
    page.goto(page.base_url + f"/finance/?office={tree.province.pk}&plan={through.plan.pk}")
    assert "6401" in page.locator("[data-testid=balances]").inner_text()
    screenshot(page, "71-paid-through-province-books")
    page.goto(page.base_url + f"/finance/?office={tree.a.city.pk}&plan={through.plan.pk}")
    assert "6401" not in page.locator("[data-testid=balances]").inner_text()

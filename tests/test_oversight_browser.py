"""The oversight loop in a real browser (理赔回头看, seed 001/002: the office above re-checks the
paid claims of the offices below): the province draws a sample of city A's paid claims, reviews
the one claim and records an overpayment of 120.00 yuan; that becomes a recovery (追回) receivable
in city A's books; city A's finance officer books the repayment from the bank. Both offices' books
balance, the receivable is back to zero, the bank holds the 120.00 again and the claim shows its
recovery repaid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from claims.models import Recheck, RecheckFinding, RecheckItem
from finance.models import Account, Recovery
from mutualaid import dates
from mutualaid.tenancy import unscoped
from tests.allockit import balance, books_balance
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _logout(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.click("text=退出")


def test_the_province_re_checks_a_city_s_paid_claim_and_the_overpayment_is_recovered(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree.a.with_enrollment(100).with_claim()  # one claim paid by city A (three levels, a batch, the bank)
    claim = tree.a.claim
    with unscoped():
        claim.refresh_from_db()
    assert claim.payout > Decimal("120.00")
    bank_before = balance(tree.a.city, Account.BANK)
    today = dates.business_today()

    # The province draws the sample: city A is offered, its paid claim is drawn.
    login(page, tree.province_user)
    page.click('nav >> text="理赔回头看"')
    page.select_option("#id_target", str(tree.a.city.pk))
    page.fill("#id_paid_from", f"{today.year - 1}-01-01")
    page.fill("#id_paid_to", today.isoformat())
    page.fill("#id_size", "5")
    screenshot(page, "70-recheck-draw")
    page.click("[data-testid=recheck-draw] button[type=submit]")
    page.wait_for_selector("[data-testid=seed]")
    with unscoped():
        recheck = Recheck.objects.get()
        item = RecheckItem.objects.get(recheck=recheck)
    assert item.claim_id == claim.pk
    assert page.locator("[data-testid=seed]").inner_text() == str(recheck.seed)
    assert claim.number in page.locator("[data-testid=recheck-items]").inner_text()
    screenshot(page, "71-recheck-sample")

    # It reviews the claim and records an overpayment: two days of hospital stay claimed too many.
    page.click("text=登记复核结论")
    page.select_option(f"#finding{item.pk}_finding", RecheckFinding.OVERPAID)
    page.fill(f"#finding{item.pk}_overpaid", "120.00")
    page.fill(f"#finding{item.pk}_note", "住院天数多报两天，多付120元")
    page.click("[data-testid=recheck-items] button[type=submit]")
    page.wait_for_selector(".finding-overpaid")
    shown = page.locator("[data-testid=recheck-items]").inner_text()
    assert "120.00" in shown and "住院天数多报两天" in shown
    screenshot(page, "72-recheck-overpaid")
    _logout(page)

    # The overpayment is a receivable in city A's books, out of its claims paid.
    with unscoped():
        recovery = Recovery.objects.get()
    assert (recovery.org_id, recovery.claim_id, recovery.amount) == (tree.a.city.pk, claim.pk, Decimal("120.00"))
    assert balance(tree.a.city, Account.RECOVERY_RECEIVABLE) == Decimal("120.00")

    # City A's finance officer finds it among the recoveries and books the repayment.
    finance = tree.a.reviewers.finance
    login(page, finance)
    page.click('nav >> text="多付理赔追回"')
    page.click(f"text={recovery.number}")
    page.wait_for_selector("[data-testid=repay]")
    assert page.locator("[data-testid=outstanding]").inner_text().startswith("120.00")
    assert "登记退回款项" in page.locator("[data-testid=repay]").inner_text()
    assert "尚未退回。" in page.locator("main").inner_text() and "退款" not in page.locator("main").inner_text()
    screenshot(page, "73-recovery-outstanding")
    page.fill("[data-testid=repay] #id_amount", "120.00")
    page.fill("[data-testid=repay] #id_received_on", today.isoformat())
    page.fill("[data-testid=repay] #id_bank_reference", "ICBC-XA-ZH-01")
    page.click("[data-testid=repay] button[type=submit]")
    page.wait_for_selector("[data-testid=recovery-status].status-paid")
    # A member's repayment of an overpaid claim, not a refund (退款 is premium paid back to a unit).
    assert "退回款项已记账。" in page.content() and "退款" not in page.locator("main").inner_text()
    assert page.locator("[data-testid=outstanding]").inner_text().startswith("0.00")
    screenshot(page, "74-recovery-repaid")
    page.click(f"dl.facts >> text={claim.number}")
    page.wait_for_load_state()
    assert recovery.number in page.content()
    screenshot(page, "75-claim-shows-recovery")
    _logout(page)

    # The books: the receivable is settled, the bank has the money back, every book balances.
    assert balance(tree.a.city, Account.RECOVERY_RECEIVABLE) == Decimal("0.00")
    assert balance(tree.a.city, Account.BANK) == bank_before + Decimal("120.00")
    for office in (tree.province, tree.a.city, tree.a.county):
        assert books_balance(office), office.name

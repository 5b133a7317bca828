# ruff: noqa: F811 (the `fund` fixture imported from tests/test_finance_kinds.py)
"""A deposit placement counts what every other outflow of the dedicated account counts
(finance/services/overdraft.py): payments approved and not yet paid, allocations approved and not
yet transferred, settlements asked and not yet paid; first the plan's own share, then the whole
account. It is refused outright where the account does not cover it: no written reason places money
that payouts need (seed 004, ACFTU 2018 No. 28: the fund is for paying members' benefits; only the
activity money and the surplus may be placed).

Figures: the `fund` fixture's city A holds 10,000.00 of its plan in the bank (a union contribution
to the reserve). The Jiangmen model (tests/allockit.py): six members of three shares, 150 yuan
each, 900.00 up the tree to the province; city A's claims batch pays 229.00."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from enrollment.models import Plan
from finance.models import Account, Allocation, AllocationStatus, Deposit, JournalEntry, PaymentRequest, PaymentStatus
from finance.selectors.deposits import holdings_get
from finance.services import allocations, deposits, payments
from mutualaid import dates
from mutualaid.models import User
from mutualaid.tenancy import org_scope
from tests import allockit
from tests.allockit import act, balance, books_balance
from tests.conftest import Tree
from tests.test_finance_kinds import _income, fund  # noqa: F401 (the fixture)

TODAY = dates.business_today()


def _place(user: User, plan: Plan, amount: str, reference: str) -> Deposit:
    with act(user):
        return deposits.deposit_place(
            actor=user,
            plan=plan,
            kind="time_deposit",
            institution="中国工商银行",
            amount=Decimal(amount),
            annual_rate=Decimal("0.0175"),
            starts_on=TODAY,
            matures_on=TODAY + timedelta(days=365),
            bank_reference=reference,
        )


def _refused(user: User, plan: Plan, amount: str) -> str:
    entries = JournalEntry.objects.with_scopes_disabled().count()
    with pytest.raises(ValidationError) as refused:
        _place(user, plan, amount, "CK-NO")
    assert list(refused.value.message_dict) == ["amount"]
    assert JournalEntry.objects.with_scopes_disabled().count() == entries  # nothing booked
    assert not Deposit.objects.with_scopes_disabled().filter(bank_reference="CK-NO").exists()
    return refused.value.message_dict["amount"][0]


def _approved_payment(tree: Tree, amount: str) -> PaymentRequest:
    people = tree.a.reviewers
    with act(people.finance):
        payment = payments.payment_prepare(
            actor=people.finance,
            plan=tree.a.plan,
            kind="hardship_aid",
            amount=Decimal(amount),
            payee="困难职工",
            purpose="帮扶",
            meeting="主任办公会",
            meeting_on=TODAY,
        )
    for user in (people.head, people.finance_head, people.leader):
        with act(user):
            current = PaymentRequest.objects.get(pk=payment.pk)
            payment = payments.payment_approve(actor=user, payment=current, version=current.version)
    assert payment.status == PaymentStatus.APPROVED
    return payment


def test_a_placement_leaves_the_approved_payments_their_money_and_is_refused_outright_a_cent_beyond(
    fund: Tree,
) -> None:
    payment = _approved_payment(fund, "2500.00")  # 10,000.00 - 2,500.00 = 7,500.00 free to place
    head = fund.a.reviewers.finance_head
    text = _refused(head, fund.a.plan, "7500.01")
    # The plan's share is checked first, with the shared words and figures, and no reason is offered.
    for figure in ("7,500.01", "10,000.00", "2,500.00", "0.01", fund.a.plan.name):
        assert figure in text, (figure, text)
    assert "书面理由" not in text and "written reason" not in text
    assert "2018" in text  # the rule it names (全总2018年28号文)
    placed = _place(head, fund.a.plan, "7500.00", "CK-1")
    assert placed.amount == Decimal("7500.00")
    with org_scope(fund.a.city):
        held = holdings_get(office=fund.a.city)
    assert (held.cash, held.time_deposits) == (Decimal("2500.00"), Decimal("7500.00"))
    # The payment it left room for is paid without a reason: the bank covers it exactly.
    with act(head):
        paid = payments.payment_mark_paid(actor=head, payment=payment, paid_on=TODAY, bank_reference="PAY-1")
    assert paid.status == PaymentStatus.PAID and not paid.overdraw_reason
    assert balance(fund.a.city, Account.BANK) == Decimal("0.00")
    assert books_balance(fund.a.city)


def test_the_page_shows_the_refusal_on_the_amount_and_books_nothing(fund: Tree) -> None:
    _approved_payment(fund, "2500.00")
    page = Client()
    page.force_login(fund.a.reviewers.finance_head)
    answer = page.post(
        reverse("finance:deposit_list"),
        {
            "kind": "time_deposit",
            "plan": fund.a.plan.pk,
            "institution": "中国工商银行",
            "amount": "8000.00",
            "annual_rate": "1.75",
            "starts_on": TODAY,
            "matures_on": TODAY + timedelta(days=365),
            "bank_reference": "CK-PAGE",
        },
    )
    shown = answer.content.decode()
    assert answer.status_code == 200 and "500.00" in shown  # the shortfall: 8,000 - 7,500
    assert not Deposit.objects.with_scopes_disabled().exists()


@pytest.fixture
def jiangmen(tree: Tree) -> Any:
    return allockit.jiangmen(tree)


def test_the_pooling_office_keeps_an_approved_allocation_out_of_a_placement(tree: Tree, jiangmen: Any) -> None:
    province = tree.province
    bank = balance(province, Account.BANK, jiangmen.plan)
    assert bank > Decimal("229.00")
    with act(jiangmen.city.finance):
        asked = allocations.allocation_request(
            actor=jiangmen.city.finance,
            plan=jiangmen.plan,
            purpose="claims_batch",
            amount=None,
            claims_batch=jiangmen.batch,
            note="测试",
        )
    for user in (jiangmen.province.head, jiangmen.province.finance_head, jiangmen.province.leader):
        with act(user):
            current = Allocation.objects.get(pk=asked.pk)
            asked = allocations.allocation_approve(actor=user, allocation=current, version=current.version)
    assert asked.status == AllocationStatus.APPROVED and asked.amount == Decimal("229.00")
    free = bank - Decimal("229.00")
    head = jiangmen.province.finance_head
    text = _refused(head, jiangmen.plan, str(free + Decimal("0.01")))
    assert "229.00" in text and "0.01" in text
    _place(head, jiangmen.plan, str(free), "CK-PV")
    assert balance(province, Account.BANK, jiangmen.plan) == Decimal("229.00")
    assert books_balance(province)


def test_one_plans_money_is_not_placed_for_another_though_the_account_holds_it(tree: Tree, jiangmen: Any) -> None:
    """City A's account holds 10,000.00 of its own plan and 229.00 of the province's plan sent by
    an allocation: 10,229.00 in all, of which its plan's share is 10,000.00."""
    fund, jiang = tree, jiangmen
    fund.a.with_enrollment(100)
    fund.a.reviewers = jiang.city
    _income(fund, "union_contribution", "10000.00", "RES-1", payer="省总工会")
    allockit.allocation_through(
        jiang.city.finance,
        jiang.province,
        receiver=jiang.city.finance_head,
        plan=jiang.plan,
        purpose="claims_batch",
        amount=None,
        batch=jiang.batch,
    )
    assert balance(fund.a.city, Account.BANK) == Decimal("10229.00")
    text = _refused(fund.a.reviewers.finance_head, fund.a.plan, "10229.00")
    assert "10,000.00" in text and "229.00" in text and fund.a.plan.name in text
    # The whole account is checked as well: a payment of the province's plan approved at the city
    # is counted against it, as every outflow counts it.
    _place(fund.a.reviewers.finance_head, fund.a.plan, "10000.00", "CK-A")
    assert balance(fund.a.city, Account.BANK) == Decimal("229.00")
    assert books_balance(fund.a.city)

"""Every kind of payment and income the seeds name, each booked to its own account with its
approval rule; deposits and bonds, the only things the fund may be held in; the books' side of
recovering an overpaid claim."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from enrollment.models import Enrollment
from enrollment.services.enrollments import enrollment_cancel
from finance.models import PAYMENT_ACCOUNTS, Account, Deposit, DepositStatus, IncomeRecord, JournalEntry, PaymentRequest
from finance.selectors.deposits import holdings_get
from finance.services import deposits, payments
from finance.services.income import income_record
from finance.todo import deposits_todo
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.allockit import act, balance, books_balance
from tests.conftest import Tree

TODAY = dates.business_today()


@pytest.fixture
def fund(tree: Tree) -> Tree:
    """City A runs a plan; the provincial federation put 10,000 yuan into its risk reserve."""
    tree.a.with_enrollment(100)
    tree.a.reviewers = claimkit.reviewers(tree.a.city, "xa")
    _income(tree, "union_contribution", "10000.00", "RES-1", payer="省总工会")
    return tree


def _income(tree: Tree, kind: str, amount: str, reference: str, **extra: Any) -> IncomeRecord:
    user = tree.a.reviewers.finance_head
    args: dict[str, Any] = {"payer": "市总工会", "union_level": "", "note": ""} | extra
    with act(user):
        return income_record(
            actor=user,
            plan=tree.a.plan,
            kind=kind,
            amount=Decimal(amount),
            received_on=TODAY,
            bank_reference=reference,
            **args,
        )


def _pay(tree: Tree, kind: str, amount: str, **extra: Any) -> PaymentRequest:
    people = tree.a.reviewers
    args: dict[str, Any] = {"payee": "收款方", "purpose": "用途", "meeting": "主任办公会", "meeting_on": TODAY} | extra
    with act(people.finance):
        payment = payments.payment_prepare(
            actor=people.finance, plan=tree.a.plan, kind=kind, amount=Decimal(amount), **args
        )
    for user in (people.head, people.finance_head, people.leader):
        with act(user):
            current = PaymentRequest.objects.get(pk=payment.pk)
            payment = payments.payment_approve(actor=user, payment=current, version=current.version)
    with act(people.finance_head):
        return payments.payment_mark_paid(
            actor=people.finance_head, payment=payment, paid_on=TODAY, bank_reference=f"PAY-{payment.pk}"
        )


def test_income_is_credited_to_its_own_account_once_per_bank_reference(fund: Tree) -> None:
    assert balance(fund.a.city, Account.RESERVE_FUND, fund.a.plan) == Decimal("10000.00")
    _income(fund, "subsidy", "300.00", "SUB-1", union_level="city")
    _income(fund, "interest", "12.34", "INT-1", payer="工商银行")
    assert balance(fund.a.city, Account.SUBSIDY_INCOME, fund.a.plan) == Decimal("300.00")
    assert balance(fund.a.city, Account.INTEREST_INCOME, fund.a.plan) == Decimal("12.34")
    assert balance(fund.a.city, Account.BANK, fund.a.plan) == Decimal("10312.34")
    again = _income(fund, "interest", "12.34", "INT-1", payer="工商银行")  # the same advice twice
    assert IncomeRecord.objects.with_scopes_disabled().filter(bank_reference="INT-1").count() == 1
    assert again.number.startswith("SR")
    with pytest.raises(ValidationError) as refused:
        _income(fund, "interest", "99.00", "INT-1", payer="工商银行")
    assert "bank_reference" in refused.value.message_dict
    assert books_balance(fund.a.city)


def test_a_subsidy_names_its_union_level_and_an_unknown_kind_is_refused(fund: Tree) -> None:
    entries = JournalEntry.objects.with_scopes_disabled().count()
    with pytest.raises(ValidationError) as refused:
        _income(fund, "subsidy", "300.00", "SUB-2")
    assert "union_level" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _income(fund, "donation", "300.00", "DON-1")
    assert "kind" in refused.value.message_dict
    assert JournalEntry.objects.with_scopes_disabled().count() == entries


@pytest.mark.parametrize(
    ("kind", "account"),
    [
        ("incentive_grant", Account.INCENTIVE_GRANTS),
        ("member_activity", Account.MEMBER_ACTIVITIES),
        ("hardship_aid", Account.HARDSHIP_AID),
    ],
)
def test_each_kind_of_payment_is_booked_to_its_own_account(fund: Tree, kind: str, account: str) -> None:
    paid = _pay(fund, kind, "200.00", payee=fund.a.county.name)
    assert paid.status == "paid"
    assert balance(fund.a.city, account, fund.a.plan) == Decimal("200.00")
    assert balance(fund.a.city, Account.BANK, fund.a.plan) == Decimal("9800.00")
    assert books_balance(fund.a.city)


def test_grants_activities_and_aid_need_a_collective_decision_whatever_the_amount(fund: Tree) -> None:
    people = fund.a.reviewers
    for kind in ("incentive_grant", "member_activity", "hardship_aid"):
        with act(people.finance), pytest.raises(ValidationError) as refused:
            payments.payment_prepare(
                actor=people.finance, plan=fund.a.plan, kind=kind, amount=Decimal("1.00"), payee="甲", purpose="乙"
            )
        assert "meeting" in refused.value.message_dict
    with act(people.finance):  # a management fee of 1 yuan needs none
        payments.payment_prepare(
            actor=people.finance,
            plan=fund.a.plan,
            kind="management_fee",
            amount=Decimal("1.00"),
            payee="甲",
            purpose="乙",
        )


def test_a_payment_kind_without_its_account_is_refused(fund: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(PAYMENT_ACCOUNTS, "hardship_aid")
    with pytest.raises(ValidationError) as refused:
        _pay(fund, "hardship_aid", "10.00")
    assert "kind" in refused.value.message_dict
    assert not PaymentRequest.objects.with_scopes_disabled().exists()


def test_a_premium_refund_stays_within_the_premium_of_cancelled_members(fund: Tree) -> None:
    number = fund.a.policy.number
    with pytest.raises(ValidationError) as refused:  # nobody cancelled yet
        _pay(fund, "premium_refund", "50.00", policy_number=number)
    assert "amount" in refused.value.message_dict
    with unscoped():
        member = Enrollment.objects.filter(policy=fund.a.policy).order_by("number").first()
    assert member is not None
    with act(fund.a.office_user):
        enrollment_cancel(actor=fund.a.office_user, enrollment=member, reason="调离")
    paid = _pay(fund, "premium_refund", str(member.premium), policy_number=number)
    assert paid.policy_id == fund.a.policy.pk
    assert balance(fund.a.city, Account.PREMIUM_REFUNDS, fund.a.plan) == member.premium
    with pytest.raises(ValidationError):  # refunded already
        _pay(fund, "premium_refund", "1.00", policy_number=number)
    with pytest.raises(ValidationError) as refused:
        _pay(fund, "premium_refund", "1.00", policy_number="NOSUCH")
    assert "policy_number" in refused.value.message_dict


def _place(tree: Tree, **changes: Any) -> Deposit:
    user = tree.a.reviewers.finance_head
    args: dict[str, Any] = {
        "plan": tree.a.plan,
        "kind": "time_deposit",
        "institution": "中国工商银行",
        "amount": Decimal("6000.00"),
        "annual_rate": Decimal("0.0175"),
        "starts_on": TODAY - timedelta(days=365),
        "matures_on": TODAY + timedelta(days=10),
        "bank_reference": "CK-1",
    } | changes
    with act(user):
        return deposits.deposit_place(actor=user, **args)


def test_a_deposit_is_placed_out_of_the_bank_and_shown_apart_and_matures_with_interest(fund: Tree) -> None:
    deposit = _place(fund)
    assert deposit.number.startswith("CK")
    with org_scope(fund.a.city):
        held = holdings_get(office=fund.a.city)
    assert (held.cash, held.time_deposits, held.total) == (Decimal("4000.00"), Decimal("6000.00"), Decimal("10000.00"))
    with org_scope(fund.a.city):  # the reminder a month ahead
        todo = deposits_todo(fund.a.reviewers.finance_head)
    assert todo[0].count == 1 and not todo[0].urgent
    expected = deposits.deposit_interest_expected(deposit=deposit)
    assert expected == Decimal("107.88")  # 6,000 x 1.75% x 375 / 365 = 107.876
    user = fund.a.reviewers.finance_head
    with act(user):
        matured = deposits.deposit_mature(
            actor=user, deposit=deposit, version=deposit.version, matured_on=TODAY, interest=Decimal("105.00")
        )
        with pytest.raises(ValidationError):  # booked once
            deposits.deposit_mature(
                actor=user, deposit=deposit, version=deposit.version, matured_on=TODAY, interest=Decimal("105.00")
            )
    assert matured.status == DepositStatus.MATURED
    assert balance(fund.a.city, Account.INTEREST_INCOME, fund.a.plan) == Decimal("105.00")
    assert balance(fund.a.city, Account.TIME_DEPOSITS, fund.a.plan) == 0
    assert balance(fund.a.city, Account.BANK, fund.a.plan) == Decimal("10105.00")
    assert books_balance(fund.a.city)


@pytest.mark.parametrize("kind", ["stock", "fund", "bond", "futures", "wealth_product"])
def test_what_the_fund_may_not_be_invested_in_is_refused_naming_the_rule(fund: Tree, kind: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _place(fund, kind=kind)
    assert "kind" in refused.value.message_dict and "2018" in refused.value.message_dict["kind"][0]
    assert not Deposit.objects.with_scopes_disabled().exists()


def test_a_deposit_maturing_before_it_starts_or_beyond_the_bank_is_refused(fund: Tree) -> None:
    entries = JournalEntry.objects.with_scopes_disabled().count()
    with pytest.raises(ValidationError) as refused:
        _place(fund, starts_on=TODAY, matures_on=TODAY - timedelta(days=1))
    assert "matures_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _place(fund, amount=Decimal("10000.01"))
    assert "amount" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:  # from the collective-decision amount, the meeting
        _place(fund, amount=Decimal("100000.00"))
    assert "meeting" in refused.value.message_dict
    assert JournalEntry.objects.with_scopes_disabled().count() == entries
    deposit = _place(fund)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the rule too
        Deposit.objects.with_scopes_disabled().filter(pk=deposit.pk).update(matures_on=deposit.starts_on)


def test_an_overdue_deposit_is_urgent_on_the_home_page(fund: Tree) -> None:
    _place(fund, starts_on=TODAY - timedelta(days=400), matures_on=TODAY - timedelta(days=5))
    with org_scope(fund.a.city):
        todo = deposits_todo(fund.a.reviewers.finance_head)
    assert todo[0].count == 1 and todo[0].urgent


def test_the_pages_and_the_api_record_income_and_deposits(fund: Tree) -> None:
    page = Client()
    page.force_login(fund.a.reviewers.finance_head)
    listing = reverse("finance:deposit_list")
    shown = page.get(listing).content.decode()
    assert 'data-testid="holdings"' in shown and "10,000.00" in shown
    answer = page.post(
        listing,
        {
            "kind": "treasury_bond",
            "plan": fund.a.plan.pk,
            "institution": "财政部",
            "amount": "1000.00",
            "annual_rate": "2.38",
            "starts_on": TODAY,
            "matures_on": TODAY - timedelta(days=3),
            "bank_reference": "GZ-1",
        },
    )
    assert answer.status_code == 200 and not Deposit.objects.with_scopes_disabled().exists()
    token, _created = Token.objects.get_or_create(user=fund.a.reviewers.finance_head)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = reverse("api_finance_deposits", kwargs={"version": "v1"})
    body = {
        "plan": fund.a.plan.pk,
        "kind": "stock",
        "institution": "某证券",
        "amount": "100.00",
        "annual_rate": "0.0100",
        "starts_on": str(TODAY),
        "matures_on": str(TODAY + timedelta(days=90)),
        "bank_reference": "GP-1",
    }
    assert api.post(url, body, content_type="application/json").status_code == 400
    made = api.post(url, body | {"kind": "treasury_bond"}, content_type="application/json")
    assert made.status_code == 201, made.content
    holdings = api.get(reverse("api_finance_holdings", kwargs={"version": "v1"})).json()
    assert holdings["treasury_bonds"] == "100.00" and holdings["cash"] == "9900.00"
    income = api.post(
        reverse("api_finance_income", kwargs={"version": "v1"}),
        {"plan": fund.a.plan.pk, "kind": "subsidy", "amount": "10.00", "payer": "区总工会", "received_on": str(TODAY)}
        | {"bank_reference": "SUB-9", "union_level": "county"},
        content_type="application/json",
    )
    assert income.status_code == 201, income.content
    stranger = Client()
    stranger.force_login(fund.b.office_user)
    deposit = Deposit.objects.with_scopes_disabled().get()
    assert stranger.get(reverse("finance:deposit_detail", kwargs={"deposit_pk": deposit.pk})).status_code == 404

"""Overdrawn books: a bank account below zero is flagged on the books page, and a payment that
would take it below zero (counting the other approved payments not yet paid) is booked only with
a written reason, recorded on the payment, on the page and through the API alike."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from finance.models import Account, FinanceSettings, JournalEntry, PaymentRequest, PaymentStatus
from finance.selectors.books import account_balance_list
from finance.services import ledger, payments
from finance.services.ledger import credit, debit
from mutualaid import dates
from mutualaid.models import Organisation
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree

TODAY = dates.business_today()


@pytest.fixture
def books(tree: Tree) -> Tree:
    return _fund(tree)


def _fund(tree: Tree) -> Tree:
    """City A runs the plan and holds 50.00 yuan in its bank account; its fee cap is the whole
    premium (100.00), so that only the bank balance stands in a fee's way."""
    tree.a.with_enrollment(100)
    tree.a.reviewers = claimkit.reviewers(tree.a.city, "xa")
    with unscoped():
        FinanceSettings.objects.update_or_create(
            org=tree.a.city, defaults={"org_path": tree.a.city.path, "fee_cap_ratio": Decimal("1")}
        )
    _bank(tree, "funds", debit(Account.BANK, Decimal("50.00")), credit(Account.PREMIUM_INCOME, Decimal("50.00")))
    return tree


def _bank(tree: Tree, key: str, *legs: ledger.Leg) -> JournalEntry:
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        return ledger.entry_post(
            actor=tree.a.office_user,
            office=tree.a.city,
            plan=tree.a.plan,
            kind="management_fee",
            posted_on=TODAY,
            memo="测试",
            legs=list(legs),
            key=key,
        )


def _approved_fee(tree: Tree, amount: str) -> PaymentRequest:
    people = tree.a.reviewers
    with org_scope(tree.a.city, actor_id=people.finance.pk):
        payment = payments.payment_prepare(
            actor=people.finance,
            plan=tree.a.plan,
            kind="management_fee",
            amount=Decimal(amount),
            payee="办公用品供应商",
            purpose="办公用品",
        )
    for user in (people.head, people.finance_head, people.leader):
        with org_scope(tree.a.city, actor_id=user.pk):
            current = PaymentRequest.objects.get(pk=payment.pk)
            payment = payments.payment_approve(actor=user, payment=current, version=current.version)
    assert payment.status == PaymentStatus.APPROVED
    return payment


def _fresh(payment: PaymentRequest) -> PaymentRequest:
    with unscoped():
        return PaymentRequest.objects.select_related("overdraw_by").get(pk=payment.pk)


def _entries(tree: Tree) -> int:
    with unscoped():
        return JournalEntry.objects.filter(org=tree.a.city).count()


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _api(user: object) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def _pay_page(client: Client, payment: PaymentRequest, **extra: str) -> str:
    url = reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})
    data = {"action": "paid", "paid_on": f"{TODAY:%Y-%m-%d}", "bank_reference": "CCB-1", **extra}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_bank_account_below_zero_is_flagged_on_the_books_page(books: Tree) -> None:
    fee = Decimal("1234.56")
    _bank(books, "overdraw", debit(Account.MANAGEMENT_FEE, fee), credit(Account.BANK, fee))
    with org_scope(books.a.city, actor_id=books.a.office_user.pk):
        rows = account_balance_list(office=books.a.city, plan=None, month=dates.month_start(TODAY))
    bank = next(row for row in rows if row.account == Account.BANK)
    assert bank.closing == Decimal("-1184.56") and bank.overdrawn
    assert not any(row.overdrawn for row in rows if row.account != Account.BANK)
    page = _client(books.a.office_user).get(reverse("finance:books")).content.decode()
    assert 'data-testid="overdrawn"' in page
    assert "账户余额为负：" in page and "-1,184.56" in page


def test_a_bank_account_above_zero_is_not_flagged(books: Tree) -> None:
    page = _client(books.a.office_user).get(reverse("finance:books")).content.decode()
    assert 'data-testid="overdrawn"' not in page and "账户余额为负" not in page


def test_a_payment_within_the_balance_is_booked_without_a_reason(books: Tree) -> None:
    payment = _approved_fee(books, "30.00")
    page = _pay_page(_client(books.a.reviewers.finance), payment)
    assert 'data-testid="overdraft-warning"' not in page
    paid = _fresh(payment)
    assert paid.status == PaymentStatus.PAID and paid.entry_id is not None
    assert paid.overdraw_reason == "" and paid.overdraw_by is None


def test_a_payment_that_would_overdraw_is_refused_without_a_reason_and_nothing_changes(books: Tree) -> None:
    payment = _approved_fee(books, "80.00")
    client = _client(books.a.reviewers.finance)
    detail = client.get(reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk})).content.decode()
    assert 'data-testid="overdraft-warning"' in detail and 'name="overdraw_reason"' in detail
    entries = _entries(books)
    for reason in ("", "急需付款"):  # none, and one under 5 characters
        page = _pay_page(client, payment, overdraw_reason=reason)
        assert 'class="msg error"' in page and "1001" in page and "低于零" in page
        assert "50.00" in page and "30.00" in page  # the balance and the shortfall
    assert _entries(books) == entries
    unchanged = _fresh(payment)
    assert unchanged.status == PaymentStatus.APPROVED and unchanged.entry_id is None
    assert unchanged.overdraw_reason == "" and unchanged.version == payment.version


def test_a_payment_that_would_overdraw_is_booked_with_a_reason_recorded_and_shown(books: Tree) -> None:
    payment = _approved_fee(books, "80.00")
    client = _client(books.a.reviewers.finance)
    page = _pay_page(client, payment, overdraw_reason="省里拨款在途，先行垫付")
    paid = _fresh(payment)
    assert paid.status == PaymentStatus.PAID and paid.entry_id is not None
    assert paid.overdraw_reason == "省里拨款在途，先行垫付"
    assert paid.overdraw_by == books.a.reviewers.finance and paid.overdraw_shortfall == Decimal("30.00")
    assert 'data-testid="overdraw"' in page and "省里拨款在途，先行垫付" in page and "30.00" in page
    books_page = _client(books.a.office_user).get(reverse("finance:books")).content.decode()
    assert "账户余额为负：" in books_page and "-30.00" in books_page


def test_other_approved_payments_not_yet_paid_count_against_the_balance(books: Tree) -> None:
    first = _approved_fee(books, "30.00")
    _approved_fee(books, "30.00")  # approved too: together they need 60.00 of the 50.00 held
    finance = books.a.reviewers.finance
    with org_scope(books.a.city, actor_id=finance.pk), pytest.raises(ValidationError) as refused:
        payments.payment_mark_paid(actor=finance, payment=first, paid_on=TODAY, bank_reference="R-1")
    assert refused.value.code == "overdraw"
    assert "10.00" in " ".join(refused.value.messages)  # the shortfall
    assert _fresh(first).status == PaymentStatus.APPROVED


def test_the_api_refuses_an_overdraft_without_a_reason_and_books_it_with_one(books: Tree) -> None:
    payment = _approved_fee(books, "80.00")
    client = _api(books.a.reviewers.finance)
    url = reverse("api_finance_payment_paid", kwargs={"version": "v1", "payment_pk": payment.pk})
    body = {"paid_on": f"{TODAY:%Y-%m-%d}", "bank_reference": "API-1"}
    entries = _entries(books)
    refused = client.post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 400
    message = " ".join(refused.json()["detail"])
    assert "1001" in message and "30.00" in message and "低于零" in message
    assert _entries(books) == entries and _fresh(payment).status == PaymentStatus.APPROVED
    body["overdraw_reason"] = "省里拨款在途，先行垫付"
    booked = client.post(url, json.dumps(body), content_type="application/json")
    assert booked.status_code == 200, booked.content
    assert booked.json()["status"] == "paid" and booked.json()["overdraw_reason"] == "省里拨款在途，先行垫付"
    assert _fresh(payment).overdraw_by == books.a.reviewers.finance


def test_the_api_books_a_payment_within_the_balance_without_a_reason(books: Tree) -> None:
    payment = _approved_fee(books, "20.00")
    url = reverse("api_finance_payment_paid", kwargs={"version": "v1", "payment_pk": payment.pk})
    body = {"paid_on": f"{TODAY:%Y-%m-%d}", "bank_reference": "API-2"}
    booked = _api(books.a.reviewers.finance).post(url, json.dumps(body), content_type="application/json")
    assert booked.status_code == 200 and booked.json()["overdraw_reason"] == ""


def test_a_sibling_office_gets_404_on_the_page_and_the_api(books: Tree) -> None:
    payment = _approved_fee(books, "80.00")
    stranger = claimkit.reviewers(books.b.city, "bj").finance
    page = _client(stranger).get(reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk}))
    assert page.status_code == 404
    posted = _client(stranger).post(
        reverse("finance:payment_detail", kwargs={"payment_pk": payment.pk}),
        {"action": "paid", "paid_on": f"{TODAY:%Y-%m-%d}", "bank_reference": "X", "overdraw_reason": "别人的款项"},
    )
    assert posted.status_code == 404
    url = reverse("api_finance_payment_paid", kwargs={"version": "v1", "payment_pk": payment.pk})
    body = {"paid_on": f"{TODAY:%Y-%m-%d}", "bank_reference": "X", "overdraw_reason": "别人的款项"}
    answer = _api(stranger).post(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 404
    assert _fresh(payment).status == PaymentStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_a_payment_booked_while_another_posting_holds_the_office_waits_and_sees_it(tree: Tree) -> None:
    """Another payment out of the same bank account is being booked (it holds the office's row
    lock, as `payment_mark_paid` does): this one waits for it, then reads the lower balance."""
    _fund(tree)
    payment = _approved_fee(tree, "30.00")
    holding, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_payment() -> None:
        try:
            with transaction.atomic(), org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
                office = Organisation.objects.select_for_update(no_key=True).filter(pk=tree.a.city.pk)
                list(office.values_list("pk"))
                fee = Decimal("40.00")
                _bank(tree, "other", debit(Account.MANAGEMENT_FEE, fee), credit(Account.BANK, fee))
                holding.set()
                go_on.wait(10)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=other_payment)
    thread.start()
    assert holding.wait(10), errors
    threading.Timer(1.0, go_on.set).start()  # the other booking commits a second later
    finance = tree.a.reviewers.finance
    with org_scope(tree.a.city, actor_id=finance.pk), pytest.raises(ValidationError) as refused:
        payments.payment_mark_paid(actor=finance, payment=payment, paid_on=TODAY, bank_reference="R-9")
    thread.join()
    assert not errors, errors
    message = " ".join(refused.value.messages)
    assert "10.00" in message and "20.00" in message  # the balance after the other booking (50 - 40), the shortfall
    assert _fresh(payment).status == PaymentStatus.APPROVED

"""The dedicated account's books: postings, their database guarantees, premiums, remittances up
the tree, payments approved in layers, and the claims batches they pay."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from finance.models import (
    Account,
    ClosedMonth,
    JournalEntry,
    JournalLine,
    PaymentRequest,
    Remittance,
    RemittanceStatus,
)
from finance.selectors.remittances import remittance_warning_list
from finance.services import ledger, payments, premiums, remittances
from finance.services.ledger import credit, debit
from mutualaid import dates
from mutualaid.numbers import month_text
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit, finkit
from tests.conftest import Tree
from tests.factories import UserFactory

TODAY = dates.business_today()


@pytest.fixture
def books(tree: Tree) -> Tree:
    """City A runs the plan; its unit's policy is issued; reviewers and finance people exist."""
    tree.a.with_enrollment(100)
    tree.a.reviewers = claimkit.reviewers(tree.a.city, "xa")
    return tree


def _post(tree: Tree, key: str, amount: str = "100.00", **changes: object) -> JournalEntry:
    values: dict[str, object] = {
        "actor": tree.a.office_user,
        "office": tree.a.city,
        "plan": tree.a.plan,
        "kind": "payment",
        "posted_on": TODAY,
        "memo": "测试",
        "legs": [debit(Account.BANK, Decimal(amount)), credit(Account.PREMIUM_INCOME, Decimal(amount))],
        "key": key,
    }
    values.update(changes)
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        return ledger.entry_post(**values)  # type: ignore[arg-type]


def _balance(tree: Tree, office: object, account: str) -> Decimal:
    with unscoped():  # the balance is read in the scope of the office asking; a test looks at any office
        return ledger.balance_get(office=office, plan=tree.a.plan, account=account)  # type: ignore[arg-type]


# The ledger's guarantees ---------------------------------------------------------------------


def test_a_policy_makes_its_premium_receivable_in_the_agent_point_s_books(books: Tree) -> None:
    premium = books.a.policy.premium
    assert premium > 0
    assert _balance(books, books.a.county, Account.PREMIUM_RECEIVABLE) == premium
    assert _balance(books, books.a.county, Account.DUE_TO_ABOVE) == premium
    with unscoped():
        entry = JournalEntry.objects.get(idempotency_key=f"policy:{books.a.policy.pk}")
        assert entry.org_id == books.a.county.pk and entry.lines.count() == 2


def test_the_same_posting_sent_twice_posts_once(books: Tree) -> None:
    first = _post(books, "double-click")
    second = _post(books, "double-click")
    assert first.pk == second.pk
    with unscoped():
        assert JournalEntry.objects.filter(idempotency_key="double-click").count() == 1
    assert _balance(books, books.a.city, Account.BANK) == Decimal("100.00")


def test_an_unbalanced_entry_is_refused_with_a_message_and_nothing_is_saved(books: Tree) -> None:
    with unscoped():
        before = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        _post(
            books,
            "unbalanced",
            legs=[debit(Account.BANK, Decimal("100")), credit(Account.PREMIUM_INCOME, Decimal("90"))],
        )
    assert "100" in str(caught.value) and "90" in str(caught.value)
    with unscoped():
        assert JournalEntry.objects.count() == before


def test_the_database_refuses_an_unbalanced_entry_written_around_the_service(books: Tree) -> None:
    entry = _post(books, "good")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_journalentry (org_id, org_path, plan_id, number, kind, posted_on, memo, "
            "idempotency_key, bank_reference, created_by_id, created_at) "
            "SELECT org_id, org_path, plan_id, 'RAW1', kind, posted_on, memo, 'raw-1', '', created_by_id, now() "
            "FROM finance_journalentry WHERE id = %s RETURNING id",
            [entry.pk],
        )
        (raw_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO finance_journalline (org_id, org_path, entry_id, plan_id, posted_on, account, debit, credit) "
            "SELECT l.org_id, l.org_path, %s, l.plan_id, l.posted_on, v.account, v.debit, v.credit "
            "FROM (SELECT * FROM finance_journalline WHERE entry_id = %s LIMIT 1) l, "
            "(VALUES ('1001', 50, 0), ('6001', 0, 40)) AS v(account, debit, credit)",
            [raw_id, entry.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.parametrize(
    "sql", ["UPDATE finance_journalline SET debit = debit + 1", "DELETE FROM finance_journalentry"]
)
def test_posted_rows_cannot_be_changed_or_deleted_even_by_raw_sql(books: Tree, sql: str) -> None:
    _post(books, "kept")
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def test_a_mistake_is_corrected_by_a_reversal_that_points_at_it(books: Tree) -> None:
    entry = _post(books, "mistake", "250.00")
    with org_scope(books.a.city, actor_id=books.a.office_user.pk):
        reversal = ledger.entry_reverse(actor=books.a.office_user, entry=entry, reason="金额录错")
        with pytest.raises(ValidationError):
            ledger.entry_reverse(actor=books.a.office_user, entry=entry, reason="again")
    assert reversal.reverses_id == entry.pk
    assert _balance(books, books.a.city, Account.BANK) == 0
    with unscoped():
        assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_a_closed_month_takes_no_posting(books: Tree) -> None:
    last = finkit.last_month()
    with org_scope(books.a.city, actor_id=books.a.office_user.pk):
        ledger.month_close(actor=books.a.office_user, month=last)
    with pytest.raises(ValidationError) as caught:
        _post(books, "late", posted_on=last + timedelta(days=3))
    assert month_text(last) in str(caught.value)  # the month as a person reads it: 2026年11月
    # And below the service, the database's own trigger.
    entry = _post(books, "now")
    with pytest.raises(IntegrityError, match="closed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO finance_journalline (org_id, org_path, entry_id, plan_id, posted_on, account, debit, credit) "
            "SELECT org_id, org_path, entry_id, plan_id, %s, account, debit, credit FROM finance_journalline "
            "WHERE entry_id = %s LIMIT 1",
            [last + timedelta(days=3), entry.pk],
        )
    with unscoped():
        assert ClosedMonth.objects.filter(org=books.a.city).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_to_one_account_keep_an_exact_balance(tree: Tree) -> None:
    tree.a.with_enrollment(100)
    workers, each = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                _post(tree, f"parallel-{n}-{i}", "0.01")
                _post(tree, f"parallel-{n}-{i}", "0.01")  # a retry: posts nothing
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert _balance(tree, tree.a.city, Account.BANK) == Decimal("0.01") * workers * each


# Premiums and remittances ----------------------------------------------------------------------


def test_premium_received_moves_it_from_receivable_to_the_bank(books: Tree) -> None:
    agent = books.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        premiums.premium_receive(actor=agent, policy=books.a.policy, received_on=TODAY, bank_reference="B-1")
        premiums.premium_receive(actor=agent, policy=books.a.policy, received_on=TODAY, bank_reference="B-1")
    assert _balance(books, books.a.county, Account.PREMIUM_RECEIVABLE) == 0
    assert _balance(books, books.a.county, Account.BANK) == books.a.policy.premium


def test_the_agent_point_remits_its_month_and_the_city_receives_it_with_the_reserve(books: Tree) -> None:
    premium = books.a.policy.premium
    report = finkit.last_month_report(books.a)
    assert report.amount_due == premium
    assert report.due_on.day == 15 and report.due_on.month == TODAY.month  # an agent point: by the 15th
    assert report.lines[0]["members"] == 2 and report.to_office_id == books.a.city.pk
    agent = books.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        # The unit paid: the bank covers the transfer (finance/services/overdraft.py).
        premiums.premium_receive(actor=agent, policy=books.a.policy, received_on=TODAY, bank_reference="U-1")
        report = remittances.remittance_confirm(
            actor=agent, remittance=report, amount=premium, bank_reference="ICBC-001", remitted_on=TODAY
        )
        with pytest.raises(ValidationError):  # confirmed once only
            remittances.remittance_confirm(
                actor=agent, remittance=report, amount=premium, bank_reference="ICBC-001", remitted_on=TODAY
            )
    assert _balance(books, books.a.county, Account.DUE_TO_ABOVE) == 0
    # In transit: the city is owed it, and counts it as income already (it runs the plan).
    assert _balance(books, books.a.city, Account.DUE_FROM_BELOW) == premium
    head = books.a.office_user
    with org_scope(books.a.city, actor_id=head.pk):
        remittances.remittance_receive(actor=head, remittance=report)
    # City A runs the plan: the premium is its income, and 10% is set aside as reserve.
    assert _balance(books, books.a.city, Account.PREMIUM_INCOME) == premium
    assert _balance(books, books.a.city, Account.BANK) == premium
    assert _balance(books, books.a.city, Account.DUE_FROM_BELOW) == 0
    assert _balance(books, books.a.city, Account.RESERVE_FUND) == (premium * Decimal("0.1")).quantize(Decimal("0.01"))
    with unscoped():
        assert Remittance.objects.get(pk=report.pk).status == RemittanceStatus.RECEIVED


def test_a_month_without_policies_has_nothing_to_remit(books: Tree) -> None:
    agent = books.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk), pytest.raises(ValidationError) as caught:
        remittances.remittance_draft(actor=agent, office=agent.org, month=date(2026, 2, 1))
    assert month_text(date(2026, 2, 1)) in str(caught.value)  # the month as a person reads it
    with org_scope(agent.org, actor_id=agent.pk), pytest.raises(ValidationError):
        remittances.remittance_draft(actor=agent, office=agent.org, month=dates.month_start(TODAY))  # not over yet


def test_the_city_sees_a_short_and_a_missing_remittance_with_the_amount_outstanding(
    books: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    premium = books.a.policy.premium
    report = finkit.last_month_report(books.a)
    after_due = report.due_on + timedelta(days=1)
    monkeypatch.setattr(dates, "business_today", lambda: after_due)
    with org_scope(books.a.city):
        warnings = remittance_warning_list(office=books.a.city)
    assert [(w.office.pk, w.problem, w.outstanding) for w in warnings] == [(books.a.county.pk, "missing", premium)]
    agent = books.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        premiums.premium_receive(actor=agent, policy=books.a.policy, received_on=after_due, bank_reference="U-1")
        remittances.remittance_confirm(
            actor=agent, remittance=report, amount=premium - Decimal("20.00"), bank_reference="R", remitted_on=after_due
        )
    with org_scope(books.a.city):
        warnings = remittance_warning_list(office=books.a.city)
    assert [(w.problem, w.outstanding) for w in warnings] == [("short", Decimal("20.00"))]


def test_a_remittance_is_confirmed_only_by_its_office_and_for_no_more_than_due(books: Tree) -> None:
    report = finkit.last_month_report(books.a)
    # Another city's agent point: the report is not even visible to it.
    with org_scope(books.b.county, actor_id=books.b.county_agent.pk), pytest.raises(Remittance.DoesNotExist):
        remittances.remittance_confirm(
            actor=books.b.county_agent, remittance=report, amount=Decimal(1), bank_reference="X", remitted_on=TODAY
        )
    agent = books.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk), pytest.raises(ValidationError) as caught:
        remittances.remittance_confirm(
            actor=agent, remittance=report, amount=report.amount_due + 1, bank_reference="", remitted_on=TODAY
        )
    assert {"amount", "bank_reference"} <= set(caught.value.message_dict)


# Payments ----------------------------------------------------------------------------------------


def _prepare(tree: Tree, **changes: object) -> PaymentRequest:
    finance = tree.a.reviewers.finance
    values: dict[str, object] = {
        "actor": finance,
        "plan": tree.a.plan,
        "kind": "management_fee",
        "amount": Decimal("1.00"),
        "payee": "办公用品供应商",
        "purpose": "办公用品",
    }
    values.update(changes)
    with org_scope(finance.org, actor_id=finance.pk):
        return payments.payment_prepare(**values)  # type: ignore[arg-type]


def _approve(user: object, payment: PaymentRequest) -> PaymentRequest:
    with org_scope(user.org, actor_id=user.pk):  # type: ignore[attr-defined]
        current = PaymentRequest.objects.get(pk=payment.pk)
        return payments.payment_approve(actor=user, payment=current, version=current.version)  # type: ignore[arg-type]


def test_a_payment_is_approved_by_three_different_people_in_layers_and_then_booked(books: Tree) -> None:
    people = books.a.reviewers
    payment = _prepare(books)
    with pytest.raises(PermissionDenied):
        _approve(people.finance_head, payment)  # the office head signs first
    payment = _approve(people.head, payment)
    payment = _approve(people.finance_head, payment)
    assert payment.status == "pending"
    payment = _approve(people.leader, payment)
    assert payment.status == "approved"
    with org_scope(books.a.city, actor_id=people.finance.pk):
        paid = payments.payment_mark_paid(  # the city's bank account holds nothing yet: confirmed
            actor=people.finance, payment=payment, paid_on=TODAY, bank_reference="P-1", overdraw_reason="先行垫付费用"
        )
    assert paid.status == "paid"
    assert _balance(books, books.a.city, Account.MANAGEMENT_FEE) == Decimal("1.00")


def test_whoever_prepares_cannot_approve_and_no_one_signs_twice(books: Tree) -> None:
    people = books.a.reviewers
    both = UserFactory(username="xa_both", org=books.a.city, roles=["finance_officer", "office_head", "finance_head"])
    mine = _prepare(books, actor=both)
    with pytest.raises(PermissionDenied) as caught:
        _approve(both, mine)
    assert "prepared" in str(caught.value) or "经办" in str(caught.value) or "准备" in str(caught.value)
    other = _prepare(books)
    _approve(both, other)  # as office head
    with pytest.raises(PermissionDenied):
        _approve(both, other)  # and again as finance head: refused
    with pytest.raises(PermissionDenied):
        _approve(people.officer, other)  # a role without the right


def test_a_large_payment_needs_the_collective_decision_and_a_fee_above_the_cap_is_refused(books: Tree) -> None:
    with pytest.raises(ValidationError) as caught:
        _prepare(books, amount=Decimal("150000.00"))
    assert "meeting" in caught.value.message_dict
    # The cap: 5% of the year's premium of the plan in the office's tree.
    cap = (books.a.policy.premium * Decimal("0.05")).quantize(Decimal("0.01"))
    with pytest.raises(ValidationError) as caught:
        _prepare(books, amount=cap + Decimal("0.01"))
    assert "amount" in caught.value.message_dict
    assert _prepare(books, amount=cap).amount == cap


def test_a_claims_batch_goes_to_the_bank_after_approval_and_its_payment_is_booked(books: Tree) -> None:
    people = books.a.reviewers
    claimkit.set_schedule(books.a.office_user, books.a.period)
    claim = claimkit.approve(people, claimkit.register(books.a.unit_agent, books.a.enrollment))
    batch = claimkit.pay(people, [claim])
    with unscoped():
        payment = PaymentRequest.objects.get(claims_batch=batch)
        lines = list(JournalLine.objects.filter(entry__kind="claims_paid").values_list("account", "debit", "credit"))
    assert payment.status == "paid" and payment.entry is not None
    assert sorted(lines) == [("1001", 0, Decimal("2080.00")), ("6401", Decimal("2080.00"), 0)]


def test_the_monthly_task_drafts_every_office_s_report_once(books: Tree) -> None:
    from finance.tasks import draft_all_remittances

    finkit.move_policy_to(books.a.policy, finkit.last_month())
    assert draft_all_remittances.delay().get() == 1
    draft_all_remittances.delay().get()  # again: the same report, redrafted
    with unscoped():
        reports = list(Remittance.objects.values_list("org_id", "month", "amount_due"))
    assert reports == [(books.a.county.pk, finkit.last_month(), books.a.policy.premium)]


def test_a_claims_batch_s_payment_takes_the_batch_s_figures_and_may_be_prepared_again_after_a_rejection(
    books: Tree,
) -> None:
    from claims.services.payment import batch_create

    people = books.a.reviewers
    claimkit.set_schedule(books.a.office_user, books.a.period)
    claim = claimkit.approve(people, claimkit.register(books.a.unit_agent, books.a.enrollment))
    finance = people.finance
    with org_scope(finance.org, actor_id=finance.pk):
        batch = batch_create(actor=finance, claim_ids=[claim.pk])
    with pytest.raises(ValidationError) as caught:  # an amount typed wrong is refused, never replaced
        _prepare(books, kind="claims_batch", claims_batch=batch, plan=None, amount=Decimal("999.00"))
    assert "amount" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:  # a batch belongs only to a claims batch's payment
        _prepare(books, claims_batch=batch)
    assert "claims_batch" in caught.value.message_dict
    first = _prepare(books, kind="claims_batch", claims_batch=batch, plan=None, amount=None, payee="", purpose="")
    assert (first.amount, first.plan, batch.number in first.payee) == (batch.total, books.a.plan, True)
    with pytest.raises(ValidationError):  # one payment under way at a time
        _prepare(books, kind="claims_batch", claims_batch=batch, plan=None, amount=None)
    with org_scope(people.head.org, actor_id=people.head.pk):
        payments.payment_reject(actor=people.head, payment=first, version=first.version, reason="会议纪要缺页")
    second = _prepare(books, kind="claims_batch", claims_batch=batch, plan=None, amount=None, payee="", purpose="")
    with org_scope(finance.org, actor_id=finance.pk):
        with pytest.raises(ValidationError):  # not approved: no transfer file, nothing sent
            payments.payment_transfer_file(actor=finance, payment=second)
        with pytest.raises(ValidationError):
            payments.payment_mark_sent(actor=finance, payment=second, version=second.version)
        with pytest.raises(ValidationError):  # a fee has no transfer file to send
            fee = _prepare(books)
            payments.payment_mark_sent(actor=finance, payment=fee, version=fee.version)
    with unscoped():
        assert list(
            PaymentRequest.objects.filter(claims_batch=batch).values_list("status", flat=True).order_by("pk")
        ) == [
            "rejected",
            "pending",
        ]

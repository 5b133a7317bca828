"""Receipts (收据) for the premium units pay: numbered per office and year without gaps, also
when booked at once, partial payments with what is still owed, refunds with a red receipt that
points at the original, and the PDF read back as text."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment, Policy
from enrollment.services.enrollments import enrollment_cancel
from finance.models import Account, JournalEntry, PaymentRequest, PremiumReceipt, ReceiptKind
from finance.services import ledger, payments, premiums
from finance.services.income import income_record
from finance.services.receipts import receipt_refund
from mutualaid import dates
from mutualaid.numbers import money_capitals, money_text
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.test_claims_paperwork import pdf_text

TODAY = dates.business_today()


@pytest.fixture
def billed(tree: Tree) -> Tree:
    """City A's unit holds a policy whose premium its agent point collects."""
    tree.a.with_enrollment(100)
    return tree


def _receive(tree: Tree, amount: str | None, reference: str) -> JournalEntry:
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return premiums.premium_receive(
            actor=agent,
            policy=tree.a.policy,
            received_on=TODAY,
            bank_reference=reference,
            amount=None if amount is None else Decimal(amount),
        )


def _receipts(tree: Tree) -> list[PremiumReceipt]:
    with unscoped():
        return list(PremiumReceipt.objects.filter(org=tree.a.county).order_by("sequence"))


def _bank(tree: Tree) -> Decimal:
    with unscoped():
        return ledger.balance_get(office=tree.a.county, plan=tree.a.plan, account=Account.BANK)


def test_a_unit_pays_in_parts_each_with_its_numbered_receipt_and_what_is_still_owed(billed: Tree) -> None:
    premium = billed.a.policy.premium
    _receive(billed, "30.00", "B-1")
    _receive(billed, "30.00", "B-1")  # the same transfer sent twice: one receipt
    _receive(billed, None, "B-2")  # the rest
    first, second = _receipts(billed)
    code = billed.a.county.code
    assert [first.number, second.number] == [f"{code}-{TODAY.year}-000001", f"{code}-{TODAY.year}-000002"]
    assert first.amount == Decimal("30.00") and first.outstanding_after == premium - Decimal("30.00")
    assert second.amount == premium - Decimal("30.00") and second.outstanding_after == 0
    assert first.unit_id == billed.a.unit.pk and first.entry.bank_reference == "B-1"
    assert _bank(billed) == premium
    # Paid in full: a further payment, and one more than owed, are refused and book nothing.
    with pytest.raises(ValidationError) as caught:
        _receive(billed, "1.00", "B-3")
    assert billed.a.policy.number in str(caught.value)
    assert len(_receipts(billed)) == 2 and _bank(billed) == premium


def test_an_amount_above_what_is_owed_is_refused_with_the_amount_owed(billed: Tree) -> None:
    premium = billed.a.policy.premium
    with pytest.raises(ValidationError) as caught:
        _receive(billed, str(premium + Decimal("0.01")), "B-1")
    assert str(premium) in str(caught.value)
    for bad in ("0", "-5.00", "1.234"):
        with pytest.raises(ValidationError):
            _receive(billed, bad, "B-1")
    assert _receipts(billed) == [] and _bank(billed) == 0


def test_a_refund_gets_a_red_receipt_pointing_at_the_original_and_cannot_exceed_it(billed: Tree) -> None:
    premium = billed.a.policy.premium
    _receive(billed, None, "B-1")
    (original,) = _receipts(billed)
    # A correction ended members worth 30 yuan more than the unit owes now: paid 30 yuan too much.
    with unscoped():
        Policy.objects.filter(pk=billed.a.policy.pk).update(premium=F("premium") - Decimal("30.00"))
    agent = billed.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        red = receipt_refund(
            actor=agent,
            receipt=original,
            amount=Decimal("30.00"),
            refunded_on=TODAY,
            bank_reference="R-1",
            reason="两人退保",
        )
        again = receipt_refund(
            actor=agent,
            receipt=original,
            amount=Decimal("30.00"),
            refunded_on=TODAY,
            bank_reference="R-1",
            reason="两人退保",
        )
        assert again.pk == red.pk  # the same transfer twice: one red receipt
        with pytest.raises(ValidationError) as caught:
            receipt_refund(
                actor=agent, receipt=original, amount=premium, refunded_on=TODAY, bank_reference="R-2", reason="超额"
            )
        assert "0.00" in str(caught.value)  # nothing more paid beyond the premium
        with pytest.raises(ValidationError):  # a red receipt is not refunded again
            receipt_refund(
                actor=agent, receipt=red, amount=Decimal("1.00"), refunded_on=TODAY, bank_reference="R-3", reason="再退"
            )
        with pytest.raises(ValidationError):  # a reason is required
            receipt_refund(
                actor=agent,
                receipt=original,
                amount=Decimal("1.00"),
                refunded_on=TODAY,
                bank_reference="R-4",
                reason=" ",
            )
    assert red.kind == ReceiptKind.REFUND and red.original_id == original.pk and red.sequence == 2
    assert red.outstanding_after == Decimal("30.00") and red.signed_amount == Decimal("-30.00")
    assert _bank(billed) == premium - Decimal("30.00")
    with unscoped():
        assert ledger.balance_get(
            office=billed.a.county, plan=billed.a.plan, account=Account.PREMIUM_RECEIVABLE
        ) == Decimal("30.00")
    # Another office's staff cannot refund it.
    stranger = billed.b.county_agent
    with org_scope(stranger.org, actor_id=stranger.pk), pytest.raises(PermissionDenied):
        receipt_refund(
            actor=stranger,
            receipt=original,
            amount=Decimal("1.00"),
            refunded_on=TODAY,
            bank_reference="X",
            reason="伪造",
        )


def test_a_receipt_is_never_changed_or_deleted(billed: Tree) -> None:
    _receive(billed, None, "B-1")
    (receipt,) = _receipts(billed)
    for sql in (
        "UPDATE finance_premiumreceipt SET amount = 1 WHERE id = %s",
        "DELETE FROM finance_premiumreceipt WHERE id = %s",
    ):
        with pytest.raises(Exception, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [receipt.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), unscoped():  # one number once per office and year
        PremiumReceipt.objects.create(
            **{
                f.attname: getattr(receipt, f.attname)
                for f in PremiumReceipt._meta.concrete_fields
                if f.attname != "id"
            }
            | {"entry_id": _receive(billed, None, "B-1").pk}
        )


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_receipt_pdf_and_the_red_receipt_pdf_say_what_was_paid(billed: Tree) -> None:
    premium = billed.a.policy.premium
    agent = _login(billed.a.county_agent)
    response = agent.post(
        reverse("finance:premiums"),
        {"policy": billed.a.policy.pk, "received_on": TODAY.isoformat(), "bank_reference": "B-7", "amount": "30.50"},
    )
    assert response.status_code == 302
    (receipt,) = _receipts(billed)
    pdf = agent.get(reverse("finance:receipt_pdf", kwargs={"receipt_pk": receipt.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "收据" in text and receipt.number in text and billed.a.unit.name in text
    assert money_text(Decimal("30.50")) in text and money_capitals(Decimal("30.50")) in text
    assert money_text(premium - Decimal("30.50")) in text and "部分缴费" in text and billed.a.policy.number in text
    # A correction left 10 yuan of premium: the unit paid 20.50 too much, paid back through the page.
    with unscoped():
        Policy.objects.filter(pk=billed.a.policy.pk).update(premium=Decimal("10.00"))
    page = agent.post(
        reverse("finance:receipt_detail", kwargs={"receipt_pk": receipt.pk}),
        {"amount": "20.50", "refunded_on": TODAY.isoformat(), "bank_reference": "R-7", "reason": "多缴退回"},
    )
    assert page.status_code == 302
    red = _receipts(billed)[1]
    text = pdf_text(agent.get(reverse("finance:receipt_pdf", kwargs={"receipt_pk": red.pk})).content)
    assert "红字" in text and receipt.number in text and red.number in text and "多缴退回" in text
    assert "-" + money_text(Decimal("20.50")) in text
    # Bad input on the page: a message, nothing booked.
    bad = agent.post(
        reverse("finance:premiums"),
        {"policy": billed.a.policy.pk, "received_on": TODAY.isoformat(), "bank_reference": "B-8", "amount": "１２"},
        follow=True,
    )
    assert bad.status_code == 200 and "金额" in bad.content.decode()
    assert len(_receipts(billed)) == 2
    listing = agent.get(reverse("finance:receipt_list"))
    assert (
        listing.status_code == 200
        and receipt.number in listing.content.decode()
        and red.number in listing.content.decode()
    )
    # Another office's agent: the receipt does not exist for it.
    assert (
        _login(billed.b.county_agent).get(reverse("finance:receipt_pdf", kwargs={"receipt_pk": receipt.pk})).status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_receipts_booked_at_once_are_numbered_without_gap_or_twice(tree: Tree) -> None:
    tree.a.with_enrollment(100)
    workers = 4
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        try:
            start.wait()
            _receive(tree, "10.00", f"P-{n}")
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
    receipts = _receipts(tree)
    assert [r.sequence for r in receipts] == list(range(1, workers + 1))
    assert [r.outstanding_after for r in receipts] == [
        tree.a.policy.premium - Decimal("10.00") * n for n in range(1, workers + 1)
    ]


def test_a_refund_on_cancellation_is_booked_once_by_its_payment_with_a_red_receipt_linked(billed: Tree) -> None:
    """The premium of a cancelled member goes back by a payment approved in layers at the city;
    its red receipt, against the agent point's receipt, points at the payment's entry; neither
    path pays the same money again."""
    _receive(billed, None, "B-1")
    (original,) = _receipts(billed)
    with unscoped():
        member = Enrollment.objects.filter(policy=billed.a.policy).order_by("number").first()
    assert member is not None
    with org_scope(billed.a.city, actor_id=billed.a.office_user.pk):
        enrollment_cancel(actor=billed.a.office_user, enrollment=member, reason="调离")
    agent = billed.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk), pytest.raises(ValidationError) as caught:
        receipt_refund(
            actor=agent, receipt=original, amount=member.premium, refunded_on=TODAY, bank_reference="R-1", reason="退保"
        )
    assert billed.a.policy.number in str(caught.value)  # nothing paid beyond this policy's premium
    people = claimkit.reviewers(billed.a.city, "ct")
    with org_scope(billed.a.city, actor_id=people.finance_head.pk):  # the city's account holds money
        income_record(
            actor=people.finance_head,
            plan=billed.a.plan,
            kind="interest",
            amount=Decimal("500.00"),
            payer="工商银行",
            received_on=TODAY,
            bank_reference="INT-1",
        )
    with org_scope(billed.a.city, actor_id=people.finance.pk):
        payment = payments.payment_prepare(
            actor=people.finance,
            plan=billed.a.plan,
            kind="premium_refund",
            amount=member.premium,
            payee=billed.a.unit.name,
            purpose="退还调离会员保费",
            policy_number=billed.a.policy.number,
        )
    for user in (people.head, people.finance_head, people.leader):
        with org_scope(billed.a.city, actor_id=user.pk):
            current = PaymentRequest.objects.get(pk=payment.pk)
            payment = payments.payment_approve(actor=user, payment=current, version=current.version)
    with org_scope(billed.a.city, actor_id=people.finance_head.pk):
        paid = payments.payment_mark_paid(
            actor=people.finance_head, payment=payment, paid_on=TODAY, bank_reference="TF-1"
        )
    red = next(r for r in _receipts(billed) if r.kind == ReceiptKind.REFUND)
    assert red.entry_id == paid.entry_id and red.original_id == original.pk and red.amount == member.premium
    with unscoped():
        city_bank = ledger.balance_get(office=billed.a.city, plan=billed.a.plan, account=Account.BANK)
        refunds = ledger.balance_get(office=billed.a.city, plan=billed.a.plan, account=Account.PREMIUM_REFUNDS)
        booked = JournalEntry.objects.filter(kind__in=["premium_refund", "premium_refunded"]).count()
    assert city_bank == Decimal("500.00") - member.premium and refunds == member.premium  # out once
    assert booked == 1 and _bank(billed) == billed.a.policy.premium  # the agent point's account untouched
    with org_scope(agent.org, actor_id=agent.pk), pytest.raises(ValidationError):  # the receipt path: refused
        receipt_refund(
            actor=agent, receipt=original, amount=Decimal("1"), refunded_on=TODAY, bank_reference="R-2", reason="再退"
        )
    with org_scope(billed.a.city, actor_id=people.finance.pk), pytest.raises(ValidationError):  # nor paid again
        payments.payment_prepare(
            actor=people.finance,
            plan=billed.a.plan,
            kind="premium_refund",
            amount=Decimal("1.00"),
            payee=billed.a.unit.name,
            purpose="再退",
            policy_number=billed.a.policy.number,
        )


def _refund_paid(tree: Tree, amount: Decimal, reference: str) -> PaymentRequest:
    """A premium refund of the policy prepared, approved in three layers and paid at the city."""
    people = claimkit.reviewers(tree.a.city, "rr")
    with org_scope(tree.a.city, actor_id=people.finance_head.pk):  # the city's account holds money
        income_record(
            actor=people.finance_head,
            plan=tree.a.plan,
            kind="interest",
            amount=Decimal("500.00"),
            payer="工商银行",
            received_on=TODAY,
            bank_reference=f"INT-{reference}",
        )
    with org_scope(tree.a.city, actor_id=people.finance.pk):
        payment = payments.payment_prepare(
            actor=people.finance,
            plan=tree.a.plan,
            kind="premium_refund",
            amount=amount,
            payee=tree.a.unit.name,
            purpose="退还调离会员保费",
            policy_number=tree.a.policy.number,
        )
    for user in (people.head, people.finance_head, people.leader):
        with org_scope(tree.a.city, actor_id=user.pk):
            current = PaymentRequest.objects.get(pk=payment.pk)
            payment = payments.payment_approve(actor=user, payment=current, version=current.version)
    with org_scope(tree.a.city, actor_id=people.finance_head.pk):
        return payments.payment_mark_paid(
            actor=people.finance_head, payment=payment, paid_on=TODAY, bank_reference=reference
        )


def test_a_refund_over_several_partial_payments_gets_a_red_receipt_against_each_receipt_it_reverses(
    billed: Tree,
) -> None:
    """The unit paid its 100 yuan in three parts (30, 40, 30); a member of 50 yuan leaves and is
    paid back: the latest receipt is reversed whole (30) and the one before for the rest (20),
    each red receipt naming its original, numbered on in the agent point's sequence."""
    _receive(billed, "30.00", "B-1")
    _receive(billed, "40.00", "B-2")
    _receive(billed, None, "B-3")
    first, second, third = _receipts(billed)
    with unscoped():
        member = Enrollment.objects.filter(policy=billed.a.policy).order_by("number").first()
    assert member is not None and member.premium == Decimal("50.00") and third.amount == Decimal("30.00")
    with org_scope(billed.a.city, actor_id=billed.a.office_user.pk):
        enrollment_cancel(actor=billed.a.office_user, enrollment=member, reason="调离")
    paid = _refund_paid(billed, Decimal("50.00"), "TF-9")
    reds = [r for r in _receipts(billed) if r.kind == ReceiptKind.REFUND]
    code = billed.a.county.code
    assert [(r.number, r.original_id, r.amount) for r in reds] == [
        (f"{code}-{TODAY.year}-000004", third.pk, Decimal("30.00")),
        (f"{code}-{TODAY.year}-000005", second.pk, Decimal("20.00")),
    ]
    assert all(r.entry_id == paid.entry_id for r in reds)
    # What was still owed after each, read as the unit's account stands: 30 back of 100 paid, then 50.
    assert [r.outstanding_after for r in reds] == [Decimal("30.00"), Decimal("50.00")]
    with unscoped():  # the money went out once, by the payment's one entry
        assert ledger.balance_get(office=billed.a.city, plan=billed.a.plan, account=Account.PREMIUM_REFUNDS) == 50
        assert JournalEntry.objects.filter(kind__in=["premium_refund", "premium_refunded"]).count() == 1
    agent = _login(billed.a.county_agent)
    for red, original in zip(reds, (third, second), strict=True):
        text = pdf_text(agent.get(reverse("finance:receipt_pdf", kwargs={"receipt_pk": red.pk})).content)
        assert "红字" in text and red.number in text and original.number in text and paid.number in text
        assert "-" + money_text(red.amount) in text and money_capitals(red.amount) in text
    with unscoped():
        assert not first.refunds.exists()
    # The payment's page names its red receipts and the receipts they reverse.
    page = _login(billed.a.office_user).get(reverse("finance:payment_detail", kwargs={"payment_pk": paid.pk}))
    shown = page.content.decode()
    assert page.status_code == 200 and 'data-testid="red-receipts"' in shown
    assert all(r.number in shown for r in reds) and third.number in shown and second.number in shown


def test_a_refund_its_receipts_do_not_cover_writes_no_red_receipt(billed: Tree) -> None:
    """Paid 30 of 100 yuan, a member of 50 yuan paid back: the one receipt does not cover it, so
    no red receipt is written (the payment and its entry are the record)."""
    _receive(billed, "30.00", "B-1")
    with unscoped():
        member = Enrollment.objects.filter(policy=billed.a.policy).order_by("number").first()
    assert member is not None
    with org_scope(billed.a.city, actor_id=billed.a.office_user.pk):
        enrollment_cancel(actor=billed.a.office_user, enrollment=member, reason="调离")
    paid = _refund_paid(billed, Decimal("50.00"), "TF-8")
    assert paid.status == "paid" and [r.kind for r in _receipts(billed)] == [ReceiptKind.RECEIPT]

"""Claims paid through another office (seed 000: 女职工安康互助保障金由省互助会审核后划拨代办处给付
参保人). A plan whose claims the office that pools it reviews may have them paid by the city above
the member's unit: the province reviews and never pays, the city pays (from the province's
allocation, or on a recorded decision) and never reviews, the province's books carry the claims'
cost while the allocation stays due to / due from, and a sibling city sees none of it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from claims import selectors
from claims.models import Claim, ClaimStatus, PaymentBatch
from claims.services.payment import batch_create
from enrollment.services.plans import plan_create
from finance.models import Account, JournalEntry, PaymentRequest, PaymentStatus
from finance.services import payments
from finance.services.recoveries import recovery_book, recovery_repay
from mutualaid import dates
from mutualaid.tenancy import unscoped
from tests import allockit, claimkit
from tests.allockit import act, balance, books_balance
from tests.conftest import Tree, _replay_key
from tests.replay import replayed
from tests.test_claims_paperwork import pdf_text

TODAY = dates.business_today()
PAYOUT = Decimal("229.00")


@pytest.fixture
def through(tree: Tree, request: pytest.FixtureRequest) -> allockit.Through:
    """Built by the module's first test that asks for it, replayed in the others (tests/replay.py)."""
    return replayed(_replay_key(request, "paid_through"), lambda: allockit.paid_through(tree))


def _fresh(claim: Claim) -> Claim:
    with unscoped():
        return Claim.objects.get(pk=claim.pk)


def _batch(through: allockit.Through) -> PaymentBatch:
    finance = through.city.finance
    with act(finance):
        return batch_create(actor=finance, claim_ids=[through.claim.pk])


def _pay(through: allockit.Through, batch: PaymentBatch, reason: str = "") -> PaymentRequest:
    payment = claimkit.approve_payment(through.city, batch)
    finance = through.city.finance
    with act(finance):
        payments.payment_transfer_file(actor=finance, payment=payment)
        payment = payments.payment_mark_sent(actor=finance, payment=payment, version=payment.version)
        return payments.payment_mark_paid(
            actor=finance, payment=payment, paid_on=TODAY, bank_reference="XA-PAY-NV", overdraw_reason=reason
        )


def _allocate(through: allockit.Through, batch: PaymentBatch) -> None:
    allockit.allocation_through(
        through.city.finance,
        through.province,
        receiver=through.city.finance_head,
        plan=through.plan,
        purpose="claims_batch",
        amount=None,
        batch=batch,
    )


def test_the_province_reviews_the_claim_and_the_city_above_the_unit_pays_it(
    tree: Tree, through: allockit.Through
) -> None:
    claim = through.claim
    assert claim.status == ClaimStatus.APPROVED
    assert claim.review_office_id == tree.province.pk and claim.pay_office_id == tree.a.city.pk
    assert claim.paid_on_behalf
    city, province = through.city.finance, through.province.finance
    with act(city):
        assert [c.pk for c in selectors.claim_list_payable(office=tree.a.city)] == [claim.pk]
        assert claim.pk in set(selectors.claim_list(queue="mine", actor=city).values_list("pk", flat=True))
        assert selectors.deadline_summary(office=tree.a.city).running == 1  # waiting for the city's payment
    with act(province):
        assert not selectors.claim_list_payable(office=tree.province).exists()
        assert claim.pk not in set(selectors.claim_list(queue="mine", actor=province).values_list("pk", flat=True))
        assert selectors.deadline_summary(office=tree.province).running == 0


def test_the_city_does_not_review_the_claims_it_pays(tree: Tree, through: allockit.Through) -> None:
    claim = claimkit.register(tree.a.unit_agent, through.enrollments[1], invoices=("NV-2",))
    assert claim.review_office_id == tree.province.pk and claim.pay_office_id == tree.a.city.pk
    with pytest.raises(PermissionDenied) as refused:
        claimkit.act(through.city.officer, claim)
    assert tree.province.name in str(refused.value)
    assert _fresh(claim).status == ClaimStatus.FIRST_REVIEW


def test_the_province_may_not_put_the_claim_in_a_batch_and_nothing_is_made(
    tree: Tree, through: allockit.Through
) -> None:
    finance = through.province.finance
    with act(finance), pytest.raises(PermissionDenied) as refused:
        batch_create(actor=finance, claim_ids=[through.claim.pk])
    assert f"由{tree.a.city.name}给付" in str(refused.value)
    with unscoped():
        assert not PaymentBatch.objects.exists()
    assert _fresh(through.claim).status == ClaimStatus.APPROVED


def test_the_city_pays_from_the_allocation_and_the_province_s_books_carry_the_claims(
    tree: Tree, through: allockit.Through
) -> None:
    plan = through.plan
    batch = _batch(through)
    assert batch.org_id == tree.a.city.pk and batch.total == PAYOUT
    _allocate(through, batch)
    # Received, the allocation stays due to / due from: it is the province's money for its claims,
    # not the city's income.
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, plan) == PAYOUT
    assert balance(tree.province, Account.ALLOCATED_BELOW, plan) == PAYOUT
    assert balance(tree.a.city, Account.ALLOCATIONS_IN, plan) == 0
    assert balance(tree.province, Account.ALLOCATIONS_OUT, plan) == 0
    assert balance(tree.a.city, Account.BANK, plan) == PAYOUT
    payment = _pay(through, batch)
    assert payment.status == PaymentStatus.PAID and not payment.overdraw_reason
    assert _fresh(through.claim).status == ClaimStatus.PAID
    assert balance(tree.province, Account.CLAIMS_PAID, plan) == PAYOUT
    assert balance(tree.a.city, Account.CLAIMS_PAID, plan) == 0
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, plan) == 0
    assert balance(tree.province, Account.ALLOCATED_BELOW, plan) == 0
    assert balance(tree.province, Account.BANK, plan) == Decimal("900.00") - PAYOUT
    for office in (tree.province, tree.a.city, tree.a.county):
        assert books_balance(office), office.name
        assert balance(office, Account.BANK) >= 0, office.name


def test_without_the_money_the_city_is_refused_and_nothing_is_booked(tree: Tree, through: allockit.Through) -> None:
    batch = _batch(through)
    with pytest.raises(ValidationError) as refused:
        _pay(through, batch)
    assert "划拨" in " ".join(refused.value.messages)
    with unscoped():
        assert PaymentRequest.objects.get(claims_batch=batch).status == PaymentStatus.SENT
        assert not JournalEntry.objects.filter(idempotency_key__contains=f"claims-batch:{batch.pk}:").exists()
        assert not JournalEntry.objects.filter(idempotency_key__startswith="claims-batch-pooled:").exists()
    assert _fresh(through.claim).status == ClaimStatus.IN_BATCH
    assert balance(tree.province, Account.CLAIMS_PAID, through.plan) == 0


def test_paid_first_on_a_recorded_decision_the_allocation_after_closes_the_pair(
    tree: Tree, through: allockit.Through
) -> None:
    plan = through.plan
    batch = _batch(through)
    payment = _pay(through, batch, reason="省办划拨未到，先行垫付")
    assert payment.overdraw_reason == "省办划拨未到，先行垫付" and payment.overdraw_shortfall == PAYOUT
    # The province owes the city what it paid for it: the pair stands the other way round.
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, plan) == -PAYOUT
    assert balance(tree.province, Account.ALLOCATED_BELOW, plan) == -PAYOUT
    assert balance(tree.province, Account.CLAIMS_PAID, plan) == PAYOUT
    _allocate(through, batch)
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, plan) == 0
    assert balance(tree.province, Account.ALLOCATED_BELOW, plan) == 0
    assert balance(tree.a.city, Account.BANK) == 0
    for office in (tree.province, tree.a.city):
        assert books_balance(office), office.name


def test_an_overpayment_is_recovered_by_the_city_off_the_province_s_claims(
    tree: Tree, through: allockit.Through
) -> None:
    plan = through.plan
    batch = _batch(through)
    _allocate(through, batch)
    _pay(through, batch)
    head = through.province.head
    with act(head):
        recovery = recovery_book(
            actor=head, claim=_fresh(through.claim), amount=Decimal("50.00"), reference="NV-R1", reason="多付"
        )
    assert recovery.org_id == tree.a.city.pk  # the member repays the office that paid her
    assert balance(tree.a.city, Account.RECOVERY_RECEIVABLE, plan) == Decimal("50.00")
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, plan) == Decimal("50.00")  # owed on to the province
    assert balance(tree.a.city, Account.CLAIMS_PAID, plan) == 0
    assert balance(tree.province, Account.CLAIMS_PAID, plan) == PAYOUT - Decimal("50.00")
    assert balance(tree.province, Account.ALLOCATED_BELOW, plan) == Decimal("50.00")
    finance = through.city.finance_head
    with act(finance):
        recovery_repay(actor=finance, recovery=recovery, amount=Decimal("50.00"), received_on=TODAY, key="nv-r1")
    assert balance(tree.a.city, Account.RECOVERY_RECEIVABLE, plan) == 0
    for office in (tree.province, tree.a.city):
        assert books_balance(office), office.name


def test_a_sibling_city_sees_nothing_of_it(tree: Tree, through: allockit.Through) -> None:
    stranger = tree.b.office_user  # every office role
    with act(stranger):
        assert not selectors.claim_list().filter(pk=through.claim.pk).exists()
        assert not selectors.claim_list_payable(office=tree.b.city).exists()
        with pytest.raises(ValidationError):
            batch_create(actor=stranger, claim_ids=[through.claim.pk])
    client = Client()
    client.force_login(stranger)
    assert client.get(reverse("claims:claim_detail", kwargs={"claim_pk": through.claim.pk})).status_code == 404
    assert client.get(f"/api/v1/claims/{through.claim.pk}/").status_code == 404
    listing = client.get(reverse("claims:batch_list")).content.decode()
    assert through.claim.number not in listing
    with unscoped():
        assert not PaymentBatch.objects.exists()


def test_the_pages_paperwork_and_api_name_who_reviews_and_who_pays(tree: Tree, through: allockit.Through) -> None:
    client = Client()
    client.force_login(through.city.finance)
    page = client.get(reverse("claims:claim_detail", kwargs={"claim_pk": through.claim.pk})).content.decode()
    assert 'data-testid="to-batch"' in page  # the city pays it
    assert 'data-testid="pay-office"' in page and tree.a.city.name in page
    notice = pdf_text(client.get(reverse("claims:claim_notice", kwargs={"claim_pk": through.claim.pk})).content)
    assert tree.province.name.replace(" ", "") in notice and tree.a.city.name.replace(" ", "") in notice
    form = pdf_text(client.get(reverse("claims:claim_approval_form", kwargs={"claim_pk": through.claim.pk})).content)
    assert "付款机构" in form and tree.a.city.name.replace(" ", "") in form
    data = client.get(f"/api/v1/claims/{through.claim.pk}/").json()
    assert data["pay_office"] == tree.a.city.pk and data["pay_office_name"] == tree.a.city.name
    assert data["review_office"] == tree.province.pk
    province = Client()
    province.force_login(through.province.finance)
    page = province.get(reverse("claims:claim_detail", kwargs={"claim_pk": through.claim.pk})).content.decode()
    assert 'data-testid="to-batch"' not in page  # the province reviews, it does not pay


def test_a_plan_says_who_pays_its_claims(tree: Tree) -> None:
    head = tree.province_user
    with act(head):
        with pytest.raises(ValidationError) as refused:
            plan_create(actor=head, name="女职工安康", kind="women", claims_paid_by="nobody")
        assert "claims_paid_by" in refused.value.message_dict
        plan = plan_create(
            actor=head, name="女职工安康", kind="women", claims_reviewed_by="plan_office", claims_paid_by="city"
        )
    assert plan.get_claims_paid_by_display() == "会员单位所属的市代办处"

"""Allocations down the tree (划拨): the Jiangmen model, where the province pools the premium and
the city reviews and pays the claims from funds the province allocates, and the city-pooled
model, where an agent point's imprest is topped up by its city. Both books record each step,
balanced, and every office's books balance at the end."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from finance.models import (
    Account,
    Allocation,
    AllocationApproval,
    AllocationStatus,
    JournalEntry,
    PaymentRequest,
    PaymentStatus,
)
from finance.selectors.allocations import allocation_room_get
from finance.selectors.flows import flow_figure_list
from finance.services import allocations, payments
from finance.todo import allocations_todo
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests import allockit, claimkit
from tests.allockit import act, balance, books_balance
from tests.conftest import Tree

TODAY = dates.business_today()


@pytest.fixture
def jiangmen(tree: Tree) -> allockit.Jiangmen:
    return allockit.jiangmen(tree)


def _ask(jm: allockit.Jiangmen, **changes: object) -> Allocation:
    asker = jm.city.finance
    args: dict[str, object] = {"plan": jm.plan, "purpose": "claims_batch", "amount": None, "claims_batch": jm.batch}
    args.update(changes)
    with act(asker):
        return allocations.allocation_request(actor=asker, **args)  # type: ignore[arg-type]


def _sign(user: object, allocation: Allocation, **extra: object) -> Allocation:
    with act(user):  # type: ignore[arg-type]
        current = Allocation.objects.get(pk=allocation.pk)
        return allocations.allocation_approve(
            actor=user,  # type: ignore[arg-type]
            allocation=current,
            version=current.version,
            **extra,  # type: ignore[arg-type]
        )


def test_the_city_pays_a_batch_from_the_province_s_allocation_and_every_book_balances(
    tree: Tree, jiangmen: allockit.Jiangmen
) -> None:
    jm = jiangmen
    province_bank = balance(tree.province, Account.BANK, jm.plan)
    assert province_bank == Decimal("900.00")  # 6 members x 3 shares x 50 yuan
    assert balance(tree.a.city, Account.BANK) == 0  # the city passed the premium on
    payout = jm.batch.total
    assert payout == Decimal("229.00")

    made = allockit.allocation_through(
        jm.city.finance,
        jm.province,
        receiver=jm.city.finance_head,
        plan=jm.plan,
        purpose="claims_batch",
        amount=None,
        batch=jm.batch,
    )
    assert made.status == AllocationStatus.RECEIVED and made.amount == payout
    assert made.number.startswith("HB")
    # The province's bank paid it out; once the city received it, no due pair stays open: the
    # province spent it (拨出), the city took it in (上级拨入).
    assert balance(tree.province, Account.BANK, jm.plan) == province_bank - payout
    assert balance(tree.province, Account.ALLOCATED_BELOW, jm.plan) == 0
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, jm.plan) == 0
    assert balance(tree.province, Account.ALLOCATIONS_OUT, jm.plan) == payout
    assert balance(tree.a.city, Account.ALLOCATIONS_IN, jm.plan) == payout
    with org_scope(tree.province):
        spent = {row["flow"]: row["amount"] for row in flow_figure_list().filter(org_id=tree.province.pk)}
    assert spent["allocation_out"] == payout
    assert balance(tree.a.city, Account.IN_TRANSIT, jm.plan) == 0
    assert balance(tree.a.city, Account.BANK, jm.plan) == payout

    # The city pays the batch: the bank covers it, no overdraft to confirm.
    payment = claimkit.approve_payment(jm.city, jm.batch)
    finance = jm.city.finance
    with act(finance):
        payment = payments.payment_mark_sent(actor=finance, payment=payment, version=payment.version)
        payment = payments.payment_mark_paid(actor=finance, payment=payment, paid_on=TODAY, bank_reference="XA-PAY")
    assert payment.status == PaymentStatus.PAID and not payment.overdraw_reason
    for office in (tree.province, tree.a.city, tree.a.county):
        assert books_balance(office), office.name
        assert balance(office, Account.BANK) >= 0, office.name
    assert balance(tree.a.city, Account.BANK) == 0
    assert balance(tree.a.city, Account.CLAIMS_PAID, jm.plan) == payout


def test_without_an_allocation_the_city_cannot_pay_unless_it_records_why(
    tree: Tree, jiangmen: allockit.Jiangmen
) -> None:
    payment = claimkit.approve_payment(jiangmen.city, jiangmen.batch)
    finance = jiangmen.city.finance
    with act(finance):
        payment = payments.payment_mark_sent(actor=finance, payment=payment, version=payment.version)
        with pytest.raises(ValidationError) as refused:
            payments.payment_mark_paid(actor=finance, payment=payment, paid_on=TODAY, bank_reference="XA-PAY")
    assert "划拨" in " ".join(refused.value.messages) or "allocation" in " ".join(refused.value.messages)
    with unscoped():
        assert PaymentRequest.objects.get(pk=payment.pk).status == PaymentStatus.SENT


def test_an_allocation_above_what_the_province_has_available_is_refused_and_nothing_is_booked(
    tree: Tree, jiangmen: allockit.Jiangmen
) -> None:
    room = allocation_room_get(pooling_office=tree.province, plan=jiangmen.plan)
    assert room.bank == Decimal("900.00") and room.reserve == Decimal("90.00")
    assert room.available == Decimal("810.00")
    entries = JournalEntry.objects.with_scopes_disabled().count()
    with pytest.raises(ValidationError) as refused:
        _ask(jiangmen, purpose="imprest", amount=Decimal("810.01"), claims_batch=None)
    message = " ".join(refused.value.messages)
    assert "810.00" in message and tree.province.name in message
    assert not Allocation.objects.with_scopes_disabled().exists()
    assert JournalEntry.objects.with_scopes_disabled().count() == entries
    assert _ask(jiangmen, purpose="imprest", amount=Decimal("810.00"), claims_batch=None).amount == Decimal("810.00")


def test_approved_allocations_count_against_what_is_left_to_allocate_and_to_pay(
    tree: Tree, jiangmen: allockit.Jiangmen
) -> None:
    first = _ask(jiangmen, purpose="imprest", amount=Decimal("600.00"), claims_batch=None)
    second = _ask(jiangmen, purpose="imprest", amount=Decimal("300.00"), claims_batch=None)  # asked, not approved
    for user in (jiangmen.province.head, jiangmen.province.finance_head):
        _sign(user, first)
    _sign(jiangmen.province.leader, first, meeting="省办主任办公会", meeting_on=TODAY)
    for user in (jiangmen.province.head, jiangmen.province.finance_head):
        _sign(user, second)
    with pytest.raises(ValidationError) as refused:
        _sign(jiangmen.province.leader, second)
    assert "210.00" in " ".join(refused.value.messages)  # 810 less the 600 approved
    with unscoped():
        assert Allocation.objects.get(pk=second.pk).status == AllocationStatus.REQUESTED
    # A payment of the province now sees the 600 committed to the city.
    from finance.selectors.payments import payment_overdraft_get

    with org_scope(tree.province):
        fee = PaymentRequest(org=tree.province, amount=Decimal("350.00"))
        assert payment_overdraft_get(payment=fee).committed == Decimal("600.00")


def test_the_one_who_asked_and_the_city_may_not_approve_and_each_layer_is_its_own_person(
    tree: Tree, jiangmen: allockit.Jiangmen
) -> None:
    made = _ask(jiangmen)
    with pytest.raises(PermissionDenied):
        _sign(jiangmen.city.head, made)  # the paying office does not approve its own request
    with pytest.raises(PermissionDenied):
        _sign(jiangmen.province.finance_head, made)  # the finance head does not sign the office head's layer
    made = _sign(jiangmen.province.head, made)
    with pytest.raises(PermissionDenied):
        _sign(jiangmen.province.head, made)
    # The province's own officer asking for nothing: the requester rule holds at the pooling office too.
    assert made.requested_by_id == jiangmen.city.finance.pk
    assert AllocationApproval.objects.with_scopes_disabled().filter(allocation=made).count() == 1


def test_a_signature_and_the_allocation_s_postings_cannot_be_rewritten(tree: Tree, jiangmen: allockit.Jiangmen) -> None:
    made = allockit.allocation_through(
        jiangmen.city.finance,
        jiangmen.province,
        receiver=jiangmen.city.finance_head,
        plan=jiangmen.plan,
        purpose="claims_batch",
        amount=None,
        batch=jiangmen.batch,
    )
    for statement in (
        "UPDATE finance_allocationapproval SET layer = 'leader' WHERE allocation_id = %s",
        "DELETE FROM finance_journalline WHERE entry_id IN "
        "(SELECT id FROM finance_journalentry WHERE idempotency_key = 'allocation-out:' || %s)",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [made.pk])


def test_transfer_and_receipt_post_once_and_refuse_the_wrong_office(tree: Tree, jiangmen: allockit.Jiangmen) -> None:
    made = _ask(jiangmen)
    for user in (jiangmen.province.head, jiangmen.province.finance_head, jiangmen.province.leader):
        made = _sign(user, made)
    assert made.status == AllocationStatus.APPROVED
    city_head = jiangmen.city.finance_head
    with act(city_head), pytest.raises(PermissionDenied):
        allocations.allocation_transfer(
            actor=city_head, allocation=made, version=made.version, transferred_on=TODAY, bank_reference="X"
        )
    sender = jiangmen.province.finance_head
    with act(sender):
        with pytest.raises(ValidationError):
            allocations.allocation_transfer(
                actor=sender, allocation=made, version=made.version, transferred_on=TODAY, bank_reference=" "
            )
        sent = allocations.allocation_transfer(
            actor=sender, allocation=made, version=made.version, transferred_on=TODAY, bank_reference="PV-HB-1"
        )
        with pytest.raises(ValidationError):  # the same click again: stale, nothing posted twice
            allocations.allocation_transfer(
                actor=sender, allocation=made, version=made.version, transferred_on=TODAY, bank_reference="PV-HB-1"
            )
    assert balance(tree.a.city, Account.IN_TRANSIT, jiangmen.plan) == made.amount
    with act(sender), pytest.raises(PermissionDenied):
        allocations.allocation_receive(actor=sender, allocation=sent, version=sent.version)
    with act(city_head):
        with pytest.raises(ValidationError):
            allocations.allocation_receive(
                actor=city_head, allocation=sent, version=sent.version, received_on=TODAY.replace(year=TODAY.year - 1)
            )
        allocations.allocation_receive(actor=city_head, allocation=sent, version=sent.version)
    keys = set(JournalEntry.objects.with_scopes_disabled().values_list("idempotency_key", flat=True))
    assert {
        f"allocation-out:{made.pk}",
        f"allocation-in:{made.pk}",
        f"allocation-received:{made.pk}",
        f"allocation-settled:{made.pk}",
    } <= keys
    assert balance(tree.a.city, Account.IN_TRANSIT, jiangmen.plan) == 0
    # In transit, the pair stood open; received, it is closed at both offices.
    assert balance(tree.province, Account.ALLOCATED_BELOW, jiangmen.plan) == 0
    assert balance(tree.a.city, Account.ALLOCATED_FROM_ABOVE, jiangmen.plan) == 0
    with act(city_head), pytest.raises(ValidationError):  # received twice: refused, nothing booked again
        current = Allocation.objects.get(pk=made.pk)
        allocations.allocation_receive(actor=city_head, allocation=current, version=current.version)
    assert balance(tree.province, Account.ALLOCATIONS_OUT, jiangmen.plan) == made.amount


def test_bad_requests_are_refused_with_the_field_named(tree: Tree, jiangmen: allockit.Jiangmen) -> None:
    with pytest.raises(ValidationError) as refused:
        _ask(jiangmen, amount=Decimal("1.00"))  # a batch pays what it pays
    assert "amount" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _ask(jiangmen, purpose="imprest", amount=Decimal("-5"), claims_batch=None)
    assert "amount" in refused.value.message_dict
    _ask(jiangmen)
    with pytest.raises(ValidationError) as refused:
        _ask(jiangmen)  # the same batch twice
    assert "claims_batch" in refused.value.message_dict
    assert Allocation.objects.with_scopes_disabled().count() == 1


def test_an_office_that_pools_the_plan_itself_is_not_allocated_to(tree: Tree) -> None:
    tree.a.with_enrollment(100)
    people = claimkit.reviewers(tree.a.city, "xa")
    with act(people.finance), pytest.raises(ValidationError) as refused:
        allocations.allocation_request(actor=people.finance, plan=tree.a.plan, purpose="imprest", amount=Decimal("1"))
    assert "plan" in refused.value.message_dict


def test_the_city_pooled_model_tops_up_an_agent_point_s_imprest(tree: Tree) -> None:
    """The city pools; its agent point collects the premium and remits it; the city allocates an
    imprest of 30 yuan back to the agent point; every book balances and no bank goes below zero."""
    tree.a.with_enrollment(100)  # a plan of city A; 2 members, 100 yuan
    city = claimkit.reviewers(tree.a.city, "xa")
    allockit.premium_up_the_tree(tree, tree.a.policy, city.finance_head, city.finance_head)
    assert balance(tree.a.city, Account.PREMIUM_INCOME, tree.a.plan) == Decimal("100.00")
    assert balance(tree.a.county, Account.BANK) == 0
    with act(tree.a.county_agent), pytest.raises(ValidationError):  # 100 less the 10 reserve
        allocations.allocation_request(
            actor=tree.a.county_agent, plan=tree.a.plan, purpose="imprest", amount=Decimal("90.01")
        )
    made = allockit.allocation_through(
        tree.a.county_agent,
        city,
        receiver=tree.a.county_agent,
        plan=tree.a.plan,
        purpose="imprest",
        amount=Decimal("30.00"),
    )
    assert made.status == AllocationStatus.RECEIVED and made.pooling_office_id == tree.a.city.pk
    assert balance(tree.a.county, Account.BANK, tree.a.plan) == Decimal("30.00")
    assert balance(tree.a.city, Account.BANK, tree.a.plan) == Decimal("70.00")
    for office in (tree.a.city, tree.a.county):
        assert books_balance(office)
        assert balance(office, Account.BANK) >= 0
    # Received: the pair of due-from and due-to is closed at both offices.
    assert balance(tree.a.city, Account.ALLOCATED_BELOW) == balance(tree.a.county, Account.ALLOCATED_FROM_ABOVE) == 0
    assert balance(tree.a.city, Account.ALLOCATIONS_OUT) == balance(tree.a.county, Account.ALLOCATIONS_IN) == 30


def test_the_home_page_lists_allocations_to_sign_transfer_and_receive(tree: Tree, jiangmen: allockit.Jiangmen) -> None:
    made = _ask(jiangmen)

    def count(user: object, label: str) -> int:
        return next(t.count for t in allocations_todo(user) if str(t.label) == gettext(label))  # type: ignore[arg-type]

    with org_scope(tree.province):
        assert count(jiangmen.province.head, "Allocations waiting for your approval") == 1
        assert count(jiangmen.province.finance_head, "Allocations waiting for your approval") == 0  # not its layer
    for user in (jiangmen.province.head, jiangmen.province.finance_head, jiangmen.province.leader):
        made = _sign(user, made)
    with org_scope(tree.province):
        assert count(jiangmen.province.finance_head, "Approved allocations to transfer") == 1


def test_the_pages_ask_sign_transfer_and_receive(tree: Tree, jiangmen: allockit.Jiangmen) -> None:
    asker = Client()
    asker.force_login(jiangmen.city.finance)
    listing = reverse("finance:allocation_list")
    page = asker.get(listing)
    assert page.status_code == 200 and "ask-allocation" in page.content.decode()
    answer = asker.post(
        listing, {"purpose": "imprest", "plan": jiangmen.plan.pk, "amount": "99999.00", "claims_batch": "", "note": ""}
    )
    assert answer.status_code == 200 and "810.00" in answer.content.decode()
    assert not Allocation.objects.with_scopes_disabled().exists()
    answer = asker.post(
        listing,
        {"purpose": "claims_batch", "plan": jiangmen.plan.pk, "claims_batch": jiangmen.batch.pk, "note": "理赔"},
    )
    made = Allocation.objects.with_scopes_disabled().get()
    detail = reverse("finance:allocation_detail", kwargs={"allocation_pk": made.pk})
    assert answer.status_code == 302 and answer["Location"] == detail
    for user in (jiangmen.province.head, jiangmen.province.finance_head, jiangmen.province.leader):
        signer = Client()
        signer.force_login(user)
        assert "approve-allocation" in signer.get(detail).content.decode()
        signer.post(detail, {"action": "approve", "version": made.version, "meeting": "会", "meeting_on": ""})
        made.refresh_from_db()
    assert made.status == AllocationStatus.APPROVED
    sender = Client()
    sender.force_login(jiangmen.province.finance_head)
    sender.post(
        detail, {"action": "transfer", "version": made.version, "transferred_on": TODAY, "bank_reference": "R1"}
    )
    made.refresh_from_db()
    assert made.status == AllocationStatus.TRANSFERRED
    receiver = Client()
    receiver.force_login(jiangmen.city.finance_head)
    assert "receive-allocation" in receiver.get(detail).content.decode()
    receiver.post(detail, {"action": "receive", "version": made.version, "received_on": TODAY})
    made.refresh_from_db()
    assert made.status == AllocationStatus.RECEIVED
    stranger = Client()
    stranger.force_login(tree.b.office_user)
    assert stranger.get(detail).status_code == 404


def test_the_api_asks_and_refuses_too_much_with_a_message(tree: Tree, jiangmen: allockit.Jiangmen) -> None:
    token, _created = Token.objects.get_or_create(user=jiangmen.city.finance)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = reverse("api_finance_allocations", kwargs={"version": "v1"})
    refused = client.post(
        url, {"plan": jiangmen.plan.pk, "purpose": "imprest", "amount": "5000.00"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "810.00" in refused.content.decode()
    made = client.post(
        url,
        {"plan": jiangmen.plan.pk, "purpose": "claims_batch", "claims_batch": jiangmen.batch.pk},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == "229.00" and made.json()["pooling_office_name"] == tree.province.name
    listed = client.get(url).json()
    assert [row["number"] for row in listed["results"]] == [made.json()["number"]]
    stranger, _created = Token.objects.get_or_create(user=tree.b.office_user)
    other = Client(HTTP_AUTHORIZATION=f"Token {stranger.key}")
    assert other.get(url).json()["results"] == []
    transfer = reverse("api_finance_allocation_transfer", kwargs={"version": "v1", "allocation_pk": made.json()["id"]})
    assert (
        other.post(
            transfer,
            {"version": 1, "transferred_on": str(TODAY), "bank_reference": "X"},
            content_type="application/json",
        ).status_code
        == 404
    )

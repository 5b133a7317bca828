"""Subsidies from several union levels (省总工会、市总工会…): recorded per share on a period, owed
per list on the policy and its endorsements, booked to a receivable per level in the books of the
office that collects the premium, paid against it, and taken back when a member is cancelled;
the unit pays the premium less these subsidies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment, PeriodSubsidy, Policy, SubsidyShare, UnionLevel
from enrollment.services.enrollments import enrollment_cancel
from enrollment.services.subsidies import period_subsidy_add
from finance.models import Account, JournalLine, SubsidyMovement
from finance.selectors.subsidies import subsidy_receivable_list
from finance.services import ledger, payments, premiums
from finance.services.subsidies import subsidy_payment_receive
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.lists import Offer, enrol, offer_plan, person

TODAY = dates.business_today()


def _levels(tree: Tree, offer: Offer) -> tuple[PeriodSubsidy, PeriodSubsidy]:
    """10 yuan a share from the provincial federation (named), 5 from city A's office."""
    head = tree.a.office_user
    with org_scope(head.org, actor_id=head.pk):
        province = period_subsidy_add(
            actor=head,
            period=offer.period,
            level=UnionLevel.PROVINCE,
            per_share=Decimal("10.00"),
            payer_name="陕西省总工会",
        )
        city = period_subsidy_add(
            actor=head, period=offer.period, level=UnionLevel.CITY, per_share=Decimal("5.00"), payer=tree.a.city
        )
    return province, city


@pytest.fixture
def subsidised(tree: Tree) -> Tree:
    """City A runs a plan at 50 yuan a share with two levels' subsidies; its unit enrols two
    members at two shares each (premium 200, the levels' part 2 × 2 × 15 = 60)."""
    offer = offer_plan(tree.a.office_user, unit_ratio=Decimal("0.5"))
    tree.a.period, tree.a.plan = offer.period, offer.plan
    tree.a.levels = _levels(tree, offer)  # type: ignore[attr-defined]
    rows = [person(300 + i, shares=2) for i in range(2)]
    tree.a.policy = enrol(tree.a.unit_agent, tree.a.office_user, tree.a.unit, offer.period, rows)
    return tree


def _balance(tree: Tree, account: str) -> Decimal:
    with unscoped():
        return ledger.balance_get(office=tree.a.county, plan=tree.a.plan, account=account)


def _receive(tree: Tree, subsidy: PeriodSubsidy, amount: str, reference: str) -> SubsidyMovement:
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return subsidy_payment_receive(
            actor=agent,
            subsidy_id=subsidy.pk,
            amount=Decimal(amount),
            received_on=TODAY,
            bank_reference=reference,
        )


def _outstanding(tree: Tree) -> dict[str, Decimal]:
    with org_scope(tree.a.county):
        return {row.payer: row.outstanding for row in subsidy_receivable_list(office=tree.a.county)}


def test_each_level_is_owed_per_share_on_the_policy_and_the_unit_pays_the_rest(subsidised: Tree) -> None:
    policy = subsidised.a.policy
    assert policy.premium == Decimal("200.00")
    assert policy.levels_part == Decimal("60.00")
    # The unit pays half of what the unions leave, the members the other half.
    assert (policy.unit_part, policy.member_part) == (Decimal("70.00"), Decimal("70.00"))
    with unscoped():
        shares = {s.subsidy.level: (s.per_member, s.members, s.amount) for s in SubsidyShare.objects.all()}
        members = list(Enrollment.objects.filter(policy=policy).values_list("levels_part", flat=True))
    assert shares == {
        UnionLevel.PROVINCE: (Decimal("20.00"), 2, Decimal("40.00")),
        UnionLevel.CITY: (Decimal("10.00"), 2, Decimal("20.00")),
    }
    assert members == [Decimal("30.00"), Decimal("30.00")]
    # The collecting agent point's books: the unit owes 140, the levels 60, all due to the city.
    assert _balance(subsidised, Account.PREMIUM_RECEIVABLE) == Decimal("140.00")
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == Decimal("60.00")
    assert _balance(subsidised, Account.DUE_TO_ABOVE) == Decimal("200.00")
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("40.00"), subsidised.a.city.name: Decimal("20.00")}
    with org_scope(subsidised.a.county):
        assert premiums.policy_issue_premium(policy=policy) == Decimal("140.00")


def test_the_unit_pays_all_it_owes_without_the_unions_part(subsidised: Tree) -> None:
    agent = subsidised.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        premiums.premium_receive(
            actor=agent, policy=subsidised.a.policy, received_on=TODAY, bank_reference="UNIT-1", amount=None
        )
    assert _balance(subsidised, Account.BANK) == Decimal("140.00")
    assert _balance(subsidised, Account.PREMIUM_RECEIVABLE) == Decimal("0.00")
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == Decimal("60.00")


def test_a_level_pays_against_its_receivable_once_per_reference_and_never_above_what_it_owes(
    subsidised: Tree,
) -> None:
    province, city = subsidised.a.levels  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as refused:
        _receive(subsidised, province, "40.01", "SZGH-1")
    assert "40.00" in str(refused.value.message_dict["amount"]) and "陕西省总工会" in str(refused.value)
    first = _receive(subsidised, province, "25.00", "SZGH-1")
    again = _receive(subsidised, province, "25.00", "SZGH-1")  # a double click, a retry
    assert again.pk == first.pk
    _receive(subsidised, city, "20.00", "SHGH-1")
    assert _balance(subsidised, Account.BANK) == Decimal("45.00")
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == Decimal("15.00")
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("15.00"), subsidised.a.city.name: Decimal("0.00")}
    with pytest.raises(ValidationError):
        _receive(subsidised, city, "0.01", "SHGH-2")


def test_a_cancelled_member_takes_the_levels_part_back_from_the_levels_not_refunded_to_the_unit(
    subsidised: Tree,
) -> None:
    head = subsidised.a.office_user
    with org_scope(head.org, actor_id=head.pk):
        member = Enrollment.objects.filter(policy=subsidised.a.policy).order_by("number").first()
        assert member is not None
        enrollment_cancel(actor=head, enrollment=member, reason="离职")
        policy = Policy.objects.get(pk=subsidised.a.policy.pk)
        refundable = payments._refundable(policy)
    # The member's 100 yuan of premium: 30 granted by the unions goes back to them, 70 to the unit.
    assert refundable == Decimal("70.00")
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == Decimal("30.00")
    assert _balance(subsidised, Account.DUE_TO_ABOVE) == Decimal("170.00")
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("20.00"), subsidised.a.city.name: Decimal("10.00")}
    province = subsidised.a.levels[0]  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        _receive(subsidised, province, "20.01", "SZGH-9")


def test_the_books_balance_after_booking_paying_and_cancelling(subsidised: Tree) -> None:
    province = subsidised.a.levels[0]  # type: ignore[attr-defined]
    _receive(subsidised, province, "10.00", "SZGH-2")
    head = subsidised.a.office_user
    with org_scope(head.org, actor_id=head.pk):
        member = Enrollment.objects.filter(policy=subsidised.a.policy).order_by("number").last()
        assert member is not None
        enrollment_cancel(actor=head, enrollment=member, reason="死亡")
    with unscoped():
        sums = JournalLine.objects.filter(org=subsidised.a.county).aggregate(d=Sum("debit"), c=Sum("credit"))
        movements = SubsidyMovement.objects.filter(org=subsidised.a.county).count()
    assert sums["d"] == sums["c"]
    assert movements == 2 + 1 + 2  # owed per level, one payment, taken back per level
    # The receivable in the ledger is the sum of what each level still owes.
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == sum(_outstanding(subsidised).values())


def test_another_office_cannot_book_a_payment_against_our_receivable(subsidised: Tree) -> None:
    province = subsidised.a.levels[0]  # type: ignore[attr-defined]
    stranger = subsidised.b.county_agent
    with org_scope(stranger.org, actor_id=stranger.pk), pytest.raises(ValidationError) as refused:
        subsidy_payment_receive(
            actor=stranger, subsidy_id=province.pk, amount=Decimal("5.00"), received_on=TODAY, bank_reference="X"
        )
    assert "subsidy" in refused.value.message_dict
    client = Client()
    client.force_login(stranger)
    response = client.post(
        reverse("finance:subsidy_list"),
        {"subsidy": province.pk, "amount": "5.00", "received_on": TODAY.isoformat(), "bank_reference": "X"},
    )
    assert response.status_code == 400
    assert _outstanding(subsidised)["陕西省总工会"] == Decimal("40.00")


def test_only_the_plans_office_adds_a_level_and_only_before_the_period_is_frozen(subsidised: Tree) -> None:
    stranger = subsidised.b.office_user
    with org_scope(stranger.org, actor_id=stranger.pk), pytest.raises(PermissionDenied):
        period_subsidy_add(
            actor=stranger, period=subsidised.a.period, level=UnionLevel.COUNTY, per_share=Decimal("1"), payer_name="某"
        )
    head = subsidised.a.office_user
    with org_scope(head.org, actor_id=head.pk), pytest.raises(ValidationError) as refused:
        period_subsidy_add(
            actor=head, period=subsidised.a.period, level=UnionLevel.COUNTY, per_share=Decimal("1"), payer_name="某"
        )
    assert "frozen" in str(refused.value) or "冻结" in str(refused.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("per_share", "-5"), ("per_share", "NaN"), ("per_share", "1e308"), ("payer_name", "工" * 300), ("level", "x")],
)
def test_bad_input_on_the_period_page_is_a_400_with_a_message(tree: Tree, field: str, value: str) -> None:
    offer = offer_plan(tree.a.office_user)
    client = Client()
    client.force_login(tree.a.office_user)
    body = {"level": "province", "payer_name": "陕西省总工会", "per_share": "10.00", field: value}
    url = reverse("enrollment:period_subsidies", kwargs={"period_pk": offer.period.pk})
    response = client.post(url, body)
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    with unscoped():
        assert not PeriodSubsidy.objects.exists()
    good = client.post(url, {**body, field: {"level": "city", "payer_name": "某市总工会"}.get(field, "10.00")})
    assert good.status_code == 302


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "-5"), ("amount", "NaN"), ("amount", "Infinity"), ("bank_reference", "R" * 300), ("subsidy", "x")],
)
def test_bad_input_on_the_receivables_page_is_a_400(subsidised: Tree, field: str, value: str) -> None:
    province = subsidised.a.levels[0]  # type: ignore[attr-defined]
    client = Client()
    client.force_login(subsidised.a.county_agent)
    body = {"subsidy": province.pk, "amount": "5.00", "received_on": TODAY.isoformat(), "bank_reference": "OK-1"}
    response = client.post(reverse("finance:subsidy_list"), {**body, field: value})
    assert response.status_code == 400
    assert _outstanding(subsidised)["陕西省总工会"] == Decimal("40.00")
    assert client.post(reverse("finance:subsidy_list"), body).status_code == 302
    assert _outstanding(subsidised)["陕西省总工会"] == Decimal("35.00")


def test_the_period_policy_and_receivables_pages_show_each_level(subsidised: Tree) -> None:
    client = Client()
    client.force_login(subsidised.a.office_user)
    plans = client.get(reverse("enrollment:plan_list")).content.decode()
    assert "陕西省总工会" in plans and "10.00" in plans
    policy = client.get(reverse("enrollment:policy_detail", kwargs={"policy_pk": subsidised.a.policy.pk}))
    body = policy.content.decode()
    assert 'data-testid="subsidy-levels"' in body and "陕西省总工会" in body and "40.00" in body
    client.force_login(subsidised.a.county_agent)
    page = client.get(reverse("finance:subsidy_list")).content.decode()
    assert "陕西省总工会" in page and "40.00" in page

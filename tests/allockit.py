"""The two office models of the fund, built through the services: the Jiangmen model (the
province pools the premium, the city reviews and pays the claims from allocations) and the
city-pooled model (the city pools, its agent points collect)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from claims.services.payment import batch_create
from enrollment.models import Enrollment, Plan, Policy
from finance.models import Allocation, JournalLine, Remittance
from finance.rules import ZERO, normal_balance
from finance.services import allocations, premiums, remittances
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit, finkit
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person

# A tenth of the self-paid part, no daily allowance: a claim of the default figures pays 229 yuan.
LEAN = {
    "segments": [{"upto": None, "ratio": "0.1"}],
    "daily_allowance": "0",
    "cap_per_period": "50000",
    "rounding": "yuan_half_up",
}


@dataclass
class Jiangmen:
    plan: Plan
    policy: Policy
    city: claimkit.Reviewers
    province: claimkit.Reviewers
    batch: Any = None


def act(user: User) -> Any:
    return org_scope(user.org, actor_id=user.pk)  # type: ignore[arg-type]


def premium_up_the_tree(tree: Tree, policy: Policy, city_finance: User, province_finance: User) -> None:
    """The unit pays its agent point, which remits to the city, which remits to the province."""
    today = dates.business_today()
    agent = tree.a.county_agent
    with act(agent):
        premiums.premium_receive(actor=agent, policy=policy, received_on=today, bank_reference="YT-UNIT-1")
    finkit.move_policy_to(policy, finkit.last_month())
    with act(agent):
        report = remittances.remittance_draft(actor=agent, office=tree.a.county, month=finkit.last_month())
        remittances.remittance_confirm(
            actor=agent, remittance=report, amount=report.amount_due, bank_reference="YT-UP-1", remitted_on=today
        )
    with act(city_finance):
        remittances.remittance_receive(actor=city_finance, remittance=report, received_on=today)
    if policy.period.plan.org_id == tree.a.city.pk:  # the city pools the plan: the premium stops there
        return
    with act(city_finance):
        city_report = remittances.remittance_draft(actor=city_finance, office=tree.a.city, month=finkit.last_month())
        remittances.remittance_confirm(
            actor=city_finance,
            remittance=city_report,
            amount=city_report.amount_due,
            bank_reference="XA-UP-1",
            remitted_on=today,
        )
    with act(province_finance):
        remittances.remittance_receive(actor=province_finance, remittance=city_report, received_on=today)


def _province_pools(tree: Tree, members: int, **routing: str) -> tuple[Plan, Policy, list[Enrollment]]:
    """A plan of the province (`routing`: who reviews and who pays its claims); city A's unit
    enrols members with 3 shares (150 yuan each) last month; the premium goes up the tree to the
    province (city A's reviewers are "xa", the province's "pv")."""
    offer = offer_plan(tree.province_user)
    if routing:
        with unscoped():
            Plan.objects.filter(pk=offer.plan.pk).update(**routing)
        offer.plan.refresh_from_db()
    rows = [person(i, shares=3) for i in range(members)]
    policy = enrol(tree.a.unit_agent, tree.province_user, tree.a.unit, offer.period, rows)
    finkit.move_policy_to(policy, finkit.last_month())
    claimkit.set_schedule(tree.province_user, offer.period, LEAN)
    with unscoped():
        enrollments = list(Enrollment.objects.filter(policy=policy).order_by("number"))
    return offer.plan, policy, enrollments


def jiangmen(tree: Tree, members: int = 6) -> Jiangmen:
    """A plan of the province; city A's unit enrols members with 3 shares (150 yuan each) last
    month; the premium goes up the tree to the province; city A reviews one claim of 229 yuan
    and gathers it into a batch (not yet paid)."""
    plan, policy, enrollments = _province_pools(tree, members)
    city = claimkit.reviewers(tree.a.city, "xa")
    province = claimkit.reviewers(tree.province, "pv")
    premium_up_the_tree(tree, policy, city.finance_head, province.finance_head)
    claim = claimkit.approve(city, claimkit.register(tree.a.unit_agent, enrollments[0]))
    with act(city.finance):
        batch = batch_create(actor=city.finance, claim_ids=[claim.pk])
    return Jiangmen(plan=plan, policy=policy, city=city, province=province, batch=batch)


@dataclass
class Through:
    """Seed 000's women workers' plan: the province pools it and reviews its claims, the city above
    the member's unit pays them (代办处给付) from what the province allocates."""

    plan: Plan
    city: claimkit.Reviewers
    province: claimkit.Reviewers
    enrollments: list[Enrollment]
    claim: Any


def paid_through(tree: Tree, members: int = 6) -> Through:
    """As `jiangmen`, the premium went up to the province, but the province reviewed and approved
    the claim of 229 yuan, which city A pays (not yet in a batch)."""
    plan, policy, enrollments = _province_pools(tree, members, claims_reviewed_by="plan_office", claims_paid_by="city")
    city = claimkit.reviewers(tree.a.city, "xa")
    province = claimkit.reviewers(tree.province, "pv")
    premium_up_the_tree(tree, policy, city.finance_head, province.finance_head)
    claim = claimkit.approve(province, claimkit.register(tree.a.unit_agent, enrollments[0]))
    return Through(plan=plan, city=city, province=province, enrollments=enrollments, claim=claim)


def allocation_through(
    asker: User,
    signers: claimkit.Reviewers,
    *,
    receiver: User,
    plan: Plan,
    purpose: str,
    amount: Decimal | None,
    batch: Any = None,
) -> Allocation:
    """Asked for, approved in three layers at the pooling office, transferred and received."""
    today = dates.business_today()
    with act(asker):
        made = allocations.allocation_request(
            actor=asker, plan=plan, purpose=purpose, amount=amount, claims_batch=batch, note="测试"
        )
    for user in (signers.head, signers.finance_head, signers.leader):
        with act(user):
            current = Allocation.objects.get(pk=made.pk)
            made = allocations.allocation_approve(
                actor=user, allocation=current, version=current.version, meeting="主任办公会", meeting_on=today
            )
    with act(signers.finance_head):
        made = allocations.allocation_transfer(
            actor=signers.finance_head,
            allocation=made,
            version=made.version,
            transferred_on=today,
            bank_reference=f"HB-{made.pk}",
        )
    with act(receiver):
        current = Allocation.objects.get(pk=made.pk)
        return allocations.allocation_receive(actor=receiver, allocation=current, version=current.version)


def balance(office: Organisation, account: str, plan: Plan | None = None) -> Decimal:
    with unscoped():
        lines = JournalLine.objects.filter(org=office, account=account)
        if plan is not None:
            lines = lines.filter(plan=plan)
        sums = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    return normal_balance(account, sums["d"] or ZERO, sums["c"] or ZERO)


def books_balance(office: Organisation) -> bool:
    """The office's trial balance: every debit has its credit."""
    with unscoped():
        sums = JournalLine.objects.filter(org=office).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (sums["d"] or ZERO) == (sums["c"] or ZERO)


def remittance_of(office: Organisation) -> Remittance:
    with unscoped():
        return Remittance.objects.get(org=office)

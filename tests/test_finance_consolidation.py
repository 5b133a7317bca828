"""A province's statement of the fund consolidates its cities' books: the province's own, city
A's (paying claims of the province's plan from its allocations) and city B's (pooling a plan of
its own), with what passes between the offices counted once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from finance.models import Account, AllocationStatus
from finance.services.income import income_record
from finance.services.publication import statement_figures
from mutualaid import dates
from mutualaid.tenancy import org_scope
from tests import allockit, claimkit
from tests.allockit import balance
from tests.conftest import Tree

TODAY = dates.business_today()


@pytest.fixture
def two_cities(tree: Tree) -> tuple[Tree, allockit.Jiangmen]:
    jm = allockit.jiangmen(tree)
    made = allockit.allocation_through(
        jm.city.finance,
        jm.province,
        receiver=jm.city.finance_head,
        plan=jm.plan,
        purpose="claims_batch",
        amount=None,
        batch=jm.batch,
    )
    assert made.status == AllocationStatus.RECEIVED
    tree.b.with_enrollment(300)  # city B pools a plan of its own; the city's federation subsidises it
    finance = claimkit.reviewers(tree.b.city, "bj").finance_head
    with allockit.act(finance):
        income_record(
            actor=finance,
            plan=tree.b.plan,
            kind="subsidy",
            amount=Decimal("500.00"),
            payer="宝鸡市总工会",
            received_on=TODAY,
            bank_reference="BJ-SUB-1",
            union_level="city",
        )
    return tree, jm


def _figures(tree: Tree) -> dict[str, object]:
    with org_scope(tree.province):
        return statement_figures(office=tree.province, starts_on=TODAY - timedelta(days=400), ends_on=TODAY)


def test_the_province_statement_holds_its_cities_books_once(two_cities: tuple[Tree, allockit.Jiangmen]) -> None:
    tree, jm = two_cities
    figures = _figures(tree)
    plans = {line["plan"]: line for line in figures["plans"]}  # type: ignore[attr-defined]
    offices = (tree.province, tree.a.city, tree.a.county, tree.b.city, tree.b.county)
    # The province's plan: its premium once, and its fund wherever it sits: 671 yuan at the
    # province, the 229 allocated to city A (received, not yet paid out) at the city.
    pooled = plans[jm.plan.pk]
    assert Decimal(pooled["premium"]) == balance(tree.province, Account.PREMIUM_INCOME, jm.plan) == Decimal("900.00")
    banks = sum((balance(office, Account.BANK, jm.plan) for office in offices), Decimal(0))
    assert Decimal(pooled["fund_balance"]) == banks == Decimal("900.00")
    assert balance(tree.province, Account.BANK, jm.plan) == Decimal("671.00")
    # City B's plan, pooled by the city, in the province's statement too.
    own = plans[tree.b.plan.pk]
    assert Decimal(own["subsidies"]) == balance(tree.b.city, Account.SUBSIDY_INCOME, tree.b.plan) == Decimal("500.00")
    # The allocation is neither the province's payment nor the city's income in the whole.
    kinds = {kind["code"]: Decimal(kind["amount"]) for kind in figures["kinds"]}  # type: ignore[attr-defined]
    assert "allocation_out" not in kinds and "allocation_in" not in kinds
    assert kinds["premium"] == Decimal(figures["totals"]["premium"]) == Decimal("900.00")  # type: ignore[index]
    assert kinds["subsidy_city"] == Decimal("500.00")
    assert len(figures["offices"]) >= 3  # type: ignore[arg-type]


def test_a_city_statement_counts_the_province_s_allocation_as_income(
    two_cities: tuple[Tree, allockit.Jiangmen],
) -> None:
    tree, jm = two_cities
    with org_scope(tree.a.city):
        figures = statement_figures(office=tree.a.city, starts_on=TODAY - timedelta(days=400), ends_on=TODAY)
    kinds = {kind["code"]: Decimal(kind["amount"]) for kind in figures["kinds"]}
    assert kinds["allocation_in"] == jm.batch.total  # from outside the city's tree: its income
    line = next(p for p in figures["plans"] if p["plan"] == jm.plan.pk)
    assert Decimal(line["fund_balance"]) == jm.batch.total

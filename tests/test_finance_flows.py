"""The figures of each kind of payment and income agree with the books: post entries through the
services, then compare each kind's figure with its account's balance."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from finance.models import Account, JournalEntry
from finance.selectors.flows import FLOW_BY_CODE, flow_figure_list, flow_kind_totals, flow_totals
from finance.services.ledger import entry_reverse
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.allockit import act, balance
from tests.conftest import Tree
from tests.test_finance_kinds import _income, _pay

TODAY = dates.business_today()


@pytest.fixture
def booked(tree: Tree) -> Tree:
    """City A runs a plan and has booked income of every kind and payments of several."""
    tree.a.with_enrollment(100)
    tree.a.reviewers = claimkit.reviewers(tree.a.city, "xf")
    _income(tree, "union_contribution", "10000.00", "RES-1", payer="省总工会")
    _income(tree, "subsidy", "300.00", "SUB-1", union_level="city")
    _income(tree, "subsidy", "200.00", "SUB-2", union_level="province", payer="省总工会")
    _income(tree, "subsidy", "50.00", "SUB-3", union_level="county", payer="区总工会")
    _income(tree, "interest", "12.34", "INT-1", payer="工商银行")
    _pay(tree, "incentive_grant", "200.00", payee=tree.a.county.name)
    _pay(tree, "member_activity", "120.00")
    _pay(tree, "hardship_aid", "80.00")
    return tree


def _figures(tree: Tree) -> dict[str, Decimal]:
    with org_scope(tree.a.city):
        rows = list(flow_figure_list().filter(org_id=tree.a.city.pk, plan_id=tree.a.plan.pk))
    return {row["flow"]: row["amount"] for row in rows}


def test_each_kind_agrees_with_its_account_in_the_books(booked: Tree) -> None:
    city, plan = booked.a.city, booked.a.plan
    figures = _figures(booked)
    for code in ("premium", "interest", "incentive_grant", "member_activity", "hardship_aid"):
        assert figures.get(code, Decimal(0)) == balance(city, FLOW_BY_CODE[code].account, plan), code
    assert figures["union_contribution"] == balance(city, Account.RESERVE_FUND, plan) == Decimal("10000.00")
    levels = {code: amount for code, amount in figures.items() if code.startswith("subsidy_")}
    assert levels["subsidy_city"] == Decimal("300.00")
    assert levels["subsidy_province"] == Decimal("200.00")
    assert levels["subsidy_county"] == Decimal("50.00")
    assert sum(levels.values()) == balance(city, Account.SUBSIDY_INCOME, plan)
    with org_scope(city):
        totals = flow_totals(flow_figure_list().filter(org_id=city.pk))
    assert totals.payments == Decimal("400.00")
    assert totals.income == sum((figures[c] for c in figures if FLOW_BY_CODE[c].direction == "income"), Decimal(0))


def test_a_reversal_takes_its_figure_back_with_the_books(booked: Tree) -> None:
    city, user = booked.a.city, booked.a.reviewers.finance_head
    with act(user):
        aid = JournalEntry.objects.get(org=city, kind="hardship_aid")
        entry_reverse(actor=user, entry=aid, reason="付错了")
        subsidy = JournalEntry.objects.get(org=city, kind="subsidy_received", bank_reference="SUB-2")
        entry_reverse(actor=user, entry=subsidy, reason="记错了")
    figures = _figures(booked)
    assert figures["hardship_aid"] == balance(city, Account.HARDSHIP_AID, booked.a.plan) == 0
    assert figures["subsidy_province"] == 0
    assert figures["subsidy_city"] == Decimal("300.00")
    with org_scope(city):
        kinds = flow_kind_totals(office=city, starts_on=TODAY.replace(day=1), ends_on=TODAY)
    assert {k["code"] for k in kinds} >= {"incentive_grant", "subsidy_city", "interest"}
    assert "hardship_aid" not in {k["code"] for k in kinds}  # nothing left of it


def _rows_of(workbook: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(workbook)).active
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_the_page_filters_totals_and_downloads_the_view(booked: Tree) -> None:
    page = Client()
    page.force_login(booked.a.reviewers.finance_head)
    url = reverse("finance:flow_list")
    shown = page.get(url).content.decode()
    assert 'data-testid="flows"' in shown and "奖补" in shown and "10,000.00" in shown
    only = page.get(url, {"flow": "hardship_aid", "office": booked.a.city.pk}).content.decode()
    assert "80.00" in only and "10,000.00" not in only
    payments = page.get(url, {"direction": "payment", "period_after": str(TODAY), "sort": "-amount"})
    assert "400.00" in payments.content.decode()  # the total of the payments shown
    workbook = page.get(url, {"direction": "payment", "sort": "-amount", "export": "xlsx"})
    rows = _rows_of(workbook.content)
    amounts = [row[-1] for row in rows if isinstance(row[-1], int | float | Decimal)]
    assert amounts == [200, 120, 80]
    statement = page.get(reverse("finance:statement")).content.decode()
    assert 'data-testid="statement-kinds"' in statement and "12.34" in statement
    stranger = Client()
    stranger.force_login(booked.b.office_user)
    assert "奖补" not in stranger.get(url).content.decode().split('data-testid="flows"')[1]


def test_the_api_answers_the_figures_and_refuses_a_bad_filter(booked: Tree) -> None:
    token, _created = Token.objects.get_or_create(user=booked.a.reviewers.finance_head)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = reverse("api_finance_flows", kwargs={"version": "v1"})
    answer = api.get(url, {"kind": "interest"}).json()
    assert [(row["kind"], row["amount"]) for row in answer["rows"]] == [("interest", "12.34")]
    assert answer["totals"]["income"] == "12.34"
    assert api.get(url, {"kind": "donation"}).status_code == 400
    assert api.get(url, {"from": "2026-13-40"}).status_code == 400
    with unscoped():
        assert api.get(url, {"office": booked.b.city.pk}).status_code == 400

"""Agent points remit to their city first, the city's consolidated report to the province after."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from finance.models import FinanceSettings
from finance.rules import remittance_due_date
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree

NOVEMBER = date(2026, 11, 1)


def test_by_default_agent_points_are_due_on_the_15th_and_cities_on_the_25th(tree: Tree) -> None:
    with org_scope(tree.province):
        assert remittance_due_date(NOVEMBER, receiver=tree.a.city) == date(2026, 12, 15)
        assert remittance_due_date(NOVEMBER, receiver=tree.province) == date(2026, 12, 25)


def test_the_office_above_sets_its_own_day_for_the_offices_below(tree: Tree) -> None:
    with unscoped():
        FinanceSettings.objects.create(org=tree.a.city, remittance_due_day=10)
    with org_scope(tree.a.city):
        assert remittance_due_date(NOVEMBER, receiver=tree.a.city) == date(2026, 12, 10)
    with org_scope(tree.b.city):  # another city keeps the default
        assert remittance_due_date(NOVEMBER, receiver=tree.b.city) == date(2026, 12, 15)


@pytest.fixture
def head(tree: Tree) -> Client:
    client = Client()
    client.force_login(tree.a.office_user)
    return client


def _save(client: Client, day: str) -> str:
    response = client.post(
        reverse("finance:settings"),
        {
            "reserve_ratio": "10",
            "fee_cap_ratio": "5",
            "collective_decision_from": "100000",
            "remittance_due_day": day,
            "surplus_months_min": "3",
            "surplus_months_max": "12",
            "loss_ratio_min": "50",
            "loss_ratio_max": "90",
        },
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_city_chooses_a_day_before_its_province_s_and_nothing_later(tree: Tree, head: Client) -> None:
    page = _save(head, "25")  # the province's own day (its default): too late for a consolidated report
    assert "25" in page and tree.province.name in page
    with unscoped():
        assert not FinanceSettings.objects.filter(org=tree.a.city).exists()
    _save(head, "12")
    with unscoped():
        assert FinanceSettings.objects.get(org=tree.a.city).remittance_due_day == 12


@pytest.mark.parametrize("day", ["0", "29", "-1", "١٢", "abc"])
def test_a_day_that_cannot_be_one_is_refused_and_saves_nothing(tree: Tree, head: Client, day: str) -> None:
    _save(head, day)
    with unscoped():
        assert not FinanceSettings.objects.filter(org=tree.a.city).exists()

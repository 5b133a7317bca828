"""The approval page of a member list: the approver sees the rows (masked), the counts by shares,
the premium split the approval will store and whether it issues a policy or endorses one, and
confirms having checked them; the agent's page of a submitted list names who approves it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment, ListStatus, MemberList, Policy
from enrollment.services.member_lists import member_list_submit
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person, upload_and_check

MEMBERS = 30


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _submitted(tree: Tree, rows: list[dict[str, Any]]) -> MemberList:
    a = tree.a
    checked = upload_and_check(a.unit_agent, a.unit, a.period, rows)
    assert checked.status == ListStatus.VALID, checked.cell_problems or checked.list_problems
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        member_list_submit(actor=a.unit_agent, member_list=checked)
    return checked


@pytest.fixture
def submitted(tree: Tree) -> tuple[Tree, MemberList, list[dict[str, Any]]]:
    """City A's unit with a submitted first list of 30 members holding two shares, under a period
    with a fixed union subsidy and a unit paying 40% of the rest."""
    a = tree.a
    offer = offer_plan(
        a.office_user, subsidy_kind="fixed", subsidy_amount=Decimal("15.00"), unit_ratio=Decimal("0.400")
    )
    a.plan, a.period = offer.plan, offer.period
    rows = [person(i, shares=2) for i in range(MEMBERS)]
    return tree, _submitted(tree, rows), rows


def _url(member_list: MemberList) -> str:
    return reverse("enrollment:list_approval", kwargs={"list_pk": member_list.pk})


def _figure(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', html)
    assert found, testid
    return found.group(1).strip()


def test_the_approval_page_shows_masked_rows_shares_and_the_premium_the_approval_stores(
    submitted: tuple[Tree, MemberList, list[dict[str, Any]]], django_assert_max_num_queries: Any
) -> None:
    tree, member_list, rows = submitted
    head = _login(tree.a.office_user)
    with django_assert_max_num_queries(14):  # 13 today, whatever the number of rows
        response = head.get(_url(member_list))
    assert response.status_code == 200
    html = response.content.decode()
    for row in rows:
        assert row["id_number"] not in html
        assert row["id_number"][-8:] not in html
    first = rows[0]["id_number"]
    assert f"{first[:4]}{'*' * 10}{first[-4:]}" in html
    assert rows[0]["name"] in html
    assert 'data-testid="by-shares"' in html
    assert re.search(r'<td class="num">2</td><td class="num">30</td>', html)
    assert _figure(html, "outcome") == "为该单位出具新保单"
    assert 'data-testid="checked-workbook"' in html
    shown = {
        part: _figure(html, testid)
        for part, testid in [
            ("premium", "premium-total"),
            ("union_part", "union-part"),
            ("unit_part", "unit-part"),
            ("member_part", "member-part"),
        ]
    }

    response = head.post(_url(member_list), {"confirmed": "1"})
    assert response.status_code == 302
    with unscoped():
        policy = Policy.objects.get(org=tree.a.unit, period=tree.a.period)
    # 2 shares × 50 = 100; union 15; unit 40% of 85 = 34; member 51; ×30 members.
    expected = {"premium": "3,000.00", "union_part": "450.00", "unit_part": "1,020.00", "member_part": "1,530.00"}
    for part, figure in shown.items():
        stored = getattr(policy, part)
        # The one money format, with its unit after it.
        assert figure == f"{expected[part]} 元", part
        assert Decimal(figure.removesuffix(" 元").replace(",", "")) == stored, part
    assert policy.member_count == MEMBERS


def test_approving_without_the_confirmation_changes_nothing_and_says_why(
    submitted: tuple[Tree, MemberList, list[dict[str, Any]]],
) -> None:
    tree, member_list, _rows = submitted
    response = _login(tree.a.office_user).post(_url(member_list), {})
    assert response.status_code == 400
    assert "请勾选确认已核对名单、份数和保费" in response.content.decode()
    with unscoped():
        assert MemberList.objects.get(pk=member_list.pk).status == ListStatus.SUBMITTED
        assert not Policy.objects.filter(org=tree.a.unit).exists()
        assert not Enrollment.objects.filter(member_list=member_list).exists()


def test_the_old_approve_action_only_leads_to_the_approval_page(
    submitted: tuple[Tree, MemberList, list[dict[str, Any]]],
) -> None:
    tree, member_list, _rows = submitted
    url = reverse("enrollment:list_action", kwargs={"list_pk": member_list.pk, "action": "approve"})
    response = _login(tree.a.office_user).post(url)
    assert response.status_code == 302 and response["Location"] == _url(member_list)
    with unscoped():
        assert MemberList.objects.get(pk=member_list.pk).status == ListStatus.SUBMITTED


def test_a_supplementary_list_is_announced_as_an_endorsement_of_the_policy(tree: Tree) -> None:
    a = tree.a
    offer = offer_plan(a.office_user)
    a.plan, a.period = offer.plan, offer.period
    policy = enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(5)])
    supplementary = _submitted(tree, [person(i) for i in range(5, 8)])
    html = _login(a.office_user).get(_url(supplementary)).content.decode()
    outcome = _figure(html, "outcome")
    assert policy.number in outcome and "批单" in outcome
    assert "出具新保单" not in html


def test_a_sibling_office_gets_404_and_an_agent_403(submitted: tuple[Tree, MemberList, list[dict[str, Any]]]) -> None:
    tree, member_list, _rows = submitted
    assert _login(tree.b.office_user).get(_url(member_list)).status_code == 404
    assert _login(tree.b.office_user).post(_url(member_list), {"confirmed": "1"}).status_code == 404
    assert _login(tree.a.unit_agent).get(_url(member_list)).status_code == 403
    with unscoped():
        assert MemberList.objects.get(pk=member_list.pk).status == ListStatus.SUBMITTED


def test_the_agents_page_of_a_submitted_list_names_who_approves_it(
    submitted: tuple[Tree, MemberList, list[dict[str, Any]]], django_assert_max_num_queries: Any
) -> None:
    tree, member_list, _rows = submitted
    agent = _login(tree.a.unit_agent)
    with django_assert_max_num_queries(14):  # 13 today (with the list's correction links): the approvers are one query
        html = agent.get(reverse("enrollment:list_detail", kwargs={"list_pk": member_list.pk})).content.decode()
    approvers = _figure(html, "approvers")
    assert tree.a.office_user.display_name in approvers
    # The nearest office's approvers: neither the province above nor the sibling city.
    assert tree.province_user.display_name not in approvers
    assert tree.b.office_user.display_name not in html

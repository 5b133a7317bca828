"""The province pools the plan (the Jiangmen model) and a correction ends members after their month
went up the tree: each office between the unit and the province remitted their premium, so each is
owed it by the office it remits to, one settlement each. The agent point's next report to the city
nets its own, and the city's next report to the province nets the city's, the same way. Where no
report nets them, each office asks; the city, which forwarded all it received, pays the agent point
only with a recorded decision to overdraw, and is paid in turn by the province.

Figures by hand (the province's plan at 50 yuan a share, one share each, the province's reserve 10%):
- Last month: 4 members, 200 yuan, up the tree: the province's income and bank 200, reserve 20;
  the city's bank 0 (in 200, out 200).
- This month: a correction keeps 3 of the 4: 50 ended. Settlements: the city owes the agent point
  50, the province owes the city 50."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client
from django.urls import reverse

from enrollment.models import Endorsement, MemberList, Policy
from finance.models import Account, PremiumReceipt, Remittance, RemittanceSettlement, SettlementStatus
from finance.selectors.payments import bank_overdraft_get
from finance.services import premiums, remittances, settlements
from finance.services.receipts import receipt_refund
from mutualaid import dates
from mutualaid.models import User
from mutualaid.tenancy import unscoped
from tests import allockit, claimkit
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person
from tests.test_remittance_settlements import _approve

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _up_the_tree(tree: Tree) -> tuple[Policy, claimkit.Reviewers, claimkit.Reviewers]:
    offer = offer_plan(tree.province_user)
    policy = enrol(tree.a.unit_agent, tree.province_user, tree.a.unit, offer.period, [person(i) for i in range(4)])
    city = claimkit.reviewers(tree.a.city, "xa")
    province = claimkit.reviewers(tree.province, "pv")
    allockit.premium_up_the_tree(tree, policy, city.finance_head, province.finance_head)
    return policy, city, province


def _ended(tree: Tree, policy: Policy) -> Endorsement:
    with unscoped():
        original = MemberList.objects.get(policy=policy, corrects__isnull=True, endorsement__isnull=True)
    return _approve(tree.province_user, tree.a.unit, original, [person(i) for i in range(3)])


def _owed() -> dict[str, RemittanceSettlement]:
    with unscoped():
        return {s.org.kind: s for s in RemittanceSettlement.objects.select_related("org")}


def _refund_unit(agent: User, policy: Policy) -> None:
    with unscoped():
        receipt = PremiumReceipt.objects.get(policy=policy, endorsement__isnull=True)
    with allockit.act(agent):
        receipt_refund(
            actor=agent,
            receipt=receipt,
            amount=Decimal("50.00"),
            refunded_on=dates.business_today(),
            bank_reference="R-1",
            reason="更正减员退费",
        )


def _remit(user: User, month: Any, reference: str) -> Remittance:
    assert user.org is not None
    with allockit.act(user):
        report = remittances.remittance_draft(actor=user, office=user.org, month=month)
        return remittances.remittance_confirm(
            actor=user,
            remittance=report,
            amount=report.amount_due,
            bank_reference=reference,
            remitted_on=dates.business_today(),
            overdraw_reason="保费在途，先行上解",  # where the money below is not booked yet
        )


def test_the_city_s_own_report_to_the_province_nets_its_settlement_as_the_agent_point_s_nets_its_own(
    tree: Tree, django_assert_max_num_queries: Any
) -> None:
    a = tree.a
    policy, city, province = _up_the_tree(tree)
    plan = policy.period.plan
    assert allockit.balance(tree.province, Account.PREMIUM_INCOME, plan) == Decimal("200.00")
    ended = _ended(tree, policy)
    assert ended.ended_premium == Decimal("50.00")
    owed = _owed()
    agent_point, city_office = owed[a.county.kind], owed[a.city.kind]
    assert (agent_point.org_id, agent_point.to_office_id, agent_point.amount) == (a.county.pk, a.city.pk, 50)
    assert (city_office.org_id, city_office.to_office_id, city_office.amount) == (a.city.pk, tree.province.pk, 50)

    # Two new members this month (100), paid by the unit.
    enrol(a.unit_agent, tree.province_user, a.unit, policy.period, [person(i) for i in range(10, 12)])
    with unscoped():
        supplement = Endorsement.objects.get(policy=policy, member_list__corrects__isnull=True)
    with allockit.act(a.county_agent):
        premiums.endorsement_premium_receive(
            actor=a.county_agent, endorsement=supplement, received_on=dates.business_today(), bank_reference="U-2"
        )
    month = dates.month_start(dates.business_today())
    after = dates.add_months(month, 1)
    with time_machine.travel(datetime(after.year, after.month, 3, 10, tzinfo=SHANGHAI), tick=False):
        below = _remit(a.county_agent, month, "UP-A")
        assert ([line["settled"] for line in below.lines], below.amount_due) == (["50.00"], Decimal("50.00"))
        with allockit.act(city.finance_head):
            remittances.remittance_receive(actor=city.finance_head, remittance=below)
        above = _remit(city.finance_head, month, "UP-B")
        (line,) = above.lines
        assert (line["amount"], line["settled"], above.amount_due) == ("100.00", "50.00", Decimal("50.00"))
        with allockit.act(province.finance_head):
            remittances.remittance_receive(actor=province.finance_head, remittance=above)
        _refund_unit(a.county_agent, policy)
    owed = _owed()
    assert owed[a.county.kind].netted_in_id == below.pk and owed[a.city.kind].netted_in_id == above.pk
    assert {s.status for s in owed.values()} == {SettlementStatus.NETTED}
    # The province holds the premium of the five members kept: 250, reserve 25.
    for account, figure in ((Account.PREMIUM_INCOME, 250), (Account.BANK, 250), (Account.RESERVE_FUND, 25)):
        assert allockit.balance(tree.province, account, plan) == figure, account
    for office in (a.city, a.county):
        for account in (Account.BANK, Account.DUE_TO_ABOVE, Account.DUE_FROM_BELOW, Account.PREMIUM_RECEIVABLE):
            assert allockit.balance(office, account, plan) == 0, (office.name, account)
    for office in (tree.province, a.city, a.county):
        assert allockit.books_balance(office), office.name

    # The remittances API: each line's netted amount and what it transfers, the settlements netted.
    url = reverse("api_finance_remittances", kwargs={"version": "v1"})
    reader = _token(city.finance_head)
    with django_assert_max_num_queries(8):  # token and user, office, count, page, the settlements netted
        answer = reader.get(url)
    reports = {r["id"]: r for r in answer.json()["results"]}
    assert len(reports) == 4  # the agent point's and the city's, two months each
    line = reports[above.pk]["lines"][0]
    assert (line["premium"], line["amount"], line["settled"], line["net"]) == ("100.00", "100.00", "50.00", "50.00")
    assert [
        (s["endorsement_number"], s["amount"], s["status"], s["owed_by"]) for s in reports[above.pk]["settlements"]
    ] == [(ended.number, "50.00", "netted", tree.province.pk)]
    assert [s["id"] for s in reports[below.pk]["settlements"]] == [owed[a.county.kind].pk]
    # Last month's reports carried the ended member: each names the settlement found against it.
    for office in (a.county, a.city):
        (carried,) = [r for r in reports.values() if r["office"] == office.pk and r["id"] not in (below.pk, above.pk)]
        assert (carried["lines"][0]["settled"], carried["settlements"]) == ("0.00", [])
        assert [s["id"] for s in carried["settlements_found"]] == [owed[office.kind].pk]
    assert reports[above.pk]["settlements_found"] == []
    body = _token(tree.b.office_user).get(url).content.decode()
    assert ended.number not in body and a.county.name not in body


def _token(user: User) -> Client:
    from rest_framework.authtoken.models import Token

    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_city_pays_a_settlement_beyond_its_bank_balance_only_with_a_recorded_reason(tree: Tree) -> None:
    a = tree.a
    policy, city, province = _up_the_tree(tree)
    plan = policy.period.plan
    _ended(tree, policy)
    owed = _owed()
    agent_point, city_office = owed[a.county.kind], owed[a.city.kind]
    url = reverse("finance:settlement", kwargs={"settlement_pk": agent_point.pk})
    assert _login(a.county_agent).post(url, {"action": "request"}).status_code == 302
    payer = _login(city.finance_head)
    pay = {"action": "pay", "bank_reference": "SET-1", "paid_on": dates.business_today().isoformat()}
    # Asked for, it is committed: a payment of the city's own sees it (as it sees approved payments).
    with unscoped():
        assert bank_overdraft_get(office=a.city, amount=Decimal("1.00")).shortfall == Decimal("51.00")
    # The city forwarded everything to the province: its bank is empty. The remittances page says
    # so beside the button, in the words the refusal uses.
    listed = payer.get(reverse("finance:remittance_list")).content.decode()
    warned = listed.split('data-testid="settlement-overdraft-warning">', 1)[1].split("</p>", 1)[0]
    assert "缺口 50.00 元" in warned and "书面理由" in warned and "资金划拨" in warned
    assert listed.index('data-testid="settlement-overdraft-warning"') < listed.index('data-testid="settlement-pay"')
    answer = payer.post(url, pay, follow=True).content.decode()
    assert "缺口 50.00 元" in answer and "书面理由" in answer, answer
    answer = payer.post(url, {**pay, "overdraw_reason": "短"}, follow=True).content.decode()
    assert "书面理由" in answer
    with unscoped():
        assert RemittanceSettlement.objects.get(pk=agent_point.pk).status == SettlementStatus.REQUESTED
    assert allockit.balance(a.city, Account.BANK, plan) == 0
    reason = "市办主任会议决定先行垫付"
    assert payer.post(url, {**pay, "overdraw_reason": reason}).status_code == 302
    with unscoped():
        paid = RemittanceSettlement.objects.get(pk=agent_point.pk)
    assert paid.status == SettlementStatus.PAID and paid.overdraw_reason == reason
    assert paid.overdraw_by_id == city.finance_head.pk and paid.overdraw_shortfall == Decimal("50.00")
    assert allockit.balance(a.city, Account.BANK, plan) == Decimal("-50.00")
    page = payer.get(reverse("finance:remittance_list")).content.decode()
    assert 'data-testid="settlement-overdraw"' in page and reason in page
    # The city asks the province for its own; the province has the money: no reason needed.
    with allockit.act(city.finance_head):
        settlements.settlement_request(actor=city.finance_head, settlement=city_office)
    with allockit.act(province.finance_head):
        settlements.settlement_pay(
            actor=province.finance_head, settlement=city_office, bank_reference="SET-2", paid_on=dates.business_today()
        )
    with unscoped():
        assert RemittanceSettlement.objects.get(pk=city_office.pk).overdraw_reason == ""
    _refund_unit(a.county_agent, policy)
    assert allockit.balance(tree.province, Account.PREMIUM_INCOME, plan) == Decimal("150.00")
    assert allockit.balance(tree.province, Account.RESERVE_FUND, plan) == Decimal("15.00")
    for office in (a.city, a.county):
        for account in (Account.BANK, Account.DUE_TO_ABOVE, Account.DUE_FROM_BELOW):
            assert allockit.balance(office, account, plan) == 0, (office.name, account)
    for office in (tree.province, a.city, a.county):
        assert allockit.books_balance(office), office.name

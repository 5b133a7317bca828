# ruff: noqa: F811 (the `subsidised` fixture imported from tests/test_union_subsidies.py)
"""A correction that ends members whose premium the union levels share (更正退费结算与工会补助):
the office above is owed back only what the month's report asked for the ended members, the
premium less the levels' part. What a level paid for them stays with it as paid (applied to the
members it still owes for, or paid back to it through the reports' refunds), so neither part is
given back twice.

Figures by hand (the `subsidised` fixture: city A runs the plan at 50 yuan a share, the province's
federation grants 10 a share and city A's office 5; county A collects and remits; reserve 10%):
- November: two members of two shares, premium 200, the levels' part 60 (province 40, city 20).
  The province pays its 40 in November; the unit pays its 140. November's report asks
  200 - 60 + 40 = 180, remitted and received: the city's income and bank 180, reserve 18.
- December: a correction ends the second member: premium 100, levels' part 30 (province 20,
  city 10). The settlement is 100 - 30 = 70, the unit's part (paid back to the unit by a red
  receipt). The province paid 40 for what is now 20: it is owed 20 back; the city's level owes 10.
  Two new members of two shares: premium 200, levels' part 60 (province 40, city 20); the unit
  pays 140. The province's 40 now covers half of its 60: it owes 20.
- December's report: 200 - 60 held = 140; the settlement nets 70; 70 transferred. The city:
  income and bank 180 + 70 = 250, reserve 25. That is what it should hold: the premium kept, 300,
  less the levels' 90, plus the 40 the province paid. (A settlement of the whole 100 would leave
  it 220: the ended member's levels' part given back though the levels never took it back.)
- The agent point: bank 0 after paying the unit its 70; it owes the city the levels' 50 still
  unpaid (province 20, city 30), as they pay."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from enrollment.models import Endorsement, MemberList
from finance.models import Account, PremiumReceipt, Remittance, RemittanceSettlement, SettlementStatus
from finance.services import premiums, remittances
from finance.services.receipts import receipt_refund
from finance.services.subsidies import subsidy_payment_receive
from mutualaid import dates
from mutualaid.tenancy import unscoped
from tests import allockit, claimkit
from tests.conftest import Tree
from tests.finkit import last_month, move_policy_to
from tests.lists import enrol, person
from tests.test_list_withdrawal import _approve, _correction
from tests.test_union_subsidies import _outstanding, subsidised  # noqa: F401 (the fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _remit(tree: Tree, month: date, reference: str) -> Remittance:
    agent = tree.a.county_agent
    with allockit.act(agent):
        report = remittances.remittance_draft(actor=agent, office=agent.org, month=month)
        remittances.remittance_confirm(
            actor=agent,
            remittance=report,
            amount=report.amount_due,
            bank_reference=reference,
            remitted_on=dates.business_today(),
            overdraw_reason="单位保费在途，先行上解",  # where the unit's payment is not booked yet
        )
    return report


def _receive(city: claimkit.Reviewers, report: Remittance) -> None:
    with allockit.act(city.finance_head):
        remittances.remittance_receive(actor=city.finance_head, remittance=report)


def test_a_settlement_gives_back_the_premium_less_the_levels_part_and_the_next_report_nets_exactly_that(
    subsidised: Tree,
) -> None:
    a = subsidised.a
    agent, plan, county, city = a.county_agent, a.plan, a.county, a.city
    province_level = a.levels[0]  # type: ignore[attr-defined]
    reviewers = claimkit.reviewers(city, "lv")
    november = last_month()
    move_policy_to(a.policy, november)
    with allockit.act(agent):
        subsidy_payment_receive(
            actor=agent,
            subsidy_id=province_level.pk,
            amount=Decimal("40.00"),
            received_on=november + timedelta(days=3),
            bank_reference="SZGH-1",
        )
        premiums.premium_receive(actor=agent, policy=a.policy, received_on=dates.business_today(), bank_reference="U-1")
    first = _remit(subsidised, november, "UP-11")
    assert first.amount_due == Decimal("180.00")
    _receive(reviewers, first)
    assert allockit.balance(city, Account.PREMIUM_INCOME, plan) == Decimal("180.00")

    # The correction ends the second member: 100 of premium, 30 of it the levels'.
    with unscoped():
        original = MemberList.objects.get(policy=a.policy, corrects__isnull=True)
    _approve(subsidised, _correction(subsidised, original, [person(300, shares=2)]))
    with unscoped():
        ended = Endorsement.objects.get(member_list__corrects=original)
        (owed,) = RemittanceSettlement.objects.all()
    assert (ended.ended_premium, owed.amount, owed.status) == (Decimal("100.00"), Decimal("70.00"), "open")
    assert (owed.org_id, owed.to_office_id, owed.carried_in_id) == (county.pk, city.pk, first.pk)
    # The province paid 40 for what is now one member's 20: it is owed 20; the city's level owes 10.
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("-20.00"), city.name: Decimal("10.00")}

    # Two new members of two shares (200, levels' part 60): the unit pays its 140.
    enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(350 + i, shares=2) for i in range(2)])
    with unscoped():
        supplement = Endorsement.objects.get(policy=a.policy, member_list__corrects__isnull=True)
        first_receipt = PremiumReceipt.objects.get(policy=a.policy, endorsement__isnull=True)
    with allockit.act(agent):
        premiums.endorsement_premium_receive(
            actor=agent, endorsement=supplement, received_on=dates.business_today(), bank_reference="U-2"
        )
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("20.00"), city.name: Decimal("30.00")}
    assert allockit.balance(county, Account.BANK, plan) == Decimal("140.00")

    december = dates.month_start(dates.business_today())
    next_month = dates.add_months(december, 1)
    with time_machine.travel(datetime(next_month.year, next_month.month, 3, 10, tzinfo=SHANGHAI), tick=False):
        second = _remit(subsidised, december, "UP-12")
        (line,) = second.lines
        assert (line["premium"], line["levels_part"], line.get("levels_paid", "0.00")) == ("200.00", "60.00", "0.00")
        assert (line["amount"], line["settled"], second.amount_due) == ("140.00", "70.00", Decimal("70.00"))
        _receive(reviewers, second)
        with allockit.act(agent):
            receipt_refund(
                actor=agent,
                receipt=first_receipt,
                amount=Decimal("70.00"),
                refunded_on=dates.business_today(),
                bank_reference="R-1",
                reason="更正减员退费",
            )
    with unscoped():
        (owed,) = RemittanceSettlement.objects.all()
    assert owed.status == SettlementStatus.NETTED and owed.netted_in_id == second.pk
    for account, figure in (
        (Account.PREMIUM_INCOME, "250.00"),
        (Account.BANK, "250.00"),
        (Account.RESERVE_FUND, "25.00"),
        (Account.DUE_FROM_BELOW, "0.00"),
    ):
        assert allockit.balance(city, account, plan) == Decimal(figure), account
    for account, figure in (
        (Account.BANK, "0.00"),
        (Account.PREMIUM_RECEIVABLE, "0.00"),
        (Account.SUBSIDY_RECEIVABLE, "50.00"),
        (Account.DUE_TO_ABOVE, "50.00"),
    ):
        assert allockit.balance(county, account, plan) == Decimal(figure), account
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("20.00"), city.name: Decimal("30.00")}
    assert allockit.books_balance(county) and allockit.books_balance(city)

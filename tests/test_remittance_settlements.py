"""The city-pooled model after a correction (更正退费结算): the agent point collected and remitted a
month's premium to the city, which pools the fund; a correction then ended members of that month
and the agent point paid their unit back. The city holds premium the agent point refunded: the
agent point's next remittance nets it, and where no later remittance carries premium, the agent
point asks and the city pays it. Both books balance at every step, and nothing is settled twice.

Figures by hand (50 yuan a share, one share each, the city's reserve share 10%):
- October: 6 members, 300 yuan, collected by the agent point and remitted in November; the city's
  income 300, reserve 30.
- November: a supplementary list of 4 members, 200 yuan, collected; a correction of October's
  list keeps 4 of its 6: 100 yuan ended, paid back to the unit.
- November's report (drafted 2 December): 200 yuan of premium less the 100 settled = 100 remitted.
  The city: income 300 + 200 - 100 = 400, bank 400, reserve 30 + 10 = 40.
- December: a correction of November's list keeps 3 of its 4: 50 yuan ended. The agent point's bank
  is empty (it remitted everything): it cannot pay the unit back until the city pays. December
  has no premium, so no report to net it: the agent point asks, the city pays 50 (its reserve
  released by 5), the agent point pays the unit back.
- At the end: the city's income and bank 350, reserve 35; the agent point's bank, receivable and
  due to the city all zero."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from enrollment.models import Endorsement, ListStatus, MemberList, Plan
from enrollment.services.approval import member_list_approve
from enrollment.services.member_lists import member_list_check, member_list_submit, member_list_upload
from finance.models import Account, JournalEntry, PremiumReceipt, Remittance, RemittanceSettlement, SettlementStatus
from finance.services import premiums, remittances, settlements
from finance.services.receipts import receipt_refund
from mutualaid.models import Organisation, User
from mutualaid.tenancy import org_scope, unscoped
from tests import allockit, claimkit
from tests.conftest import Tree
from tests.lists import enrol, member_workbook, offer_plan, person

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date) -> Any:
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI), tick=False)


def _approve(office_head: User, unit: Organisation, original: MemberList, rows: list[dict[str, Any]]) -> Endorsement:
    with unscoped():
        agent = User.objects.filter(org=unit).first()
    assert agent is not None
    with org_scope(agent.org, actor_id=agent.pk):
        correction, _created = member_list_upload(
            actor=agent,
            unit=unit,
            period=original.period,
            data=member_workbook(rows),
            filename="更正名单.xlsx",
            corrects=original,
        )
        checked = member_list_check(member_list=correction, viewer=agent.org)
        assert checked.status == ListStatus.VALID, checked.cell_problems or checked.list_problems
        member_list_submit(actor=agent, member_list=checked)
    with org_scope(office_head.org, actor_id=office_head.pk):
        member_list_approve(actor=office_head, member_list=checked)
    with unscoped():
        return Endorsement.objects.get(member_list=checked)


def _settlements() -> list[RemittanceSettlement]:
    with unscoped():
        return list(RemittanceSettlement.objects.order_by("pk"))


def _balanced(*offices: Organisation) -> None:
    for office in offices:
        assert allockit.books_balance(office), office.name


@dataclass
class Story:
    plan: Plan
    city: claimkit.Reviewers
    first_list: MemberList
    first_receipt: PremiumReceipt
    october: Remittance
    supplement: Endorsement | None = None
    november: Remittance | None = None


def _october(tree: Tree) -> Story:
    """October: 6 members (300 yuan) collected by the agent point, remitted and received in November."""
    a = tree.a
    agent, head = a.county_agent, a.office_user
    city = claimkit.reviewers(a.city, "st")
    with at(date(2026, 10, 12)):
        offer = offer_plan(head)
        policy = enrol(a.unit_agent, head, a.unit, offer.period, [person(i) for i in range(6)])
        with allockit.act(agent):
            premiums.premium_receive(actor=agent, policy=policy, received_on=date(2026, 10, 12), bank_reference="B-1")
    with unscoped():
        first_list = MemberList.objects.get(policy=policy, corrects__isnull=True, endorsement__isnull=True)
        first_receipt = PremiumReceipt.objects.get(policy=policy, endorsement__isnull=True)
    with at(date(2026, 11, 3)):
        with allockit.act(agent):
            october = remittances.remittance_draft(actor=agent, office=a.county, month=date(2026, 10, 1))
            remittances.remittance_confirm(
                actor=agent,
                remittance=october,
                amount=october.amount_due,
                bank_reference="UP-10",
                remitted_on=date(2026, 11, 3),
            )
        with allockit.act(city.finance_head):
            remittances.remittance_receive(actor=city.finance_head, remittance=october)
    return Story(offer.plan, city, first_list, first_receipt, october)


def _november(tree: Tree, story: Story) -> Endorsement:
    """A supplementary list of 4 (200 yuan), collected; then October's list corrected, 2 ended
    and paid back to the unit. Returns the correction's endorsement."""
    a = tree.a
    agent, head = a.county_agent, a.office_user
    with at(date(2026, 11, 12)):
        enrol(a.unit_agent, head, a.unit, story.first_list.period, [person(i) for i in range(6, 10)])
        with unscoped():
            story.supplement = Endorsement.objects.get(
                policy=story.first_list.policy, member_list__corrects__isnull=True
            )
        with allockit.act(agent):
            premiums.endorsement_premium_receive(
                actor=agent, endorsement=story.supplement, received_on=date(2026, 11, 12), bank_reference="B-2"
            )
    with at(date(2026, 11, 20)):
        correction = _approve(head, a.unit, story.first_list, [person(i) for i in range(4)])
        with allockit.act(agent):
            receipt_refund(
                actor=agent,
                receipt=story.first_receipt,
                amount=Decimal("100.00"),
                refunded_on=date(2026, 11, 20),
                bank_reference="R-1",
                reason="更正减员退费",
            )
    return correction


def _november_report(tree: Tree, story: Story) -> Remittance:
    """Drafted on 2 December, confirmed with the amount it is due and received by the city."""
    agent = tree.a.county_agent
    with at(date(2026, 12, 2)):
        with allockit.act(agent):
            story.november = remittances.remittance_draft(actor=agent, office=tree.a.county, month=date(2026, 11, 1))
            remittances.remittance_confirm(
                actor=agent,
                remittance=story.november,
                amount=story.november.amount_due,
                bank_reference="UP-11",
                remitted_on=date(2026, 12, 2),
            )
        with allockit.act(story.city.finance_head):
            remittances.remittance_receive(actor=story.city.finance_head, remittance=story.november)
    return story.november


def _december(tree: Tree, story: Story) -> Endorsement:
    """November's list corrected on 10 December: 1 of its 4 ended (50 yuan)."""
    assert story.supplement is not None
    with at(date(2026, 12, 10)):
        return _approve(tree.a.office_user, tree.a.unit, story.supplement.member_list, [person(i) for i in range(6, 9)])


def test_a_correction_after_the_remittance_is_netted_next_month_or_paid_by_the_city_on_request(tree: Tree) -> None:
    a = tree.a
    agent = a.county_agent
    story = _october(tree)
    plan, city, october = story.plan, story.city, story.october
    assert october.amount_due == Decimal("300.00")
    assert allockit.balance(a.city, Account.PREMIUM_INCOME, plan) == Decimal("300.00")
    assert allockit.balance(a.city, Account.RESERVE_FUND, plan) == Decimal("30.00")

    correction = _november(tree, story)
    assert correction.premium == Decimal("-100.00") and correction.ended_premium == Decimal("100.00")
    # Found when the correction was approved: the city owes the agent point October's 100 yuan.
    (owed,) = _settlements()
    assert (owed.org_id, owed.to_office_id, owed.plan_id) == (a.county.pk, a.city.pk, plan.pk)
    assert owed.amount == Decimal("100.00") and owed.month == date(2026, 10, 1) and owed.carried_in_id == october.pk
    assert owed.status == SettlementStatus.OPEN
    # The agent point took it off what it owes the city: November's 200 less the 100 ended.
    assert allockit.balance(a.county, Account.DUE_TO_ABOVE, plan) == Decimal("100.00")
    _balanced(a.county, a.city)

    # November's report nets it: 200 yuan of premium, 100 settled, 100 to transfer.
    with at(date(2026, 12, 1)), allockit.act(agent):
        draft = remittances.remittance_draft(actor=agent, office=a.county, month=date(2026, 11, 1))
        (line,) = draft.lines
        assert (line["amount"], line["settled"], draft.amount_due) == ("200.00", "100.00", Decimal("100.00"))
        with pytest.raises(ValidationError):  # the office above is owed 100 yuan, not 200
            remittances.remittance_confirm(
                actor=agent,
                remittance=draft,
                amount=Decimal("200.00"),
                bank_reference="UP-11",
                remitted_on=date(2026, 12, 1),
            )
        with pytest.raises(ValidationError):  # netted in the draft: nothing to ask for
            settlements.settlement_request(actor=agent, settlement=owed)
    november = _november_report(tree, story)  # redrafted: the same report, the same figures
    assert november.pk == draft.pk and november.amount_due == Decimal("100.00")
    with at(date(2026, 12, 2)), allockit.act(agent), pytest.raises(ValidationError):  # confirmed once
        remittances.remittance_confirm(
            actor=agent,
            remittance=november,
            amount=Decimal("100.00"),
            bank_reference="UP-11",
            remitted_on=date(2026, 12, 2),
        )
    (owed,) = _settlements()
    assert owed.status == SettlementStatus.NETTED and owed.netted_in_id == november.pk
    assert allockit.balance(a.city, Account.PREMIUM_INCOME, plan) == Decimal("400.00")
    assert allockit.balance(a.city, Account.BANK, plan) == Decimal("400.00")
    assert allockit.balance(a.city, Account.RESERVE_FUND, plan) == Decimal("40.00")
    assert allockit.balance(a.city, Account.DUE_FROM_BELOW, plan) == 0
    assert allockit.balance(a.county, Account.DUE_TO_ABOVE, plan) == 0
    assert allockit.balance(a.county, Account.BANK, plan) == 0
    _balanced(a.county, a.city)

    # December: November's list corrected, 1 of 4 ended (50 yuan). The agent point's bank is empty.
    correction = _december(tree, story)
    assert correction.ended_premium == Decimal("50.00")
    with at(date(2026, 12, 10)):
        with unscoped():
            supplement_receipt = PremiumReceipt.objects.get(endorsement=story.supplement)
        with allockit.act(agent), pytest.raises(ValidationError):
            receipt_refund(
                actor=agent,
                receipt=supplement_receipt,
                amount=Decimal("50.00"),
                refunded_on=date(2026, 12, 10),
                bank_reference="R-2",
                reason="更正减员退费",
            )
    second = _settlements()[1]
    assert (second.amount, second.month, second.status) == (Decimal("50.00"), date(2026, 11, 1), SettlementStatus.OPEN)

    # January: December carried no premium, no report to net it: the agent point asks, the city pays.
    with at(date(2027, 1, 4)):
        with allockit.act(agent):
            with pytest.raises(ValidationError):
                remittances.remittance_draft(actor=agent, office=a.county, month=date(2026, 12, 1))
            with pytest.raises(PermissionDenied):  # only the office above pays
                settlements.settlement_pay(actor=agent, settlement=second, bank_reference="X", paid_on=date(2027, 1, 4))
        with allockit.act(city.finance_head), pytest.raises(ValidationError):  # not asked for yet
            settlements.settlement_pay(
                actor=city.finance_head, settlement=second, bank_reference="SET-1", paid_on=date(2027, 1, 4)
            )
        with allockit.act(agent):
            settlements.settlement_request(actor=agent, settlement=second)
        with allockit.act(city.finance_head):
            with pytest.raises(ValidationError):  # a transfer has its bank's reference
                settlements.settlement_pay(
                    actor=city.finance_head, settlement=second, bank_reference=" ", paid_on=date(2027, 1, 4)
                )
            settlements.settlement_pay(
                actor=city.finance_head, settlement=second, bank_reference="SET-1", paid_on=date(2027, 1, 4)
            )
            with pytest.raises(ValidationError):  # paid once
                settlements.settlement_pay(
                    actor=city.finance_head, settlement=second, bank_reference="SET-1", paid_on=date(2027, 1, 4)
                )
        with allockit.act(agent):
            receipt_refund(
                actor=agent,
                receipt=supplement_receipt,
                amount=Decimal("50.00"),
                refunded_on=date(2027, 1, 4),
                bank_reference="R-2",
                reason="更正减员退费",
            )
            # Drafting again finds nothing more: each correction is settled once.
            assert settlements.settlements_find(office=a.county) == 0
    second = _settlements()[1]
    assert second.status == SettlementStatus.PAID and second.bank_reference == "SET-1"
    assert len(_settlements()) == 2
    assert allockit.balance(a.city, Account.PREMIUM_INCOME, plan) == Decimal("350.00")
    assert allockit.balance(a.city, Account.BANK, plan) == Decimal("350.00")
    assert allockit.balance(a.city, Account.RESERVE_FUND, plan) == Decimal("35.00")
    assert allockit.balance(a.city, Account.RESERVE_PROVISION, plan) == Decimal("35.00")
    for account in (Account.BANK, Account.DUE_TO_ABOVE, Account.PREMIUM_RECEIVABLE):
        assert allockit.balance(a.county, account, plan) == 0, account
    _balanced(a.county, a.city)
    assert allockit.balance(tree.province, Account.BANK) == 0 and allockit.books_balance(tree.province)


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_the_remittance_pages_and_the_report_s_paper_show_the_settlements_and_the_city_pays_one_once(
    tree: Tree,
) -> None:
    a = tree.a
    story = _october(tree)
    first = _november(tree, story)
    november = _november_report(tree, story)
    second = _december(tree, story)
    owed_first, owed_second = _settlements()
    with at(date(2027, 1, 4)):
        agent = _login(a.county_agent)
        city = _login(story.city.finance_head)
        page = agent.get(reverse("finance:remittance_list")).content.decode()
        assert first.number in page and second.number in page and 'data-testid="settlement-ask"' in page
        # The agent point asks for the one no report nets; the city sees it and pays it once.
        url = reverse("finance:settlement", kwargs={"settlement_pk": owed_second.pk})
        agent.post(url, {"action": "request"})
        page = city.get(reverse("finance:remittance_list")).content.decode()
        assert 'data-testid="settlement-pay"' in page
        answer = city.post(url, {"action": "pay", "bank_reference": " ", "paid_on": "2027-01-04"}, follow=True)
        assert "请填写银行转账流水号" in answer.content.decode()
        with unscoped():
            assert RemittanceSettlement.objects.get(pk=owed_second.pk).status == SettlementStatus.REQUESTED
        answer = city.post(url, {"action": "pay", "bank_reference": "SET-1", "paid_on": "2027-01-04"}, follow=True)
        assert answer.status_code == 200
        again = city.post(url, {"action": "pay", "bank_reference": "SET-1", "paid_on": "2027-01-04"}, follow=True)
        assert again.status_code == 200
        with unscoped():
            assert RemittanceSettlement.objects.get(pk=owed_second.pk).status == SettlementStatus.PAID
        assert allockit.balance(a.city, Account.BANK, story.plan) == Decimal("350.00")
        assert allockit.balance(a.county, Account.BANK, story.plan) == Decimal("50.00")  # to pay the unit back
        # A stranger's office: the settlement is not found.
        stranger = _login(tree.b.county_agent)
        assert stranger.post(url, {"action": "request"}).status_code == 404

        # November's report: 200 of premium, 100 settled (the first correction named), 100 due.
        detail = agent.get(reverse("finance:remittance_detail", kwargs={"remittance_pk": november.pk})).content.decode()
        assert 'data-testid="remittance-netted"' in detail and first.number in detail
        assert 'data-testid="remittance-later"' in detail and second.number in detail  # found since, paid
        paper = agent.get(reverse("finance:remittance_pdf", kwargs={"remittance_pk": november.pk}))
        assert paper["Content-Type"] == "application/pdf"
        text = _pdf_text(paper.content)
        for figure in ("200.00", "100.00", "50.00", first.number, second.number, "SET-1", "壹佰元整"):
            assert figure in text, figure
        october = _pdf_text(
            agent.get(reverse("finance:remittance_pdf", kwargs={"remittance_pk": story.october.pk})).content
        )
        assert first.number in october and "300.00" in october  # the correction found against it
    assert owed_first.amount == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_one_settlement_at_the_same_moment_book_it_once(tree: Tree) -> None:
    a = tree.a
    story = _october(tree)
    _november(tree, story)
    _november_report(tree, story)
    _december(tree, story)
    owed = _settlements()[1]
    payer = story.city.finance_head
    with at(date(2027, 1, 4)):
        with allockit.act(a.county_agent):
            settlements.settlement_request(actor=a.county_agent, settlement=owed)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def pay(reference: str) -> None:
            try:
                with allockit.act(payer):
                    barrier.wait()
                    settlements.settlement_pay(
                        actor=payer, settlement=owed, bank_reference=reference, paid_on=date(2027, 1, 4)
                    )
                outcomes.append("paid")
            except ValidationError as error:
                outcomes.append("told: " + " ".join(error.messages))
            finally:
                connection.close()

        threads = [threading.Thread(target=pay, args=(ref,)) for ref in ("SET-A", "SET-B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["paid", "told"], outcomes
    with unscoped():
        assert JournalEntry.objects.filter(idempotency_key__startswith="settle-pay").count() == 2  # above and below
    assert allockit.balance(a.city, Account.BANK, story.plan) == Decimal("350.00")
    assert allockit.balance(a.county, Account.BANK, story.plan) == Decimal("50.00")
    _balanced(a.county, a.city)

"""The premium of members ended by a correction list (更正名单, through its endorsement 批单) is
taken off the books once: the endorsement takes it off the unit's receivable and the pooling
office's premium income; what the unit paid for them goes back by a red receipt from its receipt
(onto the receivable), never a second time as a premium refund (6011)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from enrollment.models import Endorsement, ListStatus, MemberList, Policy
from enrollment.services.approval import member_list_approve
from enrollment.services.member_lists import member_list_check, member_list_submit, member_list_upload
from finance.models import Account, PremiumReceipt, ReceiptKind
from finance.selectors.books import trial_balance_get
from finance.services import ledger, payments, premiums
from finance.services.receipts import receipt_refund
from mutualaid.models import Organisation, User
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import OrganisationFactory, UserFactory
from tests.lists import enrol, member_workbook, offer_plan, person

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime(2026, 11, 12, 10, tzinfo=SHANGHAI)
DECEMBER = datetime(2026, 12, 1, 10, tzinfo=SHANGHAI)


def _correct(agent: User, unit: Organisation, original: MemberList, rows: list[dict[str, Any]]) -> MemberList:
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
        return member_list_submit(actor=agent, member_list=checked)


def _balance(office: Organisation, plan: Any, account: str) -> Decimal:
    with unscoped():
        return ledger.balance_get(office=office, plan=plan, account=account)


def test_members_ended_by_a_correction_are_paid_back_once_and_their_premium_taken_off_once(tree: Tree) -> None:
    a = tree.a
    # A unit directly under the city, which pools the plan: the city collects its premium as income.
    with unscoped():
        unit = OrganisationFactory(code="XAQ61U9", name="甲直属仪表厂工会", parent=a.city, headcount=100)
        agent = UserFactory(username="xa_direct_unit", display_name="直属单位经办", org=unit, roles=[Role.UNIT_AGENT])
    people = claimkit.reviewers(a.city, "rc")
    with time_machine.travel(NOVEMBER, tick=False):
        offer = offer_plan(a.office_user)
        policy = enrol(agent, a.office_user, unit, offer.period, [person(i) for i in range(4)])
        with org_scope(a.city, actor_id=a.office_user.pk):
            premiums.premium_receive(
                actor=a.office_user, policy=policy, received_on=NOVEMBER.date(), bank_reference="B-1"
            )
    with unscoped():
        original = MemberList.objects.get(policy=policy)
        receipt = PremiumReceipt.objects.get(policy=policy)
    assert receipt.amount == Decimal("200.00") and _balance(a.city, offer.plan, Account.PREMIUM_INCOME) == 200
    with time_machine.travel(DECEMBER, tick=False):
        # The correction keeps two of the four: the two others ended, 100 yuan taken off income.
        correction = _correct(agent, unit, original, [person(0), person(1)])
        with org_scope(a.city, actor_id=a.office_user.pk):
            member_list_approve(actor=a.office_user, member_list=correction)
        with unscoped():
            endorsement = Endorsement.objects.get(member_list=correction)
        assert endorsement.premium == Decimal("-100.00")
        assert _balance(a.city, offer.plan, Account.PREMIUM_INCOME) == Decimal("100.00")
        # A premium refund paid as a payment would take the same 100 yuan off again (6011): refused.
        with org_scope(a.city, actor_id=people.finance.pk), pytest.raises(ValidationError) as caught:
            payments.payment_prepare(
                actor=people.finance,
                plan=offer.plan,
                kind="premium_refund",
                amount=Decimal("100.00"),
                payee=unit.name,
                purpose="退还更正减少会员保费",
                policy_number=policy.number,
            )
        assert "红字收据" in str(caught.value) and policy.number in str(caught.value)
        # Paid back from the receipt: out of the bank onto the receivable, once.
        with org_scope(a.city, actor_id=a.office_user.pk):
            red = receipt_refund(
                actor=a.office_user,
                receipt=receipt,
                amount=Decimal("100.00"),
                refunded_on=DECEMBER.date(),
                bank_reference="R-1",
                reason="更正减员退费",
            )
            with pytest.raises(ValidationError):  # nothing more to pay back
                receipt_refund(
                    actor=a.office_user,
                    receipt=receipt,
                    amount=Decimal("0.01"),
                    refunded_on=DECEMBER.date(),
                    bank_reference="R-2",
                    reason="再退",
                )
    assert red.kind == ReceiptKind.REFUND and red.original_id == receipt.pk
    plan = offer.plan
    assert _balance(a.city, plan, Account.PREMIUM_INCOME) == Decimal("100.00")  # the two who stay
    assert _balance(a.city, plan, Account.PREMIUM_REFUNDS) == 0  # not a second time as a refund
    assert _balance(a.city, plan, Account.PREMIUM_RECEIVABLE) == 0  # the unit owes and is owed nothing
    assert _balance(a.city, plan, Account.BANK) == Decimal("100.00")
    with unscoped():
        assert Policy.objects.get(pk=policy.pk).premium == Decimal("100.00")
        debits, credits = trial_balance_get(office=a.city)
    assert debits == credits

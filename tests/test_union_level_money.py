# ruff: noqa: F811 (the `subsidised` fixture imported from tests/test_union_subsidies.py)
"""The union levels' money as it moves: the monthly remittance asks the collecting office only for
the premium it holds (the unit's part, and a level's part once the level has paid it); a level
that paid for members cancelled since is owed the difference back (应退) and is paid it; and a
member ended by a correction counts in a premium refund for what the unit paid, no more.

Figures of the `subsidised` fixture: city A runs the plan at 50 yuan a share, the provincial
federation grants 10 yuan a share and city A's office 5; the unit enrols two members at two
shares, so the premium is 200, the levels' part 60 (province 40, city 20) and the unit owes 140.
County A is the agent point that collects it and remits it to city A."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment, MemberList, Policy
from enrollment.services.enrollments import enrollment_cancel
from finance.models import Account, JournalLine, PaymentKind, Remittance, SubsidyMovement
from finance.rules import remittance_due_date
from finance.selectors.remittances import remittance_warning_list
from finance.services import payments, premiums, remittances
from finance.services.subsidies import subsidy_payment_receive, subsidy_refund_pay
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from reporting import running
from reporting.models import MonthFigure
from tests.conftest import Tree
from tests.finkit import last_month, move_policy_to
from tests.lists import person
from tests.test_list_withdrawal import _approve, _correction
from tests.test_union_subsidies import _balance, _outstanding, _receive, subsidised  # noqa: F401 (the fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dates.business_today()


def _draft(tree: Tree, month: date) -> Remittance:
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return remittances.remittance_draft(actor=agent, office=agent.org, month=month)


def _confirm(tree: Tree, report: Remittance, reference: str, on: date, reason: str = "") -> Remittance:
    """The agent point transfers the report's amount (beyond what its bank holds only with a
    written reason, finance/services/overdraft.py)."""
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return remittances.remittance_confirm(
            actor=agent,
            remittance=report,
            amount=report.amount_due,
            bank_reference=reference,
            remitted_on=on,
            overdraw_reason=reason,
        )


def _received_on(tree: Tree, subsidy_index: int, amount: str, reference: str, on: date) -> SubsidyMovement:
    """A level's payment that arrived on `on` (in the past)."""
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return subsidy_payment_receive(
            actor=agent,
            subsidy_id=tree.a.levels[subsidy_index].pk,  # type: ignore[attr-defined]
            amount=Decimal(amount),
            received_on=on,
            bank_reference=reference,
        )


def _refund(tree: Tree, subsidy_index: int, amount: str, reference: str, reason: str = "") -> SubsidyMovement:
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return subsidy_refund_pay(
            actor=agent,
            subsidy_id=tree.a.levels[subsidy_index].pk,  # type: ignore[attr-defined]
            amount=Decimal(amount),
            refunded_on=TODAY,
            bank_reference=reference,
            overdraw_reason=reason,
        )


def _cancel_first(tree: Tree) -> Enrollment:
    head = tree.a.office_user
    with org_scope(head.org, actor_id=head.pk):
        member = Enrollment.objects.filter(policy=tree.a.policy).order_by("number").first()
        assert member is not None
        return enrollment_cancel(actor=head, enrollment=member, reason="离职")


def _books_balance(tree: Tree) -> None:
    with unscoped():
        sums = JournalLine.objects.filter(org=tree.a.county).aggregate(d=Sum("debit"), c=Sum("credit"))
    assert sums["d"] == sums["c"]
    assert _balance(tree, Account.SUBSIDY_RECEIVABLE) == sum(_outstanding(tree).values())


# 1. The remittance asks the premium the office holds ------------------------------------------


def test_the_remittance_asks_the_unit_s_part_and_a_level_s_part_once_the_level_has_paid(subsidised: Tree) -> None:
    month = last_month()
    move_policy_to(subsidised.a.policy, month)
    # The provincial federation paid 25 of its 40 during the month; the city's office nothing yet.
    _received_on(subsidised, 0, "25.00", "SZGH-1", month + timedelta(days=19))
    report = _draft(subsidised, month)
    # 200 premium − 60 the levels owe + 25 the province paid = 165.
    assert report.amount_due == Decimal("165.00")
    [line] = report.lines
    assert (line["premium"], line["levels_part"], line["levels_paid"], line["amount"]) == (
        "200.00",
        "60.00",
        "25.00",
        "165.00",
    )
    agent = subsidised.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        premiums.premium_receive(
            actor=agent, policy=subsidised.a.policy, received_on=TODAY, bank_reference="UNIT-1", amount=None
        )
    _confirm(subsidised, report, "REMIT-1", TODAY)
    # The agent point sent what it held: 140 from the unit and 25 from the province.
    assert _balance(subsidised, Account.BANK) == Decimal("0.00")
    assert _balance(subsidised, Account.DUE_TO_ABOVE) == Decimal("35.00")
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == Decimal("35.00")
    # This month the province pays its last 15 and the city its 20: next month's report carries
    # them, with no member of its own.
    _receive(subsidised, subsidised.a.levels[0], "15.00", "SZGH-2")  # type: ignore[attr-defined]
    _receive(subsidised, subsidised.a.levels[1], "20.00", "SHGH-1")  # type: ignore[attr-defined]
    this_month = dates.month_start(TODAY)
    next_month = dates.add_months(this_month, 1)
    with time_machine.travel(datetime(next_month.year, next_month.month, 3, 10, tzinfo=SHANGHAI), tick=False):
        later = _draft(subsidised, this_month)
        assert later.amount_due == Decimal("35.00")
        assert [(line["members"], line["levels_paid"]) for line in later.lines] == [(0, "35.00")]
        # Redrafting the month before does not carry the same money twice.
        assert _draft(subsidised, month).amount_due == Decimal("165.00")
        _confirm(subsidised, later, "REMIT-2", next_month)
    for account in (Account.BANK, Account.DUE_TO_ABOVE, Account.SUBSIDY_RECEIVABLE, Account.PREMIUM_RECEIVABLE):
        assert _balance(subsidised, account) == Decimal("0.00"), account
    _books_balance(subsidised)


def test_a_level_s_payment_booked_after_its_month_was_reported_is_carried_by_the_next_report(
    subsidised: Tree,
) -> None:
    month = last_month()
    move_policy_to(subsidised.a.policy, month)
    report = _draft(subsidised, month)
    assert report.amount_due == Decimal("140.00")  # nothing received from the levels
    agent = subsidised.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):  # the unit paid its 140: the bank covers the transfer
        premiums.premium_receive(
            actor=agent, policy=subsidised.a.policy, received_on=TODAY, bank_reference="UNIT-1", amount=None
        )
    _confirm(subsidised, report, "REMIT-1", TODAY)
    # The city's office paid on the 28th of that month; the clerk books it only now.
    _received_on(subsidised, 1, "20.00", "SHGH-LATE", month + timedelta(days=27))
    this_month = dates.month_start(TODAY)
    next_month = dates.add_months(this_month, 1)
    with time_machine.travel(datetime(next_month.year, next_month.month, 3, 10, tzinfo=SHANGHAI), tick=False):
        assert _draft(subsidised, this_month).amount_due == Decimal("20.00")


def test_the_remittance_page_shows_the_levels_part_taken_off_and_their_payments(subsidised: Tree) -> None:
    month = last_month()
    move_policy_to(subsidised.a.policy, month)
    _received_on(subsidised, 0, "40.00", "SZGH-1", month + timedelta(days=5))
    report = _draft(subsidised, month)
    client = Client()
    client.force_login(subsidised.a.county_agent)
    body = client.get(reverse("finance:remittance_detail", kwargs={"remittance_pk": report.pk})).content.decode()
    assert "200.00" in body and "60.00" in body and "40.00" in body and "180.00" in body
    listed = client.get(reverse("finance:remittance_list")).content.decode()
    assert "180.00" in listed
    stranger = Client()
    stranger.force_login(subsidised.b.county_agent)
    url = reverse("finance:remittance_detail", kwargs={"remittance_pk": report.pk})
    assert stranger.get(url).status_code == 404


def test_the_office_above_expects_of_a_report_not_drafted_what_the_report_will_ask(
    subsidised: Tree, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The city's warning of county A's report not drafted yet (read from the running figures, or
    from the rows) asks the premium the county holds, not the whole premium: 200 − 60 = 140, then
    + 25 once the province paid 25 in the month; drafting the report asks the same 165."""
    a = subsidised.a
    month = last_month()
    move_policy_to(a.policy, month)
    after_due = remittance_due_date(month, receiver=a.city) + timedelta(days=1)

    def expected() -> list[tuple[int, str, Decimal]]:
        with org_scope(a.city):
            found = remittance_warning_list(office=a.city, today=after_due)
        return [(w.office.pk, w.problem, w.outstanding) for w in found if w.month == month]

    assert expected() == [(a.county.pk, "missing", Decimal("140.00"))]
    # The rows that were there before the column (reporting/migrations/0007 rebuilds them) get it.
    with unscoped():
        MonthFigure.objects.update(levels_part_active=0)
        running.rebuild()
        unit_row = MonthFigure.objects.get(org_path=a.unit.path, month=month)
    assert (unit_row.premium_active, unit_row.levels_part_active) == (Decimal("200.00"), Decimal("60.00"))
    _received_on(subsidised, 0, "25.00", "SZGH-1", month + timedelta(days=19))
    # Money moved this month is next month's report's, not last month's.
    _receive(subsidised, a.levels[1], "20.00", "SHGH-1")  # type: ignore[attr-defined]
    assert expected() == [(a.county.pk, "missing", Decimal("165.00"))]
    settings.REPORTING_FROM_ROWS = True
    assert expected() == [(a.county.pk, "missing", Decimal("165.00"))]
    settings.REPORTING_FROM_ROWS = False
    monkeypatch.setattr(dates, "business_today", lambda: after_due)
    client = Client()
    client.force_login(a.office_user)
    page = client.get(reverse("finance:remittance_list")).content.decode()
    warnings = page.split('data-testid="remittance-warnings"', 1)[1].split("</section>", 1)[0]
    assert "165.00" in warnings and "200.00" not in warnings
    assert _draft(subsidised, month).amount_due == Decimal("165.00")
    assert expected() == [(a.county.pk, "missing", Decimal("165.00"))]


# 2. A level that paid for members cancelled since is paid back ---------------------------------


def test_a_level_that_paid_and_then_lost_a_member_is_owed_the_difference_and_paid_it_once(subsidised: Tree) -> None:
    _receive(subsidised, subsidised.a.levels[0], "40.00", "SZGH-1")  # type: ignore[attr-defined]
    _cancel_first(subsidised)
    # The province paid 40 for two members; one was cancelled: it owes 20, so it is owed 20 back.
    with org_scope(subsidised.a.county):
        from finance.selectors.subsidies import subsidy_receivable_list

        rows = {row.payer: row for row in subsidy_receivable_list(office=subsidised.a.county)}
    province = rows["陕西省总工会"]
    assert (province.outstanding, province.to_refund) == (Decimal("-20.00"), Decimal("20.00"))
    assert rows[subsidised.a.city.name].to_refund == Decimal("0.00")
    client = Client()
    client.force_login(subsidised.a.county_agent)
    page = client.get(reverse("finance:subsidy_list")).content.decode()
    assert 'data-testid="subsidy-refund"' in page and "20.00" in page
    with pytest.raises(ValidationError) as refused:
        _refund(subsidised, 0, "20.01", "TK-1")
    assert "20.00" in str(refused.value.message_dict["amount"]) and "陕西省总工会" in str(refused.value)
    with pytest.raises(ValidationError) as nothing_owed:
        _refund(subsidised, 1, "0.01", "TK-2")  # the city's office paid nothing: nothing to pay back
    assert "amount" in nothing_owed.value.message_dict
    first = _refund(subsidised, 0, "20.00", "TK-1")
    again = _refund(subsidised, 0, "20.00", "TK-1")  # a double click, a retry
    assert again.pk == first.pk
    with pytest.raises(ValidationError):
        _refund(subsidised, 0, "0.01", "TK-3")
    # Bank: +40 from the province, −20 back to it. 1132: the city's office still owes 20 − 10.
    assert _balance(subsidised, Account.BANK) == Decimal("20.00")
    assert _balance(subsidised, Account.SUBSIDY_RECEIVABLE) == Decimal("10.00")
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("0.00"), subsidised.a.city.name: Decimal("10.00")}
    _books_balance(subsidised)


def test_a_refund_to_a_level_comes_off_the_remittance_and_what_it_exceeds_is_carried(subsidised: Tree) -> None:
    month = last_month()
    move_policy_to(subsidised.a.policy, month)
    _received_on(subsidised, 0, "40.00", "SZGH-1", month + timedelta(days=3))
    report = _draft(subsidised, month)
    assert report.amount_due == Decimal("180.00")
    # The unit has not paid yet: the agent point holds 40 from the province and remits 180 on a
    # written decision (a shortfall of 140).
    with pytest.raises(ValidationError):
        _confirm(subsidised, report, "REMIT-1", TODAY)
    assert _confirm(
        subsidised, report, "REMIT-1", TODAY, reason="单位保费在途，先行上解"
    ).overdraw_shortfall == Decimal("140.00")
    _cancel_first(subsidised)
    # The agent point remitted 180 and holds 40 from the province (the unit has not paid yet): its
    # bank account is at −140, and paying the province back takes it to −160. Not without a
    # written decision, which the refund keeps.
    with pytest.raises(ValidationError) as uncovered:
        _refund(subsidised, 0, "20.00", "TK-1", reason="先退")
    message = str(uncovered.value.message_dict["overdraw_reason"])
    assert "160.00" in message and "陕西省总工会" in message, message
    with unscoped():  # the test's own rows
        assert not SubsidyMovement.objects.filter(bank_reference="TK-1").exists()
    refund = _refund(subsidised, 0, "20.00", "TK-1", reason="单位保费本周到账，总工会要求先行退还")
    assert (refund.overdraw_by, refund.overdraw_shortfall) == (subsidised.a.county_agent, Decimal("160.00"))
    assert refund.overdraw_reason == "单位保费本周到账，总工会要求先行退还"
    this_month = dates.month_start(TODAY)
    next_month = dates.add_months(this_month, 1)
    # Nothing held this month, 20 paid back: nothing to remit, the 20 carried on.
    early = datetime(next_month.year, next_month.month, 3, 10, tzinfo=SHANGHAI)
    with time_machine.travel(early, tick=False), pytest.raises(ValidationError):
        _draft(subsidised, this_month)
    # A new member this month (100 premium, 30 the levels' part): 70 held, less the 20 paid back.
    from tests.lists import enrol

    enrol(
        subsidised.a.unit_agent,
        subsidised.a.office_user,
        subsidised.a.unit,
        subsidised.a.period,
        [person(350, shares=2)],
    )
    with time_machine.travel(datetime(next_month.year, next_month.month, 3, 10, tzinfo=SHANGHAI), tick=False):
        assert _draft(subsidised, this_month).amount_due == Decimal("50.00")
    _books_balance(subsidised)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-5"),
        ("amount", "NaN"),
        ("amount", "Infinity"),
        ("amount", "1e308"),
        ("bank_reference", "R" * 300),
        ("bank_reference", "=1+1"),
        ("bank_reference", "+8613800000000"),
        ("bank_reference", "-1"),
        ("bank_reference", "@SUM(A1)"),
        ("subsidy", "x"),
        ("refunded_on", "2999-01-01"),
    ],
)
def test_bad_input_on_the_refund_form_is_a_chinese_400_naming_the_field(
    subsidised: Tree, field: str, value: str
) -> None:
    _receive(subsidised, subsidised.a.levels[0], "40.00", "SZGH-1")  # type: ignore[attr-defined]
    _cancel_first(subsidised)
    province = subsidised.a.levels[0]  # type: ignore[attr-defined]
    client = Client()
    client.force_login(subsidised.a.county_agent)
    body = {
        "action": "refund",
        "refund-subsidy": province.pk,
        "refund-amount": "5.00",
        "refund-refunded_on": TODAY.isoformat(),
        "refund-bank_reference": "TK-OK",
    }
    response = client.post(reverse("finance:subsidy_list"), {**body, f"refund-{field}": value})
    assert response.status_code == 400
    text = response.content.decode()
    assert "field-error" in text and f'id="id_refund-{field}"' in text
    error = text.split("field-error", 1)[1][:200]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error), error
    assert _outstanding(subsidised)["陕西省总工会"] == Decimal("-20.00")
    assert client.post(reverse("finance:subsidy_list"), body).status_code == 302
    assert _outstanding(subsidised)["陕西省总工会"] == Decimal("-15.00")


def test_another_office_cannot_pay_back_a_level_of_our_books(subsidised: Tree) -> None:
    _receive(subsidised, subsidised.a.levels[0], "40.00", "SZGH-1")  # type: ignore[attr-defined]
    _cancel_first(subsidised)
    province = subsidised.a.levels[0]  # type: ignore[attr-defined]
    stranger = subsidised.b.county_agent
    with org_scope(stranger.org, actor_id=stranger.pk), pytest.raises(ValidationError) as refused:
        subsidy_refund_pay(
            actor=stranger, subsidy_id=province.pk, amount=Decimal("5.00"), refunded_on=TODAY, bank_reference="X"
        )
    assert "subsidy" in refused.value.message_dict
    client = Client()
    client.force_login(stranger)
    response = client.post(
        reverse("finance:subsidy_list"),
        {
            "action": "refund",
            "refund-subsidy": province.pk,
            "refund-amount": "5.00",
            "refund-refunded_on": TODAY.isoformat(),
            "refund-bank_reference": "X",
        },
    )
    assert response.status_code == 400
    assert "陕西省总工会" not in client.get(reverse("finance:subsidy_list")).content.decode()
    assert _outstanding(subsidised)["陕西省总工会"] == Decimal("-20.00")


# 3. A member ended by a correction ---------------------------------------------------------------


def test_a_member_ended_by_a_correction_does_not_cut_the_unit_s_refund_of_a_member_cancelled(
    subsidised: Tree,
) -> None:
    a = subsidised.a
    with unscoped():
        original = MemberList.objects.get(policy=a.policy)
    # The correction keeps the first member (two shares) and ends the second: 100 premium, of
    # which 30 is the levels' (taken back from them) and 70 the unit's (a red receipt's matter).
    correction = _correction(subsidised, original, [person(300, shares=2)])
    _approve(subsidised, correction)
    _cancel_first(subsidised)  # the remaining member, cancelled one by one
    with org_scope(a.office_user.org, actor_id=a.office_user.pk):
        policy = Policy.objects.get(pk=a.policy.pk)
        refundable = payments._refundable(policy)
    # The unit paid 70 for the member cancelled: that, neither less (the ended member's levels'
    # part is not the unit's) nor more (the ended member is not paid back by a payment too).
    assert refundable == Decimal("70.00")
    assert _outstanding(subsidised) == {"陕西省总工会": Decimal("0.00"), a.city.name: Decimal("0.00")}
    with org_scope(a.office_user.org, actor_id=a.office_user.pk):
        with pytest.raises(ValidationError) as refused:
            payments.payment_prepare(
                actor=a.office_user,
                plan=a.plan,
                kind=PaymentKind.PREMIUM_REFUND,
                amount=Decimal("70.01"),
                payee=a.unit.name,
                purpose="退保费",
                policy_number=policy.number,
            )
        assert "70.00" in str(refused.value.message_dict["amount"])
        payments.payment_prepare(
            actor=a.office_user,
            plan=a.plan,
            kind=PaymentKind.PREMIUM_REFUND,
            amount=Decimal("70.00"),
            payee=a.unit.name,
            purpose="退保费",
            policy_number=policy.number,
        )
        assert payments._refundable(Policy.objects.get(pk=a.policy.pk)) == Decimal("0.00")

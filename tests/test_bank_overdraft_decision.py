# ruff: noqa: F811 (the `books` and `subsidised` fixtures imported from other test modules)
"""One decision on money leaving an office's bank account that the account does not cover
(finance/services/overdraft.py), taken by payments, settlements, refunds to union levels and, now,
the monthly remittance: the page warns beside the button with the words the service refuses with;
a written reason books it and is kept; and the office above sees the union levels' money booked
below after a month's report was drafted (issue 17's leftover).

Figures: the `books` fixture's agent point (county A) holds a policy of 100 yuan of premium of city
A's plan, remitted to city A; the `subsidised` fixture's premium is 200, of which the union levels
owe 60 (province 40, city 20) and the unit 140."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance.models import EntryKind, JournalEntry, Remittance, RemittanceStatus
from finance.selectors.remittances import LEVELS_SINCE, owed_by_child_and_month, remittance_warning_list
from finance.services import premiums
from finance.services.overdraft import overdraft_decide, overdraft_warning
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from tests import finkit
from tests.conftest import Tree
from tests.test_claims_paperwork import pdf_text
from tests.test_finance import books  # noqa: F401 (the fixture)
from tests.test_home import _todo
from tests.test_union_level_money import _cancel_first, _confirm, _draft, _received_on
from tests.test_union_subsidies import subsidised  # noqa: F401 (the fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dates.business_today()


def _unit_pays(tree: Tree, amount: str | None = None, reference: str = "UNIT-1") -> None:
    agent = tree.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        premiums.premium_receive(
            actor=agent,
            policy=tree.a.policy,
            received_on=TODAY,
            bank_reference=reference,
            amount=None if amount is None else Decimal(amount),
        )


# 1. The shared decision ------------------------------------------------------------------------


def test_the_decision_passes_what_the_bank_covers_and_refuses_a_cent_more_without_a_reason(books: Tree) -> None:
    _unit_pays(books)  # county A's bank: 100.00
    agent = books.a.county_agent
    office = books.a.county
    asked = {"actor": agent, "office": office, "what": "试付款项", "todo": "请先申请划拨。"}
    with org_scope(office, actor_id=agent.pk):
        assert overdraft_decide(amount=Decimal("100.00"), reason="", **asked) is None  # exactly covered
        with pytest.raises(ValidationError) as refused:
            overdraft_decide(amount=Decimal("100.01"), reason="四个字呢", **asked)  # 4 characters: too short
        assert refused.value.code == "overdraw"
        message = " ".join(refused.value.messages)
        # The balance, the shortfall and what to do, as the page shows it before the button.
        assert "100.00" in message and "0.01" in message and "请先申请划拨。" in message
        warning = overdraft_warning(office=office, amount=Decimal("100.01"), what="试付款项", todo="请先申请划拨。")
        assert warning == message
        assert overdraft_warning(office=office, amount=Decimal("100.00"), what="x", todo="y") == ""
        # On a form's field where the caller names one.
        with pytest.raises(ValidationError) as on_field:
            overdraft_decide(amount=Decimal("130.00"), reason=" ", field="overdraw_reason", **asked)
        assert "30.00" in " ".join(on_field.value.message_dict["overdraw_reason"])
        decision = overdraft_decide(amount=Decimal("130.00"), reason="  单位保费在途，先行上解  ", **asked)
    assert decision is not None
    assert (decision.reason, decision.by, decision.shortfall) == ("单位保费在途，先行上解", agent, Decimal("30.00"))
    assert set(decision.fields()) == {"overdraw_reason", "overdraw_by", "overdraw_at", "overdraw_shortfall"}


# 2. The monthly remittance ---------------------------------------------------------------------


def _detail(client: Client, report: Remittance) -> str:
    return client.get(reverse("finance:remittance_detail", kwargs={"remittance_pk": report.pk})).content.decode()


def _post_confirm(client: Client, report: Remittance, amount: str, **extra: str) -> str:
    url = reverse("finance:remittance_detail", kwargs={"remittance_pk": report.pk})
    body = {"amount": amount, "bank_reference": "ICBC-UP-1", "remitted_on": f"{TODAY:%Y-%m-%d}", **extra}
    return client.post(url, body, follow=True).content.decode()


def _remitted_entries(report: Remittance) -> int:
    with unscoped():
        return JournalEntry.objects.filter(
            kind=EntryKind.REMITTED, idempotency_key__startswith=f"remit:{report.pk}:"
        ).count()


def test_the_remittance_page_warns_of_the_shortfall_and_the_service_refuses_it_without_a_reason(books: Tree) -> None:
    report = finkit.last_month_report(books.a)
    assert report.amount_due == Decimal("100.00")
    agent = Client()
    agent.force_login(books.a.county_agent)
    # Nothing came in from the unit yet: the whole 100.00 is short, said beside the button.
    page = _detail(agent, report)
    warning = page.split('data-testid="remittance-overdraft-warning">', 1)[1].split("</p>", 1)[0]
    assert "缺口 100.00 元" in warning and "保费收取" in warning and "书面理由" in warning
    assert page.index('data-testid="remittance-overdraft-warning"') < page.index("确认上解")
    assert 'data-testid="remittance-overdraw-reason"' in page
    # Pressed anyway: refused with the same words, nothing booked.
    answer = _post_confirm(agent, report, "100.00")
    assert "缺口 100.00 元" in answer
    with unscoped():
        assert Remittance.objects.get(pk=report.pk).status == RemittanceStatus.DRAFT
    assert _remitted_entries(report) == 0
    # The unit paid 60 of its 100: the shortfall is 40, and transferring the 60 the bank holds
    # needs no reason (the rest stays outstanding: the city sees the report short by 40).
    _unit_pays(books, "60.00")
    assert "缺口 40.00 元" in _detail(agent, report)
    _post_confirm(agent, report, "60.00")
    with unscoped():
        done = Remittance.objects.get(pk=report.pk)
    assert (done.status, done.amount_remitted, done.overdraw_reason) == (
        RemittanceStatus.REMITTED,
        Decimal("60.00"),
        "",
    )
    with org_scope(books.a.city):
        warnings = remittance_warning_list(office=books.a.city, today=done.due_on)
    assert [(w.problem, w.outstanding) for w in warnings] == [("short", Decimal("40.00"))]


def test_a_remittance_beyond_the_bank_is_booked_with_a_written_reason_kept_and_shown(books: Tree) -> None:
    report = finkit.last_month_report(books.a)
    _unit_pays(books, "70.00")
    agent = Client()
    agent.force_login(books.a.county_agent)
    _post_confirm(agent, report, "100.00", overdraw_reason="单位保费已到账未入账")
    with unscoped():
        done = Remittance.objects.select_related("overdraw_by").get(pk=report.pk)
    assert done.status == RemittanceStatus.REMITTED and _remitted_entries(report) == 1
    assert (done.overdraw_reason, done.overdraw_by, done.overdraw_shortfall) == (
        "单位保费已到账未入账",
        books.a.county_agent,
        Decimal("30.00"),
    )
    page = _detail(agent, done)
    shown = page.split('data-testid="remittance-overdraw">', 1)[1].split("</dd>", 1)[0]
    assert "单位保费已到账未入账" in shown and "30.00" in shown
    assert 'data-testid="remittance-overdraft-warning"' not in page  # confirmed: no button, no warning
    # The report as filed (上解保费报告书) prints the decision too: reason, shortfall, who, when.
    pdf = agent.get(reverse("finance:remittance_pdf", kwargs={"remittance_pk": done.pk}))
    assert pdf.status_code == 200
    if path := os.environ.get("REMITTANCE_PDF_OUT"):  # to render and look at (pdftoppm)
        Path(path).write_bytes(pdf.content)
    text = pdf_text(pdf.content)
    assert done.overdraw_at is not None
    when = timezone.localtime(done.overdraw_at).strftime("%Y年%-m月%-d日")
    for shown_in_pdf in ("超出银行余额上解", "单位保费已到账未入账", "缺口30.00元", str(books.a.county_agent), when):
        assert shown_in_pdf.replace(" ", "") in text, (shown_in_pdf, text)


def test_a_remittance_the_bank_covers_shows_no_warning_and_needs_no_reason(books: Tree) -> None:
    report = finkit.last_month_report(books.a)
    _unit_pays(books)
    agent = Client()
    agent.force_login(books.a.county_agent)
    assert 'data-testid="remittance-overdraft-warning"' not in _detail(agent, report)
    _post_confirm(agent, report, "100.00")
    with unscoped():
        assert Remittance.objects.get(pk=report.pk).overdraw_shortfall is None
    assert _remitted_entries(report) == 1
    pdf = pdf_text(agent.get(reverse("finance:remittance_pdf", kwargs={"remittance_pk": report.pk})).content)
    assert "超出银行余额上解" not in pdf and "缺口" not in pdf


# 3. The union levels' money booked after the month's report (issue 17) -------------------------


def test_a_level_s_payment_booked_after_the_report_is_shown_to_the_office_above_until_the_next_report(
    subsidised: Tree,
) -> None:
    a = subsidised.a
    month = finkit.last_month()
    finkit.move_policy_to(a.policy, month)
    report = _draft(subsidised, month)
    assert report.amount_due == Decimal("140.00")  # 200 − the levels' 60, none of it paid yet
    _unit_pays(subsidised)
    _confirm(subsidised, report, "REMIT-1", TODAY)
    with org_scope(a.city):
        assert [w for w in remittance_warning_list(office=a.city) if w.problem == LEVELS_SINCE] == []
    # The provincial federation paid 25 on the 28th of that month; the clerk books it only now:
    # the report of the month, drafted before, does not carry it.
    _received_on(subsidised, 0, "25.00", "SZGH-LATE", month + timedelta(days=27))
    with org_scope(a.city):
        found = [(w.office.pk, w.month, w.problem, w.outstanding) for w in remittance_warning_list(office=a.city)]
    assert (a.county.pk, month, LEVELS_SINCE, Decimal("25.00")) in found
    # The home page counts reports missing, late or short: the money booked since is news, not
    # one of them; read without it, the rest of the list is the same.
    with org_scope(a.city):
        short = [
            (w.office.pk, w.month, w.problem, w.outstanding)
            for w in remittance_warning_list(office=a.city, levels_since=False)
        ]
    assert short == [w for w in found if w[2] != LEVELS_SINCE]
    assert _todo(a.office_user)["下级未上解、逾期或少解"][0] == len(short)
    city = Client()
    city.force_login(a.office_user)
    listed = city.get(reverse("finance:remittance_list")).content.decode()
    warnings = listed.split('data-testid="remittance-warnings"', 1)[1].split("</section>", 1)[0]
    assert "报告书编制后登记的工会补助款，结转下期" in warnings and "25.00" in warnings
    page = _detail(city, report)
    since = page.split('data-testid="levels-since"', 1)[1].split("</section>", 1)[0]
    assert "25.00" in since and "下一期报告书（尚未编制）" in since
    # Next month's report carries the 25; the warning goes, and the page names the report.
    this_month = dates.month_start(TODAY)
    next_month = dates.add_months(this_month, 1)
    with time_machine.travel(datetime(next_month.year, next_month.month, 3, 10, tzinfo=SHANGHAI), tick=False):
        later = _draft(subsidised, this_month)
        assert later.amount_due == Decimal("25.00")
        with org_scope(a.city):
            assert [w for w in remittance_warning_list(office=a.city) if w.problem == LEVELS_SINCE] == []
    page = _detail(city, report)
    since = page.split('data-testid="levels-since"', 1)[1].split("</section>", 1)[0]
    assert reverse("finance:remittance_detail", kwargs={"remittance_pk": later.pk}) in since


def test_the_estimate_of_a_report_not_drafted_floors_each_plan_not_the_total() -> None:
    """County A's month: plan 1 holds 140 of premium (200 − 60) and 25 of a level's money; plan 2
    took on nobody and paid a level back 30. The report floors plan 2's line at 0 (the 30 is
    carried on), so it asks 165; the estimate asks the same, not 165 − 30 = 135. A second office
    whose only plan is negative owes nothing (no entry below zero)."""
    month = date(2026, 11, 1)
    rows = [
        {"child": "0001.0001", "bucket": month, "plan_key": 1, "amount": Decimal("140.00")},
        {"child": "0001.0001", "bucket": month, "plan_key": 1, "amount": Decimal("25.00")},
        {"child": "0001.0001", "bucket": month, "plan_key": 2, "amount": Decimal("-30.00")},
        {"child": "0001.0002", "bucket": month, "plan_key": 2, "amount": Decimal("-10.00")},
    ]
    owed = owed_by_child_and_month(rows)
    assert owed[("0001.0001", month)] == Decimal("165.00")
    assert owed.get(("0001.0002", month), Decimal("0.00")) == Decimal("0.00")


def test_the_union_subsidies_page_warns_above_a_refund_the_bank_does_not_cover(subsidised: Tree) -> None:
    """The province paid 40 for two members and the agent point remitted 180 before the unit paid
    (on a written reason: its bank at −140); a member is cancelled, so the province is owed 20
    back: paying it would leave a shortfall of 160, said above the refund's button."""
    month = finkit.last_month()
    finkit.move_policy_to(subsidised.a.policy, month)
    _received_on(subsidised, 0, "40.00", "SZGH-1", month + timedelta(days=3))
    _confirm(subsidised, _draft(subsidised, month), "REMIT-1", TODAY, reason="单位保费在途，先行上解")
    agent = Client()
    agent.force_login(subsidised.a.county_agent)
    url = reverse("finance:subsidy_list")
    assert 'data-testid="subsidy-refund-overdraft-warning"' not in agent.get(url).content.decode()
    _cancel_first(subsidised)
    page = agent.get(url).content.decode()
    warning = page.split('data-testid="subsidy-refund-overdraft-warning">', 1)[1].split("</p>", 1)[0]
    assert "缺口 160.00 元" in warning and "保费到账" in warning and "书面理由" in warning
    assert page.index('data-testid="subsidy-refund-overdraft-warning"') < page.index('data-testid="subsidy-refund"')


def test_income_records_and_level_money_movements_are_never_changed_or_deleted(subsidised: Tree) -> None:
    """Issue 18's "the database triggers cover the new tables": a level's payment and an income
    record are refused UPDATE and DELETE, even in raw SQL."""
    from django.db import connection, transaction

    from finance.services.income import income_record
    from tests import claimkit

    moved = _received_on(subsidised, 0, "40.00", "SZGH-1", TODAY)
    finance = claimkit.reviewers(subsidised.a.city, "im").finance_head
    with org_scope(finance.org, actor_id=finance.pk):
        income = income_record(
            actor=finance,
            plan=subsidised.a.plan,
            kind="interest",
            amount=Decimal("12.34"),
            received_on=TODAY,
            bank_reference="INT-1",
            payer="开户银行",
            note="",
        )
    statements = (
        ("UPDATE finance_subsidymovement SET amount = 1 WHERE id = %s", moved.pk),
        ("DELETE FROM finance_subsidymovement WHERE id = %s", moved.pk),
        ("UPDATE finance_incomerecord SET amount = 1 WHERE id = %s", income.pk),
        ("DELETE FROM finance_incomerecord WHERE id = %s", income.pk),
    )
    for sql, pk in statements:
        with pytest.raises(Exception, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])

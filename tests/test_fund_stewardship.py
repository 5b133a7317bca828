"""The fund's stewardship: each plan's solvency against the office's band of reasonable surplus
(合理结余), computed by hand on a small fixture and compared with the page, the dashboard and the
overview; and the statement to members (公示), drafted, approved by another person, published
as a PDF and a public page that shows only that statement."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from claims.models import Claim
from finance.models import Account, FinanceSettings, FundStatement, StatementStatus
from finance.selectors.solvency import ABOVE, BELOW, WITHIN, solvency_list
from finance.services import ledger, publication, remittances
from mutualaid import dates
from mutualaid.numbers import money_text
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit, finkit
from tests.conftest import City, Tree
from tests.test_bad_input import FIELD_HOSTILE
from tests.test_claims_paperwork import pdf_text

TODAY = dates.business_today()
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEXT_YEAR = datetime(TODAY.year + 1, 1, 10, 10, tzinfo=SHANGHAI)  # the year and its last quarter are over


def _premium_pooled(city: City) -> Decimal:
    """The unit's premium remitted by its agent point and received by the city, which runs the
    plan: income there, with the reserve share set aside. Returns the premium."""
    report = finkit.last_month_report(city)
    agent = city.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        report = remittances.remittance_confirm(
            actor=agent,
            remittance=report,
            amount=report.amount_due,
            bank_reference=f"{city.city.code}-R",
            remitted_on=TODAY,
            overdraw_reason="单位保费在途，先行上解",  # the unit's payment is not booked in this story
        )
    with org_scope(city.city, actor_id=city.office_user.pk):
        remittances.remittance_receive(actor=city.office_user, remittance=report)
    return report.amount_due


@pytest.fixture
def pooled(tree: Tree) -> Tree:
    """City A runs its plan: last month's premium is in its bank, no claim paid yet."""
    tree.a.with_enrollment(100)
    tree.a.reviewers = claimkit.reviewers(tree.a.city, "xa")
    tree.a.premium = _premium_pooled(tree.a)  # type: ignore[attr-defined]
    return tree


@pytest.fixture
def paid(pooled: Tree) -> Tree:
    """And a claim of the plan paid by the city this month."""
    claimkit.set_schedule(pooled.a.office_user, pooled.a.period)
    people = pooled.a.reviewers
    claim = claimkit.approve(people, claimkit.register(pooled.a.unit_agent, pooled.a.enrollment, invoices=("S-INV1",)))
    claimkit.pay(people, [claim], on=TODAY)
    with unscoped():
        pooled.a.claim = Claim.objects.get(pk=claim.pk)
    return pooled


def _rows(tree: Tree, on: date = TODAY) -> list[Any]:
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        return solvency_list(node=tree.a.city, on=on)


def _band(city: City, **values: str) -> None:
    with unscoped():
        FinanceSettings.objects.update_or_create(org=city.city, defaults={k: Decimal(v) for k, v in values.items()})


def _q(value: Decimal, step: str) -> Decimal:
    return value.quantize(Decimal(step), rounding=ROUND_HALF_UP)


def test_the_solvency_of_a_plan_agrees_with_the_books_computed_by_hand(paid: Tree) -> None:
    premium, payout = paid.a.premium, paid.a.claim.payout  # type: ignore[attr-defined]
    reserve = _q(premium * Decimal("0.1"), "0.01")  # the default reserve share, set aside on receipt
    (row,) = _rows(paid)  # the agent point only passes premium up: it keeps no fund of its own
    assert (row.office_id, row.plan_id, row.pools) == (paid.a.city.pk, paid.a.plan.pk, True)
    # By hand: the premium came into the bank, the claim went out; the reserve is part of the fund.
    assert row.bank == premium - payout
    assert row.fund_balance == premium - payout
    assert row.reserve == reserve
    assert row.income_12m == premium and row.claims_12m == payout
    assert row.reserve_ratio == _q(reserve / premium, "0.0001") == Decimal("0.1000")
    assert row.loss_ratio == _q(payout / premium, "0.0001")
    # The fund is overdrawn: it covers no month of payouts (never a negative number of months).
    assert premium < payout and row.months_covered == Decimal("0.0")
    # And with the ledger's own balances.
    with unscoped():
        bank = ledger.balance_get(office=paid.a.city, plan=paid.a.plan, account=Account.BANK)
        held = ledger.balance_get(office=paid.a.city, plan=paid.a.plan, account=Account.RESERVE_FUND)
        claims = ledger.balance_get(office=paid.a.city, plan=paid.a.plan, account=Account.CLAIMS_PAID)
    assert (row.bank, row.reserve, row.claims_12m) == (bank, held, claims)
    # The claim costs more than this small plan took in: overdrawn and losing, below the band.
    assert payout > premium and row.status == BELOW
    assert any("透支" in p for p in row.problems) and any("赔付率" in p for p in row.problems)
    # The overdraft says it: no second sentence about "-12.0 months" of payouts.
    assert not any("个月" in p for p in row.problems), row.problems
    # Before anything was booked there is no fund to judge.
    assert _rows(paid, on=date(TODAY.year - 1, 1, 1)) == []


def test_the_band_of_the_office_decides_within_and_above(pooled: Tree) -> None:
    (row,) = _rows(pooled)
    # No claim paid: a loss ratio of 0 is below the default lowest (50%): too much surplus.
    assert row.loss_ratio == 0 and row.status == ABOVE and any("赔付率" in p for p in row.problems)
    _band(pooled.a, loss_ratio_min="0")
    (row,) = _rows(pooled)
    assert row.status == WITHIN and row.problems == []
    _band(pooled.a, loss_ratio_min="0", reserve_ratio="0.2")  # a reserve of 10% is now too little
    (row,) = _rows(pooled)
    assert row.status == BELOW and any("准备金" in p for p in row.problems)


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_the_dashboard_and_the_overview_warn_of_a_plan_out_of_its_band(paid: Tree) -> None:
    head = _login(paid.a.office_user)
    page = head.get(reverse("finance:solvency"))
    body = page.content.decode()
    assert page.status_code == 200 and f'data-plan="{paid.a.plan.pk}"' in body and 'data-status="below"' in body
    assert money_text(paid.a.premium - paid.a.claim.payout) in body  # type: ignore[attr-defined]
    assert "超出合理区间" in body and "低于合理区间" in body
    assert head.get(reverse("finance:solvency") + "?on=2026-13-01").status_code == 400
    dashboard = head.get(reverse("reporting:dashboard")).content.decode()
    section = dashboard.split('data-testid="solvency-warnings"')[1].split("</section>")[0]
    assert paid.a.plan.name in section and paid.a.city.name in section and "透支" in section
    assert "; " not in section and "<li>" in section  # one reason a line, no half-width separator
    overview = head.get(reverse("reporting:overview")).content.decode()
    section = overview.split('data-testid="overview-solvency"')[1].split("</section>")[0]
    assert paid.a.plan.name in section and "低于合理区间" in section
    assert "; " not in section and "</strong>:" not in section
    # The sibling city sees nothing of city A's fund.
    stranger = _login(paid.b.office_user).get(reverse("finance:solvency")).content.decode()
    assert paid.a.plan.name not in stranger and paid.a.city.name not in stranger


def test_the_band_is_an_office_setting_with_checked_bounds(pooled: Tree) -> None:
    head = _login(pooled.a.office_user)
    url = reverse("finance:settings")
    base = {"reserve_ratio": "10", "fee_cap_ratio": "5%", "collective_decision_from": "100000"}
    bad = head.post(
        url,
        {
            **base,
            "surplus_months_min": "12",
            "surplus_months_max": "3",
            "loss_ratio_min": "50",
            "loss_ratio_max": "90",
        },
    )
    assert bad.status_code == 200 and "月数上限不能小于下限" in bad.content.decode()
    good = head.post(
        url,
        {**base, "surplus_months_min": "2", "surplus_months_max": "24", "loss_ratio_min": "0", "loss_ratio_max": "80%"},
    )
    assert good.status_code == 302
    with unscoped():
        saved = FinanceSettings.objects.get(org=pooled.a.city)
    assert (saved.surplus_months_max, saved.loss_ratio_max) == (Decimal("24.0"), Decimal("0.8000"))
    (row,) = _rows(pooled)
    assert row.band is not None and row.band.months_max == Decimal("24.0") and row.status == WITHIN


def test_the_ratios_are_shown_and_typed_as_percentages_and_kept_as_shares(pooled: Tree) -> None:
    head = _login(pooled.a.office_user)
    url = reverse("finance:settings")
    page = head.get(url).content.decode()
    assert 'name="reserve_ratio" value="10.0%"' in page and 'name="loss_ratio_max" value="90.0%"' in page
    base = {
        "reserve_ratio": "12.5%",
        "fee_cap_ratio": "5",
        "collective_decision_from": "100000",
        "surplus_months_min": "3",
        "surplus_months_max": "12",
        "loss_ratio_min": "50.0",
        "loss_ratio_max": "120％",  # a full-width percent sign, as a Chinese keyboard types it
    }
    assert head.post(url, base).status_code == 302
    with unscoped():
        saved = FinanceSettings.objects.get(org=pooled.a.city)
    assert (saved.reserve_ratio, saved.fee_cap_ratio, saved.loss_ratio_min, saved.loss_ratio_max) == (
        Decimal("0.1250"),
        Decimal("0.0500"),
        Decimal("0.5000"),
        Decimal("1.2000"),
    )
    assert 'value="12.5%"' in head.get(url).content.decode()
    for field, value, says in [
        ("reserve_ratio", "１０", "请用半角数字"),
        ("reserve_ratio", "NaN", "请用半角数字"),
        ("fee_cap_ratio", "101", "0 到 100%"),
        ("fee_cap_ratio", "-5", "0 到 100%"),
        ("loss_ratio_max", "501", "0 到 500%"),
        ("reserve_ratio", "12.345", "最多保留 2 位小数"),
    ]:
        bad = head.post(url, {**base, field: value})
        label = str(FinanceSettings._meta.get_field(field).verbose_name)
        assert bad.status_code == 200, (field, value)
        errors = [e for e in bad.context["form"].errors[field]]
        assert len(errors) == 1 and errors[0].startswith(label) and says in errors[0], (field, value, errors)
    # The bad-input walk's values (tests/test_bad_input.py) in each ratio: refused naming the field.
    for field in ("reserve_ratio", "fee_cap_ratio", "loss_ratio_min", "loss_ratio_max"):
        label = str(FinanceSettings._meta.get_field(field).verbose_name)
        for value in FIELD_HOSTILE:
            bad = head.post(url, {**base, field: value})
            if "\x00" in value:
                assert bad.status_code == 400
                continue
            assert bad.status_code == 200 and bad.context["form"].errors[field][0].startswith(label), (field, value)
    with unscoped():
        assert FinanceSettings.objects.get(org=pooled.a.city).reserve_ratio == Decimal("0.1250")
    low = head.post(url, {**base, "loss_ratio_min": "80", "loss_ratio_max": "60%"}).content.decode()
    assert "赔付率上限不能小于下限（80.0%）" in low


# Publication (公示) ------------------------------------------------------------------------------


def _draft(user: Any, **kwargs: Any) -> FundStatement:
    with org_scope(user.org, actor_id=user.pk):
        return publication.statement_draft(actor=user, **kwargs)


def _act(action: Any, user: Any, statement: FundStatement) -> FundStatement:
    with org_scope(user.org, actor_id=user.pk):
        return action(actor=user, statement=statement)  # type: ignore[no-any-return]


def test_a_statement_is_drafted_from_the_books_approved_by_another_and_then_public(paid: Tree) -> None:
    premium, payout = paid.a.premium, paid.a.claim.payout  # type: ignore[attr-defined]
    drafter, approver = paid.a.office_user, paid.a.reviewers.head
    with pytest.raises(ValidationError) as caught:  # the year is not over
        _draft(drafter, period="year", year=TODAY.year)
    assert f"{TODAY.year}-12-31" in str(caught.value)
    with time_machine.travel(NEXT_YEAR, tick=False):
        statement = _draft(drafter, period="quarter", year=TODAY.year, quarter=4, note="欢迎会员监督")
        (plan,) = statement.figures["plans"]
        assert plan["name"] == paid.a.plan.name and Decimal(plan["premium"]) + Decimal(plan["subsidies"]) == premium
        assert Decimal(plan["claims_paid"]) == payout and plan["claims"] == 1 and plan["members_taken_on"] == 2
        assert Decimal(plan["reserve_set_aside"]) == _q(premium * Decimal("0.1"), "0.01")
        assert Decimal(plan["fund_balance"]) == premium - payout
        assert statement.figures["totals"]["claims_paid"] == plan["claims_paid"]
        with pytest.raises(PermissionDenied):  # the drafter does not approve it
            _act(publication.statement_approve, drafter, statement)
        with pytest.raises(ValidationError):  # not approved yet: not published
            _act(publication.statement_publish, approver, statement)
        public = reverse("public:fund_statement", kwargs={"token": statement.public_token})
        assert Client().get(public).status_code == 404  # a draft has no public page
        statement = _act(publication.statement_approve, approver, statement)
        assert Client().get(public).status_code == 404  # approved, not yet published
        with pytest.raises(ValidationError):  # approved: not drafted again
            _draft(drafter, period="quarter", year=TODAY.year, quarter=4)
        statement = _act(publication.statement_publish, approver, statement)
        assert statement.status == StatementStatus.PUBLISHED and statement.approved_by_id == approver.pk
        page = Client().get(public)  # no login
        pdf = Client().get(reverse("public:fund_statement_pdf", kwargs={"token": statement.public_token}))
    body = page.content.decode()
    assert page.status_code == 200 and paid.a.city.name in body and paid.a.plan.name in body and "欢迎会员监督" in body
    assert money_text(payout) in body and money_text(premium - payout) in body
    text = pdf_text(pdf.content)
    assert pdf.status_code == 200 and paid.a.plan.name in text and money_text(payout) in text and "公示" in text
    # No person: neither a member nor a staff member nor the unit is named.
    for shown in (body, text):
        for member in paid.a.members:
            assert member["name"] not in shown and member["id_number"] not in shown
        assert paid.a.unit.name not in shown and str(drafter) not in shown and str(approver) not in shown


def test_the_public_page_shows_only_the_published_statement_of_its_own_office(paid: Tree) -> None:
    b = paid.b
    b.with_enrollment(200)
    b.reviewers = claimkit.reviewers(b.city, "bj")
    with time_machine.travel(NEXT_YEAR, tick=False):
        ours = _draft(paid.a.office_user, period="year", year=TODAY.year)
        _act(
            publication.statement_publish,
            paid.a.reviewers.head,
            _act(publication.statement_approve, paid.a.reviewers.head, ours),
        )
        theirs = _draft(b.office_user, period="year", year=TODAY.year)  # drafted, never approved
        other = _draft(b.office_user, period="quarter", year=TODAY.year, quarter=4)
        _act(
            publication.statement_publish,
            b.reviewers.head,
            _act(publication.statement_approve, b.reviewers.head, other),
        )
        page = Client().get(reverse("public:fund_statement", kwargs={"token": ours.public_token})).content.decode()
        assert paid.a.city.name in page and b.city.name not in page
        assert theirs.public_token not in page and other.public_token not in page
        assert Client().get(reverse("public:fund_statement", kwargs={"token": theirs.public_token})).status_code == 404
        assert (
            Client().get(reverse("public:fund_statement_pdf", kwargs={"token": theirs.public_token})).status_code == 404
        )
        assert (
            Client().get(reverse("public:fund_statement", kwargs={"token": ours.public_token[:-1] + "x"})).status_code
            == 404
        )
        # City B's staff cannot approve or read city A's statement inside the product.
        with pytest.raises(PermissionDenied):
            _act(publication.statement_approve, b.reviewers.head, ours)
        stranger = _login(b.office_user)  # logged in now: a session of last year has expired
        assert (
            stranger.get(reverse("finance:fund_statement_detail", kwargs={"fund_statement_pk": ours.pk})).status_code
            == 404
        )


def test_the_statement_pages_draft_approve_and_publish_with_messages(paid: Tree) -> None:
    with time_machine.travel(NEXT_YEAR, tick=False):
        drafter, approver = _login(paid.a.office_user), _login(paid.a.reviewers.head)
        bad = drafter.post(
            reverse("finance:fund_statement_list"),
            {"period": "quarter", "year": str(TODAY.year), "quarter": "5"},
            follow=True,
        )
        assert "请选择季度" in bad.content.decode()
        response = drafter.post(
            reverse("finance:fund_statement_list"), {"period": "quarter", "year": str(TODAY.year), "quarter": "4"}
        )
        with unscoped():
            statement = FundStatement.objects.get(org=paid.a.city)
        url = reverse("finance:fund_statement_detail", kwargs={"fund_statement_pk": statement.pk})
        assert response.status_code == 302 and response["Location"] == url
        refused = drafter.post(url, {"action": "approve"}, follow=True)
        assert "须由他人审批" in refused.content.decode()
        approver.post(url, {"action": "approve"})
        approver.post(url, {"action": "publish"})
        detail = approver.get(url).content.decode()
        assert statement.public_token in detail and "已公示" in detail
        pdf = approver.get(reverse("finance:fund_statement_pdf", kwargs={"fund_statement_pk": statement.pk}))
        assert pdf.status_code == 200 and paid.a.plan.name in pdf_text(pdf.content)

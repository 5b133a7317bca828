"""One date basis (README, "Which month a figure belongs to"): people and premium count in the
month of the approval that took the members on (a policy's issue, an endorsement's effective
date), claims in the month paid, in the books, the remittance reports, the overview and the
dashboard alike; the dashboard and the overview open on the current month to date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from enrollment.models import Endorsement, Policy
from finance.models import Account, EntryKind, JournalLine, Remittance
from finance.services import remittances
from mutualaid.tenancy import org_scope, unscoped
from reporting.dashboard import dashboard
from reporting.overview import overview
from tests import claimkit
from tests.conftest import Tree
from tests.lists import enrol, offer_plan, person

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime(2026, 11, 12, 10, tzinfo=SHANGHAI)
DECEMBER = datetime(2026, 12, 10, 23, 30, tzinfo=SHANGHAI)  # late evening: still the 10th's business
PAID_ON = date(2026, 12, 14)
TODAY = datetime(2026, 12, 15, 9, tzinfo=SHANGHAI)  # December is not over
JANUARY = datetime(2027, 1, 5, 9, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def figures_read_afresh(settings: Any) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture
def month_of_activity(tree: Tree) -> Tree:
    """City A's unit: a policy of three members issued on 12 November, a supplementary list of
    two more approved on 10 December (an endorsement), and a claim paid on 14 December."""
    a = tree.a
    offer = offer_plan(a.office_user)
    a.plan, a.period = offer.plan, offer.period
    with time_machine.travel(NOVEMBER, tick=False):
        a.policy = enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(3)])
    with time_machine.travel(DECEMBER, tick=False):
        enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(3, 5)])
    with time_machine.travel(datetime(2026, 12, 14, 9, tzinfo=SHANGHAI), tick=False):
        claimkit.set_schedule(a.office_user, a.period)
        a.reviewers = claimkit.reviewers(a.city, "xa")
        with unscoped():
            first = a.policy.enrollments.order_by("number").first()
        claim = claimkit.approve(a.reviewers, claimkit.register(a.unit_agent, first))
        claimkit.pay(a.reviewers, [claim], on=PAID_ON)
    with unscoped():
        a.policy = Policy.objects.get(pk=a.policy.pk)
        a.endorsement = Endorsement.objects.get(policy=a.policy)
        a.claim = type(claim).objects.get(pk=claim.pk)
    return tree


def _books(tree: Tree, account: str, start: date, end: date, kind: str | None = None) -> Decimal:
    """The debits to `account` posted from `start` to before `end` in the books of every office
    of city A's tree: what finance shows for the months."""
    with unscoped():
        lines = JournalLine.objects.filter(
            org__path__startswith=tree.a.city.path, account=account, posted_on__gte=start, posted_on__lt=end
        )
        if kind is not None:
            lines = lines.filter(entry__kind=kind)
        return lines.aggregate(total=Sum("debit"))["total"] or Decimal("0.00")


def _premium_booked(tree: Tree, start: date, end: date) -> Decimal:
    return _books(tree, Account.PREMIUM_RECEIVABLE, start, end, kind=EntryKind.POLICY_ISSUED)


def _claims_booked(tree: Tree, start: date, end: date) -> Decimal:
    return _books(tree, Account.CLAIMS_PAID, start, end)


def _figures(tree: Tree, month: date) -> dict[str, Any]:
    with time_machine.travel(TODAY, tick=False), org_scope(tree.a.city):
        return dashboard(node=tree.a.city, month=month, today=TODAY.date())


def _overview_totals(tree: Tree, month: date) -> dict[str, Any]:
    with time_machine.travel(TODAY, tick=False), org_scope(tree.a.city):
        (total,) = overview(node=tree.a.city, month=month)["totals"]
    return total


def test_the_policy_counts_in_november_and_its_endorsement_in_december_in_the_books(month_of_activity: Tree) -> None:
    a = month_of_activity.a
    november, december, january = date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
    issue_premium = a.policy.premium - a.endorsement.premium
    assert issue_premium == Decimal("150.00") and a.endorsement.premium == Decimal("100.00")
    assert _premium_booked(month_of_activity, november, december) == issue_premium
    assert _premium_booked(month_of_activity, december, january) == a.endorsement.premium
    assert _claims_booked(month_of_activity, december, january) == a.claim.payout > 0


def test_the_dashboard_of_the_current_month_agrees_with_the_books_month_by_month_and_for_the_year(
    month_of_activity: Tree,
) -> None:
    tree, a = month_of_activity, month_of_activity.a
    figures = _figures(tree, date(2026, 12, 1))
    trends = {row["month"]: row for row in figures["trends"]}
    for month, end in ((date(2026, 11, 1), date(2026, 12, 1)), (date(2026, 12, 1), date(2027, 1, 1))):
        row = trends[f"{month:%Y-%m}"]
        assert Decimal(row["premium"]) == _premium_booked(tree, month, end)
        assert Decimal(row["paid"]) == _claims_booked(tree, month, end)
    assert (trends["2026-11"]["people"], trends["2026-12"]["people"]) == (3, 2)
    assert trends["2026-12"]["claims"] == 1 and trends["2026-11"]["claims"] == 0
    headline = figures["headline"]
    year_start, year_end = date(2026, 1, 1), date(2027, 1, 1)
    assert headline["people"]["value"] == 5 == a.policy.member_count
    assert Decimal(headline["premium"]["value"]) == _premium_booked(tree, year_start, year_end) == a.policy.premium
    assert Decimal(headline["paid"]["value"]) == _claims_booked(tree, year_start, year_end) == a.claim.payout
    assert headline["claims"]["value"] == 1


def test_the_overview_agrees_with_the_books_and_the_dashboard_for_each_month(month_of_activity: Tree) -> None:
    tree = month_of_activity
    year_start = date(2026, 1, 1)
    november = _overview_totals(tree, date(2026, 11, 1))
    assert (november["people_year"], november["claims_year"]) == (3, 0)
    assert Decimal(november["premium_year"]) == _premium_booked(tree, year_start, date(2026, 12, 1))
    december = _overview_totals(tree, date(2026, 12, 1))
    assert (december["people_year"], december["people_all"], december["claims_year"]) == (5, 5, 1)
    assert Decimal(december["premium_year"]) == _premium_booked(tree, year_start, date(2027, 1, 1))
    assert Decimal(december["paid_year"]) == _claims_booked(tree, year_start, date(2027, 1, 1))
    plans = _figures(tree, date(2026, 12, 1))["plans"]
    assert [(p["people_year"], p["premium_year"], p["paid_year"]) for p in plans] == [
        (december["people_year"], december["premium_year"], december["paid_year"])
    ]


def test_each_month_remits_the_premium_its_books_made_receivable(month_of_activity: Tree) -> None:
    tree, a = month_of_activity, month_of_activity.a
    agent = a.county_agent
    with time_machine.travel(TODAY, tick=False), org_scope(agent.org, actor_id=agent.pk):
        november = remittances.remittance_draft(actor=agent, office=agent.org, month=date(2026, 11, 1))
    with time_machine.travel(JANUARY, tick=False), org_scope(agent.org, actor_id=agent.pk):
        december = remittances.remittance_draft(actor=agent, office=agent.org, month=date(2026, 12, 1))
    assert november.amount_due == _premium_booked(tree, date(2026, 11, 1), date(2026, 12, 1))
    assert december.amount_due == _premium_booked(tree, date(2026, 12, 1), date(2027, 1, 1))
    assert [line["members"] for line in november.lines] == [3]
    assert [line["members"] for line in december.lines] == [2]
    with unscoped():
        assert Remittance.objects.filter(org=agent.org).count() == 2


def test_the_dashboard_opens_on_the_current_month_to_date_and_says_so(month_of_activity: Tree) -> None:
    client = Client()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(month_of_activity.a.office_user)  # a session of that day
        response = client.get(reverse("reporting:dashboard"))
        asked = client.get(reverse("reporting:dashboard"), {"month": "2026-12"})
    assert response.status_code == 200 and asked.status_code == 200
    assert response.context["figures"]["month"] == asked.context["figures"]["month"] == "2026-12"
    text = response.content.decode()
    assert 'data-testid="as-of"' in text and "截至 2026年12月15日" in text
    assert response.context["figures"]["headline"]["people"]["value"] == 5
    with time_machine.travel(TODAY, tick=False):
        closed = client.get(reverse("reporting:dashboard"), {"month": "2026-11"})
    assert closed.status_code == 200 and closed.context["figures"]["month"] == "2026-11"
    assert 'data-testid="as-of"' not in closed.content.decode()
    assert closed.context["figures"]["headline"]["people"]["value"] == 3


def test_the_overview_opens_on_the_current_month_to_date_and_its_files_say_so(month_of_activity: Tree) -> None:
    client = Client()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(month_of_activity.a.office_user)  # a session of that day
        response = client.get(reverse("reporting:overview"))
        workbook = client.get(reverse("reporting:overview_xlsx"))
    assert response.status_code == 200 and response.context["figures"]["month"] == "2026-12"
    assert "截至 2026年12月15日" in response.content.decode()
    assert workbook.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    title = load_workbook(BytesIO(workbook.content)).active.cell(1, 1).value
    assert "2026年12月" in title and "截至 2026年12月15日" in title


@pytest.mark.parametrize("name", ["reporting:dashboard", "reporting:overview", "reporting:overview_xlsx"])
def test_a_month_not_yet_begun_is_refused_in_chinese_and_shows_nothing(month_of_activity: Tree, name: str) -> None:
    client = Client()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(month_of_activity.a.office_user)  # a session of that day
        response = client.get(reverse(name), {"month": "2027-01"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "2027-01" in text and "尚未开始" in text and "2026-12" in text


def test_the_pull_api_refuses_a_month_not_yet_begun_and_gives_the_current_one_to_date(
    month_of_activity: Tree,
) -> None:
    from rest_framework.authtoken.models import Token

    with time_machine.travel(TODAY, tick=False):
        client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=month_of_activity.a.office_user).key}")
        future = client.get("/api/v1/reporting/overview/", {"month": "2027-01"})
        current = client.get("/api/v1/reporting/overview/", {"month": "2026-12"})
    assert future.status_code == 400 and "尚未开始" in str(future.json()["month"])
    assert current.status_code == 200
    (total,) = current.json()["totals"]
    assert total["people_year"] == 5


def test_the_demo_dashboard_shows_its_data_and_agrees_with_the_books(db: None) -> None:
    """`make demo`'s province and city open their dashboard on the current month with the demo's
    policy (approved last month, as a whole) and its paid claim, the same figures as their books."""
    from io import StringIO

    from django.core.management import call_command

    from mutualaid import dates
    from mutualaid.models import Organisation, OrgKind

    call_command("seed_demo", stdout=StringIO())
    today = dates.business_today()
    with unscoped():
        city = Organisation.objects.get(kind=OrgKind.CITY, name__startswith="西安")
        province = Organisation.objects.get(pk=city.parent_id)
        policy = Policy.objects.get()
        year = date(today.year, 1, 1)
        books_premium = JournalLine.objects.filter(
            org__path__startswith=city.path,
            account=Account.PREMIUM_RECEIVABLE,
            entry__kind=EntryKind.POLICY_ISSUED,
            posted_on__gte=year,
        ).aggregate(total=Sum("debit"))["total"] or Decimal("0.00")
        books_paid = JournalLine.objects.filter(
            org__path__startswith=city.path, account=Account.CLAIMS_PAID, posted_on__gte=year
        ).aggregate(total=Sum("debit"))["total"] or Decimal("0.00")
        issued = policy.issued_at.astimezone(SHANGHAI).date()
        entry_day = JournalLine.objects.filter(
            account=Account.PREMIUM_RECEIVABLE, entry__idempotency_key=f"policy:{policy.pk}"
        ).values_list("posted_on", flat=True)
        assert set(entry_day) == {issued} and dates.month_start(issued) == dates.last_month()
    for node in (province, city):
        with org_scope(node):
            figures = dashboard(node=node, month=dates.month_start(today), today=today)
        headline = figures["headline"]
        if today.month > 1:  # in January the demo's policy is last year's
            assert headline["people"]["value"] == 24
            assert Decimal(headline["premium"]["value"]) == books_premium == policy.premium
        assert Decimal(headline["paid"]["value"]) == books_paid


def test_an_approval_across_midnight_dates_the_endorsement_its_members_and_its_books_on_one_day(
    tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The approval read the business date just before midnight and the clock just after: the
    endorsement, its members and its premium receivable still fall on one day."""
    from django.utils import timezone

    from enrollment.models import Enrollment
    from mutualaid import dates

    a = tree.a
    offer = offer_plan(a.office_user)
    with time_machine.travel(NOVEMBER, tick=False):
        policy = enrol(a.unit_agent, a.office_user, a.unit, offer.period, [person(i) for i in range(2)])
    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        from enrollment.services.approval import member_list_approve
        from enrollment.services.member_lists import member_list_submit
        from tests.lists import upload_and_check

        checked = upload_and_check(a.unit_agent, a.unit, offer.period, [person(i) for i in range(2, 4)])
        with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
            member_list_submit(actor=a.unit_agent, member_list=checked)
        late = iter([date(2026, 11, 30)])  # the approval's first reading of the date, a moment earlier
        monkeypatch.setattr(dates, "business_today", lambda: next(late, None) or timezone.localdate())
        with org_scope(a.office_user.org, actor_id=a.office_user.pk):
            member_list_approve(actor=a.office_user, member_list=checked)
    with unscoped():
        endorsement = Endorsement.objects.get(policy=policy)
        stored = {
            timezone.localdate(moment)
            for moment in Enrollment.objects.filter(member_list_id=checked.pk).values_list("created_at", flat=True)
        }
        posted = set(
            JournalLine.objects.filter(
                account=Account.PREMIUM_RECEIVABLE, entry__idempotency_key=f"endorsement:{endorsement.pk}"
            ).values_list("posted_on", flat=True)
        )
    assert stored == posted == {endorsement.effective_on} == {date(2026, 12, 1)}
    assert endorsement.premium_month == date(2026, 12, 1)

"""The leaders' dashboard: the year so far against last year, twelve months of trend, child
offices, plans, claims turnaround in working days, premium held back and risk flags."""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import polib
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from claims.models import Claim, ClaimSettings
from claims.selectors import office_calendar
from claims.services.office import claim_settings_save, office_day_set
from enrollment.models import Enrollment
from finance.rules import remittance_due_date
from finance.services import remittances as finance_remittances
from mutualaid import dates
from mutualaid.dates import add_months
from mutualaid.officesettings import office_settings
from mutualaid.tenancy import ScopeError, org_scope, unscoped
from mutualaid.tenantcache import office_key
from reporting import services as reporting_services
from reporting.dashboard import dashboard, held_back
from reporting.figures import Window
from reporting.models import Snapshot
from reporting.overview import overview
from reporting.turnaround import median, percentile, turnaround
from reporting.views import dashboard as dashboard_views
from tests import claimkit, finkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree
from tests.translations import ROOT, chinese_of, msgids_of

MONTH = date(2026, 6, 1)  # a closed month with the Dragon Boat holiday on Friday the 19th
TODAY = date(2026, 11, 28)


def _enrolled_on(enrollment: Enrollment, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.get_current_timezone())
    with unscoped():
        Enrollment.objects.filter(pk=enrollment.pk).update(created_at=moment)


@pytest.fixture
def june(claims_ready: Tree) -> Tree:
    """City A: two members at 50 yuan, enrolled in March and May 2026; one claim of 2,080 with
    documents complete on Monday 15 June, paid on Monday 22 June."""
    tree = claims_ready
    people = tree.a.reviewers
    claim = claimkit.approve(people, claimkit.register(tree.a.unit_agent, tree.a.enrollment))
    claimkit.pay(people, [claim], on=date(2026, 6, 22))
    with unscoped():
        Claim.objects.filter(pk=claim.pk).update(documents_complete_on=date(2026, 6, 15))
        first, second = Enrollment.objects.filter(policy=tree.a.policy).order_by("number")
    _enrolled_on(first, date(2026, 3, 10))
    _enrolled_on(second, date(2026, 5, 20))
    return tree


@pytest.fixture(autouse=True)
def figures_read_afresh(settings) -> None:
    """These tests change the books and read the figures again at once: nothing is kept between
    two readings, except in the test of keeping them."""
    settings.DASHBOARD_CACHE_SECONDS = 0


def _figures(tree: Tree, month: date = MONTH) -> dict:
    with org_scope(tree.a.city):
        return dashboard(node=tree.a.city, month=month, today=TODAY)


def test_the_headline_figures_are_the_year_so_far_and_agree_with_the_overview(june: Tree) -> None:
    head = _figures(june)["headline"]
    assert head["people"] == {"value": 2, "before": 0, "change": None}  # nothing last year to compare with
    assert head["premium"]["value"] == "100.00"  # 2 members × 50 yuan
    assert (head["claims"]["value"], head["paid"]["value"]) == (1, "2080.00")
    assert head["loss_ratio"]["value"] == "20.8000"  # 2,080 paid against 100 of premium
    assert head["risk_flags"]["value"] == 0 and head["overdue"]["value"] == 0
    with org_scope(june.a.city):
        (total,) = overview(node=june.a.city, month=MONTH)["totals"]
    assert (total["people_year"], total["premium_year"], total["paid_year"]) == (2, "100.00", "2080.00")
    # April: the May member and the June claim are not in the year so far yet.
    april = _figures(june, date(2026, 4, 1))["headline"]
    assert (april["people"]["value"], april["premium"]["value"], april["paid"]["value"]) == (1, "50.00", "0.00")
    assert april["loss_ratio"]["value"] == "0.0000"


def test_a_year_later_the_figures_compare_with_the_same_months_of_the_year_before(june: Tree) -> None:
    head = _figures(june, date(2027, 6, 1))["headline"]
    assert head["people"] == {"value": 0, "before": 2, "change": "-1.0000"}
    assert head["premium"] == {"value": "0.00", "before": "100.00", "change": "-1.0000"}
    assert head["loss_ratio"] == {"value": None, "before": "20.8000", "change": None}
    # A month of last year before the payment is compared only with what was paid by then.
    assert _figures(june, date(2027, 5, 1))["headline"]["paid"]["before"] == "0.00"


def test_the_trend_has_the_twelve_months_up_to_the_month_in_their_buckets(june: Tree) -> None:
    trends = _figures(june)["trends"]
    assert [row["month"] for row in trends] == [f"{add_months(MONTH, n):%Y-%m}" for n in range(-11, 1)]
    assert trends[0]["month"] == "2025-07" and trends[-1]["month"] == "2026-06"
    filled = {row["month"]: row for row in trends if row["people"] or row["claims"]}
    assert filled == {
        "2026-03": {"month": "2026-03", "people": 1, "premium": "50.00", "claims": 0, "paid": "0.00"},
        "2026-05": {"month": "2026-05", "people": 1, "premium": "50.00", "claims": 0, "paid": "0.00"},
        "2026-06": {"month": "2026-06", "people": 0, "premium": "0.00", "claims": 1, "paid": "2080.00"},
    }


def test_child_offices_and_plans_are_compared(june: Tree) -> None:
    figures = _figures(june)
    (child,) = figures["children"]
    assert (child["office_id"], child["people_year"], child["premium_year"], child["paid_year"]) == (
        june.a.county.pk,
        2,
        "100.00",
        "2080.00",
    )
    assert child["loss_ratio"] == "20.8000" and child["target_people"] is None and not child["is_node"]
    (plan,) = figures["plans"]
    assert (plan["name"], plan["premium_year"], plan["paid_year"]) == (june.a.plan.name, "100.00", "2080.00")


def test_a_rolled_up_month_shows_the_turnaround_its_roll_up_found_without_reading_the_claims(june: Tree) -> None:
    """The leaders' first look after the roll-up reads the month's turnaround off the snapshot
    (issue 20: the first request after a roll-up no slower than 3x a kept one), as submitted:
    a working day the province closes afterwards changes the live count, not the rolled-up one."""
    live = _figures(june)["turnaround"]
    _roll_up(june, MONTH)
    with unscoped():
        snapshot = Snapshot.objects.get(org=june.a.city, period_start=MONTH)
    assert snapshot.turnaround == live and live["claims"] == 1
    with CaptureQueriesContext(connection) as read:
        assert _figures(june)["turnaround"] == live
    assert "review_office_id" not in " ".join(q["sql"] for q in read.captured_queries)  # no claim counted
    with org_scope(june.province, actor_id=june.province_user.pk):
        office_day_set(actor=june.province_user, day=date(2026, 6, 16), is_workday=False)
    assert _figures(june)["turnaround"]["median"] == live["median"] == 4
    with org_scope(june.a.city):
        assert turnaround(node=june.a.city, window=Window(MONTH))["median"] == 3  # the live count moved
    # A snapshot kept before the turnaround was (None) has its month's claims counted as before.
    with unscoped(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # snapshots are never updated
        cursor.execute("UPDATE reporting_snapshot SET turnaround = NULL WHERE id = %s", [snapshot.pk])
        cursor.execute("SET LOCAL session_replication_role = origin")
    assert _figures(june)["turnaround"]["median"] == 3


def test_turnaround_counts_working_days_with_the_holidays_and_the_offices_own_target(june: Tree) -> None:
    turnaround = _figures(june)["turnaround"]
    # Tue 16, Wed 17, Thu 18, (Dragon Boat Fri 19, weekend), Mon 22: 4 working days; target 5.
    assert (turnaround["claims"], turnaround["median"], turnaround["p90"], turnaround["within_target"]) == (1, 4, 4, 1)
    (office,) = turnaround["offices"]
    assert (office["office_id"], office["target_days"], office["share_within"]) == (june.a.city.pk, 5, "1.0000")

    # The province closes Tuesday 16 June for its whole tree; the city sets a target of 2 days.
    with org_scope(june.province, actor_id=june.province_user.pk):
        office_day_set(actor=june.province_user, day=date(2026, 6, 16), is_workday=False)
    with org_scope(june.a.city, actor_id=june.a.office_user.pk):
        claim_settings_save(actor=june.a.office_user, target_days=2, limit_days=30)
    turnaround = _figures(june)["turnaround"]
    assert (turnaround["median"], turnaround["within_target"], turnaround["offices"][0]["target_days"]) == (3, 0, 2)
    # The same count as the claims clock's own calendar and settings give.
    calendar = office_calendar(office=june.a.city)
    assert calendar.between(date(2026, 6, 15), date(2026, 6, 22)) == 3
    assert office_settings(ClaimSettings, june.a.city).target_days == 2


def test_percentiles_are_by_nearest_rank() -> None:
    days = Counter([1, 2, 3, 4, 5, 6, 7, 8, 9, 30])
    assert (percentile(days, Decimal("0.9")), percentile(days, Decimal("0.5"))) == (9, 5)
    assert percentile(Counter([7]), Decimal("0.9")) == 7


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=200))
def test_percentiles_and_median_from_counts_equal_those_of_the_claims_listed_one_by_one(days: list[int]) -> None:
    listed = sorted(days)
    counts = Counter(days)
    assert median(counts) == statistics.median(listed)
    for share in (Decimal("0.5"), Decimal("0.9"), Decimal("1")):
        assert percentile(counts, share) == listed[max(0, math.ceil(share * len(listed)) - 1)]


def test_premium_held_back_risk_flags_and_claims_past_their_target_are_counted(june: Tree) -> None:
    # The policy issued two months ago and its agent point never reported it: held back.
    finkit.move_policy_to(june.a.policy, add_months(finkit.last_month(), -1))
    # The second member claims 9 days after the coverage started (flagged), and the claim has
    # waited past its target.
    with unscoped():
        second = Enrollment.objects.filter(policy=june.a.policy).order_by("number")[1]
    early = claimkit.register(
        june.a.unit_agent, second, admitted_on=date(2026, 1, 10), discharged_on=date(2026, 1, 15), invoices=("INV2",)
    )
    with unscoped():
        Claim.objects.filter(pk=early.pk).update(target_due_on=date(2026, 2, 1))
    with org_scope(june.a.city):
        figures = dashboard(node=june.a.city, month=MONTH, today=dates.business_today())
    head = figures["headline"]
    assert head["remittances_outstanding"] == {"value": "100.00", "offices": 1}
    (held,) = figures["remittances"]
    assert (held["office_id"], held["problem"], held["outstanding"]) == (june.a.county.pk, "missing", "100.00")
    assert head["risk_flags"]["value"] == 1 and figures["risk_flags"] == [{"code": "early_claim", "claims": 1}]
    assert head["overdue"]["value"] == 1


def test_premium_held_back_is_what_the_office_would_have_to_remit(june: Tree) -> None:
    """Finance finds premium held back below in three grouped queries; a month with no report
    must be owed exactly what drafting that report would ask, and a short one what is missing."""
    earlier, later = add_months(finkit.last_month(), -2), add_months(finkit.last_month(), -1)
    finkit.move_policy_to(june.a.policy, earlier)
    agent = june.a.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        report = finance_remittances.remittance_draft(actor=agent, office=agent.org, month=earlier)
        finance_remittances.remittance_confirm(
            actor=agent,
            remittance=report,
            amount=Decimal("60.00"),
            bank_reference="B-1",
            remitted_on=remittance_due_date(earlier, receiver=june.a.city) - timedelta(days=1),
            overdraw_reason="单位保费在途，先行上解",  # the unit's payment is not booked in this story
        )
    finkit.move_policy_to(june.a.policy, later)  # and nothing reported for it
    today = dates.business_today()
    with org_scope(june.a.city):
        problems = [(w["problem"], w["month"], w["outstanding"]) for w in held_back(node=june.a.city, today=today)]
    assert problems == [("missing", f"{later:%Y-%m}", "100.00"), ("short", f"{earlier:%Y-%m}", "40.00")]
    # The province sees nothing of it: the city's own report to the province is another matter.
    with org_scope(june.province):
        below = {w["office_id"] for w in held_back(node=june.province, today=today)}
    assert june.a.county.pk not in below
    # Drafting the missing report asks for what the warning said was owed.
    with org_scope(agent.org, actor_id=agent.pk):
        drafted = finance_remittances.remittance_draft(actor=agent, office=agent.org, month=later)
    assert drafted.amount_due == Decimal("100.00")


def test_the_number_of_queries_does_not_grow_with_the_data(june: Tree, django_assert_max_num_queries) -> None:
    with CaptureQueriesContext(connection) as small:
        _figures(june)
    # More of everything: another paid claim in another month, an open flagged claim.
    with unscoped():
        second = Enrollment.objects.filter(policy=june.a.policy).order_by("number")[1]
    people = june.a.reviewers
    later = claimkit.register(june.a.unit_agent, second, invoices=("INV3",))
    claimkit.pay(people, [claimkit.approve(people, later)], on=date(2026, 5, 6))
    claimkit.register(june.a.unit_agent, second, admitted_on=date(2026, 1, 10), invoices=("INV4",))
    # 24: one of them reads the city's due day for its agent points' remittances, two the plans'
    # funds against their band of reasonable surplus (the ledger grouped, the offices' settings).
    with django_assert_max_num_queries(24), CaptureQueriesContext(connection) as large:
        figures = _figures(june)
    assert figures["headline"]["claims"]["value"] == 2 and figures["headline"]["risk_flags"]["value"] == 1
    assert len(large) == len(small)


def _roll_up(tree: Tree, *months: date) -> None:
    with org_scope(tree.a.city):
        for month in months:
            reporting_services.snapshot_rollup(office=tree.a.city, period=month)


def test_rolled_up_months_are_read_from_the_snapshots_with_the_same_figures(june: Tree) -> None:
    live = _figures(june)
    _roll_up(june, *(date(2026, m, 1) for m in range(3, 7)))
    assert {**_figures(june), "read_at": None} == {**live, "read_at": None}  # read at another moment
    with CaptureQueriesContext(connection) as read:
        _figures(june)
    # March to June come from their snapshots; only the months before March are read live, from
    # the running figures (one query), never from the members; so is the premium held back below
    # (finance's remittance warnings, the active members' premium of the offices below by month:
    # the one read of the running figures that filters on the plans run above).
    enrolled = [q["sql"] for q in read.captured_queries if 'FROM "enrollment_enrollment"' in q["sql"]]
    running = [q["sql"] for q in read.captured_queries if 'FROM "reporting_monthfigure"' in q["sql"]]
    held_back = [sql for sql in running if '"enrollment_plan"."org_id" IN' in sql]
    assert enrolled == [] and len(running) == 2 and len(held_back) == 1


def test_the_trend_shows_the_figures_as_submitted_and_live_figures_where_nothing_was(june: Tree) -> None:
    _roll_up(june, date(2026, 5, 1), date(2026, 6, 1))
    # A late change: the May member turns out to have joined in April (not rolled up).
    with unscoped():
        second = Enrollment.objects.filter(policy=june.a.policy).order_by("number")[1]
    _enrolled_on(second, date(2026, 4, 15))
    trends = {row["month"]: row["people"] for row in _figures(june)["trends"]}
    # June is the difference of the May and June snapshots: as submitted, nobody joined in June.
    # May has no April snapshot to subtract, so it is live, like April: the member is in April.
    assert (trends["2026-03"], trends["2026-04"], trends["2026-05"], trends["2026-06"]) == (1, 1, 0, 0)
    # The year so far is June's snapshot: two members, as submitted.
    assert _figures(june)["headline"]["people"]["value"] == 2


def test_the_figures_are_kept_for_a_while_and_a_roll_up_shows_at_once(june: Tree, settings) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 1
    first = _figures(june)
    with CaptureQueriesContext(connection) as again:
        assert _figures(june) == first
    # Read once: the second reading asks only which snapshot is the month's latest.
    assert [q["sql"] for q in again.captured_queries if "reporting_snapshot" not in q["sql"]] == []
    with unscoped():
        second = Enrollment.objects.filter(policy=june.a.policy).order_by("number")[1]
    claimkit.register(june.a.unit_agent, second, admitted_on=date(2026, 1, 10), invoices=("INV9",))
    assert _figures(june)["headline"]["risk_flags"] == first["headline"]["risk_flags"]
    time.sleep(1.1)  # past DASHBOARD_CACHE_SECONDS, the figures are read again, with the time
    later = _figures(june)
    assert later["headline"]["risk_flags"]["value"] == first["headline"]["risk_flags"]["value"] + 1
    assert later["read_at"] > first["read_at"]
    settings.DASHBOARD_CACHE_SECONDS = 60
    _figures(june)
    _roll_up(june, MONTH)  # a new snapshot of the month: read at once, not after a minute
    with CaptureQueriesContext(connection) as rolled:
        _figures(june)
    assert [q["sql"] for q in rolled.captured_queries if "reporting_snapshot" not in q["sql"]] != []
    # Kept per viewer's subtree and node: the province reads its own entry; a sibling's scope
    # cannot even name the key.
    with org_scope(june.province):
        assert office_key(june.a.city, "x") != _key_in(june.a.city, "x")
    with org_scope(june.b.city), pytest.raises(ScopeError):
        office_key(june.a.city, "x")


def _key_in(node, *parts) -> str:
    with org_scope(node):
        return office_key(node, *parts)


def test_a_sibling_office_cannot_open_our_dashboard(june: Tree) -> None:
    client = Client()
    client.force_login(june.b.office_user)
    url = reverse("reporting:dashboard")
    assert client.get(url, {"office": june.a.city.pk}).status_code == 404
    assert client.get(url, {"office": "x"}).status_code == 400  # no id at all: refused as such
    own = client.get(url, {"month": "2026-06"})
    assert own.status_code == 200
    body = own.content.decode()
    assert not [s for s in june.a.secrets() if s in body]


def test_the_province_opens_a_city_and_the_city_sees_its_own(june: Tree) -> None:
    client = Client()
    client.force_login(june.province_user)
    html = client.get(reverse("reporting:dashboard"), {"office": june.a.city.pk, "month": "2026-06"})
    assert html.status_code == 200 and june.a.county.name in html.content.decode()
    province = client.get(reverse("reporting:dashboard"), {"month": "2026-06"}).content.decode()
    assert june.a.city.name in province  # a child office of the province


def test_the_page_in_chinese_shows_the_figures_and_draws_charts_from_our_static_files(june: Tree) -> None:
    client = Client()
    client.force_login(june.a.office_user)
    response = client.get(reverse("reporting:dashboard"), {"month": "2026-06"})
    assert response.status_code == 200 and response.context["node"] == june.a.city
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    for chinese in ("本年参保人数", "本年保费", "本年赔付金额", "赔付率", "风险提示", "保障项目"):
        assert chinese in html, chinese
    people = re.search(r'data-testid="stat-people">.*?class="figure">([^<]+)<', html, re.S)
    paid = re.search(r'data-testid="stat-paid">.*?class="figure">([^<]+)<', html, re.S)
    loss = re.search(r'data-testid="stat-loss_ratio">.*?class="figure">([^<]+)<', html, re.S)
    assert people and paid and loss
    assert (people.group(1).strip(), paid.group(1).strip(), loss.group(1).strip()) == ("2", "2,080.00", "2,080.0%")
    assert june.a.county.name in html and 'data-month="2026-06"' in html
    assert "，2026年6月</h1>" in html and "至 2026年6月末" in html  # the month as a person reads it
    read_at = re.search(r'data-testid="read-at">数据读取于 (\d\d:\d\d:\d\d)。<', html)
    assert read_at, "the page says when its figures were read"
    hour, minute, second = (int(part) for part in read_at.group(1).split(":"))
    now = timezone.localtime()  # Asia/Shanghai, as the page shows it
    seconds = (now.hour * 3600 + now.minute * 60 + now.second) - (hour * 3600 + minute * 60 + second)
    assert seconds % 86400 < 60
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert "/static/vendor/echarts/echarts.min.js" in scripts and "/static/js/dashboard.js" in scripts
    assert not [src for src in scripts if "//" in src]  # nothing from another host, no CDN
    assert 'id="dashboard-data"' in html and 'id="chart-trends"' in html
    assert 'data-testid="charts-missing"' not in html


def test_without_the_chart_library_the_page_keeps_its_tables_and_says_how_to_get_charts(
    june: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_views, "ECHARTS", "vendor/echarts/not-installed.js")
    client = Client()
    client.force_login(june.a.office_user)
    html = client.get(reverse("reporting:dashboard"), {"month": "2026-06"}).content.decode()
    assert 'data-testid="charts-missing"' in html and "make demo" in html
    assert "echarts" not in re.sub(r"make demo.*?</p>", "", html) and "2,080.00" in html
    assert "<details open>" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_draw_in_a_browser_from_our_own_files(june: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, june.a.office_user)
    page.goto(page.base_url + reverse("reporting:dashboard") + "?month=2026-06")
    for chart in ("chart-trends", "chart-children", "chart-plans"):
        page.wait_for_selector(f"#{chart} canvas")
    series = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-trends')).getOption().series"
        ".map(s => [s.name, s.data.reduce((a, b) => a + b, 0)])"
    )
    assert series[1] == ["保费（元）", 100] and series[2][1] == 2080  # premium by month, paid by month
    assert "2,080.00" in page.locator("[data-testid=stat-paid]").inner_text()
    screenshot(page, "60-leaders-dashboard")
    assert not errors


def test_the_current_month_is_shown_to_date_and_a_month_not_yet_begun_is_refused(june: Tree) -> None:
    client = Client()
    client.force_login(june.a.office_user)
    current = dates.month_start(dates.business_today())
    response = client.get(reverse("reporting:dashboard"), {"month": f"{current:%Y-%m}"})
    assert response.context["figures"]["month"] == f"{current:%Y-%m}" and response.context["as_of"]
    assert client.get(reverse("reporting:dashboard")).context["figures"]["month"] == f"{current:%Y-%m}"
    refused = client.get(reverse("reporting:dashboard"), {"month": "2999-01"})
    assert refused.status_code == 400 and "2999-01" in refused.content.decode()


def test_every_message_of_the_dashboard_has_chinese() -> None:
    sources = ["reporting/views/dashboard.py", "reporting/dashboard.py", "reporting/turnaround.py"]
    msgids: set[str] = set()
    for source in sources:
        msgids |= set(msgids_of(source, frozenset({"_", "gettext_lazy"}), strict=True))
    text = (ROOT / "reporting" / "templates" / "reporting" / "dashboard.html").read_text(encoding="utf-8")
    msgids |= set(re.findall(r'{% translate "([^"]+)" %}', text)) | set(re.findall(r"{% translate '([^']+)' %}", text))
    for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
        msgids.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))

    po = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid for entry in po if entry.msgstr and "fuzzy" not in entry.flags}
    known = translated | set(chinese_of(msgids))
    assert msgids <= known, sorted(msgids - known)
    placeholder = re.compile(r"%\((\w+)\)s")
    for msgid, chinese in chinese_of(msgids).items():
        assert sorted(placeholder.findall(chinese)) == sorted(placeholder.findall(msgid)), msgid
        assert "%" not in placeholder.sub("", chinese), msgid  # a bare % breaks python-format

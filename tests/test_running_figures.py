"""The running monthly figures (reporting.MonthFigure, kept by the database in the transaction of
every write to the enrollments and the claims) always equal a full recomputation from the rows:
after lists approved on either side of a month boundary, an endorsement, a withdrawn list, a
member cancelled, claims paid in two months, a hand correction and a retention run, for every
node and every field; the overview and the dashboard read them and say when; a city reads only
its own subtree; a roll-up repairs them if they ever differ."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from claims.models import CallbackOutcome, Claim, ClaimStatus
from claims.services.callback import claim_callback
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services.corrections import member_list_withdraw
from enrollment.services.enrollments import enrollment_cancel
from enrollment.services.member_lists import member_list_submit
from finance.rules import MONEY_OFFICES
from finance.selectors.remittances import premium_by_child_and_month, premium_by_child_and_month_from_rows
from mutualaid import replica
from mutualaid.models import Organisation
from mutualaid.retention import retention_apply
from mutualaid.tenancy import org_scope, unscoped
from reporting import services
from reporting.dashboard import _live_by_month
from reporting.models import MonthFigure
from reporting.overview import overview
from tests import claimkit
from tests.conftest import City, Tree
from tests.lists import enrol, offer_plan, person, upload_and_check

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 23:30 on 30 November in Shanghai is November's business, 00:30 on 1 December December's,
# although both are 30 November on the server's UTC clock.
LAST_OF_NOVEMBER = datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI)
FIRST_OF_DECEMBER = datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)
MID_DECEMBER = datetime(2026, 12, 15, 9, 41, tzinfo=SHANGHAI)
MONTHS = [date(2015, 3, 1), date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]
# Every figure kept, and the money among them.
FIELDS = ("people", "shares", "claims", *(f"callbacks_{outcome}" for outcome in CallbackOutcome.values))
MONEY_FIELDS = ("premium", "paid", "premium_active", "levels_part_active")


@pytest.fixture(autouse=True)
def figures_read_afresh(settings: Any) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 0


def _pay(city: City, prefix: str, member: Enrollment, on: date) -> Claim:
    if city.reviewers is None:
        claimkit.set_schedule(city.office_user, city.period)
        city.reviewers = claimkit.reviewers(city.city, prefix)
    claim = claimkit.register(city.unit_agent, member, invoices=(f"INV-{member.pk}",))
    claim = claimkit.approve(city.reviewers, claim)
    claimkit.pay(city.reviewers, [claim], on=on)
    return claim


def _members(city: City) -> list[Enrollment]:
    with unscoped():
        return list(Enrollment.objects.filter(org=city.unit).order_by("pk"))


@pytest.fixture
def busy(tree: Tree) -> Tree:
    """Two cities at work around the turn of November: lists approved on the last evening of
    November and the first night of December (an endorsement in A), a list withdrawn before
    approval, a member cancelled, claims paid in November and December, a member's approval date
    corrected by hand, and a retention run that anonymises an expired member and claim."""
    a, b = tree.a, tree.b
    for city in (a, b):
        offer = offer_plan(city.office_user)
        city.plan, city.period = offer.plan, offer.period
    with time_machine.travel(LAST_OF_NOVEMBER, tick=False):
        a.policy = enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(4)])
        b.policy = enrol(b.unit_agent, b.office_user, b.unit, b.period, [person(i, shares=2) for i in range(10, 13)])
        a.claim = _pay(a, "xa", _members(a)[0], date(2026, 11, 30))
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        enrol(a.unit_agent, a.office_user, a.unit, a.period, [person(i) for i in range(4, 6)])  # the endorsement
    with time_machine.travel(MID_DECEMBER, tick=False):
        # A supplementary list withdrawn before approval counts nowhere.
        withdrawn = upload_and_check(b.unit_agent, b.unit, b.period, [person(20, shares=2), person(21, shares=2)])
        assert withdrawn.status == "valid", withdrawn.cell_problems or withdrawn.list_problems
        with org_scope(b.unit_agent.org, actor_id=b.unit_agent.pk):
            submitted = member_list_submit(actor=b.unit_agent, member_list=withdrawn)
            member_list_withdraw(actor=b.unit_agent, member_list=submitted, reason="人数填错")
        # A member cancelled still counts in the month taken on (README, "Which month").
        with org_scope(a.city, actor_id=a.office_user.pk):
            enrollment_cancel(actor=a.office_user, enrollment=_members(a)[3], reason="离职")
        december_claim = _pay(a, "xa", _members(a)[1], date(2026, 12, 14))
        b.claim = _pay(b, "bj", _members(b)[0], date(2026, 12, 15))
        # Phone callbacks (回访): one outcome recorded and then corrected, one left not reached.
        for city, claim, outcomes in ((a, december_claim, ("satisfied", "complaint")), (b, b.claim, ("not_reached",))):
            with org_scope(city.city, actor_id=city.reviewers.officer.pk):
                for outcome in outcomes:
                    claim_callback(actor=city.reviewers.officer, claim=Claim.objects.get(pk=claim.pk), outcome=outcome)
    with unscoped():
        # A hand correction: B's second member was in fact taken on in October.
        Enrollment.objects.filter(pk=_members(b)[1].pk).update(created_at=datetime(2026, 10, 20, 10, tzinfo=SHANGHAI))
        # Retention: A's first member's cover ended years ago, and its claim (by a hand correction
        # that moves it to another month) was paid long ago.
        Enrollment.objects.filter(pk=_members(a)[0].pk).update(ends_on=date(2019, 6, 30))
        Claim.objects.filter(pk=a.claim.pk).update(paid_on=date(2015, 3, 1))
    with time_machine.travel(MID_DECEMBER, tick=False), org_scope(a.city):
        done = retention_apply(office=a.city, today=date(2026, 12, 15))
    assert done["enrollments"] == 1 and done["claims"] == 1
    return tree


def _recomputed() -> dict[tuple[str, int, date], dict[str, Any]]:
    """Every node's figures by period and month, added up here from the rows themselves."""
    figures: dict[tuple[str, int, date], dict[str, Any]] = defaultdict(
        lambda: {field: 0 for field in FIELDS} | {money: Decimal("0") for money in MONEY_FIELDS}
    )

    def add(path: str, period_id: int, month: date, **amounts: Any) -> None:
        for level in range(1, len(path) // 7 + 1):
            cell = figures[(path[: 7 * level], period_id, month)]
            for key, value in amounts.items():
                cell[key] += value

    with unscoped():
        for e in Enrollment.objects.all():
            taken_on = e.created_at.astimezone(SHANGHAI).date().replace(day=1)
            active = e.status == EnrollmentStatus.ACTIVE
            add(
                e.org_path,
                e.period_id,
                taken_on,
                people=1,
                shares=e.shares,
                premium=e.premium,
                premium_active=e.premium if active else Decimal("0"),
                levels_part_active=e.levels_part if active else Decimal("0"),
            )
        for c in Claim.objects.filter(status=ClaimStatus.PAID, paid_on__isnull=False):
            called = {f"callbacks_{c.callback_outcome}": 1} if c.callback_outcome else {}
            add(c.org_path, c.period_id, c.paid_on.replace(day=1), claims=1, paid=c.payout, **called)
    return dict(figures)


def _kept() -> dict[tuple[str, int, date], dict[str, Any]]:
    with unscoped():
        return {
            (f.org_path, f.period_id, f.month): {field: getattr(f, field) for field in (*FIELDS, *MONEY_FIELDS)}
            for f in MonthFigure.objects.all()
        }


def _nodes(tree: Tree) -> list[Organisation]:
    return [tree.province, *(getattr(c, level) for c in (tree.a, tree.b) for level in ("city", "county", "unit"))]


def test_the_running_figures_equal_a_full_recomputation_field_by_field(busy: Tree) -> None:
    kept = _kept()
    assert kept == _recomputed()
    # The month boundary: the approvals of 23:30 on 30 November and 00:30 on 1 December (both 30
    # November in UTC) fall in November and December; B's corrected member moved to October.
    a_unit, b_unit = busy.a.unit.path, busy.b.unit.path
    assert kept[(a_unit, busy.a.period.pk, date(2026, 11, 1))]["people"] == 4
    assert kept[(a_unit, busy.a.period.pk, date(2026, 12, 1))]["people"] == 2
    assert kept[(a_unit, busy.a.period.pk, date(2026, 12, 1))]["claims"] == 1
    assert kept[(b_unit, busy.b.period.pk, date(2026, 10, 1))] == {
        **dict.fromkeys(FIELDS, 0),
        "people": 1,
        "shares": 2,
        "premium": Decimal("100.00"),
        "premium_active": Decimal("100.00"),
        "levels_part_active": Decimal("0.00"),
        "paid": Decimal("0.00"),
    }
    # The member cancelled in December (taken on in November) left November's premium but not
    # the active members' premium; the callbacks count each claim once, by its latest outcome.
    november = kept[(a_unit, busy.a.period.pk, date(2026, 11, 1))]
    cancelled = _members(busy.a)[3]
    assert cancelled.status == EnrollmentStatus.CANCELLED
    assert november["premium_active"] == november["premium"] - cancelled.premium > 0
    december = kept[(busy.province.path, busy.a.period.pk, date(2026, 12, 1))]
    assert (december["callbacks_satisfied"], december["callbacks_complaint"], december["callbacks_not_reached"]) == (
        0,
        1,
        0,
    )
    assert kept[(busy.b.city.path, busy.b.period.pk, date(2026, 12, 1))]["callbacks_not_reached"] == 1
    # The withdrawn list counts nowhere: B took on three people in all.
    assert sum(f["people"] for (path, _p, _m), f in kept.items() if path == busy.b.city.path) == 3
    # Nothing is kept all zero, and every kept row has its node and parent.
    assert all(any(f.values()) for f in kept.values())
    with unscoped():
        for row in MonthFigure.objects.select_related("org__parent"):
            assert row.org.path == row.org_path
            assert row.parent_path == (row.org.parent.path if row.org.parent else "")


def test_the_overview_and_the_dashboard_read_them_and_agree_with_the_rows(busy: Tree) -> None:
    with time_machine.travel(MID_DECEMBER, tick=False), org_scope(busy.province):
        for node in _nodes(busy):
            for month in MONTHS:
                assert overview(node=node, month=month) == overview(node=node, month=month, from_rows=True), (
                    node.name,
                    month,
                )
            flows = _live_by_month(node, start=date(2026, 1, 1), end=date(2027, 1, 1))
            expected: dict[date, dict[str, Any]] = defaultdict(
                lambda: {"people": 0, "premium": Decimal("0"), "claims": 0, "paid": Decimal("0")}
            )
            for (path, _period, month), cell in _recomputed().items():
                if path == node.path and month.year == 2026:
                    for key in expected[month]:
                        expected[month][key] += cell[key]
            assert {m: flows[m] for m in expected} == dict(expected)
    # They are read from the running figures, not from the millions of rows.
    with time_machine.travel(MID_DECEMBER, tick=False), org_scope(busy.province), CaptureQueries() as read:
        overview(node=busy.province, month=date(2026, 12, 1))
    assert [sql for sql in read.queries if "enrollment_enrollment" in sql or "claims_claim" in sql] == []


class CaptureQueries:
    def __enter__(self) -> CaptureQueries:
        from django.test.utils import CaptureQueriesContext

        self.context = CaptureQueriesContext(connection)
        self.context.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.__exit__(*exc)

    @property
    def queries(self) -> list[str]:
        return [q["sql"] for q in self.context.captured_queries]


def test_the_page_of_the_current_month_says_as_of_when_and_shows_the_recomputed_figures(busy: Tree) -> None:
    client = Client()
    with time_machine.travel(MID_DECEMBER, tick=False):
        client.force_login(busy.a.office_user)
        page = client.get(reverse("reporting:overview"))
        board = client.get(reverse("reporting:dashboard"))
        with org_scope(busy.a.city):
            recomputed = overview(node=busy.a.city, month=date(2026, 12, 1), from_rows=True)
    assert page.status_code == 200 and board.status_code == 200
    assert page.context["figures"] == recomputed
    assert "截至 2026年12月15日 09:41" in page.content.decode()
    assert 'data-testid="as-of"' in board.content.decode() and "截至 2026年12月15日 09:41" in board.content.decode()
    assert board.context["figures"]["headline"]["people"]["value"] == sum(
        r["people_year"] for r in recomputed["totals"]
    )


def test_a_city_reads_the_running_figures_of_its_own_subtree_only(busy: Tree) -> None:
    with org_scope(busy.a.city):
        paths = set(MonthFigure.objects.values_list("org_path", flat=True))
    assert paths and all(path.startswith(busy.a.city.path) for path in paths)
    assert busy.province.path not in paths and not any(p.startswith(busy.b.city.path) for p in paths)
    client = Client()
    with time_machine.travel(MID_DECEMBER, tick=False):
        client.force_login(busy.a.office_user)
        refused = client.get(reverse("reporting:overview"), {"office": busy.b.city.pk})
    assert refused.status_code == 404


def test_a_roll_up_finds_figures_that_drifted_and_rebuilds_them(busy: Tree) -> None:
    with unscoped():
        MonthFigure.objects.filter(org_path=busy.a.city.path).update(people=999)
    with time_machine.travel(datetime(2027, 1, 3, 9, tzinfo=SHANGHAI), tick=False), org_scope(busy.a.city):
        snapshot, created = services.snapshot_rollup(office=busy.a.city, period=date(2026, 12, 1))
        assert created and snapshot.figures == overview(node=busy.a.city, month=date(2026, 12, 1))
    assert _kept() == _recomputed()


def test_the_overview_reads_the_running_figures_from_the_replica_when_there_is_one() -> None:
    router = replica.ReplicaRouter()
    token = replica._reading.set(True)
    try:
        assert router.db_for_read(MonthFigure) == replica.REPLICA
    finally:
        replica._reading.reset(token)
    assert router.db_for_write(MonthFigure) == "default"
    assert {"reporting:overview", "reporting:dashboard", "api_reporting_overview"} <= replica.replica_routes()


def test_reading_from_the_rows_instead_gives_the_same_pages(busy: Tree, settings: Any) -> None:
    """REPORTING_FROM_ROWS (the fallback, and the benchmark's alternative) changes only the cost."""
    from reporting.dashboard import dashboard

    def read() -> list[dict[str, Any]]:
        with time_machine.travel(MID_DECEMBER, tick=False), org_scope(busy.province):
            return [
                {**dashboard(node=node, month=date(2026, 12, 1), today=date(2026, 12, 15)), "read_at": None}
                for node in (busy.province, busy.a.city, busy.b.unit)
            ] + [overview(node=node, month=date(2026, 11, 1)) for node in (busy.province, busy.a.county)]

    kept = read()
    settings.REPORTING_FROM_ROWS = True
    assert read() == kept


def test_what_the_offices_below_owe_is_read_from_them_and_equals_the_rows(busy: Tree, settings: Any) -> None:
    """The premium of the active members taken on each month under each office below (the
    remittance warnings of the home page, the remittances page and the dashboard), read from the
    running figures without touching the enrollments, equals the grouping of the rows."""
    months = [date(2026, 12, 1), date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)]
    found: dict[tuple[str, date], Decimal] = {}
    with org_scope(busy.province):
        for office in _nodes(busy):
            children = list(Organisation.objects.filter(parent=office, kind__in=MONEY_OFFICES).order_by("path"))
            if not children:
                continue
            with CaptureQueries() as read:
                kept = premium_by_child_and_month(office, children, months)
            rows = premium_by_child_and_month_from_rows(office, children, months)
            assert kept == {key: amount for key, amount in rows.items() if amount}, office.name
            assert [sql for sql in read.queries if "enrollment_enrollment" in sql] == []
            found.update(kept)
            settings.REPORTING_FROM_ROWS = True
            assert premium_by_child_and_month(office, children, months) == rows
            settings.REPORTING_FROM_ROWS = False
    # A's county owes for November's list (less the member cancelled) and December's endorsement.
    assert {(busy.a.county.path, date(2026, 11, 1)), (busy.a.county.path, date(2026, 12, 1))} <= set(found)

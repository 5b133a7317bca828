"""Annual targets, the year's rankings of the offices below, the overview as PDF, and exports
prepared in the background."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services.plans import period_create
from mutualaid.models import OrgKind
from mutualaid.roles import Role
from mutualaid.tenancy import org_scope, unscoped
from reporting import exports, jobs
from reporting.models import ExportJob, Target
from reporting.rankings import rankings
from reporting.tasks import export
from tests import claimkit
from tests.conftest import Tree
from tests.factories import OrganisationFactory, UserFactory
from tests.lists import enrol, person
from tests.translations import ROOT, catalogue, chinese_of, msgids_of

YEAR = 2026
TODAY = date(YEAR, 11, 28)
THIS_YEAR = datetime(YEAR, 3, 10, 10, tzinfo=timezone.get_current_timezone())
LAST_YEAR = datetime(YEAR - 1, 3, 10, 10, tzinfo=timezone.get_current_timezone())


def _in_chinese(msgid: str, **values: Any) -> str:
    """The Chinese of the .po once the catalogue is compiled, the English before."""
    with translation.override("zh-hans"):
        found = translation.gettext(msgid)
    assert found in (msgid, catalogue().get(msgid, found))
    return found % values if values else found


@pytest.fixture
def ranked(claims_ready: Tree, monkeypatch: pytest.MonkeyPatch) -> Tree:
    """City A with two agent points, each with one unit, in city A's plan:

    - the first unit (headcount 300): 2 people this year (50 yuan each), one claim of 2,080 paid;
      last year (the 2025 period) 3 people, 2 of whom renewed; targets 4 people and 400 yuan;
    - a second unit (headcount 100) under a second agent point: 1 person this year, target 1.
    """
    tree = claims_ready
    a = tree.a
    people = a.reviewers
    claimkit.pay(people, [claimkit.approve(people, claimkit.register(a.unit_agent, a.enrollment))])
    with unscoped():
        a.county2 = OrganisationFactory(code="XAQ61C2", name="甲XA雁塔区代办点", kind=OrgKind.COUNTY, parent=a.city)
        a.unit2 = OrganisationFactory(code="XAQ61U2", name="甲XA纺织厂工会", parent=a.county2, headcount=100)
    agent2 = UserFactory(username="xa_unit2", display_name="甲XA纺织经办", org=a.unit2, roles=[Role.UNIT_AGENT])
    enrol(agent2, a.office_user, a.unit2, a.period, [person(300, name="甲XA纺织会员")])
    with org_scope(a.city, actor_id=a.office_user.pk):
        a.period_2025 = period_create(
            actor=a.office_user,
            plan=a.plan,
            label="2025年度",
            starts_on=date(YEAR - 1, 1, 1),
            ends_on=date(YEAR - 1, 12, 31),
            premium_per_share=Decimal("50.00"),
            max_shares=3,
            min_participation=Decimal("0.000"),
        )
    # Last year's list was approved while its period ran: the whole product (business date, the
    # policy's issue time, the books) is moved to that day.
    with time_machine.travel(datetime(YEAR - 1, 1, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        a.policy_2025 = enrol(a.unit_agent, a.office_user, a.unit, a.period_2025, [*a.members, person(150)])
    with unscoped():
        Enrollment.objects.filter(period=a.period).update(created_at=THIS_YEAR)
        Enrollment.objects.filter(period=a.period_2025).update(created_at=LAST_YEAR)
    from reporting import services

    with org_scope(a.city, actor_id=a.office_user.pk):
        services.target_set(
            actor=a.office_user, target_org=a.county, plan=a.plan, year=YEAR, people=4, premium=Decimal("400")
        )
        services.target_set(actor=a.office_user, target_org=a.county2, plan=a.plan, year=YEAR, people=1)
    return tree


def _rank(tree: Tree, **options: Any) -> dict[str, Any]:
    with org_scope(tree.a.city):
        return rankings(node=tree.a.city, plan=tree.a.plan, year=YEAR, today=TODAY, **options)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The figures -----------------------------------------------------------------------------------


def test_each_child_office_gets_completion_coverage_growth_renewal_and_loss_ratio(ranked: Tree) -> None:
    figures = _rank(ranked)
    assert figures["office"]["name"] == ranked.a.city.name and figures["through"] == "2026-11"
    second, first = figures["rows"]  # ranked by completion: the second agent point is ahead
    assert (second["office_id"], second["rank"], first["office_id"], first["rank"]) == (
        ranked.a.county2.pk,
        1,
        ranked.a.county.pk,
        2,
    )
    assert (first["people_year"], first["premium_year"], first["target_people"]) == (2, "100.00", 4)
    assert first["completion_people"] == "0.5000"  # 2 of 4
    assert first["completion_premium"] == "0.2500"  # 100 of 400 yuan
    assert first["coverage"] == "0.0067"  # 2 of the unit's 300 staff
    assert first["people_last_year"] == 3 and first["growth"] == "-0.3333"  # 2 against 3
    assert (first["renewed"], first["renewal_base"], first["renewal"]) == (2, 3, "0.6667")
    assert (first["paid_year"], first["loss_ratio"]) == ("2080.00", "20.8000")  # 2,080 against 100
    assert (second["completion_people"], second["coverage"], second["growth"], second["renewal"]) == (
        "1.0000",
        "0.0100",
        None,  # nobody last year: no growth to speak of
        None,
    )
    assert second["completion_premium"] is None and second["loss_ratio"] == "0.0000"
    total = figures["total"]
    assert (total["people_year"], total["target_people"], total["completion_people"]) == (3, 5, "0.6000")
    assert (total["headcount"], total["coverage"], total["renewal"]) == (400, "0.0075", "0.6667")


def test_the_ranking_follows_the_chosen_figure_and_children_without_it_come_last(ranked: Tree) -> None:
    by_renewal = _rank(ranked, sort="renewal")["rows"]
    assert [(r["office_id"], r["rank"]) for r in by_renewal] == [(ranked.a.county.pk, 1), (ranked.a.county2.pk, None)]
    by_people = _rank(ranked, sort="people_year")["rows"]
    assert [r["office_id"] for r in by_people] == [ranked.a.county.pk, ranked.a.county2.pk]
    # Equal figures share a rank.
    with org_scope(ranked.a.city, actor_id=ranked.a.office_user.pk):
        from reporting import services

        services.target_set(
            actor=ranked.a.office_user, target_org=ranked.a.county2, plan=ranked.a.plan, year=YEAR, people=2
        )
    assert [r["rank"] for r in _rank(ranked)["rows"]] == [1, 1]


def test_last_year_is_counted_to_the_same_month_only(ranked: Tree) -> None:
    december = datetime(YEAR - 1, 12, 10, tzinfo=timezone.get_current_timezone())
    with unscoped():
        latest = Enrollment.objects.filter(period=ranked.a.period_2025).order_by("pk").last()
        Enrollment.objects.filter(pk=latest.pk).update(created_at=december)
    (_second, first) = _rank(ranked)["rows"]
    assert first["people_last_year"] == 2 and first["growth"] == "0.0000"
    # A past year is counted to December.
    with org_scope(ranked.a.city):
        past = rankings(node=ranked.a.city, plan=ranked.a.plan, year=YEAR - 1, today=TODAY)
    rows = {row["office_id"]: row for row in past["rows"]}
    assert past["through"] == "2025-12" and rows[ranked.a.county.pk]["people_year"] == 3
    assert [row["rank"] for row in past["rows"]] == [None, None]  # no target that year: no ranking by it


RECOUNTING = (
    "The renewal rates are those counted at %(at)s; enrollments have changed since, and they are being counted "
    "again: reload this page in a minute to see the new count."
)


def _cancel_a_renewed_member(tree: Tree) -> None:
    with unscoped():
        last_year = Enrollment.objects.filter(period=tree.a.period_2025).values_list("id_hash", flat=True)
        renewed = (
            Enrollment.objects.filter(period=tree.a.period, id_hash__in=list(last_year), status=EnrollmentStatus.ACTIVE)
            .order_by("pk")
            .first()
        )
        assert renewed is not None
        Enrollment.objects.filter(pk=renewed.pk).update(status=EnrollmentStatus.CANCELLED)


def test_the_kept_renewal_rate_is_the_fresh_count_and_follows_a_cancellation(
    ranked: Tree, django_assert_max_num_queries: Any
) -> None:
    """The renewal rate (a distinct count over a province's millions of people) is kept under the
    running figures of the node's children: a second page does not count again, and a change
    that moves those figures (a renewed member cancelled) is counted afresh, always equal to it."""
    from reporting.renewals import renewal_count, renewals_kept

    a = ranked.a

    def kept_and_fresh() -> tuple[Any, Any]:
        with org_scope(a.city):
            return renewals_kept(a.city, a.plan, YEAR).by_child, renewal_count(a.city, a.plan, YEAR)

    kept, fresh = kept_and_fresh()
    assert kept == fresh and (fresh[a.county.path]["renewed"], fresh[a.county.path]["base"]) == (2, 3)
    with org_scope(a.city), django_assert_max_num_queries(1):  # the running figures only
        again = renewals_kept(a.city, a.plan, YEAR)
    assert again.by_child == fresh and not again.recounting and again.counted_at is not None
    _cancel_a_renewed_member(ranked)
    kept, fresh = kept_and_fresh()
    assert kept == fresh and fresh[a.county.path]["renewed"] == 1
    assert _rank(ranked)["total"]["renewed"] == 1


def test_a_large_tree_shows_the_last_renewal_count_while_a_new_one_is_made_in_the_background(
    ranked: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above INLINE_PEOPLE the page never counts: the first time it says the rates are being
    counted (the task runs), then shows the count; once the figures move it shows the last count
    with its time and asks for one new count (not one per page), which the next page shows."""
    from reporting import renewals

    a = ranked.a
    monkeypatch.setattr(renewals, "INLINE_PEOPLE", 0)
    client = _client(a.office_user)
    query = {"year": YEAR, "plan": a.plan.pk}

    first = _rank(ranked)  # tasks run in the test's process: this one counts and keeps
    assert first["renewals_recounting"] and first["renewals_counted_at"] is None
    assert [row["renewal"] for row in first["rows"]] == [None, None] and first["total"]["renewal_base"] is None
    shown = _rank(ranked)
    assert not shown["renewals_recounting"] and shown["total"]["renewed"] == 2
    page = client.get(reverse("reporting:rankings"), query).content.decode()
    assert 'data-testid="renewals-recounting"' not in page

    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(renewals.count_renewals, "delay", lambda **kwargs: asked.append(kwargs))
    _cancel_a_renewed_member(ranked)
    stale = _rank(ranked)
    assert stale["renewals_recounting"] and stale["total"]["renewed"] == 2  # the last count, with its time
    assert stale["renewals_counted_at"] == shown["renewals_counted_at"]
    page = client.get(reverse("reporting:rankings"), query).content.decode()
    said = _in_chinese(RECOUNTING, at="@").split("@")[0]
    assert 'data-testid="renewals-recounting"' in page and said in page
    assert asked == [{"org_id": a.city.pk, "plan_id": a.plan.pk, "year": YEAR, "unit_type": ""}]  # once
    with org_scope(a.city):
        assert renewals.count_renewals.run(**asked[0]) == "counted for 1 of the children"  # county2 had nobody
    fresh = _rank(ranked)
    assert not fresh["renewals_recounting"] and fresh["total"]["renewed"] == 1
    # The downloads wait for a count rather than print a stale one.
    _cancel_a_renewed_member(ranked)
    with org_scope(a.city):
        waited = rankings(node=a.city, plan=a.plan, year=YEAR, today=TODAY, wait_for_renewals=True)
    assert not waited["renewals_recounting"] and waited["total"]["renewed"] == 0


def test_the_renewal_task_counts_only_a_plan_ranked_at_its_office(ranked: Tree) -> None:
    from reporting.renewals import count_renewals

    b = ranked.b
    answer = count_renewals.delay(org_id=b.city.pk, plan_id=ranked.a.plan.pk, year=YEAR).get()
    assert answer == f"plan {ranked.a.plan.pk} is not ranked at office {b.city.pk}"


def _from_rows(tree: Tree, year: int, unit_type: str = "") -> dict[str, dict[str, Any]]:
    """The year's figures of each child of city A counted from the enrollments and claims
    themselves, as the rankings did before they read the running monthly figures."""
    from django.db.models import Count, Q, Sum

    from claims.models import Claim, ClaimStatus
    from reporting.figures import aware, child_path
    from reporting.rankings import Year

    node, plan = tree.a.city, tree.a.plan
    window = Year.of(year, TODAY)
    of_type = Q(org__unit_type=unit_type) if unit_type else Q()
    this_year = Q(created_at__gte=aware(date(year, 1, 1)), created_at__lt=aware(window.end_day()))
    last_year = Q(created_at__gte=aware(date(year - 1, 1, 1)), created_at__lt=aware(window.end_day(1)))
    found: dict[str, dict[str, Any]] = {}
    with org_scope(node):
        for row in (
            Enrollment.objects.filter(org_path__startswith=node.path, period__plan=plan)
            .filter(of_type)
            .annotate(child=child_path(node))
            .values("child")
            .annotate(
                people_year=Count("pk", filter=this_year),
                premium_year=Sum("premium", filter=this_year),
                people_last_year=Count("pk", filter=last_year),
            )
        ):
            found[row.pop("child")] = row
        paid = Claim.objects.filter(
            org_path__startswith=node.path,
            period__plan=plan,
            status=ClaimStatus.PAID,
            paid_on__gte=date(year, 1, 1),
            paid_on__lt=window.end_day(),
        ).filter(of_type)
        by_child = paid.annotate(child=child_path(node)).values("child").annotate(total=Sum("payout"))
        for child, total in by_child.values_list("child", "total"):
            found.setdefault(child, {})["paid_year"] = total
    return found


@pytest.mark.parametrize("unit_type", ["", "state"])
def test_the_figures_read_from_the_running_figures_are_those_counted_from_the_rows(
    ranked: Tree, unit_type: str
) -> None:
    """People, premium and claims paid come from the running monthly figures (kept by the
    database with every write): they equal a count of the enrollments and claims themselves, this
    year to the month reached and last year to the same month, per child and by type of unit."""
    with unscoped():
        type(ranked.a.unit).objects.filter(pk=ranked.a.unit.pk).update(unit_type="state")
        # One of last year's people taken on in December: this year's window (to November) leaves
        # them out, last year's full year counts them.
        latest = Enrollment.objects.filter(period=ranked.a.period_2025).order_by("pk").last()
        december = datetime(YEAR - 1, 12, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
        Enrollment.objects.filter(pk=latest.pk).update(created_at=december)
    paths = {ranked.a.county.path: ranked.a.county.pk, ranked.a.county2.path: ranked.a.county2.pk}
    for year in (YEAR, YEAR - 1):
        counted = _from_rows(ranked, year, unit_type)
        with org_scope(ranked.a.city):
            rows = rankings(node=ranked.a.city, plan=ranked.a.plan, year=year, today=TODAY, unit_type=unit_type)["rows"]
        by_office = {row["office_id"]: row for row in rows}
        assert counted, "the fixture has figures to compare"
        for path, figures in counted.items():
            row = by_office[paths[path]]
            assert row["people_year"] == figures.get("people_year", 0), (year, path)
            assert row["people_last_year"] == figures.get("people_last_year", 0), (year, path)
            assert Decimal(row["premium_year"]) == (figures.get("premium_year") or Decimal(0)), (year, path)
            assert Decimal(row["paid_year"]) == (figures.get("paid_year") or Decimal(0)), (year, path)
    # What the comparison stands on: figures this year and last, and a claim paid, under the first
    # agent point; only the state-owned unit's when asked by type.
    first = {row["office_id"]: row for row in _rank(ranked, unit_type=unit_type)["rows"]}[ranked.a.county.pk]
    assert (first["people_year"], first["people_last_year"], first["paid_year"]) == (2, 2, "2080.00")
    second = {row["office_id"]: row for row in _rank(ranked, unit_type=unit_type)["rows"]}[ranked.a.county2.pk]
    assert second["people_year"] == (0 if unit_type else 1)


def test_the_rankings_take_a_fixed_number_of_queries_whatever_the_size_of_the_tree(
    ranked: Tree, django_assert_max_num_queries: Any
) -> None:
    client = _client(ranked.a.office_user)
    query = {"year": YEAR, "plan": ranked.a.plan.pk}
    # children, headcounts, enrollments, claims paid, the running figures the kept renewals are
    # under, renewals, targets, and the year by type of unit (enrollments, headcounts)
    with django_assert_max_num_queries(9):
        small = _rank(ranked)
    with django_assert_max_num_queries(19):  # + session, user, authenticator, node, plans, parent, session save
        assert client.get(reverse("reporting:rankings"), query).status_code == 200
    with unscoped():
        for i in range(4):
            county = OrganisationFactory(code=f"XAQ61C{i + 3}", kind=OrgKind.COUNTY, parent=ranked.a.city)
            OrganisationFactory(code=f"XAQ61U{i + 3}", parent=county, headcount=50)
    with django_assert_max_num_queries(9):
        large = _rank(ranked)
    with django_assert_max_num_queries(19):
        page = client.get(reverse("reporting:rankings"), query)
    assert len(small["rows"]) == 2 and len(large["rows"]) == 6 and large["total"]["headcount"] == 600
    assert page.content.decode().count('<td class="num">—</td>') >= 4  # the new, empty agent points


def test_the_rankings_page_ranks_the_children_and_a_sibling_cannot_look_in(ranked: Tree) -> None:
    page = _client(ranked.a.office_user).get(reverse("reporting:rankings"), {"year": YEAR, "plan": ranked.a.plan.pk})
    body = page.content.decode()
    assert ranked.a.county.name in body and ranked.a.county2.name in body and "本年参保人数" in body
    assert body.index(ranked.a.county2.name) < body.index(ranked.a.county.name)
    assert "50.0%" in body  # the first agent point's completion
    stranger = _client(ranked.b.office_user)
    assert stranger.get(reverse("reporting:rankings"), {"office": ranked.a.city.pk}).status_code == 404
    assert stranger.get(reverse("reporting:rankings_pdf"), {"office": ranked.a.city.pk}).status_code == 404
    mine = stranger.get(reverse("reporting:rankings"), {"plan": ranked.a.plan.pk})
    assert mine.status_code == 404  # city A's plan is not one of city B's


# Targets ---------------------------------------------------------------------------------------


def _targets(client: Client, tree: Tree, **rows: str) -> Any:
    return client.post(reverse("reporting:targets"), {"year": YEAR, "plan": tree.a.plan.pk, **rows})


def _target_count() -> int:
    with unscoped():
        return Target.objects.count()


def test_an_office_head_sets_the_targets_of_the_offices_below_in_one_table(tree: Tree) -> None:
    tree.a.with_enrollment(100)
    client = _client(tree.a.office_user)
    page = client.get(reverse("reporting:targets"), {"year": YEAR}).content.decode()
    assert tree.a.county.name in page and f'name="people_{tree.a.county.pk}"' in page
    response = _targets(
        client,
        tree,
        **{
            f"people_{tree.a.county.pk}": "1,200",
            f"premium_{tree.a.county.pk}": "60000",
            f"coverage_{tree.a.county.pk}": "85",
        },
    )
    assert response.status_code == 302
    with unscoped():
        target = Target.objects.get()
    assert (target.people, target.premium, target.coverage_rate) == (1200, Decimal("60000.00"), Decimal("0.8500"))
    assert (target.org_id, target.target_org_id, target.year) == (tree.a.city.pk, tree.a.county.pk, YEAR)
    page = client.get(response["Location"]).content.decode()
    assert 'value="1200"' in page and 'value="85"' in page


@pytest.mark.parametrize(
    ("field", "value", "msgid"),
    [
        ("people", "-5", "%(office)s: the target in people must be a whole number above zero."),
        ("people", "2.5", "%(office)s: the target in people must be a whole number above zero."),
        # Full-width digits: `\d`, int() and Decimal() take them (the bad-input form walk found it)
        ("people", "１２", "%(office)s: the target in people must be a whole number above zero."),
        (
            "premium",
            "１２",
            "%(office)s: the premium target must be an amount in yuan above zero, with at most two decimals.",
        ),
        (
            "coverage",
            "１２",
            "%(office)s: the coverage rate must be a percentage above 0 and at most 100, with at most two decimals.",
        ),
        (
            "premium",
            "-100",
            "%(office)s: the premium target must be an amount in yuan above zero, with at most two decimals.",
        ),
        (
            "premium",
            "1.234",
            "%(office)s: the premium target must be an amount in yuan above zero, with at most two decimals.",
        ),
        (
            "coverage",
            "120",
            "%(office)s: the coverage rate must be a percentage above 0 and at most 100, with at most two decimals.",
        ),
        (
            "coverage",
            "NaN",
            "%(office)s: the coverage rate must be a percentage above 0 and at most 100, with at most two decimals.",
        ),
    ],
)
def test_a_bad_figure_is_named_in_chinese_and_nothing_is_saved(tree: Tree, field: str, value: str, msgid: str) -> None:
    tree.a.with_enrollment(100)
    good = {f"people_{tree.a.county.pk}": "10"}
    with unscoped():
        county2 = OrganisationFactory(code="XAQ61C2", name="甲XA雁塔区代办点", kind=OrgKind.COUNTY, parent=tree.a.city)
    response = _targets(_client(tree.a.office_user), tree, **good, **{f"{field}_{county2.pk}": value})
    assert response.status_code == 200
    assert _in_chinese(msgid, office=county2.name) in response.content.decode()
    assert _target_count() == 0  # the good row is not saved either


def test_a_target_needs_a_figure_and_a_node_directly_below(tree: Tree) -> None:
    tree.a.with_enrollment(100)
    client = _client(tree.a.office_user)
    empty = _targets(client, tree, **{f"people_{tree.a.county.pk}": ""})
    assert "请按人数、保费或覆盖率设定目标。" in empty.content.decode()
    unit = _targets(client, tree, **{f"people_{tree.a.unit.pk}": "5"})  # below the agent point, not the city
    msgid = "%(office)s is not directly below your office: targets are set only for those directly below."
    assert _in_chinese(msgid, office=tree.a.unit.name) in unit.content.decode()
    sibling = _targets(client, tree, **{f"people_{tree.b.county.pk}": "5"})
    assert tree.b.county.name not in sibling.content.decode() and f"#{tree.b.county.pk}" in sibling.content.decode()
    assert _target_count() == 0
    # Reading needs reporting.view, setting reporting.targets.
    leader = UserFactory(username="xa_leader2", org=tree.a.city, roles=[Role.LEADER])
    reader = _client(leader)
    assert reader.get(reverse("reporting:targets")).status_code == 200
    assert _targets(reader, tree, **{f"people_{tree.a.county.pk}": "5"}).status_code == 403
    assert _target_count() == 0


# Exports ---------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    """The PDF's text without white space (narrow cells wrap names over lines)."""
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def test_the_rankings_workbook_and_pdf_are_for_the_year_end_assessment(ranked: Tree) -> None:
    client = _client(ranked.a.office_user)
    query = {"year": YEAR, "plan": ranked.a.plan.pk}
    response = client.get(reverse("reporting:rankings_xlsx"), query)
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert ranked.a.city.name in sheet["A1"].value and str(YEAR) in sheet["A1"].value
    headers = [cell.value for cell in sheet[3]]
    assert headers[:3] == [_in_chinese("Rank"), "单位", "本年参保人数"]
    assert sheet["A4"].value == 1 and sheet["B4"].value == ranked.a.county2.name
    assert sheet["A5"].value == 2 and sheet["B5"].value == ranked.a.county.name
    completion = headers.index(_in_chinese("Completion (people)")) + 1
    assert sheet.cell(row=5, column=completion).value == Decimal("0.5")
    assert sheet.cell(row=5, column=completion).number_format == "0.0%"
    assert sheet["B6"].value == "合计" and sheet["C6"].value == 3
    pdf = client.get(reverse("reporting:rankings_pdf"), query)
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert ranked.a.city.name in text and str(YEAR) in text and ranked.a.plan.name in text
    assert ranked.a.county.name in text and "合计" in text and "50.0%" in text and "2,080.00" in text
    assert "填表人" in text and "审核人" in text and "负责人" in text  # the blocks to sign, on blank lines


def test_the_overview_pdf_has_the_office_and_month_in_the_title_and_a_totals_row(ranked: Tree) -> None:
    response = _client(ranked.a.office_user).get(reverse("reporting:overview_pdf"), {"month": f"{YEAR}-11"})
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert box.width > box.height  # A4 landscape
    text = _pdf_text(response.content)
    assert "参保、理赔情况一览表" in text and ranked.a.city.name in text and f"{YEAR}年11月" in text
    assert ranked.a.county.name in text and "合计" in text and "本年赔付金额" in text
    assert "填表人" in text and "审核人" in text and "负责人" in text and "日期" in text


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_an_export_job_goes_from_queued_to_done_and_only_its_office_downloads_it(
    ranked: Tree, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(ranked.a.office_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("reporting:exports"), {"kind": "rankings_xlsx", "year": YEAR, "plan": ranked.a.plan.pk}
        )
    assert response.status_code == 302
    with unscoped():
        job = ExportJob.objects.get()
    assert (job.status, job.progress, job.org_id, job.created_by_id) == (
        "queued",
        0,
        ranked.a.city.pk,
        ranked.a.office_user.pk,
    )
    url = reverse("reporting:export", kwargs={"export_pk": job.pk})
    assert client.get(url).json() == {"status": "queued", "progress": 0, "done": False, "download": None}
    assert client.get(url, {"download": 1}).status_code == 404  # not ready yet
    for callback in callbacks:  # the commit: the task runs (eagerly in the tests)
        callback()
    state = client.get(url).json()
    assert state == {"status": "done", "progress": 100, "done": True, "download": f"{url}?download=1"}
    download = client.get(url, {"download": 1})
    data = b"".join(download.streaming_content)
    assert "attachment" in download["Content-Disposition"] and ".xlsx" in download["Content-Disposition"]
    assert load_workbook(io.BytesIO(data)).active["B4"].value == ranked.a.county2.name
    page = client.get(reverse("reporting:exports")).content.decode()
    assert f"{url}?download=1" in page and ranked.a.plan.name in page
    stranger = _client(ranked.b.office_user)
    assert stranger.get(url).status_code == 404 and stranger.get(url, {"download": 1}).status_code == 404
    assert f"{url}?download=1" not in stranger.get(reverse("reporting:exports")).content.decode()


def test_bad_export_requests_are_refused_and_save_nothing(ranked: Tree, media: Path) -> None:
    client = _client(ranked.a.office_user)
    stranger = _client(ranked.b.office_user)
    client.post(reverse("reporting:exports"), {"kind": "everything"})
    client.post(reverse("reporting:exports"), {"kind": "overview_pdf", "month": "last month"})
    stranger.post(reverse("reporting:exports"), {"kind": "overview_pdf", "office": ranked.a.city.pk})
    stranger.post(reverse("reporting:exports"), {"kind": "rankings_pdf", "plan": ranked.a.plan.pk})
    with unscoped():
        assert not ExportJob.objects.exists()


def _job(tree: Tree, kind: str = "rankings_pdf") -> ExportJob:
    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):
        return jobs.export_job_create(
            actor=tree.a.office_user, kind=kind, params={"year": str(YEAR), "plan": str(tree.a.plan.pk)}
        )


def _files(media: Path, job: ExportJob) -> list[str]:
    folder = media / "reports" / str(job.pk)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_interrupted_export_starts_again_and_ends_with_one_file(ranked: Tree, media: Path) -> None:
    job = _job(ranked)
    # A worker was killed half-way: the job is running, with a half-written file of attempt 1.
    with unscoped():
        ExportJob.objects.filter(pk=job.pk).update(status="running", attempt=1, progress=40)
    (media / "reports" / str(job.pk)).mkdir(parents=True)
    (media / "reports" / str(job.pk) / "attempt-1.pdf").write_bytes(b"%PDF-1.7 half")
    assert export.delay(org_id=ranked.a.city.pk, export_pk=job.pk).get() == "done"
    with unscoped():
        done = ExportJob.objects.get(pk=job.pk)
    assert (done.status, done.progress, done.attempt) == ("done", 100, 2)
    assert _files(media, job) == ["attempt-2.pdf"]
    assert ranked.a.county.name in _pdf_text(done.file.read())
    # Delivered once more (a retried task): a job done is not done again.
    assert export.delay(org_id=ranked.a.city.pk, export_pk=job.pk).get() == "done"
    with unscoped():
        assert ExportJob.objects.get(pk=job.pk).attempt == 2
    assert _files(media, job) == ["attempt-2.pdf"]


def test_a_stale_run_cannot_finish_a_job_a_later_run_has_taken_over(
    ranked: Tree, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _job(ranked, "overview_xlsx")
    build = jobs._build

    def overtaken(job: ExportJob, step: Any) -> exports.Document:
        document = build(job, step)
        with unscoped():  # meanwhile the task was delivered again and claimed the job
            ExportJob.objects.filter(pk=job.pk).update(attempt=job.attempt + 1)
        return document

    monkeypatch.setattr(jobs, "_build", overtaken)
    with org_scope(ranked.a.city):
        stale = jobs.export_job_run(job=job)
    assert (stale.status, stale.attempt, bool(stale.file)) == ("running", 2, False)
    assert _files(media, job) == []  # the stale run took its file away


def test_an_export_that_cannot_be_built_fails_with_its_reason(ranked: Tree, media: Path) -> None:
    job = _job(ranked)
    with unscoped():
        ExportJob.objects.filter(pk=job.pk).update(params={"office": ranked.a.city.pk, "year": YEAR, "plan": 0})
    assert export.delay(org_id=ranked.a.city.pk, export_pk=job.pk).get() == "failed"
    with unscoped():
        failed = ExportJob.objects.get(pk=job.pk)
    assert failed.error and failed.finished_at and not failed.file
    state = _client(ranked.a.office_user).get(reverse("reporting:export", kwargs={"export_pk": job.pk})).json()
    assert state["done"] and state["status"] == "failed"


def test_an_export_task_needs_its_office(ranked: Tree, media: Path) -> None:
    from mutualaid.tenancy import ScopeError

    job = _job(ranked)
    with pytest.raises(ScopeError):
        export(export_pk=job.pk)
    with pytest.raises(ExportJob.DoesNotExist):  # the sibling office's scope does not hold it
        export.delay(org_id=ranked.b.city.pk, export_pk=job.pk).get()


# Chinese ---------------------------------------------------------------------------------------

SOURCES = (
    "reporting/rankings.py",
    "reporting/jobs.py",
    "reporting/views/targets.py",
    "reporting/views/rankings.py",
    "reporting/views/exports.py",
    "reporting/exports.py",
)
TEMPLATES = (
    "reporting/templates/reporting/targets.html",
    "reporting/templates/reporting/rankings.html",
    "reporting/templates/reporting/exports.html",
    "reporting/templates/reporting/pdf/overview.html",
    "reporting/templates/reporting/pdf/rankings.html",
)
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _template_msgids(path: str) -> set[str]:
    text = (ROOT / path).read_text(encoding="utf-8")
    found = set(re.findall(r'{% translate "([^"]+)" %}', text))
    found |= set(re.findall(r"{% translate '([^']+)' %}", text))
    for block in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.DOTALL):
        found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", block))
    return found


def test_every_message_of_targets_rankings_and_exports_has_chinese() -> None:
    import polib

    msgids: set[str] = set()
    for source in SOURCES:
        msgids |= set(msgids_of(source, frozenset({"_", "gettext_lazy"}), strict=True))
    for template in TEMPLATES:
        msgids |= _template_msgids(template)
    msgids |= {str(label) for label in _model_labels()}
    po = polib.pofile(str(ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    catalogue = {e.msgid for e in po if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
    table = chinese_of(msgids)
    assert msgids <= set(table) | catalogue, sorted(msgids - set(table) - catalogue)
    for msgid, chinese in table.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(chinese)), msgid


def _model_labels() -> list[Any]:
    from reporting.models import ExportKind, ExportStatus

    named = {"kind", "title", "status", "created_at"}
    with translation.override("en"):
        return [
            *[str(label) for _value, label in ExportKind.choices + ExportStatus.choices],
            *[str(f.verbose_name) for f in ExportJob._meta.fields if f.name in named],
            str(ExportJob._meta.verbose_name),
            str(ExportJob._meta.verbose_name_plural),
        ]


def test_an_agent_point_ranks_its_own_units(ranked: Tree) -> None:
    county_agent = UserFactory(username="xa_county_head", org=ranked.a.county, roles=[Role.COUNTY_AGENT])
    page = _client(county_agent).get(reverse("reporting:rankings"), {"year": YEAR, "plan": ranked.a.plan.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert ranked.a.unit.name in body and ranked.a.county2.name not in body

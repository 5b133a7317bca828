"""The monthly overview and the frozen roll-ups that go up the tree."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from enrollment.models import Enrollment
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped
from reporting import selectors, services
from reporting.models import Snapshot
from reporting.overview import overview
from reporting.tasks import rollup_all
from tests import claimkit, finkit
from tests.conftest import Tree

LAST = finkit.last_month()


@pytest.fixture
def paid(claims_ready: Tree) -> Tree:
    """City A: two members enrolled last month (50 yuan each), one claim of 2,080 paid."""
    tree = claims_ready
    people = tree.a.reviewers
    claimkit.pay(people, [claimkit.approve(people, claimkit.register(tree.a.unit_agent, tree.a.enrollment))])
    finkit.enrolled_last_month(tree.a)
    return tree


def test_the_overview_counts_people_premium_claims_and_the_loss_ratio_by_child_office(paid: Tree) -> None:
    with org_scope(paid.a.city):
        figures = overview(node=paid.a.city, month=dates.business_today())
    (row,) = figures["rows"]
    assert row["office_id"] == paid.a.county.pk and row["plan_name"] == paid.a.plan.name
    assert (row["people_all"], row["people_year"], row["premium_year"]) == (2, 2, "100.00")
    assert (row["claims_year"], row["paid_year"]) == (1, "2080.00")
    assert row["loss_ratio"] == "20.8000"  # 2,080 paid against 100 of premium
    (total,) = figures["totals"]
    assert total["people_all"] == 2 and total["paid_all"] == "2080.00"
    # A month before the enrollments: nothing yet.
    with org_scope(paid.a.city):
        assert overview(node=paid.a.city, month=LAST.replace(year=LAST.year - 1))["rows"] == []


def test_targets_give_the_completion_rate(paid: Tree) -> None:
    from tests.factories import UserFactory

    head = UserFactory(username="xa_head2", org=paid.a.city, roles=["office_head"])
    with org_scope(paid.a.city, actor_id=head.pk):
        services.target_set(actor=head, target_org=paid.a.county, plan=paid.a.plan, year=LAST.year, people=4)
        figures = overview(node=paid.a.city, month=LAST)
    assert figures["rows"][0]["target_people"] == 4 and figures["rows"][0]["completion_people"] == "0.5000"
    with org_scope(paid.a.city, actor_id=head.pk), pytest.raises(ValidationError):
        services.target_set(actor=head, target_org=paid.a.county, plan=paid.a.plan, year=LAST.year)


def test_a_roll_up_is_frozen_and_running_it_again_changes_nothing(paid: Tree) -> None:
    head = paid.a.office_user
    with org_scope(paid.a.city, actor_id=head.pk):
        first, created = services.snapshot_rollup(office=paid.a.city, period=LAST, actor=head)
        again, created_again = services.snapshot_rollup(office=paid.a.city, period=LAST, actor=head)
    assert created and not created_again and again.pk == first.pk
    assert first.rules_version == services.RULES_VERSION and len(first.checksum) == 64
    assert first.figures["rows"][0]["people_all"] == 2
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE reporting_snapshot SET figures = '{}'")


def test_a_correction_is_a_new_revision_with_a_reason_and_the_old_one_stays(paid: Tree) -> None:
    head = paid.a.office_user
    with org_scope(paid.a.city, actor_id=head.pk):
        first, _created = services.snapshot_rollup(office=paid.a.city, period=LAST, actor=head)
    # A late enrollment of last month changes the figures.
    moment = datetime(LAST.year, LAST.month, 20, tzinfo=timezone.get_current_timezone())
    with unscoped():
        Enrollment.objects.filter(pk=paid.a.enrollment.pk).update(created_at=moment, shares=2)
    with org_scope(paid.a.city, actor_id=head.pk):
        with pytest.raises(ValidationError) as caught:
            services.snapshot_rollup(office=paid.a.city, period=LAST, actor=head)
        assert "1" in str(caught.value) and len(caught.value.messages) == 1
        second, created = services.snapshot_rollup(
            office=paid.a.city, period=LAST, actor=head, reason="补录一名会员的份数"
        )
    assert created and second.revision == 2 and second.reason == "补录一名会员的份数"
    with unscoped():
        assert Snapshot.objects.get(pk=first.pk).figures == first.figures


def test_bad_roll_ups_are_refused(paid: Tree) -> None:
    head = paid.a.office_user
    with org_scope(paid.a.city, actor_id=head.pk):
        with pytest.raises(ValidationError):  # the month is not over
            services.snapshot_rollup(office=paid.a.city, period=dates.business_today(), actor=head)
        with pytest.raises(ValidationError):  # an agent point does not roll up
            services.snapshot_rollup(office=paid.a.county, period=LAST, actor=head)
    with org_scope(paid.b.city, actor_id=paid.b.office_user.pk), pytest.raises(ValidationError) as caught:
        services.snapshot_rollup(office=paid.b.city, period=LAST, actor=paid.b.office_user)  # nothing there
    assert paid.b.city.name in str(caught.value)


def test_the_province_consolidates_only_when_every_city_is_in(paid: Tree) -> None:
    province = paid.province
    with org_scope(paid.a.city):
        services.snapshot_rollup(office=paid.a.city, period=LAST)
    with org_scope(province), pytest.raises(ValidationError) as caught:
        services.snapshot_consolidate(province=province, period=LAST)
    assert paid.b.city.name in str(caught.value)
    with org_scope(province):
        status = selectors.snapshot_submission_list(province=province, period=LAST)
    assert [(row["office"].pk, row["snapshot"] is not None) for row in status] == [
        (paid.a.city.pk, True),
        (paid.b.city.pk, False),
    ]


def test_the_monthly_task_twice_gives_the_same_snapshots(paid: Tree) -> None:
    rollup_all.delay().get()
    with unscoped():
        before = list(Snapshot.objects.order_by("pk").values_list("org_id", "revision", "checksum"))
    rollup_all.delay().get()
    with unscoped():
        after = list(Snapshot.objects.order_by("pk").values_list("org_id", "revision", "checksum"))
    assert before == after and [org for org, _r, _c in before] == [paid.a.city.pk]


def test_the_overview_page_and_its_workbook_are_chinese_with_totals(paid: Tree) -> None:
    client = Client()
    client.force_login(paid.a.office_user)
    page = client.get(reverse("reporting:overview"), {"month": f"{LAST:%Y-%m}"}).content.decode()
    assert "参保" in page and paid.a.county.name in page and 'data-testid="overview"' in page
    data = client.get(reverse("reporting:overview_xlsx"), {"month": f"{LAST:%Y-%m}"}).content
    sheet = load_workbook(io.BytesIO(data)).active
    assert paid.a.city.name in sheet["A1"].value and f"{LAST.year}年{LAST.month}月" in sheet["A1"].value
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0]]
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][7])) == Decimal("100.00")


def test_the_province_pulls_the_overview_and_snapshots_and_a_city_cannot_read_its_sibling(paid: Tree) -> None:
    with org_scope(paid.a.city):
        services.snapshot_rollup(office=paid.a.city, period=LAST)
    province = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=paid.province_user).key}")
    figures = province.get(
        reverse("api_reporting_overview", kwargs={"version": "v1"}), {"month": f"{LAST:%Y-%m}"}
    ).json()
    assert figures["rows"][0]["office_id"] == paid.a.city.pk
    snapshots = province.get(reverse("api_reporting_snapshots", kwargs={"version": "v1"})).json()
    assert [s["office"] for s in snapshots["results"]] == [paid.a.city.pk]
    assert (
        province.get(reverse("api_reporting_overview", kwargs={"version": "v1"}), {"export": "xlsx"}).status_code == 200
    )
    stranger = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=paid.b.office_user).key}")
    url = reverse("api_reporting_overview", kwargs={"version": "v1"})
    assert stranger.get(url, {"office": paid.a.city.pk}).status_code == 404
    assert stranger.get(reverse("api_reporting_snapshots", kwargs={"version": "v1"})).json()["results"] == []


def test_a_closed_month_is_read_from_its_snapshot(paid: Tree) -> None:
    with org_scope(paid.a.city):
        snapshot, _created = services.snapshot_rollup(office=paid.a.city, period=LAST)
        figures, used = selectors.overview_figures_get(node=paid.a.city, month=LAST)
    assert used is not None and used.pk == snapshot.pk and figures == snapshot.figures
    client = Client()
    client.force_login(paid.a.office_user)
    page = client.get(reverse("reporting:overview"), {"month": f"{LAST:%Y-%m}"}).content.decode()
    assert "第 1 版" in page


def test_the_province_pulls_rankings_and_pdfs_by_api(paid: Tree) -> None:
    province = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=paid.province_user).key}")
    url = reverse("api_reporting_rankings", kwargs={"version": "v1"})
    figures = province.get(url, {"plan": paid.a.plan.pk, "office": paid.a.city.pk}).json()
    assert [row["office_id"] for row in figures["rows"]] == [paid.a.county.pk]
    assert (
        province.get(url, {"plan": paid.a.plan.pk, "office": paid.a.city.pk, "export": "pdf"}).content[:5] == b"%PDF-"
    )
    assert province.get(url, {"plan": 999999}).status_code == 400
    overview_url = reverse("api_reporting_overview", kwargs={"version": "v1"})
    assert province.get(overview_url, {"export": "pdf"}).content[:5] == b"%PDF-"
    stranger = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=paid.b.office_user).key}")
    assert stranger.get(url, {"plan": paid.a.plan.pk, "office": paid.a.city.pk}).status_code == 404

"""The list pages: sorted by a column, filtered, paged with the total, downloaded as exactly the
view (all pages, same filters and sort) through the product's workbook writer; filters never
reach outside the reader's tree; query counts pinned."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mutualaid.tenancy import unscoped
from tests.conftest import Tree


@pytest.fixture(scope="module")
def walk(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tree]:
    """Two cities, each enrolled with a paid claim and its books; built once, rolled back at the end."""
    from django.db import transaction

    from config.celery import app
    from mutualaid.models import OrgKind
    from tests.conftest import _city
    from tests.factories import OrganisationFactory, UserFactory

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    with django_db_blocker.unblock(), transaction.atomic():
        with unscoped():
            province = OrganisationFactory(code="P61", name="示范省办事处", kind=OrgKind.PROVINCE)
            from tests.conftest import ALL_OFFICE_ROLES

            tree = Tree(
                province=province,
                province_user=UserFactory(
                    username="province_office", display_name="省办主任", org=province, roles=ALL_OFFICE_ROLES
                ),
                a=_city(province, "XA", "甲XA西安"),
                b=_city(province, "BJ", "乙BJ宝鸡"),
            )
        tree.a.with_enrollment(100).with_claim().with_finance().with_stewardship()
        tree.b.with_enrollment(200).with_claim().with_finance().with_stewardship()
        from tests import claimkit

        for city in (tree.a, tree.b):  # on the clock, its invoice the paid claim's: a risk flag
            claimkit.register(city.unit_agent, city.enrollment, invoices=(f"{city.city.code}-INV1",))
        app.conf.task_always_eager = eager
        yield tree
        transaction.set_rollback(True)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _book(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.content[:500]
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# Every list page, and how many queries it makes for city A's office (its session, its user with its
# node, the filters' choices, the count and one page of rows): a new query per row would change the count.
PAGES = {
    "claims:claim_list": 10,
    "claims:batch_list": 7,
    "enrollment:list_list": 10,
    "enrollment:policy_list": 11,
    "enrollment:member_search": 10,
    "finance:payment_list": 12,
    # with the due day for the reports from below, the premium to remit (the union levels' money
    # moved in the month read apart from the members' premium), the settlements of corrections
    "finance:remittance_list": 14,
    "finance:receipt_list": 9,
    "user_list": 6,
    "org_tree": 6,
    "claims:deadlines": 13,  # with the office's figures, its reviewing offices and its calendar
    "claims:risk": 9,
    "claims:nobody_can_take": 8,  # who may decide each level, a few queries for all the claims
    "reporting:snapshots": 6,
    "finance:bank_list": 13,  # with what is in the bank and not in the books, and the other way round
    "enrollment:card_jobs": 12,  # with the periods and units to print for
    "reporting:exports": 9,
    "claims:schedule_list": 12,  # the periods offered from above and their schedules, read once
    "enrollment:plan_list": 10,  # with the periods of the plans shown, read once, and their union levels once
    "grant_list": 6,  # with the approvers awaiting an enrolment code below the grants
    "finance:fund_statement_list": 6,
    # the people and offices who acted on the page named in one query each, and the whole events
    # read one query per kind of record shown (counted by the test)
    "audit_list": 9,
}
# Pages whose rows the walk does not make (tests/test_claims_staffing.py makes a claim nobody can
# review, tests/test_duties.py grants roles that approve): their total is checked against the download all the same.
MAY_BE_EMPTY = {"claims:nobody_can_take", "grant_list"}  # the walk grants no role that approves


@pytest.mark.parametrize("name", PAGES)
def test_each_list_page_shows_its_total_and_downloads_the_same_rows(walk: Tree, db: None, name: str) -> None:
    client = _client(walk.a.office_user)
    page = client.get(reverse(name))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="list-total"' in body
    rows = _book(client.get(reverse(name) + "?export=xlsx"))
    total = int(
        body.split('data-testid="list-total">', 1)[1].split("</span>", 1)[0].strip().split()[1].replace(",", "")
    )
    assert len(rows) - 1 == total
    assert total > 0 or name in MAY_BE_EMPTY
    disposition = client.get(reverse(name) + "?export=xlsx")["Content-Disposition"]
    assert "filename*=UTF-8''%E" in disposition  # a Chinese file name (and an ASCII fallback)


@pytest.mark.parametrize("name", PAGES)
def test_each_list_page_makes_a_fixed_number_of_queries(
    walk: Tree, db: None, name: str, django_assert_num_queries: Any
) -> None:
    client = _client(walk.a.office_user)
    client.get(reverse(name))  # the session and caches warmed
    if name == "audit_list":
        _audit_page_queries(client)
        return
    with django_assert_num_queries(PAGES[name]):
        assert client.get(reverse(name)).status_code == 200


def _audit_page_queries(client: Client) -> None:
    """The audit page reads its rows' whole events one query per kind of record among them
    (pghistory's `Events` of that table, by the rows' ids: mutualaid/audit.py `audit_rows_of`),
    never one per row: its count is the others' plus the kinds shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("audit_list"))
    assert page.status_code == 200
    shown = [row.record for row in page.context["table"].page.object_list]
    kinds = {record.pgh_model for record in shown}
    assert len(shown) > len(kinds) > 1  # rows of several kinds, more rows than kinds
    assert len(queries.captured_queries) == PAGES["audit_list"] + len(kinds)


@pytest.mark.parametrize("name", PAGES)
def test_another_office_named_in_a_filter_shows_nothing(walk: Tree, db: None, name: str) -> None:
    """City B's office in the office filter: the form refuses it, the page shows no row (and the
    download none) instead of dropping the filter; a malformed id is answered 400."""
    client = _client(walk.a.office_user)
    page = client.get(reverse(name), {"office": walk.b.city.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'role="alert"' in body
    listed = body.split('data-testid="list-total"', 1)[1]  # the list, after what the page shows above it
    assert walk.b.city.name not in listed
    assert walk.a.unit.name not in listed
    assert len(_book(client.get(reverse(name), {"office": walk.b.city.pk, "export": "xlsx"}))) == 1
    assert client.get(reverse(name), {"office": "1x"}).status_code == 400


def test_sorting_by_a_column_orders_the_page_and_the_download_alike(walk: Tree, db: None) -> None:
    client = _client(walk.a.office_user)
    url = reverse("user_list")
    up = _book(client.get(url, {"sort": "username", "export": "xlsx"}))[1:]
    down = _book(client.get(url, {"sort": "-username", "export": "xlsx"}))[1:]
    names = [row[0] for row in up]
    assert names == sorted(names) and [row[0] for row in down] == names[::-1] and len(names) > 3
    body = client.get(url, {"sort": "-username"}).content.decode()
    assert body.index(names[-1]) < body.index(names[0])
    assert "sort=username" in body  # the header links the other way round


def test_a_filter_narrows_the_page_and_the_download(walk: Tree, db: None) -> None:
    client = _client(walk.a.office_user)
    url = reverse("user_list")
    rows = _book(client.get(url, {"role": "claims_officer", "export": "xlsx"}))[1:]
    assert [row[0] for row in rows] == ["xaq61_claims_officer", "xaq61_office"]  # the office user holds every role
    body = client.get(url, {"role": "claims_officer"}).content.decode()
    assert "xaq61_claims_officer" in body and "xaq61_leader" not in body


def test_pages_show_the_total_and_the_download_holds_every_page(
    walk: Tree, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mutualaid.list_views import UserListView

    monkeypatch.setattr(UserListView, "page_size", 3)
    client = _client(walk.a.office_user)
    url = reverse("user_list")
    everyone = _book(client.get(url, {"sort": "username", "export": "xlsx", "page": "2"}))[1:]
    second = client.get(url, {"sort": "username", "page": "2"}).content.decode()
    assert f"共 {len(everyone)} 条" in second and "第 2 页" in second
    shown = [row[0] for row in everyone if row[0] in second.split("<tbody", 1)[1]]
    assert shown == [row[0] for row in everyone[3:6]]
    assert "sort=username" in second and "page=3" in second  # paging keeps the sort
    assert client.get(url, {"page": "999"}).status_code == 200  # past the end: the last page


@pytest.mark.parametrize(
    "name", ["user_list", "enrollment:member_search", "enrollment:plan_list", "enrollment:policy_list"]
)
def test_a_download_read_a_chunk_at_a_time_holds_the_same_rows_in_the_same_order(
    walk: Tree, db: None, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A download reads, prepares (the members' masked phones, the plans' figures) and writes its
    records a chunk at a time: chunks of two give the workbook that one chunk gives."""
    from mutualaid import listing

    client = _client(walk.a.office_user)
    url = reverse(name)
    whole = _book(client.get(url, {"export": "xlsx"}))
    monkeypatch.setattr(listing, "DOWNLOAD_CHUNK", 2)
    assert _book(client.get(url, {"export": "xlsx"})) == whole
    assert len(whole) > (3 if name in {"user_list", "enrollment:member_search"} else 1)


def test_money_is_written_in_the_one_format_on_the_page_and_as_numbers_in_the_workbook(walk: Tree, db: None) -> None:
    client = _client(walk.a.office_user)
    url = reverse("finance:payment_list")
    body = client.get(url).content.decode()
    assert "2,080.00" in body
    response = client.get(url, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    amount = sheet.cell(row=2, column=header.index("金额（元）") + 1)
    assert amount.value == 2080 and amount.number_format == "#,##0.00"
    prepared = sheet.cell(row=2, column=header.index("已生成") + 1)
    assert prepared.is_date


def test_a_moment_reads_as_every_page_writes_it_and_stays_a_date_in_the_workbook(walk: Tree, db: None) -> None:
    from mutualaid.models import User
    from mutualaid.numbers import datetime_text

    user = walk.a.office_user
    client = _client(user)  # logging in sets the last login the accounts list shows
    with unscoped():
        last_login = User.auth_objects.get(pk=user.pk).last_login
    body = client.get(reverse("user_list")).content.decode()
    assert datetime_text(last_login) in body  # 2026年12月7日 04:42
    assert f"{timezone.localtime(last_login):%Y-%m-%d %H:%M}" not in body
    response = client.get(reverse("user_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column = header.index("最近登录") + 1
    assert any(sheet.cell(row=row, column=column).is_date for row in range(2, sheet.max_row + 1))


def test_claims_filter_by_status_plan_period_and_date_range(walk: Tree, db: None) -> None:
    client = _client(walk.a.office_user)
    url = reverse("claims:claim_list")
    claim = walk.a.claim
    day = f"{timezone.localtime(claim.registered_at):%Y-%m-%d}"

    def numbers(**query: Any) -> list[str]:
        return [row[0] for row in _book(client.get(url, {**query, "export": "xlsx"}))[1:]]

    assert numbers(status="paid", plan=walk.a.plan.pk, period=walk.a.period.pk) == [claim.number]
    assert numbers(status="rejected") == []
    assert claim.number in numbers(registered_min=day, registered_max=day)
    assert numbers(registered_min="2000-01-01", registered_max="2000-01-02") == []
    assert numbers(plan=walk.b.plan.pk) == []  # city B's plan: refused, nothing shown
    assert numbers(registered_min="not a date") == []


def test_a_list_longer_than_one_download_holds_asks_for_a_filter_and_reads_no_row(
    walk: Tree, db: None, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    """A province's year of claims is not written into one workbook inside a request: past the
    download's cap the page offers no download and says what to do, the download answers 400 with
    the same in Chinese and reads no row, and a filter that brings the list under the cap downloads."""
    from claims.views.claim import ClaimListView

    client = _client(walk.a.office_user)
    url = reverse("claims:claim_list")
    total = len(_book(client.get(url, {"export": "xlsx"}))) - 1
    assert total >= 2
    monkeypatch.setattr(ClaimListView, "download_cap", total - 1)
    page = client.get(url).content.decode()
    assert 'data-testid="list-export"' not in page and 'data-testid="list-too-many"' in page
    assert f"最多 {total - 1} 行" in page
    with django_assert_max_num_queries(12) as captured:
        refused = client.get(url, {"export": "xlsx"})
    assert refused.status_code == 400 and f"超过 {total - 1} 条" in refused.content.decode()
    assert not any("claims_claim" in q["sql"] and "LIMIT" not in q["sql"] for q in captured.captured_queries)
    narrowed = _book(client.get(url, {"status": "paid", "export": "xlsx"}))
    assert [row[0] for row in narrowed[1:]] == [walk.a.claim.number]


def test_a_unit_agent_s_lists_hold_only_their_unit(walk: Tree, db: None) -> None:
    client = _client(walk.a.unit_agent)
    for name in ("enrollment:list_list", "enrollment:policy_list", "claims:claim_list"):
        rows = _book(client.get(reverse(name), {"export": "xlsx"}))[1:]
        assert rows and all(walk.a.unit.name in row for row in rows), (name, rows)
        assert client.get(reverse(name), {"office": walk.a.city.pk}).content.decode().count('role="alert"') == 1


def test_a_unit_agent_is_not_offered_an_office_to_choose_and_reads_their_claims_clock(walk: Tree, db: None) -> None:
    """A unit's tree holds no office: no "all offices and agent points" select over one unit; the
    deadlines page's figures count the unit's claims on the clock, as its list below does (a
    unit reviews none, so the figures of the claims it reviews were always 0 above a list of 1)."""
    import re

    client = _client(walk.a.unit_agent)
    for name in ("enrollment:list_list", "claims:claim_list", "org_tree", "enrollment:plan_list"):
        assert 'name="office"' not in client.get(reverse(name)).content.decode(), name
    assert 'name="office"' in _client(walk.a.office_user).get(reverse("claims:claim_list")).content.decode()
    cards = client.get(reverse("enrollment:card_jobs")).content.decode()  # their unit, not "every unit of my office"
    assert '<option value="">本办事处辖内全部单位' not in cards and f'value="{walk.a.unit.pk}"' in cards
    assert (
        '<option value="">本办事处辖内全部单位'
        in _client(walk.a.office_user).get(reverse("enrollment:card_jobs")).content.decode()
    )
    batches = client.get(reverse("claims:batch_list")).content.decode()  # no batch of their own: where they come from
    assert 'data-testid="batches-whence"' in batches and f'href="{reverse("claims:claim_list")}"' in batches
    assert (
        'data-testid="batches-whence"'
        not in _client(walk.a.office_user).get(reverse("claims:batch_list")).content.decode()
    )
    body = client.get(reverse("claims:deadlines")).content.decode()
    total = int(body.split('data-testid="list-total">', 1)[1].split("</span>", 1)[0].split()[1].replace(",", ""))
    running = int(re.findall(r'<div class="figure"[^>]*>(\d+)</div>', body)[0])
    assert running == total > 0


def test_the_plans_filter_asks_for_a_part_of_the_plan_s_name_not_a_person_s(walk: Tree, db: None) -> None:
    body = _client(walk.a.office_user).get(reverse("enrollment:plan_list")).content.decode()
    assert 'placeholder="项目名称的一部分"' in body and "姓名的一部分" not in body


def test_a_posted_search_is_kept_by_the_sort_the_pages_and_the_filters(
    walk: Tree, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search is POSTed (it may be a full ID number) and kept in the session under a token the
    page's links carry: the next page, another sort, a filter and the download keep it; the
    token never holds the text, and a token of another page finds nothing kept."""
    import html
    import re

    from enrollment.views import MemberSearchView

    monkeypatch.setattr(MemberSearchView, "page_size", 1)
    client = _client(walk.a.office_user)
    url = reverse("enrollment:member_search")
    first = client.post(url + "?sort=name", {"q": "市会员"}).content.decode()  # 会员0 and 会员1, not 补充会员
    assert "共 2 条" in first and "第 1 页" in first
    links = [html.unescape(link) for link in re.findall(r'href="(\?[^"]*found=[^"]*)"', first)]
    following = next(link for link in links if "page=2" in link)
    assert "市会员" not in following and "sort=name" in following
    second = client.get(url + following).content.decode()
    assert "共 2 条" in second and "第 2 页" in second
    assert walk.a.members[1]["name"] in second and "补充会员" not in second.split("<tbody", 1)[1]
    resort = next(link for link in links if "sort=-name" in link)
    assert "共 2 条" in client.get(url + resort).content.decode()
    token = re.search(r"found=([\w-]+)", following).group(1)  # type: ignore[union-attr]
    assert f'name="found" value="{token}"' in first  # the filters' form carries it too
    filtered = client.get(url, {"found": token, "office": walk.a.city.pk}).content.decode()
    assert "共 2 条" in filtered
    book = _book(client.get(url, {"found": token, "export": "xlsx"}))
    assert len(book) - 1 == 2
    # Another page's token, or none: the list unsearched, with a word that the search is gone.
    elsewhere = client.get(reverse("claims:claim_list"), {"found": token}).content.decode()
    assert "搜索" in elsewhere.split('role="status"', 1)[1][:200]
    assert "共 3 条" in client.get(url).content.decode()


def test_a_policy_s_members_sort_filter_page_and_download_as_the_page_shows(
    walk: Tree, db: None, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    from enrollment.views import PolicyDetailView

    client = _client(walk.a.office_user)
    url = reverse("enrollment:policy_detail", kwargs={"policy_pk": walk.a.policy.pk})
    rows = _book(client.get(url, {"export": "xlsx", "sort": "-name"}))
    names = [row[1] for row in rows[1:]]
    assert len(names) == 3 and names == sorted(names, reverse=True)
    assert "共 1 条" in client.get(url, {"name": "补充"}).content.decode()
    assert len(_book(client.get(url, {"name": "补充", "export": "xlsx"}))) == 2
    monkeypatch.setattr(PolicyDetailView, "page_size", 2)
    second = client.get(url, {"page": "2", "sort": "name"}).content.decode()
    assert "第 2 页" in second and "共 3 条" in second and names[0] in second.split("<tbody", 1)[1]
    client.get(url)
    with django_assert_num_queries(14):  # the policy, renewal rate, endorsements, union levels, a page of members
        assert client.get(url).status_code == 200
    # City B's policy: not found, its download neither.
    theirs = reverse("enrollment:policy_detail", kwargs={"policy_pk": walk.b.policy.pk})
    assert client.get(theirs).status_code == 404 and client.get(theirs, {"export": "xlsx"}).status_code == 404

"""The home page: what waits for the person logged in, by area, each with its count and a link to
the list filtered to exactly those rows; counted in the user's office tree, in a fixed number of
queries."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.services.member_lists import member_list_submit
from mutualaid import dates
from mutualaid.models import OrgKind, User
from mutualaid.numbers import month_text
from mutualaid.tenancy import org_scope, unscoped
from tests import claimkit
from tests.conftest import Tree
from tests.factories import OrganisationFactory
from tests.lists import person, upload_and_check


def _todo(user: User) -> dict[str, tuple[int, str]]:
    """The home page's to-do items as the user sees them: label → (count, link)."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    items = re.findall(
        r'<a href="([^"]+)">\s*<span class="todo-count">([\d,]+)</span>\s*<span class="todo-label">([^<]+)', page
    )
    return {label.strip(): (int(count.replace(",", "")), href.replace("&amp;", "&")) for href, count, label in items}


def _submitted_list(tree: Tree, first: int) -> None:
    a = tree.a
    checked = upload_and_check(a.unit_agent, a.unit, a.period, [person(first + i) for i in range(2)])
    with org_scope(a.unit_agent.org, actor_id=a.unit_agent.pk):
        member_list_submit(actor=a.unit_agent, member_list=checked)


def test_a_first_level_reviewer_finds_the_claim_waiting_for_them_in_one_click(claims_ready: Tree) -> None:
    a = claims_ready.a
    claimkit.register(a.unit_agent, a.enrollment)
    officer = _todo(a.reviewers.officer)
    assert officer["待我审核的理赔"] == (1, "/claims/?queue=mine")
    assert officer["超期理赔"] == (0, "/claims/?queue=overdue")
    # The supervisor's level is the next one: nothing waits for them yet.
    assert _todo(a.reviewers.supervisor)["待我审核的理赔"][0] == 0
    # The link opens the list of exactly that claim.
    client = Client()
    client.force_login(a.reviewers.officer)
    assert client.get("/claims/?queue=mine").content.decode().count('href="/claims/') >= 1


def test_an_office_head_finds_the_lists_waiting_for_approval_and_a_sibling_city_does_not(claims_ready: Tree) -> None:
    _submitted_list(claims_ready, 700)
    head = _todo(claims_ready.a.office_user)
    assert head["待我审批的参保名单"] == (1, "/enrollment/lists/?status=submitted")
    assert _todo(claims_ready.b.office_user)["待我审批的参保名单"][0] == 0  # the stranger's tree has none
    # A unit's agent approves nothing: the item is not theirs.
    assert "待我审批的参保名单" not in _todo(claims_ready.a.unit_agent)


def test_roles_without_work_here_get_a_word_instead_of_empty_boxes(claims_ready: Tree) -> None:
    client = Client()
    client.force_login(claims_ready.a.reviewers.compliance)
    page = client.get(reverse("home")).content.decode()
    assert "待办事项" in page and 'class="todo-count"' in page  # their level's queue, even when empty


def test_the_home_page_reads_in_the_same_number_of_queries_whatever_waits(
    claims_ready: Tree, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    a = claims_ready.a
    client = Client()
    client.force_login(a.office_user)  # every office role: every provider answers
    client.get(reverse("home"))  # the session and the permissions read once, as on any later page
    with CaptureQueriesContext(connection) as before:
        assert client.get(reverse("home")).status_code == 200
    claimkit.register(a.unit_agent, a.enrollment)
    claimkit.register(a.unit_agent, a.enrollment, invoices=("INV-2",))
    _submitted_list(claims_ready, 800)
    with django_assert_num_queries(len(before.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert "待我审批的参保名单" in page


def test_a_city_sees_its_own_roll_up_and_remittance_due_and_the_province_the_cities_late(claims_ready: Tree) -> None:
    city = _todo(claims_ready.a.office_user)
    assert city["本处月度报表未上报"][0] == 1 and city["本处月度报表未上报"][1].startswith(
        "/reporting/snapshots/?month="
    )
    # No policy of last month: no report to draft and none to remit (the page says 暂无报告书).
    assert city["待编制的上解报告书"] == (0, "/finance/remittances/#own-report")
    assert city["本处待上解的保费"] == (0, "/finance/remittances/#own-reports")
    # Each note names the month as a person reads it (2026年11月), never YYYY-MM.
    client = Client()
    client.force_login(claims_ready.a.office_user)
    notes = re.findall(r'class="todo-note">([^<]*)<', client.get("/").content.decode())
    last = month_text(dates.last_month())
    assert len(notes) >= 2 and all(last in note for note in notes), notes
    assert not any(re.search(r"\d{4}-\d{2}", note) for note in notes), notes
    province = _todo(claims_ready.province_user)
    assert province["未上报月度报表的市级代办处"][0] == 2  # both cities of the tree, neither has sent it
    assert "本处待上解的保费" not in province and "待编制的上解报告书" not in province  # it remits to nobody
    assert "本处月度报表未上报" not in _todo(claims_ready.a.county_agent)  # a county rolls nothing up


def _shown(client: Client, url: str, *, month: str) -> int:
    """How many rows the page a to-do item opens shows for it: the list's total, or the rows of
    the part of the page its anchor names."""
    path, _hash, anchor = url.partition("#")
    response = client.get(path)
    assert response.status_code == 200, url
    body = response.content.decode()
    if anchor == "remittance-warnings":
        if 'id="remittance-warnings"' not in body:
            return 0
        part = body.split('id="remittance-warnings"', 1)[1].split("</section>", 1)[0]
        return part.split("<tbody>", 1)[1].count("<tr>")
    if anchor == "own-report":  # last month's own report named as to be drafted, above its button
        if 'data-testid="report-to-draft"' not in body:
            return 0
        return int(month in body.split('data-testid="report-to-draft"', 1)[1].split("</div>", 1)[0])
    if anchor == "own-reports":  # last month's own report, drafted and not yet sent
        part = body.split('data-testid="own-reports"', 1)[1].split("</table>", 1)[0]
        return sum(1 for row in part.split("<tr>") if month in row and "status-draft" in row)
    if anchor == "submissions":
        if 'id="submissions"' in body:  # the province: the cities whose month is not in
            return body.split('id="submissions"', 1)[1].split("</table>", 1)[0].count('class="tag block"')
        own = body.split('data-testid="snapshots"', 1)[1].split("</table>", 1)[0]
        return 0 if month in own else 1
    total = body.split('data-testid="list-total">', 1)[1].split("</span>", 1)[0].split()[1]
    return int(total.replace(",", ""))


def test_every_link_of_the_home_page_opens_exactly_the_rows_it_counts(enrolled_tree: Tree) -> None:
    """For each role of city A, its county and the province: each to-do item's link shows as many
    rows as the item counts (payments waiting for *my* approval, not every pending one; claims due
    within three days on the deadlines page, filtered to those)."""
    from datetime import timedelta

    from claims.models import Claim
    from mutualaid import dates
    from mutualaid.tenancy import unscoped

    a = enrolled_tree.a
    near = claimkit.register(a.unit_agent, a.enrollment, invoices=("NEAR-1",))
    late = claimkit.register(a.unit_agent, a.enrollment, invoices=("LATE-1",))
    claimkit.register(a.unit_agent, a.enrollment, invoices=("LATER-1",))  # due well after three days
    today = dates.business_today()
    with unscoped():
        Claim.objects.filter(pk=near.pk).update(target_due_on=today + timedelta(days=2))
        Claim.objects.filter(pk=late.pk).update(target_due_on=today - timedelta(days=1))
    _submitted_list(enrolled_tree, 900)
    month = f"{dates.last_month().year}年{dates.last_month().month}月"
    people = [a.office_user, *vars(a.reviewers).values(), a.county_agent, a.unit_agent, enrolled_tree.province_user]
    counted = 0
    for user in people:
        client = Client()
        client.force_login(user)
        for label, (count, url) in _todo(user).items():
            assert _shown(client, url, month=month) == count, (user.username, label, url)
            counted += count
    assert counted >= 8  # something waits behind most of the links
    near_link = _todo(a.office_user)["3 天内到期的理赔"]
    assert near_link == (1, "/claims/deadlines/?due=near")
    client = Client()
    client.force_login(a.office_user)
    body = client.get(near_link[1]).content.decode()
    assert near.number in body and late.number not in body


# The province leader's home page, every provider answering: the session, the user with its
# office, the authenticator, the to-do items and the office's figures (tests/test_home.py pins it
# so that a query per office below, or a read of the enrollments, cannot creep in: at a province
# of 5,000,000 members either took the page past 30 seconds). The offices directly below and
# their units' headcounts are two queries: one query with a subquery per office read the units
# once for each.
PROVINCE_HOME_QUERIES = 22


def test_a_province_leader_s_home_page_reads_a_fixed_number_of_queries_whatever_the_offices_below(
    enrolled_tree: Tree, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    tree = enrolled_tree
    client = Client()
    client.force_login(tree.province_user)  # every office role: every provider answers
    client.get(reverse("home"))  # the session and the permissions read once, as on any later page
    with CaptureQueriesContext(connection) as two_cities:
        assert client.get(reverse("home")).status_code == 200
    with unscoped():
        for n in range(12):
            city = OrganisationFactory(
                code=f"M{n:02d}Q61", name=f"增设{n}市代办处", kind=OrgKind.CITY, parent=tree.province
            )
            county = OrganisationFactory(
                code=f"M{n:02d}Q61C", name=f"增设{n}区代办点", kind=OrgKind.COUNTY, parent=city
            )
            OrganisationFactory(code=f"M{n:02d}Q61U", name=f"增设{n}机械厂工会", parent=county)
    with django_assert_num_queries(PROVINCE_HOME_QUERIES):
        page = client.get(reverse("home")).content.decode()
    assert len(two_cities.captured_queries) == PROVINCE_HOME_QUERIES
    assert "未上报月度报表的市级代办处" in page and "增设11市代办处" in page
    # No query reads the members themselves, and the claims only through the index of open ones.
    read = [query["sql"] for query in two_cities.captured_queries]
    assert not [sql for sql in read if "enrollment_enrollment" in sql]
    claims = [sql for sql in read if '"claims_claim"' in sql]
    assert claims and all("NOT (\"claims_claim\".\"status\" IN ('rejected', 'paid'))" in sql for sql in claims)


def test_an_agent_point_is_asked_to_draft_last_month_s_report_then_to_remit_it_as_its_page_shows(
    claims_ready: Tree,
) -> None:
    from tests.finkit import move_policy_to

    a = claims_ready.a
    month = dates.last_month()
    move_policy_to(a.policy, month)
    client = Client()
    client.force_login(a.county_agent)
    todo = _todo(a.county_agent)
    assert todo["待编制的上解报告书"] == (1, "/finance/remittances/#own-report")
    assert todo["本处待上解的保费"] == (0, "/finance/remittances/#own-reports")
    body = client.get("/finance/remittances/").content.decode()
    to_draft = body.split('data-testid="report-to-draft"', 1)[1].split("</div>", 1)[0]
    assert f"{month_text(month)}的上解报告书待编制" in to_draft and "元" in to_draft
    assert "暂无报告书" in body  # what the item asks for is the report the table does not have yet

    response = client.post("/finance/remittances/", {"month": month.strftime("%Y-%m")})
    assert response.status_code == 302 and "/finance/remittances/" in response["Location"]
    todo = _todo(a.county_agent)
    assert todo["待编制的上解报告书"][0] == 0
    assert todo["本处待上解的保费"] == (1, "/finance/remittances/#own-reports")
    body = client.get("/finance/remittances/").content.decode()
    own = body.split('data-testid="own-reports"', 1)[1].split("</table>", 1)[0]
    assert 'data-testid="report-to-draft"' not in body
    assert month_text(month) in own and "status-draft" in own and "暂无报告书" not in own


def test_an_office_s_figures_show_only_the_levels_it_has_below_it(tree: Tree) -> None:
    """An agent point has no office and the city one (itself): no "0 办事处" on its page."""

    def stats(user: User) -> dict[str, str]:
        client = Client()
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        found = re.findall(r'<div class="figure">([\d,]+)</div><div class="label">([^<]+)</div>', page)
        return {label: figure for figure, label in found}

    county = stats(tree.a.county_agent)
    assert "办事处" not in county and county["代办点"] == "1" and county["基层单位"] == "1"
    city = stats(tree.a.office_user)
    assert city["办事处"] == "1" and city["代办点"] == "1"

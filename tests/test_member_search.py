"""Member search: by part of the name or a full ID number (POSTed, never in the address), the
unit's name and the last four digits of the phone; results masked and within the reader's tree."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from enrollment.models import Enrollment
from enrollment.selectors import TRIGRAM, member_find
from mutualaid.models import User
from mutualaid.tenancy import unscoped
from tests.conftest import Tree

URL = "/enrollment/members/"


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(page: str) -> str:
    """The results table's body (the search box shows what was typed)."""
    return page.split("<tbody", 1)[1].split("</tbody>", 1)[0]


@pytest.fixture
def tree_with_members(tree: Tree) -> Tree:
    tree.a.with_enrollment(100)
    tree.b.with_enrollment(200)
    return tree


def test_the_address_is_the_member_search(tree_with_members: Tree) -> None:
    assert reverse("enrollment:member_search") == URL


def test_part_of_a_name_finds_the_members_masked(tree_with_members: Tree) -> None:
    a = tree_with_members.a
    page = _login(a.office_user).post(URL, {"q": "会员1"}).content.decode()
    assert a.members[1]["name"] in page and a.members[0]["name"] not in page
    number, phone = a.members[1]["id_number"], a.members[1]["phone"]
    assert number not in page and phone not in page
    assert number[:4] + "*" * 10 + number[-4:] in page
    assert phone[:3] + "****" + phone[-4:] in page


def test_a_part_of_a_name_too_short_for_the_trigram_index_finds_the_same_members(tree_with_members: Tree) -> None:
    """From three characters the names' trigram index serves the search (`LIKE`); a shorter part
    has no trigram and is matched by `strpos` instead, which finds exactly what `LIKE` finds."""
    a = tree_with_members.a
    with unscoped():
        for text in ("员", "员1", "会员1", a.members[0]["name"]):
            wanted = set(Enrollment.objects.filter(name__contains=text).values_list("pk", flat=True))
            found = member_find(Enrollment.objects.all(), text=text)
            assert set(found.values_list("pk", flat=True)) == wanted and wanted, text
            assert ("STRPOS" in str(found.query).upper()) == (len(text) < TRIGRAM), text
    page = _login(a.office_user).post(URL, {"q": "员1"}).content.decode()
    assert a.members[1]["name"] in _rows(page) and a.members[0]["name"] not in _rows(page)


def test_a_short_part_of_a_name_is_counted_with_parallel_reads_and_finds_the_same_members(
    tree_with_members: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count of a part too short for the trigram index is read with PostgreSQL's parallel
    workers (a rare part otherwise reads a province on one core); an indexed part, an ID number or
    no search at all is read as before. Either way the page finds the same members."""
    from mutualaid import planner

    used: list[str] = []
    real = planner.parallel_reads

    def spy(using: str = "default") -> object:
        used.append(using)
        return real(using)

    monkeypatch.setattr(planner, "parallel_reads", spy)
    a = tree_with_members.a
    client = _login(a.office_user)
    short = _rows(client.post(URL, {"q": "员1"}).content.decode())
    assert used == ["default"]
    assert a.members[1]["name"] in short and a.members[0]["name"] not in short
    for text in ("会员1", a.members[0]["id_number"], ""):
        client.post(URL, {"q": text})
    client.get(URL)
    assert used == ["default"]


def test_parallel_reads_are_planned_inside_and_the_settings_are_back_after(db: None) -> None:
    """Inside, the planner is told parallel workers cost nothing to start; after, the settings are
    what they were, also inside a larger transaction and after a read that failed."""
    from django.db import DatabaseError, connection, transaction

    from mutualaid.planner import parallel_reads

    def costs() -> tuple[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('parallel_setup_cost'), current_setting('parallel_tuple_cost')")
            found = cursor.fetchone()
        return found[0], found[1]

    before = costs()
    assert before != ("0", "0")
    with transaction.atomic():
        with parallel_reads():
            assert costs() == ("0", "0")
        assert costs() == before
        with pytest.raises(DatabaseError), parallel_reads(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        assert costs() == before
    assert costs() == before


def test_a_full_id_number_finds_the_member_and_is_not_put_in_the_address(tree_with_members: Tree) -> None:
    a = tree_with_members.a
    response = _login(a.office_user).post(URL, {"q": a.members[0]["id_number"]})
    page = response.content.decode()
    assert a.members[0]["name"] in page and a.members[1]["name"] not in page
    links = " ".join(re.findall(r'(?:href|action)="[^"]*"', page))
    assert a.members[0]["id_number"] not in links  # sorting, paging and the download keep it out of the address


def test_the_last_four_digits_of_the_phone_find_the_member(tree_with_members: Tree) -> None:
    a = tree_with_members.a
    tail = a.members[1]["phone"][-4:]
    page = _login(a.office_user).get(URL, {"phone": tail}).content.decode()
    assert a.members[1]["name"] in page and a.members[0]["name"] not in page


def test_the_unit_name_narrows_the_members(tree_with_members: Tree) -> None:
    a = tree_with_members.a
    client = _login(a.office_user)
    assert a.members[0]["name"] in client.get(URL, {"unit_name": "机械厂"}).content.decode()
    assert a.members[0]["name"] not in client.get(URL, {"unit_name": "没有这个单位"}).content.decode()


def test_units_holding_many_members_find_the_same_members_as_units_holding_few(
    tree_with_members: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit name every unit has (单位, 工会) is looked up as a list of paths, newest first
    (enrollment/selectors.py `member_unit_named`): the same members, only found faster."""
    from enrollment import selectors

    a, b = tree_with_members.a, tree_with_members.b
    client = _login(a.office_user)
    few = _rows(client.get(URL, {"unit_name": "机械厂"}).content.decode())
    monkeypatch.setattr(selectors, "DENSE_UNITS", -1)
    many = _rows(client.get(URL, {"unit_name": "机械厂"}).content.decode())
    assert a.members[0]["name"] in many and many == few
    assert b.members[0]["name"] not in _rows(client.get(URL, {"unit_name": b.unit.name}).content.decode())


def test_another_office_s_member_is_not_found_by_name_id_or_phone(tree_with_members: Tree) -> None:
    a, b = tree_with_members.a, tree_with_members.b
    client = _login(a.office_user)
    stranger = b.members[0]
    for page in (
        client.post(URL, {"q": stranger["name"]}),
        client.post(URL, {"q": stranger["id_number"]}),
        client.get(URL, {"phone": stranger["phone"][-4:]}),
        client.get(URL, {"unit_name": b.unit.name}),
    ):
        assert page.status_code == 200
        assert stranger["name"] not in _rows(page.content.decode())


def test_a_phone_tail_that_is_not_four_digits_shows_nothing_and_says_why(tree_with_members: Tree) -> None:
    a = tree_with_members.a
    page = _login(a.office_user).get(URL, {"phone": "12a4"}).content.decode()
    assert a.members[0]["name"] not in page
    assert "手机号码后4位" in page or "0 到 9" in page or "0到9" in page


def test_the_unit_agent_finds_only_their_unit_s_members(tree_with_members: Tree) -> None:
    a = tree_with_members.a
    page = _login(a.unit_agent).get(URL).content.decode()
    assert all(member["name"] in page for member in a.members)
    assert tree_with_members.b.members[0]["name"] not in page


def test_the_search_downloads_as_a_workbook_of_what_it_found(tree_with_members: Tree) -> None:
    import io

    from openpyxl import load_workbook

    a = tree_with_members.a
    response = _login(a.office_user).post(URL, {"q": "会员1", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert names == [a.members[1]["name"]]
    assert "filename*=UTF-8''" in response["Content-Disposition"] and "%E4" in response["Content-Disposition"]


def test_a_list_past_the_cap_shows_the_newest_first_unsorted_and_asks_to_narrow_it(
    tree_with_members: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's millions are neither counted nor sorted: past the cap the page says "more than",
    shows the newest rows through the primary key's index, ignores a sort and refuses the download
    with what to do; a search narrows it to an exact count again."""
    from enrollment.views import MemberSearchView

    monkeypatch.setattr(MemberSearchView, "count_cap", 1)
    a = tree_with_members.a
    assert len(a.members) >= 2
    client = _login(a.office_user)
    page = client.get(URL, {"sort": "name"}).content.decode()
    assert "超过 1 条" in page and 'data-testid="list-export"' not in page
    rows = _rows(page)
    newest, oldest = a.members[-1]["name"], a.members[0]["name"]
    assert rows.index(newest) < rows.index(oldest)  # by when they were taken on, not by name
    refused = client.get(URL, {"export": "xlsx"})
    assert refused.status_code == 400 and "超过 1 条" in refused.content.decode()
    found = client.post(URL, {"q": oldest}).content.decode()
    assert "共 1 条" in found and oldest in _rows(found)

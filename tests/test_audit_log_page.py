"""The audit trail page reads in words and is a list page as the others: narrowed by person,
action, kind of record, office and days; sorted; its total; downloaded as the view; field labels
and values instead of column names and JSON; the office column on one line."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from mutualaid import dates
from mutualaid.audit_display import value_text
from tests.browser import login, page, screenshot, too_wide  # noqa: F401 - the fixture
from tests.conftest import Tree


def _page(client: Client, query: str = "") -> str:
    response = client.get(reverse("audit_list") + query)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return [row for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S) if "colspan=" not in row]


def _office_client(tree: Tree) -> Client:
    client = Client()
    client.force_login(tree.a.office_user)
    client.post(reverse("user_toggle_active", kwargs={"user_pk": tree.a.unit_agent.pk}))
    return client


def test_a_change_reads_as_field_labels_and_values_in_words(tree: Tree) -> None:
    html = _page(_office_client(tree), f"?actor={tree.a.office_user.pk}&action=changed")
    [row] = [r for r in _rows(html) if tree.a.unit_agent.username in r]
    assert "启用</span>：是 → 否" in row
    assert "is_active" not in row and "True" not in row and "{" not in row
    assert re.search(r'<td class="nowrap" data-testid="audit-office">\s*' + tree.a.city.name, row), row


def test_each_filter_narrows_the_trail(tree: Tree) -> None:
    client = _office_client(tree)
    everything = _rows(_page(client))
    assert len(everything) > 1
    changed = _rows(_page(client, "?action=changed"))
    assert changed and all("修改" in r or "changed" in r for r in changed)
    assert len(changed) < len(everything)
    mine = _rows(_page(client, f"?actor={tree.a.office_user.pk}"))
    assert mine and all(tree.a.office_user.display_name in r for r in mine)
    assert _rows(_page(client, f"?actor={tree.a.county_agent.pk}")) == []  # did nothing
    users = _rows(_page(client, "?model=mutualaid.User"))
    assert users and all("用户" in r for r in users) and len(users) < len(everything)
    tomorrow = dates.business_today().toordinal() + 1
    from datetime import date

    later = date.fromordinal(tomorrow).isoformat()
    nothing = _page(client, f"?at_min={later}")
    assert "没有符合筛选条件的记录" in nothing and not _rows(nothing)
    today = dates.business_today().isoformat()
    assert len(_rows(_page(client, f"?at_min={today}&at_max={today}"))) == len(everything)
    assert _rows(_page(client, f"?office={tree.a.city.pk}")) and not _rows(_page(client, f"?office={tree.a.unit.pk}"))


def test_a_reversed_range_is_named_and_the_filters_are_labelled(tree: Tree) -> None:
    client = _office_client(tree)
    html = _page(client, "?at_min=2026-12-06&at_max=2026-12-01")
    assert "结束日期早于开始日期" in html and 'role="alert"' in html and not _rows(html)
    for name in ("actor", "action", "model", "office"):
        assert re.search(f'<select name="{name}"[^>]* aria-label="[^"]*[\u4e00-\u9fff]', html), name
    assert '<span class="filter-label">日期</span>' in html
    assert client.get(reverse("audit_list") + "?actor=abc").status_code == 400  # a person who is no id


def test_a_stranger_s_people_are_not_offered_as_a_filter(tree: Tree) -> None:
    client = _office_client(tree)
    html = _page(client)
    assert tree.b.office_user.display_name not in html
    refused = _page(client, f"?actor={tree.b.office_user.pk}")  # asked all the same: nothing shown
    assert 'role="alert"' in refused and not _rows(refused)


def test_the_trail_sorts_counts_and_downloads_the_view_with_text_as_text(tree: Tree) -> None:
    import io

    from openpyxl import load_workbook

    from mutualaid.tenancy import org_scope

    with org_scope(tree.a.city, actor_id=tree.a.office_user.pk):  # a name a spreadsheet would run
        from mutualaid.models import User

        User.objects.filter(pk=tree.a.office_user.pk).update(display_name="=HYPERLINK(1)")
    client = _office_client(tree)
    html = _page(client, "?sort=actor")
    total = int(re.search(r'data-testid="list-total">共 ([\d,]+) 条', html).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert total == len(_rows(html)) > 1
    response = client.get(reverse("audit_list"), {"sort": "actor", "export": "xlsx"})
    assert response.status_code == 200 and "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["时间", "操作人", "所属机构", "操作"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == total
    who = [row[1].value or "" for row in rows]
    named = [name for name in who if name != "系统"]
    assert named == sorted(named) and "=HYPERLINK(1)" in named
    cell = next(row[1] for row in rows if row[1].value == "=HYPERLINK(1)")
    assert cell.data_type == "s" and rows[0][0].is_date
    assert "系统" in who and who.index("系统") > who.index("=HYPERLINK(1)")  # nobody's changes last
    down = _rows(_page(client, "?sort=-actor"))
    assert "系统" in down[0] and "=HYPERLINK(1)" in down[-1]  # and first the other way round


def test_values_in_words() -> None:
    assert value_text("mutualaid.User", "is_active", True) == "是"
    assert value_text("mutualaid.Organisation", "kind", "unit") not in {"unit", ""}
    assert value_text("mutualaid.Unknown", "x", {"a": 1, "b": [1, 2]}) == "a：1，b：1、2"
    assert value_text("mutualaid.User", "is_active", None) == "—"


def test_the_audit_page_in_the_browser_keeps_the_office_on_one_line(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _office_client(tree)
    login(page, tree.a.office_user)
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page.base_url + reverse("audit_list") + "?action=changed")
        assert not too_wide(page), too_wide(page)
        office = page.locator("[data-testid=audit-office]").first
        lines = office.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
        )
        assert lines == 1, f"the office {office.inner_text()!r} takes {lines} lines at {width} px"
        screenshot(page, f"audit-{width}")

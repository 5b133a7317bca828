"""The type of a unit (机关事业单位、国有企业、非公企业、社会组织): set in the units' bulk import as
on the unit form, and a filter and a breakdown of the year's rankings."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from mutualaid.models import Organisation, OrgKind
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.factories import unit_credit_code
from tests.test_rankings import YEAR, _rank, ranked  # noqa: F401 (the fixture)
from tests.test_unit_import import HEADERS, _client, _export, _rows, _units, _upload, _workbook

WITH_TYPE = [*HEADERS, "单位类型"]


def test_the_export_names_each_units_type_and_the_import_sets_it(tree: Tree) -> None:
    with unscoped():
        Organisation.objects.filter(pk=tree.a.unit.pk).update(unit_type="private")
    client = _client(tree)
    rows = _rows(_export(client))
    assert rows[0][-1] == "单位类型" and rows[1][-1] == "非公企业"
    unit = tree.a.unit
    changed = [unit.code, unit.name, tree.a.county.code, "", unit.credit_code, unit.headcount, "国有企业"]
    new = ["XAU9", "新建社团工会", tree.a.county.code, "", unit_credit_code(), 30, "social"]
    report = _upload(client, _workbook([changed, new], WITH_TYPE)).context["report"]
    assert report.ok and [row.label for row in report.rows] == ["修改", "新增"]
    assert client.post(reverse("unit_import"), {"confirm": "1"}).status_code == 302
    units = _units(tree)
    assert (units[unit.code].unit_type, units["XAU9"].unit_type) == ("state", "social")


def test_a_workbook_without_the_column_or_with_an_empty_cell_keeps_the_type(tree: Tree) -> None:
    with unscoped():
        Organisation.objects.filter(pk=tree.a.unit.pk).update(unit_type="public")
    client = _client(tree)
    unit = tree.a.unit
    old_layout = [unit.code, "甲机械厂工会（更名）", tree.a.county.code, "", unit.credit_code, unit.headcount]
    assert _upload(client, _workbook([old_layout])).context["report"].ok
    client.post(reverse("unit_import"), {"confirm": "1"})
    empty = [unit.code, "甲机械厂工会", tree.a.county.code, "", unit.credit_code, unit.headcount, ""]
    assert _upload(client, _workbook([empty], WITH_TYPE)).context["report"].ok
    client.post(reverse("unit_import"), {"confirm": "1"})
    assert _units(tree)[unit.code].unit_type == "public"
    assert _units(tree)[unit.code].name == "甲机械厂工会"


def test_an_unknown_type_is_refused_naming_the_row_the_column_and_the_choices(tree: Tree) -> None:
    client = _client(tree)
    unit = tree.a.unit
    row = [unit.code, unit.name, tree.a.county.code, "", unit.credit_code, unit.headcount, "外资企业"]
    report = _upload(client, _workbook([row], WITH_TYPE)).context["report"]
    assert not report.ok
    message = " ".join(report.rows[0].problems)
    assert message.startswith("第 2 行，单位类型：") and "外资企业" in message and "机关事业单位" in message
    assert _units(tree)[unit.code].unit_type == ""


def _typed(tree: Tree) -> None:
    """The first agent point's unit is state-owned, the second's non-public."""
    with unscoped():
        Organisation.objects.filter(pk=tree.a.unit.pk).update(unit_type="state")
        Organisation.objects.filter(pk=tree.a.unit2.pk).update(unit_type="private")  # type: ignore[attr-defined]


def test_the_rankings_narrowed_to_one_type_count_only_its_units(ranked: Tree) -> None:  # noqa: F811
    _typed(ranked)
    every = _rank(ranked)
    state = _rank(ranked, unit_type="state")
    private = _rank(ranked, unit_type="private")
    by_office = {row["office_id"]: row for row in state["rows"]}
    assert every["total"]["people_year"] == 3 and every["total"]["headcount"] == 400
    assert (by_office[ranked.a.county.pk]["people_year"], by_office[ranked.a.county.pk]["headcount"]) == (2, 300)
    assert by_office[ranked.a.county2.pk]["people_year"] == 0  # type: ignore[attr-defined]
    assert state["total"]["people_year"] == 2 and private["total"]["people_year"] == 1
    # The targets are set for an office as a whole: narrowed to a type, they are not compared.
    assert state["total"]["target_people"] is None and every["total"]["target_people"] == 5
    assert state["unit_type_label"] == "国有企业"


def test_the_rankings_break_the_year_down_by_type_of_unit(ranked: Tree) -> None:  # noqa: F811
    _typed(ranked)
    rows = {row["unit_type"]: row for row in _rank(ranked)["by_unit_type"]}
    assert set(rows) == {"state", "private"}
    assert (rows["state"]["people_year"], rows["state"]["headcount"]) == (2, 300)
    assert (rows["private"]["people_year"], rows["private"]["headcount"], rows["private"]["unit_type_label"]) == (
        1,
        100,
        "非公企业",
    )


def test_the_rankings_page_and_api_take_the_type_and_refuse_another(ranked: Tree) -> None:  # noqa: F811
    _typed(ranked)
    client = Client()
    client.force_login(ranked.a.office_user)
    query: dict[str, Any] = {"year": YEAR, "plan": ranked.a.plan.pk}
    page = client.get(reverse("reporting:rankings"), {**query, "unit_type": "private"})
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="rankings-by-unit-type"' in body and "非公企业" in body
    assert client.get(reverse("reporting:rankings"), {**query, "unit_type": "x" * 300}).status_code == 400
    download = client.get(reverse("reporting:rankings_xlsx"), {**query, "unit_type": "private"})
    assert download.status_code == 200
    assert client.get(reverse("reporting:rankings_xlsx"), {**query, "unit_type": "NaN"}).status_code == 400
    assert ranked.a.county.kind == OrgKind.COUNTY


def test_the_targets_page_narrows_to_a_type_and_totals_the_units_targets_by_type(ranked: Tree) -> None:  # noqa: F811
    from decimal import Decimal

    from reporting import services
    from tests.factories import OrganisationFactory

    a = ranked.a
    with unscoped():
        state = OrganisationFactory(
            code="XAQ61U7", name="甲XA直属国企工会", parent=a.city, headcount=80, unit_type="state"
        )
    with org_scope(a.city, actor_id=a.office_user.pk):
        services.target_set(
            actor=a.office_user, target_org=state, plan=a.plan, year=YEAR, people=60, premium=Decimal("3000")
        )
    client = Client()
    client.force_login(a.office_user)
    query: dict[str, Any] = {"year": YEAR, "plan": a.plan.pk}
    every = client.get(reverse("reporting:targets"), query).content.decode()
    assert a.county.name in every and "甲XA直属国企工会" in every and 'data-testid="targets-by-unit-type"' in every
    narrowed = client.get(reverse("reporting:targets"), {**query, "unit_type": "state"}).content.decode()
    assert "甲XA直属国企工会" in narrowed and a.county.name not in narrowed
    assert "国有企业" in narrowed and "3,000.00" in narrowed
    assert client.get(reverse("reporting:targets"), {**query, "unit_type": "１"}).status_code == 400


def _cells(data: bytes) -> list[tuple[Any, ...]]:
    import io

    from openpyxl import load_workbook

    return [tuple(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def test_the_rankings_prepared_in_the_background_keep_the_type_the_page_narrowed_to(
    ranked: Tree,  # noqa: F811
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from reporting.models import ExportJob

    settings.MEDIA_ROOT = tmp_path
    _typed(ranked)
    client = Client()
    client.force_login(ranked.a.office_user)
    query: dict[str, Any] = {"year": YEAR, "plan": ranked.a.plan.pk, "unit_type": "private"}
    page = client.get(reverse("reporting:rankings"), query).content.decode()
    assert '<input type="hidden" name="unit_type" value="private">' in page
    assert (
        client.post(reverse("reporting:exports"), {**query, "kind": "rankings_xlsx", "unit_type": "NaN"}).status_code
        == 302
    )
    with unscoped():
        assert not ExportJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reporting:exports"), {**query, "kind": "rankings_xlsx"})
    with unscoped():
        job = ExportJob.objects.get()
    assert job.params["unit_type"] == "private" and "非公企业" in job.title
    url = reverse("reporting:export", kwargs={"export_pk": job.pk})
    background = _cells(b"".join(client.get(url, {"download": 1}).streaming_content))
    direct = _cells(client.get(reverse("reporting:rankings_xlsx"), query).content)
    every = _cells(client.get(reverse("reporting:rankings_xlsx"), {**query, "unit_type": ""}).content)
    assert background == direct and background != every
    # Narrowed to non-public units, the first agent point (a state-owned unit) counts nobody.
    first = next(row for row in background if ranked.a.county.name in row)
    second = next(row for row in background if ranked.a.county2.name in row)  # type: ignore[attr-defined]
    assert 1 in second and 2 not in first

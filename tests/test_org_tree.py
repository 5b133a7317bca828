from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mutualaid.models import Organisation, OrgKind
from mutualaid.selectors import org_subtree, org_subtree_stats
from mutualaid.services import org_create
from mutualaid.tenancy import org_scope, unscoped
from tests.conftest import Tree
from tests.factories import OrganisationFactory, unit_credit_code


def test_a_node_path_extends_its_parents_path(tree: Tree) -> None:
    assert tree.a.county.path.startswith(tree.a.city.path)
    assert tree.a.unit.path.startswith(tree.a.county.path)
    assert tree.a.unit.depth == 3
    assert tree.a.unit.ancestor_ids() == [tree.province.pk, tree.a.city.pk, tree.a.county.pk, tree.a.unit.pk]


def test_a_subtree_is_one_query(in_city_a: Tree, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(1):
        names = [node.name for node in org_subtree(root=in_city_a.a.city)]
    assert names == [in_city_a.a.city.name, in_city_a.a.county.name, in_city_a.a.unit.name]


def test_the_subtree_query_uses_the_path_index(tree: Tree) -> None:
    """With a province-sized tree (5,000 units under other cities), the planner itself picks a
    range scan of the path's pattern index for a city's subtree."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO mutualaid_organisation (code, name, kind, parent_id, path, depth, headcount, credit_code,
                                                is_active, created_at, unit_type)
            SELECT 'BULK' || g, '单位' || g, 'unit', %s, %s || lpad((900000 + g)::text, 6, '0') || '.', 3, 10,
                   'C' || g, true, now(), ''
            FROM generate_series(1, 5000) AS g
            """,
            [tree.b.county.pk, tree.b.county.path],
        )
        cursor.execute("ANALYZE mutualaid_organisation")
    with unscoped():
        sql, params = org_subtree(root=tree.a.city).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(r"Index (Only )?Scan (using|on) mutualaid_organisation_path_\w+_like", plan), plan
    assert "(path)::text ~>=~" in plan, plan


def test_subtree_stats_count_only_the_subtree(tree: Tree) -> None:
    with unscoped():
        OrganisationFactory(code="XAU2", name="甲XA第二单位", parent=tree.a.county, headcount=50)
    with org_scope(tree.a.city):
        stats = org_subtree_stats(root=tree.a.city)
    assert (stats.counties, stats.units, stats.headcount, stats.users) == (1, 2, 350, 3)


@pytest.mark.parametrize(
    ("kind", "parent_attr"),
    [(OrgKind.CITY, "county"), (OrgKind.COUNTY, "unit"), (OrgKind.UNIT, None), (OrgKind.PROVINCE, "city")],
)
def test_a_node_cannot_be_placed_under_the_wrong_kind(tree: Tree, kind: str, parent_attr: str | None) -> None:
    parent = getattr(tree.a, parent_attr) if parent_attr else None
    with unscoped(), pytest.raises(ValidationError):
        org_create(code="BAD1", name="错误节点", kind=kind, parent=parent, headcount=10)
    with unscoped():
        assert not Organisation.objects.filter(code="BAD1").exists()


def test_a_unit_needs_a_headcount(tree: Tree) -> None:
    with unscoped(), pytest.raises(ValidationError) as error:
        org_create(code="U0", name="无人数单位", kind=OrgKind.UNIT, parent=tree.a.county, headcount=None)
    assert "headcount" in error.value.message_dict


def test_industry_branches_sit_beside_cities(tree: Tree) -> None:
    with unscoped():
        industry = org_create(code="IND", name="铁路产业工会", kind=OrgKind.INDUSTRY, parent=tree.province)
        unit = org_create(
            code="INDU",
            name="机务段工会",
            kind=OrgKind.UNIT,
            parent=industry,
            headcount=900,
            credit_code=unit_credit_code(),
        )
    assert unit.path.startswith(industry.path) and not unit.path.startswith(tree.a.city.path)


def test_an_office_below_shows_the_staff_of_the_units_of_its_subtree(tree: Tree) -> None:
    """The home page's and an organisation's 直属下级: an office's row the sum of its units' staff
    (it showed — for every office), a unit's its own; another city's units are not counted."""
    from django.test import Client

    from mutualaid.selectors import org_children

    with unscoped():
        OrganisationFactory(code="XAU2", name="甲XA第二单位", parent=tree.a.county, headcount=50)
    with org_scope(tree.a.city):
        (county,) = org_children(root=tree.a.city)
        (unit, second) = org_children(root=tree.a.county)
    assert (county.pk, county.staff) == (tree.a.county.pk, 350)
    assert {unit.staff, second.staff} == {300, 50}
    client = Client()
    client.force_login(tree.a.office_user)
    body = client.get("/").content.decode()
    assert re.search(rf"{tree.a.county.name}.*?<td class=\"num\">350</td></tr>", body, re.S)

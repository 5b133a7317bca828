from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from mutualaid.audit import audit_event_list
from mutualaid.models import OrgKind
from mutualaid.tenancy import org_scope
from tests.conftest import Tree
from tests.factories import unit_credit_code


def _add_unit_through_the_form(client: Client, tree: Tree, code: str) -> None:
    response = client.post(
        reverse("org_create"),
        {
            "parent": tree.a.county.pk,
            "kind": OrgKind.UNIT,
            "code": code,
            "name": "新开业公司工会",
            "headcount": 42,
            "credit_code": unit_credit_code(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_creation_is_recorded_with_who_and_from_which_node(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    _add_unit_through_the_form(client, tree, "NEWU1")
    with org_scope(tree.a.city):
        row = next(r for r in audit_event_list() if r.object_label == "新开业公司工会")
    assert row.action == "created"
    assert row.actor == tree.a.office_user.display_name
    assert row.actor_org == tree.a.city.name


def test_a_change_is_recorded_with_before_and_after(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    client.post(reverse("user_toggle_active", kwargs={"user_pk": tree.a.unit_agent.pk}))
    with org_scope(tree.a.city):
        rows = audit_event_list()
    row = next(r for r in rows if r.action == "changed" and r.object_label == tree.a.unit_agent.username)
    # The field by its label and the values in words, as the audit page shows them.
    assert ("启用", "是", "否") in row.changes, row.changes
    assert row.actor == tree.a.office_user.display_name


def test_the_audit_page_shows_the_trail_in_chinese(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    _add_unit_through_the_form(client, tree, "NEWU2")
    body = client.get(reverse("audit_list")).content.decode()
    assert "审计日志" in body and "新开业公司工会" in body and "新增" in body


def test_a_sibling_office_does_not_see_our_trail(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    _add_unit_through_the_form(client, tree, "NEWU3")
    with org_scope(tree.b.city):
        assert all(r.object_label != "新开业公司工会" for r in audit_event_list())


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'x'", "DELETE FROM {table}"])
def test_the_trail_cannot_be_edited_even_with_raw_sql(tree: Tree, statement: str) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table="mutualaid_organisationevent"))

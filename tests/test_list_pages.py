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
        tree.a.with_enrollment(100).with_claim().with_finance()
        tree.b.with_enrollment(200).with_claim().with_finance()
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


PAGES = (
    "claims:claim_list",
    "claims:batch_list",
    "enrollment:list_list",
    "enrollment:policy_list",
    "enrollment:member_search",
    "finance:payment_list",
    "finance:remittance_list",
    "user_list",
    "org_tree",
)


def test_smoke(walk: Tree, db: None) -> None:
    client = _client(walk.a.office_user)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, response.content[:3000]
        open(f"/tmp/tables/{name.replace(':', '_')}.html", "wb").write(response.content)
        rows = _book(client.get(reverse(name) + "?export=xlsx"))
        print(name, response["Content-Type"], rows)

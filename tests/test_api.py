from __future__ import annotations

import yaml
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from mutualaid.models import Organisation
from mutualaid.tenancy import unscoped
from tests.conftest import Tree


def _token_client(user) -> Client:  # type: ignore[no-untyped-def]
    token = Token.objects.create(user=user).key
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_the_openapi_schema_is_published_and_versioned(tree: Tree) -> None:
    response = _token_client(tree.province_user).get(reverse("api_schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["version"] == "1.0.0 (v1)"
    assert {"/api/v1/orgs/", "/api/v1/orgs/{org_pk}/", "/api/v1/me/"} <= set(schema["paths"])


def test_the_province_client_lists_the_whole_tree_in_order(tree: Tree) -> None:
    response = _token_client(tree.province_user).get(reverse("api_org_list", kwargs={"version": "v1"}))
    rows = response.json()["results"]
    assert response.json()["count"] == 7
    assert rows[0]["code"] == tree.province.code and rows[0]["kind_label"] == "省办事处"


def test_the_list_is_one_query_whatever_its_length(tree: Tree, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = _token_client(tree.province_user)
    url = reverse("api_org_list", kwargs={"version": "v1"})
    # token lookup, count, page; the session middleware adds nothing for token requests
    with django_assert_max_num_queries(4):
        client.get(url)


def test_a_forged_parent_in_the_form_is_refused_with_a_chinese_message(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.b.office_user)
    response = client.post(
        reverse("org_create"),
        {"parent": tree.a.county.pk, "kind": "unit", "code": "FORGE2", "name": "伪造单位", "headcount": 5},
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    with unscoped():
        assert not Organisation.objects.filter(code="FORGE2").exists()

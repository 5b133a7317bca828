"""A select's empty choice says what it means, never Django's "---------" (issue 16): 全部 in a
filter, 请选择… where a form's choice must be made, （不指定） where it may be left empty; in the
active language (mutualaid/formrender.py). The demo's pages for every role are walked for the dashes
in the browser tests too (tests/test_layout_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
import pytest
from django import forms
from django.test import Client
from django.utils import translation

from mutualaid.formrender import DASHES
from mutualaid.listing import ListFilter
from mutualaid.models import Organisation, User
from tests.conftest import Tree
from tests.test_isolation import _verbs, all_routes, built_walk_tree


class _Form(forms.Form):
    office = forms.ModelChoiceField(queryset=Organisation.objects.none(), label="office")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="owner", required=False)
    kind = forms.ChoiceField(choices=[("", DASHES), ("a", "A")], label="kind")
    level = forms.ChoiceField(choices=[("", DASHES), ("a", "A")], label="level", required=False)
    named = forms.ChoiceField(choices=[("", "全部保障项目"), ("a", "A")], label="named", required=False)


class _Filter(ListFilter):
    office = django_filters.ModelChoiceFilter(queryset=Organisation.objects.none())
    kind = django_filters.ChoiceFilter(choices=[("a", "A")])

    class Meta:
        model = Organisation
        fields: list[str] = []


def _empty_option(html: str) -> str:
    return html.split('<option value=""', 1)[1].split(">", 1)[1].split("</option>", 1)[0]


def test_a_form_s_required_choice_asks_to_choose_and_an_optional_one_says_not_chosen(db: None) -> None:
    form = _Form()
    assert _empty_option(str(form["office"])) == "请选择…"
    assert _empty_option(str(form["kind"])) == "请选择…"
    assert _empty_option(str(form["owner"])) == "（不指定）"
    assert _empty_option(str(form["level"])) == "（不指定）"
    assert _empty_option(str(form["named"])) == "全部保障项目"  # words of its own are kept
    with translation.override("en"):
        assert _empty_option(str(_Form()["office"])) == "Choose…"
    assert DASHES not in form.as_div()


def test_a_list_page_s_filter_offers_all_as_its_empty_choice(db: None) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    filterset = _Filter(None, queryset=Organisation.objects.none(), request=request)
    html = str(filterset.form["office"]) + str(filterset.form["kind"])
    assert DASHES not in html
    assert _empty_option(str(filterset.form["office"])) == "全部"
    assert _empty_option(str(filterset.form["kind"])) == "全部"


@pytest.fixture(scope="module")
def walk_tree(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tree]:
    """The isolation walk's tree (a city with every kind of row), built once for the module."""
    with built_walk_tree(django_db_blocker, tmp_path_factory, one_city=True) as tree:
        yield tree


def test_no_page_of_the_product_shows_the_dashes_of_an_empty_choice(walk_tree: Tree, db: None) -> None:
    """Every page (every route, with the walk's rows for its ids) as city B's office user holding
    every office role: its forms and filters."""
    from tests.test_bad_input import _city_b_url

    client = Client()
    client.force_login(walk_tree.b.office_user)
    opened, dashes = 0, []
    for route in all_routes():
        url = _city_b_url(walk_tree, route)
        if url.startswith("/api/") or "get" not in _verbs(url):
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        opened += 1
        if DASHES in response.content.decode():
            dashes.append(url)
    assert opened > 75
    assert not dashes, "pages showing ---------:\n" + "\n".join(dashes)

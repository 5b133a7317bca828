"""Bad input answers 400 (or is ignored), never 500: a walk over every route and every form.

The red team of issue 14 found server errors on non-ASCII digits, months past 9999, NaN and
1e308 as amounts, NUL in a POSTed search, integers past bigint and strings past a column's
length in API bodies, and JSON nested a thousand levels. One layer refuses them all
(`mutualaid/badinput.py`, its middleware, and the strict parsers of `mutualaid/drf.py` and
`mutualaid/dates.py`); these tests walk the product to find any place it misses:

- every route (the isolation walk's `all_routes`), as city B's office user holding every office
  role by session, and as the province's API token on the API: each query key the view reads
  (recorded by a first request) gets each hostile value in turn;
- every form the product's pages show (found in the pages' HTML, as a person or a script sees
  them): each field in turn gets each hostile value, the others keep what the page put in them;
- the API's write endpoints get hostile values in every field of their bodies, numbers past a
  bigint, strings past the column, deep and large JSON.

No answer is a server error, and a hostile value in a query or in a field that is no free text
writes nothing. See SECURITY.md, "Bad input answers 400, never 500".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import resolve
from rest_framework.authtoken.models import Token

from mutualaid.tenancy import unscoped
from tests.conftest import Tree
from tests.shares import share_by_cost, share_of
from tests.test_isolation import (
    OBJECT_KWARGS,
    SESSION_ENDERS,
    _reads,
    _url_with,
    _verbs,
    _writes,
    all_routes,
    built_walk_tree,
)

# What people and scripts have sent where a number, an id, a month or a year was expected.
HOSTILE = [
    "１２",  # full-width digits: int() takes them, the database and the rest of the product do not
    "٣",  # an Arabic-Indic digit
    "²",  # a digit to str.isdigit(), not to int()
    "10000-01",  # a month past 9999
    "0000-00",
    "1899-12",
    "0",
    "-0",
    "-1",
    "NaN",
    "Infinity",
    "1e308",
    "9" * 50,
    str(2**63),  # one past the largest bigint
    "a\x00b",  # PostgreSQL text cannot hold NUL
]
# The values tried in each query key a view reads: one of each kind above.
QUERY_HOSTILE = ["１２", "²", "10000-01", "1899-12", "-0", "NaN", "1e308", "9" * 50, str(2**63), "a\x00b"]
# The values tried in each field of each form (every value, in every field at once, too).
FIELD_HOSTILE = ["１２", "²", "10000-01", "NaN", "1e308", "9" * 50, "a\x00b"]


@pytest.fixture(scope="module")
def walk_tree(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tree]:
    """The isolation walk's tree (a city with every kind of row), built once for the module."""
    with built_walk_tree(django_db_blocker, tmp_path_factory, one_city=True) as tree:
        yield tree


def _route_keys(read: set[Any]) -> list[str]:
    """The query keys a view read, without what the URL resolver and templates look up."""
    names = {route.name.split(":")[-1] for route in all_routes()} | {"set_language"}
    return sorted(k for k in read if isinstance(k, str) and k not in names and not k.startswith("/"))


def _clients(tree: Tree) -> dict[str, Client]:
    session = Client(raise_request_exception=False)
    session.force_login(tree.b.office_user)
    with unscoped():
        key = Token.objects.create(user=tree.province_user).key
    token = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    return {"session": session, "token": token}


def _city_b_url(tree: Tree, route: Any) -> str:
    return _url_with(route, lambda name: getattr(tree.b, OBJECT_KWARGS[name]).pk)


class ServerErrors(list[str]):
    """The requests that ended in a server error, with the exception each raised: the walk goes
    on past the first, so that one run names every place to fix."""

    def __init__(self) -> None:
        super().__init__()
        self.raised: list[str] = []
        self.tried = 0
        self.wrote: list[str] = []  # the requests after which a tenant table had changed

    def __enter__(self) -> ServerErrors:
        got_request_exception.connect(self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        got_request_exception.disconnect(self._record)

    def _record(self, sender: Any, request: Any = None, **kwargs: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        self.raised.append(f"{type(error).__name__}: {str(error)[:120]}")

    def check(self, response: Any, where: str) -> None:
        if response.status_code >= 500:
            self.append(f"{where}: {response.status_code} {self.raised[-1:] or ''}")


# The two long walks of this module are split into shares, each a test of its own, so that the
# test processes run them side by side and none carries a whole walk: the i-th share of the query
# walk takes the i-th of every n routes, the form walk's shares are of whole forms of about equal
# cost (tests/shares.py). tests/test_shares.py checks that shares cover the whole, each item once.
QUERY_SHARES = 4
FORM_SHARES = 6


@pytest.mark.parametrize("share", range(QUERY_SHARES))
def test_every_query_key_a_view_reads_takes_every_hostile_value_without_a_server_error(
    walk_tree: Tree, db: None, share: int
) -> None:
    clients = _clients(walk_tree)
    with ServerErrors() as errors:
        _walk_queries(walk_tree, clients, errors, share_of(all_routes(), share, QUERY_SHARES))
    assert not errors, "\n".join(errors)
    assert errors.tried > 200 // QUERY_SHARES, errors.tried  # the walk found the views' parameters
    assert not errors.wrote, errors.wrote


def _walk_queries(walk_tree: Tree, clients: dict[str, Client], errors: ServerErrors, routes: list[Any]) -> None:
    """Pages by session, the API by token (the views behind both ways in are the same). A PDF or
    a workbook takes each value in all its keys at once: it reads them through its page's parser,
    and each rendering costs a second."""
    for route in routes:
        url = _city_b_url(walk_tree, route)
        if "get" not in _verbs(url) or route.name == "api_schema":  # the schema reads no parameter itself
            continue
        auth = "token" if url.startswith("/api/") else "session"
        client = clients[auth]
        with _reads() as read:
            kind = client.get(url).get("Content-Type", "")
        keys = _route_keys(read)
        groups = [[key] for key in keys] if kind.startswith(("text/html", "application/json")) else [keys]
        for group in [g for g in groups if g]:
            written = _writes()
            for value in QUERY_HOSTILE:
                response = client.get(url, dict.fromkeys(group, value))
                errors.check(response, f"GET {url}?{'&'.join(group)}={value!r} ({auth})")
                errors.tried += 1
            if _writes() != written:
                errors.wrote.append(f"GET {url}?{group} ({auth})")


# --- Forms, as the pages show them ------------------------------------------------------------


TYPED_INPUTS = {"number", "date", "month", "hidden", "checkbox", "radio"}


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    typed: set[str] = field(default_factory=set)  # fields that are no free text: a number, a date, a choice, an id
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _Forms(HTMLParser):
    """The POST forms of a page with the values the page fills in (first option of a select)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action") or self.page) if a.get("method", "").lower() == "post" else None
            if self._form is not None:
                self.forms.append(self._form)
            return
        form, name = self._form, a.get("name", "")
        if form is None or name in {"", "csrfmiddlewaretoken"}:  # the test client needs no token
            return
        if tag == "select" or a.get("type") in TYPED_INPUTS or "data-money" in a:  # a money box is a number
            form.typed.add(name)
        if (tag == "input" and a.get("type") in {"submit", "image"}) or tag == "button":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "input" and a.get("type") == "file":
            return
        elif tag == "input" and a.get("type") in {"checkbox", "radio"}:
            if "checked" in a or name not in form.fields:
                form.fields.setdefault(name, a.get("value", "on"))
        elif tag == "input":
            form.fields[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, "")
        elif tag == "option" and self._select and not form.fields.get(self._select):
            form.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data


def _page_forms(client: Client, tree: Tree) -> dict[tuple[str, str], Form]:
    """Every POST form of every page the office user opens, by action and submit button."""
    found: dict[tuple[str, str], Form] = {}
    for route in all_routes():
        url = _city_b_url(tree, route)
        if url.startswith("/api/") or "get" not in _verbs(url):
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _Forms(url)
        parser.feed(response.content.decode())
        for form in parser.forms:
            if resolve(form.action.split("?")[0]).url_name in SESSION_ENDERS | {"set_language"}:
                continue
            for button in form.buttons or [("", "")]:
                found.setdefault((form.action, f"{button[0]}={button[1]}"), form)
    return found


@pytest.fixture(scope="module")
def found_forms() -> dict[tuple[str, str], Form]:
    """The forms of the pages, found by the first share of the form walk that a test process
    runs and kept for its other shares: the pages of the module's tree are the same in each test
    (its savepoint is rolled back), and opening every page again costs more than a share's walk."""
    return {}


@pytest.mark.parametrize("share", range(FORM_SHARES))
def test_every_field_of_every_form_takes_every_hostile_value_without_a_server_error(
    walk_tree: Tree, db: None, found_forms: dict[tuple[str, str], Form], share: int
) -> None:
    client = _clients(walk_tree)["session"]
    if not found_forms:
        found_forms.update(_page_forms(client, walk_tree))
    forms = found_forms
    assert len(forms) > 15, sorted(forms)  # the pages' forms were found
    with ServerErrors() as errors:
        _walk_forms(client, dict(share_by_cost(list(forms.items()), share, FORM_SHARES, _form_cost)), errors)
    assert not errors, "\n".join(errors)
    assert not errors.wrote, errors.wrote


def _form_cost(item: tuple[tuple[str, str], Form]) -> int:
    """The requests the walk of a form sends (as `_walk_forms` makes them). A form is walked whole
    in one share: its posts follow one another in one transaction as in the single walk (a share of
    its fields would post a hostile value where an earlier post of the walk had already changed
    what the form acts on). The schedule editor's two forms of 77 fields are a share each."""
    form = item[1]
    return len(form.fields) * len(FIELD_HOSTILE) + (len(QUERY_HOSTILE) if form.typed else 0)


def _walk_forms(client: Client, forms: dict[tuple[str, str], Form], errors: ServerErrors) -> None:
    """Each field in turn, then every field at once. Free text may be stored (a name may be "NaN"),
    but a hostile value in a number, a date, a choice or an id must write nothing."""
    for (action, button), form in forms.items():
        pressed = dict([button.split("=", 1)]) if button != "=" else {}
        bodies = [({**form.fields, name: value}, name, value) for name in form.fields for value in FIELD_HOSTILE]
        if form.typed:
            bodies += [(dict.fromkeys(form.fields, value), "every field", value) for value in QUERY_HOSTILE]
        for body, name, value in bodies:
            written = _writes()
            response = client.post(action, {**body, **pressed})
            where = f"POST {action} {name}={value!r} ({button})"
            errors.check(response, where)
            typed = name in form.typed or name == "every field"
            if typed and value not in {"0", "-0"} and _writes() != written:  # zero, however written, is a number
                errors.wrote.append(where)


def test_every_form_of_the_product_takes_its_numbers_in_ascii_digits() -> None:
    """Every form class that has a number field mixes in StrictNumbers (the pages import them all)."""
    from django import forms

    from mutualaid.badinput import StrictNumbers

    all_routes()  # imports every view, and with them every form

    def subclasses(cls: type) -> list[type]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in subclasses(child))]

    ours = ("mutualaid.", "enrollment.", "claims.", "finance.", "reporting.")
    found = {f for f in subclasses(forms.BaseForm) if f.__module__.startswith(ours) and f is not StrictNumbers}
    numbered = [f for f in found if any(isinstance(x, forms.IntegerField) for x in f.base_fields.values())]
    assert len(numbered) >= 5, numbered
    assert not [f.__qualname__ for f in numbered if not issubclass(f, StrictNumbers)]


def test_a_login_with_hostile_text_is_refused_without_a_server_error(walk_tree: Tree, db: None) -> None:
    client = Client(raise_request_exception=False)
    with ServerErrors() as errors:
        for value in HOSTILE:
            errors.check(client.post("/accounts/login/", {"username": value, "password": value}), f"login {value!r}")
    assert not errors, "\n".join(errors)


# --- The API's bodies --------------------------------------------------------------------------


def _claim_body(tree: Tree) -> dict[str, Any]:
    return {
        "enrollment": tree.b.enrollment.pk,
        "care_type": "inpatient",
        "admitted_on": "2026-03-02",
        "discharged_on": "2026-03-05",
        "hospital": "医院",
        "diagnosis": "诊断",
        "total_cost": "100.00",
        "insurance_paid": "0",
        "deductible_part": "0",
        "self_paid": "100.00",
        "not_covered": "0",
        "invoices": ["INV-BAD"],
        "payee_name": "收款人",
        "bank_name": "银行",
        "account_number": "6222000011112222",
    }


API_HOSTILE: list[Any] = [
    *HOSTILE,
    2**63,
    -(2**63) - 1,
    10**50,
    1e308,
    -0.0,
    "x" * 10_000,  # past every column's length
    None,
    [],
    {},
    True,
]


# Fields of the API's bodies that hold text: any text is a name, but not NUL nor more than the column.
API_TEXT = {"hospital", "diagnosis", "payee_name", "bank_name", "account_number", "reason", "member_category"}
TOO_LONG = "x" * 10_000


# What a number field may take among API_HOSTILE: zero, however it is written.
def _zero(value: Any) -> bool:
    return type(value) in {str, float} and value in {"0", "-0", -0.0}


def test_every_field_of_the_apis_bodies_takes_every_hostile_value_with_a_400(walk_tree: Tree, db: None) -> None:
    """The claim registration and the review: each field in turn, the others valid. A number, an
    id, a date or a choice takes none of the hostile values but zero; a text field takes them as
    text, but neither NUL nor a string longer than its column."""
    client = _clients(walk_tree)["token"]
    claim = walk_tree.b.claim
    bodies = {
        "/api/v1/claims/": _claim_body(walk_tree),
        f"/api/v1/claims/{claim.pk}/review/": {"action": "pass", "version": claim.version, "reason": ""},
    }
    wrong = []
    with ServerErrors() as errors:
        for url, body in bodies.items():
            for name in body:
                for value in [*API_HOSTILE, {"a": [1]}, [["x"]]]:
                    response = client.post(url, {**body, name: value}, content_type="application/json")
                    where = f"POST {url} {name}={value!r}"[:200]
                    errors.check(response, where)
                    refused = value == TOO_LONG or value == "a\x00b" or not isinstance(value, (str, int, float))
                    if response.status_code < 400 and (refused or name not in API_TEXT) and not _zero(value):
                        wrong.append(f"{where}: {response.status_code}")
                    if (
                        name in API_TEXT
                        and isinstance(value, str)
                        and value in {TOO_LONG, "a\x00b"}
                        and response.status_code != 400
                    ):
                        wrong.append(f"{where}: {response.status_code}")
    assert not errors, "\n".join(errors)
    assert not wrong, "\n".join(wrong)


def test_an_account_number_in_full_width_or_other_digits_is_refused(walk_tree: Tree, db: None) -> None:
    """A bank reads only 0 to 9: "６２２２…" would be stored and sent as an account no bank has."""
    client = _clients(walk_tree)["token"]
    for account in ["６２２２０００００１１１１２２２２", "٦٢٢٢٠٠٠٠١١١١٢٢٢٢", "6222²00011112222"]:
        body = {**_claim_body(walk_tree), "account_number": account}
        response = client.post("/api/v1/claims/", body, content_type="application/json")
        assert response.status_code == 400 and "account_number" in response.json(), account


def test_ids_past_a_bigint_in_api_paths_are_not_found(walk_tree: Tree, db: None) -> None:
    client = _clients(walk_tree)["token"]
    for url in [f"/api/v1/claims/{2**63}/", f"/api/v1/orgs/{10**30}/"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/v1/claims/{2**64}/review/", {}, content_type="application/json").status_code == 404


def test_json_nested_a_thousand_levels_or_past_the_size_limit_is_refused_with_a_400(walk_tree: Tree, db: None) -> None:
    client = _clients(walk_tree)["token"]
    url = "/api/v1/claims/"
    for body in ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100_000]:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, response.status_code
        assert "嵌套" in response.json()["detail"]
    for body in ['{"total_cost": NaN}', '{"total_cost": Infinity}', '{"a": "' + "x" * (11 * 1024 * 1024) + '"}']:
        assert client.post(url, body, content_type="application/json").status_code == 400
    period = walk_tree.b.period.pk
    deep = '{"rules": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.put(f"/api/v1/claim-schedules/{period}/", deep, content_type="application/json")
    assert response.status_code == 400


def test_nul_in_a_posted_form_or_json_body_is_refused_with_a_chinese_400(walk_tree: Tree, db: None) -> None:
    clients = _clients(walk_tree)
    page = clients["session"].post("/enrollment/members/", {"q": "a\x00b"})
    assert page.status_code == 400 and "空字符" in page.content.decode()
    api = clients["token"].post(
        "/api/v1/claims/", json.dumps({**_claim_body(walk_tree), "hospital": "a\x00b"}), content_type="application/json"
    )
    assert api.status_code == 400 and "空字符" in api.json()["detail"]


@pytest.mark.parametrize("value", ["１２", "²", "10000-01", "1899-12"])
def test_a_bad_month_or_number_in_a_query_is_refused_with_a_chinese_message(
    walk_tree: Tree, db: None, value: str
) -> None:
    client = _clients(walk_tree)["token"]
    response = client.get("/api/v1/finance/entries/", {"month": value})
    assert response.status_code == 400
    assert any("\u4e00" <= char <= "\u9fff" for char in str(response.json()["month"]))


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"period": "²"}, "period"),
        ({"office": "١٢"}, "office"),
        ({"plan": "１"}, "plan"),
        ({"year": "10000"}, "year"),
        ({"year": "0"}, "year"),
        ({"month": "9999-13"}, "month"),
        ({"month": "2026-1"}, "month"),
    ],
)
def test_a_page_asked_for_a_malformed_id_year_or_month_answers_400_naming_the_key(
    walk_tree: Tree, db: None, query: dict[str, str], key: str
) -> None:
    """Pages, like the API, refuse a query value that cannot be what its key names, in Chinese and
    naming the key, instead of quietly showing their default (mutualaid/badinput.py)."""
    client = _clients(walk_tree)["session"]
    for path in ("/reporting/overview/", "/finance/"):
        response = client.get(path, query)
        text = response.content.decode()
        assert response.status_code == 400, (path, query)
        assert f"{key}=" in text and "数字" in text, text
    assert client.get("/reporting/overview/", {"month": "2026-10", "office": ""}).status_code == 200

"""The interactive API docs: /api/docs/ (Swagger UI from the product's own static files, under
the CSP), /api/ leading there, and a schema in which every endpoint says what it answers."""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree

FILE_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/csv",
}


def _schema(client: Client) -> dict[str, Any]:
    response = client.get(reverse("api_schema"))
    assert response.status_code == 200
    schema: dict[str, Any] = yaml.safe_load(response.content)
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _typed(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    """A schema that says what it holds: properties of an object, the items of an array, a type."""
    node = _resolve(schema, node)
    if "allOf" in node or "oneOf" in node or "anyOf" in node:
        parts = node.get("allOf") or node.get("oneOf") or node.get("anyOf")
        return all(_typed(schema, part) for part in parts)
    if node.get("type") == "array":
        return _typed(schema, node.get("items", {}))
    if node.get("type") == "object" or "properties" in node:
        return bool(node.get("properties")) or _typed_map(schema, node)
    return "type" in node or "enum" in node


def _typed_map(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    extra = node.get("additionalProperties")
    return isinstance(extra, dict) and bool(extra) and _typed(schema, extra)


def test_api_leads_to_the_docs_page(db: None) -> None:
    response = Client().get("/api/")
    assert response.status_code == 302
    assert response["Location"] == reverse("api_docs") == "/api/docs/"


def test_the_docs_page_serves_swagger_ui_from_our_own_static_files_within_the_csp(db: None) -> None:
    response = Client().get(reverse("api_docs"))
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    directives = {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in csp.split("; ")}
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"  # Swagger UI's icons, on this page only
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "<script>" not in html and "<style" not in html, "inline script or style is refused by the CSP"
    statics = [s for s in sources if s.startswith("/static/")]
    assert any("swagger-ui-bundle.js" in s for s in statics)
    for source in statics:
        assert finders.find(source.removeprefix("/static/").split("?")[0]), f"{source} is not one of our files"
    script = next(s for s in sources if "script" in s and not s.startswith("/static/"))
    js = Client().get(script)
    assert js.status_code == 200 and "javascript" in js["Content-Type"]
    assert reverse("api_schema") in js.content.decode()


def test_every_endpoint_answers_a_typed_success(tree: Tree) -> None:
    """No endpoint documents an untyped `{}` (or nothing) as its 2xx answer."""
    client = Client()
    client.force_login(tree.province_user)
    schema = _schema(client)
    untyped = []
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            successes = {code: r for code, r in operation.get("responses", {}).items() if code.startswith("2")}
            if not successes:
                untyped.append(f"{method.upper()} {route}: no 2xx response")
            for code, answer in successes.items():
                if code == "204":
                    continue
                content = answer.get("content", {})
                if not content:
                    untyped.append(f"{method.upper()} {route} {code}: no content")
                for kind, body in content.items():
                    if kind in FILE_TYPES:
                        continue
                    if not _typed(schema, body.get("schema", {})):
                        untyped.append(f"{method.upper()} {route} {code} {kind}: untyped {body.get('schema')}")
    assert not untyped, "\n".join(untyped)


def test_the_reporting_endpoints_document_their_figures_and_their_files(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.province_user)
    schema = _schema(client)
    overview = schema["paths"]["/api/v1/reporting/overview/"]["get"]["responses"]["200"]
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in overview["content"]
    assert "application/pdf" in overview["content"]
    assert "Content-Disposition" in overview["headers"]
    body = _resolve(schema, overview["content"]["application/json"]["schema"])
    row = _resolve(schema, body["properties"]["rows"]["items"])
    assert {"office_name", "plan_name", "premium_year", "loss_ratio"} <= set(row["properties"])
    rankings = schema["paths"]["/api/v1/reporting/rankings/"]["get"]["responses"]["200"]
    assert "Content-Disposition" in rankings["headers"]
    ranked = _resolve(schema, rankings["content"]["application/json"]["schema"])
    assert {"office", "plan", "year", "rows", "total"} <= set(ranked["properties"])


def test_the_docs_page_runs_in_the_browser_under_the_csp_with_no_request_outside(tree: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Swagger UI draws the API from /api/schema/; the page fixture fails on any request that
    leaves 127.0.0.1 and on anything the CSP refuses."""
    login(page, tree.a.office_user)
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page.base_url + "/api/")
        page.wait_for_selector("#swagger-ui .opblock-tag", timeout=30000)
        assert "/api/docs/" in page.url
        assert page.locator("[data-path='/api/v1/reporting/overview/']").count() >= 1
        screenshot(page, f"api-docs-{width}")


def test_a_month_or_year_not_begun_is_refused_in_chinese(tree: Tree) -> None:
    from mutualaid import dates

    client = Client()
    client.force_login(tree.a.office_user)
    today = dates.business_today()
    future = f"{today.year + 1}-01"
    overview = client.get(reverse("api_reporting_overview", kwargs={"version": "v1"}), {"month": future})
    assert overview.status_code == 400
    assert overview.json() == {"month": [f"{future} 尚未开始：请查询本月或之前的月份。"]}
    snapshots = client.get(reverse("api_reporting_snapshots", kwargs={"version": "v1"}), {"period": future})
    assert snapshots.status_code == 400 and "尚未开始" in snapshots.json()["period"][0]
    bad = client.get(reverse("api_reporting_overview", kwargs={"version": "v1"}), {"month": "2026-13"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.json()["month"][0] and "请按" in bad.json()["month"][0]
    this_month = client.get(reverse("api_reporting_overview", kwargs={"version": "v1"}), {"month": f"{today:%Y-%m}"})
    assert this_month.status_code == 200

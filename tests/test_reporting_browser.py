"""The leader's first of the month, in a real browser: the dashboard and the monthly overview show
what the database holds, and the overview comes down as xlsx and PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from mutualaid import numbers
from mutualaid.tenancy import org_scope
from reporting import services
from tests import claimkit, finkit
from tests.browser import login, page, screenshot  # noqa: F401 - the fixture
from tests.conftest import Tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_reads_the_dashboard_and_the_overview_and_downloads_them(claims_ready: Tree, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree = claims_ready
    people = tree.a.reviewers
    claim = claimkit.approve(people, claimkit.register(tree.a.unit_agent, tree.a.enrollment))
    claimkit.pay(people, [claim])
    finkit.enrolled_last_month(tree.a)
    month = f"{finkit.last_month():%Y-%m}"
    month_read = numbers.month_text(finkit.last_month())  # as the files' titles write it: 2026年11月
    with org_scope(tree.a.city):
        snapshot, _created = services.snapshot_rollup(office=tree.a.city, period=finkit.last_month())
    (row,) = snapshot.figures["rows"]

    login(page, people.leader)
    page.click('nav >> text="领导驾驶舱"')
    page.wait_for_selector("canvas")  # ECharts drew from our own static files
    body = page.content()
    assert "http://" not in page.locator("script[src*=echarts]").get_attribute("src")
    assert tree.a.county.name in body
    screenshot(page, "60-dashboard")

    page.click('nav >> text="参保理赔一览表"')
    page.fill("form.filters input[name=month]", month)
    page.click("form.filters >> text=查询")
    table = page.locator("[data-testid=overview]").inner_text()
    assert tree.a.county.name in table and str(row["people_all"]) in table and row["premium_year"] in table
    assert "第 1 版" in page.locator("[data-testid=overview-source]").inner_text()
    screenshot(page, "61-overview")

    with page.expect_download() as xlsx:
        page.click("[data-testid=overview-xlsx]")
    sheet = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes())).active
    assert tree.a.city.name in sheet["A1"].value and month_read in sheet["A1"].value
    with page.expect_download() as pdf:
        page.click("[data-testid=overview-pdf]")
    text = "".join(p.extract_text() for p in PdfReader(Path(pdf.value.path())).pages)
    assert tree.a.city.name in text.replace("\n", "") and month_read in text.replace("\n", "") and "合计" in text

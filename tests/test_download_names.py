"""Every file the product hands out is named in Chinese first (保障卡-P001.pdf, not
P001-member cards.pdf), and its Content-Disposition carries that name in UTF-8 (RFC 6266
filename*=UTF-8''…) with a plain-ASCII fallback beside it.

The walk is the export walk of tests/test_export_formulas.py (which knows every route that hands
out a workbook, and fails when a new one is not listed), plus the PDFs of the same documents."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from django.test import Client
from django.urls import reverse

from mutualaid.downloads import content_disposition, file_name
from tests.test_export_formulas import EXPORTS, Fetch, Fixture, _clients
from tests.test_export_formulas import hostile_tree as hostile_tree  # the module-scoped fixture

FILENAME_STAR = re.compile(r"filename\*=UTF-8''([^;]+)")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _pdfs(fx: Fixture) -> list[Fetch]:
    """The PDFs that the workbook walk does not fetch as files."""
    c = fx.city
    office = f"?office={c.city.pk}"
    return [
        Fetch(reverse("finance:statement_pdf") + office, ()),
        Fetch(reverse("reporting:overview_pdf") + office, ()),
        Fetch(reverse("reporting:rankings_pdf") + f"{office}&plan={c.plan.pk}", ()),
        Fetch(reverse("enrollment:card_job", kwargs={"job_pk": c.card_job.pk}) + "?download=1", ()),
        Fetch(reverse("api_reporting_overview", kwargs={"version": "v1"}) + f"{office}&export=pdf", ()),
        Fetch(
            reverse("api_reporting_rankings", kwargs={"version": "v1"}) + f"{office}&plan={c.plan.pk}&export=pdf", ()
        ),
    ]


def _name(response: Any) -> tuple[str, str]:
    disposition = response.get("Content-Disposition", "")
    found = FILENAME_STAR.search(disposition)
    return disposition, unquote(found.group(1)) if found else ""


def test_every_download_is_named_in_chinese_first_with_a_utf8_file_name(hostile_tree: Fixture, db: None) -> None:
    fx = hostile_tree
    office, unit, api = _clients(fx)
    fetches = [(name, fetch) for name, make in EXPORTS.items() for fetch in make(fx)]
    fetches += [("pdf", fetch) for fetch in _pdfs(fx)]
    failures: list[str] = []
    seen = 0
    for route, fetch in fetches:
        client: Client = api if fetch.url.startswith("/api/") else unit if fetch.as_unit else office
        response = client.get(fetch.url)
        if response.status_code != 200:
            failures.append(f"{route}: {fetch.url} answered {response.status_code}")
            continue
        disposition, name = _name(response)
        if not disposition.startswith("attachment;"):
            failures.append(f"{route}: {fetch.url} is no attachment: {disposition!r}")
            continue
        seen += 1
        if not name:
            failures.append(f"{route}: {fetch.url} has no filename*=UTF-8'': {disposition!r}")
        elif not CJK.match(name):
            failures.append(f"{route}: {fetch.url} is named {name!r}, not in Chinese first")
        elif re.search(r"[A-Za-z]", name.rsplit(".", 1)[0].split("-", 1)[0]):
            failures.append(f"{route}: {fetch.url} is named {name!r}: its title is not all Chinese")
        if 'filename="' not in disposition:
            failures.append(f"{route}: {fetch.url} has no ASCII fallback name: {disposition!r}")
    assert not failures, "\n".join(failures)
    assert seen >= len(EXPORTS) + len(_pdfs(fx))


def test_a_file_name_is_its_title_first_and_keeps_no_character_a_file_system_refuses() -> None:
    assert file_name("保障卡", "P001", suffix="pdf") == "保障卡-P001.pdf"
    assert file_name("财务报表", 'A/B:"C"', "2026-11", suffix="xlsx") == "财务报表-A_B_C_-2026-11.xlsx"
    assert file_name("参保人员名单模板", "", suffix="xlsx") == "参保人员名单模板.xlsx"


def test_a_name_without_a_suffix_still_has_an_ascii_fallback() -> None:
    assert content_disposition("校验结果-名单").startswith('attachment; filename="download"; ')


def test_the_header_carries_the_utf8_name_and_an_ascii_fallback() -> None:
    header = content_disposition("参保理赔一览表-甲市-2026-11.xlsx")
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E5%8F%82" in header
    assert unquote(FILENAME_STAR.search(header).group(1)) == "参保理赔一览表-甲市-2026-11.xlsx"  # type: ignore[union-attr]
    assert all(ord(ch) < 128 for ch in header)
    assert content_disposition("扫描件.pdf", inline=True).startswith("inline; ")

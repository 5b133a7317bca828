"""The blocks to sign at a printed form's foot never stand alone on a page: whatever the number of
rows, the page that holds them holds the table's last row too (mutualaid/pdf/signatures.css).

Each document is printed with one row more at a time, from the last count that fits on one page
through the counts at which the signatures alone would have gone over to the next page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

LAST = "LASTROW"  # the text of the table's last row before its total
SIGNED = "____"  # the date line under each block to sign


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _rankings(rows: int) -> bytes:
    from reporting.exports import _pdf

    body = [(i + 1, f"ROW{i:03d}", ["1,000.00"] * 8) for i in range(rows - 1)]
    body.append((rows, LAST, ["1,000.00"] * 8))
    context = {
        "title": "Rankings",
        "subtitle": "",
        "printed": date(2026, 12, 6),
        "headers": [f"H{i}" for i in range(8)],
        "rows": body,
        "total": ["8,000.00"] * 8,
    }
    return _pdf("reporting/pdf/rankings.html", context)


def _claim(number: str) -> SimpleNamespace:
    return SimpleNamespace(
        number=number,
        name="M",
        id_masked="6101**********0011",
        org=SimpleNamespace(name="U"),
        get_care_type_display="inpatient",
        account_masked="6222****0001",
        payout=Decimal("100.00"),
    )


def _payment_approval(rows: int) -> bytes:
    from weasyprint import HTML

    batch = SimpleNamespace(number="B1", total=Decimal("100.00") * rows)
    payment = SimpleNamespace(
        number="P1",
        get_status_display="approved",
        payee="Payee",
        amount=batch.total,
        purpose="claims",
        get_kind_display="claims",
        claims_batch=batch,
        plan=SimpleNamespace(name="Plan"),
        prepared_by="clerk",
        prepared_at=datetime(2026, 12, 6, 9, tzinfo=UTC),
        paid_on=None,
        overdraw_reason="",
    )
    claims = [_claim(f"C{i:03d}") for i in range(rows - 1)] + [_claim(LAST)]
    context = {
        "office": "Office",
        "printed": date(2026, 12, 6),
        "payment": payment,
        "decision": {"required": False, "threshold": Decimal("50000")},
        "approvals": [],
        "claims": claims,
        "signatures": [("Prepared by:", ""), ("Approved by:", ""), ("In charge:", "")],
    }
    html = render_to_string("finance/pdf/payment_approval.html", context)
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


@pytest.mark.parametrize("document", [_rankings, _payment_approval], ids=["report", "payment approval form"])
def test_the_signatures_share_their_page_with_the_last_row(document: Callable[[int], bytes]) -> None:
    with translation.override("zh-hans"):
        rows = 5
        while len(_pages(document(rows))) == 1:  # the most rows that fit on one page, and one
            rows += 1
            assert rows < 120
        checked: list[Any] = []
        for count in range(rows - 1, rows + 6):
            pages = _pages(document(count))
            signed = [i for i, text in enumerate(pages) if SIGNED in text]
            assert signed, count
            page = pages[signed[0]]
            assert LAST in page, f"{count} rows: the signatures on page {signed[0] + 1} without the last row"
            checked.append((count, len(pages), signed[0]))
        # The walk went over a page's end: the signatures on the second page at least once.
        assert any(page == 1 for _count, _pages_count, page in checked), checked

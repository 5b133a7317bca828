"""The simulator's projection of the fund read against the office's band of reasonable surplus
(合理结余, its finance settings): each projected year within, above or below the band, on the
proposal's page, the comparison page, its workbook and the PDF for the meeting."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from finance.models import Account, FinanceSettings
from finance.selectors.solvency import Band
from finance.services.ledger import balance_get
from mutualaid.tenancy import unscoped
from reporting.simulations import projection_judge
from tests.conftest import Tree
from tests.test_claims_paperwork import pdf_text
from tests.test_simulation import _proposal, _simulate, banded  # noqa: F401 # the fixture

# 3 to 12 months of payouts, a loss ratio of 50 % to 90 %.
BAND = Band(Decimal("3"), Decimal("12"), Decimal("0.5"), Decimal("0.9"), Decimal("0.1"))


def _row(year: int, premium: str, paid: str, fund_end: str) -> dict[str, Any]:
    return {"rules": "proposed", "year": year, "premium": premium, "paid": paid, "fund_end": fund_end}


def test_each_projected_year_is_read_against_the_band_by_hand() -> None:
    projection = {
        "rows": [
            # 600 × 12 / 900 = 8.0 months, 900 / 1,200 = 75 %: within.
            _row(1, "1200.00", "900.00", "600.00"),
            # 2,700 × 12 / 900 = 36.0 months, more than 12: above.
            _row(2, "1200.00", "900.00", "2700.00"),
            # 200 × 12 / 1,100 = 2.2 months, fewer than 3; 1,100 / 1,000 = 110 %, above 90 %: below.
            _row(3, "1000.00", "1100.00", "200.00"),
            # Overdrawn by 100 yuan: below, and no month of payouts covered.
            _row(1, "1000.00", "800.00", "-100.00"),
            # 500 / 1,000 = 50 %, the band's edge: within; 1,000 × 12 / 500 = 24 months: above.
            _row(2, "1000.00", "500.00", "1000.00"),
        ]
    }
    band = projection_judge(projection, BAND)
    assert band == {"months_min": "3", "months_max": "12", "loss_min": "0.5", "loss_max": "0.9"}
    rows = projection["rows"]
    assert [(r["months_covered"], r["loss_ratio"], r["band"]) for r in rows] == [
        ("8.0", "0.7500", "within"),
        ("36.0", "0.7500", "above"),
        ("2.2", "1.1000", "below"),
        ("0.0", "0.8000", "below"),
        ("24.0", "0.5000", "above"),
    ]
    assert rows[0]["band_problems"] == []
    fewer, higher = rows[2]["band_problems"]
    assert "2.2" in fewer and "3" in fewer and "110" in higher and "90" in higher
    assert "100.00" in rows[3]["band_problems"][0]


def test_the_projection_reads_the_office_s_configured_band(banded: Tree) -> None:  # noqa: F811
    """City A's band set to 1 to 2 months and a loss ratio of 10 % to 95 %: the proposal pays
    9,000 yuan a year (tests/test_simulation.py) on the plan's premium; each year's fund read
    against it as the office's solvency page would."""
    with unscoped():
        FinanceSettings.objects.update_or_create(
            org=banded.a.city,
            defaults={
                "surplus_months_min": Decimal("1"),
                "surplus_months_max": Decimal("2"),
                "loss_ratio_min": Decimal("0.1"),
                "loss_ratio_max": Decimal("0.95"),
            },
        )
        opening = balance_get(office=banded.a.city, plan=banded.a.plan, account=Account.BANK)
    run = _simulate(banded, _proposal(banded))
    assert run.results["solvency_band"] == {
        "months_min": "1.0",
        "months_max": "2.0",
        "loss_min": "0.1000",
        "loss_max": "0.9500",
    }
    proposed = [row for row in run.results["projection"]["rows"] if row["rules"] == "proposed"]
    premium = Decimal(proposed[0]["premium"])
    assert Decimal(proposed[0]["paid"]) == Decimal("9000.00")
    for row in proposed:
        fund = opening + (premium - Decimal("9000.00")) * row["year"]
        assert Decimal(row["fund_end"]) == fund
        months = (max(fund, Decimal(0)) * 12 / Decimal("9000")).quantize(Decimal("0.1"))
        loss = (Decimal("9000") / premium).quantize(Decimal("0.0001"))
        assert (row["months_covered"], row["loss_ratio"]) == (str(months), str(loss))
        below = fund < 0 or months < 1 or loss > Decimal("0.95")
        above = not below and (months > 2 or loss < Decimal("0.1"))
        assert row["band"] == ("below" if below else "above" if above else "within")

    # Shown on the proposal's page, the comparison, its workbook and the PDF.
    client = Client()
    client.force_login(banded.a.office_user)
    label = {"below": "低于合理区间", "above": "高于合理区间", "within": "在合理区间内"}[proposed[0]["band"]]
    page = client.get(reverse("reporting:proposal", kwargs={"proposal_pk": run.proposal_id})).content.decode()
    assert 'data-testid="projection-band"' in page and label in page and "可支付 1.0 至 2.0 个月赔付" in page
    url = reverse("reporting:proposal_compare") + f"?p={run.proposal_id}"
    compare = client.get(url).content.decode()
    assert 'data-key="band_1"' in compare and label in compare
    sheet = load_workbook(io.BytesIO(client.get(url + "&export=xlsx").content)).active
    found = {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(4, sheet.max_row + 1)}
    year_one = next(value for key, value in found.items() if key and key.startswith("第1年"))
    assert year_one.startswith(label)
    text = pdf_text(client.get(url + "&export=pdf").content)
    assert label in text and "合理结余" in text


def test_the_fund_chart_draws_each_year_s_band_in_yuan_by_hand() -> None:
    from reporting.proposal_exports import fund_band

    rows = [_row(1, "1200.00", "900.00", "600.00"), _row(2, "1000.00", "1100.00", "200.00")]
    rows.append({**_row(1, "1200.00", "800.00", "0"), "rules": "now"})  # the current rules: not drawn
    results = {"projection": {"rows": rows}, "solvency_band": projection_judge({"rows": rows[:2]}, BAND)}
    # 900 / 12 = 75 a month: 3 to 12 months is 225 to 900 yuan; 1,100 / 12 × 3 = 275, × 12 = 1,100.
    assert fund_band(results) == [[225.0, 900.0], [275.0, 1100.0]]
    # A run from before the band was kept draws none.
    assert fund_band({"projection": {"rows": rows}}) == [None, None]

"""Up to three proposals side by side: the figures the comparison page, its workbook and the PDF
for the meeting that decides (集体研究) all show, from each proposal's latest finished simulation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from finance.rules import CENT
from finance.selectors.solvency import ABOVE, BELOW, WITHIN
from mutualaid import numbers
from mutualaid.downloads import file_name
from mutualaid.spreadsheets import write
from mutualaid.spreadsheets.write import COUNT, MONEY, PERCENT
from reporting.exports import PDF, XLSX, Document, _pdf
from reporting.models import Proposal, SimulationRun
from reporting.simulations import latest_result

# The most years a simulation projects (reporting/proposal_apis.py), and the compared rows of
# where the fund stands against its band, written as text.
PROJECTION_YEARS = 3
BAND = "band"
BAND_LABELS = {
    WITHIN: gettext_lazy("within the band"),
    ABOVE: gettext_lazy("above the band"),
    BELOW: gettext_lazy("below the band"),
}


@dataclass(frozen=True)
class Compared:
    proposal: Proposal
    run: SimulationRun | None


def compared(proposals: list[Proposal]) -> list[Compared]:
    return [Compared(p, latest_result(proposal=p)) for p in proposals]


def rows() -> list[tuple[str, str, str]]:
    """(key, label, format) of each compared figure, from a run's `total` (or its projection)."""
    return [
        ("premium_per_share", _("Premium per share"), MONEY),
        ("paid_now", _("Paid under the current rules"), MONEY),
        ("paid_proposed", _("Paid under the proposal"), MONEY),
        ("difference", _("Difference"), MONEY),
        ("claims", _("Claims re-run"), COUNT),
        ("claims_changed", _("Claims changed"), COUNT),
        ("members_affected", _("Members affected"), COUNT),
        ("premium_now", _("Premium income now"), MONEY),
        ("premium_proposed", _("Premium income under the proposal"), MONEY),
        ("loss_ratio_now", _("Loss ratio now"), PERCENT),
        ("loss_ratio_proposed", _("Loss ratio under the proposal"), PERCENT),
        ("breakeven", _("Break-even premium per share"), MONEY),
        ("fund_end", _("Fund at the end of the projection"), MONEY),
        *[
            (f"band_{year}", _("Year %(number)s: the fund against its band (proposal)") % {"number": year}, BAND)
            for year in range(1, PROJECTION_YEARS + 1)
        ],
    ]


def band_of(item: Compared, key: str) -> str:
    """Where the proposal's projected fund stands against the office's band in a year: within,
    above or below, with why; "—" without a finished simulation, a run from before the band was
    read, or a projection shorter than that year."""
    year = int(key.removeprefix("band_"))
    rows = item.run.results["projection"]["rows"] if item.run else []
    found = next((row for row in rows if row["rules"] == "proposed" and row["year"] == year), None)
    if found is None or "band" not in found:
        return "—"
    label = str(BAND_LABELS[found["band"]])
    return f"{label}（{'；'.join(found['band_problems'])}）" if found["band_problems"] else label


def figure(item: Compared, key: str) -> Decimal | int | None:
    """One compared figure of a proposal (None: no finished simulation, or no base for it)."""
    if key == "premium_per_share":
        return item.proposal.premium_per_share
    if item.run is None:
        return None
    results = item.run.results
    if key == "breakeven":
        value = results["projection"]["breakeven_premium_per_share"]
    elif key == "fund_end":
        proposed = [row for row in results["projection"]["rows"] if row["rules"] == "proposed"]
        value = proposed[-1]["fund_end"] if proposed else None
    else:
        value = results["total"][key]
    if value is None:
        return None
    return value if isinstance(value, int) else Decimal(value)


def cell_text(item: Compared, key: str, number_format: str) -> str:
    if number_format == BAND:
        return band_of(item, key)
    return text(figure(item, key), number_format)


def text(value: Decimal | int | None, number_format: str) -> str:
    if value is None:
        return "—"
    if number_format == PERCENT:
        return numbers.percent_text(value)
    if number_format == COUNT:
        return numbers.count_text(value)
    return numbers.money_text(value)


def table(items: list[Compared]) -> list[dict[str, Any]]:
    """The comparison as rows of (label, one text per proposal)."""
    return [
        {"key": key, "label": label, "values": [cell_text(item, key, fmt) for item in items]}
        for key, label, fmt in rows()
    ]


def chart_data(items: list[Compared]) -> dict[str, Any]:
    """What the page's charts draw (numbers as plain floats for ECharts; the tables keep Decimals)."""

    def num(value: Any) -> float | None:
        return None if value is None else float(value)

    series = []
    for item in items:
        results = item.run.results if item.run else None
        series.append(
            {
                "name": item.proposal.name,
                "paid_now": num(figure(item, "paid_now")),
                "paid_proposed": num(figure(item, "paid_proposed")),
                "premium_proposed": num(figure(item, "premium_proposed")),
                "histogram": [b["claims"] for b in results["histogram"]] if results else [],
                "fund": [
                    num(row["fund_end"])
                    for row in (results["projection"]["rows"] if results else [])
                    if row["rules"] == "proposed"
                ],
                "band": fund_band(results) if results else [],
            }
        )
    first = next((item.run.results for item in items if item.run), None)
    bins = [_bin_label(b) for b in first["histogram"]] if first else []
    return {
        "series": series,
        "bins": bins,
        "labels": {
            "paid_now": _("Paid under the current rules"),
            "paid_proposed": _("Paid under the proposal"),
            "premium_proposed": _("Premium income under the proposal"),
            "claims": _("Claims"),
            "yuan": _("yuan"),
            "year": _("Year %(number)s"),
            "fund": _("Fund at the end of the year"),
            "band": _("Band of reasonable surplus"),
        },
    }


def fund_band(results: dict[str, Any]) -> list[list[float] | None]:
    """The office's band of reasonable surplus in yuan for each projected year of the proposal:
    from its fewest to its most months of payouts, a year's claims paid being twelve months (as
    `reporting.simulations.projection_judge` reads the fund against it). None for a year of a run
    from before the band was kept, so the chart draws no band rather than a wrong one."""
    band = results.get("solvency_band")
    rows = [row for row in results["projection"]["rows"] if row["rules"] == "proposed"]
    if not band:
        return [None for _row in rows]
    low, high = Decimal(band["months_min"]), Decimal(band["months_max"])
    found: list[list[float] | None] = []
    for row in rows:
        month = Decimal(row["paid"]) / 12
        found.append([float((month * low).quantize(CENT)), float((month * high).quantize(CENT))])
    return found


def _bin_label(entry: dict[str, Any]) -> str:
    low, high = entry["low"], entry["high"]
    if low == 0 and high == 0:
        return _("unchanged")
    if low is None:
        return _("%(high)s or less") % {"high": high}
    if high is None:
        return _("over %(low)s") % {"low": low}
    return f"{low} ~ {high}"


def _title(items: list[Compared]) -> str:
    plans = sorted({item.proposal.plan.name for item in items})
    return _("Proposals compared — %(plans)s") % {"plans": "、".join(plans)}


def compare_workbook(items: list[Compared]) -> bytes:
    """One sheet: a figure per row, a proposal per column; names written as text."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Proposals")[:31]
    write.cell(sheet, 1, 1, _title(items)).font = Font(bold=True, size=13)
    write.cell(sheet, 3, 1, _("Figure")).font = Font(bold=True)
    for column, item in enumerate(items, start=2):
        write.cell(sheet, 3, column, item.proposal.name).font = Font(bold=True)
        sheet.column_dimensions[chr(ord("A") + column - 1)].width = 20
    sheet.column_dimensions["A"].width = 30
    for row, (key, label, fmt) in enumerate(rows(), start=4):
        write.cell(sheet, row, 1, label)
        for column, item in enumerate(items, start=2):
            if fmt == BAND:
                write.cell(sheet, row, column, band_of(item, key))
                continue
            value = figure(item, key)
            if fmt == PERCENT and value is not None:
                value = Decimal(value)
            write.cell(sheet, row, column, value, fmt)
    return write.save(book)


def compare_pdf(items: list[Compared]) -> bytes:
    from django.utils import timezone

    return _pdf(
        "reporting/pdf/proposals.html",
        {
            "title": _title(items),
            "items": items,
            "table": table(items),
            "printed_at": timezone.localtime(),
        },
    )


def compare_document(items: list[Compared], *, pdf: bool) -> Document:
    parts = (_("Proposals compared"), *[item.proposal.name for item in items])
    if pdf:
        return Document(compare_pdf(items), file_name(*parts, suffix="pdf"), PDF)
    return Document(compare_workbook(items), file_name(*parts, suffix="xlsx"), XLSX)

"""The overview and the rankings as the documents offices hand to leaders, xlsx and PDF: the
office and period in the title, Chinese headers, one row per child office (and plan), totals.
The same documents are downloaded directly and prepared by the background exports. Office and
plan names go into the workbooks as text through `mutualaid.spreadsheets.write`, figures as
numbers in the product's formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from enrollment.models import Plan
from mutualaid import dates, numbers
from mutualaid.downloads import file_name
from mutualaid.models import Organisation
from mutualaid.paperwork import report_signatures
from mutualaid.spreadsheets import write
from mutualaid.spreadsheets.write import COUNT, MONEY, PERCENT
from reporting import rankings
from reporting.overview import overview

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FILL = PatternFill("solid", fgColor="FFDDEBF7")


def columns() -> list[tuple[str, str, str]]:
    """(key, header, format) of each figure column, shared by the page and the workbook."""
    return [
        ("people_all", _("Enrolled, all years"), COUNT),
        ("people_year", _("Enrolled this year"), COUNT),
        ("shares_all", _("Shares, all years"), COUNT),
        ("shares_year", _("Shares this year"), COUNT),
        ("premium_all", _("Premium, all years"), MONEY),
        ("premium_year", _("Premium this year"), MONEY),
        ("target_people", _("Target (people)"), COUNT),
        ("completion_people", _("Completion"), PERCENT),
        ("claims_all", _("Claims, all years"), COUNT),
        ("paid_all", _("Paid, all years"), MONEY),
        ("claims_year", _("Claims this year"), COUNT),
        ("paid_year", _("Paid this year"), MONEY),
        ("loss_ratio", _("Loss ratio"), PERCENT),
    ]


def _value(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if value is None:
        return None
    return Decimal(value) if isinstance(value, str) else value


def _remittance_label(row: dict[str, Any]) -> str:
    """The remittance's state as people read it (the figures keep its key)."""
    from finance.models import RemittanceStatus

    return str(dict(RemittanceStatus.choices).get(row.get("remittance") or "", ""))


def overview_title(figures: dict[str, Any]) -> str:
    """The overview's office and month, and the moment its figures run to when the month is not over."""
    title = _("Enrollment and claims overview — %(office)s, %(month)s") % {
        "office": figures["office"]["name"],
        "month": numbers.month_text(figures["month"]),
    }
    today = dates.business_today()
    if figures["month"] == f"{today:%Y-%m}":  # the running figures, to the moment they were read
        title += _(" (as of %(date)s)") % {"date": numbers.datetime_text(timezone.now())}
    return title


def overview_workbook(figures: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Overview")
    cols = columns()
    title = overview_title(figures)
    write.cell(sheet, 1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3 + len(cols))
    headers = [_("Office"), _("Plan"), _("Remittance"), *[header for _key, header, _fmt in cols]]
    for index, header in enumerate(headers, start=1):
        cell = write.cell(sheet, 3, index, header)
        cell.font, cell.fill, cell.border = Font(bold=True), _FILL, _BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
        sheet.column_dimensions[cell.column_letter].width = 22 if index <= 2 else 14
    row_number = 3
    for row in figures["rows"]:
        row_number += 1
        values = [row["office_name"], row["plan_name"], _remittance_label(row)]
        values += [_value(row, key) for key, _header, _fmt in cols]
        for index, value in enumerate(values, start=1):
            number_format = cols[index - 4][2] if index > 3 else None
            write.cell(sheet, row_number, index, value, number_format).border = _BORDER
    for total in figures["totals"]:
        row_number += 1
        values = [_("Total"), total["plan_name"], ""] + [_value(total, key) for key, _h, _f in cols]
        for index, value in enumerate(values, start=1):
            cell = write.cell(sheet, row_number, index, value, cols[index - 4][2] if index > 3 else None)
            cell.border, cell.font = _BORDER, Font(bold=True)
    sheet.freeze_panes = "D4"
    return write.save(book)


def display(value: Any, fmt: str) -> str:
    """A figure as printed in a PDF, by the column's spreadsheet format."""
    if fmt == PERCENT:
        return numbers.percent_text(value, blank="—")
    if fmt == MONEY:
        return numbers.money_text(value, blank="—")
    return numbers.count_text(value, blank="—")


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    """A report for the meeting, with the blocks to sign at its foot (填表人, 审核人, 负责人: blank
    lines, as a report may be prepared by a background job for nobody in particular)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    context = {**context, "signatures": report_signatures()}
    pdf: bytes = HTML(string=render_to_string(template, context), base_url=None).write_pdf()
    return pdf


def callback_rows(figures: dict[str, Any]) -> list[tuple[str, int, int]]:
    """The phone callbacks of the claims paid, by outcome: (label, in the month, in the year);
    nothing for a snapshot frozen before callbacks were counted."""
    from claims.models import CallbackOutcome

    found = figures.get("callbacks")
    if not found:
        return []
    labels = [*CallbackOutcome.choices, ("none", _("Not called yet"))]
    return [(str(label), found["month"].get(key, 0), found["year"].get(key, 0)) for key, label in labels]


def overview_pdf(figures: dict[str, Any]) -> bytes:
    """The overview on A4 landscape, in Chinese: the office and month in the title, the columns
    of the workbook, a totals row per plan."""
    from django.utils import timezone

    cols = columns()
    rows = [
        (
            row["office_name"],
            row["plan_name"],
            [display(row.get(key), fmt) for key, _header, fmt in cols],
            _remittance_label(row),
        )
        for row in figures["rows"]
    ]
    totals = [
        (total["plan_name"], [display(total.get(key), fmt) for key, _h, fmt in cols]) for total in figures["totals"]
    ]
    title = overview_title(figures)
    return _pdf(
        "reporting/pdf/overview.html",
        {
            "title": title,
            "headers": [header for _key, header, _fmt in cols],
            "rows": rows,
            "totals": totals,
            "callbacks": callback_rows(figures),
            "printed": timezone.localdate(),
        },
    )


def ranking_columns() -> list[tuple[str, str, str]]:
    """(key, header, format) of each figure of the rankings, shared by the page and the exports."""
    return [
        ("people_year", _("Enrolled this year"), COUNT),
        ("target_people", _("Target (people)"), COUNT),
        ("completion_people", _("Completion (people)"), PERCENT),
        ("premium_year", _("Premium this year"), MONEY),
        ("target_premium", _("Target (premium)"), MONEY),
        ("completion_premium", _("Completion (premium)"), PERCENT),
        ("headcount", _("Union members"), COUNT),
        ("coverage", _("Coverage rate"), PERCENT),
        ("target_coverage", _("Target coverage rate"), PERCENT),
        ("people_last_year", _("Enrolled last year, same months"), COUNT),
        ("growth", _("Growth on last year"), PERCENT),
        ("renewal", _("Renewal rate"), PERCENT),
        ("paid_year", _("Paid this year"), MONEY),
        ("loss_ratio", _("Loss ratio"), PERCENT),
    ]


def rankings_title(figures: dict[str, Any]) -> str:
    return _("Year-end rankings — %(office)s, %(plan)s, %(year)s") % {
        "office": figures["office"]["name"],
        "plan": figures["plan"]["name"],
        "year": figures["year"],
    }


def rankings_subtitle(figures: dict[str, Any]) -> str:
    return _("Figures to the end of %(month)s; ranked by %(sort)s.") % {
        "month": numbers.month_text(figures["through"]),
        "sort": _sort_label(figures["sort"]),
    }


def _sort_label(key: str) -> str:
    return str(rankings.SORTS.get(key, key))


def rankings_workbook(figures: dict[str, Any]) -> bytes:
    """The rankings for the year-end assessment: the office, plan and year in the title, a rank
    column, Chinese headers, and a totals row."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Rankings")
    cols = ranking_columns()
    write.cell(sheet, 1, 1, rankings_title(figures)).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2 + len(cols))
    write.cell(sheet, 2, 1, rankings_subtitle(figures))
    headers = [_("Rank"), _("Office"), *[header for _key, header, _fmt in cols]]
    for index, header in enumerate(headers, start=1):
        cell = write.cell(sheet, 3, index, header)
        cell.font, cell.fill, cell.border = Font(bold=True), _FILL, _BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
        sheet.column_dimensions[cell.column_letter].width = 8 if index == 1 else 24 if index == 2 else 14
    row_number = 3
    for row in [*figures["rows"], figures["total"]]:
        row_number += 1
        total = row is figures["total"]
        values = [row["rank"], _("Total") if total else row["office_name"]]
        values += [_value(row, key) for key, _header, _fmt in cols]
        for index, value in enumerate(values, start=1):
            number_format = cols[index - 3][2] if index > 2 else COUNT  # the rank is a count
            cell = write.cell(sheet, row_number, index, value, number_format)
            cell.border = _BORDER
            if total:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "C4"
    return write.save(book)


def rankings_pdf(figures: dict[str, Any]) -> bytes:
    """The same table on A4 landscape, in Chinese."""
    from django.utils import timezone

    cols = ranking_columns()
    return _pdf(
        "reporting/pdf/rankings.html",
        {
            "title": rankings_title(figures),
            "subtitle": rankings_subtitle(figures),
            "headers": [header for _key, header, _fmt in cols],
            "rows": [
                (row["rank"], row["office_name"], [display(row.get(key), fmt) for key, _h, fmt in cols])
                for row in figures["rows"]
            ],
            "total": [display(figures["total"].get(key), fmt) for key, _h, fmt in cols],
            "printed": timezone.localdate(),
        },
    )


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str
    content_type: str


# The documents, as downloaded and as the background exports prepare them --------------------------


def overview_document(*, node: Organisation, month: date, pdf: bool) -> Document:
    figures = overview(node=node, month=month)
    name = _("Enrollment and claims overview")
    if pdf:
        return Document(overview_pdf(figures), file_name(name, node.name, f"{month:%Y-%m}", suffix="pdf"), PDF)
    return Document(overview_workbook(figures), file_name(name, node.name, f"{month:%Y-%m}", suffix="xlsx"), XLSX)


def rankings_document(
    *, node: Organisation, plan: Plan, year: int, sort: str, pdf: bool, unit_type: str = ""
) -> Document:
    figures = rankings.rankings(node=node, plan=plan, year=year, sort=sort, unit_type=unit_type, wait_for_renewals=True)
    parts = (_("Rankings"), node.name, plan.name, *([figures["unit_type_label"]] if unit_type else []), year)
    if pdf:
        return Document(rankings_pdf(figures), file_name(*parts, suffix="pdf"), PDF)
    return Document(rankings_workbook(figures), file_name(*parts, suffix="xlsx"), XLSX)

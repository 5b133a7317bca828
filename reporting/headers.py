"""The wide reports' column headers on screen, in two rows: a group over the columns it spans
(参保人数 over 历年累计 and 本年) and a short label under it, so that at 1366 px no header wraps
to three or four lines. Each cell keeps the column's full name (the workbook's and the PDF's
header) in its title. A column outside any group spans both rows under its full name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class HeaderCell:
    label: str
    title: str
    span: int = 1  # columns under a group
    grouped: bool = False  # a group's cell (top row) or a column under one (bottom row)


# key: (group, short label). Neighbouring columns of one group share its cell.
OVERVIEW = {
    "people_all": (
        pgettext_lazy("report column group", "Enrolled people"),
        pgettext_lazy("report column", "All years"),
    ),
    "people_year": (
        pgettext_lazy("report column group", "Enrolled people"),
        pgettext_lazy("report column", "This year"),
    ),
    "shares_all": (pgettext_lazy("report column group", "Shares"), pgettext_lazy("report column", "All years")),
    "shares_year": (pgettext_lazy("report column group", "Shares"), pgettext_lazy("report column", "This year")),
    "premium_all": (pgettext_lazy("report column group", "Premium"), pgettext_lazy("report column", "All years")),
    "premium_year": (pgettext_lazy("report column group", "Premium"), pgettext_lazy("report column", "This year")),
    "target_people": (
        pgettext_lazy("report column group", "Target for the year"),
        pgettext_lazy("report column", "People"),
    ),
    "completion_people": (
        pgettext_lazy("report column group", "Target for the year"),
        pgettext_lazy("report column", "Completion"),
    ),
    "claims_all": (pgettext_lazy("report column group", "Claims, all years"), pgettext_lazy("report column", "Count")),
    "paid_all": (pgettext_lazy("report column group", "Claims, all years"), pgettext_lazy("report column", "Paid")),
    "claims_year": (pgettext_lazy("report column group", "Claims this year"), pgettext_lazy("report column", "Count")),
    "paid_year": (pgettext_lazy("report column group", "Claims this year"), pgettext_lazy("report column", "Paid")),
}
RANKINGS = {
    "people_year": (
        pgettext_lazy("report column group", "Enrolled people"),
        pgettext_lazy("report column", "This year"),
    ),
    "target_people": (
        pgettext_lazy("report column group", "Enrolled people"),
        pgettext_lazy("report column", "Target"),
    ),
    "completion_people": (
        pgettext_lazy("report column group", "Enrolled people"),
        pgettext_lazy("report column", "Completion"),
    ),
    "premium_year": (pgettext_lazy("report column group", "Premium"), pgettext_lazy("report column", "This year")),
    "target_premium": (pgettext_lazy("report column group", "Premium"), pgettext_lazy("report column", "Target")),
    "completion_premium": (
        pgettext_lazy("report column group", "Premium"),
        pgettext_lazy("report column", "Completion"),
    ),
    "headcount": (
        pgettext_lazy("report column group", "Union members covered"),
        pgettext_lazy("report column", "Members"),
    ),
    "coverage": (
        pgettext_lazy("report column group", "Union members covered"),
        pgettext_lazy("report column", "Coverage"),
    ),
    "target_coverage": (
        pgettext_lazy("report column group", "Union members covered"),
        pgettext_lazy("report column", "Target"),
    ),
    "people_last_year": (
        pgettext_lazy("report column group", "On last year"),
        pgettext_lazy("report column", "Same months"),
    ),
    "growth": (pgettext_lazy("report column group", "On last year"), pgettext_lazy("report column", "Growth")),
}


def header_rows(
    columns: list[tuple[str, str, str]], groups: Mapping[str, tuple[Promise, Promise]]
) -> tuple[list[HeaderCell], list[HeaderCell]]:
    """The top row (groups, and the columns outside any, spanning both rows) and the bottom row
    (the short labels of the grouped columns) for `columns` as (key, full header, format)."""
    top: list[HeaderCell] = []
    bottom: list[HeaderCell] = []
    previous = None
    for key, header, _fmt in columns:
        if key not in groups:
            top.append(HeaderCell(label=str(header), title=str(header)))
            previous = None
            continue
        group, short = (str(text) for text in groups[key])
        if previous == group:
            last = top[-1]
            top[-1] = HeaderCell(label=last.label, title=last.title, span=last.span + 1, grouped=True)
        else:
            top.append(HeaderCell(label=group, title=group, grouped=True))
        bottom.append(HeaderCell(label=short, title=str(header), grouped=True))
        previous = group
    return top, bottom

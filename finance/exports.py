"""The monthly statement of an office's books (科目余额表 and the month's entries), as an xlsx
workbook and as a PDF, with the same figures as the statement page.

The balances are laid out as accountants print them: the opening balance, the month's debits
and credits and the closing balance, each balance in the debit or the credit column by the side
it stands on. So every column can be totalled, and the totals show at a glance that the books
balance (opening debits equal opening credits, and so on). Every line of the entries carries its
entry's number, so each figure of the month can be traced to the entry it comes from. Memos,
references and names go in as text through `mutualaid.spreadsheets.write`, never as formulas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from enrollment.models import Plan
from finance.models import DEBIT_NORMAL, Account, JournalEntry
from finance.rules import ZERO
from finance.selectors.books import account_balance_list, entry_list
from finance.selectors.flows import DIRECTIONS, flow_kind_totals
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.numbers import month_text
from mutualaid.paperwork import report_signatures
from mutualaid.spreadsheets import write
from mutualaid.spreadsheets.write import DATE, MONEY, TEXT

_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")
_LABELS = dict(Account.choices)


def account_name(account: str) -> str:
    """The account's name without its code (the code has a column of its own)."""
    return str(_LABELS.get(account, account)).removeprefix(f"{account} ").strip()


@dataclass(frozen=True)
class BalanceRow:
    """One account of the 科目余额表: each balance on the side it stands on."""

    account: str
    name: str
    opening_debit: Decimal
    opening_credit: Decimal
    debit: Decimal
    credit: Decimal
    closing_debit: Decimal
    closing_credit: Decimal

    @property
    def figures(self) -> tuple[Decimal, ...]:
        return (
            self.opening_debit,
            self.opening_credit,
            self.debit,
            self.credit,
            self.closing_debit,
            self.closing_credit,
        )


def _sides(account: str, balance: Decimal) -> tuple[Decimal, Decimal]:
    """A normal-side balance as (debit, credit): a debit-normal account in credit goes right."""
    on_debit = balance if account in DEBIT_NORMAL else -balance
    return (on_debit, ZERO) if on_debit >= 0 else (ZERO, -on_debit)


@dataclass(frozen=True)
class LineRow:
    """One line of an entry, with its entry's number, date and memo."""

    number: str
    posted_on: date
    plan: str
    kind: str
    memo: str
    account: str
    name: str
    debit: Decimal
    credit: Decimal
    bank_reference: str
    reverses: str
    entry_pk: int


@dataclass(frozen=True)
class Statement:
    office: Organisation
    plan: Plan | None
    month: date
    balances: list[BalanceRow]
    lines: list[LineRow]
    entry_count: int
    printed: date = field(default_factory=timezone.localdate)
    # Each kind of payment and income of the month (finance/selectors/flows.py), as the books hold it.
    kinds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def plan_label(self) -> str:
        return self.plan.name if self.plan is not None else _("All plans")

    @property
    def month_label(self) -> str:
        """As a person reads it in the page's, the PDF's and the workbook's title: 2026年11月."""
        return month_text(self.month)

    @property
    def balance_totals(self) -> tuple[Decimal, ...]:
        figures = [row.figures for row in self.balances]
        return tuple(sum((row[column] for row in figures), ZERO) for column in range(6))

    @property
    def line_totals(self) -> tuple[Decimal, Decimal]:
        return sum((r.debit for r in self.lines), ZERO), sum((r.credit for r in self.lines), ZERO)


def statement_for(*, office: Organisation, plan: Plan | None, month: date) -> Statement:
    """The statement of an office (one of the caller's tree) for a plan, or all, and a month."""
    balances = []
    for row in account_balance_list(office=office, plan=plan, month=month):
        opening = _sides(row.account, row.opening)
        closing = _sides(row.account, row.closing)
        balances.append(
            BalanceRow(
                account=row.account,
                name=account_name(row.account),
                opening_debit=opening[0],
                opening_credit=opening[1],
                debit=row.debit,
                credit=row.credit,
                closing_debit=closing[0],
                closing_credit=closing[1],
            )
        )
    entries = list(entry_list(office=office, plan=plan, month=month))
    last = dates.add_months(month, 1) - timedelta(days=1)
    kinds = flow_kind_totals(office=office, starts_on=month, ends_on=last, plan_id=plan.pk if plan else None)
    return Statement(
        office=office,
        plan=plan,
        month=month,
        balances=balances,
        lines=_lines(entries),
        entry_count=len(entries),
        kinds=kinds,
    )


def _lines(entries: Iterable[JournalEntry]) -> list[LineRow]:
    rows = []
    for entry in entries:
        kind = entry.get_kind_display()
        reverses = entry.reverses.number if entry.reverses is not None else ""
        # Debits first, then credits, as an entry is written.
        for line in sorted(entry.lines.all(), key=lambda line: (line.debit == 0, line.pk)):
            rows.append(
                LineRow(
                    number=entry.number,
                    posted_on=entry.posted_on,
                    plan=entry.plan.name,
                    kind=kind,
                    memo=entry.memo,
                    account=line.account,
                    name=account_name(line.account),
                    debit=line.debit,
                    credit=line.credit,
                    bank_reference=entry.bank_reference,
                    reverses=reverses,
                    entry_pk=entry.pk,
                )
            )
    return rows


def balance_headers() -> tuple[str, ...]:
    return (
        _("Account code"),
        _("Account"),
        _("Opening debit"),
        _("Opening credit"),
        _("Debits of the month"),
        _("Credits of the month"),
        _("Closing debit"),
        _("Closing credit"),
    )


def line_headers() -> tuple[str, ...]:
    return (
        _("Entry number"),
        _("Date"),
        _("Plan"),
        _("Kind"),
        _("Memo"),
        _("Account code"),
        _("Account"),
        _("Debit"),
        _("Credit"),
        _("Bank reference"),
        _("Reverses entry"),
    )


def _title(statement: Statement, what: str) -> str:
    return _("%(what)s — %(office)s · %(plan)s · %(month)s") % {
        "what": what,
        "office": statement.office.name,
        "plan": statement.plan_label,
        "month": statement.month_label,
    }


def _sheet_head(sheet: Worksheet, title: str, subtitle: str, headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
    write.cell(sheet, 1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    write.cell(sheet, 2, 1, subtitle)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    for column, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = write.cell(sheet, 3, column, text)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A4"


def _put(sheet: Worksheet, row: int, values: tuple[object, ...], formats: tuple[str | None, ...]) -> None:
    for column, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
        write.cell(sheet, row, column, value, number_format).border = _BORDER


def _totals(sheet: Worksheet, row: int, label_columns: int, figures: tuple[Decimal, ...], width: int) -> None:
    write.cell(sheet, row, 1, _("Total")).font = Font(bold=True)
    if label_columns > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=label_columns)
    for offset, figure in enumerate(figures):
        write.cell(sheet, row, label_columns + 1 + offset, figure, MONEY).font = Font(bold=True)
    for column in range(1, width + 1):
        sheet.cell(row=row, column=column).border = _BORDER


def statement_workbook(statement: Statement) -> bytes:
    """Two sheets: the balances by account and the month's entry lines, each with its title row
    (office, plan, month), Chinese headers and a totals row; money as numbers."""
    book = Workbook()
    printed = _("Printed on %(date)s") % {"date": f"{statement.printed:%Y-%m-%d}"}

    sheet = book.active
    sheet.title = _("Account balances")
    headers = balance_headers()
    _sheet_head(sheet, _title(statement, _("Account balances")), printed, headers, (10, 26, 15, 15, 15, 15, 15, 15))
    row = 3
    text2: tuple[str | None, ...] = (TEXT, TEXT)
    for balance in statement.balances:
        row += 1
        _put(sheet, row, (balance.account, balance.name, *balance.figures), (*text2, *(MONEY,) * 6))
    _totals(sheet, row + 1, 2, statement.balance_totals, len(headers))

    sheet = book.create_sheet(_("Entries"))
    headers = line_headers()
    count = ngettext("%(count)s entry", "%(count)s entries", statement.entry_count) % {"count": statement.entry_count}
    _sheet_head(
        sheet,
        _title(statement, _("Entries")),
        f"{count} · {printed}",
        headers,
        (18, 11, 16, 16, 36, 10, 22, 14, 14, 18, 18),
    )
    formats = (TEXT, DATE, TEXT, TEXT, TEXT, TEXT, TEXT, MONEY, MONEY, TEXT, TEXT)
    row = 3
    for line in statement.lines:
        row += 1
        values = (
            line.number,
            line.posted_on,
            line.plan,
            line.kind,
            line.memo,
            line.account,
            line.name,
            line.debit if line.debit else None,
            line.credit if line.credit else None,
            line.bank_reference,
            line.reverses,
        )
        _put(sheet, row, values, formats)
    _totals(sheet, row + 1, 7, statement.line_totals, len(headers))
    _kinds_sheet(book, statement, printed)
    return write.save(book)


def _kinds_sheet(book: Workbook, statement: Statement, printed: str) -> None:
    sheet = book.create_sheet(_("Payments and income by kind"))
    headers = (_("Kind"), _("In or out"), _("Amount (yuan)"))
    _sheet_head(sheet, _title(statement, _("Payments and income by kind")), printed, headers, (36, 14, 16))
    directions = {code: str(label) for code, label in DIRECTIONS}
    row = 3
    for kind in statement.kinds:
        row += 1
        _put(sheet, row, (kind["label"], directions[kind["direction"]], kind["amount"]), (TEXT, TEXT, MONEY))


def statement_pdf(statement: Statement, *, filled_by: User | None = None) -> bytes:
    """A4 landscape, in Chinese, with the office and month in the title and page numbers, and the
    blocks to sign at its foot: filled in by whoever prints it, reviewed by and the person in
    charge on blank lines."""
    from weasyprint import HTML

    html = render_to_string(
        "finance/pdf/statement.html",
        {
            "statement": statement,
            "balance_headers": balance_headers(),
            "line_headers": line_headers(),
            "signatures": report_signatures(filled_by=filled_by),
        },
    )
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf

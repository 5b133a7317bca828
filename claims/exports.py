"""The bank-transfer workbook of a payment batch (代发明细), as a bank's batch upload expects it:
one payee per row, text-formatted account numbers (Excel would turn 19 digits into 1.9E+18), a
totals row the bank clerk checks against the transfer order, and the batch in the title. Every
cell goes in through `mutualaid.spreadsheets.write`: a payee or bank named "=…" is text, not a
formula that runs on the finance officer's or the bank's computer."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from claims.models import Claim, PaymentBatch
from mutualaid import pii
from mutualaid.spreadsheets import write
from mutualaid.spreadsheets.write import COUNT, MONEY, TEXT

_THIN = Side(style="thin", color="FF999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="FFDDEBF7")


def transfer_workbook(batch: PaymentBatch, claims: Iterable[Claim]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Transfers")
    headers = (
        _("No."),
        _("Payee"),
        _("Bank"),
        _("Account number"),
        _("Amount (yuan)"),
        _("Claim number"),
        _("Member"),
        _("Purpose"),
    )
    widths = (6, 14, 28, 26, 14, 18, 12, 24)
    title = _("Payment batch %(number)s — %(office)s") % {"number": batch.number, "office": batch.org.name}
    write.cell(sheet, 1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for column, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = write.cell(sheet, 3, column, text)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center")
        sheet.column_dimensions[cell.column_letter].width = width
    row = 3
    total = Decimal("0.00")
    purpose = _("Mutual-aid claim payout")
    formats = (COUNT, None, None, TEXT, MONEY, None, None, None)  # the account number is text: all its digits
    for number, claim in enumerate(claims, start=1):
        row += 1
        values = (
            number,
            claim.payee_name,
            claim.bank_name,
            pii.decrypt(claim.account_cipher),
            claim.payout,
            claim.number,
            claim.name,
            purpose,
        )
        for column, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
            write.cell(sheet, row, column, value, number_format).border = _BORDER
        total += claim.payout
    row += 1
    write.cell(sheet, row, 1, _("Total")).font = Font(bold=True)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    write.cell(sheet, row, 5, total, MONEY).font = Font(bold=True)
    for column in range(1, len(headers) + 1):
        sheet.cell(row=row, column=column).border = _BORDER
    sheet.freeze_panes = "A4"
    return write.save(book)

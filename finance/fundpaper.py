"""The papers of the fund's stewardship: a unit's premium receipt (收据, or the red receipt of a
refund), the statement an office publishes to its members (公示) and a premium remittance report
(上解保费报告书), as PDF."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from enrollment.cardrender import html_pdf
from finance.models import FundStatement, PremiumReceipt, ReceiptKind, Remittance, RemittanceSettlement
from finance.selectors.remittances import remittance_rows
from mutualaid import dates
from mutualaid.models import User
from mutualaid.paperwork import report_signatures, signatures

RECEIVED_BY = gettext_lazy("Received by:")
PAYER = gettext_lazy("Paid by (unit):")


def receipt_pdf(*, receipt: PremiumReceipt) -> bytes:
    """The receipt as the office hands it to the unit: A5, its number, amount in figures and in
    capitals, what it pays for and what is still owed; a refund in red, naming the receipt."""
    context = {
        "receipt": receipt,
        "refund": receipt.kind == ReceiptKind.REFUND,
        "signatures": signatures([(RECEIVED_BY, receipt.issued_by), (PAYER, None)]),
    }
    return html_pdf(render_to_string("finance/pdf/receipt.html", context))


def fund_statement_pdf(*, statement: FundStatement) -> bytes:
    """The published statement: the fund and each plan's results of the period, no person named."""
    context = {"statement": statement, "figures": statement.figures, "printed": dates.business_today()}
    return html_pdf(render_to_string("finance/pdf/fund_statement.html", context))


def remittance_pdf(*, report: Remittance, printed_by: User) -> bytes:
    """The report as filed with the transfer: each plan's premium of the month, what it nets of
    premium remitted earlier for members a correction ended (each correction named) and the
    amount due in figures and capitals; the transfer once confirmed, with the written reason where
    it went beyond the bank balance (who gave it, when, the shortfall: as the page shows it); and
    the corrections found since against this month's premium, with how each was settled."""
    rows = remittance_rows(report=report)
    netted = RemittanceSettlement.objects.filter(netted_in=report).select_related("endorsement", "plan")
    later = RemittanceSettlement.objects.filter(carried_in=report).select_related("endorsement", "plan", "netted_in")
    context = {
        "report": report,
        "rows": rows,
        "settled": sum((row.settled for row in rows), Decimal(0)),
        "netted": list(netted.order_by("month", "pk")),
        "later": list(later.order_by("pk")),
        "printed": dates.business_today(),
        "signatures": report_signatures(filled_by=report.confirmed_by or printed_by),
    }
    return html_pdf(render_to_string("finance/pdf/remittance.html", context))

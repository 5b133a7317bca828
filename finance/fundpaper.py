"""The papers of the fund's stewardship: a unit's premium receipt (收据, or the red receipt of a
refund) and the statement an office publishes to its members (公示), both as PDF."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from enrollment.cardrender import html_pdf
from finance.models import FundStatement, PremiumReceipt, ReceiptKind
from mutualaid import dates
from mutualaid.paperwork import signatures

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

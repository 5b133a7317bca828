"""What the fund's stewards give and keep besides the ledger: numbered receipts for premium paid
(收据, red receipts for refunds), statements of the fund published to members (公示), and the
recoveries of overpaid claims (追回) with their repayments. Loaded with finance.models, which
re-exports every name here; each row points at the journal entry that booked it."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


class ReceiptKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    REFUND = "refund", _("Refund (red receipt)")


class PremiumReceipt(TenantOwned):
    """A numbered receipt (收据) the collecting office gives a unit for one payment of premium, or
    the red receipt (红字收据) of money paid back, pointing at the receipt it refunds.

    Numbered per office and year without gaps (finance/services/receipts.py) and written once:
    the database refuses UPDATE and DELETE; a refund is a receipt of its own."""

    number = models.CharField(_("receipt number"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=10, choices=ReceiptKind.choices, default=ReceiptKind.RECEIPT)
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    unit = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    policy = models.ForeignKey(
        "enrollment.Policy", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy")
    )
    endorsement = models.ForeignKey(
        "enrollment.Endorsement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("endorsement"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    # What the policy's issue (or the endorsement) made receivable, and what was still owed after
    # this receipt: a partial payment says so on its paper.
    premium_due = models.DecimalField(_("premium due"), **MONEY)
    outstanding_after = models.DecimalField(_("still owed after this payment"), **MONEY)
    received_on = models.DateField(_("date"))
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    original = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds", verbose_name=_("refunds")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The entry that booked the money. A premium refund paid as a payment that reverses several
    # receipts (a unit that paid in parts) has one red receipt per receipt, all on its one entry.
    entry = models.ForeignKey("finance.JournalEntry", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year", "sequence"], name="receipt_number_once_per_office_year"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="receipt", original__isnull=True) | Q(kind="refund", original__isnull=False),
                name="receipt_refund_names_its_original",
            ),
            # A payment received has one receipt; a refund's entry one red receipt per receipt it reverses.
            models.UniqueConstraint(fields=["entry"], condition=Q(kind="receipt"), name="receipt_one_per_entry"),
            models.UniqueConstraint(fields=["entry", "original"], name="red_receipt_once_per_original_and_entry"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def signed_amount(self) -> Decimal:
        """The amount as the books see it: a refund in red, below zero."""
        return -self.amount if self.kind == ReceiptKind.REFUND else self.amount


class StatementPeriod(models.TextChoices):
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved, not yet published")
    PUBLISHED = "published", _("Published")


@pghistory.track()
class FundStatement(TenantOwned):
    """The statement (公示) an office publishes to its members of a quarter or a year: the fund
    and each plan's results, in figures only (no person is named).

    The figures are frozen when it is drafted, so what the approver read is what is published;
    approved by someone other than its drafter, then published at an unguessable address."""

    period = models.CharField(_("period"), max_length=8, choices=StatementPeriod.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"), default=0)  # 0 for a year's statement
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    # {"plans": [{"plan": id, "name": str, "premium": "0.00", ...}], "totals": {...}}
    figures = models.JSONField(default=dict)
    note = models.CharField(_("note to members"), max_length=500, blank=True)
    public_token = models.CharField(max_length=64, unique=True)
    drafted_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"))
    approved_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_by = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("fund statement")
        verbose_name_plural = _("fund statements")
        ordering = ["-ends_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "period", "year", "quarter"], name="fund_statement_once"),
            models.CheckConstraint(
                condition=Q(period="year", quarter=0) | Q(period="quarter", quarter__gte=1, quarter__lte=4),
                name="fund_statement_quarter_fits_period",
            ),
        ]

    def __str__(self) -> str:
        if self.period == StatementPeriod.YEAR:
            return _("%(year)s annual statement") % {"year": self.year}
        return _("%(year)s Q%(quarter)s statement") % {"year": self.year, "quarter": self.quarter}


@pghistory.track()
class Recovery(TenantOwned):
    """An overpaid claim to recover (追回) from the member, in the books of the office that paid
    it: booked as a receivable when a re-check finds the overpayment (claims.events.
    OverpaymentFound), followed until repayments cover it."""

    number = models.CharField(_("recovery number"), max_length=24, unique=True)
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, related_name="recoveries", verbose_name=_("claim")
    )
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    amount = models.DecimalField(_("amount to recover"), **MONEY)
    repaid = models.DecimalField(_("repaid"), default=Decimal(0), **MONEY)
    reason = models.CharField(_("reason"), max_length=500)
    # The finding it comes from ("recheck-item:<id>"): the same finding books one recovery.
    reference = models.CharField(max_length=60, unique=True)
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("recovery of an overpaid claim")
        verbose_name_plural = _("recoveries of overpaid claims")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
            models.CheckConstraint(
                condition=Q(repaid__gte=0) & Q(repaid__lte=models.F("amount")), name="recovery_repaid_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.repaid

    @property
    def settled(self) -> bool:
        return self.repaid >= self.amount


class RecoveryRepayment(TenantOwned):
    """Money the member paid back on a recovery, booked to the bank; written once, never changed
    (the database refuses UPDATE and DELETE, as on the journal)."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="repayments")
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received on"))
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["org_path"], name="repayment_subtree", opclasses=["varchar_pattern_ops"])]
        verbose_name = _("repayment of an overpaid claim")
        verbose_name_plural = _("repayments of overpaid claims")
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_repayment_positive")]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.amount}"

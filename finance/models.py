"""The dedicated account (专户) of each office that holds plan money, as a double-entry ledger
booked separately per plan (分账核算), and what feeds it: monthly premium remittances up the
tree, layered payment approval, budgets and bank statements.

A journal entry and its lines are written once and never changed: the database refuses UPDATE
and DELETE on them, and a constraint trigger checked at commit refuses an entry whose debits and
credits differ. A mistake is corrected by a reversing entry that points at the original.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from finance.decisionmodels import OverdraftDecision
from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


class Account(models.TextChoices):
    """The chart of accounts, the same in every office's books (codes as offices number them)."""

    BANK = "1001", _("1001 Dedicated bank account")
    TIME_DEPOSITS = "1002", _("1002 Time deposits")
    IN_TRANSIT = "1012", _("1012 Allocations in transit from the office above")
    PREMIUM_RECEIVABLE = "1122", _("1122 Premium receivable from units")
    RECOVERY_RECEIVABLE = "1131", _("1131 Overpaid claims to recover")
    SUBSIDY_RECEIVABLE = "1132", _("1132 Union subsidies receivable")
    TREASURY_BONDS = "1101", _("1101 Treasury bonds")
    DUE_FROM_BELOW = "1221", _("1221 Remittances due from offices below")
    ALLOCATED_BELOW = "1231", _("1231 Funds allocated to offices below")
    DUE_TO_ABOVE = "2241", _("2241 Premium due to the office above")
    ALLOCATED_FROM_ABOVE = "2242", _("2242 Funds allocated by the office above")
    RESERVE_FUND = "2701", _("2701 Risk reserve fund")
    PREMIUM_INCOME = "6001", _("6001 Premium income")
    PREMIUM_REFUNDS = "6011", _("6011 Premium refunded on cancellation")
    SUBSIDY_INCOME = "6051", _("6051 Union and unit subsidies")
    ALLOCATIONS_IN = "6061", _("6061 Funds allocated by the office above, received")
    INTEREST_INCOME = "6111", _("6111 Interest income")
    CLAIMS_PAID = "6401", _("6401 Claims paid")
    INCENTIVE_GRANTS = "6411", _("6411 Incentive grants to agent points")
    MEMBER_ACTIVITIES = "6421", _("6421 Member activities")
    HARDSHIP_AID = "6431", _("6431 Hardship aid")
    ALLOCATIONS_OUT = "6451", _("6451 Funds allocated to offices below, received by them")
    MANAGEMENT_FEE = "6601", _("6601 Management fees")
    RESERVE_PROVISION = "6701", _("6701 Reserve set aside")


# Which side increases an account: assets and expenses on the debit side, the rest on the credit.
DEBIT_NORMAL = frozenset(
    {
        Account.BANK,
        Account.TIME_DEPOSITS,
        Account.TREASURY_BONDS,
        Account.IN_TRANSIT,
        Account.PREMIUM_RECEIVABLE,
        Account.RECOVERY_RECEIVABLE,
        Account.SUBSIDY_RECEIVABLE,
        Account.DUE_FROM_BELOW,
        Account.ALLOCATED_BELOW,
        Account.PREMIUM_REFUNDS,
        Account.CLAIMS_PAID,
        Account.INCENTIVE_GRANTS,
        Account.MEMBER_ACTIVITIES,
        Account.HARDSHIP_AID,
        Account.ALLOCATIONS_OUT,
        Account.MANAGEMENT_FEE,
        Account.RESERVE_PROVISION,
    }
)


class EntryKind(models.TextChoices):
    POLICY_ISSUED = "policy_issued", _("Policy issued: premium receivable")
    PREMIUM_RECEIVED = "premium_received", _("Premium received from a unit")
    REMITTED = "remitted", _("Premium remitted to the office above")
    REMITTANCE_RECEIVED = "remittance_received", _("Remittance received from an office below")
    CLAIMS_PAID = "claims_paid", _("Claims paid")
    MANAGEMENT_FEE = "management_fee", _("Management fee")
    RESERVE_DRAW = "reserve_draw", _("Reserve fund drawn")
    PREMIUM_REFUNDED = "premium_refunded", _("Premium paid back to a unit")
    RECOVERY_BOOKED = "recovery_booked", _("Overpaid claim to recover")
    RECOVERY_REPAID = "recovery_repaid", _("Overpaid claim repaid")
    INCENTIVE_GRANT = "incentive_grant", _("Incentive grant to an agent point")
    MEMBER_ACTIVITY = "member_activity", _("Member activity")
    HARDSHIP_AID = "hardship_aid", _("Hardship aid")
    PREMIUM_REFUND = "premium_refund", _("Premium refunded on cancellation")
    UNION_CONTRIBUTION = "union_contribution", _("Union contribution to the reserve")
    SUBSIDY_RECEIVED = "subsidy_received", _("Subsidy from a union")
    SUBSIDY_COLLECTED = "subsidy_collected", _("Union level's subsidy received against its receivable")
    SUBSIDY_TAKEN_BACK = "subsidy_taken_back", _("Union level's subsidy taken back on a cancellation")
    SUBSIDY_REFUNDED = "subsidy_refunded", _("Union level's subsidy paid back for members cancelled")
    INTEREST = "interest", _("Interest")
    DEPOSIT_PLACED = "deposit_placed", _("Deposit placed")
    DEPOSIT_MATURED = "deposit_matured", _("Deposit matured")
    ALLOCATION_SENT = "allocation_sent", _("Funds allocated to an office below")
    ALLOCATION_RECEIVED = "allocation_received", _("Funds allocated by the office above")
    ALLOCATION_SETTLED = "allocation_settled", _("Allocation received below: the due pair closed")
    REMITTANCE_SETTLED = (
        "remittance_settled",
        _("Premium of members ended by a correction, settled with the office below"),
    )
    REVERSAL = "reversal", _("Reversal")


@pghistory.track()
class FinanceSettings(TenantOwned):
    """An office's finance rules: the reserve share, the management-fee cap, and the amount from
    which a payment needs a recorded collective decision (集体决策)."""

    reserve_ratio = models.DecimalField(
        _("share of premium set aside as reserve"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.1000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    fee_cap_ratio = models.DecimalField(
        _("management fee cap, as a share of premium"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0500"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    collective_decision_from = models.DecimalField(
        _("payments from this amount need a collective decision"), default=Decimal("100000"), **MONEY
    )
    # When the offices directly below remit a month's premium to this office: by this day of the
    # following month. Agent points report to their city first, and the city's consolidated report
    # to the province falls due after them (finance/rules.py, REMITTANCE_DUE_DAY).
    remittance_due_day = models.PositiveSmallIntegerField(
        _("offices below remit by this day of the following month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_(
            "Empty: the 15th for agent points reporting to a city, the 25th for cities reporting to a province."
        ),
    )

    # The band of reasonable surplus (合理结余) each plan's fund is held to (finance/solvency.py):
    # enough to pay its claims for some months, not so much that members' money lies idle; and
    # a loss ratio that neither drains the fund nor shows that the plan gives too little back.
    surplus_months_min = models.DecimalField(
        _("fund covers at least this many months of payouts"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("3.0"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(600))],
    )
    surplus_months_max = models.DecimalField(
        _("fund covers at most this many months of payouts"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("12.0"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(600))],
    )
    loss_ratio_min = models.DecimalField(
        _("lowest reasonable loss ratio"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.5000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(5))],
    )
    loss_ratio_max = models.DecimalField(
        _("highest reasonable loss ratio"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.9000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(5))],
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("finance settings")
        verbose_name_plural = _("finance settings")
        indexes = [models.Index(fields=["org_path"], name="finsettings_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [models.UniqueConstraint(fields=["org"], name="finance_settings_once_per_office")]

    def __str__(self) -> str:
        return str(self.org)


class JournalEntry(TenantOwned):
    """One posting in an office's books for one plan; immutable once written."""

    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    number = models.CharField(_("entry number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    posted_on = models.DateField(_("date"))
    memo = models.CharField(_("memo"), max_length=200)
    # The same request sent twice (a double click, a retried task) carries the same key and
    # posts once: the unique index makes the second insert fail, and the service returns the first.
    idempotency_key = models.CharField(max_length=120, unique=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("reverses")
    )
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-posted_on", "-pk"]

    def __str__(self) -> str:
        return self.number


class JournalLine(TenantOwned):
    """One side of an entry: an account debited or credited."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+")
    posted_on = models.DateField()
    account = models.CharField(_("account"), max_length=4, choices=Account.choices)
    debit = models.DecimalField(_("debit"), default=Decimal("0"), **MONEY)
    credit = models.DecimalField(_("credit"), default=Decimal("0"), **MONEY)

    class Meta(TenantOwned.Meta):
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["org", "plan", "account", "posted_on"], name="ledger_balance"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="journal_line_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.account} {self.debit or -self.credit}"


class ClosedMonth(TenantOwned):
    """A month whose books an office has closed: nothing more is posted into it."""

    month = models.DateField(_("month"))  # the first day of the month
    closed_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="month_closed_once")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month:%Y-%m}"


class RemittanceStatus(models.TextChoices):
    DRAFT = "draft", _("Drafted, awaiting the transfer")
    REMITTED = "remitted", _("Remitted")
    RECEIVED = "received", _("Received by the office above")


@pghistory.track()
class Remittance(OverdraftDecision, TenantOwned):
    """A premium remittance report (上解保费报告书) of one office for one month: what its
    policies of the month brought in, by plan, and the transfer to the office above. Due by the
    25th of the next month."""

    month = models.DateField(_("month"))  # the first day of the month
    to_office = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("remitted to")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RemittanceStatus.choices, default=RemittanceStatus.DRAFT
    )
    due_on = models.DateField(_("due on"))
    # [{"plan": id, "plan_name": str, "policies": n, "members": n, "shares": n, "amount": "0.00"}]
    lines = models.JSONField(default=list)
    amount_due = models.DecimalField(_("amount due"), **MONEY)
    amount_remitted = models.DecimalField(_("amount remitted"), default=Decimal("0"), **MONEY)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    remitted_on = models.DateField(_("remitted on"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The reports of the offices below that this one consolidates (a city's of its agent points).
    consolidates = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="consolidated_in")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the lines were last read from the members: a correction issued after it ended members
    # the report carries (finance/services/settlements.py). Empty for reports drafted before it
    # was kept: their creation stands in.
    drafted_at = models.DateTimeField(_("drafted at"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("premium remittance report")
        verbose_name_plural = _("premium remittance reports")
        ordering = ["-month", "org_path"]
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="one_remittance_per_office_and_month")]

    def __str__(self) -> str:
        return f"{self.org} {self.month:%Y-%m}"


class PaymentKind(models.TextChoices):
    CLAIMS_BATCH = "claims_batch", _("Claims payment batch")
    MANAGEMENT_FEE = "management_fee", _("Management fee")
    RESERVE_DRAW = "reserve_draw", _("Drawing on the reserve fund")
    INCENTIVE_GRANT = "incentive_grant", _("Incentive grant to an agent point (奖补)")
    MEMBER_ACTIVITY = "member_activity", _("Member activity")
    HARDSHIP_AID = "hardship_aid", _("Hardship aid (帮扶)")
    PREMIUM_REFUND = "premium_refund", _("Premium refund on cancellation")


# The account each kind of payment is booked to (a claims batch books per plan, to 6401), and the
# kind of its entry. A kind missing here cannot be prepared: money never leaves the account
# without the line of the chart it is reported on.
PAYMENT_ACCOUNTS: dict[str, tuple[str, str]] = {
    PaymentKind.CLAIMS_BATCH: (Account.CLAIMS_PAID, EntryKind.CLAIMS_PAID),
    PaymentKind.MANAGEMENT_FEE: (Account.MANAGEMENT_FEE, EntryKind.MANAGEMENT_FEE),
    PaymentKind.RESERVE_DRAW: (Account.RESERVE_FUND, EntryKind.RESERVE_DRAW),
    PaymentKind.INCENTIVE_GRANT: (Account.INCENTIVE_GRANTS, EntryKind.INCENTIVE_GRANT),
    PaymentKind.MEMBER_ACTIVITY: (Account.MEMBER_ACTIVITIES, EntryKind.MEMBER_ACTIVITY),
    PaymentKind.HARDSHIP_AID: (Account.HARDSHIP_AID, EntryKind.HARDSHIP_AID),
    PaymentKind.PREMIUM_REFUND: (Account.PREMIUM_REFUNDS, EntryKind.PREMIUM_REFUND),
}
# Spending beside the members' payouts (seed 004, 会员活动、帮扶救助): strictly approved, so
# a recorded collective decision whatever the amount.
DECISION_ALWAYS = frozenset({PaymentKind.INCENTIVE_GRANT, PaymentKind.MEMBER_ACTIVITY, PaymentKind.HARDSHIP_AID})


class PaymentStatus(models.TextChoices):
    """The one record of where a payment stands, claims batches included: pending → approved →
    (for a claims batch, its transfer file) sent to the bank → paid; or rejected."""

    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved for payment")
    SENT = "sent", _("Sent to the bank")
    REJECTED = "rejected", _("Not approved")
    PAID = "paid", _("Paid out")


# The approval layers in order, and who may sign each.
APPROVAL_LAYERS: tuple[tuple[str, str], ...] = (
    ("office_head", "finance.approve_office"),
    ("finance_head", "finance.approve_finance"),
    ("leader", "finance.approve_leader"),
)
LAYER_LABELS = {
    "office_head": _("Office head"),
    "finance_head": _("Finance head"),
    "leader": _("Leader in charge"),
}


@pghistory.track()
class PaymentRequest(OverdraftDecision, TenantOwned):
    """An outgoing payment from the dedicated account, prepared by one person and approved in
    layers by three others (office head, finance head, leader in charge)."""

    number = models.CharField(_("payment number"), max_length=24, unique=True)
    # A claims batch may pay claims of several plans (each booked to its own plan): its payment
    # names a plan only when all its claims share one.
    plan = models.ForeignKey(
        "enrollment.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("plan")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PaymentKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    payee = models.CharField(_("payee"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=200)
    # A batch has one payment at a time: after a rejection it may be prepared again.
    claims_batch = models.ForeignKey(
        "claims.PaymentBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # A premium refund names the policy whose premium it pays back.
    policy = models.ForeignKey(
        "enrollment.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("policy")
    )
    meeting = models.CharField(_("collective decision (meeting)"), max_length=120, blank=True)
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    version = models.PositiveIntegerField(default=1)
    prepared_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent to the bank"), null=True, blank=True)
    sent_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta(TenantOwned.Meta):
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-prepared_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(plan__isnull=False) | Q(kind="claims_batch"), name="payment_plan_unless_claims_batch"
            ),
            models.CheckConstraint(
                condition=Q(claims_batch__isnull=True) | Q(kind="claims_batch"), name="payment_batch_only_for_claims"
            ),
            models.UniqueConstraint(
                fields=["claims_batch"], condition=~Q(status="rejected"), name="payment_one_live_per_batch"
            ),
            models.CheckConstraint(
                condition=Q(policy__isnull=True) | Q(kind="premium_refund"), name="payment_policy_only_for_refunds"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PaymentApproval(TenantOwned):
    payment = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="approvals")
    layer = models.CharField(_("layer"), max_length=16)
    approver = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        ordering = ["approved_at", "pk"]
        indexes = [models.Index(fields=["org_path"], name="payapproval_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["payment", "layer"], name="one_approval_per_layer"),
            models.UniqueConstraint(fields=["payment", "approver"], name="one_approval_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.layer}"


@pghistory.track()
class Budget(TenantOwned):
    """What an office plans to take in and spend on a plan in a year, by account."""

    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    year = models.PositiveSmallIntegerField(_("year"))
    account = models.CharField(_("account"), max_length=4, choices=Account.choices)
    amount = models.DecimalField(_("budget"), **MONEY)

    class Meta(TenantOwned.Meta):
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["org", "plan", "year", "account"], name="budget_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.account}"


class BankStatement(TenantOwned):
    """An imported bank statement of an office's dedicated account."""

    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    line_count = models.PositiveIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]
        constraints = [models.UniqueConstraint(fields=["org", "sha256"], name="bank_statement_once")]

    def __str__(self) -> str:
        return self.original_name


class BankLine(TenantOwned):
    """One line of a bank statement; matched to the ledger's bank line it is the money of."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    row_number = models.PositiveIntegerField()
    booked_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)  # + money in, - money out
    reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    matched = models.OneToOneField(
        JournalLine, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_line"
    )

    class Meta(TenantOwned.Meta):
        ordering = ["booked_on", "row_number"]
        constraints = [models.UniqueConstraint(fields=["statement", "row_number"], name="bank_line_once")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount}"


# The funds' workflows (allocations down the tree, income other than premium, deposits and bonds)
# live in finance/fundmodels.py, loaded with these models (it imports the chart from here).
from finance.fundmodels import (  # noqa: E402
    PROHIBITED_INVESTMENTS,
    Allocation,
    AllocationApproval,
    AllocationPurpose,
    AllocationStatus,
    Deposit,
    DepositKind,
    DepositStatus,
    IncomeKind,
    IncomeRecord,
    SubsidyMovement,
    SubsidyMovementKind,
    UnionLevel,
)
from finance.settlementmodels import RemittanceSettlement, SettlementStatus  # noqa: E402
from finance.stewardmodels import (  # noqa: E402
    FundStatement,
    PremiumReceipt,
    ReceiptKind,
    Recovery,
    RecoveryRepayment,
    StatementPeriod,
    StatementStatus,
)

# The account each kind of income is credited to (the bank is debited), and its entry's kind.
INCOME_ACCOUNTS: dict[str, tuple[str, str]] = {
    IncomeKind.UNION_CONTRIBUTION: (Account.RESERVE_FUND, EntryKind.UNION_CONTRIBUTION),
    IncomeKind.SUBSIDY: (Account.SUBSIDY_INCOME, EntryKind.SUBSIDY_RECEIVED),
    IncomeKind.INTEREST: (Account.INTEREST_INCOME, EntryKind.INTEREST),
}
# Where a deposit or a bond is held while placed.
DEPOSIT_ACCOUNTS = {DepositKind.TIME_DEPOSIT: Account.TIME_DEPOSITS, DepositKind.TREASURY_BOND: Account.TREASURY_BONDS}

__all__ = [
    "APPROVAL_LAYERS",
    "DEBIT_NORMAL",
    "DECISION_ALWAYS",
    "DEPOSIT_ACCOUNTS",
    "INCOME_ACCOUNTS",
    "LAYER_LABELS",
    "PAYMENT_ACCOUNTS",
    "PROHIBITED_INVESTMENTS",
    "Account",
    "Allocation",
    "AllocationApproval",
    "AllocationPurpose",
    "AllocationStatus",
    "BankLine",
    "BankStatement",
    "Budget",
    "ClosedMonth",
    "Deposit",
    "DepositKind",
    "DepositStatus",
    "EntryKind",
    "FinanceSettings",
    "FundStatement",
    "IncomeKind",
    "IncomeRecord",
    "JournalEntry",
    "JournalLine",
    "PaymentApproval",
    "PaymentKind",
    "PaymentRequest",
    "PaymentStatus",
    "PremiumReceipt",
    "ReceiptKind",
    "Recovery",
    "RecoveryRepayment",
    "Remittance",
    "RemittanceSettlement",
    "RemittanceStatus",
    "SettlementStatus",
    "StatementPeriod",
    "StatementStatus",
    "SubsidyMovement",
    "SubsidyMovementKind",
    "UnionLevel",
]

"""The funds' workflows beside the ledger's core (finance/models.py): allocations down the tree
(划拨), income other than premium, and deposits and bonds. Imported by finance.models, so that
they load with the app's models; of finance it imports only the overdraft decision's fields
(finance/decisionmodels.py; the accounts each kind is booked to are finance.models'
INCOME_ACCOUNTS and DEPOSIT_ACCOUNTS)."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from enrollment.subsidymodels import UnionLevel as UnionLevel  # the levels a period's subsidies name, too
from finance.decisionmodels import OverdraftDecision
from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


class AllocationPurpose(models.TextChoices):
    CLAIMS_BATCH = "claims_batch", _("A claims payment batch")
    IMPREST = "imprest", _("Topping up the imprest (备用金)")


class AllocationStatus(models.TextChoices):
    """Requested by the paying office → approved in layers by the pooling office → transferred
    (in transit) → received by the paying office; or rejected."""

    REQUESTED = "requested", _("Awaiting approval")
    APPROVED = "approved", _("Approved, to be transferred")
    TRANSFERRED = "transferred", _("Transferred, in transit")
    RECEIVED = "received", _("Received")
    REJECTED = "rejected", _("Not approved")


@pghistory.track()
class Allocation(TenantOwned):
    """A transfer of plan money down the tree (划拨/下拨): the office that pays a plan's claims
    (`org`, the requester) asks the office that pools the plan (`pooling_office`, above it) for
    funds for a claims batch or to top up its imprest; the pooling office approves in layers and
    transfers; both books record it. Owned by the requester, so that the pooling office, above
    it, sees it in its tree and a sibling never does."""

    number = models.CharField(_("allocation number"), max_length=24, unique=True)
    pooling_office = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("allocated by")
    )
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    purpose = models.CharField(_("for"), max_length=16, choices=AllocationPurpose.choices)
    claims_batch = models.ForeignKey(
        "claims.PaymentBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AllocationStatus.choices, default=AllocationStatus.REQUESTED
    )
    version = models.PositiveIntegerField(default=1)
    requested_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    meeting = models.CharField(_("collective decision (meeting)"), max_length=120, blank=True)
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    transferred_on = models.DateField(_("transferred on"), null=True, blank=True)
    transferred_by = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta(TenantOwned.Meta):
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.CheckConstraint(
                condition=Q(claims_batch__isnull=True) | Q(purpose="claims_batch"),
                name="allocation_batch_only_for_claims",
            ),
            models.UniqueConstraint(
                fields=["claims_batch", "plan"],
                condition=~Q(status="rejected"),
                name="allocation_one_live_per_batch_and_plan",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AllocationApproval(TenantOwned):
    """One layer signed at the pooling office (office head, finance head, leader in charge)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="approvals")
    layer = models.CharField(_("layer"), max_length=16)
    approver = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        ordering = ["approved_at", "pk"]
        indexes = [models.Index(fields=["org_path"], name="allocapproval_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "layer"], name="allocation_one_approval_per_layer"),
            models.UniqueConstraint(fields=["allocation", "approver"], name="allocation_one_approval_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.layer}"


class IncomeKind(models.TextChoices):
    UNION_CONTRIBUTION = "union_contribution", _("Union contribution to the risk reserve")
    SUBSIDY = "subsidy", _("Subsidy from a union level")
    INTEREST = "interest", _("Interest on the dedicated account")


@pghistory.track()
class IncomeRecord(TenantOwned):
    """Money that came into the dedicated account other than premium: a union's contribution to
    the risk reserve (Inner Mongolia: 10 million yuan), a subsidy from one union level, interest.
    Booked when recorded; one record per bank reference of the office."""

    number = models.CharField(_("income number"), max_length=24, unique=True)
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    kind = models.CharField(_("kind"), max_length=20, choices=IncomeKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    payer = models.CharField(_("paid by"), max_length=100)
    union_level = models.CharField(_("union level"), max_length=10, choices=UnionLevel.choices, blank=True)
    received_on = models.DateField(_("received on"))
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("income")
        verbose_name_plural = _("income")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="income_amount_positive"),
            models.UniqueConstraint(fields=["org", "bank_reference"], name="income_once_per_bank_reference"),
            models.CheckConstraint(
                condition=~Q(kind="subsidy") | ~Q(union_level=""), name="income_subsidy_names_its_union_level"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DepositKind(models.TextChoices):
    """What the fund may be held in besides the current account (ACFTU 2018 No. 28, seed 004: bank
    deposits and treasury bonds, low-risk fixed income)."""

    TIME_DEPOSIT = "time_deposit", _("Time deposit (定期存款)")
    TREASURY_BOND = "treasury_bond", _("Treasury bond (国债)")


# What the same rule forbids, named so that a refusal says which rule it is.
PROHIBITED_INVESTMENTS: dict[str, StrOrPromise] = {
    "stock": _("stocks"),
    "fund": _("investment funds"),
    "bond": _("corporate bonds"),
    "futures": _("futures"),
    "wealth_product": _("wealth-management products"),
}


class DepositStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    MATURED = "matured", _("Matured, back in the account")


@pghistory.track()
class Deposit(TenantOwned):
    """A time deposit or treasury bond bought with plan money: placed out of the dedicated
    account, and at maturity the principal and its interest credited back to the fund."""

    number = models.CharField(_("deposit number"), max_length=24, unique=True)
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    kind = models.CharField(_("kind"), max_length=16, choices=DepositKind.choices)
    institution = models.CharField(_("bank or issuer"), max_length=100)
    amount = models.DecimalField(_("principal"), **MONEY)
    annual_rate = models.DecimalField(
        _("annual rate"),
        max_digits=6,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.2"))],
    )
    starts_on = models.DateField(_("starts on"))
    matures_on = models.DateField(_("matures on"))
    status = models.CharField(_("status"), max_length=8, choices=DepositStatus.choices, default=DepositStatus.PLACED)
    version = models.PositiveIntegerField(default=1)
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    meeting = models.CharField(_("collective decision (meeting)"), max_length=120, blank=True)
    meeting_on = models.DateField(_("meeting date"), null=True, blank=True)
    placed_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    placed_entry = models.OneToOneField("finance.JournalEntry", on_delete=models.PROTECT, related_name="+")
    matured_on = models.DateField(_("matured on"), null=True, blank=True)
    interest = models.DecimalField(_("interest"), null=True, blank=True, **MONEY)
    matured_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    matured_entry = models.OneToOneField(
        "finance.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["matures_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive"),
            models.CheckConstraint(condition=Q(matures_on__gt=F("starts_on")), name="deposit_matures_after_start"),
            models.CheckConstraint(
                condition=Q(kind__in=["time_deposit", "treasury_bond"]), name="deposit_only_deposits_and_bonds"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class SubsidyMovementKind(models.TextChoices):
    OWED = "owed", _("Owed for members taken on")
    TAKEN_BACK = "taken_back", _("Taken back on a cancellation")
    RECEIVED = "received", _("Received from the union")
    REFUNDED = "refunded", _("Paid back to the union")


@pghistory.track()
class SubsidyMovement(OverdraftDecision, TenantOwned):
    """One movement of what a union level owes the office that collects a unit's premium (its
    receivable, 1132 应收工会补助, kept per level and payer by these rows): owed when a list is
    approved, taken back when a member is cancelled (never refunded to the unit), received when
    the union pays. `org` is the collecting office; each row points at the entry that booked it."""

    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    subsidy = models.ForeignKey(
        "enrollment.PeriodSubsidy", on_delete=models.PROTECT, related_name="+", verbose_name=_("union level subsidy")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=SubsidyMovementKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    policy = models.ForeignKey("enrollment.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    endorsement = models.ForeignKey(
        "enrollment.Endorsement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enrollment = models.ForeignKey(
        "enrollment.Enrollment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrollment"),
    )
    entry = models.ForeignKey("finance.JournalEntry", on_delete=models.PROTECT, related_name="+")
    moved_on = models.DateField(_("date"))
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True, default="")
    recorded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("union subsidy receivable movement")
        verbose_name_plural = _("union subsidy receivable movements")
        ordering = ["-moved_on", "-pk"]
        indexes = [
            models.Index(fields=["org_path"], name="subsidy_movement_subtree", opclasses=["varchar_pattern_ops"])
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="subsidy_movement_above_zero"),
            models.UniqueConstraint(fields=["entry", "subsidy"], name="subsidy_movement_once_per_entry_and_level"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

"""Claims: benefit schedules, claims with their documents and review steps, payment batches.

A claim belongs to the member's unit (so the unit, its agent point and every office above see
it) and names the office that reviews it and the office that pays it (`review_office`,
`pay_office`, from the plan's routing: the same office, or for seed 000's women workers' plan the
province reviews and the city above the unit pays).
Diagnoses and bank account numbers are stored encrypted (mutualaid/pii.py); the payout and its
line-by-line calculation are stored with the claim, so what a reviewer approved is what is paid.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


@pghistory.track()
class BenefitSchedule(TenantOwned):
    """The reimbursement rules of one plan period (claims/benefits/), kept by the office that pools
    the fund. Editable until a claim has been paid under it; then frozen, and a change needs a
    new period."""

    period = models.OneToOneField(
        "enrollment.Period", on_delete=models.PROTECT, related_name="benefit_schedule", verbose_name=_("period")
    )
    rules = models.JSONField(_("rules"))
    version = models.PositiveIntegerField(default=1)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True, editable=False)
    updated_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("benefit schedule")
        verbose_name_plural = _("benefit schedules")

    def __str__(self) -> str:
        return str(self.period)


@pghistory.track()
class ClaimSettings(TenantOwned):
    """One reviewing office's targets and abnormal-claim thresholds."""

    target_days = models.PositiveSmallIntegerField(_("target in working days"), default=5)
    limit_days = models.PositiveSmallIntegerField(_("hard limit in working days"), default=30)
    early_claim_days = models.PositiveSmallIntegerField(
        _("flag an admission within this many days of the coverage start"), default=30
    )
    claims_per_member = models.PositiveSmallIntegerField(
        _("flag more than this many claims by one member in a period"), default=5
    )
    large_amount = models.DecimalField(_("flag a payout above this amount"), default=Decimal("20000"), **MONEY)

    class Meta(TenantOwned.Meta):
        verbose_name = _("claims settings")
        verbose_name_plural = _("claims settings")
        constraints = [
            models.UniqueConstraint(fields=["org"], name="claim_settings_once_per_office"),
            models.CheckConstraint(
                condition=Q(limit_days__gte=models.F("target_days")), name="claim_limit_above_target"
            ),
        ]

    def __str__(self) -> str:
        return str(self.org)


@pghistory.track()
class OfficeDay(TenantOwned):
    """A day the office declares closed (a local holiday) or open (an extra working day), on top
    of the statutory calendar; the offices above it declare days for their whole tree."""

    day = models.DateField(_("date"))
    is_workday = models.BooleanField(_("working day"), default=False)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("office day")
        verbose_name_plural = _("office days")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["org", "day"], name="office_day_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.note}"


class CareType(models.TextChoices):
    INPATIENT = "inpatient", _("Inpatient stay")
    RADIOTHERAPY = "outpatient_radiotherapy", _("Outpatient radiotherapy")
    CHEMOTHERAPY = "outpatient_chemotherapy", _("Outpatient chemotherapy")
    DIALYSIS = "dialysis", _("Dialysis")
    CRITICAL_ILLNESS = "critical_illness", _("Critical illness")
    DEATH = "death", _("Death")
    OUTPATIENT = "outpatient", _("General outpatient care")
    OUTPATIENT_CHRONIC = "outpatient_chronic", _("Outpatient special and chronic diseases")
    ACCIDENT_MEDICAL = "accident_medical", _("Accident medical care")
    DISABILITY = "disability", _("Disability")
    ACCIDENTAL_DEATH = "accidental_death", _("Accidental death")
    WOMEN_SPECIAL_ILLNESS = "women_special_illness", _("Women workers' special illness")
    MATERNITY = "maternity", _("Maternity")


class ClaimStatus(models.TextChoices):
    INCOMPLETE = "incomplete", _("Documents incomplete")
    FIRST_REVIEW = "first_review", _("Awaiting first review")
    SECOND_REVIEW = "second_review", _("Awaiting second review")
    FINAL_REVIEW = "final_review", _("Awaiting compliance review")
    LEADER_REVIEW = "leader_review", _("Awaiting the leader (large claim)")
    APPROVED = "approved", _("Approved, awaiting payment")
    IN_BATCH = "in_batch", _("In a payment batch")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class CallbackOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Reached, satisfied")
    COMPLAINT = "complaint", _("Reached, has a complaint")
    NOT_REACHED = "not_reached", _("Not reached")


@pghistory.track(exclude=["diagnosis_cipher", "account_cipher"])
class Claim(TenantOwned):
    """One application for benefit by one member under one enrollment."""

    number = models.CharField(_("claim number"), max_length=24, unique=True)
    province_id = models.BigIntegerField(editable=False)
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.PROTECT, related_name="claims", verbose_name=_("enrollment")
    )
    period = models.ForeignKey("enrollment.Period", on_delete=models.PROTECT, related_name="+")
    review_office = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewing office")
    )
    # Who puts the approved claim in a payment batch and pays it: the reviewing office, or the city
    # above the unit paying for the office that pools the plan (Plan.claims_paid_by).
    pay_office = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("paying office")
    )
    # The person, copied from the enrollment so that lists need no join and the same person's
    # claims are found through the blind index.
    id_hash = models.BinaryField()
    name = models.CharField(_("full name"), max_length=50)
    id_masked = models.CharField(_("ID number"), max_length=18)

    care_type = models.CharField(_("kind of care"), max_length=24, choices=CareType.choices)
    admitted_on = models.DateField(_("admission or diagnosis date"))
    discharged_on = models.DateField(_("discharge date"), null=True, blank=True)
    hospital = models.CharField(_("hospital"), max_length=100)
    diagnosis_cipher = models.BinaryField()
    member_category = models.CharField(_("member category"), max_length=30, blank=True)
    severity = models.CharField(_("severity"), max_length=30, blank=True)
    illness_days = models.PositiveIntegerField(_("days of illness allowance"), default=0)

    # The hospital settlement statement (医疗费用结算单).
    total_cost = models.DecimalField(_("total cost"), **MONEY)
    insurance_paid = models.DecimalField(_("paid by basic medical insurance"), **MONEY)
    deductible_part = models.DecimalField(_("deductible (起付) part"), **MONEY)
    self_paid = models.DecimalField(_("self-paid by ratio"), **MONEY)
    not_covered = models.DecimalField(_("not covered"), **MONEY)
    # What other payers paid of the member's burden (their own papers), deducted where the plan
    # pays on the burden left after them, and never over-compensated.
    serious_illness_paid = models.DecimalField(
        _("paid by critical-illness insurance"), default=Decimal(0), db_default=Decimal(0), **MONEY
    )
    medical_assistance_paid = models.DecimalField(
        _("paid by medical assistance"), default=Decimal(0), db_default=Decimal(0), **MONEY
    )
    other_mutual_aid_paid = models.DecimalField(
        _("paid by another mutual-aid plan"), default=Decimal(0), db_default=Decimal(0), **MONEY
    )
    commercial_insurance_paid = models.DecimalField(
        _("paid by commercial insurance"), default=Decimal(0), db_default=Decimal(0), **MONEY
    )
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), default=0, db_default=0)
    # The amount the kind's ratios were paid on when the payout was last computed (its cumulative
    # threshold adds the earlier claims' bases); None for a kind paid without a base.
    benefit_base = models.DecimalField(_("benefit base"), null=True, blank=True, **MONEY)

    payee_name = models.CharField(_("payee"), max_length=50)
    bank_name = models.CharField(_("bank"), max_length=60)
    account_cipher = models.BinaryField()
    account_masked = models.CharField(_("account number"), max_length=40)

    status = models.CharField(_("status"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.INCOMPLETE)
    # Bumped by every change of state: a form carries the version it was drawn from, and an
    # action on an older version is refused (the other reviewer was first).
    version = models.PositiveIntegerField(default=1)

    payout = models.DecimalField(_("payout"), default=Decimal("0"), **MONEY)
    calculation = models.JSONField(default=list, blank=True)
    cap_left_after = models.DecimalField(null=True, blank=True, **MONEY)
    refused_reason = models.CharField(max_length=300, blank=True)
    schedule_version = models.PositiveIntegerField(default=0)
    flags = models.JSONField(default=list, blank=True)
    needs_leader = models.BooleanField(_("large claim"), default=False)
    # Who decides the level the claim waits at, when the office head or the supervisor handed it
    # to one person (claims/services/handoff.py): only while the claim still waits in
    # `assigned_status`; `assignee_overrides` when the office head decides it without the level's
    # role, because nobody who holds it may (an override with a written reason).
    assignee = models.ForeignKey(
        "mutualaid.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    assigned_status = models.CharField(max_length=16, choices=ClaimStatus.choices, blank=True)
    assignee_overrides = models.BooleanField(default=False)

    documents_complete_on = models.DateField(_("documents complete on"), null=True, blank=True)
    target_due_on = models.DateField(_("target date"), null=True, blank=True)
    limit_due_on = models.DateField(_("hard limit"), null=True, blank=True)
    reason = models.CharField(_("reason given to the member"), max_length=300, blank=True)

    batch = models.ForeignKey(
        "PaymentBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="claims", verbose_name=_("batch")
    )
    registered_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    callback_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    callback_outcome = models.CharField(
        _("callback outcome"), max_length=12, choices=CallbackOutcome.choices, blank=True
    )
    callback_note = models.CharField(_("callback note"), max_length=300, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-registered_at"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["id_hash", "period"], name="claim_person_period"),
            models.Index(fields=["review_office", "status"], name="claim_queue"),
            models.Index(fields=["pay_office", "status"], name="claim_pay_queue"),
            # The claims list, newest first: its first page read off the index, not by sorting the
            # hundreds of thousands of claims of a province.
            models.Index(fields=["-registered_at", "-id"], name="claim_newest"),
            # The claims still open in a tree (risk list, deadlines, the dashboard's counts): a
            # few hundred among the hundreds of thousands closed.
            models.Index(
                fields=["org_path"],
                name="claim_open_subtree",
                opclasses=["varchar_pattern_ops"],
                condition=~Q(status__in=[ClaimStatus.REJECTED, ClaimStatus.PAID]),
            ),
            # The claims paid in a month (dashboard turnaround, quarterly summary), with what the
            # turnaround reads of them, so that it is read from the index alone.
            models.Index(
                fields=["paid_on"],
                name="claim_paid_on_covering",
                include=["org_path", "review_office", "documents_complete_on"],
                condition=Q(status=ClaimStatus.PAID),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=models.F("admitted_on")),
                name="claim_discharge_after_admission",
            ),
            models.CheckConstraint(condition=Q(payout__gte=0), name="claim_payout_not_negative"),
            models.CheckConstraint(
                condition=Q(
                    total_cost=models.F("insurance_paid")
                    + models.F("deductible_part")
                    + models.F("self_paid")
                    + models.F("not_covered")
                ),
                name="claim_settlement_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def days_in_hospital(self) -> int:
        """Nights in hospital, as hospitals count them (admission and discharge the same day: 1)."""
        if self.discharged_on is None:
            return 0
        return max(1, (self.discharged_on - self.admitted_on).days)

    @property
    def paid_on_behalf(self) -> bool:
        """Paid by another office than the one that reviewed it: the city pays, for the office that
        pools the plan, a claim that office decided (its cost stays in that office's books)."""
        return self.pay_office_id != self.review_office_id

    @property
    def blocking_flags(self) -> list[dict[str, str]]:
        return [flag for flag in self.flags if flag.get("blocking")]

    @property
    def handed_to_id(self) -> int | None:
        """The one person who decides the level the claim waits at, if it was handed on (an
        assignment holds at the level it was made for only)."""
        return self.assignee_id if self.assignee_id is not None and self.assigned_status == self.status else None


class ClaimInvoice(TenantOwned):
    """An invoice number of a claim, searchable across the province for re-used invoices."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="invoices")
    province_id = models.BigIntegerField()
    number = models.CharField(_("invoice number"), max_length=40)

    class Meta(TenantOwned.Meta):
        indexes = [*TenantOwned.Meta.indexes, models.Index(fields=["province_id", "number"], name="invoice_lookup")]
        constraints = [models.UniqueConstraint(fields=["claim", "number"], name="invoice_once_per_claim")]

    def __str__(self) -> str:
        return self.number


class DocumentKind(models.TextChoices):
    DISCHARGE = "discharge", _("Discharge record")
    INVOICE = "invoice", _("Invoice")
    SETTLEMENT = "settlement", _("Settlement statement")
    DIAGNOSIS = "diagnosis", _("Diagnosis certificate")
    DEATH = "death", _("Death certificate")
    ID_CARD = "id_card", _("ID card copy")
    BANK_CARD = "bank_card", _("Bank card copy")
    OTHER = "other", _("Other")


@pghistory.track(exclude=["file"])
class ClaimDocument(TenantOwned):
    """A scanned document of a claim, stored encrypted."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    file = models.FileField(upload_to="claims/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class PendingUpload(TenantOwned):
    """A scan sent with a registration form that was then refused, kept (encrypted, checked as any
    scan) for that form only: its uploader and office, and the form's draft id. Attached when the
    form is finally accepted, removed when the clerk unticks it or after a day."""

    draft = models.UUIDField()
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    file = models.FileField(upload_to="claims/pending/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("mutualaid.User", on_delete=models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("pending scan")
        verbose_name_plural = _("pending scans")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Level(models.TextChoices):
    INTAKE = "intake", _("Intake")
    FIRST = "first", _("First review")
    SECOND = "second", _("Second review")
    FINAL = "final", _("Compliance review")
    LEADER = "leader", _("Leader approval")
    PAYMENT = "payment", _("Payment")
    # Handing a level to another person decides nothing: it does not count as acting at a level.
    HANDOFF = "handoff", _("Hand-off")


class StepAction(models.TextChoices):
    REGISTER = "register", _("Registered")
    AMEND = "amend", _("Figures changed")
    DOCUMENTS = "documents", _("Documents added")
    # A figure, a document or the payee changed after a pass: the claim starts the review again
    # at the first level, and the passes before this step no longer count (claims/services/_shared.py).
    REOPEN = "reopen", _("Sent back to first review")
    PASS = "pass", _("Passed")
    RETURN = "return", _("Returned for documents")
    REJECT = "reject", _("Rejected")
    BATCH = "batch", _("Put in a payment batch")
    PAID = "paid", _("Paid")
    CALLBACK = "callback", _("Phone callback")
    REASSIGN = "reassign", _("Handed to another person")
    # Nobody who holds the level's role may decide it: the office head does, with a written reason.
    OVERRIDE = "override", _("Decided by the office head (override)")


class ClaimStep(TenantOwned):
    """What happened to a claim, by whom, at which level: the history on the claim page and the
    record that keeps one person from acting at two levels of the same claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="steps")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    action = models.CharField(_("action"), max_length=10, choices=StepAction.choices)
    actor = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    # Long enough for an amendment's every old → new figure and invoice.
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta(TenantOwned.Meta):
        ordering = ["at", "pk"]
        indexes = [*TenantOwned.Meta.indexes, models.Index(fields=["claim", "actor"], name="claimstep_actor")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.level} {self.action}"


class BatchStatus(models.TextChoices):
    """What has become of a batch's claims (derived from them, never stored): the payment itself,
    its approval, transfer and booking, is finance's (finance.PaymentRequest)."""

    OPEN = "open", _("Awaiting payment")
    PAID = "paid", _("Paid")


@pghistory.track()
class PaymentBatch(TenantOwned):
    """Approved claims of the paying office gathered to be paid by one bank transfer. Claims owns
    the batch and its claims; finance owns the batch's payment (approval in layers, the transfer
    file sent to the bank, the bank's payment booked), and settles the claims through
    `claims.services.payment.batch_settle` when the bank has paid."""

    number = models.CharField(_("batch number"), max_length=24, unique=True)
    claim_count = models.PositiveIntegerField(_("claims"), default=0)
    total = models.DecimalField(_("total"), default=Decimal("0"), **MONEY)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class CheckOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed: the papers match the hospital's records")
    DISCREPANCY = "discrepancy", _("Discrepancy found")
    NOT_VERIFIED = "not_verified", _("Could not be verified")


@pghistory.track()
class HospitalCheck(TenantOwned):
    """A visit to the hospital to verify a claim (查勘): who went, when, where and what they
    found, with the scans they brought back. Owned like the claim, so whoever sees the claim sees
    its checks (the agent point the office entrusted with the visit included)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="hospital_checks")
    checked_on = models.DateField(_("date of the visit"))
    checker = models.CharField(_("who went"), max_length=100)
    place = models.CharField(_("where"), max_length=150)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CheckOutcome.choices)
    findings = models.CharField(_("findings"), max_length=1000)
    recorded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("hospital check")
        verbose_name_plural = _("hospital checks")
        ordering = ["checked_on", "pk"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.checked_on}"


@pghistory.track(exclude=["file"])
class HospitalCheckDocument(TenantOwned):
    """A scan brought back from a hospital check, stored encrypted as a claim's documents are."""

    hospital_check = models.ForeignKey(HospitalCheck, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    file = models.FileField(upload_to="claims/checks/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["org_path"], name="checkdoc_subtree", opclasses=["varchar_pattern_ops"])]
        verbose_name = _("hospital check scan")
        verbose_name_plural = _("hospital check scans")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


@pghistory.track()
class Recheck(TenantOwned):
    """A re-check of paid claims (理赔回头看): an office above (`drawn_by_office`) draws a sample of
    the claims an office below it (`target`, its subtree) paid in a span of payment dates: every
    claim with a risk flag or a leader's approval, and `size` others drawn at random with `seed`,
    kept so that anyone can draw the same sample again. Owned by the office re-checked (`org` is
    `target`), so that it reads the findings on its claims and the offices above it read them
    too; only an office above it records them."""

    target = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("office re-checked")
    )
    drawn_by_office = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("drawn by office")
    )
    paid_from = models.DateField(_("paid from"))
    paid_to = models.DateField(_("paid to"))
    size = models.PositiveSmallIntegerField(_("claims drawn at random"))
    seed = models.BigIntegerField(_("random seed"))
    with_flagged = models.BooleanField(_("every claim with a risk flag"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    drawn_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("re-check of paid claims")
        verbose_name_plural = _("re-checks of paid claims")
        ordering = ["-drawn_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(paid_to__gte=models.F("paid_from")), name="recheck_span_forward"),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.paid_from}–{self.paid_to}"


class SampleReason(models.TextChoices):
    RANDOM = "random", _("Drawn at random")
    FLAGGED = "flagged", _("Risk flag or large claim")


class RecheckFinding(models.TextChoices):
    PENDING = "pending", _("Not reviewed yet")
    CORRECT = "correct", _("Correct")
    OVERPAID = "overpaid", _("Overpaid: to be recovered")
    UNDERPAID = "underpaid", _("Underpaid")
    IRREGULAR = "irregular", _("Procedure not followed")


@pghistory.track()
class RecheckItem(TenantOwned):
    """One sampled claim and what the re-check found."""

    recheck = models.ForeignKey(Recheck, on_delete=models.CASCADE, related_name="items")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="rechecks")
    reason = models.CharField(_("why sampled"), max_length=8, choices=SampleReason.choices)
    finding = models.CharField(
        _("finding"), max_length=10, choices=RecheckFinding.choices, default=RecheckFinding.PENDING
    )
    overpaid = models.DecimalField(_("overpaid amount"), default=Decimal(0), **MONEY)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("claim re-checked")
        ordering = ["claim__paid_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["recheck", "claim"], name="recheck_claim_once"),
            models.CheckConstraint(
                condition=Q(overpaid__gt=0, finding="overpaid") | Q(overpaid=0) & ~Q(finding="overpaid"),
                name="recheck_overpaid_amount_with_finding",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recheck_id} {self.claim_id}"

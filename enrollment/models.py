"""Plans, their periods, member lists, policies and enrollments.

Plans and periods belong to the office that pools the fund (the province or a city); lists,
policies and enrollments belong to the unit. ID and phone numbers are stored encrypted, with a
blind index for exact matching (mutualaid/pii.py).
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrollment.routing import ClaimsPaidBy, ClaimsReviewedBy
from mutualaid.models import UnitType
from mutualaid.money import MONEY
from mutualaid.tenancy import TenantOwned


class PlanKind(models.TextChoices):
    INPATIENT = "inpatient", _("Inpatient medical")
    WOMEN = "women", _("Women workers' special diseases")
    CRITICAL = "critical", _("Critical illness")
    ACCIDENT = "accident", _("Accident injury")
    ALLOWANCE_CRITICAL = "allowance_critical", _("Allowance and critical illness")
    CHILD_ACCIDENT = "child_accident", _("Children's accident")


class SubsidyKind(models.TextChoices):
    NONE = "none", _("No subsidy")
    FIXED = "fixed", _("Fixed amount per member")
    STAGED = "staged", _("Staged by enrollment date")


class EmploymentStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    RETIRED = "retired", _("Retired")
    FLEXIBLE = "flexible", _("Flexible employment")


class RetirementLimit(models.TextChoices):
    """Members must be below the statutory retirement age on the period's first day, raised
    gradually from 2025 (enrollment/eligibility.py); women's age before the raise is 50 for
    workers and 55 for cadres, so the office says which its plan goes by."""

    NONE = "", _("No limit by the retirement age")
    WOMEN_50 = "women_50", _("Statutory retirement age (women from 50)")
    WOMEN_55 = "women_55", _("Statutory retirement age (women from 55)")


@pghistory.track()
class Plan(TenantOwned):
    """A protection plan (保障项目) offered by the office that pools its fund."""

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=24, choices=PlanKind.choices)
    description = models.TextField(_("description"), blank=True)
    exclusive_with = models.ManyToManyField(
        "self", verbose_name=_("mutually exclusive with"), blank=True, symmetrical=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    # A children's plan (子女意外伤害) insures members' children: each row is a child with their own
    # ID number, the relationship and the parent member, who must be enrolled through the unit.
    insures_children = models.BooleanField(_("insures members' children"), default=False)
    # Claims routing: who reviews and pays this plan's claims, and from which payout a leader
    # must approve as well (大额理赔); None: no leader approval.
    claims_reviewed_by = models.CharField(
        _("claims reviewed by"), max_length=12, choices=ClaimsReviewedBy.choices, default=ClaimsReviewedBy.CITY
    )
    claims_paid_by = models.CharField(
        _("claims paid by"), max_length=12, choices=ClaimsPaidBy.choices, default=ClaimsPaidBy.REVIEWER
    )
    large_claim_amount = models.DecimalField(_("leader approval from this payout"), null=True, blank=True, **MONEY)

    class Meta(TenantOwned.Meta):
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="plan_name_unique_per_office")]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Period(TenantOwned):
    """A plan's period (保障年度) with its rules. Frozen once a policy is issued under it."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="periods", verbose_name=_("plan"))
    label = models.CharField(_("label"), max_length=40)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    premium_per_share = models.DecimalField(_("premium per share"), **MONEY)
    max_shares = models.PositiveSmallIntegerField(_("maximum shares"), default=1, validators=[MinValueValidator(1)])
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=16)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), default=65)
    requires_basic_insurance = models.BooleanField(_("basic medical insurance required"), default=True)
    # Who may join besides the ages above: one gender only (the women workers' plan), a lower
    # maximum age for one gender, the statutory retirement age, some employment statuses (the
    # list then asks for each member's), some types of unit. Empty: no such limit.
    gender = models.CharField(
        _("gender of the members"),
        max_length=1,
        blank=True,
        default="",
        choices=[("", _("Women and men")), ("F", _("Women only")), ("M", _("Men only"))],
    )
    max_age_female = models.PositiveSmallIntegerField(_("maximum age of women"), null=True, blank=True)
    max_age_male = models.PositiveSmallIntegerField(_("maximum age of men"), null=True, blank=True)
    retirement_limit = models.CharField(
        _("limit by the retirement age"), max_length=8, choices=RetirementLimit.choices, blank=True, default=""
    )
    employment_statuses = ArrayField(
        models.CharField(max_length=10, choices=EmploymentStatus.choices),
        verbose_name=_("employment statuses that may join"),
        default=list,
        blank=True,
    )
    unit_types = ArrayField(
        models.CharField(max_length=8, choices=UnitType.choices),
        verbose_name=_("types of unit that may join"),
        default=list,
        blank=True,
    )
    min_participation = models.DecimalField(
        _("minimum participation ratio of a unit"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.750"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    waiting_days = models.PositiveSmallIntegerField(_("waiting period in days"), default=0)
    subsidy_kind = models.CharField(_("subsidy"), max_length=8, choices=SubsidyKind.choices, default=SubsidyKind.NONE)
    subsidy_amount = models.DecimalField(_("subsidy per member"), default=Decimal("0"), **MONEY)
    # Staged subsidy: [{"until": "2026-07-31", "amount": "30.00"}, ...] in date order.
    subsidy_stages = models.JSONField(_("subsidy stages"), default=list, blank=True)
    unit_ratio = models.DecimalField(
        _("share of the premium paid by the unit"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="period_ends_after_start"),
            models.CheckConstraint(condition=Q(max_age__gte=models.F("min_age")), name="period_age_range"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.name} {self.label}"


class ListStatus(models.TextChoices):
    VALIDATING = "validating", _("Being checked")
    INVALID = "invalid", _("Has errors")
    VALID = "valid", _("Checked, ready to submit")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Could not be read")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded by its correction")


class ListKind(models.TextChoices):
    INITIAL = "initial", _("Initial list")
    SUPPLEMENTARY = "supplementary", _("Supplementary list")
    RENEWAL = "renewal", _("Renewal")


# The lists someone has still to act on: correct, submit or approve.
LIST_WAITING = [ListStatus.INVALID, ListStatus.VALID, ListStatus.SUBMITTED]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.ManualEvent("list_downloaded"),  # type: ignore[no-untyped-call] # pghistory leaves its __init__ unannotated
    exclude=["progress"],
)
class MemberList(TenantOwned):
    """A member list (参保人员名单) uploaded by a unit for one period; nothing of it becomes an
    enrollment until an office approves it."""

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period"))
    kind = models.CharField(_("kind"), max_length=16, choices=ListKind.choices, default=ListKind.INITIAL)
    status = models.CharField(_("status"), max_length=12, choices=ListStatus.choices, default=ListStatus.VALIDATING)
    file = models.FileField(upload_to="member_lists/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    file_sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    progress = models.PositiveSmallIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    error_row_count = models.PositiveIntegerField(default=0)
    # Problems of the whole list (participation ratio, unreadable file), and per cell.
    list_problems = models.JSONField(default=list, blank=True)
    cell_problems = models.JSONField(default=list, blank=True)
    passed_only = models.BooleanField(_("only the rows that passed"), default=False)
    # Approval counters of the province (by kind of plan) when the list was checked.
    checked_versions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=300, blank=True)
    policy = models.ForeignKey("Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="lists")
    # A list withdrawn before approval (by its uploader or the office) counts nowhere; it keeps
    # its file and report, and can be copied into a new upload (copy_of on the copy).
    withdrawn_by = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for the withdrawal"), max_length=300, blank=True)
    copy_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="copies", verbose_name=_("copy of")
    )
    # A correction names the list it corrects; its approval supersedes that list (superseded_by).
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("corrects")
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("superseded by")
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("member list")
        verbose_name_plural = _("member lists")
        ordering = ["-created_at"]
        indexes = [
            *TenantOwned.Meta.indexes,
            # The lists that wait for someone in a tree (the home page's counts): a handful among
            # the tens of thousands a province approves over the years.
            models.Index(
                fields=["org_path"],
                name="member_list_waiting_subtree",
                opclasses=["varchar_pattern_ops"],
                condition=Q(status__in=LIST_WAITING),
            ),
        ]
        constraints = [
            # A withdrawn list does not hold its file: the same workbook may be uploaded again.
            models.UniqueConstraint(
                fields=["org", "period", "file_sha256"],
                condition=~Q(status="withdrawn"),
                name="member_list_same_file_once",
            ),
            models.CheckConstraint(condition=~Q(corrects=models.F("id")), name="member_list_not_its_own_correction"),
        ]

    def __str__(self) -> str:
        return self.original_name


class ListRow(TenantOwned):
    """A checked row of a member list, held until the list is approved or rejected."""

    # Staging rows live between a check and its approval; the list and unit they belong to are
    # written by the same service a moment earlier, so the per-row foreign-key checks (200,000
    # for a large list) are left out, and lookups go through the (list, row) unique index.
    org = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    member_list = models.ForeignKey(
        MemberList, on_delete=models.CASCADE, related_name="rows", db_constraint=False, db_index=False
    )
    row_number = models.PositiveIntegerField()
    ok = models.BooleanField()
    name = models.CharField(max_length=50)
    id_cipher = models.BinaryField(null=True)
    id_hash = models.BinaryField(null=True)
    id_masked = models.CharField(max_length=18, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    birth_date = models.DateField(null=True)
    phone_cipher = models.BinaryField(null=True)
    phone_tail_hash = models.BinaryField(null=True)  # see Enrollment.phone_tail_hash
    shares = models.PositiveSmallIntegerField(null=True)
    remarks = models.CharField(max_length=200, blank=True)
    employment_status = models.CharField(max_length=10, blank=True, default="")
    # A children's plan: the parent member's blind index and name (the child is the row's person).
    parent_id_hash = models.BinaryField(null=True)
    parent_name = models.CharField(max_length=50, blank=True, default="")

    class Meta(TenantOwned.Meta):
        constraints = [models.UniqueConstraint(fields=["member_list", "row_number"], name="list_row_once")]


class ApprovalWatermark(models.Model):
    """Counts approvals per province and kind of plan. A list checked at version N and approved
    while the counter is still N cannot meet anyone enrolled since its check, so its approval
    need not search the province again (services.member_list_approve, under the same lock)."""

    province_id = models.BigIntegerField()
    plan_kind = models.CharField(max_length=24)
    version = models.BigIntegerField(default=0)

    objects = models.Manager()  # holds no tenant data: counters only, read under an advisory lock

    class Meta:
        constraints = [models.UniqueConstraint(fields=["province_id", "plan_kind"], name="watermark_once")]

    def __str__(self) -> str:
        return f"{self.province_id}/{self.plan_kind}: {self.version}"


class PolicySequence(models.Model):
    """Gap-free policy numbers per office and year: the row is locked while a number is taken."""

    office = models.ForeignKey("mutualaid.Organisation", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    objects = models.Manager()  # holds no tenant data: counters only, read under a row lock

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="policy_sequence_once")]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last_value}"


@pghistory.track()
class Policy(TenantOwned):
    """A unit's policy (保单) for one plan period, issued when an office approves its list."""

    number = models.CharField(_("policy number"), max_length=40, unique=True)
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period"))
    issued_by_office = models.ForeignKey("mutualaid.Organisation", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    member_count = models.PositiveIntegerField(_("members"), default=0)
    share_count = models.PositiveIntegerField(_("shares"), default=0)
    premium = models.DecimalField(_("premium"), default=Decimal("0"), **MONEY)
    member_part = models.DecimalField(_("paid by members"), default=Decimal("0"), **MONEY)
    unit_part = models.DecimalField(_("paid by the unit"), default=Decimal("0"), **MONEY)
    union_part = models.DecimalField(_("union subsidy"), default=Decimal("0"), **MONEY)
    levels_part = models.DecimalField(
        _("union levels' subsidies"), default=Decimal("0"), db_default=Decimal("0"), **MONEY
    )
    # The highest member (card) number given on this policy: the next list's members are
    # numbered after it, so a number is never given twice, even after a cancellation.
    last_member_number = models.PositiveIntegerField(default=0, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["org", "period"], name="one_policy_per_unit_and_period")]

    def __str__(self) -> str:
        return self.number


@pghistory.track()
class Endorsement(TenantOwned):
    """An endorsement (批单): a supplementary list approved into a policy already issued. It has
    its own number, takes effect on the day of its approval, and its members and premium count in
    that month (finance and reporting), not in the policy's month of issue."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="endorsements", verbose_name=_("policy"))
    member_list = models.OneToOneField(
        MemberList, on_delete=models.PROTECT, related_name="endorsement", verbose_name=_("member list")
    )
    sequence = models.PositiveSmallIntegerField()
    number = models.CharField(_("endorsement number"), max_length=48, unique=True)
    effective_on = models.DateField(_("effective from"))
    premium_month = models.DateField(_("premium month"))
    member_count = models.PositiveIntegerField(_("members"), default=0)
    share_count = models.PositiveIntegerField(_("shares"), default=0)
    premium = models.DecimalField(_("premium"), default=Decimal("0"), **MONEY)
    member_part = models.DecimalField(_("paid by members"), default=Decimal("0"), **MONEY)
    unit_part = models.DecimalField(_("paid by the unit"), default=Decimal("0"), **MONEY)
    union_part = models.DecimalField(_("union subsidy"), default=Decimal("0"), **MONEY)
    levels_part = models.DecimalField(
        _("union levels' subsidies"), default=Decimal("0"), db_default=Decimal("0"), **MONEY
    )
    first_member_number = models.PositiveIntegerField(_("first member number"), default=0)
    last_member_number = models.PositiveIntegerField(_("last member number"), default=0)
    issued_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    # A correction's endorsement also ends the members of the list it supersedes who are not on
    # the correction, and corrects in place those who are: `premium` (and its parts) is then the
    # net change, negative when more premium ends than is added, so the money already issued is
    # never rewritten, only changed by this endorsement in its own month.
    ended_count = models.PositiveIntegerField(_("members ended"), default=0)
    ended_premium = models.DecimalField(_("premium ended"), default=Decimal("0"), **MONEY)
    corrected_count = models.PositiveIntegerField(_("members corrected"), default=0)

    class Meta(TenantOwned.Meta):
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        ordering = ["policy_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "sequence"], name="endorsement_sequence_once_per_policy"),
            models.CheckConstraint(
                condition=Q(last_member_number__gte=models.F("first_member_number")), name="endorsement_number_range"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


# Insertions are traceable through the approved list and its policy (both tracked) and the row
# number each enrollment keeps; a per-row insert trigger would double the cost of the COPY that
# stores a 100,000-row list. Every later change (cancellation, correction) is tracked.
@pghistory.track(
    pghistory.UpdateEvent(),
    pghistory.ManualEvent("id_revealed"),  # type: ignore[no-untyped-call] # pghistory leaves its __init__ unannotated
    exclude=["id_cipher", "phone_cipher", "phone_tail_hash"],
)
class Enrollment(TenantOwned):
    """One person's enrollment in one plan period through their unit."""

    province_id = models.BigIntegerField(editable=False)
    # Lookups by period and by policy are served by the composite indexes below; every index
    # less is time saved when a 100,000-row list is stored.
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="+", verbose_name=_("period"), db_index=False
    )
    plan_kind = models.CharField(max_length=24, choices=PlanKind.choices)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="enrollments", db_index=False)
    # Where the row came from; approved lists are never deleted, so no database check per row.
    member_list = models.ForeignKey(
        MemberList, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    # Scoped lookups use org_path's index, a unit's members the policy index.
    org = models.ForeignKey("mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False)
    # The row of the uploaded workbook, to trace a member back to the list a person sent.
    row_number = models.PositiveIntegerField()
    # The member's number on the policy, printed on the card (policy number + five digits):
    # unique on the policy and never reused (Policy.last_member_number). Required by a check
    # rather than NOT NULL: the history table mirrors the column and keeps rows from before it.
    number = models.PositiveIntegerField(_("member number"), null=True)
    name = models.CharField(_("name"), max_length=50)
    id_cipher = models.BinaryField()
    id_hash = models.BinaryField()
    id_masked = models.CharField(_("ID number"), max_length=18)
    gender = models.CharField(_("gender"), max_length=1)
    birth_date = models.DateField(_("birth date"))
    phone_cipher = models.BinaryField(null=True)
    # The blind index of the phone's last four digits (`pii.phone_tail_index`): staff find a member
    # by what a caller reads out, and nothing of the number is stored in clear.
    phone_tail_hash = models.BinaryField(null=True)
    shares = models.PositiveSmallIntegerField(_("shares"))
    employment_status = models.CharField(
        _("employment status"), max_length=10, choices=EmploymentStatus.choices, blank=True, default=""
    )
    # A child insured under a children's plan: the parent member it is insured through.
    parent_id_hash = models.BinaryField(null=True)
    parent_name = models.CharField(_("parent member"), max_length=50, blank=True, default="")
    starts_on = models.DateField(_("covered from"))
    ends_on = models.DateField(_("covered until"))
    premium = models.DecimalField(_("premium"), **MONEY)
    member_part = models.DecimalField(**MONEY)
    unit_part = models.DecimalField(**MONEY)
    union_part = models.DecimalField(**MONEY)
    levels_part = models.DecimalField(default=Decimal("0"), db_default=Decimal("0"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        indexes = [
            *TenantOwned.Meta.indexes,
            # A person's cancelled enrollments; the active ones are found through the unique index
            # below. Two partial indexes instead of one full one: storing a list touches only one.
            models.Index(fields=["id_hash"], condition=Q(status="cancelled"), name="enrollment_person_cancelled"),
            models.Index(fields=["phone_tail_hash"], name="enrollment_phone_tail"),
            # The member search finds names containing what was typed (`LIKE '%…%'`): the trigrams of
            # the names (pg_trgm) find a rare name among a province's millions without reading them.
            GinIndex(fields=["name"], name="enrollment_name_trigrams", opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            # A member's card number is theirs alone on the policy; the index also serves the
            # policy's members in order.
            models.UniqueConstraint(fields=["policy", "number"], name="member_number_once_per_policy"),
            models.CheckConstraint(condition=Q(number__isnull=False), name="enrollment_has_member_number"),
            # One active enrollment per person, plan and period, whoever uploads it. Overlaps
            # with another plan of the same kind, or with a plan declared mutually exclusive,
            # are refused by approval under a lock per province and kind of plan (services).
            models.UniqueConstraint(
                fields=["id_hash", "period"],
                condition=Q(status="active"),
                name="one_active_enrollment_per_person_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id_masked}"


@pghistory.track()
class RenewalSettings(TenantOwned):
    """How many days before a period ends an office sends its units the renewal notice (续保通知)."""

    days_before = models.PositiveSmallIntegerField(
        _("days before the period ends"), default=30, validators=[MinValueValidator(1), MaxValueValidator(180)]
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("renewal notice settings")
        constraints = [models.UniqueConstraint(fields=["org"], name="renewal_settings_once_per_office")]
        indexes = [
            models.Index(fields=["org_path"], name="renewal_settings_subtree", opclasses=["varchar_pattern_ops"])
        ]


@pghistory.track(exclude=["phone_cipher"])
class UnitContact(TenantOwned):
    """The person at a unit who receives the unit's notices (the renewal notice); `org` is the unit."""

    name = models.CharField(_("contact person"), max_length=50)
    phone_cipher = models.BinaryField()
    phone_masked = models.CharField(_("phone"), max_length=20)
    updated_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("unit contact person")
        constraints = [models.UniqueConstraint(fields=["org"], name="unit_contact_once_per_unit")]


# Subsidies from several union levels live in enrollment/subsidymodels.py, and the print jobs in
# enrollment/jobmodels.py, loaded with these models.
from enrollment.jobmodels import CardPrintJob, JobStatus, PrintedDocument  # noqa: E402
from enrollment.subsidymodels import PeriodSubsidy, SubsidyShare, UnionLevel  # noqa: E402

__all__ = ["CardPrintJob", "JobStatus", "PeriodSubsidy", "PrintedDocument", "SubsidyShare", "UnionLevel"]

"""Reporting: annual targets, and the frozen monthly snapshots that go up the tree.

A snapshot is the month's figures of one office as computed at one moment, with the rules
version and a checksum of its inputs: computing the same closed month again gives the same
checksum and so the same snapshot (no new row); a correction after submission is a new revision
with a reason, and the earlier revision stays readable.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualaid.money import MONEY, MONEY_TOTAL
from mutualaid.tenancy import TenantOwned


@pghistory.track()
class Target(TenantOwned):
    """An annual target an office sets for one of its child offices or units and one plan."""

    target_org = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("for")
    )
    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    year = models.PositiveSmallIntegerField(_("year"))
    people = models.PositiveIntegerField(_("people"), null=True, blank=True)
    premium = models.DecimalField(_("premium"), null=True, blank=True, **MONEY_TOTAL)
    coverage_rate = models.DecimalField(
        _("coverage rate of union members"), max_digits=5, decimal_places=4, null=True, blank=True
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["target_org", "plan", "year"], name="one_target_per_node_plan_year"),
            models.CheckConstraint(
                condition=Q(people__isnull=False) | Q(premium__isnull=False) | Q(coverage_rate__isnull=False),
                name="target_sets_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_org_id} {self.year}"


class SnapshotKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly overview")
    QUARTERLY_CLAIMS = "quarterly_claims", _("Quarterly claims summary")


class Snapshot(TenantOwned):
    """One office's figures for a closed month (or quarter), frozen; never updated."""

    kind = models.CharField(_("kind"), max_length=16, choices=SnapshotKind.choices)
    period_start = models.DateField(_("period"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    figures = models.JSONField()
    rules_version = models.CharField(max_length=20)
    checksum = models.CharField(max_length=64)
    reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # How fast the month's claims were paid (reporting.turnaround) as it stood at the roll-up of a
    # monthly snapshot: the leaders' dashboard of a rolled-up month shows it as submitted instead of
    # reading the month's paid claims again. Not part of `figures` nor of their checksum; None for
    # the quarterly kind and for snapshots stored before it was kept (their dashboard counts).
    turnaround = models.JSONField(null=True, blank=True, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-period_start", "org_path", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "period_start", "revision"], name="snapshot_revision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.period_start:%Y-%m} r{self.revision}"


class ExportKind(models.TextChoices):
    OVERVIEW_XLSX = "overview_xlsx", _("Monthly overview (xlsx)")
    OVERVIEW_PDF = "overview_pdf", _("Monthly overview (PDF)")
    RANKINGS_XLSX = "rankings_xlsx", _("Rankings (xlsx)")
    RANKINGS_PDF = "rankings_pdf", _("Rankings (PDF)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def export_upload_to(instance: ExportJob, filename: str) -> str:
    """One folder per job, so what an interrupted attempt left behind is found and removed."""
    return f"reports/{instance.pk}/{filename}"


@pghistory.track(exclude=["progress"])
class ExportJob(TenantOwned):
    """An overview or rankings export prepared in the background for one office.

    `attempt` is bumped by every run that claims the job: a run only moves the job on while the
    attempt is still its own, so a run cut off half-way (a killed worker whose task is delivered
    again) is simply superseded, and the job ends with the file of the last attempt only.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ExportKind.choices)
    params = models.JSONField(default=dict)
    title = models.CharField(_("export"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=0)
    # No personal data in these figures (counts and amounts by office), so stored plain.
    file = models.FileField(upload_to=export_upload_to, blank=True, max_length=200)
    filename = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_is_a_percentage"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in {ExportStatus.DONE, ExportStatus.FAILED}


@pghistory.track()
class Proposal(TenantOwned):
    """A draft of a plan's next period (方案): its benefit schedule as the engine's data, its premium
    per share and its subsidy. It is drafted from a period of the plan and never touches that
    period: only adopting it creates a period, the next one, from it. `org` is the office that runs
    the plan; `version` goes up with each edit, so a simulation says which draft it measured."""

    plan = models.ForeignKey("enrollment.Plan", on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    base_period = models.ForeignKey(
        "enrollment.Period", on_delete=models.PROTECT, related_name="+", verbose_name=_("drafted from")
    )
    name = models.CharField(_("name"), max_length=60)
    note = models.CharField(_("note"), max_length=300, blank=True)
    rules = models.JSONField(_("rules"))
    premium_per_share = models.DecimalField(_("premium per share"), **MONEY)
    subsidy_kind = models.CharField(_("subsidy"), max_length=8, default="none")
    subsidy_amount = models.DecimalField(_("subsidy per member"), default=Decimal("0"), **MONEY)
    subsidy_stages = models.JSONField(_("subsidy stages"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The decision (集体研究) that adopted it, and what it made.
    adopted_period = models.OneToOneField(
        "enrollment.Period", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adopted_meeting = models.CharField(_("meeting"), max_length=100, blank=True)
    adopted_on = models.DateField(_("decided on"), null=True, blank=True)
    adopted_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    adopted_run = models.ForeignKey("SimulationRun", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta(TenantOwned.Meta):
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="proposal_name_once_per_plan"),
            models.CheckConstraint(condition=Q(premium_per_share__gt=0), name="proposal_premium_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def adopted(self) -> bool:
        return self.adopted_period_id is not None


class SimulationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


@pghistory.track(exclude=["progress"])
class SimulationRun(TenantOwned):
    """One re-run of past periods' claims and enrollments under a proposal (reporting/simulation.py).

    Claimed and finished like the exports (`attempt`, reporting/jobs.py): the result is written
    once, with the status done, by the attempt that still owns the run, so a run killed half-way
    never shows a partial result; while one runs for a proposal a second is refused (constraint)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="runs", verbose_name=_("proposal"))
    proposal_version = models.PositiveIntegerField()
    periods = models.JSONField(_("periods"), default=list)
    years = models.PositiveSmallIntegerField(_("years projected"), default=3)
    status = models.CharField(
        _("status"), max_length=8, choices=SimulationStatus.choices, default=SimulationStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("simulation")
        verbose_name_plural = _("simulations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org_path"], name="simulation_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(status__in=["queued", "running"]),
                name="one_running_simulation_per_proposal",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="simulation_progress_is_a_percentage"),
            models.CheckConstraint(condition=Q(years__gte=1) & Q(years__lte=3), name="simulation_years_1_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in {SimulationStatus.DONE, SimulationStatus.FAILED}


class MonthFigure(TenantOwned):
    """The running figures of one node's subtree (the node and everything under it), one plan
    period and one month: the people, shares and premium taken on in the month (by the approval's
    business date, Asia/Shanghai, as `Enrollment.created_at`) and the claims paid in it (by
    `Claim.paid_on`). Every node above a row holds it: the province, its city, the county, the
    unit.

    Kept by the database itself, in the transaction of every write to the enrollments and the
    claims (statement triggers with transition tables, reporting/migrations/0003): a list
    approved, an endorsement, a withdrawal, a claims batch paid, a retention run or a hand
    correction each move the figures of every node above the rows they changed, by the rows they
    changed, and a row left all zero is removed. The overview, the dashboard and the pull API read
    a node's row and its children's (`parent_path`) instead of the millions of enrollments under
    it, so the current month answers as fast as a rolled-up one. `reporting.running` rebuilds
    them from the rows, and every roll-up checks them against its full recomputation
    (reporting/migrations/0006 added the active members' premium and the callbacks' outcomes, 0007
    the union levels' part of that premium).
    """

    # The path of the node's parent ('' for the province): a node's children are one index lookup.
    parent_path = models.CharField(max_length=255, editable=False)
    period = models.ForeignKey("enrollment.Period", on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField()
    people = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)
    premium = models.DecimalField(default=0, **MONEY_TOTAL)
    claims = models.BigIntegerField(default=0)
    paid = models.DecimalField(default=0, **MONEY_TOTAL)
    # The premium of the members taken on in the month who are still active: what the offices
    # below owe in their remittance reports (a cancellation moves it, not `premium`).
    premium_active = models.DecimalField(default=0, **MONEY_TOTAL)
    # The union levels' part of that premium (theirs to pay, not the office's to remit): what an
    # office below owes is `premium_active` less this (reporting/migrations/0007).
    levels_part_active = models.DecimalField(default=0, **MONEY_TOTAL)
    # The claims paid in the month by the outcome of their phone callback (回访) so far; those not
    # called yet are `claims` less the three.
    callbacks_satisfied = models.BigIntegerField(default=0)
    callbacks_complaint = models.BigIntegerField(default=0)
    callbacks_not_reached = models.BigIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        verbose_name = _("running monthly figure")
        verbose_name_plural = _("running monthly figures")
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["parent_path", "month"], name="month_figure_children"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["org_path", "period", "month"], name="month_figure_once"),
        ]

    def __str__(self) -> str:
        return f"{self.org_path} {self.period_id} {self.month:%Y-%m}"


class FindingSource(models.TextChoices):
    INSPECTION = "inspection", _("Inspection by the office above")
    INTERNAL_AUDIT = "internal_audit", _("Internal audit")
    EXTERNAL_AUDIT = "external_audit", _("External audit")
    LEAVING_AUDIT = "leaving_audit", _("Audit of a leader leaving office")
    SELF_CHECK = "self_check", _("Self-check")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RECTIFIED = "rectified", _("Rectified, awaiting verification")
    CLOSED = "closed", _("Verified and closed")


@pghistory.track()
class AuditFinding(TenantOwned):
    """A problem found by an inspection or an audit (检查/审计发现) in an office (`org`), with the
    person who must rectify it (`owner`, required) by `deadline`: the rectification ledger
    (整改台账). The owner reports it rectified with evidence; someone else verifies and closes it."""

    source = models.CharField(_("found by"), max_length=16, choices=FindingSource.choices)
    title = models.CharField(_("finding"), max_length=200)
    detail = models.CharField(_("details"), max_length=2000, blank=True)
    owner = models.ForeignKey(
        "mutualaid.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible person")
    )
    deadline = models.DateField(_("rectify by"))
    status = models.CharField(_("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    rectification = models.CharField(_("what was done"), max_length=2000, blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "mutualaid.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    raised_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["status", "deadline", "pk"]

    def __str__(self) -> str:
        return self.title


class FindingEvidence(TenantOwned):
    """A file that shows a finding rectified, stored encrypted as claims' scans are."""

    finding = models.ForeignKey(AuditFinding, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="reporting/evidence/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["org_path"], name="evidence_subtree", opclasses=["varchar_pattern_ops"])]
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ArchiveCategory(models.TextChoices):
    POLICIES = "policies", _("Policy papers (保单材料)")
    CLAIMS = "claims", _("Claim payment papers (给付资料)")
    CORRESPONDENCE = "letters", _("Documents exchanged with other offices (往来文件)")


@pghistory.track()
class ArchiveVolume(TenantOwned):
    """One archive volume (卷): a year's papers of one kind, of one plan, of one agent point or
    office (`org`), with its archive number, a register of what it holds and a cover sheet."""

    number = models.CharField(_("archive number"), max_length=60, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=10, choices=ArchiveCategory.choices)
    plan = models.ForeignKey(
        "enrollment.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("plan")
    )
    title = models.CharField(_("title"), max_length=200)
    # [{"number": "…", "date": "YYYY-MM-DD", "title": "…"}] in the order they are filed.
    items = models.JSONField(default=list)
    item_count = models.PositiveIntegerField(_("items"))
    first_on = models.DateField(_("from"))
    last_on = models.DateField(_("to"))
    keep_years = models.PositiveSmallIntegerField(_("kept for (years, 0: permanently)"))
    compiled_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    compiled_at = models.DateTimeField(_("compiled at"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["org_path"], name="archive_subtree", opclasses=["varchar_pattern_ops"])]
        verbose_name = _("archive volume")
        verbose_name_plural = _("archive volumes")
        ordering = ["-year", "org_path", "category", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "category", "plan"], nulls_distinct=False, name="archive_volume_once"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class LetterDirection(models.TextChoices):
    INCOMING = "in", _("Received")
    OUTGOING = "out", _("Sent")


@pghistory.track(exclude=["file"])
class Correspondence(TenantOwned):
    """A document exchanged with another office (往来文件: a notice from the office above, a
    report sent to it), registered with its reference number, date and, when scanned, the file
    (stored encrypted)."""

    direction = models.CharField(_("direction"), max_length=3, choices=LetterDirection.choices)
    reference = models.CharField(_("document number"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    counterpart = models.CharField(_("sent by / sent to"), max_length=100)
    dated = models.DateField(_("date"))
    file = models.FileField(upload_to="reporting/letters/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    registered_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["org_path"], name="letter_subtree", opclasses=["varchar_pattern_ops"])]
        verbose_name = _("document exchanged")
        verbose_name_plural = _("documents exchanged")
        ordering = ["-dated", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "direction", "reference"], name="letter_reference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

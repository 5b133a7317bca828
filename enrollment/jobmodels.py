"""Print jobs: the member cards of an office's tree (tens of thousands) or of one unit, or a large
policy's member list (一览表), drawn in the background into one PDF. Imported by enrollment.models,
so that they load with the app's models."""

from __future__ import annotations

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mutualaid.tenancy import TenantOwned


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PrintedDocument(models.TextChoices):
    """What a print job makes: member cards, or a large policy's member list (一览表), which is
    too long to draw while the person waits (enrollment/documents.py, MEMBER_LIST_IN_PAGE)."""

    CARDS = "cards", _("Member cards")
    MEMBER_LIST = "members", _("Member list")


@pghistory.track(exclude=["progress"])
class CardPrintJob(TenantOwned):
    """Printing the cards of a whole office (tens of thousands) as one PDF, in the background;
    or the member list of one unit's policy of the period."""

    period = models.ForeignKey("Period", on_delete=models.PROTECT, related_name="+", verbose_name=_("period"))
    # What is printed: the whole office's tree, or one unit of it; every member, only those
    # enrolled after `since` (the previous print of the same selection), or one endorsement's.
    unit = models.ForeignKey(
        "mutualaid.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    endorsement = models.ForeignKey("Endorsement", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    only_new = models.BooleanField(_("only members new since the last print"), default=False)
    document = models.CharField(
        _("document"), max_length=8, choices=PrintedDocument.choices, default=PrintedDocument.CARDS
    )
    since = models.DateTimeField(null=True, blank=True)
    # The selection as one string: while a job of it runs, asking again answers with that job.
    selection = models.CharField(max_length=80, default="", blank=True)
    status = models.CharField(_("status"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    card_count = models.PositiveIntegerField(_("cards"), default=0)
    # Bumped by each run that claims the job: only the latest run may finish it (card_job_run).
    attempt = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="cards/%Y/%m/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("mutualaid.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("card printing")
        verbose_name_plural = _("card printing")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org_path"], name="cardjob_subtree", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "selection"],
                condition=Q(status__in=["queued", "running"]),
                name="one_running_card_job_per_selection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} ({self.get_status_display()})"

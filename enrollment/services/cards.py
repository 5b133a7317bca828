"""Member cards: a background job renders the active members of a period in the office's subtree
(all of them, one unit's, only those new since the last print, or one endorsement's) into one
PDF, stored encrypted (the cards carry names and masked IDs). The same job prints a large
policy's member list (一览表: one unit's policy of the period, every member whatever their status,
as its page prints a small one)."""

from __future__ import annotations

import logging
from collections.abc import Generator
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from datetime import datetime
from io import BytesIO
from typing import cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfWriter

from enrollment.cardrender import cards_pdf_chunks, document_pdf, document_size
from enrollment.documents import cards_for, member_list_html
from enrollment.models import (
    CardPrintJob,
    Endorsement,
    Enrollment,
    EnrollmentStatus,
    JobStatus,
    Period,
    Policy,
    PrintedDocument,
)
from mutualaid import numbers, pii
from mutualaid.faults import pause_point
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import require_permission

logger = logging.getLogger(__name__)


def _selection(
    period: Period, unit: Organisation | None, endorsement: Endorsement | None, only_new: bool, document: str
) -> str:
    parts = [str(period.pk), str(unit.pk if unit else "-"), str(endorsement.pk if endorsement else "-")]
    parts.append("new" if only_new else "all")
    return ":".join(parts if document == PrintedDocument.CARDS else [*parts, document])


def card_job_create(*, actor: User, period: Period) -> CardPrintJob:
    """A job printing every active member of the period in the office's tree."""
    return card_job_request(actor=actor, period=period)[0]


def card_job_request(
    *,
    actor: User,
    period: Period,
    unit: Organisation | None = None,
    endorsement: Endorsement | None = None,
    only_new: bool = False,
    document: str = PrintedDocument.CARDS,
) -> tuple[CardPrintJob, bool]:
    """A print job for the office's tree or one unit of it: every active member, only those
    enrolled since the last finished print of the same unit (or of the whole tree), or the
    members of one endorsement; or the member list of one unit's policy. Returns (job, created):
    while a job of the same selection is queued or running, asking again answers with that job
    instead of printing twice."""
    require_permission(actor, "enrollment.view")
    office = actor.org
    if office is None:
        raise PermissionDenied(_("Your account is not attached to an office."))
    if unit is not None and (unit.kind != OrgKind.UNIT or not unit.path.startswith(office.path)):
        raise ValidationError({"unit": _("Choose a unit of your office's tree.")})
    if endorsement is not None:
        if endorsement.policy.period_id != period.pk or not endorsement.org_path.startswith(office.path):
            raise ValidationError({"endorsement": _("This endorsement is not of the chosen plan period.")})
        unit, only_new = endorsement.policy.org, False
    if document == PrintedDocument.MEMBER_LIST:
        if unit is None or endorsement is not None:
            raise ValidationError({"unit": _("Choose the unit whose member list is printed.")})
        only_new = False
    elif document != PrintedDocument.CARDS:
        raise ValidationError(_("Choose what to print."))
    selection = _selection(period, unit, endorsement, only_new, document)
    running = CardPrintJob.objects.filter(org=office, selection=selection, status__in=RUNNING).first()
    if running is not None:
        return running, False
    since = _last_print(office, period, unit) if only_new else None
    job = CardPrintJob(
        org=office,
        period=period,
        unit=unit,
        endorsement=endorsement,
        only_new=only_new,
        since=since,
        selection=selection,
        document=document,
        created_by=actor,
    )
    if not card_job_members(job).exists():
        raise ValidationError(_nothing_to_print(only_new=only_new, since=since, document=document))
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:  # the same selection asked for at the same moment: that job answers
        return CardPrintJob.objects.get(org=office, selection=selection, status__in=RUNNING), False
    return job, True


RUNNING = [JobStatus.QUEUED, JobStatus.RUNNING]


def _last_print(office: Organisation, period: Period, unit: Organisation | None) -> datetime | None:
    """When the last finished print that covered these members started: a print of the whole
    tree covers each unit; the members enrolled after it are the new ones."""
    covering = Q(unit__isnull=True, endorsement__isnull=True)
    if unit is not None:
        covering |= Q(unit=unit, endorsement__isnull=True)
    last = (
        CardPrintJob.objects.filter(covering, org=office, period=period, status=JobStatus.DONE)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last


def _no_member_list() -> str:
    return _("The unit has no policy in this plan period: there is no member list to print.")


def _nothing_to_print(*, only_new: bool, since: datetime | None, document: str = PrintedDocument.CARDS) -> str:
    if document == PrintedDocument.MEMBER_LIST:
        return _no_member_list()
    if only_new and since is not None:
        return _("No member was enrolled since the last print (%(when)s): there is nothing new to print.") % {
            "when": numbers.date_text(timezone.localdate(since)) + timezone.localtime(since).strftime(" %H:%M")
        }
    return _("No active member matches this choice: there is nothing to print.")


def card_job_members(job: CardPrintJob) -> QuerySet[Enrollment]:
    """The members a job prints: the active ones, in the order of the cards; for a member list,
    the unit's policy's members whatever their status."""
    members = Enrollment.objects.filter(org_path__startswith=job.org_path, period_id=job.period_id)
    if job.document == PrintedDocument.MEMBER_LIST:
        return members.filter(org_id=job.unit_id)
    members = members.filter(status=EnrollmentStatus.ACTIVE)
    if job.unit_id is not None:
        members = members.filter(org_id=job.unit_id)
    if job.endorsement is not None:
        members = members.filter(member_list_id=job.endorsement.member_list_id)
    if job.since is not None:
        members = members.filter(created_at__gt=job.since)
    return members


def card_job_run(*, job: CardPrintJob) -> CardPrintJob:
    """Render the cards of every active enrollment of the period in the job's subtree, in
    documents of up to 192 cards drawn side by side by CARD_RENDER_PROCESSES processes
    (enrollment/cardrender.py), joined in order into one PDF.

    Safe to run twice, as the exports are (reporting/jobs.py): a run claims the job with a
    conditional UPDATE that bumps its `attempt`, and writes its result only if that attempt is
    still the job's. A job done or failed is not printed again; a run cut off half-way (its worker
    killed: with late acks the task comes back) is taken over by the next delivery, which starts
    from scratch; a stale run that wakes up later can no longer move the job and removes its file.
    A renderer that fails or dies fails the job with a message in Chinese, and no file is stored.
    """
    mine = CardPrintJob.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if not mine.update(status=JobStatus.RUNNING, attempt=F("attempt") + 1, progress=0, error=""):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    current = CardPrintJob.objects.filter(pk=job.pk, attempt=job.attempt, status=JobStatus.RUNNING)
    members = (
        card_job_members(job)
        .select_related("policy", "period__plan", "org")
        .order_by("org_path", "policy_id", "number")
    )
    total = members.count()
    try:
        if job.document == PrintedDocument.MEMBER_LIST:
            pdf = _member_list_pdf(job, progress=current)
        else:
            pdf = _one_pdf(members, total=total, office=job.org.name, progress=current)
    except Exception as error:
        logger.exception("Card print job %s failed", job.pk)
        current.update(status=JobStatus.FAILED, error=_failure(error, job.document)[:300], finished_at=timezone.now())
        raise
    storage = job.file.storage
    name = storage.save(
        job.file.field.generate_filename(job, f"{job.document}-{job.pk}-{job.attempt}.pdf.enc"),
        ContentFile(pii.encrypt_bytes(pdf)),
    )
    won = current.update(file=name, card_count=total, progress=100, status=JobStatus.DONE, finished_at=timezone.now())
    if not won:  # a later attempt has taken the job over: leave it its own file
        storage.delete(name)
    job.refresh_from_db()
    return job


def _one_pdf(members: QuerySet[Enrollment], *, total: int, office: str, progress: QuerySet[CardPrintJob]) -> bytes:
    """The members' cards rendered in documents side by side and joined, in order, as each is
    done (pypdf copies the pages: nothing is drawn twice)."""
    size = document_size(total, settings.CARD_RENDER_PROCESSES)
    writer = PdfWriter()
    done = 0
    # Closed here when drawing fails: left to the garbage collector, the member rows' server-side
    # cursor would be closed later, in whatever transaction is open then, which it would abort.
    # (Django's iterator is a generator; its stubs say only Iterator.)
    with closing(cast("Generator[Enrollment]", members.iterator(chunk_size=1000))) as rows:
        for document in cards_pdf_chunks(cards_for(rows), office=office, chunk=size):
            writer.append(BytesIO(document.pdf))
            done = min(total, done + size)
            progress.update(progress=int(95 * done / max(total, 1)))
            pause_point("enrollment.cards")
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def card_job_policy(job: CardPrintJob) -> Policy | None:
    """The policy whose member list a job prints (one per unit and period)."""
    return Policy.objects.filter(org_id=job.unit_id, period_id=job.period_id).first()


def _member_list_pdf(job: CardPrintJob, *, progress: QuerySet[CardPrintJob]) -> bytes:
    policy = card_job_policy(job)
    if policy is None:  # asked for with members (card_job_request), so with their policy
        raise ValidationError(_no_member_list())
    progress.update(progress=10)
    return document_pdf(member_list_html(policy))


def _failure(error: Exception, document: str) -> str:
    """What the office reads on the failed job: in Chinese, the product's language, whoever's
    browser follows the job (the technical cause is in the worker's log)."""
    with translation.override(settings.LANGUAGE_CODE):
        if document == PrintedDocument.MEMBER_LIST:
            return _(
                "The member list could not be drawn: no file was made. "
                "Print it again from the policy's page; if it fails again, tell your administrator."
            )
        if isinstance(error, BrokenProcessPool):
            return _(
                "A process drawing the cards stopped (the server may be short of memory): no file was made. "
                "Print the cards again; if it fails again, tell your administrator."
            )
        return _(
            "The cards could not be drawn: no file was made. "
            "Print the cards again; if it fails again, tell your administrator."
        )


def card_job_file_read(*, job: CardPrintJob) -> bytes:
    """The job's PDF, decrypted."""
    with job.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())

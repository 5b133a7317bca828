"""Member cards for a whole office: a background job renders every active member of a period in
the office's subtree into one PDF, stored encrypted (the cards carry names and masked IDs)."""

from __future__ import annotations

from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfWriter

from enrollment.cardrender import cards_pdf_chunks
from enrollment.documents import cards_for
from enrollment.models import CardPrintJob, Enrollment, EnrollmentStatus, JobStatus, Period
from mutualaid import pii
from mutualaid.faults import pause_point
from mutualaid.models import User
from mutualaid.roles import require_permission


@transaction.atomic
def card_job_create(*, actor: User, period: Period) -> CardPrintJob:
    require_permission(actor, "enrollment.view")
    if actor.org is None:
        raise PermissionDenied(_("Your account is not attached to an office."))
    return CardPrintJob.objects.create(org=actor.org, period=period, created_by=actor)


def card_job_run(*, job: CardPrintJob) -> CardPrintJob:
    """Render the cards of every active enrollment of the period in the job's subtree, 1,000 to a
    document, merged into one PDF.

    Safe to run twice, as the exports are (reporting/jobs.py): a run claims the job with a
    conditional UPDATE that bumps its `attempt`, and writes its result only if that attempt is
    still the job's. A job done or failed is not printed again; a run cut off half-way (its worker
    killed: with late acks the task comes back) is taken over by the next delivery, which starts
    from scratch; a stale run that wakes up later can no longer move the job and removes its file.
    """
    mine = CardPrintJob.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if not mine.update(status=JobStatus.RUNNING, attempt=F("attempt") + 1, progress=0, error=""):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    current = CardPrintJob.objects.filter(pk=job.pk, attempt=job.attempt, status=JobStatus.RUNNING)
    members = (
        Enrollment.objects.filter(org_path__startswith=job.org_path, period=job.period, status=EnrollmentStatus.ACTIVE)
        .select_related("policy", "period__plan", "org")
        .order_by("org_path", "policy_id", "number")
    )
    total = members.count()
    writer = PdfWriter()
    done = 0
    try:
        for chunk in cards_pdf_chunks(cards_for(members.iterator(chunk_size=1000)), office=job.org.name, chunk=500):
            writer.append(BytesIO(chunk))
            done = min(total, done + 500)
            current.update(progress=int(95 * done / max(total, 1)))
            pause_point("enrollment.cards")
        buffer = BytesIO()
        writer.write(buffer)
    except Exception as error:
        current.update(status=JobStatus.FAILED, error=str(error)[:300])
        raise
    storage = job.file.storage
    name = storage.save(
        job.file.field.generate_filename(job, f"cards-{job.pk}-{job.attempt}.pdf.enc"),
        ContentFile(pii.encrypt_bytes(buffer.getvalue())),
    )
    won = current.update(file=name, card_count=total, progress=100, status=JobStatus.DONE, finished_at=timezone.now())
    if not won:  # a later attempt has taken the job over: leave it its own file
        storage.delete(name)
    job.refresh_from_db()
    return job


def card_job_file_read(*, job: CardPrintJob) -> bytes:
    """The job's PDF, decrypted."""
    with job.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())

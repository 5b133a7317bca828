"""Scans sent with a registration form that was refused: kept for that form, so that the clerk
corrects the figures without choosing every file again, and attached when the claim is registered.

They are checked by content as every scan is (documents.document_check) before being kept, stored
encrypted, and visible to their uploader at their office only, under the form's draft id.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from claims.models import Claim, PendingUpload
from claims.selectors import pending_content, pending_uploads
from claims.services.documents import Upload, scan_save
from claims.services.figures import Figures, Payee
from claims.services.registration import claim_register
from enrollment.models import Enrollment
from mutualaid.models import User

# A scan left on a form nobody sent again is removed after this long.
PENDING_KEPT_FOR = timedelta(days=1)


def _delete(rows: Sequence[PendingUpload]) -> None:
    """The rows now, their files once the transaction is committed (a rollback keeps both)."""
    files = [row.file for row in rows if row.file]
    PendingUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()

    def remove() -> None:
        for file in files:
            file.delete(save=False)

    if files:
        transaction.on_commit(remove)


@transaction.atomic
def pending_uploads_keep(*, actor: User, draft: str, keep: Collection[int], uploads: Sequence[Upload]) -> None:
    """Drop the form's kept scans the clerk unticked (and any of theirs older than a day), then
    keep the newly sent ones, already checked by content."""
    mine = PendingUpload.objects.filter(uploaded_by=actor, org_id=actor.org_id)
    stale = mine.filter(uploaded_at__lt=timezone.now() - PENDING_KEPT_FOR)
    _delete(list(stale | pending_uploads(actor=actor, draft=draft).exclude(pk__in=keep)))
    for upload in uploads:
        scan_save(PendingUpload(org=actor.org, draft=draft), upload=upload, actor=actor, stem=draft)


@transaction.atomic
def claim_register_with_pending(
    *, actor: User, draft: str, enrollment: Enrollment, figures: Figures, payee: Payee
) -> Claim:
    """Register the claim with every scan kept for this form; they leave the pending store in the
    same transaction, so a refusal keeps them for the next try."""
    rows = list(pending_uploads(actor=actor, draft=draft))
    documents = [
        Upload(kind=row.kind, name=row.original_name, data=pending_content(pending=row), content_type=row.content_type)
        for row in rows
    ]
    claim = claim_register(actor=actor, enrollment=enrollment, figures=figures, payee=payee, documents=documents)
    _delete(rows)
    return claim

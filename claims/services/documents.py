"""The member's scanned documents: checked by content before anything is stored, stored
encrypted, and the working-day clock started when the last required one is in."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from claims.lifecycle import OPEN_STATUSES
from claims.models import (
    Claim,
    ClaimDocument,
    ClaimSettings,
    ClaimStatus,
    DocumentKind,
    HospitalCheckDocument,
    PendingUpload,
    StepAction,
)
from claims.selectors import claim_missing_documents, office_calendar
from claims.services._shared import acting_level, check_one_level, lock_claim, record_step, reopen_after_change
from mutualaid import dates, pii
from mutualaid.models import User
from mutualaid.officesettings import office_settings

# What a scanned document may be, recognised by its first bytes rather than its name.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class Upload:
    """A scanned document as checked, before anything is stored."""

    kind: str
    name: str
    data: bytes
    content_type: str


def document_check(*, kind: str, upload: UploadedFile[Any]) -> Upload:
    """Refuse anything but a PDF, JPG or PNG scan within the size limit, recognised by content."""
    name = upload.name or "?"
    if kind not in DocumentKind.values:
        raise ValidationError(_("Document “%(name)s”: choose what kind of document it is.") % {"name": name})
    limit = settings.CLAIM_DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("Document “%(name)s” is %(size)s MB; the limit is %(limit)s MB: scan it at a lower resolution.")
            % {"name": name, "size": f"{upload.size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"}
        )
    data = upload.read()
    if not data:
        raise ValidationError(_("Document “%(name)s” is empty: scan it again.") % {"name": name})
    content_type = next((ctype for magic, ctype in _SIGNATURES if data.startswith(magic)), None)
    if content_type is None or (content_type != "application/pdf" and not _image_opens(data)):
        raise ValidationError(
            _("Document “%(name)s” is not a PDF, JPG or PNG scan: scan it again as one of these.") % {"name": name}
        )
    return Upload(kind=kind, name=name[:200], data=data, content_type=content_type)


def _image_opens(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True


def scan_save(
    row: ClaimDocument | PendingUpload | HospitalCheckDocument, *, upload: Upload, actor: User, stem: str
) -> None:
    """Save a checked upload into a scan row (a claim's document, one kept for a refused form, or a
    hospital check's scan):
    what was uploaded, its digest, and the file encrypted."""
    row.kind = upload.kind
    row.original_name = upload.name
    row.content_type = upload.content_type
    row.size = len(upload.data)
    row.sha256 = hashlib.sha256(upload.data).hexdigest()
    row.uploaded_by = actor
    row.file.save(f"{stem}-{upload.kind}.bin", ContentFile(pii.encrypt_bytes(upload.data)), save=False)
    row.save()


def documents_store(*, claim: Claim, uploads: Iterable[Upload], actor: User) -> None:
    """Store checked uploads with the claim, encrypted, with the digest of what was uploaded."""
    for upload in uploads:
        scan_save(ClaimDocument(org=claim.org, claim=claim), upload=upload, actor=actor, stem=claim.number)


def clock_start_if_complete(*, claim: Claim) -> None:
    """Documents complete: the claim goes to first review and the working-day clock starts."""
    if claim.status != ClaimStatus.INCOMPLETE or claim_missing_documents(claim=claim):
        return
    targets = office_settings(ClaimSettings, claim.review_office)
    calendar = office_calendar(office=claim.review_office)
    today = dates.business_today()
    claim.status = ClaimStatus.FIRST_REVIEW
    claim.documents_complete_on = today
    claim.target_due_on = calendar.add(today, targets.target_days)
    claim.limit_due_on = calendar.add(today, targets.limit_days)


@transaction.atomic
def claim_add_documents(*, actor: User, claim: Claim, documents: Sequence[Upload]) -> Claim:
    """Add scans to a claim until it is approved; the last required one starts the clock. A
    document added after a pass sends the claim back to the first level (the pass did not see it)."""
    if not documents:
        raise ValidationError({"documents": _("Choose at least one scanned document to add.")})
    locked = lock_claim(claim, None)
    if locked.status not in OPEN_STATUSES:
        raise ValidationError(_("Documents can be added until the claim is approved."))
    level = acting_level(actor, locked)
    check_one_level(actor, locked, level)
    documents_store(claim=locked, uploads=documents, actor=actor)
    names = ", ".join(
        _("%(kind)s “%(name)s”") % {"kind": DocumentKind(d.kind).label, "name": d.name} for d in documents
    )
    record_step(locked, level=level, action=StepAction.DOCUMENTS, actor=actor, note=names)
    reopen_after_change(locked, actor=actor, level=level)
    clock_start_if_complete(claim=locked)
    locked.version += 1
    locked.save()
    return locked

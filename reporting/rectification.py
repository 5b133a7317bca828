"""The ledger of audit findings and their rectification (检查/审计发现与整改台账).

A finding is recorded in the office it concerns (the actor's own or one below), with a person
of that office responsible for it (required) and a deadline. The responsible person (or whoever
records findings there) reports it rectified with what was done and the evidence; someone other
than the responsible person verifies it and closes it, or sends it back. Findings past their
deadline and not rectified show on the home page's work to do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.services.documents import Upload
from mutualaid import dates, pii
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission
from reporting.models import AuditFinding, Correspondence, FindingEvidence, FindingSource, FindingStatus


def encrypted_file_save(row: FindingEvidence | Correspondence, *, upload: Upload, stem: str) -> None:
    """A checked upload (claims.services.documents.document_check) stored encrypted in the row."""
    row.original_name = upload.name
    row.content_type = upload.content_type
    row.size = len(upload.data)
    row.sha256 = hashlib.sha256(upload.data).hexdigest()
    row.file.save(f"{stem}.bin", ContentFile(pii.encrypt_bytes(upload.data)), save=False)
    row.save()


def encrypted_file_content(row: FindingEvidence | Correspondence) -> bytes:
    with row.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())


def _in_tree(actor: User, office: Organisation) -> None:
    if actor.org is None or not office.path.startswith(actor.org.path):
        raise ValidationError({"office": _("Choose your office or an office below it.")})


@transaction.atomic
def finding_record(
    *,
    actor: User,
    office: Organisation,
    source: str,
    title: str,
    detail: str = "",
    owner: User | None,
    deadline: date,
) -> AuditFinding:
    """Record a finding in `office`'s ledger, with the person responsible and the deadline."""
    require_permission(actor, "oversight.record")
    _in_tree(actor, office)
    errors: dict[str, str] = {}
    if source not in FindingSource.values:
        errors["source"] = _("Choose who found it.")
    if not title.strip():
        errors["title"] = _("Say what was found.")
    if owner is None:
        errors["owner"] = _(
            "Name the person responsible for rectifying it: a finding without an owner is not recorded."
        )
    elif not owner.is_active or owner.org is None or not owner.org.path.startswith(office.path):
        errors["owner"] = _("The person responsible must be an active account of %(office)s or an office below it.") % {
            "office": office.name
        }
    if deadline < dates.business_today():
        errors["deadline"] = _("The deadline is in the past: give the day by which it must be rectified.")
    if errors or owner is None:
        raise ValidationError(errors)
    return AuditFinding.objects.create(
        org=office,
        source=source,
        title=title.strip()[:200],
        detail=detail.strip()[:2000],
        owner=owner,
        deadline=deadline,
        raised_by=actor,
    )


def _locked(finding: AuditFinding) -> AuditFinding:
    return AuditFinding.objects.select_for_update().select_related("org", "owner").get(pk=finding.pk)


@transaction.atomic
def finding_rectify(
    *, actor: User, finding: AuditFinding, rectification: str, evidence: Sequence[Upload]
) -> AuditFinding:
    """The responsible person reports the finding rectified, with what was done and the evidence."""
    locked = _locked(finding)
    if actor.pk != locked.owner_id and not actor.has_perm("oversight.record"):
        raise PermissionDenied(_("Only the person responsible, or whoever records findings, reports it rectified."))
    if locked.status != FindingStatus.OPEN:
        raise ValidationError(
            _("Finding “%(title)s” is %(status)s: only an open finding is reported rectified.")
            % {"title": locked.title, "status": locked.get_status_display()}
        )
    errors: dict[str, str] = {}
    if not rectification.strip():
        errors["rectification"] = _("Say what was done to rectify it.")
    if not evidence and not locked.evidence.exists():
        errors["evidence"] = _("Attach the evidence of the rectification (a PDF, JPG or PNG scan).")
    if errors:
        raise ValidationError(errors)
    for number, upload in enumerate(evidence, start=1):
        row = FindingEvidence(org=locked.org, finding=locked, uploaded_by=actor)
        encrypted_file_save(row, upload=upload, stem=f"finding{locked.pk}-{locked.evidence.count() + number}")
    locked.status = FindingStatus.RECTIFIED
    locked.rectification = rectification.strip()[:2000]
    locked.rectified_on = dates.business_today()
    locked.save()
    return locked


@transaction.atomic
def finding_verify(*, actor: User, finding: AuditFinding, accept: bool, note: str = "") -> AuditFinding:
    """Someone other than the responsible person closes a rectified finding, or sends it back
    open with the reason."""
    require_permission(actor, "oversight.record")
    locked = _locked(finding)
    if actor.pk == locked.owner_id:
        raise PermissionDenied(_("The person responsible does not verify their own rectification."))
    if locked.status != FindingStatus.RECTIFIED:
        raise ValidationError(
            _("Finding “%(title)s” is %(status)s: only a rectified finding is verified.")
            % {"title": locked.title, "status": locked.get_status_display()}
        )
    if accept:
        locked.status, locked.closed_by, locked.closed_at = FindingStatus.CLOSED, actor, timezone.now()
    else:
        if not note.strip():
            raise ValidationError({"note": _("Say why the rectification is not enough.")})
        locked.status = FindingStatus.OPEN
        locked.rectification = (locked.rectification + "\n" + _("Sent back: %(note)s") % {"note": note.strip()})[:2000]
    locked.save()
    return locked


# Reads ------------------------------------------------------------------------------------------


def finding_list() -> QuerySet[AuditFinding]:
    return AuditFinding.objects.select_related("org", "owner", "raised_by", "closed_by")


def finding_overdue_list() -> QuerySet[AuditFinding]:
    """Findings in scope past their deadline and not yet rectified."""
    return AuditFinding.objects.filter(status=FindingStatus.OPEN, deadline__lt=dates.business_today())


def finding_waiting_for(*, user: User) -> QuerySet[AuditFinding]:
    """Findings the user must rectify, or verify (rectified ones of others, for those who record)."""
    mine = Q(owner=user, status=FindingStatus.OPEN)
    if user.has_perm("oversight.record"):
        mine |= Q(status=FindingStatus.RECTIFIED) & ~Q(owner=user)
    return AuditFinding.objects.filter(mine)

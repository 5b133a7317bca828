"""A unit's member list from upload to submission: the file is stored encrypted, read and checked
row by row (the checked rows kept all or nothing), and sent to the office, whole or only the rows
that passed. A renewal list is the same list pre-filled from last period's policy."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from enrollment import eligibility, selectors
from enrollment.models import (
    Enrollment,
    EnrollmentStatus,
    ListKind,
    ListRow,
    ListStatus,
    MemberList,
    Period,
    Policy,
)
from enrollment.services import corrections
from enrollment.validation import CheckedRow, check_list
from enrollment.workbook.annotate import annotate_workbook, rows_workbook
from enrollment.workbook.columns import CellProblem, RawRow
from enrollment.workbook.errors import WorkbookError
from enrollment.workbook.read import read_member_list
from mutualaid import pii
from mutualaid.audit import audit_disclosure, records_refusals
from mutualaid.faults import pause_point
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import require_permission


@transaction.atomic
def member_list_upload(
    *,
    actor: User,
    unit: Organisation,
    period: Period,
    data: bytes,
    filename: str,
    kind: str = ListKind.INITIAL,
    corrects: MemberList | None = None,
    copy_of: MemberList | None = None,
) -> tuple[MemberList, bool]:
    """Store an uploaded file as a list to check, maybe as the correction of another list.
    Returns (list, created); uploading the same file again for the same unit and period returns
    the list it already is (a withdrawn list does not count)."""
    require_permission(actor, "enrollment.upload")
    if unit.kind != OrgKind.UNIT or actor.org is None or not unit.path.startswith(actor.org.path):
        raise PermissionDenied(_("You may only upload lists for units in your own tree."))
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    digest = hashlib.sha256(data).hexdigest()
    existing = (
        MemberList.objects.filter(org=unit, period=period, file_sha256=digest)
        .exclude(status=ListStatus.WITHDRAWN)
        .first()
    )
    if corrects is not None:
        if existing is not None and existing.pk == corrects.pk:
            raise ValidationError(
                {"file": _("This file is the list you are correcting: a list cannot be its own correction.")}
            )
        corrections.correction_target_check(actor=actor, correction_of=corrects, unit_id=unit.pk, period_id=period.pk)
    if existing is not None:
        return existing, False
    if kind == ListKind.INITIAL and Policy.objects.filter(org=unit, period=period).exists():
        kind = ListKind.SUPPLEMENTARY
    member_list = MemberList(
        org=unit,
        period=period,
        kind=kind,
        original_name=filename[:200],
        file_sha256=digest,
        uploaded_by=actor,
        corrects=corrects,
        copy_of=copy_of,
    )
    # The workbook holds full ID numbers: it is stored encrypted like the database columns.
    member_list.file.save(f"{unit.pk}-{digest[:16]}.xlsx.enc", ContentFile(pii.encrypt_bytes(data)), save=False)
    member_list.save()
    return member_list, True


def member_list_copy(*, actor: User, member_list: MemberList) -> tuple[MemberList, bool]:
    """A withdrawn list's workbook uploaded again as a new list (its correction link kept), to
    be checked afresh: the way back from a withdrawal made by mistake."""
    if member_list.status != ListStatus.WITHDRAWN:
        raise ValidationError(_("Only a withdrawn list can be copied into a new upload."))
    corrects = member_list.corrects
    if corrects is not None and corrects.status not in corrections.CORRECTABLE:
        corrects = None
    return member_list_upload(
        actor=actor,
        unit=member_list.org,
        period=member_list.period,
        data=member_list_file_read(member_list=member_list),
        filename=member_list.original_name,
        kind=member_list.kind,
        corrects=corrects,
        copy_of=member_list,
    )


def member_list_file_read(*, member_list: MemberList) -> bytes:
    """The uploaded workbook, decrypted: for the checks, and behind `member_list_download`."""
    with member_list.file.open("rb") as stored:
        return pii.decrypt_bytes(stored.read())


def member_list_may_download(*, actor: User, member_list: MemberList) -> bool:
    """The uploaded workbook carries full ID numbers and phones. Whoever has to correct it gets
    it back: the agents of its unit and whoever uploaded it, while they may upload; and those
    who may reveal ID numbers anyway. Viewing the list's report needs none of this."""
    if actor.has_perm("pii.reveal"):
        return True
    own = actor.org_id == member_list.org_id or actor.pk == member_list.uploaded_by_id
    return own and actor.has_perm("enrollment.upload")


@records_refusals("enrollment.list_download", target="member_list")
def member_list_download(*, actor: User, member_list: MemberList) -> bytes:
    """The uploaded workbook, decrypted, for someone who may have it (a refusal is recorded).
    What is made of it and handed out is recorded by the two downloads below."""
    if not member_list_may_download(actor=actor, member_list=member_list):
        raise PermissionDenied(
            _("Only the unit's agents, who uploaded the list, and those who may see full ID numbers can download it.")
        )
    return member_list_file_read(member_list=member_list)


# The documents as the audit page names them (stored in English, shown in the reader's language).
ANNOTATED = gettext_noop("Checked workbook of member list")
FAILED_ROWS = gettext_noop("Rows to correct of member list")
FULL_NUMBERS = ("id_number", "phone")


def member_list_download_annotated(*, actor: User, member_list: MemberList) -> bytes:
    """The unit's own workbook with the problems of the last check marked where they were typed:
    every row's full ID and phone numbers, recorded in the audit trail as a revealed ID is."""
    original = member_list_download(actor=actor, member_list=member_list)
    data = annotate_workbook(original, _cell_problems(member_list))
    # Until the list is read and checked, nobody knows how many rows the file holds.
    checked = member_list.status not in {ListStatus.VALIDATING, ListStatus.FAILED}
    people = member_list.row_count if checked else None
    _record(actor, member_list, ANNOTATED, people)
    return data


def member_list_download_failed_rows(*, actor: User, member_list: MemberList) -> bytes:
    """A fresh list of only the rows with problems, marked, to correct and send as a
    supplementary list; recorded in the audit trail with the number of rows it holds."""
    problems = _cell_problems(member_list)
    failed = {p.row for p in problems}
    original = member_list_download(actor=actor, member_list=member_list)
    # A file that could not be read has no cell problems: nothing to read again.
    rows = [r for r in read_member_list(original).rows if r.number in failed] if failed else []
    data = rows_workbook(
        rows=rows,
        problems=problems,
        unit_name=member_list.org.name,
        period_label=member_list.period.label,
        plans=[member_list.period.plan.name],
        extras=eligibility.extra_columns(member_list.period),
    )
    _record(actor, member_list, FAILED_ROWS, len(rows))
    return data


def _record(actor: User, member_list: MemberList, document: str, people: int | None) -> None:
    audit_disclosure(
        actor=actor,
        record=member_list,
        document=document,
        label=member_list.original_name,
        people=people,
        numbers=FULL_NUMBERS,
    )


def _cell_problems(member_list: MemberList) -> list[CellProblem]:
    return [CellProblem(**p) for p in member_list.cell_problems]


def _set_progress(member_list_id: int, progress: int) -> None:
    """Written outside the checking transaction so the page can show it while checking runs."""
    MemberList.objects.filter(pk=member_list_id).update(progress=progress)


def member_list_check(*, member_list: MemberList, viewer: Organisation) -> MemberList:
    """Read and check the list; keep the checked rows and the report, all or nothing."""
    _set_progress(member_list.pk, 5)
    data = member_list_file_read(member_list=member_list)
    try:
        parsed = read_member_list(data, max_rows=settings.MEMBER_LIST_MAX_ROWS)
    except WorkbookError as error:
        MemberList.objects.filter(pk=member_list.pk).update(
            status=ListStatus.FAILED,
            progress=100,
            list_problems=[{"code": error.code, "message": str(error.message)}],
        )
        member_list.refresh_from_db()
        return member_list
    _set_progress(member_list.pk, 35)

    period = member_list.period
    unit = member_list.org
    policy = Policy.objects.filter(org=unit, period=period).first()
    existing = Enrollment.objects.filter(org=unit, period=period, status=EnrollmentStatus.ACTIVE)
    # A correction of an approved list replaces that list's members: they neither hold the
    # people again (重复参保) nor count towards the unit's participation or fixed shares.
    corrects = member_list.corrects
    replaced = corrects.pk if corrects is not None and corrects.status == ListStatus.APPROVED else None
    if replaced is not None:
        existing = existing.exclude(member_list_id=replaced)
    fixed_shares = existing.values_list("shares", flat=True).first() if policy else None
    kinds = selectors.plan_kinds_exclusive(plan=period.plan)
    # Read before the province is searched: approval compares them to know whether to search again.
    versions = selectors.approval_watermark_versions(province_id=unit.ancestor_ids()[0], kinds=kinds)
    result = check_list(
        parsed=parsed,
        period=period,
        unit=unit,
        viewer_path=viewer.path,
        existing_unit_members=existing.count(),
        fixed_shares=fixed_shares,
        replaced_list_id=replaced,
    )
    _set_progress(member_list.pk, 70)

    with transaction.atomic():
        locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
        ListRow.objects.filter(member_list=locked).delete()
        _copy_rows(locked, result.rows)
        pause_point("enrollment.check")
        locked.row_count = len(result.rows)
        locked.error_row_count = result.error_rows
        locked.list_problems = result.list_problems
        locked.cell_problems = [
            {"row": p.row, "column": p.column, "code": p.code, "message": str(p.message)} for p in result.cell_problems
        ]
        locked.checked_versions = versions
        locked.status = ListStatus.VALID if not result.error_rows and not result.list_problems else ListStatus.INVALID
        locked.progress = 100
        locked.save()
    return locked


def _copy_rows(member_list: MemberList, rows: list[CheckedRow]) -> None:
    """Staging rows by COPY: the ID and phone are encrypted here, never stored in clear."""
    columns = (
        "org_id, org_path, member_list_id, row_number, ok, name, id_cipher, id_hash, id_masked, gender, "
        "birth_date, phone_cipher, phone_tail_hash, shares, remarks, employment_status, parent_id_hash, parent_name"
    )
    with connection.cursor() as cursor, cursor.copy(f"COPY enrollment_listrow ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                (
                    member_list.org_id,
                    member_list.org_path,
                    member_list.pk,
                    row.number,
                    row.ok,
                    row.name[:50],
                    row.id_cipher,
                    row.id_hash or None,
                    pii.mask_id(row.id_number) if row.id_number else "",
                    row.gender,
                    row.birth_date,
                    row.phone_cipher,
                    row.phone_tail_hash,
                    row.shares,
                    row.remarks,
                    row.employment_status,
                    row.parent_id_hash,
                    row.parent_name,
                )
            )


@transaction.atomic
def member_list_submit(*, actor: User, member_list: MemberList, passed_only: bool = False) -> MemberList:
    """Send a checked list to the office. A list with errors goes only if the agent explicitly
    chooses to send the rows that passed; the others come back as a workbook to correct."""
    require_permission(actor, "enrollment.upload")
    locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
    if locked.status == ListStatus.VALID:
        passed_only = False
    elif locked.status == ListStatus.INVALID and passed_only:
        if locked.list_problems:
            raise ValidationError(" ".join(p["message"] for p in locked.list_problems))
        if locked.row_count == locked.error_row_count:
            raise ValidationError(_("No row of this list passed the checks; correct the list and upload it again."))
    elif locked.status == ListStatus.INVALID:
        raise ValidationError(
            _("This list has errors: correct them and upload it again, or choose to submit only the rows that passed.")
        )
    else:
        raise ValidationError(_("This list cannot be submitted in its present state."))
    locked.status = ListStatus.SUBMITTED
    locked.passed_only = passed_only
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "passed_only", "submitted_at"])
    return locked


def renewal_list_create(*, actor: User, policy: Policy, period: Period, keep: set[int]) -> tuple[MemberList, bool]:
    """Pre-fill a list for a later period from the unit's policy: the members kept (leavers
    dropped) go through the same checks as an uploaded list; joiners follow as a supplementary
    list. The full ID numbers never leave the server."""
    require_permission(actor, "enrollment.upload")
    if period.plan_id != policy.period.plan_id or period.starts_on <= policy.period.starts_on:
        raise ValidationError({"period": _("Choose a later period of the same plan.")})
    members = Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.ACTIVE, pk__in=keep).order_by(
        "row_number"
    )
    rows = [
        RawRow(
            number=index,
            values={
                "seq": index,
                "name": e.name,
                "id_number": pii.decrypt(e.id_cipher),
                "gender": "男" if e.gender == "M" else "女",
                "birth_date": None,
                "phone": pii.decrypt(e.phone_cipher) if e.phone_cipher else None,
                "plan": period.plan.name,
                "shares": e.shares,
                "basic_insurance": "是",
                "remarks": None,
                "employment": eligibility.EMPLOYMENT_WORD_OF.get(e.employment_status),
                "parent_name": e.parent_name or None,
            },
        )
        for index, e in enumerate(members, start=1)
    ]
    if not rows:
        raise ValidationError(_("Keep at least one member to renew."))
    data = rows_workbook(
        rows=rows,
        problems=[],
        unit_name=policy.org.name,
        period_label=period.label,
        plans=[period.plan.name],
        extras=eligibility.extra_columns(period),
    )
    return member_list_upload(
        actor=actor,
        unit=policy.org,
        period=period,
        data=data,
        filename=_("Renewal") + f"-{policy.number}.xlsx",
        kind=ListKind.RENEWAL,
    )

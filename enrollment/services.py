"""Writes of enrollment: plans and periods, member lists from upload to approval, policies.

A list moves validating → invalid | valid → submitted → approved | rejected. Checking stores
the checked rows in a staging table in one transaction (nothing half-checked is ever kept);
approval turns the passing rows into enrollments and a policy in one transaction, with one
INSERT … SELECT, under the database's one-active-enrollment constraint.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.events import PolicyIssued
from enrollment.models import (
    ApprovalWatermark,
    CardPrintJob,
    Enrollment,
    EnrollmentStatus,
    JobStatus,
    ListKind,
    ListRow,
    ListStatus,
    MemberList,
    Period,
    Plan,
    Policy,
    PolicySequence,
    SubsidyKind,
)
from enrollment.rules import premium_split, subsidy_for
from enrollment.validation import check_list
from enrollment.workbook.annotate import rows_workbook
from enrollment.workbook.columns import RawRow
from enrollment.workbook.errors import WorkbookError
from enrollment.workbook.read import read_member_list
from mutualaid import dates, events, pii
from mutualaid.audit import records_refusals
from mutualaid.faults import pause_point
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped

FROZEN_FIELDS = [
    "starts_on",
    "ends_on",
    "premium_per_share",
    "max_shares",
    "min_age",
    "max_age",
    "requires_basic_insurance",
    "min_participation",
    "waiting_days",
    "subsidy_kind",
    "subsidy_amount",
    "subsidy_stages",
    "unit_ratio",
]


def _in_subtree(node: Organisation, root: Organisation | None) -> bool:
    return root is not None and node.path.startswith(root.path)


# Plans and periods -------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    actor: User,
    name: str,
    kind: str,
    description: str = "",
    claims_reviewed_by: str = "city",
    large_claim_amount: Decimal | None = None,
) -> Plan:
    require_permission(actor, "plans.manage")
    office = actor.org
    if office is None or not office.is_office:
        raise PermissionDenied(_("Plans are configured by a provincial or city office."))
    if Plan.objects.filter(org=office, name=name.strip()).exists():
        raise ValidationError({"name": _("Your office already has a plan of this name.")})
    plan = Plan(
        org=office,
        name=name.strip(),
        kind=kind,
        description=description,
        claims_reviewed_by=claims_reviewed_by,
        large_claim_amount=large_claim_amount,
    )
    plan.full_clean(exclude=["org_path"])
    plan.save()
    return plan


@transaction.atomic
def period_create(*, actor: User, plan: Plan, **settings: Any) -> Period:
    require_permission(actor, "plans.manage")
    if not _in_subtree(plan.org, actor.org) or plan.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that owns the plan sets its periods."))
    period = Period(org=plan.org, plan=plan, **settings)
    period.full_clean(exclude=["org_path"])
    overlapping = Period.objects.filter(plan=plan, starts_on__lte=period.ends_on, ends_on__gte=period.starts_on)
    if overlapping.exists():
        raise ValidationError(_("This period overlaps another period of the same plan."))
    period.save()
    return period


@transaction.atomic
def period_update(*, actor: User, period: Period, **changes: Any) -> Period:
    """Change a period's rules while no policy has been issued under it."""
    require_permission(actor, "plans.manage")
    locked = Period.objects.select_for_update().get(pk=period.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Only the office that owns the plan sets its periods."))
    if locked.frozen_at and any(key in FROZEN_FIELDS for key in changes):
        raise ValidationError(
            _("Policies have been issued under this period, so its rules are frozen; create a new period instead.")
        )
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.full_clean(exclude=["org_path"])
    locked.save()
    return locked


# Member lists ------------------------------------------------------------------------------


def period_for_unit(*, unit: Organisation, period_id: int) -> Period:
    """A period of a plan offered by one of the unit's own offices (its ancestors)."""
    with unscoped():
        period = Period.objects.select_related("plan").filter(pk=period_id, org_id__in=unit.ancestor_ids()).first()
    if period is None:
        raise ValidationError({"period": _("This period is not offered to the unit.")})
    return period


@transaction.atomic
def member_list_upload(
    *, actor: User, unit: Organisation, period: Period, data: bytes, filename: str, kind: str = ListKind.INITIAL
) -> tuple[MemberList, bool]:
    """Store an uploaded file as a list to check. Returns (list, created); uploading the same
    file again for the same unit and period returns the list it already is."""
    require_permission(actor, "enrollment.upload")
    if unit.kind != OrgKind.UNIT or not _in_subtree(unit, actor.org):
        raise PermissionDenied(_("You may only upload lists for units in your own tree."))
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    digest = hashlib.sha256(data).hexdigest()
    existing = MemberList.objects.filter(org=unit, period=period, file_sha256=digest).first()
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
    )
    # The workbook holds full ID numbers: it is stored encrypted like the database columns.
    member_list.file.save(f"{unit.pk}-{digest[:16]}.xlsx.enc", ContentFile(pii.encrypt_bytes(data)), save=False)
    member_list.save()
    return member_list, True


def member_list_file(member_list: MemberList) -> bytes:
    """The uploaded workbook, decrypted."""
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
    """The uploaded workbook, decrypted, for someone who may have it; every download is recorded
    in the audit trail (who, when, from which node, which list), as a revealed ID number is."""
    import pghistory

    if not member_list_may_download(actor=actor, member_list=member_list):
        raise PermissionDenied(
            _("Only the unit's agents, who uploaded the list, and those who may see full ID numbers can download it.")
        )
    pghistory.create_event(member_list, label="list_downloaded")
    return member_list_file(member_list)


def _set_progress(member_list_id: int, progress: int) -> None:
    """Written outside the checking transaction so the page can show it while checking runs."""
    MemberList.objects.filter(pk=member_list_id).update(progress=progress)


def member_list_check(*, member_list: MemberList, viewer: Organisation) -> MemberList:
    """Read and check the list; keep the checked rows and the report, all or nothing."""
    _set_progress(member_list.pk, 5)
    data = member_list_file(member_list)
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
    fixed_shares = existing.values_list("shares", flat=True).first() if policy else None
    kinds = _kinds_of(period)
    versions = _watermarks(unit.ancestor_ids()[0], kinds)  # read before the province is searched
    result = check_list(
        parsed=parsed,
        period=period,
        unit=unit,
        viewer_path=viewer.path,
        existing_unit_members=existing.count(),
        fixed_shares=fixed_shares,
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


def _copy_rows(member_list: MemberList, rows: list[Any]) -> None:
    """Staging rows by COPY: the ID and phone are encrypted here, never stored in clear."""
    columns = (
        "org_id, org_path, member_list_id, row_number, ok, name, id_cipher, id_hash, id_masked, gender, "
        "birth_date, phone_cipher, shares, remarks"
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
                    row.shares,
                    row.remarks,
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


@transaction.atomic
def member_list_reject(*, actor: User, member_list: MemberList, reason: str) -> MemberList:
    require_permission(actor, "enrollment.approve")
    locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
    _check_approver(actor, locked)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the list is sent back, so the unit can correct it.")})
    locked.status = ListStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), reason.strip()[:300]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    ListRow.objects.filter(member_list=locked).delete()
    return locked


def _check_approver(actor: User, member_list: MemberList) -> None:
    if member_list.status != ListStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted list can be approved or sent back."))
    office = actor.org
    if office is None or not office.is_office or not _in_subtree(member_list.org, office):
        raise PermissionDenied(_("Lists are approved by an office above the unit."))


def _enrolled_meanwhile_message() -> str:
    return _(
        "Some people on this list were enrolled through another list in the meantime. "
        "Nothing was stored: the unit must upload the list again to have it re-checked."
    )


def _kinds_of(period: Period) -> list[str]:
    """The kinds of plan a person of this period may not hold at the same time elsewhere."""
    with unscoped():
        exclusive = Plan.objects.filter(exclusive_with=period.plan).values_list("kind", flat=True)
        return sorted({period.plan.kind, *exclusive})


def _watermarks(province_id: int, kinds: list[str]) -> dict[str, int]:
    found = dict(
        ApprovalWatermark.objects.filter(province_id=province_id, plan_kind__in=kinds).values_list(
            "plan_kind", "version"
        )
    )
    return {kind: found.get(kind, 0) for kind in kinds}


def _refuse_people_enrolled_meanwhile(member_list: MemberList, period: Period, province_id: int) -> None:
    """The province-wide duplicate check again, at approval, under a transaction lock per
    province and kind of plan: two approvals that could enrol the same person wait for each
    other, and the second sees what the first stored. (The unique index catches the same
    period even without the lock; the lock extends the guarantee to overlapping periods of other
    plans of the same kind and to mutually exclusive plans.)

    When no list of these kinds was approved in the province since this list was checked (the
    approval counters are unchanged), the check's own search still holds and is not repeated.
    """
    kinds = _kinds_of(period)
    with connection.cursor() as cursor:
        for kind in kinds:  # always in the same order, so two approvals cannot deadlock
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"enrollment:{province_id}:{kind}"])
    unchanged = member_list.checked_versions == {k: v for k, v in _watermarks(province_id, kinds).items()}
    for kind in kinds:
        ApprovalWatermark.objects.get_or_create(province_id=province_id, plan_kind=kind)
        ApprovalWatermark.objects.filter(province_id=province_id, plan_kind=kind).update(
            version=models.F("version") + 1
        )
    if unchanged:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.row_number FROM enrollment_listrow r
            WHERE r.member_list_id = %s AND r.ok AND EXISTS (
                SELECT 1 FROM enrollment_enrollment e
                WHERE e.id_hash = r.id_hash AND e.province_id = %s AND e.status = 'active'
                  AND e.plan_kind = ANY(%s) AND e.starts_on <= %s AND e.ends_on >= %s)
            LIMIT 1
            """,
            [member_list.pk, province_id, kinds, period.ends_on, period.starts_on],
        )
        if cursor.fetchone():
            raise ValidationError(_enrolled_meanwhile_message())


def _next_policy_number(office: Organisation, year: int) -> str:
    """Office code + year + a gap-free sequence: the counter row is locked until commit."""
    PolicySequence.objects.get_or_create(office=office, year=year)
    sequence = PolicySequence.objects.select_for_update().get(office=office, year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{office.code}-{year}-{sequence.last_value:06d}"


@transaction.atomic
def member_list_approve(*, actor: User, member_list: MemberList) -> Policy:
    """Issue (or extend) the unit's policy and store the passing rows as enrollments."""
    require_permission(actor, "enrollment.approve")
    locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
    _check_approver(actor, locked)
    with unscoped():  # the period belongs to the office that pools the plan, maybe above the approver
        period = Period.objects.select_related("plan").select_for_update(of=("self",)).get(pk=locked.period_id)
    unit = locked.org
    today = dates.business_today()
    now = timezone.now()
    if today > period.ends_on:
        raise ValidationError(_("The period has ended; lists can no longer be approved for it."))

    policy = Policy.objects.select_for_update().filter(org=unit, period=period).first()
    starts_on = period.starts_on if policy is None else max(period.starts_on, today)
    if policy is None:
        policy = Policy.objects.create(
            org=unit,
            number=_next_policy_number(actor.org, now.astimezone(timezone.get_current_timezone()).year),
            period=period,
            issued_by_office=actor.org,
            issued_by=actor,
            issued_at=now,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
        )
    if period.frozen_at is None:
        period.frozen_at = now
        period.save(update_fields=["frozen_at"])

    shares = ListRow.objects.filter(member_list=locked, ok=True).values_list("shares", flat=True).first() or 1
    subsidy = subsidy_for(
        kind=period.subsidy_kind,
        amount=period.subsidy_amount,
        stages=period.subsidy_stages,
        enrolled_on=today if period.subsidy_kind == SubsidyKind.STAGED else period.starts_on,
    )
    split = premium_split(
        shares=shares, premium_per_share=period.premium_per_share, subsidy=subsidy, unit_ratio=period.unit_ratio
    )
    province_id = unit.ancestor_ids()[0]
    _refuse_people_enrolled_meanwhile(locked, period, province_id)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO enrollment_enrollment (
                    org_id, org_path, province_id, period_id, plan_kind, policy_id, member_list_id, row_number,
                    name, id_cipher, id_hash, id_masked, gender, birth_date, phone_cipher, shares,
                    starts_on, ends_on, premium, member_part, unit_part, union_part, status, cancel_reason,
                    created_at)
                SELECT org_id, org_path, %s, %s, %s, %s, member_list_id, row_number,
                       name, id_cipher, id_hash, id_masked, gender, birth_date, phone_cipher, shares,
                       %s, %s, %s, %s, %s, %s, 'active', '', %s
                FROM enrollment_listrow WHERE member_list_id = %s AND ok
                """,
                [
                    province_id,
                    period.pk,
                    period.plan.kind,
                    policy.pk,
                    starts_on,
                    period.ends_on,
                    split.premium,
                    split.member_part,
                    split.unit_part,
                    split.union_part,
                    now,
                    locked.pk,
                ],
            )
    except IntegrityError as error:
        if "one_active_enrollment" not in str(error):
            raise
        raise ValidationError(_enrolled_meanwhile_message()) from error

    totals = Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.ACTIVE).aggregate(
        members=Count("id"),
        shares=Sum("shares"),
        premium=Sum("premium"),
        member_part=Sum("member_part"),
        unit_part=Sum("unit_part"),
        union_part=Sum("union_part"),
    )
    policy.member_count = totals["members"]
    policy.share_count = totals["shares"] or 0
    for part in ("premium", "member_part", "unit_part", "union_part"):
        setattr(policy, part, totals[part] or Decimal("0"))
    policy.save()

    locked.status = ListStatus.APPROVED
    locked.decided_by, locked.decided_at, locked.policy = actor, now, policy
    locked.save(update_fields=["status", "decided_by", "decided_at", "policy"])
    ListRow.objects.filter(member_list=locked).delete()
    events.publish(PolicyIssued(policy=policy, actor=actor))
    return policy


# Card printing -----------------------------------------------------------------------------


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
    from io import BytesIO

    from pypdf import PdfWriter

    from enrollment import documents

    mine = CardPrintJob.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if not mine.update(status=JobStatus.RUNNING, attempt=F("attempt") + 1, progress=0, error=""):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    current = CardPrintJob.objects.filter(pk=job.pk, attempt=job.attempt, status=JobStatus.RUNNING)
    members = (
        Enrollment.objects.filter(org_path__startswith=job.org_path, period=job.period, status=EnrollmentStatus.ACTIVE)
        .select_related("policy", "period__plan", "org")
        .order_by("org_path", "policy_id", "row_number")
    )
    total = members.count()
    writer = PdfWriter()
    done = 0
    try:
        for chunk in documents.cards_pdf_chunks(
            documents.cards_for(members.iterator(chunk_size=1000)), office=job.org.name, chunk=500
        ):
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


# One person's enrollments ------------------------------------------------------------------


@transaction.atomic
def enrollment_cancel(*, actor: User, enrollment: Enrollment, reason: str, on: date | None = None) -> Enrollment:
    """Cancel an enrollment (a leaver, a death, a mistake) with its reason and date."""
    require_permission(actor, "enrollment.cancel")
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.status != EnrollmentStatus.ACTIVE:
        raise ValidationError(_("This enrollment is already cancelled."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the cancellation.")})
    on = on or dates.business_today()
    if not locked.starts_on <= on <= locked.ends_on:
        raise ValidationError({"on": _("The cancellation date must lie within the coverage.")})
    locked.status, locked.cancelled_on, locked.cancel_reason = EnrollmentStatus.CANCELLED, on, reason.strip()[:200]
    locked.save(update_fields=["status", "cancelled_on", "cancel_reason"])
    return locked


@records_refusals("pii.reveal", target="enrollment")
def enrollment_reveal_id(*, actor: User, enrollment: Enrollment) -> str:
    """The full ID number, for a role that may see it; the reveal is recorded (who, when, from
    which node, which record) in the append-only audit trail before the number is returned."""
    import pghistory

    require_permission(actor, "pii.reveal")
    pghistory.create_event(enrollment, label="id_revealed")
    return pii.decrypt(enrollment.id_cipher)


# Renewal -----------------------------------------------------------------------------------


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
            },
        )
        for index, e in enumerate(members, start=1)
    ]
    if not rows:
        raise ValidationError(_("Keep at least one member to renew."))
    data = rows_workbook(
        rows=rows, problems=[], unit_name=policy.org.name, period_label=period.label, plans=[period.plan.name]
    )
    return member_list_upload(
        actor=actor,
        unit=policy.org,
        period=period,
        data=data,
        filename=f"{_('Renewal')}-{policy.number}.xlsx",
        kind=ListKind.RENEWAL,
    )

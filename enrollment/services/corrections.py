"""An erroneous member list, withdrawn or superseded.

Before its approval a list can be withdrawn by its uploader or by an office above its unit, with
a reason: it counts nowhere after that (its checked rows are dropped, it leaves every queue),
keeps its file and report, and can be copied into a new upload.

A correction is uploaded "as a correction of list X" (same unit and period). Approving it
supersedes X: a list not yet approved simply stops counting; an approved list's members are
ended or corrected through the correction's endorsement (批单), never by rewriting the money
already issued: people on both lists with the same shares are corrected in place (their number,
coverage and premium stay), the others on X are ended on the day of the correction, and the
correction's new people are enrolled as any supplementary list's. The endorsement carries the
net change of premium, in its own month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, EnrollmentStatus, ListRow, ListStatus, MemberList
from mutualaid import pii
from mutualaid.models import User
from mutualaid.roles import require_permission

# A list may be withdrawn while it waits: checked (with or without errors), submitted, sent back
# or unreadable. While it is being checked the check would overwrite the withdrawal.
WITHDRAWABLE = {ListStatus.VALID, ListStatus.INVALID, ListStatus.SUBMITTED, ListStatus.REJECTED, ListStatus.FAILED}
# A list that can be corrected: any that still counts or may count.
CORRECTABLE = WITHDRAWABLE | {ListStatus.APPROVED}
# A correction that no longer stands in the way of another one.
CLOSED = {ListStatus.WITHDRAWN, ListStatus.REJECTED, ListStatus.FAILED, ListStatus.SUPERSEDED}


def member_list_may_withdraw(*, actor: User, member_list: MemberList) -> bool:
    """Its uploader (while they may upload) or an office above its unit that approves lists."""
    if member_list.status not in WITHDRAWABLE:
        return False
    if actor.pk == member_list.uploaded_by_id and actor.has_perm("enrollment.upload"):
        return True
    office = actor.org
    return (
        actor.has_perm("enrollment.approve")
        and office is not None
        and office.is_office
        and member_list.org_path.startswith(office.path)
    )


@transaction.atomic
def member_list_withdraw(*, actor: User, member_list: MemberList, reason: str) -> MemberList:
    """Withdraw a list before its approval, with the reason shown on its page and in its history."""
    locked = MemberList.objects.select_for_update().get(pk=member_list.pk)
    if locked.status == ListStatus.APPROVED:
        raise ValidationError(
            _("An approved list cannot be withdrawn: upload its correction, which replaces it once approved.")
        )
    if locked.status not in WITHDRAWABLE:
        raise ValidationError(
            _("This list cannot be withdrawn in its present state (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    if not member_list_may_withdraw(actor=actor, member_list=locked):
        raise PermissionDenied(_("Only the list's uploader or an office above its unit can withdraw it."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the list is withdrawn.")})
    locked.status = ListStatus.WITHDRAWN
    locked.withdrawn_by, locked.withdrawn_at, locked.withdrawal_reason = actor, timezone.now(), reason.strip()[:300]
    locked.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdrawal_reason"])
    ListRow.objects.filter(member_list=locked).delete()
    return locked


def correction_target_check(*, actor: User, correction_of: MemberList, unit_id: int, period_id: int) -> None:
    """The list a new upload corrects: same unit and period, still counting, not corrected twice."""
    require_permission(actor, "enrollment.upload")
    if correction_of.org_id != unit_id or correction_of.period_id != period_id:
        raise ValidationError({"corrects": _("A correction is for the same unit and period as the list it corrects.")})
    if correction_of.status not in CORRECTABLE:
        raise ValidationError(
            {
                "corrects": _("List “%(name)s” is %(status)s and cannot be corrected.")
                % {"name": correction_of.original_name, "status": correction_of.get_status_display()}
            }
        )
    pending = MemberList.objects.filter(corrects=correction_of).exclude(status__in=CLOSED).first()
    if pending is not None:
        raise ValidationError(
            {
                "corrects": _("List “%(name)s” already has a correction waiting (“%(other)s”): withdraw it first.")
                % {"name": correction_of.original_name, "other": pending.original_name}
            }
        )


def original_lock(correction: MemberList) -> MemberList | None:
    """The list a correction supersedes, locked for the correction's approval; refused when it
    was withdrawn or superseded meanwhile."""
    if correction.corrects_id is None:
        return None
    original = MemberList.objects.select_for_update().get(pk=correction.corrects_id)
    if original.status not in CORRECTABLE:
        raise ValidationError(
            _(
                "The list this one corrects (“%(name)s”) is now %(status)s: "
                "send this one back and upload it as a new list."
            )
            % {"name": original.original_name, "status": original.get_status_display()}
        )
    return original


@dataclass
class Replacement:
    """What approving a correction did to the members of the approved list it supersedes."""

    ended: int = 0
    corrected: int = 0  # whose details changed; the others stay as they were
    ended_premium: Decimal = Decimal("0")
    ended_parts: dict[str, Decimal] = field(
        default_factory=lambda: {
            "member_part": Decimal("0"),
            "unit_part": Decimal("0"),
            "union_part": Decimal("0"),
            "levels_part": Decimal("0"),
        }
    )


DETAILS = ("name", "gender", "birth_date", "phone_cipher", "id_masked")


def original_members_replace(*, correction: MemberList, original: MemberList, today: date) -> Replacement:
    """The approved original's active members, replaced by the correction's passing rows: the
    same person with the same shares is corrected in place (and their row leaves the staging
    rows, so it is not enrolled twice); every other member of the original is ended today."""
    done = Replacement()
    rows = {bytes(r.id_hash): r for r in ListRow.objects.filter(member_list=correction, ok=True) if r.id_hash}
    reason = _("Replaced by correction list “%(name)s”") % {"name": correction.original_name}
    members = Enrollment.objects.select_for_update().filter(member_list=original, status=EnrollmentStatus.ACTIVE)
    for member in members.order_by("number"):
        row = rows.get(bytes(member.id_hash))
        if row is not None and row.shares == member.shares:
            if _details_differ(member, row):
                for name in DETAILS:
                    setattr(member, name, getattr(row, name))
                member.save(update_fields=list(DETAILS))
                done.corrected += 1
            ListRow.objects.filter(pk=row.pk).delete()
            continue
        member.status = EnrollmentStatus.CANCELLED
        member.cancelled_on = min(max(today, member.starts_on), member.ends_on)
        member.cancel_reason = reason[:200]
        member.save(update_fields=["status", "cancelled_on", "cancel_reason"])
        done.ended += 1
        done.ended_premium += member.premium
        for part in done.ended_parts:
            done.ended_parts[part] += getattr(member, part)
    return done


def _details_differ(member: Enrollment, row: ListRow) -> bool:
    phone = pii.decrypt(member.phone_cipher) if member.phone_cipher else ""
    new_phone = pii.decrypt(row.phone_cipher) if row.phone_cipher else ""
    same = all(getattr(member, name) == getattr(row, name) for name in ("name", "gender", "birth_date", "id_masked"))
    return not same or phone != new_phone


def original_supersede(*, original: MemberList, correction: MemberList) -> None:
    """The original points at what replaced it; its staging rows, if any, go."""
    original.status = ListStatus.SUPERSEDED
    original.superseded_by = correction
    original.save(update_fields=["status", "superseded_by"])
    ListRow.objects.filter(member_list=original).delete()

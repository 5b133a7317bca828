"""The three-level review (and the leader's, for a large claim): pass, return for more documents
or reject, at the level the claim waits at, by a reviewer of the office that pays it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.lifecycle import NEXT_STATUS, REVIEW_LEVELS
from claims.models import Claim, ClaimStatus, StepAction
from claims.notices import notice_claim_decided
from claims.services._shared import check_one_level, clear_handoff, lock_claim, lock_person, record_step
from claims.services.calculation import claim_refresh
from mutualaid.audit import records_refusals
from mutualaid.models import User
from mutualaid.noticesend import deliver_after_commit
from mutualaid.roles import require_permission

_STEP_ACTIONS = {"pass": StepAction.PASS, "return": StepAction.RETURN, "reject": StepAction.REJECT}


@records_refusals("claims.review", target="claim")
@transaction.atomic
def claim_review(*, actor: User, claim: Claim, version: int, action: str, reason: str = "") -> Claim:
    """Pass, return or reject the claim at the level it waits at."""
    locked = lock_claim(claim, version)
    if locked.status not in REVIEW_LEVELS:
        raise ValidationError(
            _("Claim %(number)s is not waiting for review (it is: %(status)s).")
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    level, perm = REVIEW_LEVELS[locked.status]
    _check_decider(actor, locked, perm)
    # The head of the office above who overrode a level the reviewing office could not decide.
    escalated = locked.handed_to_id == actor.pk and locked.assignee_overrides
    if actor.org_id != locked.review_office_id and not escalated:
        raise PermissionDenied(
            _("Claims of this plan are reviewed by %(office)s.") % {"office": locked.review_office.name}
        )
    check_one_level(actor, locked, level)
    reason = reason.strip()
    if action == "pass":
        _pass(locked)
    elif action in ("return", "reject"):
        if not reason:
            raise ValidationError({"reason": _("Write the reason; the member will read it.")})
        locked.reason = reason[:300]
        if action == "return":
            locked.status = ClaimStatus.INCOMPLETE
            locked.documents_complete_on = locked.target_due_on = locked.limit_due_on = None
        else:
            locked.status = ClaimStatus.REJECTED
    else:
        raise ValidationError(_("Unknown action: pass, return or reject."))
    record_step(locked, level=level, action=_STEP_ACTIONS[action], actor=actor, note=reason)
    clear_handoff(locked)
    locked.version += 1
    locked.save()
    if action in ("return", "reject"):
        told = notice_claim_decided(claim=locked, action=action)
        deliver_after_commit(office_id=actor.org_id or locked.org_id, notice_ids=told, actor_id=actor.pk)
    return locked


def _check_decider(actor: User, claim: Claim, perm: str) -> None:
    """The level's role, or, where the level was handed to one person, that person alone (the
    office head without the role, after an override)."""
    handed_to = claim.handed_to_id
    if handed_to is not None and handed_to != actor.pk:
        raise PermissionDenied(
            _("This level of claim %(number)s was handed to %(name)s: only they decide it now.")
            % {"number": claim.number, "name": claim.assignee}
        )
    if handed_to is not None and claim.assignee_overrides:
        require_permission(actor, "claims.override")
    else:
        require_permission(actor, perm)


def _pass(claim: Claim) -> None:
    # The caps and the claim limit depend on the member's other claims: serialise with them and
    # compute once more, so that two claims approved at once cannot both use the same room.
    lock_person(claim)
    claim_refresh(claim=claim)
    if claim.blocking_flags:
        raise ValidationError(
            _("The claim is blocked: %(reasons)s Reject it, or return it to have the figures corrected.")
            % {"reasons": " ".join(flag["message"] for flag in claim.blocking_flags)}
        )
    if claim.status in (ClaimStatus.FINAL_REVIEW, ClaimStatus.LEADER_REVIEW) and claim.payout <= 0:
        raise ValidationError(
            _("The calculation pays nothing (%(reason)s): reject the claim with the reason.")
            % {"reason": claim.refused_reason or _("no amount under the rules")}
        )
    if claim.status == ClaimStatus.FINAL_REVIEW:
        threshold = claim.period.plan.large_claim_amount
        claim.needs_leader = threshold is not None and claim.payout >= threshold
        claim.status = ClaimStatus.LEADER_REVIEW if claim.needs_leader else ClaimStatus.APPROVED
    else:
        claim.status = NEXT_STATUS[claim.status]
    if claim.status == ClaimStatus.APPROVED:
        claim.approved_at = timezone.now()

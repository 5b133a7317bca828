"""Small offices: the level a claim waits at handed to one person, or decided by the office head.

One person acts at one level of a claim, registration included, so a claim registered by an
office's only claims officer has nobody for its first review. The rule stays; the office head or
the claims supervisor hands the level to another person of the office who may decide it, and
where nobody may, the office head decides it after an override with a written reason. Both are
steps in the claim's history; the override never lets one person decide two levels of a claim.

The way out when the office head cannot override either (the head registered the claim, or
decided another level of it, and is the office's only head): the override passes to an office
head of the office directly above (`selectors.claim_override_office_id`), whose queue of claims
nobody can take lists it; that head then decides the level as the one it was handed to.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from claims.lifecycle import REVIEW_LEVELS
from claims.models import Claim, Level, StepAction
from claims.selectors import claim_override_office_id, level_candidates
from claims.services._shared import check_one_level, lock_claim, record_step
from mutualaid.audit import records_refusals
from mutualaid.models import User
from mutualaid.roles import require_permission

OVERRIDE_REASON_MIN = 5


def _waiting_level(actor: User, claim: Claim, perm: str, *, office_id: int | None = None) -> Level:
    """The level the claim waits at, refused unless the actor may hand it on at the reviewing
    office (or override it at `office_id`, the office above when the reviewing office's heads may not)."""
    require_permission(actor, perm)
    if actor.org_id not in {claim.review_office_id, office_id}:
        raise PermissionDenied(
            _("Claims of this plan are reviewed by %(office)s.") % {"office": claim.review_office.name}
        )
    if claim.status not in REVIEW_LEVELS:
        raise ValidationError(
            _("Claim %(number)s is not waiting for review (it is: %(status)s).")
            % {"number": claim.number, "status": claim.get_status_display()}
        )
    return REVIEW_LEVELS[claim.status][0]


@records_refusals("claims.assign", target="claim")
@transaction.atomic
def claim_reassign(*, actor: User, claim: Claim, version: int, assignee_id: int) -> Claim:
    """Hand the level the claim waits at to one person of the reviewing office who holds the
    level's role and did not act on the claim at another level; only they decide it then."""
    locked = lock_claim(claim, version)
    level = _waiting_level(actor, locked, "claims.assign")
    chosen = next((user for user in level_candidates(claim=locked) if user.pk == assignee_id), None)
    if chosen is None:
        raise ValidationError(
            {
                "assignee": _(
                    "This person may not decide the “%(level)s” of this claim: choose someone of %(office)s "
                    "in the list, who holds the level's role and did not act on the claim at another level."
                )
                % {"level": level.label, "office": locked.review_office.name}
            }
        )
    locked.assignee = chosen
    locked.assigned_status = locked.status
    locked.assignee_overrides = False
    record_step(
        locked,
        level=Level.HANDOFF,
        action=StepAction.REASSIGN,
        actor=actor,
        note=_("“%(level)s” handed to %(name)s.") % {"level": level.label, "name": chosen},
    )
    locked.version += 1
    locked.save()
    return locked


@records_refusals("claims.override", target="claim")
@transaction.atomic
def claim_override(*, actor: User, claim: Claim, version: int, reason: str) -> Claim:
    """Where nobody who holds the level's role may decide it, the office head decides it, with
    the reason written in the claim's history; never a second level of the same claim."""
    locked = lock_claim(claim, version)
    office_id = claim_override_office_id(claim=locked) if locked.status in REVIEW_LEVELS else None
    level = _waiting_level(actor, locked, "claims.override", office_id=office_id)
    reason = reason.strip()
    if len(reason) < OVERRIDE_REASON_MIN:
        raise ValidationError(
            {
                "reason": _("Write why you decide this level yourself (at least %(n)s characters).")
                % {"n": OVERRIDE_REASON_MIN}
            }
        )
    if level_candidates(claim=locked):
        raise ValidationError(
            _("Someone of the office may decide the “%(level)s”: hand it to them instead.") % {"level": level.label}
        )
    check_one_level(actor, locked, level)
    locked.assignee = actor
    locked.assigned_status = locked.status
    locked.assignee_overrides = True
    record_step(locked, level=level, action=StepAction.OVERRIDE, actor=actor, note=reason)
    locked.version += 1
    locked.save()
    return locked

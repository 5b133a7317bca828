"""What every claims workflow uses: the claim's row lock with its version check, the advisory
locks that serialise one person's claims, the claim and batch numbers, the step records, the
rule that one person acts at one level of a claim, and the rule that a change after a pass sends
the claim back to the first level.

A pass covers the figures, documents and payee the reviewer saw. When any of them changes after
a pass, the claim starts its review again at the first level (a "round"): the passes of earlier
rounds no longer count, so the same people may pass again, and one person still acts at one level
within a round. Intake (registration, and changes made at intake) counts in every round: whoever
entered the papers never reviews them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from claims.lifecycle import REVIEW_LEVELS, barred_from_level
from claims.models import Claim, ClaimStatus, ClaimStep, Level, StepAction
from mutualaid import dates
from mutualaid.models import User
from mutualaid.roles import require_permission


def lock_claim(claim: Claim, version: int | None) -> Claim:
    """The claim, locked for the transaction; refused if someone moved it since `version` was read
    (None: any version, for an action that does not depend on what the actor saw)."""
    locked = (
        Claim.objects.select_for_update().select_related("review_office", "period__plan", "enrollment").get(pk=claim.pk)
    )
    if version is not None and locked.version != version:
        raise ValidationError(
            _(
                "Someone else changed claim %(number)s a moment ago (it is now: %(status)s); nothing was applied. "
                "Reload the page and check it again."
            )
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    return locked


def lock_person(claim: Claim) -> None:
    """Serialise what depends on one person's other claims (caps, limits, invoice re-use) for the
    rest of the transaction, across every office of the province."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"claims-person:{claim.id_hash.hex()}"]
        )


def lock_invoices(province_id: int, numbers: Iterable[str]) -> None:
    """Serialise the claims that use the same invoice numbers in the province, so that one bill
    cannot be registered twice at the same moment."""
    with connection.cursor() as cursor:
        for number in sorted(numbers):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"invoice:{province_id}:{number}"])


def next_number(sequence: str, prefix: str) -> str:
    """The next number of a database sequence, with its prefix and the year: numbers never repeat,
    even across offices and rolled-back transactions."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError(sequence)
    return f"{prefix}{dates.business_today():%Y}{row[0]:07d}"


def record_step(claim: Claim, *, level: str, action: str, actor: User, note: str = "") -> None:
    ClaimStep.objects.create(org=claim.org, claim=claim, level=level, action=action, actor=actor, note=note[:1000])


def _round_start(claim: Claim) -> int | None:
    """The step that began the current review round (the last time a change sent the claim back
    to the first level), or None in the first round."""
    return (
        ClaimStep.objects.filter(claim=claim, action=StepAction.REOPEN)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def passed_this_round(claim: Claim) -> bool:
    """Whether a reviewer has passed the claim since it last started its review."""
    passes = ClaimStep.objects.filter(claim=claim, action=StepAction.PASS)
    start = _round_start(claim)
    return (passes.filter(pk__gt=start) if start is not None else passes).exists()


def reopen_after_change(claim: Claim, *, actor: User, level: str) -> bool:
    """After a figure, a document or the payee changed: if a reviewer had passed the claim, it
    goes back to the first level and a step says so (the caller has recorded what changed). The
    working-day clock keeps running: the documents were complete, and the office's second look is
    the office's time, not the member's. Returns whether the claim was sent back."""
    if not passed_this_round(claim):
        return False
    if claim.status in REVIEW_LEVELS:
        claim.status = ClaimStatus.FIRST_REVIEW
    claim.needs_leader = False
    clear_handoff(claim)
    record_step(
        claim,
        level=level,
        action=StepAction.REOPEN,
        actor=actor,
        note=_("The passes before this change no longer count: the claim is reviewed again from the first level."),
    )
    return True


def acting_level(actor: User, claim: Claim) -> str:
    """The level at which the actor changes a claim before approval: the review level it waits at
    if they review there, otherwise intake."""
    level_perm = REVIEW_LEVELS.get(claim.status)
    if level_perm and actor.has_perm(level_perm[1]) and actor.org_id == claim.review_office_id:
        return level_perm[0]
    require_permission(actor, "claims.register")
    return Level.INTAKE


def check_one_level(actor: User, claim: Claim, level: str) -> None:
    """Refuse an actor who already acted on the claim at another level (payment and hand-offs
    excepted) in this round; intake counts in every round."""
    own = ClaimStep.objects.filter(claim=claim, actor=actor).order_by("pk")
    earlier = barred_from_level(own, level, _round_start(claim)).get(actor.pk)
    if earlier is not None:
        raise PermissionDenied(
            _(
                "You already acted on this claim at the level “%(level)s”; one person may act at one level only. "
                "Another colleague must do this."
            )
            % {"level": Level(earlier).label}
        )


def clear_handoff(claim: Claim) -> None:
    """The claim moved: whoever the level it left was handed to decides nothing more."""
    claim.assignee = None
    claim.assigned_status = ""
    claim.assignee_overrides = False

"""What every claims workflow uses: the claim's row lock with its version check, the advisory
locks that serialise one person's claims, the claim and batch numbers, the step records and the
rule that one person acts at one level of a claim."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from claims.lifecycle import REVIEW_LEVELS
from claims.models import Claim, ClaimStep, Level
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
    ClaimStep.objects.create(org=claim.org, claim=claim, level=level, action=action, actor=actor, note=note[:300])


def acting_level(actor: User, claim: Claim) -> str:
    """The level at which the actor changes a claim before approval: the review level it waits at
    if they review there, otherwise intake."""
    level_perm = REVIEW_LEVELS.get(claim.status)
    if level_perm and actor.has_perm(level_perm[1]) and actor.org_id == claim.review_office_id:
        return level_perm[0]
    require_permission(actor, "claims.register")
    return Level.INTAKE


def check_one_level(actor: User, claim: Claim, level: str) -> None:
    """Refuse an actor who already acted on the claim at another level (payment excepted)."""
    other = ClaimStep.objects.filter(claim=claim, actor=actor).exclude(level=level).exclude(level=Level.PAYMENT)
    earlier = other.first()
    if earlier is not None:
        raise PermissionDenied(
            _(
                "You already acted on this claim at the level “%(level)s”; one person may act at one level only. "
                "Another colleague must do this."
            )
            % {"level": earlier.get_level_display()}
        )

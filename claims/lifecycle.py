"""The way a claim moves, as data read by the services (which move it), the selectors (which list
it by where it waits) and the views (which show what the reader may do).

A claim moves incomplete → first_review → second_review → final_review (→ leader_review for a
large claim) → approved → in_batch → paid, or to rejected from any review level; a reviewer may
also return it to incomplete for more documents. The working-day clock starts when the last
required document is in, and stops at payment.
"""

from __future__ import annotations

from collections.abc import Iterable

from claims.models import CareType, ClaimStatus, ClaimStep, DocumentKind, Level, StepAction

# The review levels in order, the status a claim waits in at each, and who may act there.
REVIEW_LEVELS: dict[str, tuple[Level, str]] = {
    ClaimStatus.FIRST_REVIEW: (Level.FIRST, "claims.review_first"),
    ClaimStatus.SECOND_REVIEW: (Level.SECOND, "claims.review_second"),
    ClaimStatus.FINAL_REVIEW: (Level.FINAL, "claims.review_final"),
    ClaimStatus.LEADER_REVIEW: (Level.LEADER, "claims.review_leader"),
}
# Where a pass sends a claim; from final review it depends on the payout (the leader's threshold).
NEXT_STATUS: dict[str, str] = {
    ClaimStatus.FIRST_REVIEW: ClaimStatus.SECOND_REVIEW,
    ClaimStatus.SECOND_REVIEW: ClaimStatus.FINAL_REVIEW,
    ClaimStatus.LEADER_REVIEW: ClaimStatus.APPROVED,
}
# Before approval the figures may change and the payout is recomputed; after it, never.
OPEN_STATUSES = frozenset({ClaimStatus.INCOMPLETE, *REVIEW_LEVELS})
# Claims that count against the member's cap and claim limit in the period.
ACCEPTED_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.IN_BATCH, ClaimStatus.PAID)
# Claims whose working-day clock runs: documents complete, not yet paid.
CLOCK_RUNNING = [*REVIEW_LEVELS, ClaimStatus.APPROVED, ClaimStatus.IN_BATCH]

# The documents without which a claim cannot be reviewed, by kind of care.
REQUIRED_DOCUMENTS: dict[str, tuple[str, ...]] = {
    CareType.INPATIENT: (DocumentKind.DISCHARGE, DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.RADIOTHERAPY: (DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.CHEMOTHERAPY: (DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.DIALYSIS: (DocumentKind.INVOICE, DocumentKind.SETTLEMENT),
    CareType.CRITICAL_ILLNESS: (DocumentKind.DIAGNOSIS,),
    CareType.DEATH: (DocumentKind.DEATH,),
}


# Steps at these levels decide nothing about the claim: they do not bar anyone from a level.
NOT_A_LEVEL = (Level.PAYMENT, Level.HANDOFF)


def barred_from_level(steps: Iterable[ClaimStep], level: str, round_start: int | None) -> dict[int, str]:
    """Who may not act at `level` of a claim, given its steps in order: each person who acted at
    another level in this round (intake in every round), with the first such level. The one rule
    that the review, the hand-offs and the queue of claims nobody can take all read."""
    barred: dict[int, str] = {}
    for step in steps:
        if step.level == level or step.level in NOT_A_LEVEL:
            continue
        if round_start is not None and step.level != Level.INTAKE and step.pk < round_start:
            continue
        barred.setdefault(step.actor_id, step.level)
    return barred


def round_start_in(steps: Iterable[ClaimStep]) -> int | None:
    """The step that began the current review round (the last change that sent the claim back to
    the first level), or None in the first round."""
    reopens = [step.pk for step in steps if step.action == StepAction.REOPEN]
    return max(reopens) if reopens else None

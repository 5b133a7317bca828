"""The way a claim moves, as data read by the services (which move it), the selectors (which list
it by where it waits) and the views (which show what the reader may do).

A claim moves incomplete → first_review → second_review → final_review (→ leader_review for a
large claim) → approved → in_batch → paid, or to rejected from any review level; a reviewer may
also return it to incomplete for more documents. The working-day clock starts when the last
required document is in, and stops at payment.
"""

from __future__ import annotations

from claims.models import CareType, ClaimStatus, DocumentKind, Level

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

"""What each union level owes an office's books (1132 应收工会补助), per level and payer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from enrollment.models import UnionLevel
from finance.models import SubsidyMovement, SubsidyMovementKind
from finance.rules import ZERO
from mutualaid.models import Organisation


@dataclass(frozen=True)
class SubsidyReceivable:
    subsidy_id: int
    plan_name: str
    period_label: str
    level: str  # the level as a person reads it
    payer: str
    per_share: Decimal
    owed: Decimal
    taken_back: Decimal
    received: Decimal
    refunded: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        """What the level still owes; below zero when it paid for members cancelled since."""
        return self.owed - self.taken_back - self.received + self.refunded

    @property
    def to_refund(self) -> Decimal:
        """What the office owes the level back (应退): what it paid beyond what it owes."""
        return max(-self.outstanding, ZERO)


def _movement_sums() -> dict[str, Sum]:
    """A level's movements summed by kind: what it owes, what was taken back, what it paid, what
    was paid back to it."""
    return {
        "owed": Sum("amount", filter=Q(kind=SubsidyMovementKind.OWED)),
        "back": Sum("amount", filter=Q(kind=SubsidyMovementKind.TAKEN_BACK)),
        "received": Sum("amount", filter=Q(kind=SubsidyMovementKind.RECEIVED)),
        "refunded": Sum("amount", filter=Q(kind=SubsidyMovementKind.REFUNDED)),
    }


def subsidy_outstanding_get(*, office_id: int, subsidy_id: int) -> Decimal:
    """What one level still owes the office: owed, less taken back, less received, plus what was
    paid back to it; below zero, what the office owes the level back."""
    sums = SubsidyMovement.objects.filter(org_id=office_id, subsidy_id=subsidy_id).aggregate(**_movement_sums())
    return (sums["owed"] or ZERO) - (sums["back"] or ZERO) - (sums["received"] or ZERO) + (sums["refunded"] or ZERO)


def subsidy_receivable_list(*, office: Organisation) -> list[SubsidyReceivable]:
    """The office's receivable of each union level's subsidy, by plan, period and level (one
    query: the period's subsidy rides on the movements' join)."""
    sums = _movement_sums()
    rows = (
        SubsidyMovement.objects.filter(org=office)
        .values(
            "subsidy_id",
            "subsidy__level",
            "subsidy__payer__name",
            "subsidy__payer_name",
            "subsidy__per_share",
            "subsidy__period__label",
            "plan__name",
        )
        .annotate(owed=sums["owed"], back=sums["back"], received=sums["received"], refunded=sums["refunded"])
        .order_by("plan__name", "subsidy__period__label", "subsidy_id")
    )
    return [
        SubsidyReceivable(
            subsidy_id=row["subsidy_id"],
            plan_name=row["plan__name"],
            period_label=row["subsidy__period__label"],
            level=str(UnionLevel(row["subsidy__level"]).label),
            payer=row["subsidy__payer__name"] or row["subsidy__payer_name"],
            per_share=row["subsidy__per_share"],
            owed=row["owed"] or ZERO,
            taken_back=row["back"] or ZERO,
            received=row["received"] or ZERO,
            refunded=row["refunded"] or ZERO,
        )
        for row in rows
    ]

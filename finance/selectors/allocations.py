"""Reads of allocations down the tree (划拨): the list of the caller's tree, and what the office
that pools a plan has available to allocate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from enrollment.models import Plan
from finance.models import (
    APPROVAL_LAYERS,
    Account,
    Allocation,
    AllocationApproval,
    AllocationStatus,
    JournalLine,
    PaymentRequest,
    PaymentStatus,
)
from finance.rules import ZERO, normal_balance
from mutualaid.models import Organisation, User
from mutualaid.tenancy import unscoped

# Approved payments not yet paid out of the bank account (as finance.selectors.payments.UNPAID).
_UNPAID = (PaymentStatus.APPROVED, PaymentStatus.SENT)


def allocation_list(*, office: Organisation | None = None) -> QuerySet[Allocation]:
    """Allocations of the caller's tree, newest first: those an office of the tree asked for,
    which the office pooling the plan sees as its own tree's requests."""
    qs = Allocation.objects.select_related("org", "pooling_office", "plan", "requested_by", "claims_batch")
    if office is not None:
        qs = qs.filter(org=office)
    return qs.order_by("-requested_at", "-pk")


# The work an allocation waits for from a person (the home page's to-dos and the list's "queue").
QUEUES = ("sign", "send", "receive")


def allocation_queue(*, user: User, queue: str) -> QuerySet[Allocation]:
    """The allocations waiting for the user: `sign`, asked of their office, at a layer they sign,
    not asked for nor signed by them; `send`, approved by their office and to transfer; `receive`,
    transferred to their office and to confirm."""
    if queue == "sign":
        layers = [place for place, (_name, perm) in enumerate(APPROVAL_LAYERS) if user.has_perm(perm)]
        signed_by_me = AllocationApproval.objects.filter(allocation=OuterRef("pk"), approver_id=user.pk)
        return (
            Allocation.objects.filter(pooling_office_id=user.org_id, status=AllocationStatus.REQUESTED)
            .exclude(requested_by_id=user.pk)
            .annotate(signed=Count("approvals"))
            .filter(signed__in=layers)
            .exclude(Exists(signed_by_me))
        )
    if queue == "send":
        return Allocation.objects.filter(pooling_office_id=user.org_id, status=AllocationStatus.APPROVED)
    if queue == "receive":
        return Allocation.objects.filter(org_id=user.org_id, status=AllocationStatus.TRANSFERRED)
    raise ValueError(queue)


@dataclass(frozen=True)
class Room:
    """What the pooling office may allocate of a plan's money: the plan's share of its bank
    account, less the risk reserve held for the plan (drawn only by a reserve draw), less what is
    already committed (payments approved and not yet paid, allocations approved and not yet
    transferred)."""

    office: Organisation
    bank: Decimal
    reserve: Decimal
    committed: Decimal

    @property
    def available(self) -> Decimal:
        return self.bank - self.reserve - self.committed


def allocation_room_get(*, pooling_office: Organisation, plan: Plan, exclude: Allocation | None = None) -> Room:
    """The pooling office's room for the plan (four queries)."""
    with unscoped():  # the pooling office's books lie above the office that asks for the allocation
        sums = {
            row["account"]: normal_balance(row["account"], row["d"] or ZERO, row["c"] or ZERO)
            for row in JournalLine.objects.filter(
                org=pooling_office, plan=plan, account__in=[Account.BANK, Account.RESERVE_FUND]
            )
            .values("account")
            .annotate(d=Sum("debit"), c=Sum("credit"))
        }
        payments = PaymentRequest.objects.filter(org=pooling_office, plan=plan, status__in=_UNPAID).aggregate(
            total=Sum("amount")
        )["total"]
        approved = Allocation.objects.filter(pooling_office=pooling_office, plan=plan, status=AllocationStatus.APPROVED)
        if exclude is not None:
            approved = approved.exclude(pk=exclude.pk)
        allocations = approved.aggregate(total=Sum("amount"))["total"]
    return Room(
        office=pooling_office,
        bank=sums.get(Account.BANK, ZERO),
        reserve=sums.get(Account.RESERVE_FUND, ZERO),
        committed=(payments or ZERO) + (allocations or ZERO),
    )


def allocations_committed(*, office: Organisation, plan: Plan | None = None) -> Decimal:
    """What the office has approved to allocate below and not yet transferred (every plan, or the
    one `plan`), which its bank account must still cover (read in the office's own scope)."""
    approved = Allocation.objects.filter(pooling_office=office, status=AllocationStatus.APPROVED)
    if plan is not None:
        approved = approved.filter(plan=plan)
    return approved.aggregate(total=Sum("amount"))["total"] or ZERO

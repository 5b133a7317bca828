"""Allocations down the tree (划拨/下拨). Where a plan is pooled above the office that pays its
claims (Jiangmen: the province pools, the city reviews and pays), the paying office asks the
pooling office for funds, for a claims batch or to top up its imprest (备用金); the pooling
office approves in layers (office head, finance head, leader in charge: none of them the
requester) and transfers; the paying office confirms the money arrived. Both books record it:

- on the transfer, the pooling office: debit 1231 funds allocated below, credit 1001 bank;
  the paying office: debit 1012 in transit, credit 2242 funds allocated by the office above;
- on receipt, the paying office: debit 1001 bank, credit 1012 in transit, and (except for what
  pays claims it pays on the pooling office's behalf, which stays due to / due from until the
  batch is paid, when the pooling office books them as its claims: claims_batches.py) the pair of
  due-to and due-from is closed in both books (the allocation is spent by the pooling office and
  income of the paying office, as union books carry 拨出经费 and 上级拨入): the paying office
  debits 2242 and credits 6061 funds allocated by the office above, the pooling office debits
  6451 funds allocated below and credits 1231. Nothing stays open between the two offices, and a
  consolidation of their books drops 6451 against 6061 (finance/selectors/consolidation.py).

An allocation above what the pooling office has available for the plan (its bank balance for
the plan, less the reserve and what is already committed) is refused, when asked for, when
approved and when transferred, with nothing booked.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from claims.models import Claim, PaymentBatch
from enrollment.models import Plan
from finance.models import (
    APPROVAL_LAYERS,
    Account,
    Allocation,
    AllocationApproval,
    AllocationPurpose,
    AllocationStatus,
    EntryKind,
    FinanceSettings,
)
from finance.rules import CENT, MONEY_OFFICES, ZERO, money_text
from finance.selectors.allocations import Room, allocation_room_get
from finance.services.ledger import acting_office, books_lock, credit, debit, entry_post, number_next
from mutualaid import dates
from mutualaid.audit import records_refusals
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


def _pooling_office(office: Organisation, plan: Plan) -> Organisation:
    """The office above `office` that pools the plan, or a refusal saying why there is none."""
    if plan.org_id == office.pk:
        raise ValidationError(
            {"plan": _("Your office pools %(plan)s itself: its claims are paid from its own account.") % {"plan": plan}}
        )
    if plan.org_id not in office.ancestor_ids():
        raise ValidationError({"plan": _("%(plan)s is not pooled by an office above yours.") % {"plan": plan}})
    with unscoped():  # the pooling office lies above the office asking for funds
        return Organisation.objects.get(pk=plan.org_id)


def _batch_amount(batch: PaymentBatch, plan: Plan) -> Decimal:
    """What the batch pays out on the plan's claims."""
    total = batch.claims.filter(period__plan=plan).aggregate(total=Sum("payout"))["total"]
    return total or ZERO


def _on_behalf_part(allocation: Allocation) -> Decimal:
    """What of an allocation for a claims batch pays claims the batch's office pays on behalf of
    the office that reviewed them (seed 000's women workers' plan): the pooling office's own cost,
    booked there when the batch is paid."""
    if allocation.claims_batch_id is None:
        return ZERO
    total = (
        Claim.objects.filter(batch_id=allocation.claims_batch_id, period__plan_id=allocation.plan_id)
        .exclude(pay_office_id=F("review_office_id"))
        .aggregate(total=Sum("payout"))["total"]
    )
    return min(total or ZERO, allocation.amount)


def room_refused(room: Room, amount: Decimal, plan: Plan) -> str:
    return _(
        "%(office)s has %(available)s yuan available for %(plan)s (bank %(bank)s, less the reserve %(reserve)s and "
        "%(committed)s yuan already committed): an allocation of %(amount)s yuan is refused. Ask for less, or ask "
        "%(office)s to collect the premium due first."
    ) % {
        "office": room.office.name,
        "available": money_text(max(room.available, ZERO)),
        "plan": plan.name,
        "bank": money_text(room.bank),
        "reserve": money_text(room.reserve),
        "committed": money_text(room.committed),
        "amount": money_text(amount),
    }


@transaction.atomic
def allocation_request(
    *,
    actor: User,
    plan: Plan | None,
    purpose: str,
    amount: Decimal | None,
    claims_batch: PaymentBatch | None = None,
    note: str = "",
) -> Allocation:
    """Ask the office that pools the plan for funds. For a claims batch the amount is what the
    batch pays on the plan's claims; for the imprest, the amount asked for."""
    require_permission(actor, "finance.ask_allocation")
    office = acting_office(actor)
    if office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books."))
    errors: dict[str, str] = {}
    if purpose not in AllocationPurpose.values:
        errors["purpose"] = _("Choose what the funds are for.")
    if plan is None:
        errors["plan"] = _("Choose the plan the funds are for.")
        raise ValidationError(errors)
    pooling = _pooling_office(office, plan)
    if purpose == AllocationPurpose.CLAIMS_BATCH:
        if claims_batch is None or claims_batch.org_id != office.pk:
            errors["claims_batch"] = _("Choose a payment batch of your office.")
        else:
            total = _batch_amount(claims_batch, plan)
            if total <= 0:
                errors["claims_batch"] = _("Batch %(batch)s pays no claim of %(plan)s.") % {
                    "batch": claims_batch.number,
                    "plan": plan.name,
                }
            elif amount is not None and amount != total:
                errors["amount"] = _(
                    "Batch %(batch)s pays %(total)s yuan on %(plan)s: that is the allocation (leave the amount empty)."
                ) % {"batch": claims_batch.number, "total": money_text(total), "plan": plan.name}
            live = Allocation.objects.filter(claims_batch=claims_batch, plan=plan).exclude(
                status=AllocationStatus.REJECTED
            )
            if live.exists():
                errors["claims_batch"] = _("Funds for batch %(batch)s on %(plan)s have already been asked for.") % {
                    "batch": claims_batch.number,
                    "plan": plan.name,
                }
            amount = total
    elif claims_batch is not None:
        errors["claims_batch"] = _("Only an allocation for a claims batch names a batch.")
    if "amount" not in errors and (amount is None or amount <= 0 or amount != amount.quantize(CENT)):
        errors["amount"] = _("Enter an amount above 0, in yuan with at most two decimals.")
    if errors or amount is None:
        raise ValidationError(errors)
    room = allocation_room_get(pooling_office=pooling, plan=plan)
    if amount > room.available:
        raise ValidationError({"amount": room_refused(room, amount, plan)})
    return Allocation.objects.create(
        org=office,
        number=number_next(sequence="finance_allocation_number_seq", prefix="HB"),
        pooling_office=pooling,
        plan=plan,
        purpose=purpose,
        claims_batch=claims_batch,
        amount=amount,
        note=note.strip()[:200],
        requested_by=actor,
    )


def allocation_next_layer(*, allocation: Allocation) -> tuple[str, str] | None:
    """The next layer to sign at the pooling office, or None once every layer has signed."""
    done = set(allocation.approvals.values_list("layer", flat=True))
    return next(((layer, perm) for layer, perm in APPROVAL_LAYERS if layer not in done), None)


def _lock(allocation: Allocation, version: int | None) -> Allocation:
    locked = (
        Allocation.objects.select_for_update().select_related("org", "pooling_office", "plan").get(pk=allocation.pk)
    )
    if version is not None and locked.version != version:
        raise ValidationError(
            _("Someone else acted on allocation %(number)s a moment ago; nothing was applied. Reload the page.")
            % {"number": locked.number}
        )
    return locked


def _check_room(locked: Allocation) -> None:
    """Refuse an allocation the pooling office's plan money no longer covers."""
    room = allocation_room_get(pooling_office=locked.pooling_office, plan=locked.plan, exclude=locked)
    if locked.amount > room.available:
        raise ValidationError(room_refused(room, locked.amount, locked.plan))


@records_refusals("finance.approve", target="allocation")
@transaction.atomic
def allocation_approve(
    *, actor: User, allocation: Allocation, version: int, meeting: str = "", meeting_on: date | None = None
) -> Allocation:
    """Sign the next layer at the pooling office: three different people, none of them the one
    who asked. From the pooling office's collective-decision amount, the last layer records the
    meeting that decided it."""
    locked = _lock(allocation, version)
    if locked.status != AllocationStatus.REQUESTED:
        raise ValidationError(_("Allocation %(number)s is not awaiting approval.") % {"number": locked.number})
    if actor.org_id != locked.pooling_office_id:
        raise PermissionDenied(
            _("Allocations are approved by the office that pools the plan, %(office)s.")
            % {"office": locked.pooling_office.name}
        )
    layer = allocation_next_layer(allocation=locked)
    if layer is None:
        raise ValidationError(_("Allocation %(number)s is not awaiting approval.") % {"number": locked.number})
    name, perm = layer
    require_permission(actor, perm)
    if actor.pk == locked.requested_by_id:
        raise PermissionDenied(_("You asked for this allocation, so you may not approve it."))
    if locked.approvals.filter(approver=actor).exists():
        raise PermissionDenied(_("You have already approved this allocation; another person must sign this layer."))
    last = len(APPROVAL_LAYERS) == locked.approvals.count() + 1
    if last:
        decision_from = office_settings(FinanceSettings, locked.pooling_office).collective_decision_from
        if meeting.strip() and meeting_on:
            locked.meeting, locked.meeting_on = meeting.strip()[:120], meeting_on
        if locked.amount >= decision_from and not (locked.meeting and locked.meeting_on):
            raise ValidationError(
                {
                    "meeting": _(
                        "From %(limit)s yuan an allocation needs the record of the collective decision: enter the "
                        "meeting and its date."
                    )
                    % {"limit": money_text(decision_from)}
                }
            )
        books_lock(office=locked.pooling_office, plan=locked.plan)
        _check_room(locked)
        locked.status = AllocationStatus.APPROVED
    AllocationApproval.objects.create(org=locked.org, allocation=locked, layer=name, approver=actor)
    locked.version += 1
    locked.save()
    return locked


@records_refusals("finance.reject", target="allocation")
@transaction.atomic
def allocation_reject(*, actor: User, allocation: Allocation, version: int, reason: str) -> Allocation:
    """Refuse the allocation at the layer awaiting a signature, with the reason."""
    locked = _lock(allocation, version)
    layer = allocation_next_layer(allocation=locked)
    if locked.status != AllocationStatus.REQUESTED or layer is None:
        raise ValidationError(_("Allocation %(number)s is not awaiting approval.") % {"number": locked.number})
    if actor.org_id != locked.pooling_office_id:
        raise PermissionDenied(
            _("Allocations are approved or rejected by the office that pools the plan, %(office)s.")
            % {"office": locked.pooling_office.name}
        )
    require_permission(actor, layer[1])
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    locked.status, locked.reason, locked.version = AllocationStatus.REJECTED, reason.strip()[:300], locked.version + 1
    locked.save()
    return locked


@transaction.atomic
def allocation_transfer(
    *, actor: User, allocation: Allocation, version: int, transferred_on: date, bank_reference: str
) -> Allocation:
    """The pooling office's bank sent the approved allocation: out of its bank account into
    funds allocated below, and in transit in the paying office's books."""
    require_permission(actor, "finance.post")
    locked = _lock(allocation, version)
    if actor.org_id != locked.pooling_office_id:
        raise PermissionDenied(
            _("Allocation %(number)s is transferred by %(office)s.")
            % {"number": locked.number, "office": locked.pooling_office.name}
        )
    if locked.status != AllocationStatus.APPROVED:
        raise ValidationError(_("Only an approved allocation can be transferred."))
    reference = bank_reference.strip()[:60]
    errors = {}
    if not reference:
        errors["bank_reference"] = _("Enter the bank's reference of the transfer.")
    if transferred_on > dates.business_today():
        errors["transferred_on"] = _("The transfer date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    # Payments and other allocations of the pooling office wait here, so that each sees the others.
    list(Organisation.objects.select_for_update(no_key=True).filter(pk=locked.pooling_office_id).values_list("pk"))
    books_lock(office=locked.pooling_office, plan=locked.plan)
    _check_room(locked)
    memo = _("Allocation %(number)s to %(office)s") % {"number": locked.number, "office": locked.org.name}
    entry_post(
        actor=actor,
        office=locked.pooling_office,
        plan=locked.plan,
        kind=EntryKind.ALLOCATION_SENT,
        posted_on=transferred_on,
        memo=memo,
        legs=[debit(Account.ALLOCATED_BELOW, locked.amount), credit(Account.BANK, locked.amount)],
        key=f"allocation-out:{locked.pk}",
        bank_reference=reference,
    )
    entry_post(
        actor=actor,
        office=locked.org,
        plan=locked.plan,
        kind=EntryKind.ALLOCATION_RECEIVED,
        posted_on=transferred_on,
        memo=_("Allocation %(number)s from %(office)s, in transit")
        % {"number": locked.number, "office": locked.pooling_office.name},
        legs=[debit(Account.IN_TRANSIT, locked.amount), credit(Account.ALLOCATED_FROM_ABOVE, locked.amount)],
        key=f"allocation-in:{locked.pk}",
        bank_reference=reference,
    )
    locked.status, locked.transferred_on, locked.transferred_by = AllocationStatus.TRANSFERRED, transferred_on, actor
    locked.bank_reference, locked.version = reference, locked.version + 1
    locked.save()
    return locked


@transaction.atomic
def allocation_receive(
    *, actor: User, allocation: Allocation, version: int, received_on: date | None = None
) -> Allocation:
    """The paying office's bank received the allocation: from in transit into its bank account
    (confirmed by whoever confirms the office's remittances up, an agent point's agent included)."""
    require_permission(actor, "finance.remit")
    locked = _lock(allocation, version)
    if actor.org_id != locked.org_id:
        raise PermissionDenied(
            _("Allocation %(number)s is received by %(office)s.") % {"number": locked.number, "office": locked.org.name}
        )
    if locked.status != AllocationStatus.TRANSFERRED:
        raise ValidationError(_("Only an allocation the office above has transferred can be received."))
    received_on = received_on or dates.business_today()
    if received_on > dates.business_today():
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    sent_on = locked.transferred_on
    if sent_on is not None and received_on < sent_on:
        raise ValidationError(
            {
                "received_on": _("The money cannot arrive before it was sent on %(day)s.")
                % {"day": locked.transferred_on}
            }
        )
    # What pays claims the paying office pays for the pooling office stays due to / due from until
    # the batch is paid (finance/services/claims_batches.py); the rest is closed now.
    closing = locked.amount - _on_behalf_part(locked)
    closing_legs = (
        [debit(Account.ALLOCATED_FROM_ABOVE, closing), credit(Account.ALLOCATIONS_IN, closing)] if closing else []
    )
    entry_post(
        actor=actor,
        office=locked.org,
        plan=locked.plan,
        kind=EntryKind.ALLOCATION_RECEIVED,
        posted_on=received_on,
        memo=_("Allocation %(number)s from %(office)s received")
        % {"number": locked.number, "office": locked.pooling_office.name},
        legs=[debit(Account.BANK, locked.amount), credit(Account.IN_TRANSIT, locked.amount), *closing_legs],
        key=f"allocation-received:{locked.pk}",
        bank_reference=locked.bank_reference,
    )
    if closing:
        entry_post(
            actor=actor,
            office=locked.pooling_office,
            plan=locked.plan,
            kind=EntryKind.ALLOCATION_SETTLED,
            posted_on=received_on,
            memo=_("Allocation %(number)s received by %(office)s")
            % {"number": locked.number, "office": locked.org.name},
            legs=[debit(Account.ALLOCATIONS_OUT, closing), credit(Account.ALLOCATED_BELOW, closing)],
            key=f"allocation-settled:{locked.pk}",
            bank_reference=locked.bank_reference,
        )
    locked.status, locked.received_on, locked.received_by = AllocationStatus.RECEIVED, received_on, actor
    locked.version += 1
    locked.save()
    return locked

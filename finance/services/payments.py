"""Outgoing payments from the dedicated account: prepared by one person, approved in layers by
three others (office head, finance head, leader in charge), then booked when the bank pays. A
claims batch's payment goes the same way, with its transfer file sent to the bank in between
(finance/services/claims_batches.py).
Management fees stay under the office's cap, and a reserve draw under the reserve held."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import PaymentBatch
from enrollment.models import Endorsement, Enrollment, EnrollmentStatus, Plan, Policy
from finance.models import (
    APPROVAL_LAYERS,
    DECISION_ALWAYS,
    PAYMENT_ACCOUNTS,
    Account,
    FinanceSettings,
    JournalEntry,
    JournalLine,
    PaymentApproval,
    PaymentKind,
    PaymentRequest,
    PaymentStatus,
)
from finance.rules import CENT, ZERO, money_text, normal_balance
from finance.services.claims_batches import batch_payment_book, batch_payment_defaults, batch_transfer_file
from finance.services.ledger import acting_office, balance_get, books_lock, credit, debit, entry_post, number_next
from finance.services.overdraft import allocation_hint, overdraft_decide, overdraft_warning
from finance.services.receipts import refund_receipts_for_payment
from mutualaid import dates
from mutualaid.audit import records_refusals
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission
from mutualaid.selectors import role_granted_by


def _fee_room(office: Organisation, plan: Plan, year: int) -> Decimal:
    """What may still be spent on management fees this year: the office's cap as a share of the
    premium of its tree's policies of the year, less the fees already posted. Read in the
    caller's scope: the office paying the fees is the caller's own."""
    ratio = office_settings(FinanceSettings, office).fee_cap_ratio
    premium = (
        Policy.objects.filter(org_path__startswith=office.path, period__plan=plan, issued_at__year=year).aggregate(
            total=Sum("premium")
        )["total"]
        or ZERO
    )
    spent = JournalLine.objects.filter(
        org=office, plan=plan, account=Account.MANAGEMENT_FEE, posted_on__year=year
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    fees = normal_balance(Account.MANAGEMENT_FEE, spent["debit"] or ZERO, spent["credit"] or ZERO)
    return (premium * ratio).quantize(CENT) - fees


def _fee_refused(room: Decimal, amount: Decimal) -> str:
    return _("The management fee cap leaves %(room)s yuan this year for this plan; %(amount)s yuan is refused.") % {
        "room": money_text(max(room, ZERO)),
        "amount": money_text(amount),
    }


def _reserve_refused(available: Decimal) -> str:
    return _("The reserve fund holds %(available)s yuan for this plan.") % {"available": available}


def _refundable(policy: Policy) -> Decimal:
    """What may still be refunded on a policy by a payment: the premium of its members cancelled
    one by one, less the refunds prepared for it and not rejected.

    Members ended by a correction list are not paid back this way: the correction's endorsement
    already took their premium off what the unit owes (and, where the collecting office pools the
    plan, off its premium income), so what the unit paid for them is a credit on its receivable,
    paid back from its receipt by a red receipt (finance/services/receipts.py). Refunding them
    here too would book the same premium as a cost a second time (6011)."""
    # The unions' levels' part is taken back from their receivables, never refunded to the unit
    # (a level that had paid it is paid back from its receivable: finance/services/subsidies.py).
    cancelled = Enrollment.objects.filter(policy=policy, status=EnrollmentStatus.CANCELLED).aggregate(
        total=Sum(F("premium") - F("levels_part"))
    )["total"]
    ended = _ended_unit_premium(policy)
    refunded = (
        PaymentRequest.objects.filter(policy=policy, kind=PaymentKind.PREMIUM_REFUND)
        .exclude(status=PaymentStatus.REJECTED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return (cancelled or ZERO) - (ended or ZERO) - (refunded or ZERO)


def _ended_unit_premium(policy: Policy) -> Decimal:
    """The premium less the union levels' part of the members the policy's corrections ended:
    what `_refundable` counts of them among the cancelled, and leaves to the red receipts. A
    correction's endorsement stores its levels' part net (what it adds less what it ends), so
    the ended members' part is what its own members carry less that net figure."""
    corrections = Endorsement.objects.filter(policy=policy, ended_premium__gt=0)
    ended = corrections.aggregate(premium=Sum("ended_premium"), net_levels=Sum("levels_part"))
    added_levels = Enrollment.objects.filter(
        policy=policy, member_list__endorsement__in=corrections.values("pk")
    ).aggregate(total=Sum("levels_part"))["total"]
    ended_levels = (added_levels or ZERO) - (ended["net_levels"] or ZERO)
    return (ended["premium"] or ZERO) - ended_levels


def _ended_by_corrections(policy: Policy) -> bool:
    return Endorsement.objects.filter(policy=policy, ended_premium__gt=0).exists()


def _refund_policy(plan: Plan | None, number: str, amount: Decimal | None, errors: dict[str, str]) -> Policy | None:
    """The policy a premium refund pays back, read in the caller's scope (its own tree's units),
    within what its cancelled members paid."""
    policy = Policy.objects.filter(number=number.strip()).select_related("period").first() if number.strip() else None
    if policy is None:
        errors["policy_number"] = _("Enter the number of the policy of your tree whose premium is refunded.")
        return None
    if plan is not None and policy.period.plan_id != plan.pk:
        errors["policy_number"] = _("Policy %(number)s is not of the plan chosen.") % {"number": policy.number}
        return None
    room = _refundable(policy)
    if amount is not None and amount > room:
        errors["amount"] = _(
            "Policy %(number)s has %(room)s yuan of premium of cancelled members not yet refunded: cancel the members "
            "first, or refund less."
        ) % {"number": policy.number, "room": money_text(max(room, ZERO))}
        if _ended_by_corrections(policy):
            errors["amount"] += " " + _(
                "Members ended by a correction list are not refunded by a payment: what the unit paid for them is "
                "paid back from its receipt with a red receipt (Receipts page)."
            )
    return policy


def _check_within_limits(office: Organisation, plan: Plan, kind: str, amount: Decimal, errors: dict[str, str]) -> None:
    if kind == PaymentKind.MANAGEMENT_FEE:
        room = _fee_room(office, plan, dates.business_today().year)
        if amount > room:
            errors["amount"] = _fee_refused(room, amount)
    elif kind == PaymentKind.RESERVE_DRAW:
        available = balance_get(office=office, plan=plan, account=Account.RESERVE_FUND)
        if amount > available:
            errors["amount"] = _reserve_refused(available)


def _check_kind(kind: str, errors: dict[str, str]) -> None:
    """A kind of the list, and one with its account in the chart."""
    if kind not in PaymentKind.values:
        errors["kind"] = _("Choose what the payment is for.")
    elif kind not in PAYMENT_ACCOUNTS:
        errors["kind"] = _(
            "A payment for %(kind)s has no account in the chart to be booked to: it cannot be prepared. Ask the "
            "administrator to give the kind its account."
        ) % {"kind": PaymentKind(kind).label}


@transaction.atomic
def payment_prepare(
    *,
    actor: User,
    plan: Plan | None,
    kind: str,
    amount: Decimal | None,
    payee: str,
    purpose: str,
    claims_batch: PaymentBatch | None = None,
    meeting: str = "",
    meeting_on: date | None = None,
    policy_number: str = "",
) -> PaymentRequest:
    """Prepare an outgoing payment for approval; whoever prepares it may not approve it. Each
    kind is booked to its own account (PAYMENT_ACCOUNTS); grants, member activities and hardship
    aid need a recorded collective decision whatever the amount; a premium refund names the
    policy and stays within the premium of its cancelled members."""
    require_permission(actor, "finance.prepare")
    office = acting_office(actor)
    errors: dict[str, str] = {}
    policy = None
    _check_kind(kind, errors)
    if kind == PaymentKind.CLAIMS_BATCH:
        if claims_batch is None or claims_batch.org_id != office.pk:
            errors["claims_batch"] = _("Choose a payment batch of your office.")
        else:
            live = PaymentRequest.objects.filter(claims_batch=claims_batch).exclude(status=PaymentStatus.REJECTED)
            if live.exists():
                errors["claims_batch"] = _("This batch already has a payment.")
            total, default_payee, default_purpose, batch_plan = batch_payment_defaults(batch=claims_batch)
            if amount is not None and amount != total:
                errors["amount"] = _(
                    "A batch is paid in full: its payment is the batch's total, %(total)s yuan "
                    "(leave the amount empty)."
                ) % {"total": total}
            amount, plan = total, batch_plan
            payee, purpose = payee.strip() or default_payee, purpose.strip() or default_purpose
    elif claims_batch is not None:
        errors["claims_batch"] = _("Only a payment for a claims batch names a batch.")
    if kind == PaymentKind.PREMIUM_REFUND:
        policy = _refund_policy(plan, policy_number, amount, errors)
    if kind != PaymentKind.CLAIMS_BATCH and plan is None:
        errors["plan"] = _("Choose the plan the payment is made for.")
    if amount is None or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = _("Enter an amount above 0, in yuan with at most two decimals.")
    if not payee.strip():
        errors["payee"] = _("Enter who is paid.")
    if not purpose.strip():
        errors["purpose"] = _("Enter what the payment is for.")
    decision_from = office_settings(FinanceSettings, office).collective_decision_from
    if amount and amount >= decision_from and not (meeting.strip() and meeting_on):
        errors["meeting"] = _(
            "From %(limit)s yuan a payment needs the record of the collective decision: enter the meeting and its date."
        ) % {"limit": money_text(decision_from)}
    elif kind in DECISION_ALWAYS and not (meeting.strip() and meeting_on):
        errors["meeting"] = _(
            "%(kind)s is paid beside the members' payouts and needs the record of the collective decision whatever "
            "the amount: enter the meeting and its date."
        ) % {"kind": PaymentKind(kind).label}
    if not errors and amount is not None and plan is not None:
        _check_within_limits(office, plan, kind, amount, errors)
    if errors or amount is None:
        raise ValidationError(errors)
    return PaymentRequest.objects.create(
        org=office,
        number=number_next(sequence="finance_payment_number_seq", prefix="FK"),
        plan=plan,
        kind=kind,
        amount=amount,
        payee=payee.strip()[:100],
        purpose=purpose.strip()[:200],
        claims_batch=claims_batch,
        policy=policy,
        meeting=meeting.strip()[:120],
        meeting_on=meeting_on,
        prepared_by=actor,
    )


def payment_next_layer(*, payment: PaymentRequest) -> tuple[str, str] | None:
    """The next layer to sign and the permission it takes, or None once every layer has signed."""
    done = set(payment.approvals.values_list("layer", flat=True))
    return next(((layer, perm) for layer, perm in APPROVAL_LAYERS if layer not in done), None)


@records_refusals("finance.approve", target="payment")
@transaction.atomic
def payment_approve(*, actor: User, payment: PaymentRequest, version: int) -> PaymentRequest:
    """Sign the next layer: office head, then finance head, then the leader in charge, three
    different people, none of them the one who prepared the payment."""
    locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
    if locked.version != version:
        raise ValidationError(
            _("Someone else acted on payment %(number)s a moment ago; nothing was applied. Reload the page.")
            % {"number": locked.number}
        )
    if locked.status != PaymentStatus.PENDING:
        raise ValidationError(_("Payment %(number)s is not awaiting approval.") % {"number": locked.number})
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Payments are approved by the office that makes them."))
    layer = payment_next_layer(payment=locked)
    if layer is None:  # cannot happen for a pending payment; refuse rather than approve twice
        raise ValidationError(_("Payment %(number)s is not awaiting approval.") % {"number": locked.number})
    name, perm = layer
    require_permission(actor, perm)
    if actor.pk == locked.prepared_by_id:
        raise PermissionDenied(_("You prepared this payment, so you may not approve it."))
    if locked.approvals.filter(approver=actor).exists():
        raise PermissionDenied(_("You have already approved this payment; another person must sign this layer."))
    signed = [*locked.approvals.select_related("approver"), PaymentApproval(layer=name, approver=actor)]
    if len(signed) == len(APPROVAL_LAYERS):
        _check_not_one_granter(signed)
    PaymentApproval.objects.create(org=locked.org, payment=locked, layer=name, approver=actor)
    if payment_next_layer(payment=locked) is None:
        locked.status = PaymentStatus.APPROVED
    locked.version += 1
    locked.save()
    return locked


def _check_not_one_granter(signed: list[PaymentApproval]) -> None:
    """Refuse the last signature when one person granted (confirmed grants) the approving role of
    every signer: three accounts made by one office head are not three people."""
    perms = dict(APPROVAL_LAYERS)
    granters = [role_granted_by(user=a.approver, permission=perms[a.layer]) for a in signed]
    first = granters[0]
    if first is None or any(granter is None or granter.pk != first.pk for granter in granters):
        return
    raise PermissionDenied(
        _(
            "Everyone who signs this payment was given their approving role by the same person (%(name)s); one "
            "person may not stand behind every signature. The last layer must be signed by someone whose role "
            "another person granted."
        )
        % {"name": first}
    )


@records_refusals("finance.reject", target="payment")
@transaction.atomic
def payment_reject(*, actor: User, payment: PaymentRequest, version: int, reason: str) -> PaymentRequest:
    """Refuse the payment at the layer awaiting a signature, with the reason: only whoever may
    sign that layer, in the office that makes the payment (an office above reads a child office's
    payments but neither approves nor rejects them)."""
    locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
    layer = payment_next_layer(payment=locked)
    if locked.version != version or locked.status != PaymentStatus.PENDING or layer is None:
        raise ValidationError(_("Payment %(number)s is not awaiting approval.") % {"number": locked.number})
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Payments are approved or rejected by the office that makes them."))
    require_permission(actor, layer[1])
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    locked.status, locked.reason, locked.version = PaymentStatus.REJECTED, reason.strip()[:300], locked.version + 1
    locked.save()
    return locked


def _check_still_within_limits(payment: PaymentRequest, plan: Plan, paid_on: date) -> None:
    """The cap and the reserve again, under the books' lock: other payments may have been booked
    since this one was prepared."""
    books_lock(office=payment.org, plan=plan)
    if payment.kind == PaymentKind.MANAGEMENT_FEE:
        room = _fee_room(payment.org, plan, paid_on.year)
        if payment.amount > room:
            raise ValidationError(_fee_refused(room, payment.amount))
    elif payment.kind == PaymentKind.RESERVE_DRAW:
        available = balance_get(office=payment.org, plan=plan, account=Account.RESERVE_FUND)
        if payment.amount > available:
            raise ValidationError(_reserve_refused(available))


def _lock_own(actor: User, payment: PaymentRequest, version: int | None = None) -> PaymentRequest:
    """The payment, locked, if the actor's office makes it and (when given) nobody acted since."""
    locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Payments are made by the office that prepared them."))
    if version is not None and locked.version != version:
        raise ValidationError(
            _("Someone else acted on payment %(number)s a moment ago; nothing was applied. Reload the page.")
            % {"number": locked.number}
        )
    return locked


def payment_transfer_file(*, actor: User, payment: PaymentRequest) -> bytes:
    """The bank-transfer workbook of a claims batch's payment, once the payment is approved in
    layers (it changes nothing: sending it is recorded by `payment_mark_sent`)."""
    require_permission(actor, "finance.post")
    if payment.org_id != actor.org_id:
        raise PermissionDenied(_("Payments are made by the office that prepared them."))
    if payment.status not in (PaymentStatus.APPROVED, PaymentStatus.SENT, PaymentStatus.PAID):
        raise ValidationError(
            _(
                "The transfer file of payment %(number)s is made once the office head, the finance head and the "
                "leader have approved it."
            )
            % {"number": payment.number}
        )
    return batch_transfer_file(payment=payment)


@transaction.atomic
def payment_mark_sent(*, actor: User, payment: PaymentRequest, version: int) -> PaymentRequest:
    """The transfer file of an approved claims batch's payment went to the bank."""
    require_permission(actor, "finance.post")
    locked = _lock_own(actor, payment, version)
    if locked.kind != PaymentKind.CLAIMS_BATCH:
        raise ValidationError(_("Only a claims batch's payment has a transfer file."))
    if locked.status != PaymentStatus.APPROVED:
        raise ValidationError(_("Only an approved payment can be sent to the bank."))
    locked.status, locked.sent_at, locked.sent_by = PaymentStatus.SENT, timezone.now(), actor
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def payment_mark_paid(
    *, actor: User, payment: PaymentRequest, paid_on: date, bank_reference: str, overdraw_reason: str = ""
) -> PaymentRequest:
    """The bank made an approved payment: booked out of the dedicated account. A claims batch's
    payment is paid once its transfer file has gone to the bank, and paying it settles its claims.
    A payment that takes the bank account below zero is booked only with a written reason."""
    require_permission(actor, "finance.post")
    locked = _lock_own(actor, payment)
    batch = locked.kind == PaymentKind.CLAIMS_BATCH
    if locked.status == PaymentStatus.PAID:
        raise ValidationError(_("Payment %(number)s is already booked as paid.") % {"number": locked.number})
    if batch and locked.status != PaymentStatus.SENT:
        raise ValidationError(_("Send the transfer file to the bank first, and record that it was sent."))
    if not batch and locked.status != PaymentStatus.APPROVED:
        raise ValidationError(_("Only an approved payment can be paid."))
    reference = bank_reference.strip()[:60]
    if not reference:
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the payment.")})
    if paid_on > dates.business_today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    _check_overdraft(actor, locked, overdraw_reason)
    if batch:
        locked.entry = batch_payment_book(actor=actor, payment=locked, paid_on=paid_on, bank_reference=reference)
    else:
        locked.entry = _book(actor, locked, paid_on, reference)
        if locked.kind == PaymentKind.PREMIUM_REFUND:  # its red receipts point at this entry
            refund_receipts_for_payment(actor=actor, payment=locked, entry=locked.entry)
    locked.status, locked.paid_on, locked.paid_by = PaymentStatus.PAID, paid_on, actor
    locked.bank_reference, locked.version = reference, locked.version + 1
    locked.save()
    return locked


def _check_overdraft(actor: User, payment: PaymentRequest, reason: str) -> None:
    """Refuse a payment that takes the office's bank account below zero (with what the office is
    committed to besides this payment) unless a reason is given; with one, who gave it is recorded
    on the payment (finance/services/overdraft.py, under the office's row lock)."""
    decision = overdraft_decide(
        actor=actor,
        office=payment.org,
        amount=payment.amount,
        reason=reason,
        what=_payment_what(payment),
        todo=allocation_hint(payment.org),
        besides=payment.pk,
    )
    if decision is not None:
        for field, value in decision.fields().items():
            setattr(payment, field, value)


def _payment_what(payment: PaymentRequest) -> str:
    return _("Paying %(number)s") % {"number": payment.number}


def overdraft_warning_for(payment: PaymentRequest) -> str:
    """What the payment's page says before the transfer file goes and beside "paid" where the bank
    account does not cover the payment ("" where it does): the service's refusal, word for word."""
    return overdraft_warning(
        office=payment.org,
        amount=payment.amount,
        what=_payment_what(payment),
        todo=allocation_hint(payment.org),
        besides=payment.pk,
    )


def _book(actor: User, payment: PaymentRequest, paid_on: date, reference: str) -> JournalEntry:
    """A payment other than a claims batch, out of the dedicated account to its kind's account (a
    fee within the cap, a reserve draw within the reserve)."""
    plan = payment.plan
    if plan is None:  # the database refuses such a payment; say so rather than book nothing
        raise ValidationError(_("Choose the plan the payment is made for."))
    _check_still_within_limits(payment, plan, paid_on)
    if payment.kind not in PAYMENT_ACCOUNTS:
        raise ValidationError(_("A payment of this kind has no account in the chart to be booked to."))
    account, entry_kind = PAYMENT_ACCOUNTS[payment.kind]
    return entry_post(
        actor=actor,
        office=payment.org,
        plan=plan,
        kind=entry_kind,
        posted_on=paid_on,
        memo=f"{payment.number} {payment.payee}: {payment.purpose}",
        legs=[debit(account, payment.amount), credit(Account.BANK, payment.amount)],
        key=f"payment:{payment.pk}",
        bank_reference=reference,
    )

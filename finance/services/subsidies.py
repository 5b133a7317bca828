"""What the union levels owe on the premium (1132 应收工会补助), kept per level and payer by
`SubsidyMovement`: owed when a policy or endorsement is booked, taken back when a member is
cancelled (the receivable reduced, nothing refunded to the unit), received when a level pays, and
paid back to a level that had paid for members cancelled since (应退)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.events import EnrollmentCancelled
from enrollment.models import Endorsement, Policy, SubsidyShare
from finance.models import Account, EntryKind, JournalEntry, SubsidyMovement, SubsidyMovementKind
from finance.rules import CENT, ZERO, money_text
from finance.selectors.subsidies import subsidy_outstanding_get
from finance.services.ledger import acting_office, books_lock, credit, debit, entry_post, office_pools
from finance.services.overdraft import overdraft_decide, overdraft_warning
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission
from mutualaid.spreadsheets.write import RISKY_STARTS


def subsidy_owed_record(*, actor: User, entry: JournalEntry, policy: Policy, endorsement: Endorsement | None) -> None:
    """The levels' parts of a policy's issue or an endorsement, each on its level's receivable,
    beside the entry that booked them (a correction's negative part is taken back)."""
    shares = SubsidyShare.objects.filter(policy=policy, endorsement=endorsement).exclude(amount=0)
    SubsidyMovement.objects.bulk_create(
        SubsidyMovement(
            org=entry.org,
            org_path=entry.org.path,
            plan_id=entry.plan_id,
            subsidy_id=share.subsidy_id,
            kind=SubsidyMovementKind.OWED if share.amount > 0 else SubsidyMovementKind.TAKEN_BACK,
            amount=abs(share.amount),
            policy=policy,
            endorsement=endorsement,
            entry=entry,
            moved_on=entry.posted_on,
            recorded_by=actor,
        )
        for share in shares
    )


def on_enrollment_cancelled(event: EnrollmentCancelled) -> None:
    """A cancelled member's levels' parts leave the levels' receivables, in the books of the
    office that collects the unit's premium: the unit is not refunded what the unions granted."""
    member = event.enrollment
    shares = list(SubsidyShare.objects.filter(member_list_id=member.member_list_id, per_member__gt=0))
    total = sum((share.per_member for share in shares), ZERO)
    if total == 0:
        return
    # The collecting office is the unit's parent (finance.services.premiums.collecting_office_get),
    # read through the policy's row: whoever cancels may act below it.
    policy = Policy.objects.select_related("org__parent", "period__plan").get(pk=member.policy_id)
    office = policy.org.parent
    if office is None:
        raise ValueError("a unit always lies below an office")
    plan = policy.period.plan
    against = Account.SUBSIDY_INCOME if office_pools(office=office, plan=plan) else Account.DUE_TO_ABOVE
    entry = entry_post(
        actor=event.actor,
        office=office,
        plan=plan,
        kind=EntryKind.SUBSIDY_TAKEN_BACK,
        posted_on=dates.business_today(),
        memo=_("Union subsidies of member %(number)s of policy %(policy)s taken back on cancellation")
        % {"number": member.number, "policy": policy.number},
        legs=[debit(against, total), credit(Account.SUBSIDY_RECEIVABLE, total)],
        key=f"subsidy-taken-back:{member.pk}",
    )
    if SubsidyMovement.objects.filter(entry=entry).exists():
        return
    SubsidyMovement.objects.bulk_create(
        SubsidyMovement(
            org=office,
            org_path=office.path,
            plan=plan,
            subsidy_id=share.subsidy_id,
            kind=SubsidyMovementKind.TAKEN_BACK,
            amount=share.per_member,
            policy=policy,
            enrollment=member,
            entry=entry,
            moved_on=entry.posted_on,
            recorded_by=event.actor,
        )
        for share in shares
    )


def _money_errors(amount: Decimal | None, day: date | None, reference: str, *, refund: bool = False) -> dict[str, str]:
    """A level's payment (or, with `refund`, the office's refund to it) as entered: an amount in
    yuan above 0, the bank's reference as the bank writes it, and a date not in the future."""
    errors: dict[str, str] = {}
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = _("Enter an amount above 0, in yuan with at most two decimals.")
    if not reference:
        errors["bank_reference"] = (
            _("Enter the bank's reference of the transfer paying the union back.")
            if refund
            else _("Enter the bank's reference of the money received.")
        )
    elif len(reference) > 60:
        errors["bank_reference"] = _("Enter the bank's reference in at most 60 characters.")
    elif reference.startswith(RISKY_STARTS):
        errors["bank_reference"] = _("A bank reference starts with a letter or a digit, not with = + - or @.")
    if day is None or day > dates.business_today():
        if refund:
            errors["refunded_on"] = _("Enter the date the money was paid back, today at the latest.")
        else:
            errors["received_on"] = _("Enter the date the money arrived, today at the latest.")
    return errors


@transaction.atomic
def subsidy_payment_receive(
    *,
    actor: User,
    subsidy_id: int | None,
    amount: Decimal | None,
    received_on: date | None,
    bank_reference: str,
) -> SubsidyMovement:
    """A union level paid (all or part of) what it owes the actor's office: bank debited, the
    level's receivable credited. The same bank reference for the same level is the same payment;
    more than the level still owes is refused."""
    require_permission(actor, "finance.remit")  # whoever books the unit's premium books the unions' part
    office = acting_office(actor)
    reference = bank_reference.strip()
    errors = _money_errors(amount, received_on, reference)
    first = (
        SubsidyMovement.objects.filter(org=office, subsidy_id=subsidy_id).select_related("plan", "subsidy").first()
        if subsidy_id is not None
        else None
    )
    if first is None:
        errors["subsidy"] = _("Choose a union level's subsidy that your office's books hold a receivable of.")
    if errors or first is None or amount is None or received_on is None:
        raise ValidationError(errors)
    key = f"subsidy-received:{office.pk}:{first.subsidy_id}:{reference}"
    books_lock(office=office, plan=first.plan)
    done = SubsidyMovement.objects.filter(entry__idempotency_key=key, kind=SubsidyMovementKind.RECEIVED).first()
    if done is not None:
        return done
    owed = subsidy_outstanding_get(office_id=office.pk, subsidy_id=first.subsidy_id)
    if amount > owed:
        raise ValidationError(
            {
                "amount": _("%(payer)s owes %(owed)s yuan on this subsidy: enter at most that amount.")
                % {"payer": first.subsidy.payer_label, "owed": money_text(max(owed, ZERO))}
            }
        )
    label = first.subsidy.get_level_display()
    entry = entry_post(
        actor=actor,
        office=office,
        plan=first.plan,
        kind=EntryKind.SUBSIDY_COLLECTED,
        posted_on=received_on,
        memo=_("Subsidy of %(level)s received from %(payer)s") % {"level": label, "payer": first.subsidy.payer_label},
        legs=[debit(Account.BANK, amount), credit(Account.SUBSIDY_RECEIVABLE, amount)],
        key=key,
        bank_reference=reference,
    )
    return SubsidyMovement.objects.create(
        org=office,
        plan=first.plan,
        subsidy_id=first.subsidy_id,
        kind=SubsidyMovementKind.RECEIVED,
        amount=amount,
        entry=entry,
        moved_on=received_on,
        bank_reference=reference,
        recorded_by=actor,
    )


@transaction.atomic
def subsidy_refund_pay(
    *,
    actor: User,
    subsidy_id: int | None,
    amount: Decimal | None,
    refunded_on: date | None,
    bank_reference: str,
    overdraw_reason: str = "",
) -> SubsidyMovement:
    """The office pays a union level back what the level paid for members cancelled since (应退:
    the level's receivable below zero): the receivable debited, the bank credited. The same bank
    reference for the same level is the same refund; more than the office owes the level back is
    refused, naming the payer and the amount; a refund the bank account does not cover (with the
    payments, allocations and settlements it is committed to) only on a written reason, recorded."""
    require_permission(actor, "finance.remit")  # whoever books the level's payment books its refund
    office = acting_office(actor)
    reference = bank_reference.strip()
    errors = _money_errors(amount, refunded_on, reference, refund=True)
    first = (
        SubsidyMovement.objects.filter(org=office, subsidy_id=subsidy_id).select_related("plan", "subsidy").first()
        if subsidy_id is not None
        else None
    )
    if first is None:
        errors["subsidy"] = _("Choose a union level's subsidy that your office's books hold a receivable of.")
    if errors or first is None or amount is None or refunded_on is None:
        raise ValidationError(errors)
    key = f"subsidy-refunded:{office.pk}:{first.subsidy_id}:{reference}"
    # The office's row first, as payments and settlements take it before the books: a refund and
    # a payment booked at once see each other's money leave the bank account.
    list(Organisation.objects.select_for_update(no_key=True).filter(pk=office.pk).values_list("pk"))
    books_lock(office=office, plan=first.plan)
    done = SubsidyMovement.objects.filter(entry__idempotency_key=key, kind=SubsidyMovementKind.REFUNDED).first()
    if done is not None:
        return done
    owed_back = -subsidy_outstanding_get(office_id=office.pk, subsidy_id=first.subsidy_id)
    if amount > owed_back:
        raise ValidationError(
            {
                "amount": _("Your office owes %(payer)s %(owed)s yuan back on this subsidy: enter at most that amount.")
                % {"payer": first.subsidy.payer_label, "owed": money_text(max(owed_back, ZERO))}
            }
        )
    decision = overdraft_decide(
        actor=actor,
        office=office,
        amount=amount,
        reason=overdraw_reason,
        what=_refund_what(first.subsidy.payer_label),
        todo=_refund_todo(),
        field="overdraw_reason",
    )
    label = first.subsidy.get_level_display()
    entry = entry_post(
        actor=actor,
        office=office,
        plan=first.plan,
        kind=EntryKind.SUBSIDY_REFUNDED,
        posted_on=refunded_on,
        memo=_("Subsidy of %(level)s paid back to %(payer)s for members cancelled")
        % {"level": label, "payer": first.subsidy.payer_label},
        legs=[debit(Account.SUBSIDY_RECEIVABLE, amount), credit(Account.BANK, amount)],
        key=key,
        bank_reference=reference,
    )
    return SubsidyMovement.objects.create(
        org=office,
        plan=first.plan,
        subsidy_id=first.subsidy_id,
        kind=SubsidyMovementKind.REFUNDED,
        amount=amount,
        entry=entry,
        moved_on=refunded_on,
        bank_reference=reference,
        recorded_by=actor,
        **({} if decision is None else decision.fields()),
    )


def _refund_what(payer: str) -> str:
    return _("Paying %(payer)s back") % {"payer": payer}


def _refund_todo() -> str:
    return _("Book the refund once the premium has come in.")


def subsidy_refund_overdraft_warning(*, office: Organisation, payer: str, amount: Decimal) -> str:
    """What the union subsidies page says above the refund's button where the office's bank
    account does not cover paying a level back `amount` ("" where it does): the refusal
    subsidy_refund_pay gives without a written reason, word for word."""
    return overdraft_warning(office=office, amount=amount, what=_refund_what(payer), todo=_refund_todo())

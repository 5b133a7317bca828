"""Premiums in the books of the office that collects them: receivable when a policy is issued,
into the bank when the unit pays."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.events import EndorsementIssued, PolicyIssued
from enrollment.models import Endorsement, Period, Plan, Policy
from finance.models import Account, EntryKind, JournalEntry
from finance.services import subsidies
from finance.services.ledger import Leg, acting_office, credit, debit, entry_post, office_pools
from finance.services.receipts import premium_payment_book
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission


def collecting_office_get(*, unit: Organisation) -> Organisation:
    """The office that collects a unit's premium: its agent point, or the city above it.

    Read in the caller's scope: whoever books a unit's premium acts for an office above the unit
    (the office that approved its list, or the collecting office itself), so the unit's parent
    is the caller's office or lies below it."""
    if unit.parent_id is None:
        raise ValueError("a unit always lies below an office")
    return Organisation.objects.get(pk=unit.parent_id)


def _receivable_legs(
    *, office: Organisation, plan: Plan, premium: Decimal, union: Decimal, levels: Decimal
) -> list[Leg]:
    """Premium receivable: from the unit, less the union levels' subsidies, which each level owes
    on its own receivable (1132); income where the collecting office runs the plan (the unions'
    subsidies as subsidy income), otherwise due to the office above."""
    legs = [debit(Account.PREMIUM_RECEIVABLE, premium - levels), debit(Account.SUBSIDY_RECEIVABLE, levels)]
    if not office_pools(office=office, plan=plan):
        legs.append(credit(Account.DUE_TO_ABOVE, premium))
    else:
        legs += [
            credit(Account.PREMIUM_INCOME, premium - union - levels),
            credit(Account.SUBSIDY_INCOME, union + levels),
        ]
    return [leg for leg in legs if leg.debit or leg.credit]


def _receivable_post(
    *,
    actor: User,
    unit: Organisation,
    period: Period,
    premium: Decimal,
    union: Decimal,
    levels: Decimal,
    posted_on: date,
    memo: str,
    key: str,
) -> JournalEntry | None:
    """A unit's premium made receivable in the books of the office that collects it. A negative
    premium (a correction's endorsement that ends more than it adds) takes the difference back
    by the opposite entry, in its own month: what was booked before is never rewritten."""
    if premium == 0:
        return None
    office = collecting_office_get(unit=unit)
    legs = _receivable_legs(office=office, plan=period.plan, premium=abs(premium), union=abs(union), levels=abs(levels))
    if premium < 0:
        legs = [Leg(account=leg.account, debit=leg.credit, credit=leg.debit) for leg in legs]
    return entry_post(
        actor=actor,
        office=office,
        plan=period.plan,
        kind=EntryKind.POLICY_ISSUED if premium > 0 else EntryKind.REVERSAL,
        posted_on=posted_on,
        memo=memo,
        legs=legs,
        key=key,
    )


def on_policy_issued(event: PolicyIssued) -> None:
    """A policy makes its premium receivable on the day it was issued."""
    policy = event.policy
    entry = _receivable_post(
        actor=event.actor,
        unit=policy.org,
        period=policy.period,
        premium=policy.premium,
        union=policy.union_part,
        levels=policy.levels_part,
        posted_on=timezone.localdate(policy.issued_at),
        memo=_("Policy %(number)s of %(unit)s") % {"number": policy.number, "unit": policy.org.name},
        key=f"policy:{policy.pk}",
    )
    if entry is not None:
        subsidies.subsidy_owed_record(actor=event.actor, entry=entry, policy=policy, endorsement=None)


def on_endorsement_issued(event: EndorsementIssued) -> None:
    """An endorsement makes its own premium receivable on its effective date: in its month's
    books, never in the month the policy was issued."""
    endorsement, policy = event.endorsement, event.endorsement.policy
    entry = _receivable_post(
        actor=event.actor,
        unit=policy.org,
        period=policy.period,
        premium=endorsement.premium,
        union=endorsement.union_part,
        levels=endorsement.levels_part,
        posted_on=endorsement.effective_on,
        memo=_("Endorsement %(number)s of %(unit)s") % {"number": endorsement.number, "unit": policy.org.name},
        key=f"endorsement:{endorsement.pk}",
    )
    if entry is not None:
        subsidies.subsidy_owed_record(actor=event.actor, entry=entry, policy=policy, endorsement=endorsement)


def _check_receipt(actor: User, policy: Policy, bank_reference: str) -> Organisation:
    office = collecting_office_get(unit=policy.org)
    own = acting_office(actor)
    if office.pk != own.pk and not office.path.startswith(own.path):
        raise PermissionDenied(_("The premium of this policy is collected by %(office)s.") % {"office": office.name})
    if not bank_reference.strip():
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the payment.")})
    return office


def policy_issue_premium(*, policy: Policy) -> Decimal:
    """What the unit owes for the policy's issue: its premium less the union levels' subsidies
    (owed by those levels), less what its endorsements added, which each endorsement makes
    receivable (and is paid) on its own."""
    added = Endorsement.objects.filter(policy=policy).aggregate(total=Sum(F("premium") - F("levels_part")))["total"]
    return policy.premium - policy.levels_part - (added or Decimal("0"))


@transaction.atomic
def premium_receive(
    *, actor: User, policy: Policy, received_on: date, bank_reference: str, amount: Decimal | None = None
) -> JournalEntry:
    """The unit paid premium of the policy's issue into the dedicated account: all it owes
    (`amount` None) or a part, each payment with its numbered receipt."""
    require_permission(actor, "finance.remit")
    office = _check_receipt(actor, policy, bank_reference)
    return premium_payment_book(
        actor=actor,
        office=office,
        policy=policy,
        endorsement=None,
        due=policy_issue_premium(policy=policy),
        amount=amount,
        received_on=received_on,
        bank_reference=bank_reference,
        base_key=f"premium:{policy.pk}",
        memo=_("Premium of policy %(number)s received") % {"number": policy.number},
    )


@transaction.atomic
def endorsement_premium_receive(
    *,
    actor: User,
    endorsement: Endorsement,
    received_on: date,
    bank_reference: str,
    amount: Decimal | None = None,
) -> JournalEntry:
    """The unit paid premium of an endorsement into the dedicated account, all or a part."""
    require_permission(actor, "finance.remit")
    policy = endorsement.policy
    office = _check_receipt(actor, policy, bank_reference)
    if endorsement.premium <= 0:
        raise ValidationError(
            _("Endorsement %(number)s adds no premium to collect: it ends more members than it adds.")
            % {"number": endorsement.number}
        )
    return premium_payment_book(
        actor=actor,
        office=office,
        policy=policy,
        endorsement=endorsement,
        due=endorsement.premium - endorsement.levels_part,
        amount=amount,
        received_on=received_on,
        bank_reference=bank_reference,
        base_key=f"endorsement-premium:{endorsement.pk}",
        memo=_("Premium of endorsement %(number)s received") % {"number": endorsement.number},
    )

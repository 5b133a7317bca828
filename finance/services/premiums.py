"""Premiums in the books of the office that collects them: receivable when a policy is issued,
into the bank when the unit pays."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.events import PolicyIssued
from enrollment.models import Policy
from finance.models import Account, EntryKind, JournalEntry
from finance.services.ledger import Leg, acting_office, credit, debit, entry_post, office_pools
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


def on_policy_issued(event: PolicyIssued) -> None:
    """A policy makes its premium receivable in the books of the office that collects it: as
    income where that office runs the plan, otherwise as due to the office above."""
    policy, actor = event.policy, event.actor
    if policy.premium <= 0:
        return
    office = collecting_office_get(unit=policy.org)
    plan = policy.period.plan
    union = policy.union_part
    legs: list[Leg]
    if office_pools(office=office, plan=plan):
        legs = [
            debit(Account.PREMIUM_RECEIVABLE, policy.premium),
            credit(Account.PREMIUM_INCOME, policy.premium - union),
        ]
        if union > 0:
            legs.append(credit(Account.SUBSIDY_INCOME, union))
    else:
        legs = [debit(Account.PREMIUM_RECEIVABLE, policy.premium), credit(Account.DUE_TO_ABOVE, policy.premium)]
    entry_post(
        actor=actor,
        office=office,
        plan=plan,
        kind=EntryKind.POLICY_ISSUED,
        posted_on=timezone.localdate(policy.issued_at),
        memo=_("Policy %(number)s of %(unit)s") % {"number": policy.number, "unit": policy.org.name},
        legs=legs,
        key=f"policy:{policy.pk}",
    )


@transaction.atomic
def premium_receive(*, actor: User, policy: Policy, received_on: date, bank_reference: str) -> JournalEntry:
    """The unit's premium arrived in the dedicated account."""
    require_permission(actor, "finance.remit")
    office = collecting_office_get(unit=policy.org)
    own = acting_office(actor)
    if office.pk != own.pk and not office.path.startswith(own.path):
        raise PermissionDenied(_("The premium of this policy is collected by %(office)s.") % {"office": office.name})
    if not bank_reference.strip():
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the payment.")})
    return entry_post(
        actor=actor,
        office=office,
        plan=policy.period.plan,
        kind=EntryKind.PREMIUM_RECEIVED,
        posted_on=received_on,
        memo=_("Premium of policy %(number)s received") % {"number": policy.number},
        legs=[debit(Account.BANK, policy.premium), credit(Account.PREMIUM_RECEIVABLE, policy.premium)],
        key=f"premium:{policy.pk}",
        bank_reference=bank_reference.strip(),
    )

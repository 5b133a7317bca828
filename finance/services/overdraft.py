"""The one decision on money leaving an office's dedicated bank account (1001) that the account
does not cover: a payment booked as paid, a settlement paid to an office below, a refund to a
union level, a monthly remittance to the office above.

The account covers an amount when its balance, less what the office is committed to (payments
approved and not yet paid, allocations approved and not yet transferred, settlements asked of it
and not yet paid: `finance.selectors.payments.bank_overdraft_get`), is at least the amount. What
it does not cover is booked only on a written reason (`OVERDRAW_REASON_MIN` characters or more);
the reason, who gave it, when and the shortfall are kept on the row that moved the money. The
balance is read under a row lock of the paying office (FOR NO KEY UPDATE: rows pointing at the
office are still written meanwhile), so two of these booked at once see each other. A page shows
the same message before the person presses the button (`overdraft_warning`), so page and service
always agree. A deposit placement counts the same commitments but is refused outright where the
account does not cover it (`overdraft_refuse`): the fund places only what payouts do not need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import Account
from finance.rules import OVERDRAW_REASON_MIN, money_text
from finance.selectors.payments import Overdraft, bank_overdraft_get
from mutualaid.models import Organisation, User


@dataclass(frozen=True)
class OverdraftDecision:
    """A written decision to pay beyond the bank balance: kept on the row that moved the money."""

    reason: str
    by: User
    at: datetime
    shortfall: Decimal

    def fields(self) -> dict[str, Any]:
        """The row's `overdraw_*` fields (payments, settlements, level refunds, remittances)."""
        return {
            "overdraw_reason": self.reason,
            "overdraw_by": self.by,
            "overdraw_at": self.at,
            "overdraw_shortfall": self.shortfall,
        }


def overdraft_text(
    *,
    overdraft: Overdraft,
    office: Organisation,
    what: str,
    todo: str,
    plan: Plan | None = None,
    outright: bool = False,
) -> str:
    """Why the money is not paid without a written reason: what is paid and how much, the account
    (or, with `plan`, the plan's share of it), its balance, what the office is committed to, the
    shortfall, and what to do instead (`todo`, a sentence of the caller's: ask for an allocation,
    book the premium first...). `outright`: no reason books it (a deposit), so the sentence on
    confirming with one is left out."""
    figures = {
        "what": what,
        "amount": money_text(overdraft.amount),
        "account": Account(overdraft.account).label,
        "office": office.name,
        "balance": money_text(overdraft.balance),
        "committed": money_text(overdraft.committed),
        "shortfall": money_text(overdraft.shortfall),
    }
    if plan is None:
        text = (
            _(
                "%(what)s (%(amount)s yuan) would take %(account)s of %(office)s below zero: its balance is "
                "%(balance)s yuan, approved payments, allocations and settlements asked for, not yet paid, come to "
                "%(committed)s yuan, a shortfall of %(shortfall)s yuan."
            )
            % figures
        )
    else:
        text = _(
            "%(what)s (%(amount)s yuan) would take the share of %(plan)s in %(account)s of %(office)s below zero: "
            "the plan's share is %(balance)s yuan, its approved payments, allocations and settlements asked for, "
            "not yet paid, come to %(committed)s yuan, a shortfall of %(shortfall)s yuan."
        ) % (figures | {"plan": plan.name})
    if outright:
        return _("%(facts)s %(todo)s") % {"facts": text, "todo": todo} if todo else text
    confirm = _("To pay anyway, confirm with a written reason (at least %(least)s characters).") % {
        "least": OVERDRAW_REASON_MIN
    }
    # The sentences joined as the language joins them (a space in English, none in Chinese).
    if not todo:
        return _("%(facts)s %(confirm)s") % {"facts": text, "confirm": confirm}
    return _("%(facts)s %(todo)s %(confirm)s") % {"facts": text, "todo": todo, "confirm": confirm}


def overdraft_warning(
    *,
    office: Organisation,
    amount: Decimal,
    what: str,
    todo: str,
    besides: int | None = None,
    settlement: int | None = None,
) -> str:
    """The message a page shows beside the button that pays `amount` out of the office's bank
    account where the account does not cover it ("" where it does): the same figures and words
    the service refuses with when no reason is given (read without the lock: the service reads
    them again under it)."""
    overdraft = bank_overdraft_get(office=office, amount=amount, besides=besides, settlement=settlement)
    if overdraft.shortfall <= 0:
        return ""
    return overdraft_text(overdraft=overdraft, office=office, what=what, todo=todo)


def overdraft_decide(
    *,
    actor: User,
    office: Organisation,
    amount: Decimal,
    reason: str,
    what: str,
    todo: str,
    besides: int | None = None,
    settlement: int | None = None,
    field: str | None = None,
) -> OverdraftDecision | None:
    """Whether paying `amount` out of the office's bank account may go ahead: None where the
    account covers it (with what the office is committed to, other than the payment `besides` or
    the settlement `settlement` being paid), a decision to record where it does not and a written
    reason was given; refused (code "overdraw", on the form's `field` where given) without one.
    Takes the office's row lock first; call it inside the transaction that books the money."""
    list(Organisation.objects.select_for_update(no_key=True).filter(pk=office.pk).values_list("pk"))
    overdraft = bank_overdraft_get(office=office, amount=amount, besides=besides, settlement=settlement)
    if overdraft.shortfall <= 0:
        return None
    written = reason.strip()
    if len(written) < OVERDRAW_REASON_MIN:
        refused = ValidationError(
            overdraft_text(overdraft=overdraft, office=office, what=what, todo=todo), code="overdraw"
        )
        raise ValidationError({field: refused}) if field else refused
    return OverdraftDecision(reason=written[:300], by=actor, at=timezone.now(), shortfall=overdraft.shortfall)


def overdraft_refuse(
    *, office: Organisation, amount: Decimal, what: str, todo: str, plan: Plan | None = None, field: str | None = None
) -> None:
    """Refuse outright (code "overdraw", on the form's `field` where given), whatever reason is
    written, money the bank account does not cover with what the office is committed to: for
    money that leaves the account by choice and not to pay anyone (a deposit placement), so no
    decision is recorded. With `plan`, the plan's share against the plan's commitments. Takes the
    office's row lock, as `overdraft_decide` does; call it inside the transaction that books."""
    list(Organisation.objects.select_for_update(no_key=True).filter(pk=office.pk).values_list("pk"))
    overdraft = bank_overdraft_get(office=office, amount=amount, plan=plan)
    if overdraft.shortfall <= 0:
        return
    refused = ValidationError(
        overdraft_text(overdraft=overdraft, office=office, what=what, todo=todo, plan=plan, outright=True),
        code="overdraw",
    )
    raise ValidationError({field: refused}) if field else refused


def allocation_hint(office: Organisation) -> str:
    """What an office below does when its bank lacks the money: where the plan is pooled above,
    the money comes by an allocation, asked for first."""
    if office.parent_id is None:
        return ""
    return _("Where the office above pools the plan, ask it for an allocation (Allocations page) before paying.")

"""The books' side of recovering an overpaid claim (追回). Oversight owns the recovery itself
(the finding, the person, the follow-up to repayment); it calls these two postings, which book
the overpayment as a receivable and its repayments into the dedicated account, each once per
`key` (say `recovery:<id>` and `recovery-repaid:<id>:<n>`):

- `recovery_receivable_post`: debit 1131 overpaid claims to recover, credit 6401 claims paid
  (the payout was too high by this much);
- `recovery_repayment_post`: debit 1001 bank, credit 1131 (never more than is still owed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import Account, EntryKind, JournalEntry
from finance.rules import CENT, money_text
from finance.services.ledger import balance_get, books_lock, credit, debit, entry_post
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission


def _check_amount(amount: Decimal) -> None:
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValidationError({"amount": _("Enter an amount above 0, in yuan with at most two decimals.")})


@transaction.atomic
def recovery_receivable_post(
    *, actor: User, office: Organisation, plan: Plan, amount: Decimal, on: date, memo: str, key: str
) -> JournalEntry:
    """An overpaid claim's excess, owed back: booked in the books of the office that paid it."""
    require_permission(actor, "finance.view")
    _check_amount(amount)
    return entry_post(
        actor=actor,
        office=office,
        plan=plan,
        kind=EntryKind.RECOVERY_DUE,
        posted_on=on,
        memo=memo,
        legs=[debit(Account.RECOVERY_RECEIVABLE, amount), credit(Account.CLAIMS_PAID, amount)],
        key=key,
    )


@transaction.atomic
def recovery_repayment_post(
    *,
    actor: User,
    office: Organisation,
    plan: Plan,
    amount: Decimal,
    on: date,
    memo: str,
    key: str,
    bank_reference: str,
) -> JournalEntry:
    """Money repaid on an overpaid claim arrived in the dedicated account: never more than the
    office still has to recover on the plan."""
    require_permission(actor, "finance.view")
    _check_amount(amount)
    books_lock(office=office, plan=plan)
    owed = balance_get(office=office, plan=plan, account=Account.RECOVERY_RECEIVABLE)
    if amount > owed:
        raise ValidationError(
            {
                "amount": _("Only %(owed)s yuan of overpaid claims is still to recover on this plan.")
                % {"owed": money_text(owed)}
            }
        )
    return entry_post(
        actor=actor,
        office=office,
        plan=plan,
        kind=EntryKind.RECOVERY_REPAID,
        posted_on=on,
        memo=memo,
        legs=[debit(Account.BANK, amount), credit(Account.RECOVERY_RECEIVABLE, amount)],
        key=key,
        bank_reference=bank_reference.strip()[:60],
    )

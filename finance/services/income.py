"""Income other than premium (收入): a union's contribution to the risk reserve, a subsidy from
one union level, interest on the dedicated account. Recorded by the office's finance staff
from the bank's advice, with its reference, and booked at once: bank debited, the kind's account
credited. The bank statement's reconciliation then checks it; a reference is recorded once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import INCOME_ACCOUNTS, Account, IncomeKind, IncomeRecord, UnionLevel
from finance.rules import CENT, MONEY_OFFICES
from finance.services.ledger import acting_office, credit, debit, entry_post, number_next
from mutualaid import dates
from mutualaid.models import User
from mutualaid.roles import require_permission


def _income_errors(
    plan: Plan | None,
    kind: str,
    amount: Decimal | None,
    payer: str,
    received_on: date | None,
    bank_reference: str,
    union_level: str,
) -> dict[str, str]:
    """What is wrong with a record of income, field by field (nothing: an empty dict)."""
    errors: dict[str, str] = {}
    if kind not in IncomeKind.values:
        errors["kind"] = _("Choose the kind of income.")
    elif kind not in INCOME_ACCOUNTS:
        errors["kind"] = _("Income of kind %(kind)s has no account in the chart to be booked to: it is refused.") % {
            "kind": IncomeKind(kind).label
        }
    if plan is None:
        errors["plan"] = _("Choose the plan the income belongs to.")
    if amount is None or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = _("Enter an amount above 0, in yuan with at most two decimals.")
    if not payer.strip():
        errors["payer"] = _("Enter who paid the money.")
    if kind == IncomeKind.SUBSIDY and union_level not in UnionLevel.values:
        errors["union_level"] = _("Choose the union level the subsidy comes from.")
    elif union_level and union_level not in UnionLevel.values:
        errors["union_level"] = _("Choose a union level from the list.")
    if not bank_reference.strip():
        errors["bank_reference"] = _("Enter the bank's reference of the money received.")
    if received_on is None or received_on > dates.business_today():
        errors["received_on"] = _("Enter the date the money arrived, today at the latest.")
    return errors


@transaction.atomic
def income_record(
    *,
    actor: User,
    plan: Plan | None,
    kind: str,
    amount: Decimal | None,
    payer: str,
    received_on: date | None,
    bank_reference: str,
    union_level: str = "",
    note: str = "",
) -> IncomeRecord:
    """Record and book income into the office's books of the plan. The same bank reference sent
    again with the same figures returns the first record; with other figures it is refused."""
    require_permission(actor, "finance.post")
    office = acting_office(actor)
    if office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books."))
    errors = _income_errors(plan, kind, amount, payer, received_on, bank_reference, union_level)
    reference = bank_reference.strip()[:60]
    if errors or plan is None or amount is None or received_on is None:
        raise ValidationError(errors)
    # The same advice recorded twice at once: the second waits here, then finds the first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"income:{office.pk}:{reference}"])
    existing = IncomeRecord.objects.filter(org=office, bank_reference=reference).first()
    if existing is not None:
        if (existing.kind, existing.amount, existing.plan_id) == (kind, amount, plan.pk):
            return existing
        raise ValidationError(
            {
                "bank_reference": _("Bank reference %(reference)s is already recorded as income %(number)s.")
                % {"reference": reference, "number": existing.number}
            }
        )
    account, entry_kind = INCOME_ACCOUNTS[kind]
    entry = entry_post(
        actor=actor,
        office=office,
        plan=plan,
        kind=entry_kind,
        posted_on=received_on,
        memo=f"{IncomeKind(kind).label}: {payer.strip()}",
        legs=[debit(Account.BANK, amount), credit(account, amount)],
        key=f"income:{office.pk}:{reference}",
        bank_reference=reference,
    )
    return IncomeRecord.objects.create(
        org=office,
        number=number_next(sequence="finance_income_number_seq", prefix="SR"),
        plan=plan,
        kind=kind,
        amount=amount,
        payer=payer.strip()[:100],
        union_level=union_level,
        received_on=received_on,
        bank_reference=reference,
        note=note.strip()[:200],
        entry=entry,
        recorded_by=actor,
    )

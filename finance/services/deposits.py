"""Deposits and bonds (定期存款、国债). The fund may be held only as bank deposits or treasury
bonds (ACFTU 2018 No. 28, seed 004: no stocks, funds, bonds, futures or wealth-management
products), so a placement of any other kind is refused, naming the rule. A placement moves plan
money out of the dedicated account (debit 1002 or 1101, credit 1001) and so needs the money there
(counting what every payment, allocation and settlement counts, and refused outright where it
is not: finance/services/overdraft.py) and, from the office's collective-decision amount, the record of
the meeting that decided it; at maturity the principal comes back with its interest, credited to
the fund as income (debit 1001; credit 1002 or 1101, and 6111)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import (
    DEPOSIT_ACCOUNTS,
    PROHIBITED_INVESTMENTS,
    Account,
    Deposit,
    DepositKind,
    DepositStatus,
    EntryKind,
    FinanceSettings,
)
from finance.rules import CENT, MONEY_OFFICES, money_text
from finance.services.ledger import acting_office, books_lock, credit, debit, entry_post, number_next
from finance.services.overdraft import overdraft_refuse
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission


def _kind_refused(kind: str) -> str:
    if kind in PROHIBITED_INVESTMENTS:
        return _(
            "The fund belongs to the members and may be held only as bank deposits or treasury bonds (ACFTU 2018 "
            "No. 28): %(kind)s are refused."
        ) % {"kind": PROHIBITED_INVESTMENTS[kind]}
    return _("Choose a time deposit or a treasury bond.")


def _placement_what(kind: str, plan: Plan) -> str:
    return _("Placing money of %(plan)s in a %(kind)s") % {"plan": plan.name, "kind": DepositKind(kind).label}


def _placement_todo() -> str:
    return _(
        "The fund places only money that payouts do not need (ACFTU 2018 No. 28), so no reason allows it: place "
        "a smaller amount, or wait until the premium is in."
    )


def _room_check(office: Organisation, plan: Plan, kind: str, amount: Decimal) -> None:
    """Refuse a placement the dedicated account does not cover, counting what every other outflow
    counts (finance/services/overdraft.py): payments approved and not yet paid, allocations approved
    and not yet transferred, settlements asked of the office and not yet paid. Twice: the plan's
    share against the plan's own commitments (one plan's money is not placed for another), then the
    whole account against all of them. Outright, never on a written reason: a payout beyond the
    balance is a decision to pay a member now, a placement is money put away and can wait."""
    what, todo = _placement_what(kind, plan), _placement_todo()
    overdraft_refuse(office=office, amount=amount, what=what, todo=todo, plan=plan, field="amount")
    overdraft_refuse(office=office, amount=amount, what=what, todo=todo, field="amount")


def _placement_errors(
    office: Organisation,
    plan: Plan | None,
    kind: str,
    institution: str,
    amount: Decimal | None,
    annual_rate: Decimal | None,
    starts_on: date | None,
    matures_on: date | None,
    bank_reference: str,
    meeting: str,
    meeting_on: date | None,
) -> dict[str, str]:
    """What is wrong with a placement, field by field (nothing: an empty dict)."""
    errors: dict[str, str] = {}
    if kind not in DepositKind.values:
        errors["kind"] = _kind_refused(kind)
    if plan is None:
        errors["plan"] = _("Choose the plan whose money is placed.")
    if not institution.strip():
        errors["institution"] = _("Enter the bank or the issuer.")
    if amount is None or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = _("Enter an amount above 0, in yuan with at most two decimals.")
    if annual_rate is None or not Decimal(0) <= annual_rate <= Decimal("0.2"):
        errors["annual_rate"] = _(
            "Enter the annual rate as a share, from 0 to 0.2 (a rate of 2.15 per cent is 0.0215)."
        )
    if starts_on is None or starts_on > dates.business_today():
        errors["starts_on"] = _("Enter the day the money was placed, today at the latest.")
    if matures_on is None:
        errors["matures_on"] = _("Enter the day it matures.")
    elif starts_on is not None and matures_on <= starts_on:
        errors["matures_on"] = _("A deposit matures after it starts: %(matures)s is not after %(starts)s.") % {
            "matures": matures_on,
            "starts": starts_on,
        }
    if not bank_reference.strip():
        errors["bank_reference"] = _("Enter the bank's reference of the placement.")
    decision_from = office_settings(FinanceSettings, office).collective_decision_from
    if amount and amount >= decision_from and not (meeting.strip() and meeting_on):
        errors["meeting"] = _(
            "From %(limit)s yuan a placement needs the record of the collective decision: enter the meeting and its "
            "date."
        ) % {"limit": money_text(decision_from)}
    return errors


@transaction.atomic
def deposit_place(
    *,
    actor: User,
    plan: Plan | None,
    kind: str,
    institution: str,
    amount: Decimal | None,
    annual_rate: Decimal | None,
    starts_on: date | None,
    matures_on: date | None,
    bank_reference: str,
    meeting: str = "",
    meeting_on: date | None = None,
) -> Deposit:
    """Place plan money in a time deposit or a treasury bond, booked out of the dedicated account."""
    require_permission(actor, "finance.post")
    office = acting_office(actor)
    if office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Your office keeps no books."))
    errors = _placement_errors(
        office, plan, kind, institution, amount, annual_rate, starts_on, matures_on, bank_reference, meeting, meeting_on
    )
    reference = bank_reference.strip()[:60]
    if errors or plan is None or amount is None or annual_rate is None or starts_on is None or matures_on is None:
        raise ValidationError(errors)
    _room_check(office, plan, kind, amount)  # the office's row lock first, as a payment takes it
    books_lock(office=office, plan=plan)
    number = number_next(sequence="finance_deposit_number_seq", prefix="CK")
    entry = entry_post(
        actor=actor,
        office=office,
        plan=plan,
        kind=EntryKind.DEPOSIT_PLACED,
        posted_on=starts_on,
        memo=f"{number} {DepositKind(kind).label} {institution.strip()}",
        legs=[debit(DEPOSIT_ACCOUNTS[DepositKind(kind)], amount), credit(Account.BANK, amount)],
        key=f"deposit-placed:{office.pk}:{reference}",
        bank_reference=reference,
    )
    return Deposit.objects.create(
        org=office,
        number=number,
        plan=plan,
        kind=kind,
        institution=institution.strip()[:100],
        amount=amount,
        annual_rate=annual_rate,
        starts_on=starts_on,
        matures_on=matures_on,
        bank_reference=reference,
        meeting=meeting.strip()[:120],
        meeting_on=meeting_on,
        placed_by=actor,
        placed_entry=entry,
    )


def deposit_interest_expected(*, deposit: Deposit, on: date | None = None) -> Decimal:
    """Simple interest on the principal at the annual rate for the days held (actual/365), to the
    fen: what the bank's figure is checked against."""
    end = on or deposit.matures_on
    days = max((end - deposit.starts_on).days, 0)
    return (deposit.amount * deposit.annual_rate * days / 365).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def deposit_mature(
    *, actor: User, deposit: Deposit, version: int, matured_on: date, interest: Decimal | None
) -> Deposit:
    """The principal and its interest came back into the dedicated account: booked once."""
    require_permission(actor, "finance.post")
    locked = Deposit.objects.select_for_update(of=("self",)).select_related("plan").get(pk=deposit.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("A deposit is booked by the office that placed it."))
    if locked.version != version or locked.status != DepositStatus.PLACED:
        raise ValidationError(
            _("Deposit %(number)s has already been booked as matured, or changed a moment ago. Reload the page.")
            % {"number": locked.number}
        )
    errors = {}
    if matured_on > dates.business_today() or matured_on <= locked.starts_on:
        errors["matured_on"] = _("Enter the day the money came back: after %(starts)s, today at the latest.") % {
            "starts": locked.starts_on
        }
    if interest is None or interest < 0 or interest != interest.quantize(CENT):
        errors["interest"] = _("Enter the interest the bank credited, in yuan with at most two decimals (0 or more).")
    if errors or interest is None:
        raise ValidationError(errors)
    legs = [
        debit(Account.BANK, locked.amount + interest),
        credit(DEPOSIT_ACCOUNTS[DepositKind(locked.kind)], locked.amount),
    ]
    if interest > 0:
        legs.append(credit(Account.INTEREST_INCOME, interest))
    locked.matured_entry = entry_post(
        actor=actor,
        office=locked.org,
        plan=locked.plan,
        kind=EntryKind.DEPOSIT_MATURED,
        posted_on=matured_on,
        memo=_("Deposit %(number)s matured with %(interest)s yuan of interest")
        % {"number": locked.number, "interest": money_text(interest)},
        legs=legs,
        key=f"deposit-matured:{locked.pk}",
        bank_reference=locked.bank_reference,
    )
    locked.status, locked.matured_on, locked.interest, locked.matured_by = (
        DepositStatus.MATURED,
        matured_on,
        interest,
        actor,
    )
    locked.version += 1
    locked.save()
    return locked

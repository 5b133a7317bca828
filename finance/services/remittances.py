"""Premium remittances up the tree (上解保费): each month an office below drafts its report of
the month's premium for the plans run above it, confirms the transfer with the bank's reference,
and the office above receives it (setting the reserve aside where it runs the plan)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Plan
from finance.models import Account, EntryKind, FinanceSettings, Remittance, RemittanceStatus
from finance.rules import CENT, MONEY_OFFICES, ZERO, remittance_due_date
from finance.selectors.remittances import levels_paid_in_line, remittable_enrollments, remittable_levels_money
from finance.services.ledger import credit, debit, entry_post, office_pools
from finance.services.overdraft import overdraft_decide, overdraft_warning
from finance.services.settlements import settlement_lines, settlements_find, settlements_net_post
from mutualaid import dates
from mutualaid.faults import pause_point
from mutualaid.models import Organisation, User
from mutualaid.numbers import money_text, month_text, percent_text
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped


def _month_lines(office: Organisation, month: date) -> list[dict[str, Any]]:
    """The premium the office's tree holds for the month, by plan, for plans run above the office:
    the premium of the members that took effect in the month (`remittable_enrollments`, each
    member in the month they were stored) less the union levels' parts of it, which the levels
    owe and the office has not received; plus the levels' money received and not remitted yet,
    less what was paid back to them (`remittable_levels_money`, `levels_paid`). `policies` counts
    the policies with such members. Read in the caller's scope, which holds the office's tree
    (the office itself drafting, or its province's monthly task)."""
    members = (
        remittable_enrollments(office=office, month=month)
        .values("period__plan_id", "period__plan__name")
        .annotate(
            policies=Count("policy_id", distinct=True),
            members=Count("pk"),
            shares=Sum("shares"),
            premium=Sum("premium"),
            levels_part=Sum("levels_part"),
        )
        .order_by()
    )
    lines: dict[int, dict[str, Any]] = {
        row["period__plan_id"]: {
            "plan": row["period__plan_id"],
            "plan_name": row["period__plan__name"],
            "policies": row["policies"],
            "members": row["members"] or 0,
            "shares": row["shares"] or 0,
            "premium": row["premium"] or ZERO,
            "levels_part": row["levels_part"] or ZERO,
        }
        for row in members
    }
    levels = remittable_levels_money(office=office, month=month)
    for plan_id, money in levels.items():
        lines.setdefault(
            plan_id,
            {
                "plan": plan_id,
                "plan_name": money.plan_name,
                "policies": 0,
                "members": 0,
                "shares": 0,
                "premium": ZERO,
                "levels_part": ZERO,
            },
        )
    for plan_id, line in lines.items():
        premium, part = line["premium"], line["levels_part"]
        paid = levels_paid_in_line(
            premium=premium, levels_part=part, levels=levels[plan_id].net if plan_id in levels else ZERO
        )
        line.update(
            premium=str(premium), levels_part=str(part), levels_paid=str(paid), amount=str(premium - part + paid)
        )
    # A plan with no member this month whose levels' money was all paid back carries nothing.
    kept = [line for line in lines.values() if line["members"] or Decimal(line["amount"])]
    return sorted(kept, key=lambda line: line["plan_name"])


@transaction.atomic
def remittance_draft(*, actor: User | None, office: Organisation, month: date) -> Remittance:
    """Draft (or redraft, while not yet remitted) the office's report for a month; `actor` is
    None when the monthly task drafts it."""
    month = dates.month_start(month)
    if office.kind not in MONEY_OFFICES or office.parent_id is None:
        raise ValidationError(_("Only agent points and city offices remit premium to an office above."))
    if month >= dates.month_start(dates.business_today()):
        raise ValidationError(
            _("%(month)s is not over yet: its report is drafted from the 1st of the next month.")
            % {"month": month_text(month)}
        )
    lines = _month_lines(office, month)
    if not lines:
        raise ValidationError(
            _("No policy of a plan run above %(office)s was issued in %(month)s: there is nothing to remit.")
            % {"office": office.name, "month": month_text(month)}
        )
    amount = sum((Decimal(line["amount"]) for line in lines), ZERO)
    # Two draftings at once (a second beat, a person redrafting while the task runs) would both
    # find no report and both insert one: the second waits here and redrafts the first's instead.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"remittance:{office.pk}:{month}"])
    with unscoped():  # the office above, which the report goes to, lies outside the office's scope
        parent = Organisation.objects.get(pk=office.parent_id)
    report = Remittance.objects.select_for_update().filter(org=office, month=month).first()
    below = list(Remittance.objects.filter(org__parent=office, month=month))
    pause_point("finance.remittance_draft")
    if report is None:
        report = Remittance.objects.create(
            org=office,
            month=month,
            to_office=parent,
            due_on=remittance_due_date(month, receiver=parent),
            lines=lines,
            amount_due=amount,
            drafted_at=timezone.now(),
        )
    if report.status == RemittanceStatus.DRAFT:
        # Premium the office remitted earlier for members a correction has since ended comes off
        # this report (finance/services/settlements.py).
        settlements_find(office=office)
        report.lines = settlement_lines(report=report, lines=lines)
        report.amount_due = amount - sum((_settled(line) for line in report.lines), ZERO)
        report.drafted_at = timezone.now()
        report.save(update_fields=["lines", "amount_due", "drafted_at"])
    report.consolidates.set(below)
    return report


def _settled(line: dict[str, Any]) -> Decimal:
    """What a line nets of premium remitted earlier for members a correction ended."""
    return Decimal(line.get("settled") or ZERO)


def _check_transfer(report: Remittance, amount: Decimal, bank_reference: str, remitted_on: date) -> None:
    errors = {}
    if not bank_reference.strip() and amount > 0:
        errors["bank_reference"] = _("Enter the bank's reference of the transfer.")
    # A report that nets as much as it carries (finance/services/settlements.py) transfers nothing.
    if amount < 0 or (amount == 0 and report.amount_due > 0) or amount != amount.quantize(CENT):
        errors["amount"] = _("Enter the amount transferred, in yuan with at most two decimals.")
    elif amount > report.amount_due:
        errors["amount"] = _("The amount is more than the %(due)s yuan due: check the transfer.") % {
            "due": money_text(report.amount_due)
        }
    if remitted_on > dates.business_today():
        errors["remitted_on"] = _("The transfer date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def remittance_confirm(
    *,
    actor: User,
    remittance: Remittance,
    amount: Decimal,
    bank_reference: str,
    remitted_on: date,
    overdraw_reason: str = "",
) -> Remittance:
    """The office transferred the month's premium to the office above: confirmed with the bank's
    reference, and booked (due to the office above, out of the bank) plan by plan. A transfer the
    office's bank account does not cover (with the payments, allocations and settlements it is
    committed to) is booked only on a written reason, recorded on the report as payments do
    (finance/services/overdraft.py)."""
    require_permission(actor, "finance.remit")
    report = Remittance.objects.select_for_update().select_related("org", "to_office").get(pk=remittance.pk)
    if report.org_id != actor.org_id:
        raise PermissionDenied(_("Only %(office)s confirms its own remittance.") % {"office": report.org.name})
    if report.status != RemittanceStatus.DRAFT:
        raise ValidationError(_("This remittance has already been confirmed."))
    _check_transfer(report, amount, bank_reference, remitted_on)
    decision = (
        overdraft_decide(
            actor=actor,
            office=report.org,
            amount=amount,
            reason=overdraw_reason,
            what=remittance_what(report),
            todo=remittance_todo(),
            field="overdraw_reason",
        )
        if amount > 0
        else None
    )
    for field, value in ({} if decision is None else decision.fields()).items():
        setattr(report, field, value)
    report.status, report.amount_remitted = RemittanceStatus.REMITTED, amount
    report.bank_reference, report.remitted_on, report.confirmed_by = bank_reference.strip(), remitted_on, actor
    report.save()
    _remittance_book(actor=actor, report=report, amount=amount, remitted_on=remitted_on)
    settlements_net_post(actor=actor, report=report, posted_on=remitted_on)
    # A draft read before a correction and confirmed after it carried the members it ended.
    settlements_find(office=report.org)
    return report


def _remittance_book(*, actor: User, report: Remittance, amount: Decimal, remitted_on: date) -> None:
    """The confirmed transfer in both offices' books, plan by plan: out of this office's bank and
    off what it owes above; owed to the office above, with what the report settles."""
    plans = _plans(report)
    above = report.to_office
    parts = dict(_allocate(report, amount))
    for line in report.lines:
        plan_id, settled = line["plan"], _settled(line)
        part = parts.get(plan_id, ZERO)
        if part <= 0 and settled <= 0:
            continue
        plan = plans[plan_id]
        if part > 0:
            entry_post(
                actor=actor,
                office=report.org,
                plan=plan,
                kind=EntryKind.REMITTED,
                posted_on=remitted_on,
                memo=_("Premium of %(month)s remitted to %(office)s")
                % {"month": month_text(report.month), "office": above.name},
                legs=[debit(Account.DUE_TO_ABOVE, part), credit(Account.BANK, part)],
                key=f"remit:{report.pk}:{plan_id}",
                bank_reference=report.bank_reference,
            )
        # The office above is owed the money from now on: income where it runs the plan,
        # otherwise due further up; the bank side follows when the money arrives. What the
        # report nets is booked off it again by the settlement (settlements_net_post).
        part += settled
        entry_post(
            actor=actor,
            office=above,
            plan=plan,
            kind=EntryKind.REMITTANCE_RECEIVED,
            posted_on=remitted_on,
            memo=_("Premium of %(month)s remitted by %(office)s, in transit")
            % {"month": month_text(report.month), "office": report.org.name},
            legs=[
                debit(Account.DUE_FROM_BELOW, part),
                credit(Account.PREMIUM_INCOME if office_pools(office=above, plan=plan) else Account.DUE_TO_ABOVE, part),
            ],
            key=f"remit-above:{report.pk}:{plan_id}",
            bank_reference=report.bank_reference,
        )


def remittance_what(report: Remittance) -> str:
    """A remittance transferred, in the overdraft's message (its page warns with it too)."""
    return _("Remitting the premium of %(month)s to %(office)s") % {
        "month": month_text(report.month),
        "office": report.to_office.name,
    }


def remittance_todo() -> str:
    """What an office whose bank lacks the month's premium does instead of overdrawing."""
    return _(
        "Book the premium the units paid (Premiums page) and the union levels' payments first, or "
        "transfer only what the bank holds now: the rest stays outstanding on the report."
    )


def remittance_overdraft_warning(report: Remittance, amount: Decimal | None = None) -> str:
    """What the report's page says beside "confirm the remittance" where the office's bank account
    does not cover the amount due (or `amount`): the refusal remittance_confirm gives, word for
    word ("" where it is covered)."""
    amount = report.amount_due if amount is None else amount
    if amount <= 0:
        return ""
    return overdraft_warning(office=report.org, amount=amount, what=remittance_what(report), todo=remittance_todo())


def _plans(report: Remittance) -> dict[int, Plan]:
    with unscoped():  # the plans of a report are run by offices above the remitting office
        return Plan.objects.in_bulk([line["plan"] for line in report.lines])


def _allocate(report: Remittance, amount: Decimal) -> list[tuple[int, Decimal]]:
    """A short transfer pays the plans in the report's order, each in full while it lasts."""
    parts, left = [], amount
    for line in report.lines:
        part = min(left, Decimal(line["amount"]) - _settled(line))
        if part > 0:
            parts.append((line["plan"], part))
        left -= part
    return parts


@transaction.atomic
def remittance_receive(*, actor: User, remittance: Remittance, received_on: date | None = None) -> Remittance:
    """The office above confirms the money arrived: in its books, into the bank and as income
    where it runs the plan (with the reserve set aside), otherwise as due further up."""
    require_permission(actor, "finance.post")
    report = Remittance.objects.select_for_update().get(pk=remittance.pk)
    if report.to_office_id != actor.org_id:
        raise PermissionDenied(_("This remittance is received by %(office)s.") % {"office": report.to_office.name})
    if report.status != RemittanceStatus.REMITTED:
        raise ValidationError(_("Only a remittance confirmed by the office below can be received."))
    received_on = received_on or dates.business_today()
    office = report.to_office
    reserve_ratio = office_settings(FinanceSettings, office).reserve_ratio
    plans = _plans(report)
    for plan_id, part in _allocate(report, report.amount_remitted):
        plan = plans[plan_id]
        memo = _("Premium of %(month)s from %(office)s") % {
            "month": month_text(report.month),
            "office": report.org.name,
        }
        entry_post(
            actor=actor,
            office=office,
            plan=plan,
            kind=EntryKind.REMITTANCE_RECEIVED,
            posted_on=received_on,
            memo=memo,
            legs=[debit(Account.BANK, part), credit(Account.DUE_FROM_BELOW, part)],
            key=f"receive:{report.pk}:{plan_id}",
            bank_reference=report.bank_reference,
        )
        reserve = (part * reserve_ratio).quantize(CENT, rounding=ROUND_HALF_UP)
        if office_pools(office=office, plan=plan) and reserve > 0:
            entry_post(
                actor=actor,
                office=office,
                plan=plan,
                kind=EntryKind.REMITTANCE_RECEIVED,
                posted_on=received_on,
                memo=_("Reserve set aside: %(ratio)s of %(amount)s yuan")
                % {"ratio": percent_text(reserve_ratio), "amount": money_text(part)},
                legs=[debit(Account.RESERVE_PROVISION, reserve), credit(Account.RESERVE_FUND, reserve)],
                key=f"reserve:{report.pk}:{plan_id}",
            )
    report.status, report.received_on, report.received_by = RemittanceStatus.RECEIVED, received_on, actor
    report.save()
    return report

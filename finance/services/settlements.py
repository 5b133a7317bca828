"""Premium remitted for members a correction later ended (更正退费结算).

A correction's endorsement takes the premium of the members it ends off the collecting office's
receivable and off what it owes above (2241), and the unit is paid back by a red receipt. Where
the office had already remitted the month that carried those members, the office above holds
that premium. Each office between the unit and the office that runs the plan remitted it, so
each is owed it by the office it remits to: one settlement per office and endorsement.

The office's next report that carries premium of the plan nets it (finance/services/remittances.py:
drafted less the settlement, and on confirmation the office above books it off its income, or off
what it owes further up). With no such report, the office asks and the office above pays it:
out of its bank (its reserve set aside on it released) into the office's, against 2241.

A report drafted after the correction no longer carries the ended members (they are cancelled),
so only reports drafted before it and since remitted give rise to a settlement."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.events import EndorsementIssued
from enrollment.models import Endorsement, Enrollment
from finance.models import (
    Account,
    EntryKind,
    FinanceSettings,
    Remittance,
    RemittanceSettlement,
    RemittanceStatus,
    SettlementStatus,
)
from finance.rules import CENT, MONEY_OFFICES, ZERO
from finance.services.ledger import credit, debit, entry_post, office_pools
from finance.services.overdraft import allocation_hint, overdraft_decide, overdraft_warning
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.numbers import money_text, month_text
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission


def _carried_month(endorsement: Endorsement) -> date | None:
    """The month whose report carried the members the correction ended: the month the members
    of the list it corrects were stored."""
    original_id = endorsement.member_list.corrects_id
    stored = Enrollment.objects.filter(member_list_id=original_id).values_list("created_at", flat=True).first()
    return None if stored is None else dates.month_start(timezone.localdate(stored))


def _ended_held(endorsement: Endorsement) -> Decimal:
    """The premium of the members the correction ended less their union levels' part: what the
    month's report asked of the office (the levels' part went up only as a level paid it, and a
    level is paid back through the reports, finance/selectors/remittances.py). The endorsement
    stores its levels' part net (what its members add less what it ends)."""
    added = Enrollment.objects.filter(member_list__endorsement=endorsement).aggregate(total=Sum("levels_part"))
    ended_levels = (added["total"] or ZERO) - endorsement.levels_part
    return endorsement.ended_premium - ended_levels


def settlements_find(*, office: Organisation) -> int:
    """Record the settlements the office is owed and not yet recorded: every correction's
    endorsement in its tree, of a plan run above it, that ended premium its report of the
    members' month carried (drafted before the correction, since remitted). Read in the caller's
    scope, which holds the office's tree. Returns how many were recorded."""
    if office.kind not in MONEY_OFFICES or office.parent_id is None:
        return 0
    above = [pk for pk in office.ancestor_ids() if pk != office.pk]
    known = RemittanceSettlement.objects.filter(org=office).values("endorsement_id")
    endorsements = (
        Endorsement.objects.filter(
            org_path__startswith=office.path,
            ended_premium__gt=0,
            member_list__corrects__isnull=False,
            policy__period__plan__org_id__in=above,
        )
        .exclude(pk__in=known)
        .select_related("member_list", "policy__period")
    )
    found = []
    for endorsement in endorsements:
        month = _carried_month(endorsement)
        if month is None:
            continue
        report = (
            Remittance.objects.filter(org=office, month=month)
            .exclude(status=RemittanceStatus.DRAFT)
            .annotate(read_at=Coalesce("drafted_at", "created_at"))
            .filter(read_at__lt=endorsement.issued_at)
            .first()
        )
        amount = _ended_held(endorsement)
        if report is None or amount <= 0:
            continue
        found.append(
            RemittanceSettlement(
                org=office,
                org_path=office.path,
                to_office_id=office.parent_id,
                plan_id=endorsement.policy.period.plan_id,
                endorsement=endorsement,
                month=month,
                carried_in=report,
                amount=amount,
            )
        )
    # Two drafts at once may find the same one: the unique constraint keeps the first.
    RemittanceSettlement.objects.bulk_create(found, ignore_conflicts=True)
    return len(found)


def on_endorsement_issued(event: EndorsementIssued) -> None:
    """A correction that ends members: the offices between its unit and the plan's office that
    already remitted their month are owed their premium from now on (those in the approver's
    scope; the others find it when they next draft a report)."""
    endorsement = event.endorsement
    if endorsement.ended_premium <= 0:
        return
    offices = Organisation.objects.filter(
        pk__in=endorsement.policy.org.ancestor_ids(), kind__in=MONEY_OFFICES, parent__isnull=False
    )
    for office in offices:
        settlements_find(office=office)


def settlement_lines(*, report: Remittance, lines: list[dict[str, object]]) -> list[dict[str, object]]:
    """Net the office's open settlements into a draft's lines: each, oldest first, in the line of
    its plan while the line's premium still covers it (a settlement is netted whole or waits for
    a report, or a payment, that takes it). Those netted point at the report; the lines gain
    `settled`. Called under the draft's lock; the settlements are locked, so two drafts of two
    months never net the same one."""
    RemittanceSettlement.objects.filter(netted_in=report, status=SettlementStatus.OPEN).update(netted_in=None)
    room = {line["plan"]: Decimal(str(line["amount"])) for line in lines}
    settled = dict.fromkeys(room, Decimal("0"))
    waiting = (
        RemittanceSettlement.objects.select_for_update()
        .filter(org=report.org, status=SettlementStatus.OPEN, netted_in__isnull=True, month__lt=report.month)
        .order_by("month", "pk")
    )
    taken = []
    for settlement in waiting:
        if settlement.plan_id in room and settled[settlement.plan_id] + settlement.amount <= room[settlement.plan_id]:
            settled[settlement.plan_id] += settlement.amount
            taken.append(settlement.pk)
    RemittanceSettlement.objects.filter(pk__in=taken).update(netted_in=report)
    result = []
    for line in lines:
        line = {key: value for key, value in line.items() if key != "settled"}
        if settled.get(line["plan"]):
            line["settled"] = str(settled[line["plan"]])
        result.append(line)
    return result


def settlements_net_post(*, actor: User, report: Remittance, posted_on: date) -> None:
    """The report netting its settlements was confirmed: in the books of the office above, the
    premium of the ended members comes off its income (or off what it owes further up) against
    the remittance due from below; the office below took it off 2241 with the correction."""
    above = report.to_office
    settlements = RemittanceSettlement.objects.select_for_update().filter(
        netted_in=report, status=SettlementStatus.OPEN
    )
    for settlement in settlements.select_related("plan", "endorsement"):
        entry_post(
            actor=actor,
            office=above,
            plan=settlement.plan,
            kind=EntryKind.REMITTANCE_SETTLED,
            posted_on=posted_on,
            memo=_("Premium of members ended by endorsement %(number)s, remitted in %(month)s, netted from %(office)s")
            % {
                "number": settlement.endorsement.number,
                "month": month_text(settlement.month),
                "office": report.org.name,
            },
            legs=[
                debit(_income_or_due(above, settlement), settlement.amount),
                credit(Account.DUE_FROM_BELOW, settlement.amount),
            ],
            key=f"settle-net:{settlement.pk}",
            bank_reference=report.bank_reference,
        )
    settlements.update(status=SettlementStatus.NETTED)


def _income_or_due(office: Organisation, settlement: RemittanceSettlement) -> str:
    return Account.PREMIUM_INCOME if office_pools(office=office, plan=settlement.plan) else Account.DUE_TO_ABOVE


@transaction.atomic
def settlement_request(*, actor: User, settlement: RemittanceSettlement) -> RemittanceSettlement:
    """The office asks the office above to pay a settlement no report of its own will net (no
    later premium of the plan, or too little)."""
    require_permission(actor, "finance.remit")
    locked = RemittanceSettlement.objects.select_for_update().get(pk=settlement.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Only %(office)s asks for its own settlement.") % {"office": locked.org.name})
    if locked.status != SettlementStatus.OPEN:
        raise ValidationError(
            _("This settlement is %(status)s: there is nothing to ask.") % {"status": locked.get_status_display()}
        )
    netted = locked.netted_in
    if netted is not None:
        raise ValidationError(
            _("This settlement is netted in the draft report of %(month)s: it is settled by that report's transfer.")
            % {"month": month_text(netted.month)}
        )
    locked.status, locked.requested_by, locked.requested_on = SettlementStatus.REQUESTED, actor, dates.business_today()
    locked.save(update_fields=["status", "requested_by", "requested_on"])
    return locked


# What paying a settlement writes on its row (the overdraft's decision, where there was one).
PAID_FIELDS = [
    "status",
    "paid_on",
    "paid_by",
    "bank_reference",
    "overdraw_reason",
    "overdraw_by",
    "overdraw_at",
    "overdraw_shortfall",
]


@transaction.atomic
def settlement_pay(
    *, actor: User, settlement: RemittanceSettlement, bank_reference: str, paid_on: date, overdraw_reason: str = ""
) -> RemittanceSettlement:
    """The office above pays a settlement it was asked for: out of its bank (its income, or what
    it owes further up, reduced, and the reserve set aside on that premium released where it runs
    the plan), into the bank of the office below, against what that office owes above. Once:
    the row is locked, a second payment finds it paid. Out of a bank balance the office does not
    have (a city that forwards the premium to the province it pools with), only with a written
    reason, recorded on the settlement as payments do (finance/services/payments.py)."""
    require_permission(actor, "finance.post")
    locked = (
        RemittanceSettlement.objects.select_for_update()
        .select_related("org", "to_office", "plan", "endorsement")
        .get(pk=settlement.pk)
    )
    if locked.to_office_id != actor.org_id:
        raise PermissionDenied(_("This settlement is paid by %(office)s.") % {"office": locked.to_office.name})
    if locked.status == SettlementStatus.PAID:
        raise ValidationError(_("This settlement has already been paid."))
    if locked.status != SettlementStatus.REQUESTED:
        raise ValidationError(
            _("%(office)s has not asked for this settlement: it is netted in its next remittance.")
            % {"office": locked.org.name}
        )
    _check_transfer(bank_reference, paid_on)
    _check_overdraft(actor, locked, overdraw_reason)
    above, below = locked.to_office, locked.org
    names = {"number": locked.endorsement.number, "month": month_text(locked.month)}
    entry_post(
        actor=actor,
        office=above,
        plan=locked.plan,
        kind=EntryKind.REMITTANCE_SETTLED,
        posted_on=paid_on,
        memo=_("Premium of members ended by endorsement %(number)s, remitted in %(month)s, paid back to %(office)s")
        % {**names, "office": below.name},
        legs=[debit(_income_or_due(above, locked), locked.amount), credit(Account.BANK, locked.amount)],
        key=f"settle-pay-above:{locked.pk}",
        bank_reference=bank_reference.strip(),
    )
    if office_pools(office=above, plan=locked.plan):
        ratio = office_settings(FinanceSettings, above).reserve_ratio
        reserve = (locked.amount * ratio).quantize(CENT, rounding=ROUND_HALF_UP)
        if reserve > 0:
            entry_post(
                actor=actor,
                office=above,
                plan=locked.plan,
                kind=EntryKind.REMITTANCE_SETTLED,
                posted_on=paid_on,
                memo=_("Reserve released on premium paid back: %(amount)s yuan")
                % {"amount": money_text(locked.amount)},
                legs=[debit(Account.RESERVE_FUND, reserve), credit(Account.RESERVE_PROVISION, reserve)],
                key=f"settle-reserve:{locked.pk}",
            )
    entry_post(
        actor=actor,
        office=below,
        plan=locked.plan,
        kind=EntryKind.REMITTANCE_SETTLED,
        posted_on=paid_on,
        memo=_("Premium of members ended by endorsement %(number)s, remitted in %(month)s, paid back by %(office)s")
        % {**names, "office": above.name},
        legs=[debit(Account.BANK, locked.amount), credit(Account.DUE_TO_ABOVE, locked.amount)],
        key=f"settle-pay-below:{locked.pk}",
        bank_reference=bank_reference.strip(),
    )
    locked.status, locked.paid_on, locked.paid_by = SettlementStatus.PAID, paid_on, actor
    locked.bank_reference = bank_reference.strip()
    locked.save(update_fields=PAID_FIELDS)
    return locked


def _check_transfer(bank_reference: str, paid_on: date) -> None:
    errors = {}
    if not bank_reference.strip():
        errors["bank_reference"] = _("Enter the bank's reference of the transfer.")
    if paid_on > dates.business_today():
        errors["paid_on"] = _("The transfer date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


def _check_overdraft(actor: User, settlement: RemittanceSettlement, reason: str) -> None:
    """Refuse a settlement that takes the paying office's bank account below zero (with its
    approved payments, allocations and other settlements asked for not yet paid out) unless a
    reason is given; with one, who gave it is recorded (finance/services/overdraft.py: the
    decision payments, level refunds and remittances take, under the paying office's row lock)."""
    decision = overdraft_decide(
        actor=actor,
        office=settlement.to_office,
        amount=settlement.amount,
        reason=reason,
        what=settlement_what(settlement),
        todo=allocation_hint(settlement.to_office),
        settlement=settlement.pk,
    )
    if decision is not None:
        for field, value in decision.fields().items():
            setattr(settlement, field, value)


def settlement_what(settlement: RemittanceSettlement) -> str:
    """A settlement paid, in the overdraft's message (the remittances page warns with it too)."""
    return _("Paying %(below)s back the premium of members ended by endorsement %(number)s") % {
        "below": settlement.org.name,
        "number": settlement.endorsement.number,
    }


def settlement_overdraft_warning(settlement: RemittanceSettlement) -> str:
    """What the remittances page says beside "paid" where the paying office's bank account does
    not cover the settlement ("" where it does): the refusal settlement_pay gives, word for word."""
    return overdraft_warning(
        office=settlement.to_office,
        amount=settlement.amount,
        what=settlement_what(settlement),
        todo=allocation_hint(settlement.to_office),
        settlement=settlement.pk,
    )

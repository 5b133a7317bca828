"""Writes of finance: postings, reversals, premium receipts, monthly remittances, payments.

Every posting goes through `post()`: it refuses an unbalanced entry and a closed month with a
message, writes the entry and its lines once (an idempotency key makes a repeated request return
the first entry), and has the database check the balance before the transaction ends. Postings
to one office's plan are serialised by an advisory lock, so a cap checked before a posting still
holds when it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DateField, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.events import ClaimsBatchExporting, ClaimsBatchPaid
from enrollment.events import PolicyIssued
from enrollment.models import Plan, Policy
from finance.models import (
    APPROVAL_LAYERS,
    Account,
    ClosedMonth,
    EntryKind,
    FinanceSettings,
    JournalEntry,
    JournalLine,
    PaymentApproval,
    PaymentKind,
    PaymentRequest,
    PaymentStatus,
    Remittance,
    RemittanceStatus,
)
from mutualaid import dates
from mutualaid.audit import records_refusals
from mutualaid.faults import pause_point
from mutualaid.models import Organisation, OrgKind, User
from mutualaid.officesettings import office_settings
from mutualaid.roles import require_permission
from mutualaid.tenancy import unscoped

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_OFFICES = (OrgKind.PROVINCE, OrgKind.CITY, OrgKind.INDUSTRY, OrgKind.COUNTY)


def _number(sequence: str, prefix: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (value,) = cursor.fetchone()
    return f"{prefix}{dates.business_today():%Y}{value:07d}"


def _lock_books(office: Organisation, plan: Plan) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"books:{office.pk}:{plan.pk}"])


# Posting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def debit(account: str, amount: Decimal) -> Leg:
    return Leg(account=account, debit=amount)


def credit(account: str, amount: Decimal) -> Leg:
    return Leg(account=account, credit=amount)


def _check_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise ValidationError(_("An entry needs at least one debit and one credit."))
    for number, leg in enumerate(legs, start=1):
        if leg.account not in Account.values:
            raise ValidationError(
                _("Line %(number)s: unknown account %(account)s.") % {"number": number, "account": leg.account}
            )
        for amount in (leg.debit, leg.credit):
            if not isinstance(amount, Decimal) or amount < 0 or amount != amount.quantize(CENT):
                raise ValidationError(
                    _("Line %(number)s: amounts are yuan with at most two decimals, 0 or more.") % {"number": number}
                )
        if (leg.debit > 0) == (leg.credit > 0):
            raise ValidationError(
                _("Line %(number)s: enter either a debit or a credit, not both and not neither.") % {"number": number}
            )
    debits = sum((leg.debit for leg in legs), ZERO)
    credits = sum((leg.credit for leg in legs), ZERO)
    if debits != credits:
        raise ValidationError(
            _("The entry does not balance: debits %(debits)s, credits %(credits)s (a difference of %(diff)s).")
            % {"debits": debits, "credits": credits, "diff": debits - credits}
        )


def _check_open(office: Organisation, posted_on: date) -> None:
    with unscoped():
        closed = ClosedMonth.objects.filter(org=office, month=dates.month_start(posted_on)).exists()
    if closed:
        raise ValidationError(
            _("The books of %(office)s for %(month)s are closed: post into the current month instead.")
            % {"office": office.name, "month": f"{posted_on:%Y-%m}"}
        )


@transaction.atomic
def post(
    *,
    actor: User,
    office: Organisation,
    plan: Plan,
    kind: str,
    posted_on: date,
    memo: str,
    legs: Sequence[Leg],
    key: str,
    bank_reference: str = "",
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry into the office's books for the plan, once per `key`."""
    with unscoped():
        existing = JournalEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    _check_legs(legs)
    if posted_on > dates.business_today():
        raise ValidationError(_("An entry cannot be dated in the future."))
    _check_open(office, posted_on)
    _lock_books(office, plan)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                org=office,
                plan=plan,
                number=_number("finance_entry_number_seq", "JZ"),
                kind=kind,
                posted_on=posted_on,
                memo=memo[:200],
                idempotency_key=key,
                reverses=reverses,
                bank_reference=bank_reference[:60],
                created_by=actor,
            )
    except IntegrityError:
        # The same request, sent at the same moment by another worker, was first.
        with unscoped():
            found = JournalEntry.objects.filter(idempotency_key=key).first()
        if found is None:
            raise
        return found
    JournalLine.objects.bulk_create(
        JournalLine(
            org=office,
            org_path=office.path,
            entry=entry,
            plan=plan,
            posted_on=posted_on,
            account=leg.account,
            debit=leg.debit,
            credit=leg.credit,
        )
        for leg in legs
    )
    with connection.cursor() as cursor:  # the database's own balance check, now rather than at commit
        cursor.execute("SET CONSTRAINTS finance_entry_balanced IMMEDIATE")
    return entry


@transaction.atomic
def reverse(*, actor: User, entry: JournalEntry, reason: str, on: date | None = None) -> JournalEntry:
    """Correct a posted entry by its mirror image, which points at it; the original stays."""
    require_permission(actor, "finance.post")
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError(_("A reversal is not reversed again: post a new entry instead."))
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("Entry %(number)s has already been reversed.") % {"number": entry.number})
    legs = [Leg(account=line.account, debit=line.credit, credit=line.debit) for line in entry.lines.all()]
    return post(
        actor=actor,
        office=entry.org,
        plan=entry.plan,
        kind=EntryKind.REVERSAL,
        posted_on=on or dates.business_today(),
        memo=_("Reversal of %(number)s: %(reason)s") % {"number": entry.number, "reason": reason.strip()},
        legs=legs,
        key=f"reversal:{entry.pk}",
        reverses=entry,
    )


# Balances ------------------------------------------------------------------------------------


def balance(*, office: Organisation, plan: Plan | None, account: str, upto: date | None = None) -> Decimal:
    """An account's balance on its normal side (assets and expenses debit, the rest credit)."""
    from finance.models import DEBIT_NORMAL

    with unscoped():
        lines = JournalLine.objects.filter(org=office, account=account)
        if plan is not None:
            lines = lines.filter(plan=plan)
        if upto is not None:
            lines = lines.filter(posted_on__lte=upto)
        sums = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    debits, credits = sums["debit"] or ZERO, sums["credit"] or ZERO
    return debits - credits if account in DEBIT_NORMAL else credits - debits


# The events of enrollment and claims ---------------------------------------------------------


def collecting_office(unit: Organisation) -> Organisation:
    """The office that collects a unit's premium: its agent point, or the city above it."""
    with unscoped():
        return Organisation.objects.get(pk=unit.parent_id)


def _pools(office: Organisation, plan: Plan) -> bool:
    return plan.org_id == office.pk


def on_policy_issued(event: PolicyIssued) -> None:
    """A policy makes its premium receivable in the books of the office that collects it: as
    income where that office runs the plan, otherwise as due to the office above."""
    policy, actor = event.policy, event.actor
    if policy.premium <= 0:
        return
    office = collecting_office(policy.org)
    plan = policy.period.plan
    union = policy.union_part
    if _pools(office, plan):
        legs = [
            debit(Account.PREMIUM_RECEIVABLE, policy.premium),
            credit(Account.PREMIUM_INCOME, policy.premium - union),
        ]
        if union > 0:
            legs.append(credit(Account.SUBSIDY_INCOME, union))
    else:
        legs = [debit(Account.PREMIUM_RECEIVABLE, policy.premium), credit(Account.DUE_TO_ABOVE, policy.premium)]
    post(
        actor=actor,
        office=office,
        plan=plan,
        kind=EntryKind.POLICY_ISSUED,
        posted_on=timezone.localdate(policy.issued_at),
        memo=_("Policy %(number)s of %(unit)s") % {"number": policy.number, "unit": policy.org.name},
        legs=legs,
        key=f"policy:{policy.pk}",
    )


def on_claims_batch_exporting(event: ClaimsBatchExporting) -> None:
    """A claims batch goes to the bank only once its payment is approved in layers."""
    batch = event.batch
    with unscoped():
        payment = PaymentRequest.objects.filter(claims_batch=batch).first()
    if payment is None or payment.status not in (PaymentStatus.APPROVED, PaymentStatus.PAID):
        raise ValidationError(
            _(
                "The payment of batch %(number)s has not been approved by the office head, the finance head and the "
                "leader: prepare it under Finance → Payments first."
            )
            % {"number": batch.number}
        )


def on_claims_batch_paid(event: ClaimsBatchPaid) -> None:
    """The bank paid a claims batch: claims paid out of the dedicated account, per plan."""
    batch, actor = event.batch, event.actor
    by_plan: dict[int, Decimal] = {}
    with unscoped():
        for plan_id, payout in batch.claims.values_list("period__plan_id", "payout"):
            by_plan[plan_id] = by_plan.get(plan_id, ZERO) + payout
        plans = Plan.objects.in_bulk(list(by_plan))
        payment = PaymentRequest.objects.select_for_update().filter(claims_batch=batch).first()
    entries = []
    for plan_id, amount in sorted(by_plan.items()):
        entries.append(
            post(
                actor=actor,
                office=batch.org,
                plan=plans[plan_id],
                kind=EntryKind.CLAIMS_PAID,
                posted_on=batch.paid_on,
                memo=_("Claims payment batch %(number)s") % {"number": batch.number},
                legs=[debit(Account.CLAIMS_PAID, amount), credit(Account.BANK, amount)],
                key=f"claims-batch:{batch.pk}:{plan_id}",
                bank_reference=batch.bank_reference,
            )
        )
    if payment is not None and payment.status == PaymentStatus.APPROVED:
        with unscoped():
            PaymentRequest.objects.filter(pk=payment.pk).update(
                status=PaymentStatus.PAID, entry=entries[0] if entries else None, version=payment.version + 1
            )


# Premium receipts ----------------------------------------------------------------------------


@transaction.atomic
def premium_receive(*, actor: User, policy: Policy, received_on: date, bank_reference: str) -> JournalEntry:
    """The unit's premium arrived in the dedicated account."""
    require_permission(actor, "finance.remit")
    office = collecting_office(policy.org)
    if office.pk != actor.org_id and not office.path.startswith(actor.org.path):
        raise PermissionDenied(_("The premium of this policy is collected by %(office)s.") % {"office": office.name})
    if not bank_reference.strip():
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the payment.")})
    return post(
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


# Remittances ---------------------------------------------------------------------------------


def due_date(month: date) -> date:
    """The 25th of the month after the report's month."""
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return following.replace(day=25)


def _month_lines(office: Organisation, month: date) -> list[dict[str, Any]]:
    """The policies of the month in the office's tree, by plan, for plans run above the office."""
    following = due_date(month).replace(day=1)
    with unscoped():
        policies = (
            Policy.objects.filter(
                org_path__startswith=office.path, issued_at__date__gte=month, issued_at__date__lt=following
            )
            .exclude(period__plan__org_id=office.pk)
            .filter(period__plan__org_id__in=office.ancestor_ids())
            .values("period__plan_id", "period__plan__name")
            .annotate(
                policies=Count("pk"), members=Sum("member_count"), shares=Sum("share_count"), amount=Sum("premium")
            )
            .order_by("period__plan__name")
        )
        return [
            {
                "plan": row["period__plan_id"],
                "plan_name": row["period__plan__name"],
                "policies": row["policies"],
                "members": row["members"] or 0,
                "shares": row["shares"] or 0,
                "amount": str(row["amount"] or ZERO),
            }
            for row in policies
        ]


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
            % {"month": f"{month:%Y-%m}"}
        )
    lines = _month_lines(office, month)
    if not lines:
        raise ValidationError(
            _("No policy of a plan run above %(office)s was issued in %(month)s: there is nothing to remit.")
            % {"office": office.name, "month": f"{month:%Y-%m}"}
        )
    amount = sum((Decimal(line["amount"]) for line in lines), ZERO)
    # Two draftings at once (a second beat, a person redrafting while the task runs) would both
    # find no report and both insert one: the second waits here and redrafts the first's instead.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"remittance:{office.pk}:{month}"])
    with unscoped():
        parent = Organisation.objects.get(pk=office.parent_id)
        report = Remittance.objects.select_for_update().filter(org=office, month=month).first()
        below = list(Remittance.objects.filter(org__parent=office, month=month))
    pause_point("finance.remittance_draft")
    if report is None:
        report = Remittance.objects.create(
            org=office, month=month, to_office=parent, due_on=due_date(month), lines=lines, amount_due=amount
        )
    elif report.status == RemittanceStatus.DRAFT:
        report.lines, report.amount_due = lines, amount
        report.save(update_fields=["lines", "amount_due"])
    report.consolidates.set(below)
    return report


@transaction.atomic
def remittance_confirm(
    *, actor: User, remittance: Remittance, amount: Decimal, bank_reference: str, remitted_on: date
) -> Remittance:
    """The office transferred the month's premium to the office above: confirmed with the bank's
    reference, and booked (due to the office above, out of the bank) plan by plan."""
    require_permission(actor, "finance.remit")
    report = Remittance.objects.select_for_update().get(pk=remittance.pk)
    if report.org_id != actor.org_id:
        raise PermissionDenied(_("Only %(office)s confirms its own remittance.") % {"office": report.org.name})
    if report.status != RemittanceStatus.DRAFT:
        raise ValidationError(_("This remittance has already been confirmed."))
    errors = {}
    if not bank_reference.strip():
        errors["bank_reference"] = _("Enter the bank's reference of the transfer.")
    if amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = _("Enter the amount transferred, in yuan with at most two decimals.")
    elif amount > report.amount_due:
        errors["amount"] = _("The amount is more than the %(due)s yuan due: check the transfer.") % {
            "due": report.amount_due
        }
    if remitted_on > dates.business_today():
        errors["remitted_on"] = _("The transfer date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    report.status, report.amount_remitted = RemittanceStatus.REMITTED, amount
    report.bank_reference, report.remitted_on, report.confirmed_by = bank_reference.strip(), remitted_on, actor
    report.save()
    plans = _plans(report)
    for plan_id, part in _allocate(report, amount):
        post(
            actor=actor,
            office=report.org,
            plan=plans[plan_id],
            kind=EntryKind.REMITTED,
            posted_on=remitted_on,
            memo=_("Premium of %(month)s remitted to %(office)s")
            % {"month": f"{report.month:%Y-%m}", "office": report.to_office.name},
            legs=[debit(Account.DUE_TO_ABOVE, part), credit(Account.BANK, part)],
            key=f"remit:{report.pk}:{plan_id}",
            bank_reference=report.bank_reference,
        )
        # The office above is owed the money from now on: income where it runs the plan,
        # otherwise due further up; the bank side follows when the money arrives.
        above = report.to_office
        plan = plans[plan_id]
        post(
            actor=actor,
            office=above,
            plan=plan,
            kind=EntryKind.REMITTANCE_RECEIVED,
            posted_on=remitted_on,
            memo=_("Premium of %(month)s remitted by %(office)s, in transit")
            % {"month": f"{report.month:%Y-%m}", "office": report.org.name},
            legs=[
                debit(Account.DUE_FROM_BELOW, part),
                credit(Account.PREMIUM_INCOME if _pools(above, plan) else Account.DUE_TO_ABOVE, part),
            ],
            key=f"remit-above:{report.pk}:{plan_id}",
            bank_reference=report.bank_reference,
        )
    return report


def _plans(report: Remittance) -> dict[int, Plan]:
    with unscoped():
        return Plan.objects.in_bulk([line["plan"] for line in report.lines])


def _allocate(report: Remittance, amount: Decimal) -> list[tuple[int, Decimal]]:
    """A short transfer pays the plans in the report's order, each in full while it lasts."""
    parts, left = [], amount
    for line in report.lines:
        part = min(left, Decimal(line["amount"]))
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
        memo = _("Premium of %(month)s from %(office)s") % {"month": f"{report.month:%Y-%m}", "office": report.org.name}
        post(
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
        if _pools(office, plan) and reserve > 0:
            post(
                actor=actor,
                office=office,
                plan=plan,
                kind=EntryKind.REMITTANCE_RECEIVED,
                posted_on=received_on,
                memo=_("Reserve set aside: %(ratio)s of %(amount)s yuan")
                % {"ratio": f"{(reserve_ratio * 100).normalize():f}%", "amount": part},
                legs=[debit(Account.RESERVE_PROVISION, reserve), credit(Account.RESERVE_FUND, reserve)],
                key=f"reserve:{report.pk}:{plan_id}",
            )
    report.status, report.received_on, report.received_by = RemittanceStatus.RECEIVED, received_on, actor
    report.save()
    return report


@dataclass(frozen=True)
class RemittanceWarning:
    office: Organisation
    month: date
    problem: str  # missing | late | short
    amount_due: Decimal
    outstanding: Decimal
    report: Remittance | None


def remittance_warnings(*, office: Organisation, months: int = 6, today: date | None = None) -> list[RemittanceWarning]:
    """Premium held back below the office (保费滞留): for each money-holding office directly below
    and each of the last `months` finished months, a report not drafted or not remitted after the
    25th, remitted short, or late.

    Three queries whatever the number of offices below (the finance page and the leaders'
    dashboard of a province read it): the offices, their reports, and the premium of the months
    without a report, grouped by office and month.
    """
    today = today or dates.business_today()
    checked = []
    month = dates.month_start(today)
    for _i in range(months):
        month = dates.month_start(month - timedelta(days=1))
        checked.append(month)
    with unscoped():  # offices below and their reports: the office is in the caller's scope
        children = list(Organisation.objects.filter(parent=office, kind__in=MONEY_OFFICES).order_by("path"))
        reports = {
            (r.org_id, r.month): r for r in Remittance.objects.filter(org__in=children, month__in=checked).order_by()
        }
        premium = _premium_by_child_and_month(office, children, checked) if children else {}
    found: list[RemittanceWarning] = []
    for child in children:
        for month in checked:
            report = reports.get((child.pk, month))
            due_on = due_date(month)
            if report is None or report.status == RemittanceStatus.DRAFT:
                if today <= due_on:
                    continue
                due = (
                    premium.get((child.path, month), ZERO)
                    if report is None
                    else sum((Decimal(line["amount"]) for line in report.lines), ZERO)
                )
                if due > 0:
                    found.append(RemittanceWarning(child, month, "missing", due, due, report))
            elif report.amount_remitted < report.amount_due:
                found.append(
                    RemittanceWarning(
                        child, month, "short", report.amount_due, report.amount_due - report.amount_remitted, report
                    )
                )
            elif report.remitted_on and report.remitted_on > due_on:
                found.append(RemittanceWarning(child, month, "late", report.amount_due, ZERO, report))
    return found


def _premium_by_child_and_month(
    office: Organisation, children: list[Organisation], months: list[date]
) -> dict[tuple[str, date], Decimal]:
    """What each child office owes for each of `months` (most recent first), as `_month_lines`
    counts it office by office: the premium of the month's policies in its tree for plans run by
    `office` or above. One grouped query; keyed by the child's path and the month."""
    start = timezone.make_aware(datetime.combine(months[-1], time.min))
    end = timezone.make_aware(datetime.combine(due_date(months[0]).replace(day=1), time.min))
    rows = (
        Policy.objects.filter(
            org_path__startswith=office.path,
            issued_at__gte=start,
            issued_at__lt=end,
            period__plan__org_id__in=office.ancestor_ids(),
        )
        .annotate(
            child=Substr("org_path", 1, len(children[0].path)),
            bucket=TruncMonth("issued_at", output_field=DateField()),
        )
        .values("child", "bucket")
        .annotate(amount=Sum("premium"))
        .order_by()
    )
    return {(row["child"], row["bucket"]): row["amount"] or ZERO for row in rows}


# Payments --------------------------------------------------------------------------------------


def _fee_room(office: Organisation, plan: Plan, year: int) -> Decimal:
    """What may still be spent on management fees this year: the office's cap as a share of the
    premium of its tree's policies of the year, less the fees already posted."""
    ratio = office_settings(FinanceSettings, office).fee_cap_ratio
    with unscoped():
        premium = (
            Policy.objects.filter(org_path__startswith=office.path, period__plan=plan, issued_at__year=year).aggregate(
                total=Sum("premium")
            )["total"]
            or ZERO
        )
        spent = JournalLine.objects.filter(
            org=office, plan=plan, account=Account.MANAGEMENT_FEE, posted_on__year=year
        ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    net = (spent["debit"] or ZERO) - (spent["credit"] or ZERO)
    return (premium * ratio).quantize(CENT) - net


@transaction.atomic
def payment_prepare(
    *,
    actor: User,
    plan: Plan,
    kind: str,
    amount: Decimal | None,
    payee: str,
    purpose: str,
    claims_batch: Any = None,
    meeting: str = "",
    meeting_on: date | None = None,
) -> PaymentRequest:
    """Prepare an outgoing payment for approval; whoever prepares it may not approve it."""
    require_permission(actor, "finance.prepare")
    office = actor.org
    errors: dict[str, str] = {}
    if kind not in PaymentKind.values:
        errors["kind"] = _("Choose what the payment is for.")
    if kind == PaymentKind.CLAIMS_BATCH:
        if claims_batch is None or claims_batch.org_id != office.pk:
            errors["claims_batch"] = _("Choose a payment batch of your office.")
        else:
            amount = claims_batch.total
            with unscoped():
                if PaymentRequest.objects.filter(claims_batch=claims_batch).exists():
                    errors["claims_batch"] = _("This batch already has a payment.")
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
        ) % {"limit": decision_from}
    if not errors and kind == PaymentKind.MANAGEMENT_FEE:
        room = _fee_room(office, plan, dates.business_today().year)
        if amount > room:
            errors["amount"] = _(
                "The management fee cap leaves %(room)s yuan this year for this plan; %(amount)s yuan is refused."
            ) % {"room": max(room, ZERO), "amount": amount}
    if not errors and kind == PaymentKind.RESERVE_DRAW:
        available = balance(office=office, plan=plan, account=Account.RESERVE_FUND)
        if amount > available:
            errors["amount"] = _("The reserve fund holds %(available)s yuan for this plan.") % {"available": available}
    if errors:
        raise ValidationError(errors)
    return PaymentRequest.objects.create(
        org=office,
        number=_number("finance_payment_number_seq", "FK"),
        plan=plan,
        kind=kind,
        amount=amount,
        payee=payee.strip()[:100],
        purpose=purpose.strip()[:200],
        claims_batch=claims_batch,
        meeting=meeting.strip()[:120],
        meeting_on=meeting_on,
        prepared_by=actor,
    )


def next_layer(payment: PaymentRequest) -> tuple[str, str] | None:
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
    layer = next_layer(locked)
    if layer is None:  # cannot happen for a pending payment; refuse rather than approve twice
        raise ValidationError(_("Payment %(number)s is not awaiting approval.") % {"number": locked.number})
    name, perm = layer
    require_permission(actor, perm)
    if actor.pk == locked.prepared_by_id:
        raise PermissionDenied(_("You prepared this payment, so you may not approve it."))
    if locked.approvals.filter(approver=actor).exists():
        raise PermissionDenied(_("You have already approved this payment; another person must sign this layer."))
    PaymentApproval.objects.create(org=locked.org, payment=locked, layer=name, approver=actor)
    if next_layer(locked) is None:
        locked.status = PaymentStatus.APPROVED
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def payment_reject(*, actor: User, payment: PaymentRequest, version: int, reason: str) -> PaymentRequest:
    locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
    layer = next_layer(locked)
    if locked.version != version or locked.status != PaymentStatus.PENDING or layer is None:
        raise ValidationError(_("Payment %(number)s is not awaiting approval.") % {"number": locked.number})
    require_permission(actor, layer[1])
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    locked.status, locked.reason, locked.version = PaymentStatus.REJECTED, reason.strip()[:300], locked.version + 1
    locked.save()
    return locked


@transaction.atomic
def payment_mark_paid(*, actor: User, payment: PaymentRequest, paid_on: date, bank_reference: str) -> PaymentRequest:
    """The bank made an approved payment (fees, reserve draws): booked out of the dedicated
    account. A claims batch is marked paid on its batch page instead."""
    require_permission(actor, "finance.post")
    locked = PaymentRequest.objects.select_for_update().get(pk=payment.pk)
    if locked.org_id != actor.org_id:
        raise PermissionDenied(_("Payments are made by the office that prepared them."))
    if locked.kind == PaymentKind.CLAIMS_BATCH:
        raise ValidationError(_("A claims batch is marked paid on its batch page, when the bank confirms it."))
    if locked.status != PaymentStatus.APPROVED:
        raise ValidationError(_("Only an approved payment can be paid."))
    if not bank_reference.strip():
        raise ValidationError({"bank_reference": _("Enter the bank's reference of the payment.")})
    account = Account.MANAGEMENT_FEE if locked.kind == PaymentKind.MANAGEMENT_FEE else Account.RESERVE_FUND
    if locked.kind == PaymentKind.MANAGEMENT_FEE:
        _lock_books(locked.org, locked.plan)
        room = _fee_room(locked.org, locked.plan, paid_on.year)
        if locked.amount > room:
            raise ValidationError(
                _("The management fee cap leaves %(room)s yuan this year for this plan; %(amount)s yuan is refused.")
                % {"room": max(room, ZERO), "amount": locked.amount}
            )
    elif locked.kind == PaymentKind.RESERVE_DRAW:
        _lock_books(locked.org, locked.plan)
        available = balance(office=locked.org, plan=locked.plan, account=Account.RESERVE_FUND)
        if locked.amount > available:
            raise ValidationError(
                _("The reserve fund holds %(available)s yuan for this plan.") % {"available": available}
            )
    kind = EntryKind.MANAGEMENT_FEE if locked.kind == PaymentKind.MANAGEMENT_FEE else EntryKind.RESERVE_DRAW
    locked.entry = post(
        actor=actor,
        office=locked.org,
        plan=locked.plan,
        kind=kind,
        posted_on=paid_on,
        memo=f"{locked.number} {locked.payee}: {locked.purpose}",
        legs=[debit(account, locked.amount), credit(Account.BANK, locked.amount)],
        key=f"payment:{locked.pk}",
        bank_reference=bank_reference.strip(),
    )
    locked.status, locked.version = PaymentStatus.PAID, locked.version + 1
    locked.save()
    return locked


@transaction.atomic
def month_close(*, actor: User, month: date) -> ClosedMonth:
    require_permission(actor, "finance.configure")
    month = dates.month_start(month)
    if month >= dates.month_start(dates.business_today()):
        raise ValidationError(_("Only a finished month can be closed."))
    entry, _created = ClosedMonth.objects.get_or_create(org=actor.org, month=month, defaults={"closed_by": actor})
    return entry

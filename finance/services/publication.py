"""The statement of the fund an office publishes to its members each quarter and year (公示):
drafted from the books by one person, approved by another, then published.

The figures are counts and sums per plan, never a person, of the office's books and those of
every office below it (a province's statement consolidates its cities'): premium and subsidies, claims paid and
their number, fees, the reserve set aside, and the fund and reserve at the period's end, with
the loss ratio. They are frozen when drafted (a redraft reads the books again, until the
approval), so the approver signs off what is published. Its public address carries a random
token of 256 bits: nobody finds a statement by counting, and an unpublished one has no page.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim
from enrollment.models import Enrollment
from finance.models import Account, FundStatement, JournalLine, StatementPeriod, StatementStatus
from finance.rules import MONEY_OFFICES, ZERO
from finance.selectors.consolidation import consolidated_funds, consolidated_kind_totals
from finance.services.ledger import acting_office
from mutualaid import dates
from mutualaid.models import Organisation, User
from mutualaid.roles import require_permission

# The lines of the statement, each an account's movement in the period on its normal side.
FLOWS = {
    "premium": Account.PREMIUM_INCOME,
    "subsidies": Account.SUBSIDY_INCOME,
    "claims_paid": Account.CLAIMS_PAID,
    "fees": Account.MANAGEMENT_FEE,
    "reserve_set_aside": Account.RESERVE_PROVISION,
}
CREDIT_SIDE = {Account.PREMIUM_INCOME, Account.SUBSIDY_INCOME}


def statement_period(*, period: str, year: int, quarter: int) -> tuple[date, date]:
    """The first and last day of the quarter or year; refused unless it is over."""
    if period not in StatementPeriod.values:
        raise ValidationError({"period": _("Choose a quarter or a year.")})
    if not 2000 <= year <= 2999:
        raise ValidationError({"year": _("Enter the year with four digits, for example 2026.")})
    if period == StatementPeriod.QUARTER:
        if quarter not in (1, 2, 3, 4):
            raise ValidationError({"quarter": _("Choose the quarter: 1, 2, 3 or 4.")})
        starts = date(year, 3 * quarter - 2, 1)
        ends = dates.add_months(starts, 3)
    else:
        starts, ends = date(year, 1, 1), date(year + 1, 1, 1)
    last = date.fromordinal(ends.toordinal() - 1)
    if last >= dates.business_today():
        raise ValidationError(
            _("The period runs to %(day)s: a statement is drafted once it is over.") % {"day": last.isoformat()}
        )
    return starts, last


def _money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(Decimal("0.01")))


def _ratio(part: Decimal, whole: Decimal) -> str | None:
    return str((part / whole).quantize(Decimal("0.0001"))) if whole > 0 else None


def statement_figures(*, office: Organisation, starts_on: date, ends_on: date) -> dict[str, Any]:
    """Per plan, the books of the office and of every office below it consolidated (a province's
    statement holds its cities' books): the period's flows, the claims paid and members taken on,
    and the fund at the end. What one office of the tree owes another or sent it drops out, so
    nothing is counted twice (finance/selectors/consolidation.py)."""
    sums = {
        (row["plan_id"], row["account"]): (row["debits"] or ZERO, row["credits"] or ZERO, row["plan__name"])
        for row in JournalLine.objects.filter(
            org_path__startswith=office.path, posted_on__gte=starts_on, posted_on__lte=ends_on
        )
        .values("plan_id", "plan__name", "account")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
        .order_by()
    }
    funds = consolidated_funds(node=office, on=ends_on)
    names = {plan: name for (plan, _account), (_d, _c, name) in sums.items()}
    names.update({plan: fund.plan_name for plan, fund in funds.items()})
    claims: dict[int, int] = {
        row["period__plan_id"]: row["count"]
        for row in Claim.objects.filter(org_path__startswith=office.path, paid_on__gte=starts_on, paid_on__lte=ends_on)
        .values("period__plan_id")
        .annotate(count=Count("pk"))
        .order_by()
    }
    moment = (_aware(starts_on), _aware(ends_on + timedelta(days=1)))
    people = dict(
        Enrollment.objects.filter(org_path__startswith=office.path, created_at__gte=moment[0], created_at__lt=moment[1])
        .values_list("period__plan_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    plans = []
    for plan_id, name in sorted(names.items(), key=lambda item: item[1]):
        line: dict[str, Any] = {"plan": plan_id, "name": name}
        for key, account in FLOWS.items():
            debit, credit, _name = sums.get((plan_id, account), (ZERO, ZERO, ""))
            line[key] = _money(credit - debit if account in CREDIT_SIDE else debit - credit)
        line["claims"] = claims.get(plan_id, 0)
        line["members_taken_on"] = people.get(plan_id, 0)
        fund = funds.get(plan_id)
        line["fund_balance"] = _money(fund.fund_balance if fund else ZERO)
        line["reserve"] = _money(fund.reserve if fund else ZERO)
        income = Decimal(line["premium"]) + Decimal(line["subsidies"])
        line["loss_ratio"] = _ratio(Decimal(line["claims_paid"]), income)
        plans.append(line)
    totals: dict[str, Any] = {
        key: _money(sum((Decimal(p[key]) for p in plans), ZERO)) for key in (*FLOWS, "fund_balance", "reserve")
    }
    totals["claims"] = sum(p["claims"] for p in plans)
    totals["members_taken_on"] = sum(p["members_taken_on"] for p in plans)
    totals["loss_ratio"] = _ratio(
        Decimal(totals["claims_paid"]), Decimal(totals["premium"]) + Decimal(totals["subsidies"])
    )
    kinds = [
        {**kind, "amount": _money(kind["amount"])}
        for kind in consolidated_kind_totals(office=office, starts_on=starts_on, ends_on=ends_on)
    ]
    offices = sorted({fund_office for fund in funds.values() for fund_office in fund.offices})
    return {"plans": plans, "totals": totals, "kinds": kinds, "offices": offices}


def _aware(day: date) -> datetime:
    """The first moment of `day` in the business time zone (members count by their approval's day)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _publisher(actor: User) -> Organisation:
    office = acting_office(actor)
    if office.kind not in MONEY_OFFICES:
        raise PermissionDenied(_("Only an office that keeps books publishes a statement of its fund."))
    return office


@transaction.atomic
def statement_draft(*, actor: User, period: str, year: int, quarter: int = 0, note: str = "") -> FundStatement:
    """Draft (or draft again, until it is approved) the office's statement of a finished period."""
    require_permission(actor, "finance.post")
    office = _publisher(actor)
    quarter = quarter if period == StatementPeriod.QUARTER else 0
    starts_on, ends_on = statement_period(period=period, year=year, quarter=quarter)
    figures = statement_figures(office=office, starts_on=starts_on, ends_on=ends_on)
    existing = (
        FundStatement.objects.select_for_update().filter(org=office, period=period, year=year, quarter=quarter).first()
    )
    now = timezone.now()
    if existing is None:
        return FundStatement.objects.create(
            org=office,
            period=period,
            year=year,
            quarter=quarter,
            starts_on=starts_on,
            ends_on=ends_on,
            figures=figures,
            note=note.strip()[:500],
            public_token=secrets.token_urlsafe(32),
            drafted_by=actor,
            drafted_at=now,
        )
    if existing.status != StatementStatus.DRAFT:
        raise ValidationError(_("%(statement)s has been approved: it is not drafted again.") % {"statement": existing})
    existing.figures, existing.note, existing.drafted_by, existing.drafted_at = figures, note.strip()[:500], actor, now
    existing.save(update_fields=["figures", "note", "drafted_by", "drafted_at"])
    return existing


def _locked(statement: FundStatement, actor: User, status: str) -> FundStatement:
    require_permission(actor, "finance.publish")
    if statement.org_id != acting_office(actor).pk:
        raise PermissionDenied(
            _("%(statement)s is %(office)s's: only that office approves and publishes it.")
            % {"statement": statement, "office": statement.org.name}
        )
    locked = FundStatement.objects.select_for_update().get(pk=statement.pk)
    if locked.status != status:
        raise ValidationError(
            _("%(statement)s is %(status)s: refresh the page.")
            % {"statement": locked, "status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def statement_approve(*, actor: User, statement: FundStatement) -> FundStatement:
    """Approve a draft: someone other than whoever drafted it last."""
    locked = _locked(statement, actor, StatementStatus.DRAFT)
    if locked.drafted_by_id == actor.pk:
        raise PermissionDenied(_("You drafted this statement: another person approves it."))
    locked.status, locked.approved_by, locked.approved_at = StatementStatus.APPROVED, actor, timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


@transaction.atomic
def statement_publish(*, actor: User, statement: FundStatement) -> FundStatement:
    """Publish an approved statement: its public page and PDF can be reached from now on."""
    locked = _locked(statement, actor, StatementStatus.APPROVED)
    locked.status, locked.published_by, locked.published_at = StatementStatus.PUBLISHED, actor, timezone.now()
    locked.save(update_fields=["status", "published_by", "published_at"])
    return locked

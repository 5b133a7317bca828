"""Builds finance objects for the tests through the services."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from enrollment.models import Policy
from finance.models import Remittance
from finance.services import remittances
from mutualaid import dates
from mutualaid.tenancy import org_scope, unscoped


def last_month() -> Any:
    return dates.month_start(dates.month_start(dates.business_today()) - timedelta(days=1))


def move_policy_to(policy: Policy, month: Any) -> None:
    """Policies are issued 'now' by the fixtures; a remittance needs a finished month. Its members
    took effect with it, and money counts them in that month."""
    from enrollment.models import Enrollment

    issued = datetime(month.year, month.month, 10, 10, 0, tzinfo=timezone.get_current_timezone())
    with unscoped():
        Policy.objects.filter(pk=policy.pk).update(issued_at=issued)
        Enrollment.objects.filter(policy=policy).update(created_at=issued)


def last_month_report(city: Any) -> Remittance:
    """The city's agent point drafts its premium remittance report for last month."""
    month = last_month()
    move_policy_to(city.policy, month)
    agent = city.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return remittances.remittance_draft(actor=agent, office=agent.org, month=month)


def bank_statement(city: Any) -> Any:
    """A one-line statement of the city's dedicated account; the counterparty is the unit, so a
    leak of the statement shows as the unit's name."""
    from finance.services import reconciliation

    day = dates.business_today() - timedelta(days=3)
    lines = io.StringIO()  # quoted as a bank quotes it: a unit's name may hold a comma or a quote
    writer = csv.writer(lines, lineterminator="\n")
    writer.writerow(["交易日期", "收入金额", "支出金额", "对方户名", "摘要", "流水号"])
    writer.writerow([day, "100.00", "", city.unit.name, "保费", f"{city.city.code}-R1"])
    with org_scope(city.city, actor_id=city.office_user.pk):
        return reconciliation.statement_import(
            actor=city.office_user, data=lines.getvalue().encode(), filename=f"{city.city.code}.csv"
        )


def enrolled_last_month(city: Any) -> None:
    """The fixtures enrol 'now'; a roll-up needs a closed month."""
    from enrollment.models import Enrollment

    moment = datetime(last_month().year, last_month().month, 10, 10, 0, tzinfo=timezone.get_current_timezone())
    with unscoped():
        Enrollment.objects.filter(policy=city.policy).update(created_at=moment)


def city_snapshot(city: Any) -> Any:
    from reporting import services as reporting

    enrolled_last_month(city)
    with org_scope(city.city, actor_id=city.office_user.pk):
        snapshot, _created = reporting.snapshot_rollup(office=city.city, period=last_month(), actor=city.office_user)
    return snapshot


def imprest_request(city: Any) -> Any:
    """The agent point's request to its city for an imprest (备用金) of 20 yuan, as
    `allocation_request` records it. Written directly: the city, having paid its claim from its
    own account, has nothing available, and the service would rightly refuse it."""
    from finance.models import Allocation
    from finance.services.ledger import number_next

    with unscoped():
        return Allocation.objects.create(
            org=city.county,
            number=number_next(sequence="finance_allocation_number_seq", prefix="HB"),
            pooling_office=city.city,
            plan=city.plan,
            purpose="imprest",
            amount="20.00",
            note=f"{city.county.name}备用金",
            requested_by=city.county_agent,
        )


def deposit_placed(city: Any) -> Any:
    """A union's contribution of 10,000 yuan to the city's reserve, and 500 yuan placed in a
    one-year time deposit, both through the services."""
    from datetime import timedelta
    from decimal import Decimal

    from finance.services.deposits import deposit_place
    from finance.services.income import income_record

    today = dates.business_today()
    user = city.office_user
    with org_scope(city.city, actor_id=user.pk):
        income_record(
            actor=user,
            plan=city.plan,
            kind="union_contribution",
            amount=Decimal("10000.00"),
            payer=f"{city.city.name}总工会",
            received_on=today,
            bank_reference=f"{city.city.code}-RES",
        )
        return deposit_place(
            actor=user,
            plan=city.plan,
            kind="time_deposit",
            institution=f"{city.city.name}工商银行",
            amount=Decimal("500.00"),
            annual_rate=Decimal("0.0150"),
            starts_on=today,
            matures_on=today + timedelta(days=365),
            bank_reference=f"{city.city.code}-CK",
        )

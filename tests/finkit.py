"""Builds finance objects for the tests through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from enrollment.models import Policy
from finance import services
from finance.models import Remittance
from mutualaid.tenancy import org_scope, unscoped


def last_month() -> Any:
    return services.month_start(services.month_start(services.business_today()) - timedelta(days=1))


def move_policy_to(policy: Policy, month: Any) -> None:
    """Policies are issued 'now' by the fixtures; a remittance needs a finished month."""
    issued = datetime(month.year, month.month, 10, 10, 0, tzinfo=timezone.get_current_timezone())
    with unscoped():
        Policy.objects.filter(pk=policy.pk).update(issued_at=issued)


def last_month_report(city: Any) -> Remittance:
    """The city's agent point drafts its premium remittance report for last month."""
    month = last_month()
    move_policy_to(city.policy, month)
    agent = city.county_agent
    with org_scope(agent.org, actor_id=agent.pk):
        return services.remittance_draft(actor=agent, office=agent.org, month=month)

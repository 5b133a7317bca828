"""The renewal rate of the rankings (续保率): counted, kept, and counted again in the background.

Of the people of a plan's period of last year under each child of a node, how many hold an
active enrollment in this year's period under the same child, matched by the blind index of
the ID number. It is the one figure of the rankings the running monthly figures cannot give (it
matches people, not sums): at a province of 5,000,000 enrollments the count reads both years'
millions of people, about 5 s.

So a count is kept (in the cache, shared by every web and worker process where REDIS_URL is set)
under the running figures of the node's children in the two periods (`MonthFigure`, which the
database moves in the transaction of every approval, cancellation, endorsement or withdrawal):
a page finds it there until one of those figures moves. When they have moved, a node small
enough to count in a moment (`INLINE_PEOPLE`) is counted in the request; a larger one shows the
last count with the time it was made, and a background task (`reporting.count_renewals`) counts
again; the page says so, and the next page shows the new count. The downloads, which a person
waits for anyway, count in the request when no count is kept for the current figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentStatus, Plan
from mutualaid.models import Organisation
from mutualaid.scopedtask import ScopedTask
from mutualaid.tenancy import unscoped
from reporting.figures import child_path
from reporting.models import MonthFigure

# How long a count made for the current figures serves at most, should a change move no running
# figure (an ID number corrected, a member moved between two offices under the same child).
KEPT_SECONDS = 15 * 60
# How long the last count serves while a new one is made (a count takes seconds; a day covers a
# worker that was down for a while).
LAST_SECONDS = 24 * 60 * 60
# A node whose two periods hold at most this many enrollments is counted in the request (at the
# bench's province, 5,000,000 took 5 s: 200,000 take about 0.2 s).
INLINE_PEOPLE = 200_000
# A count asked for in the background is not asked again for this long.
ASKED_SECONDS = 5 * 60

Counted = dict[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Renewals:
    """The renewal counts per child's path ({"base", "renewed"}); `counted_at`, when they were
    counted; `recounting`, whether the figures have moved since and a new count is being made
    (None: never counted yet for this node, plan, year and type of unit)."""

    by_child: Counted | None
    counted_at: datetime | None
    recounting: bool


def renewal_count(node: Organisation, plan: Plan, year: int, unit_type: str = "") -> Counted:
    """Of the people of last year's period, how many hold an active enrollment in this year's
    period under the same child (matched by the blind index of the ID number); with `unit_type`,
    of the people of units of that type only.

    The two sets of (child, person) are made apart and joined on both, which PostgreSQL does by
    sorting or hashing each set once: asking for each of last year's people whether this year
    holds them under a path starting with their child's (a correlated `EXISTS` on a prefix, which
    no hash serves) looked the 2,500,000 people of the bench's province up one by one, 55 s."""
    under_node = Enrollment.objects.filter(org_path__startswith=node.path, period__plan=plan)
    last_year = (
        under_node.filter(period__starts_on__year=year - 1)
        .filter(Q(org__unit_type=unit_type) if unit_type else Q())
        .annotate(child=child_path(node))
        .values("child", "id_hash")
        .distinct()
    )
    this_year = (
        under_node.filter(period__starts_on__year=year, status=EnrollmentStatus.ACTIVE)
        .annotate(child=child_path(node))
        .values("child", "id_hash")
        .distinct()
    )
    last_sql, last_params = last_year.query.get_compiler(using=last_year.db).as_sql()
    this_sql, this_params = this_year.query.get_compiler(using=this_year.db).as_sql()
    with connections[last_year.db].cursor() as cursor:
        cursor.execute(
            f"""SELECT l.child, count(*), count(n.id_hash)
                FROM ({last_sql}) l LEFT JOIN ({this_sql}) n ON n.child = l.child AND n.id_hash = l.id_hash
                GROUP BY l.child""",  # noqa: S608 - both parts are the ORM's own SQL, with their parameters bound
            [*last_params, *this_params],
        )
        return {child: {"base": base, "renewed": renewed} for child, base, renewed in cursor}


def _keys(node: Organisation, plan: Plan, year: int, unit_type: str) -> tuple[str, str, int]:
    """The cache key of a count for the children's current figures, the key of the last count
    made whatever the figures, and how many enrollments the two periods hold under the node."""
    figures = list(
        MonthFigure.objects.filter(
            parent_path=node.path, period__plan=plan, period__starts_on__year__in=(year - 1, year)
        )
        .order_by("org_path", "period_id", "month")
        .values_list("org_path", "period_id", "month", "people", "premium", "premium_active")
    )
    fingerprint = hashlib.sha256(repr(figures).encode()).hexdigest()[:32]
    last = f"rankings:renewal:{node.pk}:{node.path}:{plan.pk}:{year}:{unit_type}"
    return f"{last}:{fingerprint}", last, sum(people for _p, _period, _m, people, _pr, _a in figures)


def renewals_kept(node: Organisation, plan: Plan, year: int, unit_type: str = "", *, wait: bool = False) -> Renewals:
    """The renewal counts as kept for the children's current figures; else counted now (a small
    node, or `wait`), or the last count while a new one is made in the background."""
    key, last_key, people = _keys(node, plan, year, unit_type)
    kept = cache.get(key)
    if kept is not None:
        return Renewals(kept["by_child"], datetime.fromisoformat(kept["at"]), recounting=False)
    if wait or people <= INLINE_PEOPLE:
        return _count_and_keep(node, plan, year, unit_type, key, last_key)
    last = cache.get(last_key)
    if cache.add(f"{key}:asked", 1, ASKED_SECONDS):
        count_renewals.delay(org_id=node.pk, plan_id=plan.pk, year=year, unit_type=unit_type)
    if last is None:
        return Renewals(None, None, recounting=True)
    return Renewals(last["by_child"], datetime.fromisoformat(last["at"]), recounting=True)


def renewals_recount(node: Organisation, plan: Plan, year: int, unit_type: str = "") -> Renewals:
    """Count for the children's current figures and keep the count (the background task)."""
    key, last_key, _people = _keys(node, plan, year, unit_type)
    return _count_and_keep(node, plan, year, unit_type, key, last_key)


def _count_and_keep(node: Organisation, plan: Plan, year: int, unit_type: str, key: str, last_key: str) -> Renewals:
    at = timezone.now()
    by_child = renewal_count(node, plan, year, unit_type)
    kept = {"by_child": by_child, "at": at.isoformat()}
    cache.set(key, kept, KEPT_SECONDS)
    cache.set(last_key, kept, LAST_SECONDS)
    return Renewals(by_child, at, recounting=False)


@shared_task(base=ScopedTask, name="reporting.count_renewals")
def count_renewals(*, org_id: int, plan_id: int, year: int, unit_type: str = "", actor_id: int | None = None) -> str:
    """Count the renewal rates of a node's children again and keep them, in the node's scope; a
    plan neither run above the node nor below it (not one its rankings offer) is refused.
    Idempotent: a second run counts the same and keeps it again."""
    node = Organisation.objects.get(pk=org_id)
    with unscoped():  # the plan may be run by an office above the node, outside its scope
        plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None or not (node.path.startswith(plan.org_path) or plan.org_path.startswith(node.path)):
        return f"plan {plan_id} is not ranked at office {org_id}"
    counted = renewals_recount(node, plan, year, unit_type)
    return f"counted for {len(counted.by_child or {})} of the children"

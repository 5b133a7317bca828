"""Reads of enrollment, in the caller's scope."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from enrollment.models import Enrollment, EnrollmentStatus, MemberList, Period, Plan, Policy
from mutualaid import idcheck, pii
from mutualaid.models import Organisation
from mutualaid.tenancy import unscoped


def _person(id_hash: bytes) -> Q:
    """One person's enrollments, written so that each of the two partial indexes on the blind
    index (active, cancelled) can serve its half."""
    return Q(status=EnrollmentStatus.ACTIVE, id_hash=id_hash) | Q(status=EnrollmentStatus.CANCELLED, id_hash=id_hash)


def plans_offered_to(*, org: Organisation) -> list[Plan]:
    """Plans of the node's own offices (its ancestors) and of the node itself.

    Plan settings are not tenant data of the offices below: a unit must see the plans it may
    join, which belong to the city or province above it.
    """
    with unscoped():
        return list(Plan.objects.filter(org_id__in=org.ancestor_ids(), is_active=True).order_by("name"))


def periods_offered_to(*, org: Organisation) -> list[Period]:
    with unscoped():
        return list(
            Period.objects.filter(plan__org_id__in=org.ancestor_ids(), plan__is_active=True)
            .select_related("plan")
            .order_by("plan__name", "-starts_on")
        )


def member_list_list(*, status: str = "") -> QuerySet[MemberList]:
    qs = MemberList.objects.select_related("org", "period__plan", "uploaded_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def policy_list(*, search: str = "") -> QuerySet[Policy]:
    qs = Policy.objects.select_related("org", "period__plan")
    if search:
        qs = qs.filter(number__icontains=search) | qs.filter(org__name__icontains=search)
    return qs.order_by("-issued_at")


def enrollment_search(*, query: str) -> QuerySet[Enrollment]:
    """By full ID number (through the blind index) or by name."""
    query = query.strip()
    qs = Enrollment.objects.select_related("org", "period__plan", "policy")
    try:
        number = idcheck.parse_resident_id(query).number
    except idcheck.IdError:
        return qs.filter(name=query).order_by("name", "-starts_on") if query else qs.none()
    return qs.filter(_person(pii.blind_index(number))).order_by("-starts_on")


def person_enrollments(*, enrollment: Enrollment) -> QuerySet[Enrollment]:
    """Every enrollment in scope of the same person (matched by the blind index)."""
    return (
        Enrollment.objects.filter(_person(bytes(enrollment.id_hash)))
        .select_related("org", "period__plan", "policy")
        .order_by("-starts_on")
    )


def later_periods(*, policy: Policy) -> list[Period]:
    return [
        p
        for p in periods_offered_to(org=policy.org)
        if p.plan_id == policy.period.plan_id and p.starts_on > policy.period.starts_on
    ]


def renewal_rates(*, policies: list[Policy]) -> dict[int, tuple[int, int]]:
    """For each policy, (members renewed from the unit's previous policy of the same plan, members
    of that previous policy): one query for a page of policies. The policies are already in the
    caller's scope, and so are their units' previous policies."""
    if not policies:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT cur.id, prev.member_count,
                   (SELECT count(*) FROM enrollment_enrollment pe
                    WHERE pe.policy_id = prev.id AND EXISTS (
                        SELECT 1 FROM enrollment_enrollment ce
                        WHERE ce.id_hash = pe.id_hash AND ce.period_id = cur.period_id
                          AND ce.status = 'active' AND ce.policy_id = cur.id))
            FROM enrollment_policy cur
            JOIN enrollment_period cp ON cp.id = cur.period_id
            JOIN LATERAL (
                SELECT p.id, p.member_count FROM enrollment_policy p
                JOIN enrollment_period pp ON pp.id = p.period_id
                WHERE p.org_id = cur.org_id AND pp.plan_id = cp.plan_id AND p.ends_on < cur.starts_on
                ORDER BY p.ends_on DESC LIMIT 1
            ) prev ON true
            WHERE cur.id = ANY(%s)
            """,
            [[p.pk for p in policies]],
        )
        return {policy_id: (renewed, before) for policy_id, before, renewed in cursor.fetchall()}


def renewal_percent(rate: tuple[int, int] | None) -> int | None:
    return round(100 * rate[0] / rate[1]) if rate and rate[1] else None

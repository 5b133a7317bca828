"""Reads of the core. Every function relies on the active organisation scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from mutualaid.models import Organisation, OrgKind, User


def org_subtree(*, root: Organisation | None = None, kind: str = "", search: str = "") -> QuerySet[Organisation]:
    """The nodes in scope (optionally under `root`), in tree order, with child counts."""
    qs = Organisation.objects.all()
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.annotate(child_count=Count("children")).order_by("path")


def org_get(*, pk: int) -> Organisation:
    """One node in scope; `Organisation.DoesNotExist` for anything outside it."""
    return Organisation.objects.get(pk=pk)


@dataclass(frozen=True)
class SubtreeStats:
    offices: int
    counties: int
    units: int
    headcount: int
    users: int


def org_subtree_stats(*, root: Organisation) -> SubtreeStats:
    """Counts under `root` (itself included): one aggregate query plus one for users."""
    figures = Organisation.objects.filter(path__startswith=root.path, is_active=True).aggregate(
        offices=Count("id", filter=Q(kind__in=[OrgKind.CITY, OrgKind.INDUSTRY, OrgKind.PROVINCE])),
        counties=Count("id", filter=Q(kind=OrgKind.COUNTY)),
        units=Count("id", filter=Q(kind=OrgKind.UNIT)),
        headcount=Sum("headcount"),
    )
    users = User.objects.filter(org_path__startswith=root.path, is_active=True).count()
    return SubtreeStats(
        offices=figures["offices"],
        counties=figures["counties"],
        units=figures["units"],
        headcount=figures["headcount"] or 0,
        users=users,
    )


def user_list(*, org: Organisation | None = None, search: str = "") -> QuerySet[User]:
    qs = User.objects.select_related("org")
    if org is not None:
        qs = qs.filter(org_path__startswith=org.path)
    if search:
        qs = qs.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    return qs.order_by("org_path", "username")

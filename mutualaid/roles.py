"""Roles and what each may do: the one place where this is declared.

A user holds one or more roles at one organisation node. A permission is a plain string such as
"org.view"; `PERMISSIONS` maps each to the roles that hold it. `mutualaid.backends.RoleBackend` plugs this into
Django, so views use the ordinary `user.has_perm("org.view")` and `PermissionRequiredMixin`.
Where a permission applies is decided by tenancy (the user's subtree), not here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from mutualaid.models import OrgKind


class Role(models.TextChoices):
    UNIT_AGENT = "unit_agent", _("Unit agent")
    COUNTY_AGENT = "county_agent", _("County agent")
    CLAIMS_OFFICER = "claims_officer", _("Claims officer")
    CLAIMS_SUPERVISOR = "claims_supervisor", _("Claims supervisor")
    COMPLIANCE = "compliance", _("Compliance officer")
    FINANCE_OFFICER = "finance_officer", _("Finance officer")
    FINANCE_HEAD = "finance_head", _("Finance head")
    OFFICE_HEAD = "office_head", _("Office head")
    LEADER = "leader", _("Leader in charge")
    AUDITOR = "auditor", _("Auditor")
    API_CLIENT = "api_client", _("API client")


STAFF_ROLES = frozenset(Role) - {Role.UNIT_AGENT, Role.API_CLIENT}
OFFICE_ROLES = STAFF_ROLES - {Role.COUNTY_AGENT}
EVERY_HUMAN_ROLE = frozenset(Role) - {Role.API_CLIENT}

PERMISSIONS: dict[str, frozenset[Role]] = {
    # The organisation tree of one's own subtree.
    "org.view": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
    "org.manage": frozenset({Role.OFFICE_HEAD}),
    # Accounts of one's own subtree.
    "users.view": frozenset({Role.OFFICE_HEAD, Role.AUDITOR, Role.COMPLIANCE}),
    "users.manage": frozenset({Role.OFFICE_HEAD}),
    # The audit trail of one's own subtree.
    "audit.view": frozenset({Role.OFFICE_HEAD, Role.AUDITOR, Role.COMPLIANCE}),
    # Enrollment: plans and their periods, member lists, policies.
    "plans.manage": frozenset({Role.OFFICE_HEAD}),
    "enrollment.view": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
    "enrollment.upload": frozenset({Role.UNIT_AGENT, Role.COUNTY_AGENT, Role.OFFICE_HEAD, Role.API_CLIENT}),
    "enrollment.approve": frozenset({Role.OFFICE_HEAD}),
    "enrollment.cancel": frozenset({Role.OFFICE_HEAD, Role.COUNTY_AGENT, Role.UNIT_AGENT}),
    # Claims: registering (window staff and agents), the three review levels and the leader's
    # approval of large claims (one person may act at one level of a claim only), payment.
    "claims.view": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
    "claims.register": frozenset(
        {Role.UNIT_AGENT, Role.COUNTY_AGENT, Role.CLAIMS_OFFICER, Role.OFFICE_HEAD, Role.API_CLIENT}
    ),
    "claims.review_first": frozenset({Role.CLAIMS_OFFICER}),
    "claims.review_second": frozenset({Role.CLAIMS_SUPERVISOR}),
    "claims.review_final": frozenset({Role.COMPLIANCE}),
    "claims.review_leader": frozenset({Role.LEADER}),
    "claims.pay": frozenset({Role.FINANCE_OFFICER, Role.FINANCE_HEAD}),
    "claims.callback": frozenset({Role.CLAIMS_OFFICER, Role.CLAIMS_SUPERVISOR}),
    "claims.configure": frozenset({Role.OFFICE_HEAD}),
    # Finance: the dedicated account's books, remittances up the tree, layered payment approval
    # (prepared by one person, approved by three others), budgets and bank reconciliation.
    "finance.view": frozenset(
        {Role.FINANCE_OFFICER, Role.FINANCE_HEAD, Role.OFFICE_HEAD, Role.LEADER, Role.AUDITOR, Role.COUNTY_AGENT}
    )
    | {Role.API_CLIENT},
    "finance.post": frozenset({Role.FINANCE_OFFICER, Role.FINANCE_HEAD}),
    "finance.remit": frozenset({Role.COUNTY_AGENT, Role.FINANCE_OFFICER, Role.FINANCE_HEAD}),
    "finance.prepare": frozenset({Role.FINANCE_OFFICER}),
    "finance.approve_office": frozenset({Role.OFFICE_HEAD}),
    "finance.approve_finance": frozenset({Role.FINANCE_HEAD}),
    "finance.approve_leader": frozenset({Role.LEADER}),
    "finance.configure": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD}),
    # Reporting: the overview, the monthly snapshots that go up the tree, targets.
    "reporting.view": STAFF_ROLES | {Role.API_CLIENT},
    "reporting.rollup": frozenset({Role.OFFICE_HEAD, Role.FINANCE_HEAD}),
    "reporting.targets": frozenset({Role.OFFICE_HEAD}),
    # Seeing a full resident ID number; every reveal is recorded in the audit trail.
    "pii.reveal": frozenset({Role.OFFICE_HEAD, Role.CLAIMS_OFFICER, Role.COMPLIANCE}),
    # Machine access to the versioned API.
    "api.access": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
}


# Whoever may approve claims or payments logs in with a second factor (TOTP) and confirms again
# before the most sensitive actions. Derived from the permissions, so a role that gains an
# approval permission above gains the requirement with it.
APPROVAL_PERMISSIONS = frozenset(
    {"claims.review_first", "claims.review_second", "claims.review_final", "claims.review_leader", "claims.pay"}
    | {"finance.prepare"}
    | {perm for perm in PERMISSIONS if perm.startswith("finance.approve_")}
)
TWO_FACTOR_ROLES = frozenset(role for perm in APPROVAL_PERMISSIONS for role in PERMISSIONS[perm])


def needs_two_factor(roles: list[str] | tuple[str, ...]) -> bool:
    return bool(set(roles) & {role.value for role in TWO_FACTOR_ROLES})


def _kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


# Which kinds of node a role may be held at: a unit agent sits at a unit, a county agent at an
# agent point, the office roles at an office (province, city or industry branch).
ROLE_NODE_KINDS: dict[Role, frozenset[str]] = {
    Role.UNIT_AGENT: _kinds("unit"),
    Role.COUNTY_AGENT: _kinds("county"),
    **{role: _kinds("province", "city", "industry") for role in OFFICE_ROLES},
    Role.API_CLIENT: _kinds("province", "city", "industry"),
}


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    return _permissions_for(frozenset(roles))


@lru_cache(maxsize=256)
def _permissions_for(held: frozenset[str]) -> frozenset[str]:
    """Remembered per set of roles: the menu asks some thirty times per page."""
    return frozenset(perm for perm, granted in PERMISSIONS.items() if held & {r.value for r in granted})


def role_fits_node(role: str, kind: OrgKind | str) -> bool:
    return str(kind) in ROLE_NODE_KINDS.get(Role(role), frozenset())

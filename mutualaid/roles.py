"""Roles, and the register of what each may do.

A user holds one or more roles at one organisation node. A permission is a plain string such as
"org.view"; `PERMISSIONS` maps each to the roles that hold it: the core declares its own here,
each domain app declares its own in its `permissions.py` and registers them when it loads.
`mutualaid.backends.RoleBackend` plugs this into Django, so views use the ordinary
`user.has_perm("org.view")` and `PermissionRequiredMixin`. Where a permission applies is decided
by tenancy (the user's subtree), not here.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


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

# The core's own permissions; each domain app adds its own from its AppConfig.ready() through
# `register_permissions`, so that this module names no app above it.
PERMISSIONS: dict[str, frozenset[Role]] = {
    # The organisation tree of one's own subtree.
    "org.view": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
    "org.manage": frozenset({Role.OFFICE_HEAD}),
    # Accounts of one's own subtree.
    "users.view": frozenset({Role.OFFICE_HEAD, Role.AUDITOR, Role.COMPLIANCE}),
    "users.manage": frozenset({Role.OFFICE_HEAD}),
    # The audit trail of one's own subtree.
    "audit.view": frozenset({Role.OFFICE_HEAD, Role.AUDITOR, Role.COMPLIANCE}),
    # Seeing a full resident ID number; every reveal is recorded in the audit trail.
    "pii.reveal": frozenset({Role.OFFICE_HEAD, Role.CLAIMS_OFFICER, Role.COMPLIANCE}),
    # The log of notices sent to members and units in one's subtree; the office's own wording of them.
    "notices.view": frozenset(
        {Role.OFFICE_HEAD, Role.AUDITOR, Role.COMPLIANCE, Role.CLAIMS_OFFICER, Role.CLAIMS_SUPERVISOR}
    ),
    "notices.manage": frozenset({Role.OFFICE_HEAD}),
    # Machine access to the versioned API.
    "api.access": EVERY_HUMAN_ROLE | {Role.API_CLIENT},
}

# Permissions that approve claims or payments: whoever holds one logs in with a second factor
# (TOTP) and confirms again before the most sensitive actions.
APPROVAL_PERMISSIONS: set[str] = set()
# Permissions that decide without being approvals of claims or payments (a member list's approval):
# like the approvals, a role holding one is held only once a second person confirms its grant.
DECIDING_PERMISSIONS: set[str] = set()


def register_permissions(
    permissions: dict[str, frozenset[Role]], *, approvals: Iterable[str] = (), deciding: Iterable[str] = ()
) -> None:
    """Add an app's permissions (and which of them approve claims or payments, or otherwise decide
    and so are granted by two people). Declaring the same permission twice with other roles is a
    programming error, refused at start-up."""
    for name, granted in permissions.items():
        if PERMISSIONS.get(name, granted) != granted:
            raise ImproperlyConfigured(f"Permission {name} is declared twice with different roles.")
        PERMISSIONS[name] = granted
    unknown = (set(approvals) | set(deciding)) - set(PERMISSIONS)
    if unknown:
        raise ImproperlyConfigured(f"Approval permissions that are not declared: {sorted(unknown)}")
    APPROVAL_PERMISSIONS.update(approvals)
    DECIDING_PERMISSIONS.update(deciding)
    _permissions_for.cache_clear()


def approving_roles() -> frozenset[Role]:
    """The roles whose grant a second person must confirm: every role that approves claims or
    payments or decides on a member list (mutualaid/services.py, `role_grant`)."""
    held = APPROVAL_PERMISSIONS | DECIDING_PERMISSIONS
    return frozenset(role for perm in held for role in PERMISSIONS[perm])


def roles_holding(perm: str) -> frozenset[str]:
    return frozenset(role.value for role in PERMISSIONS.get(perm, frozenset()))


def two_factor_roles() -> frozenset[Role]:
    """The roles that log in with a second factor: derived from the permissions, so a role that
    gains an approval permission gains the requirement with it."""
    return frozenset(role for perm in APPROVAL_PERMISSIONS for role in PERMISSIONS[perm])


def needs_two_factor(roles: list[str] | tuple[str, ...]) -> bool:
    return bool(set(roles) & {role.value for role in two_factor_roles()})


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


def role_fits_node(role: str, kind: str) -> bool:
    return str(kind) in ROLE_NODE_KINDS.get(Role(role), frozenset())


class HasPerm(Protocol):
    def has_perm(self, perm: str, /) -> bool: ...


# The mark ScopedTokenAuthentication (mutualaid/drf.py) puts on an approver who came in by an API
# token: a token has no second factor, so such a user holds none of APPROVAL_PERMISSIONS for the
# request (RoleBackend leaves them out, `require_permission` says why).
BY_TOKEN_WITHOUT_SECOND_FACTOR = "by_token_without_second_factor"  # noqa: S105 # an attribute, not a secret


def held_permissions(user: Any) -> frozenset[str]:
    """The permissions `user`'s roles grant for this request: without the approving ones when the
    user is an approver who came in by an API token."""
    held = permissions_for(list(getattr(user, "roles", []) or []))
    if getattr(user, BY_TOKEN_WITHOUT_SECOND_FACTOR, False):
        return held - APPROVAL_PERMISSIONS
    return held


def require_permission(actor: HasPerm, perm: str) -> None:
    """Refuse the action unless `actor` holds `perm`: the first line of every service that writes."""
    if not actor.has_perm(perm):
        if perm in APPROVAL_PERMISSIONS and getattr(actor, BY_TOKEN_WITHOUT_SECOND_FACTOR, False):
            raise PermissionDenied(
                gettext(
                    "An API token cannot approve: this account approves with a second factor. "
                    "Sign in to the site to approve, or have an API client account do the rest."
                )
            )
        raise PermissionDenied(gettext("Your roles do not allow this."))

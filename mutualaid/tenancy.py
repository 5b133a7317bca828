"""Tenancy: every read of tenant-owned rows goes through the caller's organisation subtree.

The mechanism is django-scopes (as in pretix). Tenant-owned models use `TenantManager`, whose
querysets filter on the row's materialised organisation path. A query made while no scope is
active raises `ScopeError`: a developer who forgets the scope gets an error, never another
office's rows. Scopes are entered in exactly three places:

- `TenantScopeMiddleware` for browser requests, and `ScopedTokenAuthentication` for API tokens;
- `ScopedTask` for Celery tasks, which take the office's id and re-enter its scope;
- tests, through fixtures.

`org_scope(org)` is the only way in (the ruff rule TID251 bans calling django_scopes.scope
elsewhere). It refuses an empty organisation, so a missing value can never widen a scope.
Unscoped access is `unscoped()`: rare, and each call says why in a comment at the call (entering
a scope needs the office row itself; an operator's command or the superusers' admin reads every
office; a row that governs the caller, such as the settings of the office above, lies outside the
caller's subtree). tests/test_tenancy.py pins the list of call sites, so that a new one is a decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pghistory
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import UserManager
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager, get_scope, scope, scopes_disabled
from django_scopes.exceptions import ScopeError

SCOPE = "org"


class Node(Protocol):
    """What a scope needs of an organisation node (mutualaid.models.Organisation, which imports
    this module for its managers)."""

    pk: Any
    path: str


__all__ = [
    "NodeManager",
    "ScopeError",
    "TenantManager",
    "TenantOwned",
    "current_org_path",
    "org_scope",
    "subtree",
    "unscoped",
]


def _scoped_manager_class(path_field: str, base: type[models.Manager[Any]]) -> type[models.Manager[Any]]:
    """django-scopes' manager class filtering `path_field` on the prefix of the active scope."""
    return type(ScopedManager(_manager_class=base, **{SCOPE: f"{path_field}__startswith"}))


_M = TypeVar("_M", bound=models.Model)
_U = TypeVar("_U", bound=AbstractBaseUser)

if TYPE_CHECKING:
    # django-scopes builds its manager classes at run time; the type checker sees these stand-ins,
    # which have the methods of the managers they wrap.

    class TenantManager(models.Manager[_M]):
        """Rows whose `org_path` lies in the active scope."""

        def with_scopes_disabled(self) -> TenantManager[_M]: ...

    class NodeManager(models.Manager[_M]):
        """Organisation nodes whose own `path` lies in the active scope."""

        def with_scopes_disabled(self) -> NodeManager[_M]: ...

    class TenantUserManager(UserManager[_U]):
        """Accounts whose `org_path` lies in the active scope (with UserManager's methods)."""

else:
    # Named module-level classes (not the factory's anonymous ones), so that tools that resolve a
    # model's managers by name find them. Migrations get a plain manager: they run unscoped.

    class TenantManager(_scoped_manager_class("org_path", models.Manager)):
        """Rows whose `org_path` lies in the active scope."""

        use_in_migrations = False

    class NodeManager(_scoped_manager_class("path", models.Manager)):
        """Organisation nodes whose own `path` lies in the active scope."""

        use_in_migrations = False

    class TenantUserManager(_scoped_manager_class("org_path", UserManager)):
        """Accounts whose `org_path` lies in the active scope (with UserManager's methods)."""

        use_in_migrations = False


@contextmanager
def org_scope(org: Node, *, actor_id: int | None = None) -> Iterator[None]:
    """Make `org`'s subtree the only data visible, and label every write for the audit trail."""
    path = getattr(org, "path", None)
    if org is None or not getattr(org, "pk", None) or not path:
        raise ScopeError("org_scope needs a saved organisation; refusing to widen the scope.")
    with scope(**{SCOPE: path}), pghistory.context(user=actor_id, org=org.pk, org_path=path):
        yield


@contextmanager
def unscoped() -> Iterator[None]:
    """Every tenant's rows. Each call says why at the call; the call sites are pinned by a test."""
    with scopes_disabled():
        yield


def subtree(node: Node, field: str = "org_path") -> Q:
    """The filter of a tenant-owned query to `node`'s subtree. The scoped manager already holds
    such a query to the active scope's subtree: for the scope's own office the same prefix test
    again on every row is left out (a province's roll-up reads its 5,000,000 enrollments, and the
    second test cost a sixth of that). Any other node, or no active scope, gets the filter."""
    active = get_scope()
    if active.get("_enabled") and active.get(SCOPE) == node.path:
        return Q()
    return Q(**{f"{field}__startswith": node.path})


def current_org_path() -> str:
    """The active scope's path; raises when there is none (cache keys must carry it)."""
    path = get_scope().get(SCOPE)
    if not path:
        raise ScopeError("No organisation scope is active.")
    return str(path)


class TenantOwned(models.Model):
    """Abstract base for rows that belong to one organisation node.

    `org_path` is copied from the owning node by the services that create the row; it is what
    scoping filters on, with a prefix index, so a subtree is one indexed query.
    """

    org = models.ForeignKey("mutualaid.Organisation", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255, editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["org_path"], name="%(app_label)s_%(class)s_subtree", opclasses=["varchar_pattern_ops"])
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The owner always comes from the server side: the path follows the org, never input.
        self.org_path = self.org.path
        super().save(*args, **kwargs)

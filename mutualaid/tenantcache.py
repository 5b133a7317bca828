"""Caching a node's figures without ever handing them to another office.

The one helper for tenant data in the cache. A key carries the active organisation scope (the
viewer's subtree) and the node the figures are of; a node outside the scope is refused with
`ScopeError` before the cache is read, so an entry can only be read back by a request or task
that could have computed it. Values are kept for a short time (`seconds`), never written back
by anything but `remember`, and dropped with the rest of the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.cache import cache

from mutualaid.tenancy import ScopeError, current_org_path

if TYPE_CHECKING:
    from mutualaid.models import Organisation

T = TypeVar("T")
PREFIX = "tenant"


def office_key(node: Organisation, *parts: Any) -> str:
    """The cache key of `parts` of `node`, for the active scope; refuses a node outside it."""
    scope = current_org_path()
    if not node.pk or not node.path or not node.path.startswith(scope):
        raise ScopeError("A cache key was asked for an office outside the active scope.")
    return ":".join([PREFIX, scope, str(node.pk), node.path, *(str(part) for part in parts)])


def remember(node: Organisation, parts: tuple[Any, ...], compute: Callable[[], T], *, seconds: int) -> T:
    """`compute()`, kept for `seconds` under `office_key(node, *parts)` (0: not kept)."""
    key = office_key(node, *parts)
    if seconds <= 0:
        return compute()
    found: T | None = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, seconds)
    return found

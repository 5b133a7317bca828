"""Django authentication backend that grants the permissions of a user's roles (roles.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from mutualaid.roles import held_permissions


class RoleBackend(ModelBackend):
    """Django's password check, with permissions from roles instead of permission tables.

    Staff permissions live in roles.py alone, so the per-user and per-group permission tables
    are not read (two queries saved on every request). Superusers pass every check through
    Django's own `PermissionsMixin.has_perm`.
    """

    def get_user(self, user_id: Any) -> Any:
        """The session's user with their node in the same query: every page reads the node (the
        request's scope is the node's subtree), which was one more query on every request."""
        model = get_user_model()
        try:
            user = model._default_manager.select_related("org").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(held_permissions(user_obj))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

"""Django authentication backend that grants the permissions of a user's roles (roles.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from mutualaid.roles import permissions_for


class RoleBackend(ModelBackend):
    """Django's ModelBackend (password check, superusers) plus role-based permissions."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        perms = set(super().get_all_permissions(user_obj, obj))
        return perms | set(permissions_for(getattr(user_obj, "roles", []) or []))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)

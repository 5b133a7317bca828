"""Django authentication backend that grants the permissions of a user's roles (roles.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from mutualaid.roles import held_permissions


class RoleBackend(ModelBackend):
    """Django's password check, with permissions from roles instead of permission tables.

    Staff permissions live in roles.py alone, so the per-user and per-group permission tables
    are not read (two queries saved on every request). Superusers pass every check through
    Django's own `PermissionsMixin.has_perm`.
    """

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        return set(held_permissions(user_obj))

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

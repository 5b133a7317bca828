"""Django REST framework glue: token authentication that enters the tenant scope, and the
permission class that checks the roles of roles.py.

Kept apart from the API views because DRF imports authentication classes while it loads.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from mutualaid.middleware import enter_user_scope
from mutualaid.money import MONEY


class ScopedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            enter_user_scope(request._request, result[0])
        return result


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` up to a thousand rows: an unbounded limit lets one request read a whole table, and
    a limit past the range of a bigint ends in a database error."""

    max_limit = 1000


def whole_number(value: str) -> int | None:
    """A query parameter as an id or a year, if it is one: ASCII digits, as many as a bigint holds.
    str.isdigit() also accepts "²", which int() refuses, and int() of 5,000 digits raises."""
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


class HasPermission(permissions.BasePermission):
    """Grants access when the user holds the view's `required_permission` (see roles.py)."""

    message = _("Your roles do not allow this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        perm = getattr(view, "required_permission", "api.access")
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(perm))


def money_field(**options: Any) -> serializers.DecimalField:
    """A money amount in an API body or answer: yuan with the database's digits (mutualaid/money.py)."""
    return serializers.DecimalField(**MONEY, **options)

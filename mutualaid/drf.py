"""Django REST framework glue: token authentication that enters the tenant scope, and the
permission class that checks the roles of roles.py.

Kept apart from the API views because DRF imports authentication classes while it loads.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from mutualaid.badinput import BIGINT_MAX, whole_number
from mutualaid.middleware import enter_user_scope
from mutualaid.money import MONEY
from mutualaid.roles import BY_TOKEN_WITHOUT_SECOND_FACTOR, needs_two_factor


class ScopedTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            enter_user_scope(request._request, result[0])
            # A token is one factor: an approver's token acts without the approving permissions.
            if needs_two_factor(list(getattr(result[0], "roles", []) or [])):
                setattr(result[0], BY_TOKEN_WITHOUT_SECOND_FACTOR, True)
        return result

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        """The token with its user and the user's node in one query (the scope is the node's
        subtree: one query less on every call); a token DRF refuses is refused by DRF, in its words."""
        from rest_framework.authtoken.models import Token  # not while DRF loads this module

        token = Token.objects.select_related("user__org").filter(key=key).first()
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)
        return (token.user, token)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` up to a thousand rows: an unbounded limit lets one request read a whole table, and
    a limit past the range of a bigint ends in a database error."""

    max_limit = 1000


JSON_MAX_DEPTH = 32  # no body the API takes is deeper than a benefit schedule's rules (about 6)


def _depth(value: Any, limit: int) -> int:
    """How deep `value` nests, counted up to `limit + 1` only."""
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with a depth limit: Python's decoder raises RecursionError (a 500) on a
    thousand nested arrays, and a deep body costs every recursive walk of it after. Parses as DRF
    does (NaN and Infinity are refused there), then answers 400 for anything nested deeper than
    JSON_MAX_DEPTH. The size is bounded before: DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if _depth(data, JSON_MAX_DEPTH) <= JSON_MAX_DEPTH:
                return data
        raise exceptions.ParseError(
            _("The JSON body is nested too deeply: at most %(depth)s levels.") % {"depth": JSON_MAX_DEPTH}
        )


class HasPermission(permissions.BasePermission):
    """Grants access when the user holds the view's `required_permission` (see roles.py)."""

    message = _("Your roles do not allow this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        perm = getattr(view, "required_permission", "api.access")
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(perm))


class WholeNumberField(serializers.IntegerField):
    """An id, a version or a count in a body: a JSON integer or a string of ASCII digits, from 0
    to a bigint's largest by default. DRF's own takes "１２" and "٣" as 12 and 3, and True as 1."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("min_value", 0)
        options.setdefault("max_value", BIGINT_MAX)
        super().__init__(**options)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, str) and whole_number(data) is None):
            self.fail("invalid")
        return int(super().to_internal_value(data))


def money_field(**options: Any) -> serializers.DecimalField:
    """A money amount in an API body or answer: yuan with the database's digits (mutualaid/money.py)."""
    return serializers.DecimalField(**MONEY, **options)

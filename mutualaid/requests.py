"""Who a request acts for, typed. Behind the login (StaffView's mixins, DRF's HasPermission) the
user is a User of an office; these say so to the type checker, and refuse rather than go on
where it is not so (an account without an office, such as a superuser's)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.request import Request

from mutualaid.models import Organisation, User


def request_user(request: HttpRequest | Request) -> User:
    """The logged-in user the request acts for."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Your roles do not allow this page."))
    return user


def request_office(request: HttpRequest | Request) -> Organisation:
    """The office the logged-in user acts for."""
    office = request_user(request).org
    if office is None:
        raise PermissionDenied(_("Your account is not attached to an office."))
    return office

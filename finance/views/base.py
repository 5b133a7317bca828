"""What the finance pages share: a refusal shown as a message, and the office whose books the
caller keeps."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from finance.rules import MONEY_OFFICES
from mutualaid.models import Organisation
from mutualaid.requests import request_user


def show_error(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    """A refused action, shown on the page the view redirects to."""
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("Your roles do not allow this."))
    else:
        messages.error(request, " ".join(error.messages))


def books_office(request: HttpRequest) -> Organisation:
    """The caller's own office, which must keep books (a unit has none)."""
    office = request_user(request).org
    if office is None or office.kind not in MONEY_OFFICES:
        raise Http404(_("Your office keeps no books."))
    return office

"""What every area's views use."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


def show_errors(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    """A refused action as a message on the page it returns to."""
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("Your roles do not allow this."))
    else:
        messages.error(request, " ".join(error.messages))

"""What every area's views use."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from claims import selectors
from claims.lifecycle import REVIEW_LEVELS
from claims.models import Claim, ClaimStatus
from mutualaid.models import User
from mutualaid.roles import Role


def show_errors(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    """A refused action as a message on the page it returns to."""
    if isinstance(error, PermissionDenied):
        messages.error(request, str(error) or _("Your roles do not allow this."))
    else:
        messages.error(request, " ".join(error.messages))


def registration_warning(claim: Claim, registrar: User) -> str:
    """The warning after registering when nobody but the registrar could take the first review
    (whoever registers a claim may not review it): who can act instead. Empty when someone can."""
    if registrar.org_id != claim.review_office_id:
        return ""  # an agent below: the reviewing office's staff are not theirs to read
    # A claim still missing documents goes to the first review once they are in.
    if selectors.level_candidates(claim=claim, status=ClaimStatus.FIRST_REVIEW):
        return ""
    heads = ", ".join(str(user) for user in selectors.office_people(office=claim.review_office, role=Role.OFFICE_HEAD))
    if registrar.has_perm(REVIEW_LEVELS[ClaimStatus.FIRST_REVIEW][1]):
        text = _(
            "You are the only claims officer of %(office)s, and whoever registers a claim may not review it: "
            "nobody can take its first review. The office head (%(heads)s) can hand it to another claims officer "
            "or, where there is none, decide it with a written reason (Claims → Claims nobody can review)."
        )
    else:
        text = _(
            "Nobody of %(office)s can take the first review of this claim. The office head (%(heads)s) can hand "
            "it to a claims officer or decide it with a written reason (Claims → Claims nobody can review)."
        )
    return text % {"office": claim.review_office.name, "heads": heads or _("none yet")}

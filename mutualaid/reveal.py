"""A response with full personal data: full resident ID numbers, phone numbers or bank account
numbers, of one person (an ID card copy) or of many (a member list's workbook, a batch's transfer
file).

Each such response is given on the same terms as revealing one ID number on a member's page: the
session must have confirmed its password (and code, for an approver) within REAUTH_SECONDS, and
the response is recorded in the audit trail (who, when, from which node, which document of which
record, how many people's numbers: `audit.audit_disclosure`). A view that serves one first finds
the record (404) and checks the person may have it (403), so that nobody is asked to confirm for
something they would not get, then asks `confirmation_needed`, then builds the document and
records it in the same request.

The API never hands such numbers out: a token carries no recent confirmation (API clients have
no second factor to give), so on an /api/ path the answer is always 403 with the reason, and no
API serializer has a field with a full number (the responses carry the masked ones).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from mutualaid.twofactor import confirmed_recently


def confirmation_needed(request: HttpRequest, *, back_to: str) -> HttpResponse | None:
    """None when the session may be handed full numbers now; otherwise the answer that asks it to
    confirm who it is: the re-authentication page, which brings the person back to `back_to`
    (the page that offers the document, where they open it again), or, for the API, a refusal."""
    if request.path.startswith("/api/"):
        message = _(
            "Full ID, phone and bank account numbers are not given through the API: open the document "
            "on the website, where you confirm your password first."
        )
        return JsonResponse({"detail": message}, status=403)
    if confirmed_recently(request):
        return None
    messages.info(
        request,
        _("This document holds full ID, phone or bank account numbers: confirm your password, then open it again."),
    )
    return HttpResponseRedirect(reverse("reauth") + "?" + urlencode({"next": back_to}))

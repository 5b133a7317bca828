from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def member_claims_panel(request: HttpRequest, enrollment: Any) -> tuple[str, dict[str, Any]] | None:
    """The member page's list of the person's claims in the viewer's scope."""
    if not request.user.has_perm("claims.view"):
        return None
    from claims.selectors import person_claims

    return "claims/partials/member_claims.html", {"claims": person_claims(enrollment=enrollment)}


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        from mutualaid.panels import MEMBER_PANELS

        if member_claims_panel not in MEMBER_PANELS:
            MEMBER_PANELS.append(member_claims_panel)

"""The navigation, fitted to the roles of whoever is logged in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None  # None: every logged-in user


# Later apps add their entries here, each behind a permission declared in roles.py.
NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", None),
    NavItem(_("Organisations"), "org_tree", "org.view"),
    NavItem(_("Member lists"), "enrollment:list_list", "enrollment.view"),
    NavItem(_("Policies"), "enrollment:policy_list", "enrollment.view"),
    NavItem(_("Member search"), "enrollment:member_search", "enrollment.view"),
    NavItem(_("Card printing"), "enrollment:card_jobs", "enrollment.view"),
    NavItem(_("Plans"), "enrollment:plan_list", "enrollment.view"),
    NavItem(_("Leaders' dashboard"), "reporting:dashboard", "reporting.view"),
    NavItem(_("Monthly overview"), "reporting:overview", "reporting.view"),
    NavItem(_("Monthly roll-ups"), "reporting:snapshots", "reporting.view"),
    NavItem(_("Annual targets"), "reporting:targets", "reporting.view"),
    NavItem(_("Rankings"), "reporting:rankings", "reporting.view"),
    NavItem(_("Exports"), "reporting:exports", "reporting.view"),
    NavItem(_("Claims"), "claims:claim_list", "claims.view"),
    NavItem(_("Register a claim"), "claims:claim_register", "claims.register"),
    NavItem(_("Claims deadlines"), "claims:deadlines", "claims.view"),
    NavItem(_("Risk flags"), "claims:risk", "claims.view"),
    NavItem(_("Payment batches"), "claims:batch_list", "claims.view"),
    NavItem(_("Benefit schedules"), "claims:schedule_list", "claims.view"),
    NavItem(_("Claims settings"), "claims:settings", "claims.configure"),
    NavItem(_("Books"), "finance:books", "finance.view"),
    NavItem(_("Premiums"), "finance:premiums", "finance.view"),
    NavItem(_("Premium remittances"), "finance:remittance_list", "finance.view"),
    NavItem(_("Payments"), "finance:payment_list", "finance.view"),
    NavItem(_("Bank reconciliation"), "finance:bank_list", "finance.view"),
    NavItem(_("Statement"), "finance:statement", "finance.view"),
    NavItem(_("Budget"), "finance:budget", "finance.view"),
    NavItem(_("Finance settings"), "finance:settings", "finance.configure"),
    NavItem(_("Accounts"), "user_list", "users.view"),
    NavItem(_("Audit trail"), "audit_list", "audit.view"),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    # Before the code of the login's second step, none of these pages would open anyway.
    verified = getattr(user, "is_verified", None)
    if getattr(user, "needs_two_factor", False) and (verified is None or not verified()):
        return {"nav_items": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    # The user's permissions once (as has_perm reads them: every one for an active superuser),
    # not once per entry: the menu is drawn on every page.
    everything = user.is_active and user.is_superuser
    allowed = set() if everything else user.get_all_permissions()
    items = [
        {
            "label": item.label,
            "url": _url(item.url_name, get_script_prefix(), get_urlconf()),
            "active": item.url_name == current,
        }
        for item in NAV_ITEMS
        if item.permission is None or everything or item.permission in allowed
    ]
    return {"nav_items": items}


@lru_cache(maxsize=256)
def _url(url_name: str, prefix: str, urlconf: str | None) -> str:
    """The menu's addresses, which change only with the URLconf and the prefix it is served under."""
    return reverse(url_name, urlconf=urlconf)

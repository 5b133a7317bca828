"""The navigation, fitted to the roles of whoever is logged in, grouped by area of work.

Each app registers its entries with an area (承保、理赔、财务、报表、系统); the menu shows the
areas in that order, each with the entries the user's permissions allow, and leaves out an area
with none. On a phone the whole menu folds behind one button (static/js/app.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mutualaid.twofactor import is_verified

# The areas of the menu, in their order; "" is the top, above every area (the home page).
AREAS: dict[str, str | Promise] = {
    "": "",
    "underwriting": _("Enrollment"),
    "settlement": _("Claims"),
    "money": _("Finance"),
    "reports": _("Reporting"),
    "system": _("System"),
}


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None  # None: every logged-in user
    order: int  # place in its area: the core's entries at 0-19 and 90-99, each app its own tens
    area: str  # one of AREAS


# The core's entries; each domain app adds its own from its AppConfig.ready() (`register_nav`),
# each behind a permission it declares.
NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", None, 0, ""),
    NavItem(_("Organisations"), "org_tree", "org.view", 10, "system"),
    NavItem(_("Accounts"), "user_list", "users.view", 90, "system"),
    NavItem(_("Audit trail"), "audit_list", "audit.view", 91, "system"),
    NavItem(_("Notices sent"), "notice_list", "notices.view", 92, "system"),
    NavItem(_("Notice wording"), "notice_templates", "notices.manage", 93, "system"),
]
_AREA_ORDER = {area: place for place, area in enumerate(AREAS)}


def register_nav(*items: NavItem) -> None:
    """Add an app's menu entries, in their place; loading an app twice adds nothing twice."""
    for item in items:
        if item.area not in AREAS:
            raise ValueError(f"menu entry {item.url_name}: unknown area {item.area!r}")
        if item not in NAV_ITEMS:
            NAV_ITEMS.append(item)
    NAV_ITEMS.sort(key=lambda item: (_AREA_ORDER[item.area], item.order))


def navigation(request: HttpRequest) -> dict[str, object]:
    """`nav_items`, the entries the user may open in menu order, and `nav_groups`, the same
    entries by area ({"label", "items"} each, the top area's label empty)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_groups": []}
    # Before the code of the login's second step, none of these pages would open anyway.
    if getattr(user, "needs_two_factor", False) and not is_verified(user):
        return {"nav_items": [], "nav_groups": []}
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
            "area": item.area,
        }
        for item in NAV_ITEMS
        if item.permission is None or everything or item.permission in allowed
    ]
    groups: list[dict[str, object]] = []
    for area, label in AREAS.items():
        entries = [entry for entry in items if entry["area"] == area]
        if entries:
            groups.append({"area": area or "top", "label": label, "items": entries})
    return {"nav_items": items, "nav_groups": groups}


@lru_cache(maxsize=256)
def _url(url_name: str, prefix: str, urlconf: str | None) -> str:
    """The menu's addresses, which change only with the URLconf and the prefix it is served under."""
    return reverse(url_name, urlconf=urlconf)

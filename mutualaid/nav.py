"""The navigation, fitted to the roles of whoever is logged in, grouped by area of work.

Each app registers its entries with an area (承保、理赔、财务、报表、系统); the menu shows the
areas in that order, each with the entries the user's permissions allow, and leaves out an area
with none. On a phone the whole menu folds behind one button (static/js/app.js).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
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
_NAMES = {item.url_name for item in NAV_ITEMS}  # the routes the menu has an entry for


def register_nav(*items: NavItem) -> None:
    """Add an app's menu entries, in their place; loading an app twice adds nothing twice."""
    for item in items:
        if item.area not in AREAS:
            raise ValueError(f"menu entry {item.url_name}: unknown area {item.area!r}")
        if item not in NAV_ITEMS:
            NAV_ITEMS.append(item)
            _NAMES.add(item.url_name)
    NAV_ITEMS.sort(key=lambda item: (_AREA_ORDER[item.area], item.order))
    _menu.cache_clear()


# What a page without a menu gets (anonymous, or before the login's second step).
NO_MENU: dict[str, object] = {"nav_items": (), "nav_groups": (), "nav_menu": None}


@dataclass(frozen=True)
class Menu:
    """The menu of one set of permissions in one language with one entry current: its entries
    (read-only, shared by every request that draws the same menu) and its HTML."""

    items: tuple[Mapping[str, object], ...]
    groups: tuple[Mapping[str, object], ...]

    @cached_property
    def html(self) -> str:
        """partials/nav.html, drawn once: some fifty entries, each a translated label, an address
        and a test for the current page, were a third of the time of drawing a page."""
        return render_to_string("partials/nav.html", {"nav_groups": self.groups})


def navigation(request: HttpRequest) -> dict[str, object]:
    """`nav_items`, the entries the user may open in menu order, `nav_groups`, the same entries
    by area ({"area", "label", "items"} each, the top area's label empty), and `nav_menu`, the
    menu drawn (`nav_menu.html`, which base.html shows)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return NO_MENU
    # Before the code of the login's second step, none of these pages would open anyway.
    if getattr(user, "needs_two_factor", False) and not is_verified(user):
        return NO_MENU
    current = request.resolver_match.view_name if request.resolver_match else ""
    # The user's permissions as has_perm reads them (every one for an active superuser).
    everything = bool(user.is_active and user.is_superuser)
    allowed = frozenset() if everything else frozenset(user.get_all_permissions())
    menu = _menu(
        get_language(),
        everything,
        allowed,
        current if current in _NAMES else "",  # only an entry of the menu is marked current
        get_script_prefix(),
        get_urlconf(),
    )
    return {"nav_items": menu.items, "nav_groups": menu.groups, "nav_menu": menu}


@lru_cache(maxsize=1024)
def _menu(
    language: str | None, everything: bool, allowed: frozenset[str], current: str, prefix: str, urlconf: str | None
) -> Menu:
    """The menu is the same for everyone with the same permissions: it holds only the product's
    own labels and addresses, nothing of an office or a person, so it is made once per process
    for each set of permissions, language and current entry (a few hundred at most: the sets of
    roles people hold, times the entries, times the two languages)."""
    items = tuple(
        MappingProxyType(
            {
                "label": str(item.label),  # in `language`, active while the menu is made
                "url": reverse(item.url_name, urlconf=urlconf),
                "active": item.url_name == current,
                "area": item.area,
            }
        )
        for item in NAV_ITEMS
        if item.permission is None or everything or item.permission in allowed
    )
    groups: list[Mapping[str, object]] = []
    for area, label in AREAS.items():
        entries = tuple(entry for entry in items if entry["area"] == area)
        if entries:
            groups.append(MappingProxyType({"area": area or "top", "label": str(label), "items": entries}))
    return Menu(items=items, groups=tuple(groups))

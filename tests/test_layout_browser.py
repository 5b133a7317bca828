"""Every page a role's menu offers (and every page its home page's to-do items open) fits a
phone and shows no select's empty choice as "---------", and the main pages pass axe-core.

The demo province (`manage.py seed_demo`: every role, a plan, an approved list, a claim in each
state of the review, remittances and a payment) is built once for this module and served by a
server of the module's own, so that its tests share it: pytest-django's live_server would make
each test transactional and empty the database after it. The database is emptied at the end.
One Chromium for the module; each role logs in through a session made on the server side (the
login pages have tests of their own: tests/test_auth.py, tests/test_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser import DESKTOP, OVERFLOW_JS, PHONE, SCREENSHOTS, Site, axe_violations, served_site

pytestmark = pytest.mark.browser
NARROWEST_BESIDE_THE_MENU = {"width": 801, "height": 900}

# One login per role of the demo, at the office where the role works (the province's head sees
# the cities' roll-ups, a city's head its counties, an agent point and a unit their own).
DEMO_LOGINS = (
    "sheng_head",
    "sheng_leader",
    "sheng_auditor",
    "xian_head",
    "xian_claims",
    "xian_supervisor",
    "xian_compliance",
    "xian_finance",
    "xian_finance_head",
    "yanta_agent",
    "qinchuan_agent",
)


@pytest.fixture(scope="module")
def demo_site(django_db_setup: None, django_db_blocker: Any) -> Iterator[Site]:
    with django_db_blocker.unblock():
        call_command("seed_demo", stdout=StringIO())
        try:
            with served_site() as site:
                yield site
        finally:
            call_command("flush", interactive=False, verbosity=0)
    assert not site.outside, f"requests left 127.0.0.1: {site.outside}"


def _menu(page: Any) -> list[str]:
    return page.eval_on_selector_all("nav.sidebar a", "links => links.map(a => a.getAttribute('href'))")


def _detail_pages() -> list[str]:
    """Pages the menu leads to in one more click, where the demo has one to show: a member list
    (its approval), a policy, a member, a claim, a payment batch, a remittance, a payment."""
    from claims.models import Claim, PaymentBatch
    from enrollment.models import Enrollment, MemberList, Policy
    from finance.models import PaymentRequest, Remittance
    from mutualaid.tenancy import unscoped

    pages = []
    with unscoped():
        for model, name, key in (
            (MemberList, "enrollment:list_detail", "list_pk"),
            (Policy, "enrollment:policy_detail", "policy_pk"),
            (Enrollment, "enrollment:member", "enrollment_pk"),
            (Claim, "claims:claim_detail", "claim_pk"),
            (PaymentBatch, "claims:batch_detail", "batch_pk"),
            (Remittance, "finance:remittance_detail", "remittance_pk"),
            (PaymentRequest, "finance:payment_detail", "payment_pk"),
        ):
            found = model.objects.order_by("pk").values_list("pk", flat=True).first()
            if found is not None:
                pages.append(reverse(name, kwargs={key: found}))
    return pages


# The cells of the page's tables squeezed into a narrow column: in a list (mutualaid/listing.py)
# a name of three characters or more on two lines or more with fewer than five a line (西安秦川 /
# 机械有限 / 公司工会 read at 1366 px; a name keeps about ten a line), in any other table fewer than
# three a line (雁/塔/区). Prose that wraps on purpose (.wrap) is left out.
SQUEEZED_JS = """() => [...document.querySelectorAll('main td:not(.wrap), main th')].filter(cell => {
  const text = cell.innerText.replace(/\\s+/g, '');
  if (text.length < 3) return false;
  const tops = [], words = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  while (words.nextNode()) {  // the lines of its words (not the boxes of its buttons and tags)
    const range = document.createRange(); range.selectNodeContents(words.currentNode);
    tops.push(...[...range.getClientRects()].filter(r => r.width > 0).map(r => r.top));
  }
  tops.sort((a, b) => a - b);
  let lines = 0, last = -1e9;
  for (const top of tops) { if (top - last > 8) lines++; last = top; }
  return lines > 1 && text.length / lines < (cell.closest('.list-table') ? 5 : 3);
}).map(cell => cell.innerText.replace(/\\s+/g, '').slice(0, 24)
  + ' (' + Math.round(cell.getBoundingClientRect().width) + ' px)')"""


# Each role's walk is a test of its own (the walk of every role was the suite's longest test), so
# that the test processes run them side by side: together the same roles, pages and checks as the
# single walk; where it counted more than 150 pages opened, each role counts its whole menu.
@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_page_of_every_roles_menu_fits_a_phone_and_no_column_is_squeezed_on_a_laptop(
    demo_site: Site, username: str
) -> None:
    """Each page at 390 px (nothing wider than the phone), then the same page drawn again at
    1366 px and at 801 px (the menu beside the page, the page at its narrowest): no column of a
    table one or two characters wide (a unit's or a plan's name read 雁/塔/区 at 1366 px)."""
    details = _detail_pages()
    assert len(details) >= 6, details  # the demo has something behind each of them
    too_wide = []
    squeezed = []
    dashes = []  # a select's empty choice as Django's "---------" (mutualaid/formrender.py words it)
    opened = 0
    page = demo_site.page_for(username, PHONE)
    page.goto(demo_site.url + "/")
    menu = _menu(page)
    assert menu, username
    # What the home page's to-do items open (a list filtered to what they count), as well.
    todo = page.eval_on_selector_all("a:has(.todo-count)", "links => links.map(a => a.getAttribute('href'))")
    for path in dict.fromkeys([*menu, *(link.split("#")[0] for link in todo), *details]):
        response = page.goto(demo_site.url + path, wait_until="domcontentloaded")
        if path in details and response.status != 200:
            continue  # not this role's (a 403 or 404 has its own tests)
        assert response.status == 200, (username, path, response.status)
        opened += 1
        found = page.evaluate(OVERFLOW_JS)
        if found["scroll"] > found["width"]:
            too_wide.append(f"{username} {path}: {found['scroll']} px, {found['worst']}")
        if "---------" in page.content():
            dashes.append(f"{username} {path}")
        for laptop in (DESKTOP, NARROWEST_BESIDE_THE_MENU):  # the same page laid out again, not loaded
            page.set_viewport_size(laptop)
            squeezed += [f"{username} {path} {laptop['width']} px: {cell}" for cell in page.evaluate(SQUEEZED_JS)]
        page.set_viewport_size(PHONE)
    page.context.close()
    assert opened >= len(set(menu)) > 1, (username, opened, menu)
    assert not too_wide, "pages wider than a 390 px phone:\n" + "\n".join(too_wide)
    assert not squeezed, "table cells one or two characters a line:\n" + "\n".join(squeezed)
    assert not dashes, "pages showing ---------:\n" + "\n".join(dashes)
    assert not demo_site.refused, demo_site.refused


@pytest.mark.parametrize("width", (360, 801, 1920))  # a test per width
def test_the_widest_menu_fits_the_narrowest_phone_and_a_window_just_past_the_folded_menu(
    demo_site: Site, width: int
) -> None:
    """360 px (the narrowest phone), 801 px (the menu beside the page again, the page at its
    narrowest) and 1920 px, for the office head, whose menu has every page."""
    too_wide = []
    page = demo_site.page_for("xian_head", {"width": width, "height": 900})
    page.goto(demo_site.url + "/")
    for path in _menu(page):
        page.goto(demo_site.url + path, wait_until="domcontentloaded")
        found = page.evaluate(OVERFLOW_JS)
        if found["scroll"] > found["width"]:
            too_wide.append(f"{width} px {path}: {found['scroll']} px, {found['worst']}")
    page.context.close()
    assert not too_wide, "pages wider than the window:\n" + "\n".join(too_wide)


# The entries of the menu that take more than one line (a range over a link's text gives one
# rectangle per line it runs over).
WRAPPED_JS = """() => [...document.querySelectorAll('nav.sidebar a')].filter(a => {
  const range = document.createRange(); range.selectNodeContents(a);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
}).map(a => a.textContent.trim())"""


@pytest.mark.parametrize("username", DEMO_LOGINS)  # a test per role, as the walk above
def test_no_menu_entry_wraps_on_a_laptop_a_narrow_window_or_a_phone(demo_site: Site, username: str) -> None:
    """Every role's menu at 1366 px, 801 px (the menu at its narrowest beside the page) and 390 px
    (opened behind its button): an entry on two lines reads as two entries."""
    wrapped = []
    for viewport in (DESKTOP, {"width": 801, "height": 900}, PHONE):
        page = demo_site.page_for(username, viewport)
        page.goto(demo_site.url + "/")
        if viewport is PHONE:
            page.locator("[data-testid=menu-button]").click()
        assert page.locator("nav.sidebar a").count() > 1
        wrapped += [f"{username} {viewport['width']} px: {entry}" for entry in page.evaluate(WRAPPED_JS)]
        page.context.close()
    assert not wrapped, "menu entries on more than one line:\n" + "\n".join(wrapped)


# The lines the header's shown parts take (their vertical centres, grouped within 8 px).
HEADER_LINES_JS = """() => {
  const parts = document.querySelectorAll('header.topbar .menu-button, header.topbar .brand, header.topbar .lang,'
    + ' header.topbar .who, header.topbar .topbar-right > a, header.topbar .topbar-right > form');
  const shown = [...parts].map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
  const centres = shown.map(r => (r.top + r.bottom) / 2).sort((a, b) => a - b);
  let lines = 0, last = -1e9;
  for (const c of centres) { if (c - last > 8) lines++; last = c; }
  return lines;
}"""


# The open menu's area labels that do not show whole (past the window's edge, clipped by their
# box) or that sit beside home rather than each heading its own column below it.
LABELS_CUT_JS = """() => {
  const home = document.querySelector('nav.sidebar .nav-top').getBoundingClientRect();
  return [...document.querySelectorAll('nav.sidebar .nav-area')].filter(label => {
    const r = label.getBoundingClientRect();
    return !r.height || r.left < 0 || r.right > window.innerWidth || label.scrollWidth > label.clientWidth
      || r.top < home.bottom;
  }).map(label => label.textContent.trim());
}"""


def test_the_phone_menu_opens_behind_its_button_and_closes_with_escape(demo_site: Site) -> None:
    page = demo_site.page_for("xian_head", PHONE)
    page.goto(demo_site.url + "/")
    # The header in two lines on a phone: the button, the product and the language; then who is
    # logged in, the password and the way out (one line on a laptop, below).
    assert page.evaluate(HEADER_LINES_JS) == 2
    nav, button = page.locator("nav.sidebar"), page.locator("[data-testid=menu-button]")
    assert not nav.is_visible() and button.get_attribute("aria-expanded") == "false"
    button.click()
    assert nav.is_visible() and button.get_attribute("aria-expanded") == "true"
    areas = nav.locator(".nav-area").all_inner_texts()
    assert areas == ["承保", "理赔", "财务", "报表", "系统"]
    assert not page.evaluate(LABELS_CUT_JS), page.evaluate(LABELS_CUT_JS)
    _shot(page, "layout-phone-menu-open")
    page.keyboard.press("Escape")
    assert not nav.is_visible()
    page.context.close()
    desktop = demo_site.page_for("yanta_agent", DESKTOP)
    desktop.goto(demo_site.url + "/")
    assert desktop.evaluate(HEADER_LINES_JS) == 1
    assert desktop.locator("nav.sidebar").is_visible() and not desktop.locator("[data-testid=menu-button]").is_visible()
    menu = desktop.locator("nav.sidebar").inner_text()
    assert "参保名单" in menu and "账户管理" not in menu and "财务设置" not in menu  # what an agent point's roles allow
    desktop.context.close()


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# The main pages, for the axe-core check (each at a phone's width and a laptop's).
MAIN_PAGES = (
    ("xian_head", "home"),
    ("xian_head", "enrollment:list_list"),
    ("xian_claims", "claims:claim_list"),
    ("xian_claims", "claim"),
    ("sheng_leader", "reporting:dashboard"),
    ("xian_finance", "finance:books"),
    ("xian_finance", "finance:payment_list"),
)


def test_the_main_pages_have_no_serious_or_critical_accessibility_violation(demo_site: Site) -> None:
    from claims.models import Claim
    from mutualaid.tenancy import unscoped

    with unscoped():
        claim = Claim.objects.order_by("pk").first()
    assert claim is not None
    found = []
    for viewport in (DESKTOP, PHONE):
        for username, name in MAIN_PAGES:
            page = demo_site.page_for(username, viewport)
            path = reverse("claims:claim_detail", kwargs={"claim_pk": claim.pk}) if name == "claim" else reverse(name)
            assert page.goto(demo_site.url + path).status == 200, path
            found += [f"{username} {path} {viewport['width']}px: {v}" for v in axe_violations(page, demo_site.url)]
            _shot(page, f"layout-{viewport['width']}-{username}-{name.replace(':', '-')}")
            page.context.close()
    assert not found, "axe-core found:\n" + "\n".join(found)
    assert not demo_site.refused, demo_site.refused

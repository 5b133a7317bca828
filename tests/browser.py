"""Playwright on Debian's Chromium, for tests of what a person does in the browser.

Chromium runs headless with the flags this closed network needs; every request that would
leave 127.0.0.1 is refused and remembered, and a test fails if there was any.
Screenshots go to test-artifacts/screenshots/. A page that breaks the Content-Security-Policy fails
the test too.

Chromium runs in Chinese, as an office's browser does: its interface language (`--lang` and the
process's locale, with Debian's chromium-l10n) draws a date field as 年/月/日 and 2026/12/06, not
mm/dd/yyyy; each tab's locale (`new_context(locale=...)`) is zh-CN too, which is what a page's
scripts and the Accept-Language header see.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",
]
# The date and month fields follow the process's language (LANGUAGE), not the tab's, and only if
# Chromium has its Chinese resources (chromium-l10n, scripts/system-packages.sh --browser). LANG
# stays C.UTF-8, a locale every machine has: a zh_CN.UTF-8 that is not generated falls back to
# ASCII, and a file named in Chinese (名单.xlsx) is then silently not uploaded.
CHROMIUM_ENV = {"LANG": "C.UTF-8", "LANGUAGE": "zh_CN:zh"}
CHROMIUM_CHINESE = Path("/usr/lib/chromium/locales/zh-CN.pak")


def launch(playwright: Any) -> Any:
    """Chromium, headless, in Chinese (see the module's docstring)."""
    if not CHROMIUM_CHINESE.exists():
        pytest.fail("Chromium's Chinese is required: apt-get install chromium-l10n (scripts/system-packages.sh)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, **CHROMIUM_ENV})


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
# The width of the page against the window's, and the widest element past the window's edge
# (outside any box that scrolls on its own), to say what to fix.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  let worst = null;
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    if (right > width + 1 && !scrolls(el) && (!worst || right > worst.right)) {
      const classes = typeof el.className === 'string' ? el.className.trim().replace(/ +/g, '.') : '';
      worst = {right: Math.round(right), what: el.tagName.toLowerCase() + (classes ? '.' + classes : '')};
    }
  }
  return {scroll: document.scrollingElement.scrollWidth, width, worst};
}"""


# axe-core from the product's own static files (scripts/bootstrap.sh copies it there): the
# serious and critical violations of the page, each with up to three of the elements at fault.
AXE_JS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""


def axe_violations(page, base_url: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(url=base_url + "/static/vendor/axe-core/axe.min.js")
    return list(page.evaluate(AXE_JS))


def too_wide(page) -> str:  # type: ignore[no-untyped-def]
    """Nothing when the page fits its window, else its width and its widest element past the edge."""
    found = page.evaluate(OVERFLOW_JS)
    return f"{found['scroll']} px, {found['worst']}" if found["scroll"] > found["width"] else ""


@dataclass
class Site:
    url: str
    browser: Any
    refused: list[str]
    outside: list[str]

    def page_for(self, username: str, viewport: dict[str, int]) -> Any:
        """A browser tab logged in as `username`, past the two-factor step."""
        from django.test import Client

        from mutualaid.models import User
        from mutualaid.tenancy import unscoped

        with unscoped():
            user = User.auth_objects.get(username=username)
        client = Client()
        client.force_login(user)  # marked verified (tests/conftest.py), as the code page would
        context = self.browser.new_context(locale="zh-CN", viewport=viewport)
        host = urlparse(self.url).hostname
        session = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])

        def guard(route: Any) -> None:
            if urlparse(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.on("console", lambda message: self._csp(message.text))
        return page

    def _csp(self, text: str) -> None:
        if "Content Security Policy" in text:
            self.refused.append(text)


@contextmanager
def served_site() -> Iterator[Site]:
    """A server of the module's own over the database as it stands (committed rows: the tests of
    the module share them), and one Chromium; the caller builds the data and empties it after."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is required: apt-get install chromium (scripts/system-packages.sh --browser)")
    from playwright.sync_api import sync_playwright
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1")
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            yield Site(url=server.url, browser=browser, refused=[], outside=[])
            browser.close()
    finally:
        server.stop()


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM):
        import os

        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: apt-get install chromium")
        pytest.skip("Chromium not installed (scripts/system-packages.sh --browser installs it)")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})

        def guard(route):  # type: ignore[no-untyped-def]
            if urlparse(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        # Anything the Content-Security-Policy blocks (an inline script or style that crept into a
        # template) is a failure, not a silently broken page.
        refused: list[str] = []

        def blocked(message):  # type: ignore[no-untyped-def]
            if "Content Security Policy" in message.text:
                refused.append(message.text)

        page.on("console", blocked)
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not refused, f"the Content-Security-Policy refused: {refused}"


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, user) -> None:  # type: ignore[no-untyped-def]
    """Log in through the login page, as a person would (an approver types the code of their
    authenticator), and land on the home page."""
    from tests.factories import PASSWORD

    device = None
    if user.needs_two_factor:
        from tests.twofactor import confirmed_device

        device = confirmed_device(user)
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    if device is not None:
        from tests.twofactor import code_for

        page.wait_for_url("**/accounts/otp/**")
        page.fill("#id_token", code_for(device))
        page.click("button[type=submit].primary")
    page.wait_for_url(page.base_url + "/")

"""Playwright on Debian's Chromium, for tests of what a person does in the browser.

Chromium runs headless with the flags this closed network needs; every request that would
leave 127.0.0.1 is refused and remembered, and a test fails if there was any.
Screenshots go to test-artifacts/screenshots/. A page that breaks the Content-Security-Policy fails
the test too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
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
]


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
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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

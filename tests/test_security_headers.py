"""Security headers on every page: a strict Content-Security-Policy, no framing, no MIME
sniffing, no referrer to other sites; under production settings HSTS and cookies sent over
HTTPS only. The templates carry no inline script or style, which is what lets the policy be strict.
"""

from __future__ import annotations

import re
import subprocess
import sys

from django.test import Client
from django.urls import reverse

from tests.conftest import Tree
from tests.test_deploy import ROOT, _production_env

# The project's templates and each app's own (<app>/templates/).
TEMPLATE_FILES = [
    path
    for folder in (
        ROOT / "templates",
        *(ROOT / app / "templates" for app in ("mutualaid", "enrollment", "claims", "finance", "reporting")),
    )
    for path in folder.rglob("*.html")
]


def _policy(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def _assert_secure_headers(response: object) -> None:
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]  # type: ignore[index]
    assert response["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert response["Referrer-Policy"] == "same-origin"  # type: ignore[index]


def test_the_login_page_sends_the_security_headers(db: None) -> None:
    _assert_secure_headers(Client().get(reverse("login")))


def test_pages_behind_the_login_send_them_too(tree: Tree) -> None:
    client = Client()
    client.force_login(tree.a.office_user)
    for name in ("home", "org_tree", "user_list"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        _assert_secure_headers(response)


def test_no_template_has_inline_script_event_handlers_or_style() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in TEMPLATE_FILES
        # PDFs are drawn by WeasyPrint on the server, never served to a browser as HTML.
        if "pdf" not in path.parts
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []


PRODUCTION_PROBE = """
import django
django.setup()
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory

# The hashed-name manifest exists only after collectstatic (in the image); not what is examined.
plain_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": plain_storage}
client = Client()
plain = client.get("/accounts/login/", HTTP_HOST="huzhu.example.cn")
assert plain.status_code == 301 and plain["Location"].startswith("https://"), plain.status_code
page = client.get("/accounts/login/", HTTP_HOST="huzhu.example.cn", secure=True)
assert page.status_code == 200, page.status_code
hsts = page["Strict-Transport-Security"]
assert "max-age=31536000" in hsts and "includeSubDomains" in hsts, hsts
assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
csrf = page.cookies[settings.CSRF_COOKIE_NAME]
assert csrf["secure"], "CSRF cookie without Secure"

# The session cookie as the session middleware writes it (a cookie-only store, so that no
# database is needed here; the flags come from the production settings under test).
settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
request = RequestFactory().get("/", secure=True, HTTP_HOST="huzhu.example.cn")
middleware = SessionMiddleware(lambda r: HttpResponse())
middleware.process_request(request)
request.session["probe"] = 1
response = middleware.process_response(request, HttpResponse())
cookie = response.cookies[settings.SESSION_COOKIE_NAME]
assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax", dict(cookie)
print("ok")
"""


def test_production_settings_send_hsts_and_cookies_over_https_only() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=_production_env() | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout + result.stderr

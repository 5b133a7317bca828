"""Request middleware: the tenant scope for every request, and session timeouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from mutualaid.tenancy import org_scope, unscoped

Handler = Callable[[HttpRequest], HttpResponse]
LOGIN_AT = "mutualaid_login_at"
REFRESHED_AT = "mutualaid_refreshed_at"


def enter_user_scope(request: HttpRequest, user: AbstractBaseUser | AnonymousUser) -> None:
    """Enter `user`'s organisation scope until the end of this request.

    Called by the middleware for session users and by the API's token authentication (which
    runs later, inside the view). A user without a node gets no scope: every tenant query raises.
    """
    stack: ExitStack | None = getattr(request, "_tenant_stack", None)
    org = getattr(user, "org", None)
    if stack is None or org is None or getattr(request, "_tenant_scoped", False):
        return
    stack.enter_context(org_scope(org, actor_id=user.pk))
    # `_tenant_stack` and `_tenant_scoped` are this module's marks on the request, which
    # HttpRequest does not declare.
    request._tenant_scoped = True  # type: ignore[attr-defined] # our mark, see above


class TenantScopeMiddleware:
    """Every request runs inside its user's subtree; anonymous requests run in no scope at all.

    Superusers get unscoped access on the Django admin only, which is for operators.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with ExitStack() as stack:
            request._tenant_stack = stack  # type: ignore[attr-defined] # our mark, see enter_user_scope
            user = request.user
            if user.is_authenticated:
                if getattr(user, "org_id", None):
                    enter_user_scope(request, user)
                elif user.is_superuser and request.path.startswith("/admin/"):
                    stack.enter_context(unscoped())  # the operators' admin reads every office
            try:
                return self.get_response(request)
            finally:
                request._tenant_stack = None  # type: ignore[attr-defined] # our mark, see enter_user_scope


def refresh_interval() -> float:
    """How long a session may go without pushing its expiry forward: SESSION_REFRESH_SECONDS, and
    never more than a thirtieth of the idle limit, so the limit holds to within about 3%."""
    return min(float(settings.SESSION_REFRESH_SECONDS), settings.SESSION_COOKIE_AGE / 30)


class SessionTimeoutMiddleware:
    """End a session that has lived past the absolute limit, and say so on the login page; keep
    an active session alive.

    The idle limit is the session's expiry (SESSION_COOKIE_AGE after it was last saved, checked by
    Django when it loads the session). A request pushes it forward by saving the session when the
    last save is older than `refresh_interval()`, rather than on every request: a leader paging
    through reports costs no database write. A disabled account loses its session at its next
    request (AuthenticationMiddleware no longer finds the user).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get(LOGIN_AT)
            if started is None:
                session[LOGIN_AT] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.warning(request, _("Your session has expired. Please log in again."))
                return redirect_to_login(request.get_full_path())
            if now - float(session.get(REFRESHED_AT, 0)) >= refresh_interval():
                session[REFRESHED_AT] = now  # saved with a new expiry by SessionMiddleware
        return self.get_response(request)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user picked English with the switch on the page.

    The browser's Accept-Language is ignored: an office PC with an English system should still
    show the product in Chinese, as its colleagues see it.
    """

    def process_request(self, request: HttpRequest) -> None:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

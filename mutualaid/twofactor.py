"""Two-factor login (TOTP), re-authentication before sensitive actions, and password age.

Who needs a second factor is decided by `roles.needs_two_factor` (the roles that approve claims or
payments). django-otp keeps the device and marks a session verified; the middlewares here keep
an approver whose session is not verified on the code pages, and anyone whose password is older
than PASSWORD_MAX_AGE_DAYS on the password change page. Token authentication (the api_client
role's machine access) never has a session user at this point and passes untouched.

Re-authentication: every password (+ code) confirmation stamps the session with its time; an
action that needs a recent one sends the user to the re-authentication page when the stamp is
older than REAUTH_SECONDS and brings them back to the page (a POST is never replayed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pghistory
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from mutualaid.models import User
from mutualaid.roles import needs_two_factor

Handler = Callable[[HttpRequest], HttpResponse]
CONFIRMED_AT = "mutualaid_confirmed_at"
DEVICE_NAME = "authenticator"


def user_needs_two_factor(user: Any) -> bool:
    return bool(user.is_authenticated and needs_two_factor(list(getattr(user, "roles", []) or [])))


def is_verified(user: Any) -> bool:
    """Whether this session passed the second factor (django-otp's OTPMiddleware sets the method)."""
    verified = getattr(user, "is_verified", None)
    return bool(verified is not None and verified())


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def totp_device_start(*, user: User) -> TOTPDevice:
    """The device being enrolled: the same unconfirmed secret until it is confirmed, so that
    reloading the page does not invalidate what the person has already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolled device with its first code; the session is then verified."""
    if not verify_code(request=request, device=device, token=token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    mark_confirmed(request)
    return True


def verify_code(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code; a wrong one counts toward the account lockout like a wrong password.

    django-otp slows the device down after each failure (1 s, 2 s, 4 s, …, kept on the device
    until a good code), which bounds guessing even across new password logins; axes counts the
    failure against the username, and at the limit the session ends on the lockout page.
    """
    token = "".join(token.split())
    if token.isdigit() and device.verify_token(token):
        return True
    user_login_failed.send(sender=__name__, credentials={"username": device.user.get_username()}, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)
    return False


def code_login(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    if not verify_code(request=request, device=device, token=token):
        return False
    otp_login(request, device)
    mark_confirmed(request)
    return True


@transaction.atomic
def totp_device_reset(*, user: User, actor: User) -> int:
    """An office head clears someone's authenticator (lost phone); they enrol again at their
    next login, and a session verified with the old device stops being verified at once."""
    if actor.org is None or user.org is None or not user.org.path.startswith(actor.org.path):
        raise PermissionDenied(_("You may only manage accounts inside your own office's tree."))
    if not actor.has_perm("users.manage"):
        raise PermissionDenied(_("Your roles do not allow managing accounts."))
    deleted, _details = TOTPDevice.objects.filter(user=user).delete()
    pghistory.create_event(user, label="otp_reset")
    return int(deleted)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code: drawn here, no image service involved."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)


def secret_base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def mark_confirmed(request: HttpRequest) -> None:
    request.session[CONFIRMED_AT] = time.time()


def confirmed_recently(request: HttpRequest) -> bool:
    stamp = request.session.get(CONFIRMED_AT)
    return stamp is not None and time.time() - float(stamp) <= settings.REAUTH_SECONDS


def reauth_redirect(request: HttpRequest, *, back_to: str) -> HttpResponse | None:
    """None when the session confirmed password (and code) recently enough; else the way to the
    re-authentication page, which returns to `back_to` (a page, not the POST that led here)."""
    if confirmed_recently(request):
        return None
    messages.info(request, _("For your security, confirm your password before this action."))
    return HttpResponseRedirect(reverse("reauth") + "?" + urlencode({"next": back_to}))


def password_expired(user: Any) -> bool:
    changed = getattr(user, "password_changed_at", None)
    if not user.is_authenticated or not user.has_usable_password():
        return False
    if changed is None:
        return True
    return bool(timezone.now() - changed > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS))


@receiver(user_logged_in)
def _stamp_password_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A password login confirms a user without a second factor; an approver's confirmation is
    stamped when the code is accepted."""
    if request is not None and hasattr(request, "session") and not user_needs_two_factor(user):
        mark_confirmed(request)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _paths(*names: str) -> frozenset[str]:
    return frozenset(reverse(name) for name in names)


class TwoFactorMiddleware:
    """An approver's session that has not passed the code reaches only the code pages and logout.

    A browser is sent to the code page (or to enrolment when there is no device yet); the API
    under session authentication answers 403, as it does for any other missing right.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and user_needs_two_factor(user)
            and not is_verified(user)
            and request.path not in _paths("otp_verify", "otp_setup", "logout", "set_language")
        ):
            if _is_api(request):
                return JsonResponse(
                    {"detail": _("Two-factor verification is required: enter your code on the website first.")},
                    status=403,
                )
            target = "otp_verify" if confirmed_device(user) else "otp_setup"
            return HttpResponseRedirect(reverse(target) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


class PasswordAgeMiddleware:
    """A password older than PASSWORD_MAX_AGE_DAYS must be changed before anything else."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if password_expired(user):
            # The code pages come first (TwoFactorMiddleware), then the new password.
            allowed = _paths(
                "password_change", "password_change_done", "logout", "set_language", "otp_verify", "otp_setup"
            )
            if request.path not in allowed:
                message = _("Your password is more than %(days)s days old. Please choose a new one.") % {
                    "days": settings.PASSWORD_MAX_AGE_DAYS
                }
                if _is_api(request):
                    return JsonResponse({"detail": message}, status=403)
                messages.warning(request, message)
                return HttpResponseRedirect(reverse("password_change"))
        return self.get_response(request)

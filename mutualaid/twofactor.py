"""Two-factor login (TOTP), re-authentication before sensitive actions, and password age.

Who needs a second factor is decided by `roles.needs_two_factor` (the roles that approve claims or
payments). django-otp keeps the device and marks a session verified; the middlewares here keep
an approver whose session is not verified on the code pages, and anyone whose password is older
than PASSWORD_MAX_AGE_DAYS on the password change page. Token authentication (the api_client
role's machine access) never has a session user at this point and passes untouched.

Wrong codes are counted per account, across password logins (`User.otp_failures`): at
AXES_FAILURE_LIMIT the second step is locked for AXES_COOLOFF_TIME after the last wrong code, as
django-axes locks a username after wrong passwords, so knowing the password does not buy endless
guesses. A wrong code also counts toward axes' own lockout of the username.

Enrolment: an approver without an authenticator first types the one-time enrolment code a second
person received (mutualaid/services.py); only then is a secret drawn, bound to that session, and
the first good code of the new authenticator uses the enrolment code up.

Re-authentication: every password (+ code) confirmation stamps the session with its time; an
action that needs a recent one sends the user to the re-authentication page when the stamp is
older than REAUTH_SECONDS and brings them back to the page (a POST is never replayed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pghistory
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from mutualaid.models import EnrolmentCode, User
from mutualaid.roles import needs_two_factor
from mutualaid.services import enrolment_code_digest, user_require_manager

Handler = Callable[[HttpRequest], HttpResponse]
CONFIRMED_AT = "mutualaid_confirmed_at"
# The enrolment code this session typed, and the device drawn for it (mutualaid/account_views.py).
ENROLMENT = "mutualaid_enrolment"
DEVICE_NAME = "authenticator"


def user_needs_two_factor(user: Any) -> bool:
    return bool(user.is_authenticated and needs_two_factor(list(getattr(user, "roles", []) or [])))


def is_verified(user: Any) -> bool:
    """Whether this session passed the second factor (django-otp's OTPMiddleware sets the method)."""
    verified = getattr(user, "is_verified", None)
    return bool(verified is not None and verified())


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_step_locked_until(user: User) -> datetime | None:
    """When the second step of `user` opens again after too many wrong codes, or None if open."""
    failed_at = user.otp_failed_at
    if failed_at is None or user.otp_failures < settings.AXES_FAILURE_LIMIT:
        return None
    until: datetime = failed_at + settings.AXES_COOLOFF_TIME
    return until if until > timezone.now() else None


def locked_message(until: datetime) -> str:
    return _(
        "Too many wrong codes: the second step of this account is locked until %(time)s (%(minutes)s minutes "
        "after the last wrong code), whatever the password. If these attempts were not yours, tell your office head."
    ) % {
        "time": timezone.localtime(until).strftime("%H:%M"),
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


def _count_failure(request: HttpRequest, user: User) -> None:
    """One more wrong code for the account (the count starts again once a cool-off has passed
    since the last one), and one more failure for axes' lockout of the username."""
    now = timezone.now()
    with transaction.atomic():
        locked = User.auth_objects.select_for_update().get(pk=user.pk)
        stale = locked.otp_failed_at is None or now - locked.otp_failed_at >= settings.AXES_COOLOFF_TIME
        locked.otp_failures = 1 if stale else locked.otp_failures + 1
        locked.otp_failed_at = now
        locked.save(update_fields=["otp_failures", "otp_failed_at"])
    user.otp_failures, user.otp_failed_at = locked.otp_failures, locked.otp_failed_at
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)


def _count_success(user: User) -> None:
    if user.otp_failures:
        User.auth_objects.filter(pk=user.pk).update(otp_failures=0, otp_failed_at=None)
        user.otp_failures, user.otp_failed_at = 0, None


def enrolment_code_redeem(*, request: HttpRequest, user: User, code: str) -> TOTPDevice | None:
    """The enrolment code typed at the first login: when it is valid, a new secret is drawn for
    this session alone (any secret shown before is thrown away) and returned; a wrong code counts
    like a wrong authenticator code. None also while the second step is locked."""
    if second_step_locked_until(user) is not None:
        return None
    entry = EnrolmentCode.objects.filter(
        user=user,
        code_digest=enrolment_code_digest(code),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).first()
    if entry is None:
        _count_failure(request, user)
        return None
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    request.session[ENROLMENT] = {"code": entry.pk, "device": device.pk}
    return device


def enrolment_device(*, request: HttpRequest, user: User) -> TOTPDevice | None:
    """The device this session drew after a valid enrolment code, if any."""
    enrolment = request.session.get(ENROLMENT) or {}
    return TOTPDevice.objects.filter(user=user, confirmed=False, pk=enrolment.get("device")).first()


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm an enrolled device with its first code, using up the enrolment code it was drawn
    for (refused if another session used it meanwhile); the session is then verified."""
    if not verify_code(request=request, device=device, token=token):
        return False
    enrolment = request.session.pop(ENROLMENT, None) or {}
    code_id = int(enrolment.get("code") or 0)
    used = EnrolmentCode.objects.filter(pk=code_id, user=device.user, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        device.delete()
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    mark_confirmed(request)
    return True


def verify_code(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code, unless the account's second step is locked; a wrong one counts toward that
    lock (kept across password logins) and toward axes' lockout of the username, which ends the
    session at its limit. django-otp also slows the device down after each failure (1 s, 2 s,
    4 s, …, kept on the device until a good code)."""
    user = User.auth_objects.get(pk=device.user_id)  # the counter as it is now, not as the request began
    if second_step_locked_until(user) is not None:
        return False
    token = "".join(token.split())
    if token.isdigit() and device.verify_token(token):
        _count_success(user)
        return True
    _count_failure(request, user)
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
    next login with a new enrolment code (which someone who did not create the account issues),
    and a session verified with the old device stops being verified at once."""
    user_require_manager(actor=actor, user=user)
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

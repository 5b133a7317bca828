"""Approvers in tests: a confirmed authenticator with a known secret, and its current code.

`tests/conftest.py` makes `Client.force_login` of an approver also mark the session verified
and freshly confirmed, exactly as the code page does; `tests.browser.login` types a real code.
A test that wants the bare password session uses `force_login_password_only`.
"""

from __future__ import annotations

import time
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mutualaid.twofactor import CONFIRMED_AT

# The secret every test approver's authenticator holds (hex, as django-otp stores it).
TEST_KEY = "3132333435363738393031323334353637383930"

_original_force_login = Client.force_login


def confirmed_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", key=TEST_KEY, confirmed=True)


def code_for(device: TOTPDevice) -> str:
    """A code the device accepts now: django-otp refuses a time step it has already seen, so a
    second login within 30 seconds uses the next step (inside the tolerance) or waits for it."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    step = max(now, device.last_t + 1)
    if step > now + device.tolerance:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.1)
        return code_for(device)
    totp.time = time.time() + (step - now) * device.step
    return f"{totp.token():0{device.digits}d}"


def verify_session(client: Client, user: Any) -> None:
    """Mark `client`'s session as having passed the code page just now."""
    device = confirmed_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[CONFIRMED_AT] = time.time()
    session.save()


def force_login_verified(self: Client, user: Any, backend: str | None = None) -> None:
    _original_force_login(self, user, backend)
    if getattr(user, "needs_two_factor", False):
        verify_session(self, user)


def force_login_password_only(client: Client, user: Any) -> None:
    """Logged in with the password, before the code page: what the product sees mid-login."""
    _original_force_login(client, user)


def code_from_secret(secret: str) -> str:
    """The current code for a base32 secret as the enrolment page shows it (groups of four)."""
    from base64 import b32decode

    from django_otp.oath import totp

    return f"{totp(b32decode(secret.replace(' ', ''))):06d}"

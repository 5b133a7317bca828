"""The login's second step (enrolling an authenticator, entering its code), re-authentication
before sensitive actions, and an office head resetting someone's authenticator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from mutualaid import twofactor
from mutualaid.badinput import StrictNumbers
from mutualaid.models import User
from mutualaid.views import AuthenticatedRequest, UserActionView


class CodeForm(StrictNumbers, forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class EnrolmentCodeForm(StrictNumbers, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Enrolment code"),
        max_length=20,
        help_text=gettext_lazy(
            "Ten digits, given to you in person or by phone by whoever confirmed your role (the office above, or a "
            "second office head), never by the person who created your account."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "autofocus": True}),
    )


class ReauthForm(StrictNumbers, forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    token = forms.CharField(
        label=gettext_lazy("Six-digit code"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, with_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_code:
            self.fields["token"].required = True
        else:
            del self.fields["token"]


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _refused(request: HttpRequest) -> HttpResponse | None:
    """After a failure that reached the lockout limit the session is gone: go to the login page
    (axes' middleware replaces the response with the lockout page)."""
    if not request.user.is_authenticated:
        return redirect("login")
    return None


def _code_error(user: User) -> str:
    """What a refused code is told: the lock and until when, or that the code was wrong."""
    until = twofactor.second_step_locked_until(User.auth_objects.get(pk=user.pk))
    if until is not None:
        return twofactor.locked_message(until)
    return _("The code is wrong or has expired. Wait for a new code and try again.")


class _SecondStep(LoginRequiredMixin, FormView[CodeForm]):
    request: AuthenticatedRequest
    form_class = CodeForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(next=_next_url(self.request), **kwargs)


class OtpVerifyView(_SecondStep):
    """The code page of the login, for an approver whose authenticator is enrolled."""

    template_name = "registration/otp_verify.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            if not twofactor.user_needs_two_factor(user) or twofactor.is_verified(user):
                return HttpResponseRedirect(_next_url(request))
            if twofactor.confirmed_device(user) is None:
                return HttpResponseRedirect(reverse("otp_setup") + "?" + request.GET.urlencode())
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: CodeForm) -> HttpResponse:
        device = twofactor.confirmed_device(self.request.user)
        assert device is not None  # noqa: S101 - dispatch sent users without one to enrolment
        if twofactor.code_login(request=self.request, device=device, token=form.cleaned_data["token"]):
            return HttpResponseRedirect(_next_url(self.request))
        if (gone := _refused(self.request)) is not None:
            return gone
        form.add_error("token", _code_error(self.request.user))
        return self.form_invalid(form)


class OtpSetupView(_SecondStep):
    """Enrolment at the first login: the enrolment code a second person gave, then the QR code
    (or the secret typed in), confirmed by one code of the new authenticator.

    Only possible while the account has no confirmed device: a password alone never adds a
    second device; after a lost phone an office head resets the old one. No secret is drawn
    before a valid enrolment code, so whoever knows the password alone (the account's creator)
    cannot enrol an authenticator of their own.
    """

    template_name = "registration/otp_setup.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            if not twofactor.user_needs_two_factor(user) or twofactor.is_verified(user):
                return HttpResponseRedirect(_next_url(request))
            if twofactor.confirmed_device(user) is not None:
                return HttpResponseRedirect(reverse("otp_verify") + "?" + request.GET.urlencode())
        return super().dispatch(request, *args, **kwargs)

    def _device(self) -> Any:
        return twofactor.enrolment_device(request=self.request, user=self.request.user)

    def get_form(self, form_class: Any = None) -> Any:
        if self._device() is None:
            return EnrolmentCodeForm(**self.get_form_kwargs())
        return CodeForm(**self.get_form_kwargs())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        device = self._device()
        if device is None:
            return super().get_context_data(**kwargs)
        return super().get_context_data(
            qr_svg=twofactor.qr_svg(device), secret=twofactor.secret_base32(device), **kwargs
        )

    def form_valid(self, form: Any) -> HttpResponse:
        user = self.request.user
        device = self._device()
        if device is None:
            if twofactor.enrolment_code_redeem(request=self.request, user=user, code=form.cleaned_data["code"]):
                return HttpResponseRedirect(self.request.get_full_path())
            if (gone := _refused(self.request)) is not None:
                return gone
            until = twofactor.second_step_locked_until(User.auth_objects.get(pk=user.pk))
            form.add_error(
                "code",
                twofactor.locked_message(until)
                if until is not None
                else _("This enrolment code is wrong, used or expired. Ask for a new one if it does not work."),
            )
            return self.form_invalid(form)
        if twofactor.totp_device_confirm(request=self.request, device=device, token=form.cleaned_data["token"]):
            messages.success(self.request, _("Your authenticator is set up. Use its code at every login."))
            return HttpResponseRedirect(_next_url(self.request))
        if (gone := _refused(self.request)) is not None:
            return gone
        form.add_error("token", _code_error(user))
        return self.form_invalid(form)


class ReauthView(LoginRequiredMixin, FormView[ReauthForm]):
    request: AuthenticatedRequest

    """Confirm password (and code, for approvers) again, then return to the page that asked."""

    template_name = "registration/reauth.html"

    def get_form(self, form_class: Any = None) -> ReauthForm:
        return ReauthForm(with_code=twofactor.user_needs_two_factor(self.request.user), **self.get_form_kwargs())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(next=_next_url(self.request), **kwargs)

    def form_valid(self, form: ReauthForm) -> HttpResponse:
        request = self.request
        user = request.user
        # Through the backends, so that axes counts a wrong password and refuses a locked account.
        checked = authenticate(request, username=user.get_username(), password=form.cleaned_data["password"])
        if checked is None or checked.pk != user.pk:
            if getattr(request, "axes_locked_out", False):
                from django.contrib.auth import logout

                logout(request)
                return redirect("login")
            form.add_error("password", _("The password is wrong."))
            return self.form_invalid(form)
        if "token" in form.fields:
            device = twofactor.confirmed_device(user)
            if device is None or not twofactor.verify_code(
                request=request, device=device, token=form.cleaned_data["token"]
            ):
                if (gone := _refused(request)) is not None:
                    return gone
                form.add_error("token", _code_error(user))
                return self.form_invalid(form)
        twofactor.mark_confirmed(request)
        return HttpResponseRedirect(_next_url(request))


class OtpResetView(UserActionView):
    def act(self, target: User) -> str:
        twofactor.totp_device_reset(user=target, actor=self.request.user)
        return _("The authenticator of %(username)s was reset; they set up a new one at their next login.") % {
            "username": target.username
        }

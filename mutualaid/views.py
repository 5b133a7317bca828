"""Thin HTML views over the core's services and selectors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from mutualaid import selectors, services, twofactor
from mutualaid.forms import LoginForm, OrgCreateForm, UserCreateForm
from mutualaid.models import GrantStatus, Organisation, RoleGrant, User
from mutualaid.panels import render_panels
from mutualaid.requests import request_user
from mutualaid.roles import Role
from mutualaid.todo import todo_groups


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        """An approver goes on to the code page (or enrolment), then to where they were going."""
        url = super().get_success_url()
        user = self.request.user
        if isinstance(user, User) and twofactor.user_needs_two_factor(user):
            step = "otp_verify" if twofactor.confirmed_device(user) else "otp_setup"
            return reverse(step) + "?" + urlencode({"next": url})
        return url


class AuthenticatedRequest(HttpRequest):
    """A request that LoginRequiredMixin let through: its user is one of ours, never anonymous."""

    user: User


class StaffView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Logged in, holding `permission_required`, and always inside the user's scope."""

    request: AuthenticatedRequest

    raise_exception = False

    def handle_no_permission(self) -> HttpResponseRedirect:
        if self.request.user.is_authenticated:
            raise PermissionDenied(_("Your roles do not allow this page."))
        return super().handle_no_permission()


class HomeView(LoginRequiredMixin, TemplateView):
    request: AuthenticatedRequest

    template_name = "mutualaid/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        context = super().get_context_data(**kwargs)
        if user.org_id is not None:
            org = selectors.org_get(pk=user.org_id)
            context["org"] = org
            context["todo_groups"] = todo_groups(user=request_user(self.request))
            context["stats"] = selectors.org_subtree_stats(root=org)
            context["children"] = selectors.org_children(root=org)
        return context


class OrgDetailView(StaffView):
    template_name = "mutualaid/org_detail.html"
    permission_required = "org.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            org = selectors.org_get(pk=self.kwargs["org_pk"])
        except Organisation.DoesNotExist:
            raise Http404(_("No such organisation in your office's tree.")) from None
        context.update(
            org=org,
            breadcrumb=Organisation.objects.filter(id__in=org.ancestor_ids()).order_by("depth"),
            children=selectors.org_children(root=org),
            stats=selectors.org_subtree_stats(root=org),
            users=selectors.user_list().filter(org=org) if self.request.user.has_perm("users.view") else None,
            panels=render_panels("mutualaid.org", self.request, org),
        )
        return context


class OrgCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView[OrgCreateForm]):
    request: AuthenticatedRequest

    template_name = "mutualaid/org_form.html"
    permission_required = "org.manage"
    form_class = OrgCreateForm
    raise_exception = True

    def get_initial(self) -> dict[str, Any]:
        parent = self.request.GET.get("parent")
        return {"parent": parent} if parent and parent.isdigit() else {}

    def form_valid(self, form: OrgCreateForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            org = services.org_create(
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                parent=data["parent"],
                headcount=data["headcount"],
                credit_code=data["credit_code"],
                unit_type=data["unit_type"],
                actor=self.request.user,
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.form_invalid(form)
        except IntegrityError:
            form.add_error(None, _("This code or credit code is already registered. Check it, or choose another."))
            return self.form_invalid(form)
        messages.success(self.request, _("Added %(name)s.") % {"name": org.name})
        return redirect("org_detail", org_pk=org.pk)


class UserCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView[UserCreateForm]):
    request: AuthenticatedRequest

    template_name = "mutualaid/user_form.html"
    permission_required = "users.manage"
    form_class = UserCreateForm
    raise_exception = True

    def form_valid(self, form: UserCreateForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                password=data["password"],
                org=data["org"],
                roles=data["roles"],
                display_name=data["display_name"],
                actor=self.request.user,
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Account %(username)s created.") % {"username": user.username})
        waiting = [str(Role(g.role).label) for g in RoleGrant.objects.filter(user=user, status=GrantStatus.PENDING)]
        if waiting:
            messages.info(
                self.request,
                _(
                    "The roles %(roles)s approve, so a second person must confirm them (someone who manages accounts "
                    "in the office above, or another one in this office); until then the account does not hold them."
                )
                % {"roles": "、".join(waiting)},
            )
            return redirect("grant_list")
        return redirect("user_list")


class UserActionView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A button on the accounts page acting on one account of the office's tree: `act` does it
    (or raises ValidationError/PermissionDenied, shown as the message) and says what was done."""

    request: AuthenticatedRequest

    permission_required = "users.manage"
    raise_exception = True
    http_method_names = ["post"]

    def act(self, target: User) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        try:
            target = User.objects.get(pk=user_pk)
        except User.DoesNotExist:
            raise Http404(_("No such account in your office's tree.")) from None
        try:
            done = self.act(target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(reverse("user_list"))


class UserToggleActiveView(UserActionView):
    def act(self, target: User) -> str:
        services.user_set_active(user=target, active=not target.is_active, actor=self.request.user)
        return _("Account %(username)s updated.") % {"username": target.username}


def error_text(error: PermissionDenied | ValidationError) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _show_code(request: HttpRequest, issued: services.IssuedCode) -> HttpResponse:
    """The enrolment code, shown once to the person who received it, never stored in clear."""
    from django.shortcuts import render

    response = render(request, "mutualaid/enrolment_code.html", {"issued": issued})
    response["Cache-Control"] = "no-store"  # not kept by the browser for its back button
    return response


class UserGrantDecideView(UserActionView):
    """Confirm (after a fresh password and code) or refuse a pending grant of one account's role:
    an account action whose answer may be the enrolment code page."""

    def post(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        actor = self.request.user
        try:
            grant = RoleGrant.objects.select_related("user").get(
                user__pk=user_pk, role=request.POST.get("role", ""), status=GrantStatus.PENDING
            )
        except RoleGrant.DoesNotExist:
            if not User.objects.filter(pk=user_pk).exists():
                raise Http404(_("No such account in your office's tree.")) from None
            messages.error(request, _("This role no longer awaits confirmation for the account. Reload the page."))
            return HttpResponseRedirect(reverse("grant_list"))
        confirming = request.POST.get("action") == "confirm"
        if confirming and (back := twofactor.reauth_redirect(request, back_to=reverse("grant_list"))) is not None:
            return back
        label = {"username": grant.user.username, "role": Role(grant.role).label}
        try:
            if not confirming:
                services.role_grant_refuse(actor=actor, grant=grant)
                messages.success(request, _("The role %(role)s was not given to %(username)s.") % label)
                return HttpResponseRedirect(reverse("grant_list"))
            issued = services.role_grant_confirm(actor=actor, grant=grant)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(reverse("grant_list"))
        messages.success(request, _("%(username)s now holds the role %(role)s.") % label)
        return _show_code(request, issued) if issued is not None else HttpResponseRedirect(reverse("grant_list"))


class UserEnrolmentCodeView(UserActionView):
    """Issue a new enrolment code (after a fresh password and code) and show it once: an account
    action whose answer is the code page, not the accounts list."""

    def post(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        try:
            target = User.objects.get(pk=user_pk)
        except User.DoesNotExist:
            raise Http404(_("No such account in your office's tree.")) from None
        if (back := twofactor.reauth_redirect(request, back_to=reverse("grant_list"))) is not None:
            return back
        try:
            issued = services.enrolment_code_issue(actor=self.request.user, user=target)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(reverse("grant_list"))
        return _show_code(request, issued)


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers. No tenant data."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def attach_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)

"""Thin HTML views of enrollment over its services and selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views import View
from django.views.generic import FormView

from enrollment import documents, eligibility, selectors
from enrollment.forms import PeriodForm, PlanForm, UploadForm
from enrollment.models import Endorsement, Enrollment, ListStatus, MemberList, Plan, Policy
from enrollment.services import approval, corrections, enrollments, member_lists, plans
from enrollment.tables import (
    MemberFilter,
    MemberListFilter,
    MemberListTable,
    MemberTable,
    PlanFilter,
    PlanTable,
    PolicyFilter,
    PolicyMemberFilter,
    PolicyMemberTable,
    PolicyTable,
)
from enrollment.tasks import check_member_list
from enrollment.workbook.columns import COLUMN_BY_KEY
from enrollment.workbook.template import build_template
from mutualaid import pii
from mutualaid.badinput import whole_number, whole_numbers
from mutualaid.downloads import attachment, file_name
from mutualaid.listing import ListPage
from mutualaid.panels import render_panels
from mutualaid.requests import request_office, request_user
from mutualaid.reveal import confirmation_needed
from mutualaid.tenancy import TenantOwned
from mutualaid.twofactor import reauth_redirect
from mutualaid.views import StaffView, attach_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    return attachment(data, content_type=XLSX, name=filename)


_M = TypeVar("_M", bound=TenantOwned)


def _get(model: type[_M], pk: int, message: str) -> _M:
    try:
        return model.objects.get(pk=pk)
    except model.DoesNotExist:
        raise Http404(message) from None


class PlanListView(ListPage):
    """The plans the office offers or may join, each with its periods, to sort, filter and download."""

    template_name = "enrollment/plan_list.html"
    permission_required = "enrollment.view"
    table_class = PlanTable
    filter_class = PlanFilter
    title = gettext_lazy("Plans")
    export_name = gettext_lazy("Plans")

    def queryset(self) -> QuerySet[Any]:
        return selectors.plan_rows(org=request_office(self.request))

    def prepare(self, records: list[Any]) -> None:
        office = request_office(self.request)
        periods = selectors.period_list_offered(org=office)
        levels = selectors.period_subsidy_texts(period_ids=[period.pk for period in periods])
        for period in periods:
            period.levels_text = levels.get(period.pk, "")  # type: ignore[attr-defined] # for the table
        may_manage = self.request.user.has_perm("plans.manage")
        for plan in records:
            plan.shown_periods = [period for period in periods if period.plan_id == plan.pk]
            plan.may_add_period = may_manage and plan.org_id == office.pk


class PlanCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView[PlanForm]):
    template_name = "enrollment/form.html"
    permission_required = "plans.manage"
    raise_exception = True
    form_class = PlanForm
    extra_context = {"title": _("New plan")}

    def form_valid(self, form: PlanForm) -> HttpResponse:
        try:
            plans.plan_create(actor=request_user(self.request), **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Plan saved."))
        return redirect("enrollment:plan_list")


class PeriodCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView[PeriodForm]):
    template_name = "enrollment/form.html"
    permission_required = "plans.manage"
    raise_exception = True
    form_class = PeriodForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            self.plan = _get(Plan, kwargs["plan_pk"], _("No such plan in your office's tree."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=_("New period of %(plan)s") % {"plan": self.plan.name}, **kwargs)

    def form_valid(self, form: PeriodForm) -> HttpResponse:
        try:
            plans.period_create(actor=request_user(self.request), plan=self.plan, **form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Period saved."))
        return redirect("enrollment:plan_list")


class TemplateDownloadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "enrollment.view"
    raise_exception = True

    def get(self, request: HttpRequest) -> HttpResponse:
        office = request_office(request)
        periods = {p.pk: p for p in selectors.period_list_offered(org=office)}
        period = periods.get(whole_number(request.GET.get("period", "")) or 0)
        plan_names = [period.plan.name] if period else sorted({p.plan.name for p in periods.values()})
        data = build_template(
            plans=plan_names,
            unit_name=office.name,
            period_label=period.label if period else "",
            extras=eligibility.extra_columns(period),
        )
        return _xlsx(data, file_name(_("Member list template"), suffix="xlsx"))


class ListListView(ListPage):
    template_name = "enrollment/list_list.html"
    permission_required = "enrollment.view"
    table_class = MemberListTable
    filter_class = MemberListFilter
    title = gettext_lazy("Member lists")
    export_name = gettext_lazy("Member lists")

    def queryset(self) -> QuerySet[Any]:
        return selectors.member_list_list()


class UploadView(LoginRequiredMixin, PermissionRequiredMixin, FormView[UploadForm]):
    template_name = "enrollment/upload.html"
    permission_required = "enrollment.upload"
    raise_exception = True
    form_class = UploadForm

    def _periods(self) -> list[Any]:
        return selectors.period_list_uploadable(org=request_office(self.request))

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "periods": self._periods()}

    def _corrects(self) -> MemberList | None:
        """The list this upload corrects, from the page's address or the form; 404 outside the tree."""
        raw = self.request.POST.get("corrects") or self.request.GET.get("corrects")
        if not raw:
            return None
        pk = whole_number(raw)
        if pk is None:
            raise Http404(_("No such list in your office's tree."))
        return _get(MemberList, pk, _("No such list in your office's tree."))

    def get_initial(self) -> dict[str, Any]:
        org = request_user(self.request).org
        initial: dict[str, Any] = {"unit": org.pk} if org and org.kind == "unit" else {}
        if (corrects := self._corrects()) is not None:
            initial.update(unit=corrects.org_id, period=corrects.period_id, corrects=corrects.pk)
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "corrects": self._corrects()}

    def form_invalid(self, form: UploadForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form: UploadForm) -> HttpResponse:
        user = request_user(self.request)
        unit = form.cleaned_data["unit"]
        upload = form.cleaned_data["file"]
        try:
            period = selectors.period_get_offered(unit=unit, period_id=form.cleaned_data["period"])
            member_list, created = member_lists.member_list_upload(
                actor=user,
                unit=unit,
                period=period,
                data=upload.read(),
                filename=upload.name,
                corrects=self._corrects(),
            )
        except ValidationError as error:
            attach_errors(form, error)
            return self.form_invalid(form)
        if created:
            transaction.on_commit(
                lambda: check_member_list.delay(org_id=user.org_id, member_list_id=member_list.pk, actor_id=user.pk)
            )
        else:
            messages.info(
                self.request, _("This file was uploaded before for this unit and period: here is its report.")
            )
        return redirect("enrollment:list_detail", list_pk=member_list.pk)


class ListDetailView(StaffView):
    template_name = "enrollment/list_detail.html"
    permission_required = "enrollment.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        member_list = _get(MemberList, self.kwargs["list_pk"], _("No such list in your office's tree."))
        by_row: dict[int, list[dict[str, Any]]] = {}
        for problem in member_list.cell_problems:
            by_row.setdefault(problem["row"], []).append(problem)
        headers = {key: c.header for key, c in COLUMN_BY_KEY.items()}
        rows = [
            {"row": row, "problems": [{**p, "header": headers.get(p["column"], "")} for p in problems]}
            for row, problems in sorted(by_row.items())
        ]
        user = self.request.user
        context.update(
            list=member_list,
            page=Paginator(rows, 100).get_page(self.request.GET.get("page")),
            can_submit=user.has_perm("enrollment.upload")
            and member_list.status in {ListStatus.VALID, ListStatus.INVALID},
            can_decide=user.has_perm("enrollment.approve")
            and member_list.status == ListStatus.SUBMITTED
            and user.org is not None
            and user.org.is_office,
            passed_rows=member_list.row_count - member_list.error_row_count,
            can_download=member_lists.member_list_may_download(actor=user, member_list=member_list),
            approvers=selectors.member_list_approvers(member_list=member_list)
            if member_list.status == ListStatus.SUBMITTED
            else [],
            can_withdraw=corrections.member_list_may_withdraw(actor=user, member_list=member_list),
            can_correct=user.has_perm("enrollment.upload") and member_list.status in corrections.CORRECTABLE,
            can_copy=user.has_perm("enrollment.upload") and member_list.status == ListStatus.WITHDRAWN,
            corrections=list(member_list.corrections.order_by("created_at")),
            copies=list(member_list.copies.order_by("created_at")),
        )
        return context


class ListProgressView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "enrollment.view"
    raise_exception = True

    def get(self, request: HttpRequest, list_pk: int) -> JsonResponse:
        member_list = _get(MemberList, list_pk, _("No such list in your office's tree."))
        return JsonResponse(
            {"status": member_list.status, "progress": member_list.progress, "done": member_list.progress >= 100}
        )


class ListWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The uploaded workbook made into a document with every row's full ID and phone numbers:
    for who may have it (`member_lists.member_list_may_download`), after a fresh confirmation of
    their password, recorded in the audit trail (mutualaid/reveal.py)."""

    permission_required = "enrollment.view"
    raise_exception = True
    build: Callable[..., bytes]
    name: str

    def get(self, request: HttpRequest, list_pk: int) -> HttpResponse:
        member_list = _get(MemberList, list_pk, _("No such list in your office's tree."))
        user = request_user(request)
        if member_lists.member_list_may_download(actor=user, member_list=member_list):
            back_to = reverse("enrollment:list_detail", kwargs={"list_pk": member_list.pk})
            if (confirm := confirmation_needed(request, back_to=back_to)) is not None:
                return confirm
        # Refused (and the refusal recorded) by the service for someone who may not have it.
        data = type(self).build(actor=user, member_list=member_list)
        stem = member_list.original_name.removesuffix(".xlsx").removesuffix(".XLSX")
        return _xlsx(data, file_name(_(self.name), stem, suffix="xlsx"))


class ListAnnotatedView(ListWorkbookView):
    build = member_lists.member_list_download_annotated
    name = gettext_noop("checked")


class ListFailedRowsView(ListWorkbookView):
    build = member_lists.member_list_download_failed_rows
    name = gettext_noop("rows to correct")


# Refused withdrawals and copies answer with the list's page and the reason, as 4xx.
REFUSED_IN_PLACE = {"withdraw", "copy"}


def _list_page(request: HttpRequest, member_list: MemberList, *, status: int) -> HttpResponse:
    view = ListDetailView()
    view.setup(request, list_pk=member_list.pk)
    return TemplateResponse(request, ListDetailView.template_name, view.get_context_data(), status=status)


class ListActionView(LoginRequiredMixin, View):
    """Submit or send back a list (POST only); approving is the approval page's."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, list_pk: int, action: str) -> HttpResponse:
        member_list = _get(MemberList, list_pk, _("No such list in your office's tree."))
        user = request_user(request)
        try:
            if action == "submit":
                member_lists.member_list_submit(
                    actor=user,
                    member_list=member_list,
                    passed_only=request.POST.get("passed_only") == "1",
                )
                messages.success(request, _("The list was sent to the office for approval."))
            elif action == "approve":
                # Approving takes the approval page's confirmation that the list was checked.
                return redirect("enrollment:list_approval", list_pk=member_list.pk)
            elif action == "reject":
                reason = request.POST.get("reason", "")  # the service refuses an empty reason
                approval.member_list_reject(actor=user, member_list=member_list, reason=reason)
                messages.success(request, _("The list was sent back to the unit."))
            elif action == "withdraw":
                reason = request.POST.get("reason", "")  # the service refuses an empty reason
                corrections.member_list_withdraw(actor=user, member_list=member_list, reason=reason)
                messages.success(request, _("The list was withdrawn: nothing of it counts any more."))
            elif action == "copy":
                return self._copy(request, user, member_list)
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            if action in REFUSED_IN_PLACE:
                return _list_page(request, member_list, status=400)
        except PermissionDenied as error:
            messages.error(request, str(error) or _("Your roles do not allow this."))
            if action in REFUSED_IN_PLACE:
                return _list_page(request, member_list, status=403)
        return redirect("enrollment:list_detail", list_pk=member_list.pk)

    def _copy(self, request: HttpRequest, user: Any, member_list: MemberList) -> HttpResponse:
        """A withdrawn list's workbook uploaded again as a new list, checked afresh."""
        copy, created = member_lists.member_list_copy(actor=user, member_list=member_list)
        if created:
            transaction.on_commit(
                lambda: check_member_list.delay(org_id=user.org_id, member_list_id=copy.pk, actor_id=user.pk)
            )
        messages.success(request, _("The withdrawn list was copied into a new upload, which is being checked."))
        return redirect("enrollment:list_detail", list_pk=copy.pk)


class PolicyListView(ListPage):
    permission_required = "enrollment.view"
    table_class = PolicyTable
    filter_class = PolicyFilter
    title = gettext_lazy("Policies")
    export_name = gettext_lazy("Policies")

    def queryset(self) -> QuerySet[Any]:
        return selectors.policy_list()

    def prepare(self, records: list[Any]) -> None:
        rates = selectors.policy_renewal_rates(policies=records)
        for policy in records:
            # The figure rides on the row for the table; Policy declares no such field.
            policy.renewal = rates.get(policy.pk)


class PolicyDetailView(ListPage):
    """A policy: its documents, renewal, endorsements, and its members to sort, filter, page and
    download (the members of exactly this view; the policy's own member list is a document)."""

    template_name = "enrollment/policy_detail.html"
    permission_required = "enrollment.view"
    table_class = PolicyMemberTable
    filter_class = PolicyMemberFilter
    title = gettext_lazy("Policy")
    export_name = gettext_lazy("Members of the policy")

    def policy(self) -> Policy:
        if not hasattr(self, "_policy"):
            self._policy = _get(Policy, self.kwargs["policy_pk"], _("No such policy in your office's tree."))
        return self._policy

    def queryset(self) -> QuerySet[Any]:
        return selectors.enrollment_list(policy_id=self.policy().pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        policy = self.policy()
        rate = selectors.policy_renewal_rates(policies=[policy]).get(policy.pk)
        context.update(
            title=" ".join((str(_("Policy")), policy.number)),
            policy=policy,
            renewal=rate,
            renewal_share=rate.share if rate else None,
            endorsements=selectors.endorsement_list(policy_id=policy.pk),
            subsidy_shares=selectors.subsidy_share_list(policy=policy),
            cards_as_job=policy.member_count > documents.CARDS_IN_PAGE,
            member_list_as_job=policy.member_count > documents.MEMBER_LIST_IN_PAGE,
        )
        return context


class EndorsementDetailView(StaffView):
    """An endorsement (批单): its number, dates, figures and the members it added."""

    template_name = "enrollment/endorsement_detail.html"
    permission_required = "enrollment.view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endorsement = _get(Endorsement, self.kwargs["endorsement_pk"], _("No such endorsement in your office's tree."))
        members = selectors.endorsement_members(endorsement=endorsement)
        shares = [
            s for s in selectors.subsidy_share_list(policy=endorsement.policy) if s.endorsement_id == endorsement.pk
        ]
        page = Paginator(members, 100).get_page(self.request.GET.get("page"))
        context.update(endorsement=endorsement, page=page, subsidy_shares=shares)
        return context


class MemberSearchView(ListPage):
    """Members in scope, found by part of the name or a full ID number (POSTed: never in the query
    string), the unit's name, the last four digits of the phone, status, office, plan and period;
    ID numbers and phones masked."""

    template_name = "enrollment/member_search.html"
    permission_required = "enrollment.view"
    table_class = MemberTable
    filter_class = MemberFilter
    title = gettext_lazy("Member search")
    export_name = gettext_lazy("Members")
    search_label = gettext_lazy("Part of the name, or the full ID number")
    count_cap = 10_000

    def queryset(self) -> QuerySet[Any]:
        return selectors.member_rows()

    def searched(self, rows: QuerySet[Any], text: str) -> QuerySet[Any]:
        return selectors.member_find(rows, text=text)

    def found_keys(self, keys: QuerySet[Any]) -> list[Any]:
        return selectors.member_keys(keys, text=self.search_text())

    def prepare(self, records: list[Any]) -> None:
        for member in records:
            # Shown masked, as on the member's page; Enrollment declares no such field.
            phone = pii.decrypt(member.phone_cipher) if member.phone_cipher else ""
            member.phone_masked = pii.mask_phone(phone) if phone else ""


class MemberView(StaffView):
    """One person: every enrollment in scope, cancellation, and the audited full-ID reveal."""

    template_name = "enrollment/member.html"
    permission_required = "enrollment.view"

    def _enrollment(self) -> Enrollment:
        return _get(Enrollment, self.kwargs["enrollment_pk"], _("No such member in your office's tree."))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enrollment = self._enrollment()
        context.update(
            member=enrollment,
            enrollments=selectors.enrollment_list_of_person(enrollment=enrollment),
            panels=render_panels("enrollment.member", self.request, enrollment),
        )
        return context

    def post(self, request: HttpRequest, enrollment_pk: int) -> HttpResponse:
        enrollment = self._enrollment()
        user = self.request.user
        try:
            if request.POST.get("action") == "reveal":
                # A full ID number takes a password (and code) confirmed within REAUTH_SECONDS.
                if (reauth := reauth_redirect(request, back_to=request.path)) is not None:
                    return reauth
                number = enrollments.enrollment_reveal_id(actor=user, enrollment=enrollment)
                context = self.get_context_data(revealed=number)
                return self.render_to_response(context)
            target = _get(
                Enrollment,
                whole_number(request.POST.get("enrollment", "")) or 0,
                _("No such member in your office's tree."),
            )
            enrollments.enrollment_cancel(actor=user, enrollment=target, reason=request.POST.get("reason", ""))
            messages.success(request, _("The enrollment was cancelled."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied:
            messages.error(request, _("Your roles do not allow this."))
        return redirect("enrollment:member", enrollment_pk=enrollment.pk)


class RenewalView(StaffView):
    """Renew a unit's policy for a later period: untick the leavers, the rest are checked again."""

    template_name = "enrollment/renewal.html"
    permission_required = "enrollment.upload"

    def _policy(self) -> Policy:
        return _get(Policy, self.kwargs["policy_pk"], _("No such policy in your office's tree."))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        policy = self._policy()
        context.update(
            policy=policy,
            periods=selectors.period_list_later(policy=policy),
            members=selectors.enrollment_list(policy_id=policy.pk, active_only=True),
        )
        return context

    def post(self, request: HttpRequest, policy_pk: int) -> HttpResponse:
        policy = self._policy()
        periods = {p.pk: p for p in selectors.period_list_later(policy=policy)}
        wanted = request.POST.get("period", "")
        period = periods.get(whole_number(wanted) or 0)
        keep = set(whole_numbers(request.POST.getlist("keep")))
        user = self.request.user
        if period is None:
            messages.error(request, _("Choose a later period of the same plan."))
            return redirect("enrollment:renewal", policy_pk=policy.pk)
        try:
            member_list, created = member_lists.renewal_list_create(
                actor=user,
                policy=policy,
                period=period,
                keep=keep,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("enrollment:renewal", policy_pk=policy.pk)
        if created:
            transaction.on_commit(
                lambda: check_member_list.delay(org_id=user.org_id, member_list_id=member_list.pk, actor_id=user.pk)
            )
        return redirect("enrollment:list_detail", list_pk=member_list.pk)

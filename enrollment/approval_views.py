"""The approval page of a submitted member list: the approver sees what approving would store
(the rows with masked ID numbers, counts by shares, the premium split, whether a policy is issued
or an existing one endorsed, the checked workbook) and confirms having checked it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment import selectors
from enrollment.models import ListStatus, MemberList
from enrollment.services import approval, member_lists
from mutualaid import dates
from mutualaid.requests import request_user
from mutualaid.views import StaffView


class ApprovalForm(forms.Form):
    confirmed = forms.BooleanField(
        label=gettext_lazy("I have checked the list, the shares and the premium"),
        error_messages={
            "required": gettext_lazy(
                "Tick the box to confirm that you have checked the list, the shares and the premium."
            )
        },
    )


class ListApprovalView(StaffView):
    template_name = "enrollment/list_approval.html"
    permission_required = "enrollment.approve"

    def _list(self) -> MemberList:
        try:
            return MemberList.objects.select_related("org", "period__plan").get(pk=self.kwargs["list_pk"])
        except MemberList.DoesNotExist:
            raise Http404(_("No such list in your office's tree.")) from None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        member_list = kwargs.get("member_list") or self._list()
        user = request_user(self.request)
        waiting = member_list.status == ListStatus.SUBMITTED
        context.update(
            list=member_list,
            waiting=waiting,
            preview=selectors.member_list_approval_preview(member_list=member_list, today=dates.business_today())
            if waiting
            else None,
            page=Paginator(selectors.member_list_rows(member_list=member_list), 100).get_page(
                self.request.GET.get("page")
            ),
            form=kwargs.get("form") or ApprovalForm(),
            can_download=member_lists.member_list_may_download(actor=user, member_list=member_list),
        )
        return context

    def post(self, request: HttpRequest, list_pk: int) -> HttpResponse:
        member_list = self._list()
        form = ApprovalForm(request.POST)
        if not form.is_valid():
            context = self.get_context_data(member_list=member_list, form=form)
            return self.render_to_response(context, status=400)
        try:
            policy = approval.member_list_approve(actor=request_user(request), member_list=member_list)
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.render_to_response(self.get_context_data(member_list=member_list, form=form), status=400)
        except PermissionDenied as error:
            raise PermissionDenied(str(error) or _("Your roles do not allow this.")) from error
        messages.success(request, _("Approved: policy %(number)s.") % {"number": policy.number})
        return redirect("enrollment:policy_detail", policy_pk=policy.pk)

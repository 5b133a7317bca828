"""The office's log of notices sent (with "send again" for a failed one) and its wording of each
kind of notice, edited with a preview (mutualaid/notices.py holds the logic)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mutualaid import notices, noticesend
from mutualaid.forms import DayInput
from mutualaid.models import Notice, NoticeStatus, Organisation
from mutualaid.requests import request_office
from mutualaid.views import StaffView


class NoticeFilterForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of notice"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All statuses")), *NoticeStatus.choices],
    )
    since = forms.DateField(label=gettext_lazy("First day"), required=False, widget=DayInput())
    until = forms.DateField(label=gettext_lazy("Last day"), required=False, widget=DayInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [(k.code, k.label) for k in notices.notice_kinds()]
        self.fields["kind"].choices = [("", gettext_lazy("All kinds")), *kinds]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError(_("The first day comes after the last: swap them."))
        return data


class NoticeListView(StaffView):
    """What was sent to whom, in the office's subtree, newest first."""

    template_name = "mutualaid/notice_list.html"
    permission_required = "notices.view"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = NoticeFilterForm(request.GET or None)
        valid = form.is_valid() if request.GET else True
        filters = form.cleaned_data if request.GET and valid else {}
        rows = notices.notice_list(
            kind=filters.get("kind", ""),
            status=filters.get("status", ""),
            since=filters.get("since"),
            until=filters.get("until"),
        )
        page = Paginator(rows, 100).get_page(request.GET.get("page"))
        labels = {k.code: k.label for k in notices.notice_kinds()}
        for row in page:
            row.kind_label = labels.get(row.kind, row.kind)  # type: ignore[attr-defined]
        query = request.GET.copy()
        query.pop("page", None)
        context = self.get_context_data(form=form, page=page, query=query.urlencode(), limit=notices.resend_limit())
        return self.render_to_response(context, status=200 if valid else 400)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise Http404


class NoticeRetryView(StaffView):
    """Send one failed notice again, now."""

    permission_required = "notices.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, notice_pk: int) -> HttpResponse:
        notice = get_object_or_404(Notice.objects.all(), pk=notice_pk)
        try:
            noticesend.notice_retry(actor=self.request.user, notice=notice)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("notice_list")
        messages.success(request, _("Notice %(reference)s is being sent again.") % {"reference": notice.reference})
        return redirect("notice_list")


def _own_office(request: HttpRequest) -> Organisation:
    """The office whose wording is edited: the user's own. Another office's, named in `office`,
    is not found: an office edits its own notices only."""
    office = request_office(request)
    asked = request.GET.get("office") or request.POST.get("office")
    if asked and asked != str(office.pk):
        raise Http404(_("An office edits its own notices only."))
    return office


class NoticeTemplateListView(StaffView):
    """Every kind of notice with the text the office sends and where that text comes from."""

    template_name = "mutualaid/notice_templates.html"
    permission_required = "notices.manage"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = _own_office(self.request)
        context["office"] = office
        context["kinds"] = [
            (kind, notices.template_effective(kind=kind, office=office)) for kind in notices.notice_kinds()
        ]
        return context


class TemplateForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message text"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000, required=False
    )


class NoticeTemplateEditView(StaffView):
    """One kind's text: edit, preview with sample data, save, or go back to the inherited text."""

    template_name = "mutualaid/notice_template_edit.html"
    permission_required = "notices.manage"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        office = _own_office(self.request)
        kind = notices.notice_kind(str(self.kwargs["kind"]))
        wording = notices.template_effective(kind=kind, office=office)
        context.setdefault("form", TemplateForm(initial={"text": wording.text}))
        context.setdefault("preview", notices.render(wording.text, kind.sample()))
        context.update(office=office, kind=kind, wording=wording, own=notices.template_own(kind=kind, office=office))
        return context

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        office = _own_office(request)
        notice_kind = notices.notice_kind(kind)
        action = request.POST.get("action", "")
        if action == "reset":
            notices.template_reset(actor=self.request.user, office=office, kind=notice_kind)
            messages.success(request, _("The office now uses the inherited text again."))
            return redirect("notice_templates")
        form = TemplateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, preview=""), status=400)
        try:
            text = notices.template_check(kind=notice_kind, text=form.cleaned_data["text"])
            if action == "save":
                notices.template_save(actor=self.request.user, office=office, kind=notice_kind, text=text)
                messages.success(
                    request, _("Saved: the next “%(kind)s” notices use this text.") % {"kind": notice_kind.label}
                )
                return redirect(reverse("notice_template_edit", kwargs={"kind": notice_kind.code}))
        except ValidationError as error:
            form.add_error("text", error)
            return self.render_to_response(self.get_context_data(form=form, preview=""), status=400)
        return self.render_to_response(
            self.get_context_data(form=form, preview=notices.render(text, notice_kind.sample()), previewing=True)
        )

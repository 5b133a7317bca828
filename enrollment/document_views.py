"""A policy's printed documents: its member cards (a small policy's, drawn while the person waits;
a larger one's are a card job, enrollment/card_views.py), its application form (投保单), its member
list (一览表) as PDF (a large policy's as a print job too) or xlsx, and its renewal notice."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View

from enrollment import documents
from enrollment.models import Policy
from mutualaid.downloads import attachment, file_name
from mutualaid.listing import XLSX
from mutualaid.numbers import count_text


class PolicyDocumentView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The policy's printed documents: cards, application form, member list (PDF or xlsx)."""

    permission_required = "enrollment.view"
    raise_exception = True

    def get(self, request: HttpRequest, policy_pk: int, document: str) -> HttpResponse:
        policy = Policy.objects.filter(pk=policy_pk).first()  # in the office's tree, or none
        if policy is None:
            raise Http404(_("No such policy in your office's tree."))
        if document == "cards.pdf":
            if policy.member_count > documents.CARDS_IN_PAGE:
                return HttpResponseBadRequest(render_to_string("400_query.html", {"message": _cards_as_job(policy)}))
            data = documents.policy_cards_pdf(policy)
            return attachment(
                data, content_type="application/pdf", name=file_name(_("member cards"), policy.number, suffix="pdf")
            )
        if document == "application.pdf":
            data = documents.application_form_pdf(policy)
            return attachment(
                data, content_type="application/pdf", name=file_name(_("application form"), policy.number, suffix="pdf")
            )
        if document == "members.pdf":
            if policy.member_count > documents.MEMBER_LIST_IN_PAGE:
                message = _member_list_as_job(policy)
                return HttpResponseBadRequest(render_to_string("400_query.html", {"message": message}))
            data = documents.member_list_pdf(policy)
            return attachment(
                data, content_type="application/pdf", name=file_name(_("member list"), policy.number, suffix="pdf")
            )
        if document == "renewal.pdf":
            from enrollment.notices import renewal_pdf

            return attachment(
                renewal_pdf(policy=policy),
                content_type="application/pdf",
                name=file_name(_("renewal notice"), policy.number, suffix="pdf"),
            )
        if document == "members.xlsx":
            return attachment(
                documents.member_list_xlsx(policy),
                content_type=XLSX,
                name=file_name(_("member list"), policy.number, suffix="xlsx"),
            )
        raise Http404


def _cards_as_job(policy: Policy) -> str:
    return _(
        "Policy %(number)s has %(members)s members: their cards are printed as a job. Use the button "
        "“Member cards (PDF)” on the policy's page, then follow the job under Card printing."
    ) % {"number": policy.number, "members": count_text(policy.member_count)}


def _member_list_as_job(policy: Policy) -> str:
    return _(
        "Policy %(number)s has %(members)s members: its member list is printed as a job. Use the button "
        "“Member list (PDF)” on the policy's page, then follow the job under Card printing; the "
        "member list as xlsx downloads at once."
    ) % {"number": policy.number, "members": count_text(policy.member_count)}
